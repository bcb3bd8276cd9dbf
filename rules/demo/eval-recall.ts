/**
 * Demo-only: `tools/eval_recall.py CONFIG CKPT --split S --out FILE` — val recall of a checkpoint
 * with the deploy CenterHead decode, written as a metric file (`recall`, `precision`, counts) that
 * a sweep's `select` node (rules/select.ts) ranks checkpoints by. The real repo's counterpart is
 * the deploy's `tools/kitti_3d_eval.py`, whose `summary.json` a `select` node reads the same way.
 */
import {defineRule, z} from '../../src/index.ts';
import {modelParams, modelToolInputs} from '../intel/common.ts';

export const evalRecall = defineRule({
  name: 'demo/eval-recall',
  version: 1,
  description: 'eval_recall.py → metrics JSON (recall, precision) of a checkpoint',
  params: z
    .object({
      ...modelParams,
      /** Workspace path of the metrics JSON. */
      out: z.string().regex(/\.json$/),
      split: z.enum(['train', 'val']).default('val'),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p, ctx) => modelToolInputs(p, ['tools/eval_recall.py'], ctx.root),
  outputs: (p) => [p.out],
  cwd: (p) => p.repo,
  resources: (p) => ({cpu: 1, gpu: p.gpus}),
  argv: (p, ctx) => [ctx.python(), 'tools/eval_recall.py', p.config, ctx.in(p.checkpoint), '--split', p.split, '--quiet', '--out', ctx.out(p.out)],
});
