/**
 * `dataset` of the TAO 5.5 BEVFusion experiment spec (reference §1.4, S1 `config/dataset.py`).
 * Defaults are the 5.5 runtime ones, which are wrong for KITTI (§7 item 6: `default_cam_key` CAM0,
 * TAO3D-style `data_prefix`): the spec builder writes the KITTI values explicitly.
 */
import {z} from 'zod';
import {bool, dataclass, int, oneOf, posInt, str} from './shared.ts';

export const DATASET_TYPES = ['TAO3DSyntheticDataset', 'TAO3DDataset', 'KittiPersonDataset'] as const;

/**
 * `data_prefix` is a `Dict[str,str]` that Hydra merges key by key: a partial `{pts: …}` keeps the
 * stale TAO3D `img` default (§7 item 6). bevbuild therefore requires both folder keys, in full.
 */
const dataPrefix = z
  .object({pts: z.string().min(1), img: z.string().min(1)})
  .strict()
  .default({pts: 'training/lidar_reduced', img: 'training/images/'});

/** train_dataset / val_dataset / test_dataset share one dataclass. */
const split = dataclass({
  /** Required per action (train: train+val; evaluate: test; inference: test or the single-file keys). */
  ann_file: z.string().nullable().default(null),
  data_prefix: dataPrefix,
  sampler: str('DefaultSampler'),
  batch_size: posInt(4),
  num_workers: posInt(8),
  pin_memory: bool(true),
  /** Train only: >1 wraps the dataset in RepeatDataset. */
  repeat_time: z.number().int().min(1).nullable().default(null),
});

/** A 4x4 matrix as nested lists, or flat (`Optional[List[float]]`; both accepted by 5.5, §1.4). */
const matrix = z.union([z.array(z.number()), z.array(z.array(z.number()))]).nullable().default(null);

export const datasetSchema = dataclass({
  type: oneOf(DATASET_TYPES, 'KittiPersonDataset'),
  root_dir: str('/data/'),
  /** 5.5 evaluation hard-codes `{0: 'person'}` and the train KPI hook parses `person_3D_AP…` (§7 item 7). */
  classes: z
    .tuple([z.literal('person', {error: '5.5 BEVFusion evaluation only knows the class "person" (reference §7 item 7)'})])
    .default(['person']),
  box_type_3d: oneOf(['lidar', 'camera'], 'lidar'),
  gt_box_type: oneOf(['lidar', 'camera'], 'camera'),
  origin: z.array(z.number()).default([0.5, 1.0, 0.5]),
  default_cam_key: str('CAM0'),
  per_sequence: bool(false),
  num_views: int(1),
  point_cloud_dim: int(4),
  train_dataset: split,
  val_dataset: split,
  test_dataset: split,
  img_file: z.string().nullable().default(null),
  pc_file: z.string().nullable().default(null),
  cam2img: matrix,
  lidar2cam: matrix,
});
