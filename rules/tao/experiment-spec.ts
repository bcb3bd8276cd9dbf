/**
 * From what a user writes to the complete spec of one action. The user owns the experiment (model,
 * optimizer, batch sizes…); the rule owns every path and GPU key, because they must agree with the
 * container mounts it emits: setting one of those is reported, not silently overwritten. The model
 * and dataset sections come from the same user value for train, evaluate and inference, which is
 * what 5.5 needs (checkpoints load with strict=False, §1.3).
 */
import type {ExperimentInput} from '../../schemas/tao/experiment.ts';
import {lrSchedulerFor, type ExperimentAction, type SpecProblem} from '../../schemas/tao/requirements.ts';
import {IN_CONTAINER} from './docker.ts';

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; everything else (lists included) is replaced, as Hydra does (§1.1). */
export function deepMerge(a: Tree, b: Tree): Tree {
  const out: Tree = {...a};
  for (const [k, v] of Object.entries(b)) out[k] = isTree(v) && isTree(out[k]) ? deepMerge(out[k] as Tree, v) : v;
  return out;
}

function conflicts(user: Tree, wired: Tree, path: string[] = []): SpecProblem[] {
  return Object.entries(wired).flatMap(([k, w]) => {
    if (!(k in user)) return [];
    const u = user[k];
    if (isTree(w) && isTree(u)) return conflicts(u, w, [...path, k]);
    return JSON.stringify(u) === JSON.stringify(w) ? [] : [{path: [...path, k], message: `set by the rule to ${JSON.stringify(w)} (it must match the container mounts and GPU selection); remove it`}];
  });
}

/** The data view the rules mount (see data-view.ts): flat folders under /data, pkls beside them. */
export const KITTI_PREFIX = {pts: 'velodyne_reduced', img: 'image_2'} as const;

export interface Wiring {
  action: ExperimentAction;
  /** The converter's output prefix, e.g. `kitti_person`. */
  prefix: string;
  /** GPUs of the running action (train may use several; evaluate/inference use 1, §2.4). */
  gpus: number;
  /** In-container checkpoint: fine-tune weights for train, the exact `epoch_N.pth` for evaluate/inference. */
  checkpoint: string | null;
}

/** The complete spec input for one action, and the keys the user set that the rule owns. */
export function experimentFor(user: ExperimentInput, w: Wiring): {spec: ExperimentInput; problems: SpecProblem[]} {
  const u = (user ?? {}) as Tree;
  const pkl = (split: string) => `${IN_CONTAINER.data}/${w.prefix}_infos_${split}.pkl`;
  const gpuKeys = (n: number) => ({num_gpus: n, gpu_ids: Array.from({length: n}, (_, i) => i)});
  // KITTI defaults the user may change (5.5's own are wrong for KITTI, §7 item 6).
  const defaults: Tree = {
    manual_seed: 1234,
    dataset: {
      type: 'KittiPersonDataset',
      default_cam_key: 'CAM2',
      train_dataset: {data_prefix: KITTI_PREFIX, repeat_time: 2},
      val_dataset: {data_prefix: KITTI_PREFIX, batch_size: 2, num_workers: 4},
      test_dataset: {data_prefix: KITTI_PREFIX, num_workers: 4},
    },
  };
  const train = (u['train'] ?? {}) as Tree;
  if (!('lr_scheduler' in train)) defaults['train'] = {lr_scheduler: lrSchedulerFor(typeof train['num_epochs'] === 'number' ? train['num_epochs'] : 10)};
  const wired: Tree = {
    results_dir: IN_CONTAINER.results,
    dataset: {
      root_dir: IN_CONTAINER.data,
      train_dataset: {ann_file: pkl('train')},
      val_dataset: {ann_file: pkl('val')},
      test_dataset: {ann_file: pkl('val')}, // KITTI has no labelled test split: evaluate on val
    },
    train: {
      ...gpuKeys(w.action === 'train' ? w.gpus : 1),
      resume: false,
      // 5.5 reads fine-tune weights from here (pretrained_checkpoint is never read, §1.6)
      resume_training_checkpoint_path: w.action === 'train' ? w.checkpoint : null,
      pretrained_checkpoint: null,
    },
    evaluate: {...gpuKeys(1), checkpoint: w.action === 'evaluate' ? w.checkpoint ?? '' : ''},
    inference: {...gpuKeys(1), checkpoint: w.action === 'inference' ? w.checkpoint ?? '' : ''},
  };
  return {spec: deepMerge(deepMerge(defaults, u), wired) as ExperimentInput, problems: conflicts(u, wired)};
}
