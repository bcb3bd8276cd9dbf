/**
 * A workspace for NVIDIA TAO Toolkit 5.5 BEVFusion on KITTI (person): convert → train → evaluate
 * and inference, each `docker run` of the 5.5 image with a generated, validated spec. Everything
 * machine-specific comes from environment variables (see README.md):
 *
 *   TAO_KITTI_ROOT    required  KITTI root on the host (ImageSets/, training/); only read
 *   TAO_GPUS          required  host GPU ids bevbuild may hand out, e.g. "0" or "0,1,2,3"
 *   TAO_RESULTS_DIR   optional  workspace-relative dir for the outputs (default results; bevbuild
 *                               records outputs inside the workspace — symlink it to big storage)
 *   TAO_TRAIN_GPUS    optional  GPUs per training run (default 1, at most the number of TAO_GPUS)
 *   TAO_EPOCHS        optional  training epochs (default 10); evaluate/inference use epoch_<N>.pth
 *   TAO_IMAGE         optional  default nvcr.io/nvidia/tao/tao-toolkit:5.5.0-pyt
 *   TAO_FINETUNE_FROM optional  .pth to fine-tune from (e.g. the NGC PTM tao3d_bevfusion_epoch4.pth)
 *   TAO_CACHE_DIR     optional  existing host dir for TAO/torch caches (the Swin-T download)
 *
 *   bevbuild -C examples/tao-bevfusion tao/kitti/evaluate
 */
import {defineConfig} from '../../src/index.ts';
import {taoBevfusionChain} from '../../rules/tao/index.ts';

const REQUIRED = {
  TAO_KITTI_ROOT: 'the KITTI root on the host, e.g. /datasets/kitti (ImageSets/{train,val,test}.txt and training/{calib,image_2,label_2,velodyne})',
  TAO_GPUS: 'host GPU ids bevbuild may use, e.g. 0 or 0,1,2,3',
};

/** Every unset or malformed variable at once, so one run tells the user everything to fix. */
function readEnv() {
  const problems = Object.entries(REQUIRED)
    .filter(([k]) => !process.env[k])
    .map(([k, what]) => `  ${k} is not set: ${what}`);
  const gpuIds = (process.env['TAO_GPUS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (process.env['TAO_GPUS'] && !gpuIds.every((g) => /^\d+$/.test(g))) problems.push(`  TAO_GPUS must be comma-separated GPU ids, got "${process.env['TAO_GPUS']}"`);
  const resultsDir = process.env['TAO_RESULTS_DIR'] || 'results';
  if (resultsDir.startsWith('/') || resultsDir.split('/').includes('..')) problems.push(`  TAO_RESULTS_DIR must be a workspace-relative directory (bevbuild records outputs inside the workspace; symlink it to big storage), got "${resultsDir}"`);
  const int = (name: string, def: number) => {
    const v = process.env[name];
    if (v === undefined || v === '') return def;
    if (!/^[1-9]\d*$/.test(v)) problems.push(`  ${name} must be a positive integer, got "${v}"`);
    return Number(v);
  };
  const trainGpus = int('TAO_TRAIN_GPUS', 1);
  const epochs = int('TAO_EPOCHS', 10);
  if (gpuIds.length && trainGpus > gpuIds.length) problems.push(`  TAO_TRAIN_GPUS=${trainGpus} but TAO_GPUS lists only ${gpuIds.length} GPU(s)`);
  if (problems.length) {
    const e = new Error(`the TAO example needs these environment variables (see examples/tao-bevfusion/README.md):\n${problems.join('\n')}`);
    e.stack = ''; // bevbuild prints the stack under the message: here it would only repeat the list
    throw e;
  }
  const opt = (name: string) => process.env[name] || undefined;
  return {kittiRoot: process.env['TAO_KITTI_ROOT']!, resultsDir, gpuIds, trainGpus, epochs, image: opt('TAO_IMAGE'), fineTuneFrom: opt('TAO_FINETUNE_FROM'), cacheDir: opt('TAO_CACHE_DIR')};
}

const env = readEnv();

export default defineConfig({
  pools: {gpu: env.gpuIds},
  // the docker client's own settings (which daemon, credentials)
  envPassthrough: ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY'],
  artifacts: taoBevfusionChain({
    base: 'tao/kitti',
    dir: env.resultsDir,
    kittiRoot: env.kittiRoot,
    gpus: env.trainGpus,
    ...(env.image ? {image: env.image} : {}),
    ...(env.fineTuneFrom ? {fineTuneFrom: env.fineTuneFrom} : {}),
    ...(env.cacheDir ? {cacheDir: env.cacheDir} : {}),
    spec: {
      train: {
        num_epochs: env.epochs,
        // 1e-4 would be read as a string by a YAML 1.1 reader; the builder writes decimals anyway
        optimizer: {lr: 0.0002},
      },
      dataset: {train_dataset: {batch_size: 4}, val_dataset: {batch_size: 2}, test_dataset: {batch_size: 4}},
      inference: {conf_threshold: 0.3},
      // offline or fine-tuning: no Swin-T download at train start (reference §7 item 12)
      ...(env.fineTuneFrom ? {model: {img_backbone: {init_cfg: null}}} : {}),
    },
  }),
});
