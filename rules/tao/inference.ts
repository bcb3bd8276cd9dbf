/**
 * `tao/inference`: `bevfusion inference` of one exact checkpoint over the val split →
 * `preds/<frame>.json` (9-dof LiDAR boxes with every proposal's score; `conf_threshold` only
 * filters the visualisation, §4.3). One prediction file per frame of `ImageSets/val.txt`.
 */
import {join} from 'node:path';
import {defineRule, z} from '../../src/index.ts';
import {inferenceArtifacts, splitIds} from './artifacts.ts';
import {taoCheck, VERDICT_FILE} from './check.ts';
import {dataViewInputs, dataViewMounts} from './data-view.ts';
import {dockerOpts, dockerRunArgv, IN_CONTAINER} from './docker.ts';
import {checkpointInContainer, refineSpec, runParams} from './run-params.ts';

const SPLITS = ['val'];

export const inferenceParams = z
  .object({
    ...runParams,
    /** The exact `epoch_N.pth` to run (workspace path of a train output, or absolute). */
    checkpoint: z.string().regex(/\.pth$/),
  })
  .strict()
  .superRefine(refineSpec('inference', () => 1, (p: {checkpoint: string}) => p.checkpoint));

export const taoInference = defineRule({
  name: 'tao/inference',
  version: 1,
  description: 'bevfusion inference → preds/<frame>.json',
  params: inferenceParams,
  inputs: (p) => [p.specFile, p.checkpoint, join(p.kittiRoot, 'ImageSets', 'val.txt'), ...dataViewInputs(p, SPLITS)],
  outputs: (p) => [`${p.outDir}/preds`, `${p.outDir}/status.json`, `${p.outDir}/${VERDICT_FILE}`],
  resources: () => ({cpu: 4, gpu: 1}),
  exitCode: 'check',
  argv: (p, ctx) => {
    const mounts = [
      ...dataViewMounts(p, SPLITS, ctx),
      {host: ctx.in(p.specFile), container: `${IN_CONTAINER.specs}/inference.yaml`, readOnly: true},
      {host: ctx.in(p.checkpoint), container: checkpointInContainer(p.checkpoint), readOnly: true},
      {host: ctx.outDir(p.outDir), container: `${IN_CONTAINER.results}/inference`, readOnly: false},
    ];
    return dockerRunArgv(dockerOpts(p, ctx, mounts, ['bevfusion', 'inference', '-e', `${IN_CONTAINER.specs}/inference.yaml`]));
  },
  check: (p, ctx) => {
    const dir = ctx.outDir(p.outDir);
    const frames = splitIds(ctx.in(join(p.kittiRoot, 'ImageSets', 'val.txt'))).length;
    return taoCheck({action: 'inference', statusFile: `${dir}/status.json`, verdictFile: ctx.out(`${p.outDir}/${VERDICT_FILE}`), artifacts: () => inferenceArtifacts(dir, frames)}, ctx);
  },
});
