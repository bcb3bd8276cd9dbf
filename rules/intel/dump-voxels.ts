/**
 * `export/dump_voxels.py <config> <ckpt> -o DIR --num-frames N --split S` (reference §3.8):
 * calibration dumps for quantize_unified. Always `-o` (the default is a developer's home path,
 * pitfall 21) into a fresh staging dir, so stale `*.npy` of earlier runs never mix in (pitfall 8).
 */
import {defineRule, z} from '../../src/index.ts';
import {checkNoMissingKeys, cudaResources, modelParams, modelToolInputs} from './common.ts';

export const dumpVoxels = defineRule({
  name: 'intel/dump-voxels',
  version: 1,
  description: 'dump_voxels.py → <fid>_{voxel_features,voxel_indices,img}.npy + manifest.txt',
  params: z
    .object({
      ...modelParams,
      outDir: z.string(),
      /** Frames dumped (the first N of the split); the Doc's 400 = 300 calibration + 100 validation. */
      numFrames: z.number().int().positive().default(400),
      split: z.enum(['train', 'val', 'test']).default('val'),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => modelToolInputs(p, ['export/dump_voxels.py'], ctx.root),
  outputs: (p) => [p.outDir],
  cwd: (p) => p.repo,
  resources: cudaResources,
  argv: (p, ctx) => [ctx.python(), 'export/dump_voxels.py', p.config, ctx.in(p.checkpoint), '-o', ctx.out(p.outDir), '--num-frames', String(p.numFrames), '--split', p.split],
  check: async (_p, ctx) => checkNoMissingKeys(await ctx.log()),
});
