/**
 * The whole TAO 5.5 BEVFusion KITTI chain as artifacts: convert → train → evaluate + inference,
 * each with its generated spec node. One call keeps what must agree in agreement: one user spec
 * for all three experiment actions (identical `model`, §1.3), the exact `epoch_<num_epochs>.pth`
 * of train handed to evaluate and inference, and the convert outputs mounted as their dataset.
 *
 *   ids (with base `tao/kitti`):  tao/kitti/convert, tao/kitti/train, tao/kitti/evaluate,
 *   tao/kitti/inference and tao/kitti/spec/<action> (the YAML files under <dir>/specs/).
 */
import type {ArtifactDecl} from '../../src/index.ts';
import {experimentSchema, type ExperimentInput} from '../../schemas/tao/experiment.ts';
import {convertSpec, taoConvert} from './convert.ts';
import {taoEvaluate} from './evaluate.ts';
import {taoInference} from './inference.ts';
import {wiredSpec} from './run-params.ts';
import {taoSpecFile} from './spec-file.ts';
import {taoTrain, trainCheckpoint} from './train.ts';

export interface TaoChainOptions {
  /** Artifact id prefix, e.g. `tao/kitti`. */
  base: string;
  /** Workspace dir (or absolute) for every output of the chain; default: `base`. */
  dir?: string;
  /** The KITTI root on the host: ImageSets/{train,val,test}.txt and training/{calib,image_2,label_2,velodyne}. */
  kittiRoot: string;
  /** The user's part of the experiment spec (model, optimizer, epochs, batch sizes…). */
  spec?: ExperimentInput;
  /** GPUs for training (evaluate and inference use 1). */
  gpus?: number;
  /** Weights to fine-tune from (.pth). */
  fineTuneFrom?: string;
  image?: string;
  docker?: string;
  user?: string;
  cacheDir?: string;
  prefix?: string;
}

/** `num_epochs` of the spec, tolerating an invalid one (its node reports it with a path). */
function epochsOf(spec: ExperimentInput): number {
  const parsed = experimentSchema.safeParse(spec);
  return parsed.success ? parsed.data.train.num_epochs : 10;
}

export function taoBevfusionChain(o: TaoChainOptions): Record<string, ArtifactDecl> {
  const dir = o.dir ?? o.base;
  const prefix = o.prefix ?? 'kitti_person';
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  const gpus = o.gpus ?? 1;
  const docker = {
    ...(o.image !== undefined ? {image: o.image} : {}),
    ...(o.docker !== undefined ? {docker: o.docker} : {}),
    ...(o.user !== undefined ? {user: o.user} : {}),
    ...(o.cacheDir !== undefined ? {cacheDir: o.cacheDir} : {}),
  };
  const specPath = (action: string) => `${dir}/specs/${action}.yaml`;
  const convertDir = `${dir}/convert`;
  const run = {...docker, kittiRoot: o.kittiRoot, convertDir, prefix, spec};
  const epochs = epochsOf(wiredSpec('train', {prefix, spec}, gpus, o.fineTuneFrom).spec);
  const checkpoint = trainCheckpoint(`${dir}/train`, epochs);
  const experimentSpec = (action: 'train' | 'evaluate' | 'inference', ck: string | undefined) =>
    taoSpecFile({action, path: specPath(action), spec: wiredSpec(action, {prefix, spec}, action === 'train' ? gpus : 1, ck).spec as Record<string, unknown>});
  return {
    [`${o.base}/spec/convert`]: taoSpecFile({action: 'convert', path: specPath('convert'), spec: convertSpec(prefix) as Record<string, unknown>}),
    [`${o.base}/convert`]: taoConvert({...docker, kittiRoot: o.kittiRoot, outDir: convertDir, specFile: specPath('convert'), prefix}),
    [`${o.base}/spec/train`]: experimentSpec('train', o.fineTuneFrom),
    [`${o.base}/train`]: taoTrain({...run, specFile: specPath('train'), outDir: `${dir}/train`, gpus, ...(o.fineTuneFrom ? {fineTuneFrom: o.fineTuneFrom} : {})}),
    [`${o.base}/spec/evaluate`]: experimentSpec('evaluate', checkpoint),
    [`${o.base}/evaluate`]: taoEvaluate({...run, specFile: specPath('evaluate'), outDir: `${dir}/evaluate`, checkpoint}),
    [`${o.base}/spec/inference`]: experimentSpec('inference', checkpoint),
    [`${o.base}/inference`]: taoInference({...run, specFile: specPath('inference'), outDir: `${dir}/inference`, checkpoint}),
  };
}
