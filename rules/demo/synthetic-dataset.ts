/**
 * Demo-only: the synthetic dataset in KITTI 3D-object layout (`tools/make_synthetic_dataset.py`),
 * standing in for the external KITTI / DAIR-V2X-I-kitti downloads. It is a graph node like any
 * other: deterministic from its seed, cached, restorable. Its two outputs are the directories
 * `training/` and `ImageSets/`, so the infos that create_data writes beside them belong to
 * another node.
 */
import {defineRule, z} from '../../src/index.ts';
import {inRepo, repoParams} from '../intel/common.ts';

export const syntheticDataset = defineRule({
  name: 'demo/synthetic-dataset',
  version: 1,
  description: 'make_synthetic_dataset.py → KITTI-layout training/ + ImageSets/',
  params: z
    .object({
      ...repoParams,
      outDir: z.string(),
      variant: z.enum(['kitti', 'dair-v2x-i-kitti']),
      numFrames: z.number().int().positive(),
      seed: z.number().int().nonnegative().default(0),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p) => [...p.code, inRepo(p.repo, 'tools/make_synthetic_dataset.py')],
  outputs: (p) => [`${p.outDir}/training`, `${p.outDir}/ImageSets`],
  cwd: (p) => p.repo,
  argv: (p, ctx) => [ctx.python(), 'tools/make_synthetic_dataset.py', '--out-dir', ctx.outDir(p.outDir), '--variant', p.variant, '--num-frames', String(p.numFrames), '--seed', String(p.seed)],
});
