/**
 * The example's inputs come from environment variables (paths differ per machine). All of them
 * are read here, once; every missing or wrong one is reported together in one message, and the
 * config fails to load with it (a usage error, exit 2). DAIR-V2X-I is optional: without its
 * variables the V2X targets refuse when selected, and a KITTI-only user sets none of them.
 * The calibration/validation sizes are checked against the split sizes here, before anything runs.
 */
import {existsSync, readFileSync} from 'node:fs';
import {isAbsolute, join, resolve} from 'node:path';

/** Frame counts of the quantization steps (the Doc's 300/100/400/300), per dataset-independent setting. */
export interface Sizes {
  /** quantize_unified `--n-calib` / `--n-val`. */
  nCalib: number;
  nVal: number;
  /** dump_voxels `--num-frames`. */
  numFrames: number;
  /** Pipeline A quantize `--num-samples`. */
  numSamples: number;
}

/** Resolved settings of the example workspace. */
export interface IntelSettings {
  /** Absolute workspace root (where bevbuild.config.ts lives). */
  ws: string;
  /** The intermediate-fusion root `R`, its training dir `T` and deploy dir `D`. */
  repo: string;
  training: string;
  deploy: string;
  bevEnv: string;
  spconvEnv: string;
  /** `<OPENVINO_ROOT>/bin/intel64/Release`. */
  openvinoRelease: string;
  kittiRaw: string;
  /** mmdet3d v1.x checkout + env that make the KITTI infos; undefined when KITTI_RAW already has them. */
  mmdet3d: {repo: string; env: string} | undefined;
  /** DAIR-V2X-I root and split file; undefined (with `dairMissing` saying why) when not configured. */
  dair: {root: string; split: string} | undefined;
  dairMissing: string;
  epochs: number;
  gpus: number;
  ovDevice: string;
  deploySamples: number;
  sizes: Sizes;
}

const VARS: Record<string, string> = {
  INTEL_REPO: 'the intermediate-fusion root (holds training/ and deploy/)',
  BEV_ENV: 'the bevEnv venv prefix (CUDA, torch 1.11, mmdet3d)',
  SPCONV_ENV: 'the spconvEnv venv prefix (py3.12, NNCF, for quantize_unified.py)',
  OPENVINO_ROOT: 'the custom OpenVINO build root (holds bin/intel64/Release)',
  KITTI_RAW: 'the KITTI 3D-detection root (training/{image_2,velodyne,calib,label_2}, ImageSets/)',
  MMDET3D_V1_REPO: 'an mmdetection3d v1.x checkout (holds tools/create_data.py; makes kitti_infos_*.pkl from KITTI_RAW)',
  MMDET3D_V1_ENV: 'the venv prefix in which that mmdetection3d v1.x is installed',
  DAIR_V2X_ROOT: 'the DAIR-V2X-I root (image/, velodyne/, calib/, label/, dair_12hz_infos_*.pkl)',
  DAIR_SPLIT_JSON: 'single-infrastructure-split-data.json from the DAIR-V2X repo (github.com/AIR-THU/DAIR-V2X, data/split_datas/); the Intel repo ships none',
};

const int = (env: NodeJS.ProcessEnv, name: string, dflt: number, problems: string[], min = 0): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) problems.push(`${name}="${raw}" is not an integer ≥ ${min}`);
  return n;
};

/** Reads the settings; throws one message naming every missing or invalid variable. */
export function readSettings(ws: string, env: NodeJS.ProcessEnv = process.env): IntelSettings {
  const problems: string[] = [];
  const path = (name: string, into = problems): string => {
    const v = env[name];
    if (!v) {
      into.push(`${name} is not set: ${VARS[name]}`);
      return `/missing/${name}`;
    }
    const abs = isAbsolute(v) ? v : resolve(ws, v);
    if (!existsSync(abs)) into.push(`${name}=${v} does not exist (${VARS[name]})`);
    return abs;
  };
  const repo = path('INTEL_REPO');
  const kittiRaw = path('KITTI_RAW');
  // The KITTI infos are made by a node (mmdet3d v1.x create_data.py) unless KITTI_RAW already has them.
  const haveInfos = ['train', 'val'].every((s) => existsSync(join(kittiRaw, `kitti_infos_${s}.pkl`)));
  const mmdet3d = env['MMDET3D_V1_REPO'] || !haveInfos ? {repo: path('MMDET3D_V1_REPO'), env: path('MMDET3D_V1_ENV')} : undefined;
  const dairProblems: string[] = [];
  const dairRoot = path('DAIR_V2X_ROOT', dairProblems);
  const dairSplit = path('DAIR_SPLIT_JSON', dairProblems);
  const s: IntelSettings = {
    ws,
    repo,
    training: join(repo, 'training'),
    deploy: join(repo, 'deploy'),
    bevEnv: path('BEV_ENV'),
    spconvEnv: path('SPCONV_ENV'),
    openvinoRelease: join(path('OPENVINO_ROOT'), 'bin/intel64/Release'),
    kittiRaw,
    mmdet3d,
    dair: dairProblems.length ? undefined : {root: dairRoot, split: dairSplit},
    dairMissing: `the DAIR-V2X-I targets need ${dairProblems.join('; ')} (see examples/intel-intermediate-fusion/README.md)`,
    epochs: int(env, 'INTEL_EPOCHS', 100, problems, 1),
    gpus: int(env, 'INTEL_GPUS', 1, problems),
    ovDevice: env['INTEL_OV_DEVICE'] || 'GPU.1',
    deploySamples: int(env, 'INTEL_DEPLOY_SAMPLES', 200, problems, 1),
    sizes: {
      nCalib: int(env, 'INTEL_N_CALIB', 300, problems, 1),
      nVal: int(env, 'INTEL_N_VAL', 100, problems, 1),
      numFrames: int(env, 'INTEL_NUM_FRAMES', 400, problems, 1),
      numSamples: int(env, 'INTEL_NUM_SAMPLES', 300, problems, 1),
    },
  };
  if (!problems.length) problems.push(...checkSizes(s));
  if (problems.length) {
    const e = new Error(`the Intel example needs these environment variables (see examples/intel-intermediate-fusion/README.md):\n  ${problems.join('\n  ')}`);
    e.stack = e.message.split('\n')[0]; // the loader shows stack lines as notes; the message already says it all
    throw e;
  }
  return s;
}

/**
 * The quantization steps read the first N frames of the val split; asking for more fails inside
 * the tools (quantize_unified asserts `n_calib + n_val ≤ frames`) after hours of training.
 */
export function checkSizes(s: IntelSettings): string[] {
  const {nCalib, nVal, numFrames, numSamples} = s.sizes;
  const problems: string[] = [];
  if (nCalib + nVal > numFrames) problems.push(`INTEL_N_CALIB + INTEL_N_VAL = ${nCalib} + ${nVal} exceeds INTEL_NUM_FRAMES=${numFrames} (quantize_unified asserts n_calib + n_val ≤ dumped frames)`);
  const splits: [string, string, number | undefined][] = [['KITTI', join(s.kittiRaw, 'ImageSets/val.txt'), kittiVal(s.kittiRaw)]];
  if (s.dair) splits.push(['DAIR-V2X-I', s.dair.split, dairVal(s.dair.split)]);
  for (const [name, file, size] of splits) {
    if (size === undefined) {
      problems.push(`cannot read the ${name} val split size from ${file}`);
      continue;
    }
    const over = [['INTEL_NUM_FRAMES', numFrames], ['INTEL_NUM_SAMPLES', numSamples]].filter(([, n]) => (n as number) > size);
    for (const [v, n] of over) problems.push(`${v}=${n} exceeds the ${name} val split (${size} frame${size === 1 ? '' : 's'} in ${file}): lower it (e.g. ${v}=${size}) or use a larger split`);
  }
  return problems;
}

const kittiVal = (root: string): number | undefined => {
  try {
    return readFileSync(join(root, 'ImageSets/val.txt'), 'utf8').split('\n').filter((l) => l.trim()).length;
  } catch {
    return undefined;
  }
};

const dairVal = (file: string): number | undefined => {
  try {
    const v = (JSON.parse(readFileSync(file, 'utf8')) as {val?: unknown}).val;
    return Array.isArray(v) ? v.length : undefined;
  } catch {
    return undefined;
  }
};
