/**
 * The dataset as train/evaluate/inference see it: a read-only, flat view assembled from bind mounts
 * in the run's scratch dir — the images from the user's KITTI root, the reduced clouds and info
 * pkls from the convert node's outputs. The infos store file basenames joined to
 * `root_dir + data_prefix` (§5 step 3), so `{pts: velodyne_reduced, img: image_2}` under `/data` is
 * all TAO reads. Flat on purpose: docker creates missing mount points as root, and a root-owned
 * `training/` in the scratch dir could not be deleted after the run; depth-1 mount points can.
 * Nothing is written to the dataset, and only these files are the node's inputs.
 */
import {join} from 'node:path';
import type {RunContext} from '../../src/index.ts';
import {IN_CONTAINER, type Mount} from './docker.ts';
import {KITTI_PREFIX} from './experiment-spec.ts';

export interface DataViewParams {
  /** The KITTI root on the host (absolute, or workspace-relative). */
  kittiRoot: string;
  /** Workspace dir holding the convert node's outputs. */
  convertDir: string;
  prefix: string;
}

/** Workspace/host paths the view reads: the node's inputs. */
export function dataViewInputs(p: DataViewParams, splits: string[]): string[] {
  return [join(p.kittiRoot, 'training', 'image_2'), join(p.convertDir, 'training', 'velodyne_reduced'), ...splits.map((s) => join(p.convertDir, `${p.prefix}_infos_${s}.pkl`))];
}

export function dataViewMounts(p: DataViewParams, splits: string[], ctx: RunContext): Mount[] {
  const d = IN_CONTAINER.data;
  return [
    {host: ctx.tmp, container: d, readOnly: false}, // scratch: holds only the mount points
    {host: ctx.in(join(p.kittiRoot, 'training', 'image_2')), container: `${d}/${KITTI_PREFIX.img}`, readOnly: true},
    {host: ctx.in(join(p.convertDir, 'training', 'velodyne_reduced')), container: `${d}/${KITTI_PREFIX.pts}`, readOnly: true},
    ...splits.map((s) => ({host: ctx.in(join(p.convertDir, `${p.prefix}_infos_${s}.pkl`)), container: `${d}/${p.prefix}_infos_${s}.pkl`, readOnly: true})),
  ];
}
