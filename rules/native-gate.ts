/**
 * The native INT8-vs-FP32 validation gate as graph nodes (DESIGN.md decision 11, issue 4):
 *  - `native/addon` compiles the node-addon-api addon against the OpenVINO of a toolchain; keyed
 *    by the addon sources and that toolchain (switching OpenVINO rebuilds it);
 *  - `validate-int8` runs FP32 and INT8 models on the same frames, decodes with the deploy
 *    post-processing and matches boxes per frame; `validation.json` (verdicts and margins, no
 *    timings: deterministic), `timings.json` and `report.html` are its outputs. `deploy/*` read
 *    only validation.json, so nothing is published unless the gate passed, and a re-validation
 *    with the same verdicts does not re-publish (early cutoff).
 */
import {spawnSync} from 'node:child_process';
import {createRequire} from 'node:module';
import {join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {defineRule, fail, ok, z} from '../src/index.ts';
import {validatorArgv} from './validate-int8.ts';

const NATIVE = fileURLToPath(new URL('../native', import.meta.url));
/** The gate's TS side (CLI, verdicts, report): editing it changes validation.json, so it keys the gate. */
const GATE_CODE = ['validate-cli.ts', 'validate.ts', 'compare.ts', 'decode-params.ts', 'addon.ts', 'report-html.ts'].map((f) => `${NATIVE}/${f}`);
/** tsx's loader by absolute URL: the tools run with any cwd (the workspace may be anywhere). */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

export const nativeAddon = defineRule({
  name: 'native/addon',
  version: 1,
  description: 'node-addon-api OpenVINO gate addon, built with cmake against a toolchain\'s OpenVINO',
  params: z
    .object({
      /** Toolchain: a Python env with the `openvino` wheel, or an OpenVINO-root env node. */
      env: z.string(),
      /** A custom OpenVINO build (its CMake dir or `<root>`): used instead of the env's wheel. */
      openvinoDir: z.string().optional(),
      outDir: z.string(),
    })
    .strict(),
  toolchain: (p) => p.env,
  // It links the OpenVINO runtime only: an NNCF (or any other) pin bump must not rebuild it.
  toolchainUses: (p) => (p.openvinoDir ? undefined : ['openvino']),
  inputs: () => [`${NATIVE}/CMakeLists.txt`, `${NATIVE}/src`, `${NATIVE}/build.ts`, `${NATIVE}/locate-openvino.ts`],
  outputs: (p) => [p.outDir],
  argv: (p, ctx) => ['node', '--import', TSX, `${NATIVE}/build.ts`, ...(p.openvinoDir ? ['--openvino-dir', p.openvinoDir] : ['--python', ctx.python()]), '--out', ctx.out(p.outDir)],
  resources: () => ({cpu: 2}),
  timeoutMs: () => 15 * 60_000,
  // The addon has no RUNPATH and loads OpenVINO from the toolchain: audit loads it (in a child, as
  // the gate does), so a restored or moved addon that cannot work here is reported, not `fresh`.
  audit: (p, ctx) => {
    const {PATH_PREFIX: _, ...env} = ctx.env;
    const r = spawnSync(process.execPath, ['--import', TSX, `${NATIVE}/check-load.ts`, join(ctx.root, p.outDir)], {env: {...process.env, ...env}, encoding: 'utf8'});
    return r.status === 0 ? ok(undefined) : fail('native-addon-unusable', `${p.outDir} does not load: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  },
});

export const validateInt8 = defineRule({
  name: 'validate-int8',
  version: 2,
  description: 'Native OpenVINO gate: INT8 boxes must match FP32 boxes per frame (absolute tolerance) and over all frames (recall)',
  params: z
    .object({
      /** The toolchain whose OpenVINO libraries the addon links (made available when the gate runs). */
      env: z.string(),
      addonDir: z.string(),
      fp32: z.array(z.string()).min(1),
      int8: z.array(z.string()).min(1),
      framesDir: z.string(),
      preset: z.enum(['kitti', 'v2x']),
      consts: z.record(z.string(), z.string()).default({}),
      device: z.string().default('CPU'),
      scoreThreshold: z.number().optional(),
      filterLabels: z.array(z.number().int()).optional(),
      maxBoxDiff: z.number().int().nonnegative().optional(),
      minRecall: z.number().min(0).max(1).optional(),
      outDir: z.string(),
    })
    .strict()
    .refine((p) => p.fp32.length === p.int8.length, {message: 'fp32 and int8 chains must have the same number of stages', path: ['int8']}),
  toolchain: (p) => p.env,
  toolchainUses: () => ['openvino'], // runs the addon on the env's OpenVINO runtime; no Python
  // The gate's own TS code (verdicts, report) is an input too: editing it re-validates.
  inputs: (p) => [...GATE_CODE, p.addonDir, ...p.fp32, ...p.int8, ...p.int8.filter((f) => f.endsWith('.xml')).map((f) => f.replace(/\.xml$/, '.bin')), p.framesDir, ...Object.values(p.consts)],
  outputs: (p) => [`${p.outDir}/validation.json`, `${p.outDir}/timings.json`, `${p.outDir}/report.html`],
  // validation.json (the verdict) is byte-reproducible; the timings and the page that shows them are not.
  semantic: (p) => ({[`${p.outDir}/timings.json`]: 'volatile', [`${p.outDir}/report.html`]: 'volatile'}),
  nondeterministic: 'timings.json and report.html record wall-clock timings of the run',
  argv: (p, ctx) => {
    const argv = validatorArgv({
      ...p,
      addonDir: ctx.in(p.addonDir),
      fp32: p.fp32.map(ctx.in),
      int8: p.int8.map(ctx.in),
      framesDir: ctx.in(p.framesDir),
      consts: Object.fromEntries(Object.entries(p.consts).map(([k, v]) => [k, ctx.in(v)])),
      outDir: ctx.outDir(p.outDir),
    });
    // validatorArgv starts with `<node> --import tsx`; use PATH's node and tsx by URL (any cwd).
    return ['node', '--import', TSX, ...argv.slice(3)];
  },
});
