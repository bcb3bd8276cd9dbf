/**
 * `export/export_unified_onnx.py <config> <ckpt> --geometry-dir DIR -o OUT` (reference §3.7).
 * Guards: always `-o` (the default lands in the repo's export/); the fixed temp dir
 * `<repo>/export/_tmp_unified/` makes two exports collide, so nodes of one repo are mutually
 * exclusive (pitfall 9); the exporter always emits BevPoolV2, so it runs only if the checkpoint's
 * own merged config (train.py's `configs.yaml` next to it) says `use_bevpool: bevpoolv2`
 * (pitfall 1); strict=False loads that report missing keys fail the node (pitfall 2).
 */
import {dirname} from 'node:path';
import {defineRule, z} from '../../src/index.ts';
import {bevpoolV2Guard, checkNoMissingKeys, cudaParams, cudaResources, configChain, GUARD, inRepo, repoParams} from './common.ts';

/** The merged config train.py dumped next to the checkpoint (`<run dir>/configs.yaml`). */
const runConfig = (checkpoint: string) => `${dirname(checkpoint)}/configs.yaml`;

export const exportUnifiedOnnx = defineRule({
  name: 'intel/export-unified-onnx',
  version: 1,
  description: 'export_unified_onnx.py → bevfusion_unified.onnx (Pipeline B)',
  params: z
    .object({
      ...repoParams,
      ...cudaParams,
      config: z.string().regex(/\.yaml$/),
      // Any fixed file (a training's epoch_N.pth, a sweep select node's copy of one), never latest.pth.
      checkpoint: z.string().regex(/(?:^|\/)(?!latest\.pth$)[^/]+\.pth$/, 'expected an exact epoch_N.pth or a select node\'s model.pth (latest.pth moves)'),
      geometryDir: z.string(),
      output: z.string().regex(/\.onnx$/),
      outputBound: z.number().int().positive().default(80000),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => [...p.code, inRepo(p.repo, 'export/export_unified_onnx.py'), ...configChain(p.repo, p.config, ctx.root), p.checkpoint, runConfig(p.checkpoint), p.geometryDir, GUARD],
  outputs: (p) => [p.output],
  semantic: 'onnx', // dependents key on the model, not on the exporter's metadata (producer, doc strings)
  cwd: (p) => p.repo,
  resources: cudaResources,
  exclusive: (p) => `${p.repo}/export/_tmp_unified`,
  argv: (p, ctx) => [...bevpoolV2Guard({resolved: ctx.in(runConfig(p.checkpoint))}), ctx.python(), 'export/export_unified_onnx.py', p.config, ctx.in(p.checkpoint), '--geometry-dir', ctx.in(p.geometryDir), '-o', ctx.out(p.output), '--output-bound', String(p.outputBound)],
  check: async (_p, ctx) => checkNoMissingKeys(await ctx.log()),
});
