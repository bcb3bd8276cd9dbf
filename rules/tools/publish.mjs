#!/usr/bin/env node
// Copies artifacts into a deploy directory under the names the deploy binaries load.
// Usage: publish.mjs --out DIR NAME=SRC [NAME=SRC …]
import {copyFileSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';

const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
if (outIdx < 0 || !args[outIdx + 1]) {
  console.error('usage: publish.mjs --out DIR NAME=SRC [NAME=SRC …]');
  process.exit(2);
}
const out = args[outIdx + 1];
mkdirSync(out, {recursive: true});
for (const pair of args.filter((_, i) => i !== outIdx && i !== outIdx + 1)) {
  const eq = pair.indexOf('=');
  if (eq <= 0) {
    console.error(`expected NAME=SRC, got "${pair}"`);
    process.exit(2);
  }
  copyFileSync(pair.slice(eq + 1), join(out, pair.slice(0, eq)));
  console.log(`published ${pair.slice(0, eq)}`);
}
