/**
 * The example's inputs come from environment variables (paths differ per machine). All of them
 * are read here, once; every missing or wrong one is reported together in one message, and the
 * config fails to load with it (a usage error, exit 2).
 */
import {existsSync} from 'node:fs';
import {isAbsolute, join, resolve} from 'node:path';

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
  dairRoot: string;
  dairSplit: string;
  epochs: number;
  gpus: number;
  ovDevice: string;
  deploySamples: number;
}

const VARS: Record<string, string> = {
  INTEL_REPO: 'the intermediate-fusion root (holds training/ and deploy/)',
  BEV_ENV: 'the bevEnv venv prefix (CUDA, torch 1.11, mmdet3d)',
  SPCONV_ENV: 'the spconvEnv venv prefix (py3.12, NNCF, for quantize_unified.py)',
  OPENVINO_ROOT: 'the custom OpenVINO build root (holds bin/intel64/Release)',
  KITTI_RAW: 'the KITTI root (training/, ImageSets/, kitti_infos_*.pkl from mmdet3d v1.x create_data)',
  DAIR_V2X_ROOT: 'the DAIR-V2X-I root (image/, velodyne/, calib/, label/, dair_12hz_infos_*.pkl)',
};

const int = (env: NodeJS.ProcessEnv, name: string, dflt: number, problems: string[]): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) problems.push(`${name}="${raw}" is not a non-negative integer`);
  return n;
};

/** Reads the settings; throws one message naming every missing or invalid variable. */
export function readSettings(ws: string, env: NodeJS.ProcessEnv = process.env): IntelSettings {
  const problems: string[] = [];
  const path = (name: string): string => {
    const v = env[name];
    if (!v) {
      problems.push(`${name} is not set: ${VARS[name]}`);
      return `/missing/${name}`;
    }
    const abs = isAbsolute(v) ? v : resolve(ws, v);
    if (!existsSync(abs)) problems.push(`${name}=${v} does not exist (${VARS[name]})`);
    return abs;
  };
  const repo = path('INTEL_REPO');
  const s: IntelSettings = {
    ws,
    repo,
    training: join(repo, 'training'),
    deploy: join(repo, 'deploy'),
    bevEnv: path('BEV_ENV'),
    spconvEnv: path('SPCONV_ENV'),
    openvinoRelease: join(path('OPENVINO_ROOT'), 'bin/intel64/Release'),
    kittiRaw: path('KITTI_RAW'),
    dairRoot: path('DAIR_V2X_ROOT'),
    dairSplit: '',
    epochs: int(env, 'INTEL_EPOCHS', 100, problems),
    gpus: int(env, 'INTEL_GPUS', 1, problems),
    ovDevice: env['INTEL_OV_DEVICE'] || 'GPU.1',
    deploySamples: int(env, 'INTEL_DEPLOY_SAMPLES', 200, problems),
  };
  s.dairSplit = env['DAIR_SPLIT_JSON'] ? resolve(ws, env['DAIR_SPLIT_JSON']) : join(s.training, 'data/single-infrastructure-split-data.json');
  if (problems.length) {
    const e = new Error(`the Intel example needs these environment variables (see examples/intel-intermediate-fusion/README.md):\n  ${problems.join('\n  ')}`);
    e.stack = e.message.split('\n')[0]; // the loader shows stack lines as notes; the message already says it all
    throw e;
  }
  return s;
}
