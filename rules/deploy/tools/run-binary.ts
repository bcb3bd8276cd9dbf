/**
 * Runs a deploy binary in a given cwd, echoes its output (it goes to the node's log), parses it
 * and writes run.json; exits with the binary's status. The model path and pred dir are passed to
 * the binary explicitly, so the scratch cwd only absorbs its `*_perf_summary.csv`.
 * Usage: run-binary.ts --kind bevfusion|bevfusion_unified --precision int8|fp16 --cwd DIR
 *        --dataset DIR --pred-dir DIR --out run.json -- BINARY ARGS…
 */
import {spawn} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {parsePerf, parseSplitFrames, parseUnifiedFrames, type RunSummary} from '../run-output.ts';
import {compareFlags} from '../compare.ts';

const {values: a, positionals} = parseArgs({
  options: {kind: {type: 'string'}, precision: {type: 'string'}, cwd: {type: 'string'}, dataset: {type: 'string'}, 'pred-dir': {type: 'string'}, out: {type: 'string'}},
  allowPositionals: true,
});
const kind = a.kind as RunSummary['binary'];
if ((kind !== 'bevfusion' && kind !== 'bevfusion_unified') || !a.cwd || !a.out || !a['pred-dir'] || !a.dataset || !positionals.length) {
  console.error('usage: run-binary.ts --kind bevfusion|bevfusion_unified --precision P --cwd DIR --dataset DIR --pred-dir DIR --out FILE -- BINARY ARGS…');
  process.exit(2);
}
mkdirSync(a.cwd, {recursive: true});
mkdirSync(a['pred-dir'], {recursive: true});
const [bin, ...args] = positionals as [string, ...string[]];
const child = spawn(bin, args, {cwd: a.cwd, stdio: ['ignore', 'pipe', 'pipe']});
let stdout = '';
child.stdout.on('data', (d: Buffer) => {
  stdout += d.toString();
  process.stdout.write(d);
});
child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
child.on('error', (e) => {
  console.error(`could not start ${bin}: ${e.message}`);
  process.exit(127);
});
child.on('close', (code, signal) => {
  const ids = existsSync(join(a.dataset!, 'image_2')) ? readdirSync(join(a.dataset!, 'image_2')).map((f) => f.replace(/\.[^.]+$/, '')).sort() : [];
  const split = kind === 'bevfusion' ? parseSplitFrames(stdout, ids) : {frames: parseUnifiedFrames(stdout), warnings: []};
  const warnings = [...split.warnings];
  for (const f of split.frames) {
    const pred = join(a['pred-dir']!, `${f.id}.txt`);
    if (!existsSync(pred)) continue;
    f.predBoxes = readFileSync(pred, 'utf8').split('\n').filter((l) => l.trim()).length;
    if (f.predBoxes !== f.boxes) warnings.push(`${f.id}: stdout says ${f.boxes} boxes, ${f.id}.txt has ${f.predBoxes}`);
  }
  const summary: RunSummary = {format: 1, binary: kind, precision: a.precision === 'fp16' ? 'fp16' : 'int8', compareFlags: compareFlags(args), frames: split.frames, perf: parsePerf(stdout), warnings};
  writeFileSync(a.out!, `${JSON.stringify(summary, null, 1)}\n`);
  for (const w of warnings) console.error(`warning: ${w}`);
  process.exit(signal ? 1 : (code ?? 1));
});
