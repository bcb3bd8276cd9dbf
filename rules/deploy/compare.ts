/**
 * INT8 vs FP16 per-frame box-count comparison of two deploy runs (training.md §4.4: "KITTI INT8
 * frame-by-frame box counts match FP32 exactly"). Runs are only comparable with identical flags
 * and identical sample lists (pitfalls 31–32: thresholds, label filters and `--num-samples` change
 * the counts; a skipped sample shifts order-based pairing), so a difference there is a
 * `not-comparable` verdict, not a mismatch. Frames are paired by sample id, never by order.
 */
import type {RunSummary} from './run-output.ts';

/** Flags that legitimately differ between the two runs or name per-run paths. */
const VALUE_FLAGS = new Set(['--model', '--onnx', '--pred-dir']);
const BARE_FLAGS = /^--(fp16|int8(-camera|-pfe|-fuser|-head)?|dump-pred|acc)$/;

/** The binary argv (without the binary itself) minus precision, model and output-path flags. */
export function compareFlags(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (VALUE_FLAGS.has(args[i]!)) i++;
    else if (!BARE_FLAGS.test(args[i]!)) out.push(args[i]!);
  }
  return out;
}

/** One frame whose counts differ (`null` = the frame is missing from that run). */
export interface FrameMismatch {
  id: string;
  int8: number | null;
  fp16: number | null;
}

/** The content of validation.json. */
export interface Validation {
  format: 1;
  verdict: 'pass' | 'mismatch' | 'not-comparable';
  frames: number;
  maxCountDiff: number;
  mismatches: FrameMismatch[];
  problems: string[];
}

/** Compares counts frame by frame; `maxCountDiff` 0 = exact match (the Doc's target). */
export function compareRuns(int8: RunSummary, fp16: RunSummary, maxCountDiff = 0): Validation {
  const problems: string[] = [];
  if (int8.precision !== 'int8' || fp16.precision !== 'fp16') problems.push(`expected an int8 and an fp16 run, got ${int8.precision} and ${fp16.precision}`);
  if (int8.binary !== fp16.binary) problems.push(`runs of different binaries: ${int8.binary} vs ${fp16.binary}`);
  if (JSON.stringify(int8.compareFlags) !== JSON.stringify(fp16.compareFlags)) {
    problems.push(`flags differ: int8 [${int8.compareFlags.join(' ')}] vs fp16 [${fp16.compareFlags.join(' ')}]`);
  }
  const ids8 = int8.frames.map((f) => f.id);
  const ids16 = fp16.frames.map((f) => f.id);
  if (JSON.stringify([...ids8].sort()) !== JSON.stringify([...ids16].sort())) {
    const only8 = ids8.filter((i) => !ids16.includes(i));
    const only16 = ids16.filter((i) => !ids8.includes(i));
    problems.push(`sample lists differ: only in int8 [${only8.slice(0, 10).join(', ')}], only in fp16 [${only16.slice(0, 10).join(', ')}]`);
  }
  if (!ids8.length) problems.push('the int8 run processed no frames');
  const by16 = new Map(fp16.frames.map((f) => [f.id, f.predBoxes ?? f.boxes]));
  const mismatches: FrameMismatch[] = [];
  for (const f of int8.frames) {
    const n8 = f.predBoxes ?? f.boxes;
    const n16 = by16.get(f.id);
    if (n16 === undefined) continue; // reported as a sample-list problem
    if (Math.abs(n8 - n16) > maxCountDiff) mismatches.push({id: f.id, int8: n8, fp16: n16});
  }
  const verdict = problems.length ? 'not-comparable' : mismatches.length ? 'mismatch' : 'pass';
  return {format: 1, verdict, frames: int8.frames.length, maxCountDiff, mismatches, problems};
}

/** Human lines for the log: what failed and which frames. */
export function describeValidation(v: Validation): string[] {
  if (v.verdict === 'pass') return [`PASS: ${v.frames} frames, INT8 counts within ${v.maxCountDiff} of FP16`];
  if (v.verdict === 'not-comparable') return ['NOT COMPARABLE: the two runs must use identical flags and sample lists', ...v.problems.map((p) => `  ${p}`)];
  return [`MISMATCH in ${v.mismatches.length} of ${v.frames} frames (max allowed difference ${v.maxCountDiff}):`, ...v.mismatches.map((m) => `  ${m.id}: int8=${m.int8} fp16=${m.fp16}`)];
}
