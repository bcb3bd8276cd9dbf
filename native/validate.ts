/**
 * Public TS API of the native gate: checks and normalises arguments (zod + file checks), runs the
 * addon, and judges every frame. Expected failures (bad args, missing files, models OpenVINO
 * rejects, input/output mismatches) come back as `Failure`s; failing frames are a value too
 * (`result.pass === false`).
 */
import {existsSync, readFileSync, statSync} from 'node:fs';
import {extname, isAbsolute, join, relative, resolve} from 'node:path';
import {z} from 'zod';
import {fail, ok, type Result} from '../src/result.ts';
import {loadAddon, type NativeGateResult} from './addon.ts';
import {judgeFrame, margins, MATCH_RADIUS_M, type FrameVerdict, type GateCriteria, type GateMargins} from './compare.ts';
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
  /** CPU inference threads: 1 by default, so counts do not depend on the host's cores; 0 = OpenVINO's default. */
  threads: z.number().int().min(0).default(1),
  scoreThreshold: z.number().min(0).max(1).optional(),
  filterLabels: z.array(z.number().int().min(0).max(9)).optional(),
  /** Per frame: most boxes that may differ (unmatched on either side). */
  maxBoxDiff: z.number().int().min(0).default(0),
  /** Over all frames: least share of FP32 boxes matched by an INT8 box. */
  minRecall: z.number().min(0).max(1).default(0),
});

/** Input shape of the arguments (defaults optional). */
export type ValidateArgs = z.input<typeof ValidateArgsSchema>;

/** A model of either chain, as validation.json names it: path relative to the cwd (the workspace). */
export interface ModelInfo {
  path: string;
  inputs: NativeGateResult['fp32Models'][number]['inputs'];
  outputs: NativeGateResult['fp32Models'][number]['outputs'];
}

/**
 * validation.json: everything here is a pure function of the models, frames, params and the
 * OpenVINO build — no timings, no absolute paths — so a re-validation with the same verdicts
 * writes the same bytes and what depends on the gate is cut off (issue 17).
 */
export interface ValidationResult {
  format: 2;
  pass: boolean;
  /** Why the target fails, one line per failed criterion (absent when it passes). */
  reasons?: string[];
  pipeline: NativeGateResult['pipeline'];
  openvinoVersion: string;
  device: string;
  params: DecodeParams;
  criteria: GateCriteria & {matchRadiusM: number};
  margins: GateMargins;
  models: {fp32: ModelInfo[]; int8: ModelInfo[]};
  frames: FrameVerdict[];
  totals: {frames: number; passed: number; failed: number; fp32Boxes: number; int8Boxes: number; matchedBoxes: number; recall: number; maxAbsHeatmapDiff: number};
}

/** timings.json: measurements that vary run to run, kept out of what dependents key on. */
export interface GateTimings {
  /** ISO time the gate finished. */
  finishedAt: string;
  compileMs: number;
  runMs: number;
  framesPerSecond: number;
  loadMs: number;
  fp32Ms: number;
  int8Ms: number;
  decodeMs: number;
  compareMs: number;
  decodeShare: number;
  frames: {id: string; loadMs: number; fp32Ms: number; int8Ms: number; decodeMs: number; compareMs: number}[];
}

/** What the gate returns: the verdicts and, apart, the timings. */
export interface GateRun {
  result: ValidationResult;
  timings: GateTimings;
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
export async function validateInt8(raw: ValidateArgs): Promise<Result<GateRun>> {
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
  const criteria: GateCriteria = {maxBoxDiff: a.maxBoxDiff, minRecall: a.minRecall};
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
      threads: a.threads,
      params,
    });
  } catch (e) {
    const err = e as Error & {code?: string};
    if (!err.code) throw e; // not from the worker: a bug
    return fail('native-validation-failed', err.message, {details: [`code: ${err.code}`]});
  }
  const runMs = performance.now() - started;
  const frames = res.frames.map((f) => judgeFrame(f, criteria));
  return ok({result: verdict(res, frames, criteria, a.device, {...params, preMax: res.preMax}), timings: timings(res, runMs)});
}

// Workspace-relative when inside the cwd: the same workspace at another path writes the same bytes.
const portable = (p: string): string => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
};

function verdict(res: NativeGateResult, frames: FrameVerdict[], criteria: GateCriteria, device: string, params: DecodeParams): ValidationResult {
  const passed = frames.filter((f) => f.pass).length;
  const m = margins(frames, criteria);
  const reasons: string[] = [];
  if (passed < frames.length) reasons.push(`${frames.length - passed} of ${frames.length} frames have more than ${criteria.maxBoxDiff} differing boxes (worst ${m.boxDiff.worstFrame}: ${m.boxDiff.worst})`);
  if (m.recall.boxes < 0) reasons.push(`recall of matched boxes ${m.recall.value.toFixed(4)} < minRecall ${criteria.minRecall}`);
  const model = (x: NativeGateResult['fp32Models'][number]): ModelInfo => ({...x, path: portable(x.path)});
  return {
    format: 2,
    pass: reasons.length === 0,
    ...(reasons.length ? {reasons} : {}),
    pipeline: res.pipeline,
    openvinoVersion: res.openvinoVersion,
    device,
    params,
    criteria: {...criteria, matchRadiusM: MATCH_RADIUS_M},
    margins: m,
    models: {fp32: res.fp32Models.map(model), int8: res.int8Models.map(model)},
    frames,
    totals: {
      frames: frames.length,
      passed,
      failed: frames.length - passed,
      fp32Boxes: frames.reduce((s, f) => s + f.fp32Count, 0),
      int8Boxes: frames.reduce((s, f) => s + f.int8Count, 0),
      matchedBoxes: frames.reduce((s, f) => s + f.matched, 0),
      recall: m.recall.value,
      maxAbsHeatmapDiff: Math.max(...frames.map((f) => f.maxAbsHeatmapDiff)),
    },
  };
}

function timings(res: NativeGateResult, runMs: number): GateTimings {
  const frames = res.frames.map((f) => ({id: f.id, loadMs: f.loadMs, fp32Ms: f.fp32Ms, int8Ms: f.int8Ms, decodeMs: f.decodeMs, compareMs: f.compareMs}));
  const sum = (k: 'loadMs' | 'fp32Ms' | 'int8Ms' | 'decodeMs' | 'compareMs'): number => frames.reduce((s, f) => s + f[k], 0);
  const [loadMs, fp32Ms, int8Ms, decodeMs, compareMs] = [sum('loadMs'), sum('fp32Ms'), sum('int8Ms'), sum('decodeMs'), sum('compareMs')];
  return {
    finishedAt: new Date().toISOString(),
    compileMs: res.compileMs,
    runMs,
    framesPerSecond: frames.length / ((runMs - res.compileMs) / 1000),
    loadMs, fp32Ms, int8Ms, decodeMs, compareMs,
    decodeShare: decodeMs / (loadMs + fp32Ms + int8Ms + decodeMs + compareMs),
    frames,
  };
}
