/**
 * `export/pointpillars/quantize_all.py --config --ckpt --onnx-dir --out-dir --num-samples`
 * (reference §3.18, §9.1 A5): NNCF PTQ of the four Pipeline-A models → quantized_{camera,lidar_pfe,
 * fuser,head}.{xml,bin}. `lidar_pfe_v7000.onnx` is a declared input (the script silently falls back
 * to the dynamic `lidar_pfe.onnx` when it is absent, pitfall 15).
 */
import {defineRule, z} from '../../../src/index.ts';
import {checkNoMissingKeys, cudaParams, cudaResources, configChain, inRepo, repoParams} from '../common.ts';
import {PP_EXPORTS} from './export-all.ts';

/** The scripts quantize_all.py runs (listed, not globbed: input globs are workspace-relative). */
const SCRIPTS = ['quantize_all.py', '_calib_data.py', ...['camera_backbone', 'lidar_pfe', 'fuser', 'head'].map((s) => `quantize_${s}.py`)].map((f) => `export/pointpillars/${f}`);

export const PP_QUANTIZED = ['camera', 'lidar_pfe', 'fuser', 'head'].flatMap((s) => [`quantized_${s}.xml`, `quantized_${s}.bin`]);

export const ppQuantizeAll = defineRule({
  name: 'intel/pp-quantize-all',
  version: 1,
  description: 'quantize_all.py → quantized_{camera,lidar_pfe,fuser,head}.{xml,bin}',
  params: z
    .object({
      ...repoParams,
      ...cudaParams,
      config: z.string(),
      checkpoint: z.string(),
      /** Holds the 4 exports and lidar_pfe_v7000.onnx. */
      onnxDir: z.string(),
      outDir: z.string(),
      /** Calibration frames (the first N of the val split); every stage holds them all in RAM. */
      numSamples: z.number().int().positive().default(300),
      data: z.array(z.string()).default([]),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => [...p.code, 
    ...SCRIPTS.map((f) => inRepo(p.repo, f)),
    ...configChain(p.repo, p.config, ctx.root),
    p.checkpoint,
    ...PP_EXPORTS.map((f) => `${p.onnxDir}/${f}`),
    `${p.onnxDir}/lidar_pfe_v7000.onnx`,
    ...p.data,
  ],
  outputs: (p) => PP_QUANTIZED.map((f) => `${p.outDir}/${f}`),
  semantic: (p) => Object.fromEntries(PP_QUANTIZED.filter((f) => f.endsWith('.xml')).map((f) => [`${p.outDir}/${f}`, 'openvino-ir' as const])),
  cwd: (p) => p.repo,
  resources: cudaResources,
  argv: (p, ctx) => [ctx.python(), 'export/pointpillars/quantize_all.py', '--config', p.config, '--ckpt', ctx.in(p.checkpoint), '--onnx-dir', ctx.in(p.onnxDir), '--out-dir', ctx.outDir(p.outDir), '--num-samples', String(p.numSamples), '--python', ctx.python()],
  check: async (_p, ctx) => checkNoMissingKeys(await ctx.log()),
});
