// Counts the o200k_base tokens of default-page result texts and fails above the budget.
// Usage: node .ci/page-tokens.mjs budget file...
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [budgetArg, ...files] = process.argv.slice(2);
const budget = Number(budgetArg);
let failed = false;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const n = encode(text).length;
  console.log(`${basename(file)}: ${Buffer.byteLength(text)} bytes of text, ${n} o200k tokens (budget ${budget})`);
  if (n > budget) failed = true;
}
if (files.length === 0 || failed) {
  console.error('FAIL: no page to count, or a default page over the token budget');
  process.exit(1);
}
