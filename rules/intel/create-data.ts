/**
 * mmdet3d v1.x `tools/create_data.py kitti` (reference §9.0 K1): KITTI raw → `kitti_infos_{train,
 * val,trainval,test}.pkl`. Runs with cwd = the checkout that holds the script.
 * The real v1.x tool writes the infos (and `training/velodyne_reduced`, the gt database) into
 * `--root-path` itself, so with `view` the node's output is a workspace KITTI root: symlinks to the
 * raw `training/*` dirs, `ImageSets` and `testing`, plus what the tool writes there — the raw
 * dataset is never written to, and the result is the src root convert_kitti_to_v2x_format.py
 * needs (infos next to `training/`). Without `view` (the demo's stand-in), the tool writes the
 * infos to `--out-dir`.
 */
import {existsSync} from 'node:fs';
import {defineRule, fail, ok, z} from '../../src/index.ts';
import {inRepo, repoParams} from './common.ts';

/** Builds the view root and runs the tool on it. Args: root view python script tag. */
const VIEW = [
  'set -e',
  'root=$1; view=$2; py=$3; script=$4; tag=$5',
  'mkdir -p "$view/training"',
  // velodyne_reduced is written by the tool: never link it (it would write through into the raw dataset)
  'for d in "$root"/training/*; do [ "$(basename "$d")" = velodyne_reduced ] || ln -s "$d" "$view/training/$(basename "$d")"; done',
  'ln -s "$root/ImageSets" "$view/ImageSets"',
  '[ ! -e "$root/testing" ] || ln -s "$root/testing" "$view/testing"',
  'exec "$py" "$script" kitti --root-path "$view" --out-dir "$view" --extra-tag "$tag"',
].join('\n');

export const createDataKitti = defineRule({
  name: 'intel/create-data-kitti',
  version: 1,
  description: 'mmdet3d v1.x create_data.py kitti → kitti_infos_*.pkl',
  params: z
    .object({
      ...repoParams,
      script: z.string().default('tools/create_data.py'),
      /** KITTI root (holds training/ and ImageSets/); passed as --root-path. */
      rootPath: z.string(),
      /** Where the infos go (--out-dir); with `view`, the workspace KITTI root the node makes. */
      outDir: z.string(),
      extraTag: z.string().default('kitti'),
      splits: z.array(z.enum(['train', 'val', 'trainval', 'test'])).default(['train', 'val', 'trainval', 'test']),
      /** Run on a workspace view of `rootPath` (the real v1.x tool writes into its root). */
      view: z.boolean().default(false),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p) => [...p.code, inRepo(p.repo, p.script), `${p.rootPath}/training`, `${p.rootPath}/ImageSets`],
  outputs: (p) => (p.view ? [p.outDir] : p.splits.map((s) => `${p.outDir}/${p.extraTag}_infos_${s}.pkl`)),
  cwd: (p) => p.repo,
  argv: (p, ctx) =>
    p.view
      ? ['bash', '-c', VIEW, 'create-data-view', ctx.in(p.rootPath), ctx.out(p.outDir), ctx.python(), p.script, p.extraTag]
      : [ctx.python(), p.script, 'kitti', '--root-path', ctx.in(p.rootPath), '--out-dir', ctx.outDir(p.outDir), '--extra-tag', p.extraTag],
  check: (p, ctx) => {
    const missing = p.view ? p.splits.filter((s) => !existsSync(`${ctx.out(p.outDir)}/${p.extraTag}_infos_${s}.pkl`)) : [];
    return missing.length ? fail('output-missing', `create_data.py wrote no ${missing.map((s) => `${p.extraTag}_infos_${s}.pkl`).join(', ')} into the KITTI root view`) : ok(undefined);
  },
});
