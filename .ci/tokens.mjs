// Counts the o200k_base tokens of tools/list payloads and fails when one is over its budget.
// Usage: node .ci/tokens.mjs FILE BUDGET [FILE BUDGET ...]
// Each FILE is a {"tools": [...]} payload: the whole list, or one group of it (TestToolsListForTokenizer writes
// tools-list.json and, beside it, tools-list.core.json and tools-list.api.json).
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const args = process.argv.slice(2);
if (args.length === 0 || args.length % 2 !== 0) {
  console.error('usage: node .ci/tokens.mjs FILE BUDGET [FILE BUDGET ...]');
  process.exit(2);
}
let failed = false;
for (let i = 0; i < args.length; i += 2) {
  const [file, budget] = [args[i], Number(args[i + 1])];
  const payload = readFileSync(file, 'utf8');
  const tools = JSON.parse(payload).tools;
  const total = encode(payload).length;
  const per = tools.map((t) => [encode(JSON.stringify(t)).length, t.name]).sort((a, b) => b[0] - a[0]);
  console.log(`${basename(file)}: ${tools.length} tools, ${Buffer.byteLength(payload)} bytes, ${total} o200k tokens (budget ${budget})`);
  for (const [n, name] of per.slice(0, 5)) console.log(`  ${n} ${name}`);
  if (!(total <= budget)) {
    console.error(`FAIL: ${basename(file)} costs ${total} tokens, over the budget of ${budget}`);
    failed = true;
  }
}
if (failed) process.exit(1);
