/**
 * `./bevfusion <dataset> --preset P --model-dir DIR (--int8|--fp16) … --dump-pred --pred-dir DIR`
 * (Pipeline A, reference §4.2, §9.1 A8). `--model-dir` is always explicit so the binary never
 * resolves `../data/…` from its cwd (which is a per-run scratch dir); `OV_CACHE_DIR` is per run.
 * Output: `run.json` (per-frame counts, perf) and `pred/`.
 */
import {defineRule, z} from '../../src/index.ts';
import {commonFlags, DATASET_DIRS, deployParams, ovCacheEnv, ONEAPI_ENV, RUNNER, runOutputs, wrap} from './deploy-args.ts';

export const bevfusionRun = defineRule({
  name: 'deploy/bevfusion',
  version: 1,
  description: './bevfusion (split 4-model Pipeline A) on a KITTI-style split → run.json + pred/',
  params: z
    .object({
      ...deployParams,
      /** Published dir (intel/publish, pipeline pointpillars). */
      modelDir: z.string(),
      calibResync: z.enum(['auto', 'always', 'off']).default('auto'),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p) => [p.binary, p.modelDir, ...DATASET_DIRS.map((d) => `${p.dataset}/${d}`), RUNNER],
  outputs: (p) => runOutputs(p.outDir),
  exclusive: () => 'deploy-gpu', // one binary at a time: they share the first discrete GPU and their timings are results
  env: (_p, ctx) => ovCacheEnv(ctx),
  passEnv: () => ONEAPI_ENV,
  argv: (p, ctx) =>
    wrap('bevfusion', p.precision, ctx, p.outDir, ctx.in(p.dataset), [
      ctx.in(p.binary), ctx.in(p.dataset),
      ...commonFlags(p),
      '--model-dir', ctx.in(p.modelDir),
      '--calib-resync', p.calibResync,
      p.precision === 'fp16' ? '--fp16' : '--int8',
    ]),
});
