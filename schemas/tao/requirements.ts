/**
 * What each TAO 5.5 action needs beyond the dataclass types (reference §1.2 REQ column, §1.6, §2.4,
 * §7): TAO itself checks none of this up front — it fails minutes into a run, or worse, runs and
 * produces garbage (a stale `img` prefix, CAM0 images for KITTI, a GPU-count mismatch that turns
 * evaluation into single-process distributed mode). Each problem carries the path of the key.
 */
import type {Experiment} from './experiment.ts';

export type ExperimentAction = 'train' | 'evaluate' | 'inference';

export interface SpecProblem {
  path: (string | number)[];
  message: string;
}

const TAO3D_PREFIX = {pts: 'training/lidar_reduced', img: 'training/images/'};

/** Problems of a complete (defaults applied) spec for `action`; empty when it can run. */
export function actionProblems(action: ExperimentAction, s: Experiment): SpecProblem[] {
  const out: SpecProblem[] = [];
  const need = (cond: boolean, path: SpecProblem['path'], message: string) => {
    if (!cond) out.push({path, message});
  };
  const splits = action === 'train' ? (['train_dataset', 'val_dataset'] as const) : (['test_dataset'] as const);
  const singleFile = action === 'inference' && s.dataset.test_dataset.ann_file === null;
  for (const split of singleFile ? [] : splits) {
    const d = s.dataset[split];
    need(d.ann_file !== null && d.ann_file !== '', ['dataset', split, 'ann_file'], `${action} needs dataset.${split}.ann_file (the info .pkl)`);
    if (s.dataset.type === 'KittiPersonDataset') {
      const stale = d.data_prefix.pts === TAO3D_PREFIX.pts || d.data_prefix.img === TAO3D_PREFIX.img;
      need(!stale, ['dataset', split, 'data_prefix'], 'KITTI folders are {pts: training/velodyne_reduced, img: training/image_2}; the 5.5 default is the TAO3D layout (reference §7 item 6)');
    }
  }
  if (singleFile) {
    for (const k of ['img_file', 'pc_file', 'cam2img', 'lidar2cam'] as const) {
      need(s.dataset[k] !== null, ['dataset', k], 'inference without dataset.test_dataset.ann_file is single-frame mode: img_file, pc_file, cam2img and lidar2cam are all required (reference §1.4)');
    }
  }
  if (s.dataset.type === 'KittiPersonDataset') {
    need(s.dataset.default_cam_key === 'CAM2', ['dataset', 'default_cam_key'], 'KITTI infos store images under CAM2; the 5.5 default CAM0 finds no image (reference §7 item 6)');
  }
  const run = s[action];
  need(run.num_gpus === run.gpu_ids.length, [action, 'gpu_ids'], `${action}.num_gpus (${run.num_gpus}) must equal the number of gpu_ids (${run.gpu_ids.length}); the entrypoint silently replaces them otherwise (reference §2.1)`);
  if (action === 'train') {
    need(s.train.resume_training_checkpoint_path !== '', ['train', 'resume_training_checkpoint_path'], 'use null, not "": "" becomes load_from="" and fails (reference §1.6)');
  } else {
    const ck = s[action].checkpoint;
    need(ck !== '' && ck !== '???', [action, 'checkpoint'], `${action} needs ${action}.checkpoint: the exact epoch_<N>.pth to load (reference §1.6)`);
    need(s[action].num_gpus === 1, [action, 'num_gpus'], `run ${action} on 1 GPU: the 5.5 inferencer hard-codes cuda:0 and metrics are not sharded (reference §2.4)`);
    need(s.train.num_gpus === s[action].num_gpus, ['train', 'num_gpus'], `5.5 decides distributed init from train.num_gpus in every phase: keep it equal to ${action}.num_gpus (reference §2.4)`);
  }
  if (action === 'inference') {
    need(!s.inference.show, ['inference', 'show'], 'show opens an open3d window: keep it false in a container');
  }
  return out;
}

/**
 * The default `lr_scheduler` scaled to `epochs`: 5.5's list is tuned for 10 epochs (§7 item 17),
 * so a shorter run would never reach the end of its cosine schedule. The iteration warm-up stays.
 */
export function lrSchedulerFor(epochs: number): Record<string, unknown>[] {
  const e = (x: number) => Math.round(x * epochs * 1000) / 10000; // x is given for 10 epochs
  return [
    {type: 'LinearLR', start_factor: 0.33333333, by_epoch: false, begin: 0, end: 500},
    {type: 'CosineAnnealingLR', T_max: epochs, eta_min_ratio: 0.0001, begin: 0, end: epochs, by_epoch: true},
    {type: 'CosineAnnealingMomentum', eta_min: 0.8947, begin: 0, end: e(2.4), by_epoch: true},
    {type: 'CosineAnnealingMomentum', eta_min: 1, begin: e(2.4), end: epochs, by_epoch: true},
  ];
}
