/**
 * `export/pointpillars/export_all.py --config --ckpt --out-dir` (reference §3.11, §9.1 A3):
 * camera.backbone.onnx, lidar_pfe.onnx (dynamic V), fuser.onnx, head.onnx. `--config` and `--ckpt`
 * are always explicit (pitfall 3: the script defaults are V2X-I); the child cwd is forced to the
 * repo, so every path is passed absolute.
 */
import {defineRule, z} from '../../../src/index.ts';
import {checkNoMissingKeys, cudaResources, modelParams, modelToolInputs} from '../common.ts';

export const PP_EXPORTS = ['camera.backbone.onnx', 'lidar_pfe.onnx', 'fuser.onnx', 'head.onnx'] as const;

/** The scripts export_all.py runs (listed, not globbed: input globs are workspace-relative and the repo usually is not). */
const SCRIPTS = ['export_all.py', 'export-camera.py', 'export-lidar.py', 'export-fuser.py', 'export-head.py'].map((f) => `export/pointpillars/${f}`);

export const ppExportAll = defineRule({
  name: 'intel/pp-export-all',
  version: 1,
  description: 'export_all.py → the 4 Pipeline-A ONNX files',
  params: z.object({...modelParams, outDir: z.string()}).strict(),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => modelToolInputs(p, [...SCRIPTS], ctx.root),
  outputs: (p) => PP_EXPORTS.map((f) => `${p.outDir}/${f}`),
  semantic: 'onnx',
  cwd: (p) => p.repo,
  resources: cudaResources,
  argv: (p, ctx) => [ctx.python(), 'export/pointpillars/export_all.py', '--config', p.config, '--ckpt', ctx.in(p.checkpoint), '--out-dir', ctx.outDir(p.outDir), '--python', ctx.python()],
  check: async (_p, ctx) => checkNoMissingKeys(await ctx.log()),
});
