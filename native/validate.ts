/**
 * Public TS API of the native gate: checks and normalises arguments (zod + file checks), runs the
 * addon, and judges every frame. Expected failures (bad args, missing files, models OpenVINO
 * rejects, input/output mismatches) come back as `Failure`s; failing frames are a value too
 * (`result.pass === false`).
 */
import {existsSync, readFileSync, statSync} from 'node:fs';
import {extname, join, resolve} from 'node:path';
import {z} from 'zod';
import {fail, ok, type Result} from '../src/result.ts';
import {loadAddon, type NativeGateResult} from './addon.ts';
import {judgeFrame, type FrameVerdict} from './compare.ts';
import {resolveParams, type DecodeParams} from './decode-params.ts';

/** Arguments of `validateInt8`, as the CLI and rules pass them. */
export const ValidateArgsSchema = z.object({
  /** Directory holding `bevbuild_native.node` (native/build.ts `--out`). */
  addonDir: z.string().min(1),
  fp32: z.array(z.string().min(1)).min(1),
  int8: z.array(z.string().min(1)).min(1),
  framesDir: z.string().min(1),
  consts: z.array(z.object({name: z.string().min(1), path: z.string().min(1)})).default([]),
  preset: z.enum(['kitti', 'v2x']),
  device: z.string().min(1).default('CPU'),
  scoreThreshold: z.number().min(0).max(1).optional(),
  filterLabels: z.array(z.number().int().min(0).max(9)).optional(),
  maxCountDiff: z.number().int().min(0).default(0),
  minRecall: z.number().min(0).max(1).default(0),
});

/** Input shape of the arguments (defaults optional). */
export type ValidateArgs = z.input<typeof ValidateArgsSchema>;

/** validation.json. */
export interface ValidationResult {
  pass: boolean;
  pipeline: NativeGateResult['pipeline'];
  openvinoVersion: string;
  device: string;
  params: DecodeParams;
  criteria: {maxCountDiff: number; minRecall: number};
  models: {fp32: NativeGateResult['fp32Models']; int8: NativeGateResult['int8Models']};
  frames: FrameVerdict[];
  totals: {frames: number; passed: number; failed: number; fp32Boxes: number; int8Boxes: number; meanRecall: number; maxAbsHeatmapDiff: number};
  timings: {compileMs: number; runMs: number; framesPerSecond: number; loadMs: number; fp32Ms: number; int8Ms: number; decodeMs: number; compareMs: number; decodeShare: number};
}

// Checks that a model file is loadable in principle, with the fix in the message.
function checkModel(side: string, p: string): string | undefined {
  if (!existsSync(p)) return `${side} model ${p} does not exist.`;
  const ext = extname(p).toLowerCase();
  if (ext === '.xml') {
    const bin = p.slice(0, -4) + '.bin';
    if (!existsSync(bin)) return `${side} model ${p} is an OpenVINO IR but its weights ${bin} are missing; copy the .bin beside the .xml.`;
  } else if (ext !== '.onnx') {
    return `${side} model ${p} must be an ONNX file (.onnx) or an OpenVINO IR (.xml with .bin).`;
  }
  return undefined;
}

/** Frame ids from `<framesDir>/manifest.txt` (one per line, blank lines and `#` comments ignored). */
export function readManifest(framesDir: string): Result<string[]> {
  const m = join(framesDir, 'manifest.txt');
  if (!existsSync(framesDir) || !statSync(framesDir).isDirectory()) {
    return fail('invalid-args', `Frames directory ${framesDir} does not exist.`);
  }
  if (!existsSync(m)) {
    return fail('invalid-args', `${m} is missing: list the frame ids one per line; inputs are read from <frame id>_<input name>.npy.`);
  }
  const ids = readFileSync(m, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (ids.length === 0) return fail('invalid-args', `${m} lists no frames.`);
  return ok(ids);
}

/** Runs the INT8-vs-FP32 gate. */
export async function validateInt8(raw: ValidateArgs): Promise<Result<ValidationResult>> {
  const parsed = ValidateArgsSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`);
    return fail('invalid-args', `Invalid validation arguments: ${lines.join('; ')}`, {details: lines});
  }
  const a = parsed.data;
  const problems = [
    ...a.fp32.map((p) => checkModel('FP32', p)),
    ...a.int8.map((p) => checkModel('INT8', p)),
    ...a.consts.map((c) => (existsSync(c.path) ? undefined : `constant input '${c.name}': ${c.path} does not exist.`)),
  ].filter((x): x is string => x !== undefined);
  if (problems.length) return fail('invalid-args', problems.join('\n'), {details: problems});
  const ids = readManifest(a.framesDir);
  if (!ids.ok) return ids;
  const addon = loadAddon(a.addonDir);
  if (!addon.ok) return addon;

  const params = resolveParams(a.preset, {scoreThreshold: a.scoreThreshold, filterLabels: a.filterLabels});
  const criteria = {maxCountDiff: a.maxCountDiff, minRecall: a.minRecall};
  const started = performance.now();
  let res: NativeGateResult;
  try {
    res = await addon.value.validate({
      fp32: a.fp32.map((p) => resolve(p)),
      int8: a.int8.map((p) => resolve(p)),
      framesDir: resolve(a.framesDir),
      frameIds: ids.value,
      consts: a.consts.map((c) => ({name: c.name, path: resolve(c.path)})),
      device: a.device,
      params,
    });
  } catch (e) {
    const err = e as Error & {code?: string};
    if (!err.code) throw e; // not from the worker: a bug
    return fail('native-validation-failed', err.message, {details: [`code: ${err.code}`]});
  }
  const runMs = performance.now() - started;
  const frames = res.frames.map((f) => judgeFrame(f, criteria));
  const sum = (k: keyof FrameVerdict['timingsMs']): number => frames.reduce((s, f) => s + f.timingsMs[k], 0);
  const [loadMs, fp32Ms, int8Ms, decodeMs, compareMs] = (['load', 'fp32', 'int8', 'decode', 'compare'] as const).map(sum) as [number, number, number, number, number];
  const passed = frames.filter((f) => f.pass).length;
  return ok({
    pass: passed === frames.length,
    pipeline: res.pipeline,
    openvinoVersion: res.openvinoVersion,
    device: a.device,
    params: {...params, preMax: res.preMax},
    criteria,
    models: {fp32: res.fp32Models, int8: res.int8Models},
    frames,
    totals: {
      frames: frames.length,
      passed,
      failed: frames.length - passed,
      fp32Boxes: frames.reduce((s, f) => s + f.fp32Count, 0),
      int8Boxes: frames.reduce((s, f) => s + f.int8Count, 0),
      meanRecall: frames.reduce((s, f) => s + f.recall, 0) / frames.length,
      maxAbsHeatmapDiff: Math.max(...frames.map((f) => f.maxAbsHeatmapDiff)),
    },
    timings: {
      compileMs: res.compileMs,
      runMs,
      framesPerSecond: frames.length / ((runMs - res.compileMs) / 1000),
      loadMs, fp32Ms, int8Ms, decodeMs, compareMs,
      decodeShare: decodeMs / (loadMs + fp32Ms + int8Ms + decodeMs + compareMs),
    },
  });
}
