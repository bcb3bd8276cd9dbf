/**
 * Pipeline A (PointPillars split model) for one dataset, reference §9.1/§9.2: train → export_all
 * (+ the static-V PFE) → quantize_all → validated deploy. The per-stage quantize scripts are
 * declared as the alternative `int8-stage/<ds>/pointpillars/<stage>` (built only on request), and
 * inference_vis as the optional `viz/<ds>/pointpillars`. Every dir is (pipeline, dataset)-scoped
 * (pitfall 10), every path and `--config/--ckpt` explicit (pitfalls 3, 21).
 */
import {join} from 'node:path';
import type {ArtifactDecl} from '../../src/index.ts';
import {configOverride, overrideConfig} from '../../rules/intel/config-override.ts';
import {inferenceVis} from '../../rules/intel/inference-vis.ts';
import {ppExportAll} from '../../rules/intel/pointpillars/export-all.ts';
import {ppExportLidarFixedV} from '../../rules/intel/pointpillars/export-lidar.ts';
import {ppQuantizeAll} from '../../rules/intel/pointpillars/quantize-all.ts';
import {PP_STAGES, ppQuantizeStage, type PpStage} from '../../rules/intel/pointpillars/quantize-stage.ts';
import {train} from '../../rules/intel/train.ts';
import type {Dataset} from './datasets.ts';
import type {IntelSettings} from './settings.ts';
import {validatedDeploy} from './validated-deploy.ts';

export const PP_LEAF = (ds: Dataset) => `configs/${ds.configDir}/det/centerhead/lssfpn/camera+pointpillar/resnet34/default.yaml`;

export function pipelineA(s: IntelSettings, ds: Dataset, envs: {bev: string; openvino: string}): Record<string, ArtifactDecl> {
  const k = ds.key;
  const repo = {repo: s.training, env: envs.bev};
  const leaf = PP_LEAF(ds);
  const config = overrideConfig(leaf, 'bevbuild');
  const ckpt = `work/${k}/pointpillars/epoch_${s.epochs}.pth`;
  const onnxDir = `export/${k}/pointpillars`;
  const pfeV7000 = `${onnxDir}/lidar_pfe_v7000.onnx`;
  const quantizedDir = `export/${k}/pointpillars-int8`;
  const fromCkpt = {...repo, config, checkpoint: ckpt, data: ds.data};
  const stages = Object.keys(PP_STAGES) as PpStage[];
  return {
    [`config/${k}/pointpillars`]: configOverride({repo: s.training, leaf, name: 'bevbuild', values: ds.configValues}),
    [`train/${k}/pointpillars`]: train({...repo, config, runDir: `work/${k}/pointpillars`, epochs: s.epochs, data: ds.data, extraInputs: [join(s.training, 'model/resnet34-333f7ec4.pth')], gpus: s.gpus}),
    [`viz/${k}/pointpillars`]: inferenceVis({...fromCkpt, outDir: `viz/${k}/pointpillars`, gpus: s.gpus}),
    [`onnx/${k}/pointpillars`]: ppExportAll({...fromCkpt, outDir: onnxDir}),
    [`onnx/${k}/pointpillars-v7000`]: ppExportLidarFixedV({...fromCkpt, output: pfeV7000}),
    [`int8/${k}/pointpillars`]: ppQuantizeAll({...fromCkpt, onnxDir, outDir: quantizedDir, numSamples: s.sizes.numSamples}),
    ...Object.fromEntries(
      stages.map((st) => [
        `int8-stage/${k}/pointpillars/${st}`,
        ppQuantizeStage({...fromCkpt, stage: st, onnx: st === 'lidar_pfe' ? pfeV7000 : `${onnxDir}/${PP_STAGES[st].onnx}`, out: `export/${k}/pointpillars-int8-stages/${PP_STAGES[st].out}`, numSamples: s.sizes.numSamples}),
      ]),
    ),
    ...validatedDeploy(s, ds, {pipeline: 'pointpillars', onnxDir, pfeV7000, quantizedDir}, envs.openvino),
  };
}
