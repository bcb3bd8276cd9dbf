/**
 * Publishing into a deploy model dir under the exact names the WD binaries load (reference §7,
 * §4.2, §4.3), through the generic `publish` tool:
 *  - Pipeline A (`pointpillars`): the full set `./bevfusion` can ever load — `camera.backbone.onnx,
 *    lidar_pfe_v7000.onnx, fuser.onnx, head.onnx, quantized_{camera,lidar_pfe,fuser,head}.{xml,bin}`.
 *    `lidar_pfe_v7000.onnx` is always published, also for INT8 runs (FP fallback, pitfall 14), and
 *    `fuser.onnx` too (Battlemage replaces the INT8 fuser by it, pitfall 25). The dynamic
 *    `lidar_pfe.onnx` is never loaded by WD deploy and is not published.
 *  - Pipeline B (`second`): `bevfusion_unified_int8.{xml,bin}` and `bevfusion_unified_fp16.onnx`.
 *    No tool produces an FP16 unified ONNX (export_unified_onnx.py has no `--fp16`, pitfall 23).
 *    Decision: publish the **FP32** unified ONNX under the FP16 name — `./bevfusion_unified --fp16`
 *    compiles any ONNX with `inference_precision=f16`, so a converted FP16 file would only add a
 *    second rounding step and a tool we would have to invent.
 * `gates` are validation outputs that must exist (i.e. passed) before the dir is made.
 */
import {fileURLToPath} from 'node:url';
import {defineRule, z} from '../../src/index.ts';
import {PP_QUANTIZED} from './pointpillars/quantize-all.ts';

const PUBLISH = fileURLToPath(new URL('../tools/publish.mjs', import.meta.url));

/** Deploy data dir name of a preset (`D/data/<name>/…`). */
export const PRESET_DIR = {v2x: 'v2xfusion', kitti: 'kitti'} as const;

const common = {
  preset: z.enum(['v2x', 'kitti']),
  /** Ends with `<v2xfusion|kitti>/<pipeline>` so the dir can be dropped into `D/data/` as is. */
  outDir: z.string(),
  gates: z.array(z.string()).default([]),
};

const params = z
  .discriminatedUnion('pipeline', [
    z.object({
      ...common,
      pipeline: z.literal('pointpillars'),
      /** Holds camera.backbone.onnx, fuser.onnx, head.onnx (export_all's out dir). */
      onnxDir: z.string(),
      /** The static-V PFE (export-lidar --fixed-v 7000). */
      pfeV7000: z.string().regex(/lidar_pfe_v7000\.onnx$/),
      /** Holds quantized_{camera,lidar_pfe,fuser,head}.{xml,bin}. */
      quantizedDir: z.string(),
    }).strict(),
    z.object({
      ...common,
      pipeline: z.literal('second'),
      int8Xml: z.string().regex(/\.xml$/),
      /** The FP32 unified ONNX from export_unified_onnx.py (published as bevfusion_unified_fp16.onnx). */
      fp32Onnx: z.string().regex(/\.onnx$/),
    }).strict(),
  ])
  .superRefine((p, ctx) => {
    const tail = `${PRESET_DIR[p.preset]}/${p.pipeline}`;
    if (!p.outDir.replace(/\/$/, '').endsWith(tail)) ctx.addIssue({code: 'custom', path: ['outDir'], message: `expected a dir ending in ${tail} (the layout the binaries' defaults use)`});
  });
type Params = z.output<typeof params>;

/** Deploy file name → workspace source path: the exact publish set (§7). */
export function publishSet(p: Params): Record<string, string> {
  if (p.pipeline === 'second') {
    const bin = p.int8Xml.replace(/\.xml$/, '.bin');
    return {'bevfusion_unified_int8.xml': p.int8Xml, 'bevfusion_unified_int8.bin': bin, 'bevfusion_unified_fp16.onnx': p.fp32Onnx};
  }
  const files: Record<string, string> = {'lidar_pfe_v7000.onnx': p.pfeV7000};
  for (const f of ['camera.backbone.onnx', 'fuser.onnx', 'head.onnx']) files[f] = `${p.onnxDir}/${f}`;
  for (const f of PP_QUANTIZED) files[f] = `${p.quantizedDir}/${f}`;
  return files;
}

export const publishIntel = defineRule({
  name: 'intel/publish',
  version: 1,
  description: 'Copy exports into deploy/data/<preset>/<pipeline>/ under the names ./bevfusion[_unified] load',
  params,
  inputs: (p) => [...Object.values(publishSet(p)), ...p.gates, PUBLISH],
  outputs: (p) => [p.outDir],
  argv: (p, ctx) => {
    const files = publishSet(p);
    return [process.execPath, PUBLISH, '--out', ctx.out(p.outDir), ...Object.keys(files).sort().map((n) => `${n}=${ctx.in(files[n]!)}`)];
  },
});
