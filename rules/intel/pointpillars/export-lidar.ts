/**
 * `export/pointpillars/export-lidar.py --fixed-v 7000 --split val -o …/lidar_pfe_v7000.onnx`
 * (reference §3.13, §9.1 A4). The deploy binary (WD) loads only `lidar_pfe_v7000.onnx` for the FP
 * PFE, and quantize_all picks it up by mere existence (pitfalls 14–15): this node makes it
 * explicitly, and the quantize node declares it as an input.
 */
import {defineRule, z} from '../../../src/index.ts';
import {checkNoMissingKeys, cudaResources, modelParams, modelToolInputs} from '../common.ts';

export const ppExportLidarFixedV = defineRule({
  name: 'intel/pp-export-lidar-fixed-v',
  version: 1,
  description: 'export-lidar.py --fixed-v N → lidar_pfe_v<N>.onnx (static V, the deploy PFE)',
  params: z
    .object({...modelParams, output: z.string().regex(/lidar_pfe_v\d+\.onnx$/), fixedV: z.number().int().positive().default(7000), split: z.enum(['val', 'train', 'test']).default('val')})
    .strict()
    .refine((p) => p.output.endsWith(`lidar_pfe_v${p.fixedV}.onnx`), {message: 'output must be named lidar_pfe_v<fixedV>.onnx (the name deploy and quantize_all look for)', path: ['output']}),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => modelToolInputs(p, ['export/pointpillars/export-lidar.py'], ctx.root),
  outputs: (p) => [p.output],
  semantic: 'onnx',
  cwd: (p) => p.repo,
  resources: cudaResources,
  argv: (p, ctx) => [ctx.python(), 'export/pointpillars/export-lidar.py', '--config', p.config, '--ckpt', ctx.in(p.checkpoint), '--fixed-v', String(p.fixedV), '--split', p.split, '-o', ctx.out(p.output)],
  check: async (_p, ctx) => checkNoMissingKeys(await ctx.log()),
});
