// Counts the o200k_base tokens of each toolset's tools/list payload (written by TestToolsListForTokenizer
// beside tools-list.json, with toolsets.json as its index), fails when the default set is over the budget,
// and fails when Go's byte-based estimate (what `proxmox-mcp tools` and the README print) is off by more than
// the tolerance.
// Usage: node .ci/toolset-tokens.mjs DIR [budget] [tolerance]
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, budgetArg, toleranceArg] = process.argv.slice(2);
const budget = Number(budgetArg ?? 4500);
const tolerance = Number(toleranceArg ?? 0.05);
const index = JSON.parse(readFileSync(join(dir, 'toolsets.json'), 'utf8'));
let failed = false;
for (const p of index) {
  const payload = readFileSync(join(dir, p.file), 'utf8');
  const n = encode(payload).length;
  const tools = JSON.parse(payload).tools.length;
  const off = (p.estimate - n) / n;
  const notes = [];
  if (p.budget) notes.push(`budget ${budget}`);
  if (p.budget && n > budget) {
    notes.push('OVER');
    failed = true;
  }
  if (Math.abs(off) > tolerance) {
    notes.push(`estimate off by more than ${tolerance * 100}%`);
    failed = true;
  }
  console.log(`${p.name.padEnd(20)} ${String(tools).padStart(2)} tools ${String(p.bytes).padStart(6)} bytes ${String(n).padStart(5)} o200k tokens (Go estimates ${p.estimate}, ${(off * 100).toFixed(1)}%)${notes.length ? ' ' + notes.join(', ') : ''}`);
}
if (index.length === 0 || failed) {
  console.error('FAIL: no toolset to count, a default set over the budget, or an estimate that strays');
  process.exit(1);
}
