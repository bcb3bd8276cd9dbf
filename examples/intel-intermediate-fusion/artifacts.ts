/**
 * Every artifact of the Intel example for a workspace root: the three external environments,
 * dataset preparation, and Pipelines A and B for KITTI and DAIR-V2X-I, ending in the four gated
 * deploy targets `deploy/{kitti,v2x}/{second,pointpillars}`. A function of the root (not of its
 * own file location) so other workspaces, such as the tests', can reuse it.
 */
import type {ArtifactDecl} from '../../src/index.ts';
import {externalPython} from '../../rules/env/external-python.ts';
import {openvinoRoot} from '../../rules/env/openvino-root.ts';
import {importProbe} from '../../rules/intel/import-probe.ts';
import {datasets} from './datasets.ts';
import {pipelineA} from './pipeline-a.ts';
import {pipelineB, SPCONV_IMPORTS, SPCONV_PROBE} from './pipeline-b.ts';
import {readSettings} from './settings.ts';

export function intelArtifacts(ws: string, env: NodeJS.ProcessEnv = process.env): Record<string, ArtifactDecl> {
  const s = readSettings(ws, env);
  const envs = {bev: 'env/bev', spconv: 'env/spconv', openvino: 'env/openvino', mmdet3d: 'env/mmdet3d', spconvImports: 'probe/spconv-imports'};
  const data = datasets(s, envs);
  return {
    [envs.bev]: externalPython({name: 'bev', prefix: s.bevEnv}),
    [envs.spconv]: externalPython({name: 'spconv', prefix: s.spconvEnv, openvinoRelease: s.openvinoRelease}),
    [envs.openvino]: openvinoRoot({name: 'openvino', release: s.openvinoRelease}),
    ...(s.mmdet3d ? {[envs.mmdet3d]: externalPython({name: 'mmdet3d', prefix: s.mmdet3d.env})} : {}),
    // quantize_unified --config imports these in spconvEnv (pitfall 4); probed before any training.
    [envs.spconvImports]: importProbe({
      env: envs.spconv,
      modules: [...SPCONV_IMPORTS],
      pythonPath: [s.training],
      output: SPCONV_PROBE,
      fix: `quantize_unified.py --config needs torchpack, mmcv and mmdet3d.utils in spconvEnv (the rule puts ${s.training} on PYTHONPATH for mmdet3d); install the others with ${s.spconvEnv}/bin/python -m pip install torchpack mmcv`,
    }),
    ...data.artifacts,
    ...pipelineA(s, data.kitti, envs),
    ...pipelineA(s, data.v2x, envs),
    ...pipelineB(s, data.kitti, envs),
    ...pipelineB(s, data.v2x, envs),
  };
}
