/**
 * `tao/train`: `bevfusion train` → the exact `epoch_<num_epochs>.pth` (mmengine names checkpoints
 * unpadded and writes no latest/best file; `last_checkpoint` is a pointer, never "best", §4.1).
 * The checkpoint and status.json (per-epoch AP11) are the recorded outputs; evaluate and inference
 * take that exact file. Fine-tuning from a PTM goes through `resume_training_checkpoint_path`
 * (5.5 never reads `pretrained_checkpoint`, §1.6). A crash after the last checkpoint and its
 * validation (the numba-CUDA SIGSEGV, §3.3) keeps the outputs; see check.ts.
 * Resumable: an interrupted run continues from its last complete checkpoint (the one mmengine's
 * `last_checkpoint` names) with the spec keys `train.resume=true` and the exact
 * `train.resume_training_checkpoint_path` (Hydra overrides after `-e`): mmengine's resume()
 * restores epoch, iteration, optimizer and schedulers (§1.6). Never a null path (auto-resume
 * would pick whatever `last_checkpoint` says, not the checkpoint bevbuild kept).
 */
import {defineRule, z} from '../../src/index.ts';
import {trainArtifacts} from './artifacts.ts';
import {taoCheck, VERDICT_FILE} from './check.ts';
import {dataViewInputs, dataViewMounts} from './data-view.ts';
import {dockerOpts, dockerRunArgv, IN_CONTAINER} from './docker.ts';
import {checkpointInContainer, refineSpec, resolvedSpec, runParams} from './run-params.ts';

const SPLITS = ['train', 'val'];

export const trainParams = z
  .object({
    ...runParams,
    /** GPUs from bevbuild's pool (`--gpus device=…`); the spec's gpu_ids are container-relative 0..n-1. */
    gpus: z.number().int().min(1).default(1),
    /** Weights to fine-tune from (e.g. the NGC PTM `tao3d_bevfusion_epoch4.pth`), workspace-relative or absolute. */
    fineTuneFrom: z.string().regex(/\.pth$/).optional(),
  })
  .strict()
  .superRefine(refineSpec('train', (p: {gpus: number}) => p.gpus, (p: {fineTuneFrom?: string}) => p.fineTuneFrom));
type TrainParams = z.output<typeof trainParams>;

export const numEpochs = (p: TrainParams) => resolvedSpec('train', p, p.gpus, p.fineTuneFrom).train.num_epochs;
/** The handed-over checkpoint of a train node. */
export const trainCheckpoint = (outDir: string, epochs: number) => `${outDir}/epoch_${epochs}.pth`;

export const taoTrain = defineRule({
  name: 'tao/train',
  version: 1,
  description: 'bevfusion train → exact epoch_N.pth',
  params: trainParams,
  inputs: (p) => [p.specFile, ...dataViewInputs(p, SPLITS), ...(p.fineTuneFrom ? [p.fineTuneFrom] : [])],
  outputs: (p) => [trainCheckpoint(p.outDir, numEpochs(p)), `${p.outDir}/status.json`, `${p.outDir}/${VERDICT_FILE}`],
  resources: (p) => ({cpu: 8, gpu: p.gpus}),
  exitCode: 'check',
  resume: (p) => ({
    dir: p.outDir,
    checkpoint: {prefix: 'epoch_', suffix: '.pth', pointer: 'last_checkpoint'},
    args: (ckpt) => ['train.resume=true', `train.resume_training_checkpoint_path=${IN_CONTAINER.results}/train/${ckpt.name}`],
  }),
  argv: (p, ctx) => {
    const mounts = [
      ...dataViewMounts(p, SPLITS, ctx),
      {host: ctx.in(p.specFile), container: `${IN_CONTAINER.specs}/train.yaml`, readOnly: true},
      ...(p.fineTuneFrom ? [{host: ctx.in(p.fineTuneFrom), container: checkpointInContainer(p.fineTuneFrom), readOnly: true}] : []),
      {host: ctx.outDir(p.outDir), container: `${IN_CONTAINER.results}/train`, readOnly: false},
    ];
    return dockerRunArgv(dockerOpts(p, ctx, mounts, ['bevfusion', 'train', '-e', `${IN_CONTAINER.specs}/train.yaml`]));
  },
  check: (p, ctx) => {
    const dir = ctx.outDir(p.outDir);
    return taoCheck({action: 'train', statusFile: `${dir}/status.json`, verdictFile: ctx.out(`${p.outDir}/${VERDICT_FILE}`), artifacts: () => trainArtifacts(dir, numEpochs(p))}, ctx);
  },
});
