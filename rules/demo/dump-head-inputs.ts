/**
 * Demo-only: `export/pointpillars/dump_head_inputs.py` writes, per val frame, the fuser's inputs
 * (`<fid>_cam_bev.npy`, `<fid>_lidar_bev.npy`: FP32 camera/PFE + bev-pool/scatter) and a
 * manifest, so the native gate can compare Pipeline A's fuser→head chain FP32 vs INT8. The real
 * deploy computes those BEV maps in C++ (SYCL); the demo keeps them in numpy.
 */
import {defineRule, z} from '../../src/index.ts';
import {checkNoMissingKeys, modelParams, modelToolInputs} from '../intel/common.ts';

export const dumpHeadInputs = defineRule({
  name: 'demo/dump-head-inputs',
  version: 1,
  description: 'dump_head_inputs.py → <fid>_{cam_bev,lidar_bev}.npy + manifest.txt (gate frames for Pipeline A)',
  params: z
    .object({
      ...modelParams,
      outDir: z.string(),
      numFrames: z.number().int().positive(),
      split: z.enum(['train', 'val', 'test']).default('val'),
      fixedV: z.number().int().positive().default(7000),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => modelToolInputs(p, ['export/pointpillars/*.py'], ctx.root),
  outputs: (p) => [p.outDir],
  cwd: (p) => p.repo,
  argv: (p, ctx) => [ctx.python(), 'export/pointpillars/dump_head_inputs.py', '--config', p.config, '--ckpt', ctx.in(p.checkpoint), '-o', ctx.out(p.outDir), '--num-frames', String(p.numFrames), '--split', p.split, '--fixed-v', String(p.fixedV)],
  check: async (_p, ctx) => checkNoMissingKeys(await ctx.log()),
});
