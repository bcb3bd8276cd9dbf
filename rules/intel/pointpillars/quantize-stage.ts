/**
 * `export/pointpillars/quantize_{camera_backbone,lidar_pfe,fuser,head}.py --config --ckpt --onnx
 * --out --num-samples --split` (reference §3.17, §9.1 A5'): the per-stage alternative to
 * quantize_all. The four scripts share one CLI, so one rule with a `stage` param wraps them.
 * Guards: `--config/--ckpt` always explicit (pitfall 3, the defaults are V2X-I); the PFE stage must
 * quantize the static `lidar_pfe_v7000.onnx` the deploy binary assumes (pitfalls 14–15); the output
 * is named as deploy loads it; strict=False loads that report missing keys fail (pitfall 2).
 */
import {basename} from 'node:path';
import {defineRule, z} from '../../../src/index.ts';
import {checkNoMissingKeys, cudaParams, cudaResources, modelToolInputs, repoParams} from '../common.ts';

/** Stage → the ONNX the script quantizes by default and the IR name deploy loads. */
export const PP_STAGES = {
  camera_backbone: {onnx: 'camera.backbone.onnx', out: 'quantized_camera.xml'},
  lidar_pfe: {onnx: 'lidar_pfe_v7000.onnx', out: 'quantized_lidar_pfe.xml'},
  fuser: {onnx: 'fuser.onnx', out: 'quantized_fuser.xml'},
  head: {onnx: 'head.onnx', out: 'quantized_head.xml'},
} as const;
export type PpStage = keyof typeof PP_STAGES;

export const ppQuantizeStage = defineRule({
  name: 'intel/pp-quantize-stage',
  version: 1,
  description: 'quantize_<stage>.py → quantized_<stage>.{xml,bin} (one Pipeline-A model)',
  params: z
    .object({
      ...repoParams,
      ...cudaParams,
      stage: z.enum(['camera_backbone', 'lidar_pfe', 'fuser', 'head']),
      config: z.string(),
      checkpoint: z.string(),
      onnx: z.string().regex(/\.onnx$/),
      out: z.string().regex(/\.xml$/),
      numSamples: z.number().int().positive().default(300),
      split: z.enum(['val', 'train']).default('val'),
      data: z.array(z.string()).default([]),
    })
    .strict()
    .superRefine((p, ctx) => {
      const want = PP_STAGES[p.stage];
      if (basename(p.onnx) !== want.onnx) {
        const why = p.stage === 'lidar_pfe' ? ' (deploy assumes the static V=7000 PFE; the dynamic lidar_pfe.onnx is never loaded)' : '';
        ctx.addIssue({code: 'custom', path: ['onnx'], message: `stage ${p.stage} must quantize ${want.onnx}${why}`});
      }
      if (basename(p.out) !== want.out) ctx.addIssue({code: 'custom', path: ['out'], message: `deploy loads ${want.out} for stage ${p.stage}`});
    }),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => [...modelToolInputs(p, [`export/pointpillars/quantize_${p.stage}.py`, 'export/pointpillars/_calib_data.py'], ctx.root), p.onnx],
  outputs: (p) => [p.out, p.out.replace(/\.xml$/, '.bin')],
  semantic: (p) => ({[p.out]: 'openvino-ir'}),
  cwd: (p) => p.repo,
  resources: cudaResources,
  argv: (p, ctx) => [
    ctx.python(), `export/pointpillars/quantize_${p.stage}.py`,
    '--config', p.config,
    '--ckpt', ctx.in(p.checkpoint),
    '--onnx', ctx.in(p.onnx),
    '--out', ctx.out(p.out),
    '--num-samples', String(p.numSamples),
    '--split', p.split,
  ],
  check: async (_p, ctx) => checkNoMissingKeys(await ctx.log()),
});
