/**
 * `python -m scripts.data_converter.dair2kitti --source-root --target-root --split-path
 * --temp-root` (reference §3.21, §9.0 V2): the KITTI-layout mirror of DAIR-V2X-I that the deploy
 * binaries read (`<target>/training`) and the V2X configs use for eval labels.
 * The tool deletes everything under `--temp-root` (pitfall 29), so that is always this run's own
 * fresh scratch dir (`ctx.tmp`), never a default such as `./tmp_file` in the repo. It imports the
 * BEVHeight `gen_kitti` package from `scripts/`, so the repo is on PYTHONPATH and the package is
 * an input. The target is staged, so files of an earlier conversion never survive (the tool copies
 * with `dirs_exist_ok=True`).
 */
import {join} from 'node:path';
import {defineRule, z} from '../../src/index.ts';
import {inRepo, repoParams} from './common.ts';

export const dair2kitti = defineRule({
  name: 'intel/dair2kitti',
  version: 1,
  description: 'dair2kitti.py: DAIR-V2X-I → KITTI-layout mirror (image_2, velodyne, calib, label_2)',
  params: z
    .object({
      ...repoParams,
      /** DAIR-V2X-I root (image/, velodyne/, label/, calib/). */
      sourceRoot: z.string(),
      targetRoot: z.string(),
      /** `single-infrastructure-split-data.json`. */
      splitPath: z.string(),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p) => [
    ...p.code,
    inRepo(p.repo, 'scripts/data_converter/dair2kitti.py'),
    inRepo(p.repo, 'scripts/data_converter/gen_kitti'),
    ...['image', 'velodyne', 'label', 'calib'].map((d) => `${p.sourceRoot}/${d}`),
    p.splitPath,
  ],
  outputs: (p) => [p.targetRoot],
  cwd: (p) => p.repo,
  env: (p, ctx) => ({PYTHONPATH: ctx.in(p.repo)}),
  argv: (p, ctx) => [
    ctx.python(), '-m', 'scripts.data_converter.dair2kitti',
    '--source-root', ctx.in(p.sourceRoot),
    '--target-root', ctx.out(p.targetRoot),
    '--split-path', ctx.in(p.splitPath),
    '--temp-root', join(ctx.tmp, 'dair2kitti'),
  ],
});
