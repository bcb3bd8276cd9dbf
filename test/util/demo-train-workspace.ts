/**
 * A small demo workspace for resume tests: a 4-frame synthetic KITTI set and one `intel/train`
 * node (`train`, the demo's numpy trainer, ~1–2 s per epoch) on the pinned test venv. `EPOCHS` in
 * the build's environment picks the epochs (default 5). With `slurm`, the node runs as a SLURM job
 * (a variant of intel/train with the rig's resources and the given time limit and warning signal).
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {makeDemoWorkspace} from './demo-workspace.ts';
import {ensureVenv} from './venv.ts';
import {BEVBUILD} from './workspace-rig.ts';

export const RUN_DIR = 'demo/training/work_dirs/Kitti/bevpoolv2';

export interface SlurmTrain {
  timeMinutes: number;
  signalSeconds: number;
  /** `demo.train_steps` (default: the config's 600), to make the training outlast a time limit. */
  steps?: number;
}

export function makeTrainWorkspace(opts: {slurm?: SlurmTrain} = {}): {dir: string; dispose: () => void} {
  const ws = makeDemoWorkspace();
  const prefix = ensureVenv('demo/requirements-openvino.txt').replace(/\/bin\/python$/, ''); // numpy + onnx: all the trainer needs
  writeFileSync(join(ws.dir, 'bevbuild.config.ts'), `
import {defineConfig, defineRule} from 'bevbuild';
import {externalPython} from './rules/env/external-python.ts';
import {syntheticDataset} from './rules/demo/synthetic-dataset.ts';
import {createDataKitti} from './rules/intel/create-data.ts';
import {convertKittiToV2x} from './rules/intel/convert-kitti-to-v2x.ts';
import {train} from './rules/intel/train.ts';
const T = 'demo/training';
const bev = {repo: T, env: 'env/bev', code: [T + '/bevlite/*.py']};
const raw = T + '/data/kitti', root = T + '/data/kitti-v2x';
${opts.slurm ? `const rule = defineRule({...train.spec, name: 'test/slurm-train', executor: () => 'slurm', slurm: () => ({cpusPerTask: 1, timeMinutes: ${opts.slurm.timeMinutes}}),
  resume: (p) => ({...train.spec.resume!(p)!, signalSeconds: ${opts.slurm.signalSeconds}})});
const overrides = ${JSON.stringify(opts.slurm.steps ? {'demo.train_steps': opts.slurm.steps} : {})};` : 'const rule = train, overrides = {};'}
export default defineConfig({artifacts: [
  ['env/bev', externalPython({name: 'bev', prefix: ${JSON.stringify(prefix)}})],
  ['data/raw', syntheticDataset({...bev, outDir: raw, variant: 'kitti', numFrames: 4})],
  ['data/infos', createDataKitti({...bev, rootPath: raw, outDir: raw})],
  ['data', convertKittiToV2x({...bev, srcRoot: raw, dstRoot: root, infos: ['train', 'val', 'trainval', 'test'].map((s) => raw + '/kitti_infos_' + s + '.pkl')})],
  ['train', rule({...bev, gpus: 0, config: 'configs/Kitti/det/centerhead/secfpn/camera+lidar/resnet34/bevpoolv2.yaml', runDir: '${RUN_DIR}', data: [root],
    epochs: Number(process.env['EPOCHS'] ?? 5), overrides})],
]});
`);
  return ws;
}

/** A running `bevbuild` (text output, CI mode). */
export function startBevbuild(dir: string, args: string[], env: Record<string, string> = {}): {child: ChildProcess; done: Promise<{code: number | null; signal: string | null; out: string}>} {
  const child = spawn(process.execPath, [BEVBUILD, ...args], {cwd: dir, env: {...process.env, CI: '1', NO_COLOR: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return {child, done: new Promise((resolve) => child.on('close', (code, signal) => resolve({code, signal, out})))};
}

/** Waits until `find()` returns something (polls; the caller's test timeout bounds the wait). */
export async function waitFor<T>(find: () => T | undefined, what: string, tries = 1200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = find();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The staging path of `file` in the train node's running run, once it exists. */
export function stagedFile(dir: string, file: string): string | undefined {
  const runs = join(dir, '.bevbuild/runs');
  if (!existsSync(runs)) return undefined;
  for (const r of readdirSync(runs)) {
    const p = join(runs, r, 'out', RUN_DIR, file);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Kept partial runs: key → checkpoint named in info.json. */
export function partials(dir: string): Record<string, string> {
  const root = join(dir, '.bevbuild/partial');
  if (!existsSync(root)) return {};
  return Object.fromEntries(readdirSync(root).map((k) => [k, (JSON.parse(readFileSync(join(root, k, 'info.json'), 'utf8')) as {checkpoint: string}).checkpoint]));
}

/** The text of every train log of the workspace, newest last. */
export function trainLogs(dir: string): string[] {
  const logs = join(dir, '.bevbuild/logs');
  // Run ids start with a base-36 time: name order is start order.
  return readdirSync(logs).filter((f) => /^train\..*\.log$/.test(f)).sort().map((f) => readFileSync(join(logs, f), 'utf8'));
}

export const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
