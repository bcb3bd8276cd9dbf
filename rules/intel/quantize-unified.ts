/**
 * `export/quantize_unified.py` (reference §3.9), run in spconvEnv (custom OpenVINO + NNCF), as two
 * nodes so the trap of §10.7 becomes graph structure:
 *  - `pseudo-gt` writes `_pseudo_gt.npz` as its *declared output* (into staging, never a stale
 *    cache in the calib dir), keyed by the FP32 model, geometry, calib dumps, config and n_calib/n_val;
 *  - `quantize` takes that exact file as an input and writes the INT8 IR (.xml + .bin).
 * `--config` is always passed (pitfall 4: without it V2X-I decode constants are used), every path
 * explicitly (pitfall 21), and `--device` and `NNCF_OV_DEVICE` are set together (pitfall 19).
 * `--config` makes the script import torchpack/mmcv/`mmdet3d.utils` inside spconvEnv, and it adds
 * only `export/` to sys.path: the repo's training dir goes on `PYTHONPATH` (mmdet3d lives there);
 * torchpack and mmcv must be installed in spconvEnv (`intel/import-probe` checks that up front).
 * `--n-calib/--n-val` default to the Doc's 300/100; the script asserts `n_calib + n_val ≤ frames`
 * dumped, so with `frames` (the dump's `--num-frames`) that is checked at analysis time instead.
 */
import {defineRule, fail, ok, z} from '../../src/index.ts';
import {configChain, inRepo, repoParams} from './common.ts';

const common = {
  ...repoParams,
  config: z.string(),
  modelFp32: z.string().regex(/\.onnx$/),
  geoDir: z.string(),
  calibDir: z.string(),
  nCalib: z.number().int().positive().default(300),
  nVal: z.number().int().positive().default(100),
  /** Frames in the calib dir (dump_voxels `--num-frames`): checked against nCalib + nVal. */
  frames: z.number().int().positive().optional(),
  /** `NNCF_HIST_SUBSAMPLE` (histogram subsampling, changes the INT8 scales: keyed); unset = the script's 500000. */
  histSubsample: z.number().int().nonnegative().optional(),
  device: z.string().default('GPU.1'),
  chunkSize: z.number().int().positive().optional(),
};

type Common = {repo: string; code: string[]; config: string; modelFp32: string; geoDir: string; calibDir: string; nCalib: number; nVal: number; device: string; chunkSize?: number | undefined; histSubsample?: number | undefined};

/** The script asserts this inside the tool, after everything before it ran. */
const fitsFrames = (p: {nCalib: number; nVal: number; frames?: number | undefined}) => p.frames === undefined || p.nCalib + p.nVal <= p.frames;
const fitsMessage = {message: 'nCalib + nVal exceeds the dumped frames (quantize_unified asserts n_calib + n_val ≤ #frames): lower them or dump more frames', path: ['nCalib']};

/** Keyed variables: the device knob the script reads apart from `--device`, the repo for mmdet3d, the histogram subsampling. */
const toolEnv = (p: Common, ctx: {in(p: string): string}): Record<string, string> => ({
  NNCF_OV_DEVICE: p.device,
  PYTHONPATH: ctx.in(p.repo),
  ...(p.histSubsample !== undefined ? {NNCF_HIST_SUBSAMPLE: String(p.histSubsample)} : {}),
});
/** Read by the pseudo-GT chunk loop; they pace the GPU and retry crashed chunks, the result is the same. */
const PASS_ENV = ['GPU_CHUNK_COOLDOWN_S', 'GPU_CHUNK_RETRIES'];

const sharedInputs = (p: Common, root: string) => [...p.code, inRepo(p.repo, 'export/quantize_unified.py'), ...configChain(p.repo, p.config, root), p.modelFp32, p.geoDir, p.calibDir];
const sharedArgs = (p: Common, ctx: {in(p: string): string}) => [
  '--config', p.config,
  '--n-calib', String(p.nCalib),
  '--n-val', String(p.nVal),
  '--device', p.device,
  '--model-fp32', ctx.in(p.modelFp32),
  '--geo-dir', ctx.in(p.geoDir),
  '--calib-dir', ctx.in(p.calibDir),
  ...(p.chunkSize ? ['--chunk-size', String(p.chunkSize)] : []),
];

export const quantizeUnifiedPseudoGt = defineRule({
  name: 'intel/quantize-unified-pseudo-gt',
  version: 1,
  description: 'quantize_unified.py --stage pseudo-gt → _pseudo_gt.npz (FP32 self-distillation targets)',
  params: z.object({...common, output: z.string().regex(/\.npz$/)}).strict().refine(fitsFrames, fitsMessage),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => sharedInputs(p, ctx.root),
  outputs: (p) => [p.output],
  cwd: (p) => p.repo,
  env: toolEnv,
  passEnv: () => PASS_ENV,
  argv: (p, ctx) => [ctx.python(), '-u', 'export/quantize_unified.py', '--stage', 'pseudo-gt', ...sharedArgs(p, ctx), '--pseudo-gt-cache', ctx.out(p.output)],
});

export const quantizeUnified = defineRule({
  name: 'intel/quantize-unified',
  version: 1,
  description: 'quantize_unified.py --stage quantize → INT8 IR (.xml + .bin) via NNCF PTQ',
  params: z
    .object({
      ...common,
      pseudoGt: z.string().regex(/\.npz$/),
      output: z.string().regex(/\.xml$/),
      plainPtq: z.boolean().default(true),
      preset: z.enum(['performance', 'mixed']).default('mixed'),
      activationRange: z.enum(['minmax', 'mean_minmax', 'median_minmax', 'mean_no_outliers', 'mean_quantile', 'histogram']).default('histogram'),
      /** Fail the node when `[verify] mean recall` is below this (quantize_unified only prints it). */
      minRecall: z.number().min(0).max(1).optional(),
    })
    .strict()
    .refine(fitsFrames, fitsMessage),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => [...sharedInputs(p, ctx.root), p.pseudoGt],
  outputs: (p) => [p.output, p.output.replace(/\.xml$/, '.bin')],
  semantic: (p) => ({[p.output]: 'openvino-ir'}), // the .xml without NNCF/runtime rt_info; the .bin by bytes
  cwd: (p) => p.repo,
  env: toolEnv,
  passEnv: () => PASS_ENV,
  argv: (p, ctx) => [
    ctx.python(), '-u', 'export/quantize_unified.py', '--stage', 'quantize', ...sharedArgs(p, ctx),
    '--pseudo-gt-cache', ctx.in(p.pseudoGt),
    ...(p.plainPtq ? ['--plain-ptq'] : []),
    '--preset', p.preset,
    '--activation-range', p.activationRange,
    '--output', ctx.out(p.output),
  ],
  check: async (p, ctx) => {
    const m = /\[verify\] mean recall over (\d+) frames: ([\d.]+)/.exec(await ctx.log());
    if (p.minRecall !== undefined && (!m || Number(m[2]) < p.minRecall)) {
      return fail('recall-too-low', m ? `INT8 recall ${m[2]} over ${m[1]} frames is below minRecall ${p.minRecall}` : 'no "[verify] mean recall" line in the log');
    }
    return ok(undefined);
  },
});
