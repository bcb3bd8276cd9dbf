/**
 * Pipeline B (Second, one unified ONNX) for one dataset, reference §9.3/§9.4: train with the
 * bevpoolv2 leaf (pitfall 1) → geometry (`--from-dataset`, pitfall 26) → unified export → calib
 * dumps → pseudo-GT → INT8 (spconvEnv + custom OpenVINO, `--config` always, pitfalls 4, 18) →
 * validated deploy (the FP32 ONNX published as the FP16 name, pitfall 23).
 */
import {join} from 'node:path';
import type {ArtifactDecl} from '../../src/index.ts';
import {configOverride, overrideConfig} from '../../rules/intel/config-override.ts';
import {dumpVoxels} from '../../rules/intel/dump-voxels.ts';
import {exportUnifiedOnnx} from '../../rules/intel/export-unified-onnx.ts';
import {inferenceVis} from '../../rules/intel/inference-vis.ts';
import {precomputeGeometry} from '../../rules/intel/precompute-geometry.ts';
import {quantizeUnified, quantizeUnifiedPseudoGt} from '../../rules/intel/quantize-unified.ts';
import {train} from '../../rules/intel/train.ts';
import type {Dataset} from './datasets.ts';
import type {IntelSettings} from './settings.ts';
import {validatedDeploy} from './validated-deploy.ts';

/** What quantize_unified.py imports in spconvEnv with --config (reference §3.9). */
export const SPCONV_IMPORTS = ['openvino', 'nncf', 'numpy', 'torchpack', 'mmcv', 'mmdet3d.utils'] as const;
/** The probe's output: Pipeline B's training depends on it, so a missing import fails first. */
export const SPCONV_PROBE = 'probes/spconv-imports.json';

export const SECOND_LEAF = (ds: Dataset) => `configs/${ds.configDir}/det/centerhead/secfpn/camera+lidar/resnet34/bevpoolv2.yaml`;

export function pipelineB(s: IntelSettings, ds: Dataset, envs: {bev: string; spconv: string; openvino: string}): Record<string, ArtifactDecl> {
  const k = ds.key;
  const bev = {repo: s.training, env: envs.bev};
  const leaf = SECOND_LEAF(ds);
  const config = overrideConfig(leaf, 'bevbuild');
  const ckpt = `work/${k}/second/epoch_${s.epochs}.pth`;
  const dir = `export/${k}/second`;
  const fromCkpt = {...bev, config, checkpoint: ckpt};
  const unified = `${dir}/bevfusion_unified.onnx`;
  const int8Xml = `${dir}/int8/bevfusion_unified_int8.xml`;
  const {nCalib, nVal, numFrames} = s.sizes;
  const quant = {repo: s.training, env: envs.spconv, config, modelFp32: unified, geoDir: `${dir}/geometry`, calibDir: `${dir}/calib_voxels`, nCalib, nVal, frames: numFrames, device: s.ovDevice};
  return {
    [`config/${k}/second`]: configOverride({repo: s.training, leaf, name: 'bevbuild', values: ds.configValues}),
    // bevpoolV2: the resolved chain must train bevpoolv2 (pitfall 1); the spconvEnv import probe runs first (pitfall 4).
    [`train/${k}/second`]: train({...bev, config, runDir: `work/${k}/second`, epochs: s.epochs, data: ds.data, extraInputs: [join(s.training, 'model/resnet34-333f7ec4.pth'), SPCONV_PROBE], gpus: s.gpus, bevpoolV2: true}),
    [`viz/${k}/second`]: inferenceVis({...fromCkpt, outDir: `viz/${k}/second`, data: ds.data, gpus: s.gpus}),
    [`geometry/${k}`]: precomputeGeometry({...fromCkpt, outDir: `${dir}/geometry`, split: 'val', sampleIdx: 0, data: ds.data}),
    [`onnx/${k}/second`]: exportUnifiedOnnx({...fromCkpt, geometryDir: `${dir}/geometry`, output: unified}),
    [`calib/${k}`]: dumpVoxels({...fromCkpt, outDir: `${dir}/calib_voxels`, numFrames, split: 'val', data: ds.data}),
    [`pseudo-gt/${k}`]: quantizeUnifiedPseudoGt({...quant, output: `${dir}/pseudo_gt.npz`}),
    [`int8/${k}/second`]: quantizeUnified({...quant, pseudoGt: `${dir}/pseudo_gt.npz`, output: int8Xml}),
    ...validatedDeploy(s, ds, {pipeline: 'second', int8Xml, fp32Onnx: unified}, envs.openvino),
  };
}
