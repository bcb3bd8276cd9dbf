/**
 * Writes `{files: {path: sha256}}` for the files given: the readable fingerprint of an env whose
 * identity is its files (an OpenVINO build). Usage: fingerprint-files.ts --out FILE PATH…
 */
import {createHash} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

const {values, positionals} = parseArgs({options: {out: {type: 'string'}}, allowPositionals: true});
if (!values.out) {
  console.error('usage: fingerprint-files.ts --out FILE PATH…');
  process.exit(2);
}
const files: Record<string, string> = {};
for (const p of [...positionals].sort()) files[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
writeFileSync(values.out, `${JSON.stringify({files}, null, 1)}\n`);
console.log(`fingerprinted ${positionals.length} files`);
