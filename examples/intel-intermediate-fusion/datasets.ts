/**
 * Dataset preparation and the per-dataset facts the pipelines share (reference §9.0, §2.5):
 * KITTI raw → `data/kitti` (infos) → `data/kitti-v2x` (convert_kitti_to_v2x_format.py),
 * DAIR-V2X-I → `data/dair-v2x-i-kitti` (dair2kitti). Both live in the workspace; the configs reach them through a generated override
 * (`dataset_root`, `dataset_kitti_root`), because only train.py accepts `--key value` overrides
 * (pitfall 6) and every tool must read the same data.
 */
import {join} from 'node:path';
import type {ArtifactDecl} from '../../src/index.ts';
import {convertKittiToV2x} from '../../rules/intel/convert-kitti-to-v2x.ts';
import {createDataKitti} from '../../rules/intel/create-data.ts';
import {dair2kitti} from '../../rules/intel/dair2kitti.ts';
import {unavailable} from '../../rules/intel/unavailable.ts';
import type {IntelSettings} from './settings.ts';

export type DatasetKey = 'kitti' | 'v2x';

/** What a pipeline needs to know about its dataset. */
export interface Dataset {
  key: DatasetKey;
  /** Dataset dir under `configs/` (`Kitti`, `V2X-I`). */
  configDir: string;
  /** Deploy preset and deploy data dir name. */
  preset: 'kitti' | 'v2x';
  /** Files/dirs the dataset-building tools read (keyed inputs of train/export/dump nodes). */
  data: string[];
  /** Values written into every config override of this dataset. */
  configValues: Record<string, string>;
  /** KITTI-style split root the deploy binaries read. */
  deploySplit: string;
}

/**
 * The two datasets of the Intel repo and the artifacts that prepare them. KITTI: raw → infos
 * (`data/kitti`, mmdet3d v1.x create_data.py on a workspace view of KITTI_RAW, unless KITTI_RAW
 * already holds the infos) → `data/kitti-v2x`. DAIR-V2X-I: only when configured; otherwise its
 * dataset node is a placeholder that refuses, naming the variables, when a V2X target is selected.
 */
export function datasets(s: IntelSettings, envs: {bev: string; mmdet3d: string}): {artifacts: Record<string, ArtifactDecl>; kitti: Dataset; v2x: Dataset} {
  const kittiInfosRoot = 'data/kitti';
  const kittiRoot = 'data/kitti-v2x';
  const dairKitti = 'data/dair-v2x-i-kitti';
  const kittiSrc = s.mmdet3d ? kittiInfosRoot : s.kittiRaw;
  const artifacts: Record<string, ArtifactDecl> = {
    ...(s.mmdet3d ? {[kittiInfosRoot]: createDataKitti({repo: s.mmdet3d.repo, env: envs.mmdet3d, rootPath: s.kittiRaw, outDir: kittiInfosRoot, view: true})} : {}),
    [kittiRoot]: convertKittiToV2x({repo: s.training, env: envs.bev, srcRoot: kittiSrc, dstRoot: kittiRoot, infos: ['train', 'val'].map((x) => join(kittiSrc, `kitti_infos_${x}.pkl`))}),
    [dairKitti]: s.dair
      ? dair2kitti({repo: s.training, env: envs.bev, sourceRoot: s.dair.root, targetRoot: dairKitti, splitPath: s.dair.split})
      : unavailable({outputs: [dairKitti], reason: s.dairMissing}),
  };
  const kitti: Dataset = {
    key: 'kitti',
    configDir: 'Kitti',
    preset: 'kitti',
    data: [kittiRoot],
    configValues: {dataset_root: join(s.ws, kittiRoot), dataset_kitti_root: join(s.ws, kittiRoot, 'training/label_2')},
    deploySplit: `${kittiRoot}/training`,
  };
  const dairRoot = s.dair?.root ?? '/missing/DAIR_V2X_ROOT';
  const v2x: Dataset = {
    key: 'v2x',
    configDir: 'V2X-I',
    preset: 'v2x',
    data: [...(s.dair ? [...['train', 'val'].map((x) => join(dairRoot, `dair_12hz_infos_${x}.pkl`)), ...['image', 'velodyne', 'calib', 'label'].map((d) => join(dairRoot, d))] : []), dairKitti],
    configValues: {dataset_root: dairRoot, dataset_kitti_root: join(s.ws, dairKitti, 'training/label_2')},
    deploySplit: `${dairKitti}/training`,
  };
  return {artifacts, kitti, v2x};
}
