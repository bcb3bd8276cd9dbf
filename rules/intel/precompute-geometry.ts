/**
 * `export/precompute_geometry.py <config> <ckpt> --from-dataset --split S --sample-idx I -o DIR`
 * (reference §3.6). Always `--from-dataset`: the script silently writes *dummy* geometry when
 * neither flag is given or `--data-path` does not exist (pitfall 26); the sample choice is a param
 * (part of the key) because the geometry is frozen to that sample's calibration.
 */
import {defineRule, fail, z} from '../../src/index.ts';
import {checkNoMissingKeys, cudaResources, modelParams, modelToolInputs} from './common.ts';

export const precomputeGeometry = defineRule({
  name: 'intel/precompute-geometry',
  version: 1,
  description: 'precompute_geometry.py → indices.bin, intervals.bin (BEVPool geometry)',
  params: z
    .object({
      ...modelParams,
      outDir: z.string(),
      split: z.enum(['train', 'val']).default('val'),
      sampleIdx: z.number().int().nonnegative().default(0),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => modelToolInputs(p, ['export/precompute_geometry.py'], ctx.root),
  outputs: (p) => [p.outDir],
  cwd: (p) => p.repo,
  resources: cudaResources,
  argv: (p, ctx) => [ctx.python(), 'export/precompute_geometry.py', p.config, ctx.in(p.checkpoint), '--from-dataset', '--split', p.split, '--sample-idx', String(p.sampleIdx), '-o', ctx.out(p.outDir)],
  check: async (_p, ctx) => {
    const log = await ctx.log();
    // mmcv's load_checkpoint defaults to strict=False here too (pitfall 2).
    return /dummy geometry/i.test(log) ? fail('dummy-geometry', 'precompute_geometry wrote dummy geometry (no usable sample); check the dataset and --split/--sample-idx') : checkNoMissingKeys(log);
  },
});
