/**
 * Loads the built addon (`bevbuild_native.node` from native/build.ts) and types its exports.
 * A missing or unloadable binary is an expected failure (CI without OpenVINO), not a crash.
 */
import {existsSync} from 'node:fs';
import {createRequire} from 'node:module';
import {join, resolve} from 'node:path';
import {fail, ok, type Result} from '../src/result.ts';
import type {DecodeParams} from './decode-params.ts';

/** One task's head outputs for `decode`, each `[channels, h, w]` flattened. */
export interface TaskHeadArrays {
  classes: number;
  h: number;
  w: number;
  heatmap: Float32Array;
  reg: Float32Array;
  height: Float32Array;
  dim: Float32Array;
  rot: Float32Array;
  vel: Float32Array;
}

/** What `validate` takes; every field normalised by native/validate.ts. */
export interface NativeGateSpec {
  fp32: string[];
  int8: string[];
  framesDir: string;
  frameIds: string[];
  consts: {name: string; path: string}[];
  device: string;
  params: DecodeParams;
}

/** A model port as OpenVINO reports it. */
export interface NativePort {
  name: string;
  shape: string;
  type: string;
}

/** One frame as the addon returns it; boxes are `BOX_FIELDS` floats each. */
export interface NativeFrame {
  id: string;
  fp32: Float32Array;
  int8: Float32Array;
  maxAbsHeatmapDiff: number;
  loadMs: number;
  fp32Ms: number;
  int8Ms: number;
  decodeMs: number;
  compareMs: number;
}

/** The addon's resolved `validate` value. */
export interface NativeGateResult {
  openvinoVersion: string;
  pipeline: 'unified' | 'split';
  compileMs: number;
  /** Task-1 pre_max actually used (the params value, or the pipeline's deploy default). */
  preMax: number;
  fp32Models: {path: string; inputs: NativePort[]; outputs: NativePort[]}[];
  int8Models: {path: string; inputs: NativePort[]; outputs: NativePort[]}[];
  frames: NativeFrame[];
}

/** The addon's exports. */
export interface NativeAddon {
  /** Runs the gate on the libuv pool; rejects with an Error carrying `.code`. */
  validate(spec: NativeGateSpec): Promise<NativeGateResult>;
  /** Synchronous decode + NMS of one frame's head outputs (test entry). */
  decode(tasks: TaskHeadArrays[], params: DecodeParams): Float32Array;
  openvinoVersion(): string;
}

/** Floats per box: x, y, z(bottom), l, w, h, yaw, vx, vy, score, label. */
export const BOX_FIELDS = 11;

const require = createRequire(import.meta.url);

/** Loads `<dir>/bevbuild_native.node`. */
export function loadAddon(dir: string): Result<NativeAddon> {
  const file = join(resolve(dir), 'bevbuild_native.node');
  if (!existsSync(file)) {
    return fail(
      'native-addon-not-found',
      `No native addon at ${file}. Build it with: node --import tsx native/build.ts --python <python with openvino> --out ${dir}`,
    );
  }
  try {
    return ok(require(file) as NativeAddon);
  } catch (e) {
    return fail(
      'native-addon-not-found',
      `Cannot load ${file}: ${(e as Error).message}. The OpenVINO libraries it was built against may have moved; rebuild it with native/build.ts.`,
    );
  }
}
