/**
 * Loads the built addon (`bevbuild_native.node` from native/build.ts) and types its exports.
 * The addon has no RUNPATH (it is cached and restored into workspaces at other paths), so the
 * loader first preloads the toolchain's `libopenvino` globally; the addon's `NEEDED` entry then
 * resolves to it. A missing or unloadable binary is an expected failure, not a crash.
 */
import {existsSync, readFileSync, readdirSync} from 'node:fs';
import {createRequire} from 'node:module';
import {constants} from 'node:os';
import {join, resolve} from 'node:path';
import {fail, ok, type Result} from '../src/result.ts';
import type {DecodeParams} from './decode-params.ts';
import {locateFromDir} from './locate-openvino.ts';

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
  /** OpenVINO CPU inference threads; 0 = the device default. */
  threads: number;
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

const isLibopenvino = (f: string): boolean => /^libopenvino\.so(\.\d+)*$/.test(f);
const hasLibopenvino = (d: string): boolean => existsSync(d) && readdirSync(d).some(isLibopenvino);

/**
 * The OpenVINO library dir of the toolchain the process runs in: a venv's wheel (`VIRTUAL_ENV`,
 * which bevbuild's python-venv toolchain provides), else `OpenVINO_DIR` / `OPENVINO_ROOT` (a custom
 * build). Undefined when none is set: the system loader (`LD_LIBRARY_PATH`, ld.so.cache) decides.
 */
export function openvinoLibDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const venv = env['VIRTUAL_ENV'];
  if (venv && existsSync(join(venv, 'lib'))) {
    for (const py of readdirSync(join(venv, 'lib')).filter((d) => d.startsWith('python')).sort()) {
      const libs = join(venv, 'lib', py, 'site-packages', 'openvino', 'libs');
      if (hasLibopenvino(libs)) return libs;
    }
  }
  const dir = env['OpenVINO_DIR'] ?? env['OPENVINO_ROOT'];
  if (dir) {
    const loc = locateFromDir(dir);
    if (loc.ok) return loc.value.libDir;
  }
  return undefined;
}

// RTLD_NODELETE (glibc): process.dlopen closes a library that registers no Node module; this
// keeps libopenvino mapped, with its symbols global, for the addon loaded next.
const RTLD_NODELETE = 0x1000;

/** Makes `libopenvino` from `libDir` resolvable for the addon's NEEDED entry. */
function preloadOpenvino(libDir: string, addonDir: string): Result<string> {
  let names = readdirSync(libDir).filter(isLibopenvino).sort();
  // Prefer the exact file the addon was built against (its fingerprint names it).
  try {
    const built = Object.keys((JSON.parse(readFileSync(join(addonDir, 'fingerprint.json'), 'utf8')) as {libDigests: Record<string, string>}).libDigests).filter(isLibopenvino);
    names = [...built.filter((n) => names.includes(n)), ...names];
  } catch {
    // no fingerprint: any libopenvino of the dir
  }
  const lib = names[0];
  if (!lib) return fail('native-addon-not-found', `No libopenvino.so* in ${libDir}.`);
  try {
    process.dlopen({exports: {}}, join(libDir, lib), constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL | RTLD_NODELETE);
  } catch (e) {
    // Expected: libopenvino is not a Node module. Anything else means dlopen itself failed.
    if (!/did not self-register/.test((e as Error).message)) return fail('native-addon-not-found', `Cannot load ${join(libDir, lib)}: ${(e as Error).message}`);
  }
  return ok(join(libDir, lib));
}

/**
 * Loads `<dir>/bevbuild_native.node` against the OpenVINO in `libDir` (default: the toolchain's,
 * see `openvinoLibDir`).
 */
export function loadAddon(dir: string, libDir: string | undefined = openvinoLibDir()): Result<NativeAddon> {
  const file = join(resolve(dir), 'bevbuild_native.node');
  if (!existsSync(file)) {
    return fail(
      'native-addon-not-found',
      `No native addon at ${file}. Build it with: node --import tsx native/build.ts --python <python with openvino> --out ${dir}`,
    );
  }
  if (libDir) {
    const pre = preloadOpenvino(libDir, dir);
    if (!pre.ok) return pre;
  }
  try {
    return ok(require(file) as NativeAddon);
  } catch (e) {
    const where = libDir ? `the OpenVINO in ${libDir}` : 'no toolchain OpenVINO (none found through VIRTUAL_ENV, OpenVINO_DIR or OPENVINO_ROOT)';
    return fail(
      'native-addon-not-found',
      `Cannot load ${file} with ${where}: ${(e as Error).message}. Run the gate in the toolchain the addon was built against (bevbuild does), or rebuild it with native/build.ts.`,
    );
  }
}
