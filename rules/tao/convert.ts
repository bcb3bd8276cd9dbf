/**
 * `tao/convert`: `bevfusion convert` for a KITTI person dataset (reference §5). TAO writes the info
 * pkls, `training/velodyne_reduced/` and status.json *into the dataset root* (results_dir must equal
 * root_dir, §1.7). Here the "root" the container sees is the node's staging dir, with the dataset's
 * own folders bind-mounted read-only inside it: the user's dataset is never written, and what TAO
 * produced lands in staging, where bevbuild checks and records it.
 */
import {join} from 'node:path';
import {defineRule, z} from '../../src/index.ts';
import type {ConvertInput} from '../../schemas/tao/convert.ts';
import {convertArtifacts, splitIds} from './artifacts.ts';
import {taoCheck, VERDICT_FILE} from './check.ts';
import {dockerOpts, dockerParams, dockerRunArgv, IN_CONTAINER} from './docker.ts';

/** KITTI folders the converter reads for mode `training` (`ImageSets/test.txt` is read regardless of mode, §7 item 8). */
const READS = ['training/calib', 'training/image_2', 'training/label_2', 'training/velodyne'];
const SPLITS = ['train.txt', 'val.txt', 'test.txt'];

export const convertParams = z
  .object({
    ...dockerParams,
    /** The KITTI root on the host (absolute, or workspace-relative): ImageSets/ and training/. */
    kittiRoot: z.string().min(1),
    /** Workspace dir for the outputs (the pkls, training/velodyne_reduced/, status.json). */
    outDir: z.string().min(1),
    /** Workspace path of the generated convert spec (a `tao/spec` output). */
    specFile: z.string().min(1),
    prefix: z.string().regex(/^\w+$/).default('kitti_person'),
  })
  .strict();
type ConvertParams = z.output<typeof convertParams>;

/** The convert spec (§1.8): container paths; `mode: training` writes train/val/trainval infos. */
export function convertSpec(prefix: string): ConvertInput {
  return {dataset: 'kitti', root_dir: IN_CONTAINER.data, results_dir: IN_CONTAINER.data, mode: 'training', output_prefix: prefix};
}

export const convertOutputs = (p: Pick<ConvertParams, 'outDir' | 'prefix'>) => [
  ...['train', 'val', 'trainval'].map((s) => `${p.outDir}/${p.prefix}_infos_${s}.pkl`),
  `${p.outDir}/training/velodyne_reduced`,
  `${p.outDir}/status.json`,
  `${p.outDir}/${VERDICT_FILE}`,
];

export const taoConvert = defineRule({
  name: 'tao/convert',
  version: 1,
  description: 'bevfusion convert (KITTI person) → info pkls + reduced point clouds',
  params: convertParams,
  inputs: (p) => [p.specFile, ...SPLITS.map((f) => join(p.kittiRoot, 'ImageSets', f)), ...READS.map((f) => join(p.kittiRoot, f))],
  outputs: convertOutputs,
  resources: () => ({cpu: 4, gpu: 1}), // the entrypoint always runs convert under torchrun on 1 GPU (§2.1)
  exitCode: 'check',
  argv: (p, ctx) => {
    const root = ctx.outDir(p.outDir);
    const mounts = [
      {host: root, container: IN_CONTAINER.data, readOnly: false},
      {host: ctx.in(join(p.kittiRoot, 'ImageSets')), container: `${IN_CONTAINER.data}/ImageSets`, readOnly: true},
      ...READS.map((f) => ({host: ctx.in(join(p.kittiRoot, f)), container: `${IN_CONTAINER.data}/${f}`, readOnly: true})),
      {host: ctx.in(p.specFile), container: `${IN_CONTAINER.specs}/convert.yaml`, readOnly: true},
    ];
    return dockerRunArgv(dockerOpts(p, ctx, mounts, ['bevfusion', 'convert', '-e', `${IN_CONTAINER.specs}/convert.yaml`]));
  },
  check: (p, ctx) => {
    const root = ctx.outDir(p.outDir);
    const ids = [...new Set(['train.txt', 'val.txt'].flatMap((f) => splitIds(ctx.in(join(p.kittiRoot, 'ImageSets', f)))))];
    return taoCheck({action: 'convert', statusFile: join(root, 'status.json'), verdictFile: ctx.out(`${p.outDir}/${VERDICT_FILE}`), artifacts: () => convertArtifacts(root, p.prefix, ids)}, ctx);
  },
});
