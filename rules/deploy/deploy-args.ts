/**
 * What the two deploy-binary rules share: params, the argv pieces both binaries accept (WD
 * snapshot, reference §4.2/§4.3), inputs, and the wrapper that runs a binary in a per-run cwd.
 * Guards: the precision flag is `--fp16` (WD aborts on `--fp32`, pitfall 24) and INT8 is always
 * explicit for `./bevfusion` (its default differs between docs and code); `--num-samples` takes the
 * first N sorted ids of the split root (pitfall 32), so runs to compare must share it — `run.json`
 * records the flags for the validator (pitfall 31).
 */
import {z} from '../../src/index.ts';
import {nodeTool, toolPath} from '../intel/node-tool.ts';

export const RUNNER = toolPath(import.meta.url, './tools/run-binary.ts');

export const deployParams = {
  /** The binary (`<D>/build/bevfusion[_unified]`). */
  binary: z.string(),
  /** KITTI-style split root (`…/training`: image_2/, velodyne/, calib/, label_2/). */
  dataset: z.string(),
  preset: z.enum(['v2x', 'kitti']),
  precision: z.enum(['int8', 'fp16']),
  numSamples: z.number().int().positive().optional(),
  /** Score threshold override; defaults differ per preset (kitti 0.5, v2x 0.1). */
  bboxScore: z.number().min(0).max(1).optional(),
  /** `default` keeps the binary's filter (bicycle, pedestrian removed); `none` = `--no-filter`; or labels to remove. */
  filter: z.union([z.enum(['default', 'none']), z.array(z.string().regex(/^[A-Za-z0-9_]+$/)).min(1)]).default('default'),
  /** Gets `run.json` and `pred/` (one `<id>.txt` per sample). */
  outDir: z.string(),
  /** Toolchain providing the runtime libraries (e.g. env/openvino for the custom build). */
  env: z.string().optional(),
};

export const DATASET_DIRS = ['image_2', 'velodyne', 'calib', 'label_2'];

/** Flags common to both binaries, after the dataset positional and before binary-specific ones. */
export function commonFlags(p: {preset: string; numSamples?: number | undefined; bboxScore?: number | undefined; filter: 'default' | 'none' | string[]}): string[] {
  return [
    '--preset', p.preset,
    ...(p.numSamples !== undefined ? ['--num-samples', String(p.numSamples)] : []),
    ...(p.bboxScore !== undefined ? ['--bbox-score', String(p.bboxScore)] : []),
    ...(p.filter === 'none' ? ['--no-filter'] : p.filter === 'default' ? [] : ['--filter-labels', p.filter.join(',')]),
  ];
}

export const runOutputs = (outDir: string) => [`${outDir}/run.json`, `${outDir}/pred`];

/**
 * The wrapper around a binary run: cwd = this run's scratch dir (the binaries append
 * `*_perf_summary.csv` to cwd, pitfall 12), `--dump-pred --pred-dir` into the staged outputs,
 * stdout parsed into run.json.
 */
export function wrap(kind: 'bevfusion' | 'bevfusion_unified', precision: string, ctx: {tmp: string; out(p: string): string}, outDir: string, dataset: string, binaryArgv: string[]): string[] {
  const pred = ctx.out(`${outDir}/pred`);
  return [...nodeTool(RUNNER), '--kind', kind, '--precision', precision, '--cwd', ctx.tmp, '--dataset', dataset, '--pred-dir', pred, '--out', ctx.out(`${outDir}/run.json`), '--', ...binaryArgv, '--dump-pred', '--pred-dir', pred];
}

/** OpenVINO's compiled-model cache, isolated per run (cached GPU blobs can return empty detections, pitfall 11). */
export const ovCacheEnv = (ctx: {tmp: string}) => ({OV_CACHE_DIR: `${ctx.tmp}/ov_cache`});

/**
 * What `source /opt/intel/oneapi/setvars.sh` (and OpenVINO's setupvars.sh) set that the binaries
 * read at run time besides `LD_LIBRARY_PATH`/`PATH` (which every tool inherits behind its
 * toolchain's entries): the SYCL/OpenCL/Level Zero runtimes' device selection and ICD lookup.
 * Passed as they are, not keyed: they choose the device, not the result.
 */
export const ONEAPI_ENV = ['SETVARS_COMPLETED', 'ONEAPI_ROOT', 'CMPLR_ROOT', 'TBBROOT', 'OCL_ICD_FILENAMES', 'OCL_ICD_VENDORS', 'ONEAPI_DEVICE_SELECTOR', 'SYCL_DEVICE_FILTER', 'SYCL_CACHE_PERSISTENT', 'ZE_AFFINITY_MASK', 'ZE_ENABLE_PCI_ID_DEVICE_ORDER', 'INTEL_OPENVINO_DIR', 'OpenVINO_DIR'];
