/**
 * CLI of the native gate (what the `validate-int8` rule runs):
 *
 *   node --import tsx native/validate-cli.ts --addon <dir> --fp32 a.onnx[,b.onnx] --int8 a.xml[,b.xml]
 *     --frames DIR [--const name=file ...] --preset kitti|v2x [--device CPU] [--threads 1] [--score-threshold x]
 *     [--filter-labels 7,8|none] [--max-box-diff 0] [--min-recall r] --out DIR
 *
 * Writes DIR/validation.json (verdicts, margins: deterministic), DIR/timings.json (varies every
 * run; nothing downstream reads it) and DIR/report.html. Exit 0: the target passes; 1: it fails
 * (reasons and worst frames on stderr); 2: bad input (message says what was expected and how to fix it).
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {fail, ok, type Result} from '../src/result.ts';
import {worstFirst} from './compare.ts';
import {CLASS_NAMES, parseLabel} from './decode-params.ts';
import {renderReport} from './report-html.ts';
import {validateInt8, type ValidateArgs} from './validate.ts';

const USAGE =
  'usage: validate-cli --addon DIR --fp32 a.onnx[,b.onnx] --int8 a.xml[,b.xml] --frames DIR [--const name=file ...] ' +
  '--preset kitti|v2x [--device CPU] [--threads 1] [--score-threshold x] [--filter-labels 7,8|Bicycle,Pedestrian|none] [--max-box-diff N] [--min-recall r] --out DIR';

const num = (flag: string, v: string): Result<number> =>
  Number.isFinite(Number(v)) && v.trim() !== '' ? ok(Number(v)) : fail('invalid-args', `${flag} expects a number, got '${v}'`);

/** Parses argv into gate arguments plus the output directory. */
export function parseArgv(argv: string[]): Result<{args: ValidateArgs; out: string}> {
  const args: Partial<ValidateArgs> & {consts: {name: string; path: string}[]} = {consts: []};
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const v = argv[i + 1];
    if (v === undefined) return fail('invalid-args', `${flag} needs a value. ${USAGE}`);
    i++;
    switch (flag) {
      case '--addon': args.addonDir = v; break;
      case '--fp32': args.fp32 = v.split(',').filter(Boolean); break;
      case '--int8': args.int8 = v.split(',').filter(Boolean); break;
      case '--frames': args.framesDir = v; break;
      case '--device': args.device = v; break;
      case '--threads': {
        const n = num(flag, v);
        if (!n.ok) return n;
        args.threads = n.value;
        break;
      }
      case '--out': out = v; break;
      case '--preset':
        if (v !== 'kitti' && v !== 'v2x') return fail('invalid-args', `--preset expects kitti or v2x, got '${v}'`);
        args.preset = v;
        break;
      case '--const': {
        const eq = v.indexOf('=');
        if (eq <= 0) return fail('invalid-args', `--const expects name=file (e.g. indices=geometry/indices.bin), got '${v}'`);
        args.consts.push({name: v.slice(0, eq), path: v.slice(eq + 1)});
        break;
      }
      case '--filter-labels':
        args.filterLabels = v === 'none' ? [] : v.split(',').map(parseLabel);
        if (args.filterLabels.some(Number.isNaN)) {
          return fail('invalid-args', `--filter-labels expects label ids 0-9 or class names (${CLASS_NAMES.join(', ')}) or 'none', got '${v}'`);
        }
        break;
      case '--score-threshold':
      case '--max-box-diff':
      case '--min-recall': {
        const n = num(flag, v);
        if (!n.ok) return n;
        if (flag === '--score-threshold') args.scoreThreshold = n.value;
        else if (flag === '--max-box-diff') args.maxBoxDiff = n.value;
        else args.minRecall = n.value;
        break;
      }
      default:
        return fail('invalid-args', `unknown flag ${flag}. ${USAGE}`);
    }
  }
  const missing = (['addonDir', 'fp32', 'int8', 'framesDir', 'preset'] as const).filter((k) => args[k] === undefined);
  if (missing.length || !out) {
    const flags = [...missing.map((k) => ({addonDir: '--addon', fp32: '--fp32', int8: '--int8', framesDir: '--frames', preset: '--preset'})[k]), ...(out ? [] : ['--out'])];
    return fail('invalid-args', `missing ${flags.join(', ')}. ${USAGE}`);
  }
  return ok({args: args as ValidateArgs, out});
}

/** Runs the CLI; returns the exit code (the only place that decides it). */
export async function main(argv: string[]): Promise<number> {
  const parsed = parseArgv(argv);
  if (!parsed.ok) {
    console.error(`validate-int8: ${parsed.error.message}`);
    return 2;
  }
  const res = await validateInt8(parsed.value.args);
  if (!res.ok) {
    console.error(`validate-int8: ${res.error.message}`);
    for (const d of res.error.details ?? []) console.error(`  ${d}`);
    return 2;
  }
  const {result: r, timings: t} = res.value;
  const out = resolve(parsed.value.out);
  mkdirSync(out, {recursive: true});
  writeFileSync(join(out, 'validation.json'), JSON.stringify(r, null, 2) + '\n');
  writeFileSync(join(out, 'timings.json'), JSON.stringify(t, null, 2) + '\n');
  writeFileSync(join(out, 'report.html'), renderReport(r, t));
  const m = r.margins;
  const summary =
    `${r.totals.passed}/${r.totals.frames} frames pass; boxes FP32 ${r.totals.fp32Boxes}, INT8 ${r.totals.int8Boxes}, matched ${r.totals.matchedBoxes}; ` +
    `margins: per-frame ${m.boxDiff.margin} box(es) (worst ${m.boxDiff.worst} ≤ ${m.boxDiff.threshold}), ` +
    `recall ${m.recall.value.toFixed(4)} vs ${m.recall.threshold} (${m.recall.boxes} box(es)); ` +
    `${t.framesPerSecond.toFixed(1)} frames/s, decode+NMS ${(t.decodeShare * 100).toFixed(2)} %`;
  if (r.pass) {
    console.log(`validate-int8: PASS ${summary}`);
    return 0;
  }
  console.error(`validate-int8: FAIL ${summary}`);
  for (const reason of r.reasons ?? []) console.error(`  ${reason}`);
  console.error('worst frames:');
  for (const f of worstFirst(r.frames).slice(0, 10)) {
    console.error(`  ${f.id}: FP32 ${f.fp32Count} boxes, INT8 ${f.int8Count} boxes, ${f.boxDiff} differ (${f.missed} FP32 unmatched, ${f.extra} INT8 unmatched), max |Δheatmap| ${f.maxAbsHeatmapDiff.toExponential(2)}`);
  }
  console.error(`report: ${join(out, 'report.html')}`);
  return 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
