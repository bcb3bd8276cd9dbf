/**
 * mmdet3d v1.x `tools/create_data.py kitti` (reference §9.0 K1): KITTI raw → `kitti_infos_{train,
 * val,trainval,test}.pkl`. Runs in bevEnv with cwd = the repo that holds the script.
 */
import {dirname} from 'node:path';
import {defineRule, z} from '../../src/index.ts';
import {inRepo, repoParams} from './common.ts';

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
      /** Where the infos go (--out-dir); usually the root itself. */
      outDir: z.string(),
      extraTag: z.string().default('kitti'),
      splits: z.array(z.enum(['train', 'val', 'trainval', 'test'])).default(['train', 'val', 'trainval', 'test']),
    })
    .strict(),
  toolchain: (p) => p.env,
  inputs: (p) => [...p.code, inRepo(p.repo, p.script), `${p.rootPath}/training`, `${p.rootPath}/ImageSets`],
  outputs: (p) => p.splits.map((s) => `${p.outDir}/${p.extraTag}_infos_${s}.pkl`),
  cwd: (p) => p.repo,
  argv: (p, ctx) => [ctx.python(), p.script, 'kitti', '--root-path', ctx.in(p.rootPath), '--out-dir', dirname(ctx.out(`${p.outDir}/${p.extraTag}_infos_${p.splits[0]}.pkl`)), '--extra-tag', p.extraTag],
});
