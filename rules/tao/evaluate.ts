/**
 * `tao/evaluate`: `bevfusion evaluate` of one exact checkpoint on the val split (KITTI has no
 * labelled test split). status.json carries no KPI for evaluate (§3.2), so the check copies the
 * mmengine metric dump `<ts>/<ts>.json` to a stable `metrics.json` output.
 */
import {writeFileSync} from 'node:fs';
import {defineRule, z} from '../../src/index.ts';
import {evaluateArtifacts} from './artifacts.ts';
import {taoCheck, VERDICT_FILE} from './check.ts';
import {dataViewInputs, dataViewMounts} from './data-view.ts';
import {dockerOpts, dockerRunArgv, IN_CONTAINER} from './docker.ts';
import {checkpointInContainer, refineSpec, runParams} from './run-params.ts';

const SPLITS = ['val'];

export const evaluateParams = z
  .object({
    ...runParams,
    /** The exact `epoch_N.pth` to evaluate (workspace path of a train output, or absolute). */
    checkpoint: z.string().regex(/\.pth$/),
  })
  .strict()
  .superRefine(refineSpec('evaluate', () => 1, (p: {checkpoint: string}) => p.checkpoint));

export const taoEvaluate = defineRule({
  name: 'tao/evaluate',
  version: 1,
  description: 'bevfusion evaluate → metrics.json (TAO3D AP11/AP40)',
  params: evaluateParams,
  inputs: (p) => [p.specFile, p.checkpoint, ...dataViewInputs(p, SPLITS)],
  outputs: (p) => [`${p.outDir}/metrics.json`, `${p.outDir}/status.json`, `${p.outDir}/${VERDICT_FILE}`],
  resources: () => ({cpu: 4, gpu: 1}),
  exitCode: 'check',
  argv: (p, ctx) => {
    const mounts = [
      ...dataViewMounts(p, SPLITS, ctx),
      {host: ctx.in(p.specFile), container: `${IN_CONTAINER.specs}/evaluate.yaml`, readOnly: true},
      {host: ctx.in(p.checkpoint), container: checkpointInContainer(p.checkpoint), readOnly: true},
      {host: ctx.outDir(p.outDir), container: `${IN_CONTAINER.results}/evaluate`, readOnly: false},
    ];
    return dockerRunArgv(dockerOpts(p, ctx, mounts, ['bevfusion', 'evaluate', '-e', `${IN_CONTAINER.specs}/evaluate.yaml`]));
  },
  check: (p, ctx) => {
    const dir = ctx.outDir(p.outDir);
    return taoCheck(
      {
        action: 'evaluate',
        statusFile: `${dir}/status.json`,
        verdictFile: ctx.out(`${p.outDir}/${VERDICT_FILE}`),
        artifacts: () => {
          const r = evaluateArtifacts(dir);
          if (r.metrics) writeFileSync(ctx.out(`${p.outDir}/metrics.json`), `${JSON.stringify(r.metrics, Object.keys(r.metrics).sort(), 2)}\n`);
          return r;
        },
      },
      ctx,
    );
  },
});
