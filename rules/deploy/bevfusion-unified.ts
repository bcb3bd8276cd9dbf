/**
 * `./bevfusion_unified <dataset> --preset P --model FILE [--fp16] … --dump-pred --pred-dir DIR`
 * (Pipeline B, reference §4.3, §9.3 B10). `--model` is always explicit (never the `../data`
 * probing); INT8 is the binary's default and it has no `--int8` flag, FP16 is `--fp16`. Runs in a
 * toolchain providing the custom OpenVINO with the sparse ops (`LD_LIBRARY_PATH`). V2X caches camera
 * metas after the first frame by default — no calib-resync in unified (pitfall 27) — so V2X runs
 * recompute them per frame unless `cameraMetas: 'cache'` says otherwise (KITTI recomputes by default).
 */
import {defineRule, z} from '../../src/index.ts';
import {commonFlags, DATASET_DIRS, deployParams, ovCacheEnv, ONEAPI_ENV, RUNNER, runOutputs, wrap} from './deploy-args.ts';

/** Pitfall 27: multi-calibration V2X data decoded with the first frame's metas degrades after a calibration change. */
export function cameraMetaFlags(preset: string, choice: 'recompute' | 'cache' | undefined): string[] {
  const c = choice ?? (preset === 'v2x' ? 'recompute' : undefined);
  return c ? [c === 'recompute' ? '--recompute-camera-metas' : '--cache-camera-metas'] : [];
}

export const bevfusionUnifiedRun = defineRule({
  name: 'deploy/bevfusion-unified',
  version: 1,
  description: './bevfusion_unified (Pipeline B) on a KITTI-style split → run.json + pred/',
  params: z
    .object({
      ...deployParams,
      /** `bevfusion_unified_int8.xml` (needs its .bin) or `bevfusion_unified_fp16.onnx`, matching `precision`. */
      model: z.string(),
      cameraMetas: z.enum(['recompute', 'cache']).optional(),
    })
    .strict()
    .refine((p) => (p.precision === 'int8' ? p.model.endsWith('.xml') : p.model.endsWith('.onnx')), {path: ['model'], message: 'int8 runs load the INT8 IR (.xml), fp16 runs the ONNX'}),
  toolchain: (p) => p.env,
  inputs: (p) => [p.binary, p.model, ...(p.model.endsWith('.xml') ? [p.model.replace(/\.xml$/, '.bin')] : []), ...DATASET_DIRS.map((d) => `${p.dataset}/${d}`), RUNNER],
  outputs: (p) => runOutputs(p.outDir),
  exclusive: () => 'deploy-gpu',
  env: (_p, ctx) => ovCacheEnv(ctx),
  passEnv: () => ONEAPI_ENV,
  argv: (p, ctx) =>
    wrap('bevfusion_unified', p.precision, ctx, p.outDir, ctx.in(p.dataset), [
      ctx.in(p.binary), ctx.in(p.dataset),
      ...commonFlags(p),
      '--model', ctx.in(p.model),
      ...cameraMetaFlags(p.preset, p.cameraMetas),
      ...(p.precision === 'fp16' ? ['--fp16'] : []),
    ]),
});
