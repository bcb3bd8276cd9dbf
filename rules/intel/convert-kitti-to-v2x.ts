/**
 * `tools/convert_kitti_to_v2x_format.py --src-root --dst-root` (reference §3.3, §9.0 K2): the
 * V2X-layout view of a KITTI root that the Kitti configs read as `dataset_root`. Its symlinks into
 * the source are stored as content, so a restored dataset never points at a path that is gone.
 */
import {defineRule, z} from '../../src/index.ts';
import {inRepo, repoParams} from './common.ts';

export const convertKittiToV2x = defineRule({
  name: 'intel/convert-kitti-to-v2x',
  version: 1,
  description: 'convert_kitti_to_v2x_format.py: KITTI infos (mmdet3d v1.x) → V2X-style dataset root',
  params: z
    .object({
      ...repoParams,
      srcRoot: z.string(),
      /** Must be the config's `dataset_root` (cwd-relative inside the repo), e.g. `<repo>/data/kitti-v2x`. */
      dstRoot: z.string(),
      infos: z.array(z.string()).min(1),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p) => [...p.code, inRepo(p.repo, 'tools/convert_kitti_to_v2x_format.py'), `${p.srcRoot}/training`, ...p.infos],
  outputs: (p) => [p.dstRoot],
  cwd: (p) => p.repo,
  argv: (p, ctx) => [ctx.python(), 'tools/convert_kitti_to_v2x_format.py', '--src-root', ctx.in(p.srcRoot), '--dst-root', ctx.out(p.dstRoot)],
});
