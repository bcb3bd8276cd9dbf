/**
 * `tools/inference_vis.py <config> <ckpt> --split S --mode M [--bbox-score S] [--bbox-classes …]
 * --out-dir DIR [--key value…]` (reference §3.2, §9.1 A2 / §9.3 B2): optional visualisation of a
 * checkpoint. The checkpoint positional is required even in `gt` mode. The tool prints the whole
 * data dict every frame; that goes to the node's log, which is where huge output belongs.
 */
import {defineRule, z} from '../../src/index.ts';
import {modelToolInputs, overrideArgs, repoParams, splitSchema} from './common.ts';

export const inferenceVis = defineRule({
  name: 'intel/inference-vis',
  version: 1,
  description: 'inference_vis.py → <out>/{camera,lidar}/*.png',
  params: z
    .object({
      ...repoParams,
      config: z.string().regex(/\.yaml$/),
      checkpoint: z.string(),
      outDir: z.string(),
      split: splitSchema.default('val'),
      mode: z.enum(['gt', 'pred']).default('pred'),
      bboxScore: z.number().min(0).max(1).optional(),
      bboxClasses: z.array(z.number().int().nonnegative()).min(1).optional(),
      overrides: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
      data: z.array(z.string()).default([]),
      gpus: z.number().int().nonnegative().default(1),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => modelToolInputs(p, ['tools/inference_vis.py'], ctx.root),
  outputs: (p) => [p.outDir],
  cwd: (p) => p.repo,
  resources: (p) => ({gpu: p.gpus}),
  argv: (p, ctx) => [
    ctx.python(), 'tools/inference_vis.py', p.config, ctx.in(p.checkpoint),
    '--split', p.split,
    '--mode', p.mode,
    ...(p.bboxScore !== undefined ? ['--bbox-score', String(p.bboxScore)] : []),
    ...(p.bboxClasses ? ['--bbox-classes', ...p.bboxClasses.map(String)] : []),
    '--out-dir', ctx.out(p.outDir),
    ...overrideArgs(p.overrides),
  ],
});
