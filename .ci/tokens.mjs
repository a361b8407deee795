// Counts the o200k_base tokens of the whole tools/list payload and fails above the budget.
// Usage: node .ci/tokens.mjs tools-list.json [budget]
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { readFileSync } from 'node:fs';

const [file, budgetArg] = process.argv.slice(2);
const budget = Number(budgetArg ?? 2400);
const payload = readFileSync(file, 'utf8');
const tools = JSON.parse(payload).tools;
const total = encode(payload).length;
const per = tools.map((t) => [encode(JSON.stringify(t)).length, t.name]).sort((a, b) => b[0] - a[0]);
console.log(`tools/list: ${tools.length} tools, ${Buffer.byteLength(payload)} bytes, ${total} o200k tokens (budget ${budget})`);
for (const [n, name] of per.slice(0, 5)) console.log(`  ${n} ${name}`);
if (total > budget) {
  console.error(`FAIL: tools/list costs ${total} tokens, over the budget of ${budget}`);
  process.exit(1);
}
