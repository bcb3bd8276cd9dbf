/**
 * Validator: INT8 vs FP16 per-frame box counts of two deploy runs (`run.json` of deploy/bevfusion
 * or deploy/bevfusion-unified) → `validation.json`. The node fails — listing the mismatched
 * frames, or why the runs are not comparable — unless every frame matches within `maxCountDiff`;
 * a publish node that gates on `validation.json` therefore only exists for a passing model.
 */
import {defineRule, z} from '../../src/index.ts';
import {nodeTool, toolPath} from '../intel/node-tool.ts';

const TOOL = toolPath(import.meta.url, './tools/compare-counts.ts');

export const compareCounts = defineRule({
  name: 'deploy/compare-counts',
  version: 1,
  description: 'INT8 vs FP16 per-frame box counts of two deploy runs → validation.json',
  params: z
    .object({
      /** `run.json` of the INT8 run. */
      int8Run: z.string().regex(/run\.json$/),
      /** `run.json` of the FP16 run (same binary, flags and samples). */
      fp16Run: z.string().regex(/run\.json$/),
      output: z.string().regex(/\.json$/),
      maxCountDiff: z.number().int().nonnegative().default(0),
    })
    .strict(),
  inputs: (p) => [p.int8Run, p.fp16Run, TOOL],
  outputs: (p) => [p.output],
  argv: (p, ctx) => [...nodeTool(TOOL), '--int8', ctx.in(p.int8Run), '--fp16', ctx.in(p.fp16Run), '--max-count-diff', String(p.maxCountDiff), '--out', ctx.out(p.output)],
});
