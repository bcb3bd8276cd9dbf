/**
 * CLI of deploy/compare-counts. Writes validation.json in every case (the verdict is data) and
 * exits 0 on pass, 1 on a mismatch or non-comparable runs, 2 on unreadable input.
 * Usage: compare-counts.ts --int8 run.json --fp16 run.json [--max-count-diff N] --out FILE
 */
import {readFileSync, writeFileSync} from 'node:fs';
import {parseArgs} from 'node:util';
import {compareRuns, describeValidation} from '../compare.ts';
import type {RunSummary} from '../run-output.ts';

const {values: a} = parseArgs({options: {int8: {type: 'string'}, fp16: {type: 'string'}, 'max-count-diff': {type: 'string', default: '0'}, out: {type: 'string'}}});
if (!a.int8 || !a.fp16 || !a.out) {
  console.error('usage: compare-counts.ts --int8 run.json --fp16 run.json [--max-count-diff N] --out FILE');
  process.exit(2);
}
const read = (file: string): RunSummary => {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
    if (r.format !== 1 || !Array.isArray(r.frames)) throw new Error('not a run.json (format 1)');
    return r;
  } catch (e) {
    console.error(`error: ${file}: ${(e as Error).message}`);
    process.exit(2);
  }
};
const v = compareRuns(read(a.int8), read(a.fp16), Number(a['max-count-diff']));
writeFileSync(a.out, `${JSON.stringify(v, null, 1)}\n`);
for (const line of describeValidation(v)) (v.verdict === 'pass' ? console.log : console.error)(line);
process.exit(v.verdict === 'pass' ? 0 : 1);
