/**
 * Issue 9 against the (strict) fixture: the Intel example on a GPU host. CUDA tools declare their
 * GPU and a machine without one is refused at plan time; the bevpoolv2 guard reads the resolved
 * config chain (and the checkpoint's merged config); V2X unified runs recompute camera metas;
 * frame counts are checked against the split sizes at load; a KITTI-only user builds from KITTI
 * raw without any DAIR variable; a missing spconvEnv import fails before any training.
 */
import {spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {loadConfig} from '../src/config/load-config.ts';
import {placeholderContext} from '../src/engine/action-key.ts';
import {analyze} from '../src/graph/analyze.ts';
import type {GraphNode} from '../src/graph/graph.ts';
import {nodeTool, toolPath} from '../rules/intel/node-tool.ts';
import {quantizeUnified} from '../rules/intel/quantize-unified.ts';
import {prepareIntelFixture, type IntelFixture} from './fixtures/intel-repo/prepare.ts';
import {withTimeout} from './util/rig-test.ts';
import {BEVBUILD} from './util/workspace-rig.ts';

const test = suite('intel-guards');

type Event = Record<string, unknown>;
function bevbuild(fx: IntelFixture, args: string[], env: Record<string, string | undefined> = fx.env): {code: number | null; events: Event[]; stderr: string} {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({...process.env, ...env, CI: '1', NO_COLOR: '1'})) if (v !== undefined) merged[k] = v;
  const r = spawnSync(process.execPath, [BEVBUILD, '-C', fx.ws, '--json', ...args], {env: merged, encoding: 'utf8'});
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
  return {code: r.status, events, stderr: r.stderr};
}
const ofType = (r: {events: Event[]}, type: string) => r.events.filter((e) => e['type'] === type);
const executed = (r: {events: Event[]}) => ofType(r, 'done').filter((e) => e['status'] === 'executed').map((e) => String(e['id']));
/** The fixture's variables without some of them (a user who never set them). */
const without = (fx: IntelFixture, ...names: string[]) => Object.fromEntries(Object.entries(fx.env).map(([k, v]) => [k, names.includes(k) ? undefined : v]));

async function nodes(fx: IntelFixture): Promise<GraphNode[]> {
  Object.assign(process.env, fx.env);
  const loaded = await loadConfig(fx.ws);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const g = analyze(fx.ws, loaded.value.file, loaded.value.spec);
  if (!g.ok) throw new Error(JSON.stringify(g.error));
  return [...g.value.nodes.values()];
}

/** Rules whose tool calls `.cuda()` (reference §1.1). */
const CUDA_RULES = ['intel/train', 'intel/inference-vis', 'intel/precompute-geometry', 'intel/export-unified-onnx', 'intel/dump-voxels', 'intel/pp-export-all', 'intel/pp-export-lidar-fixed-v', 'intel/pp-quantize-all', 'intel/pp-quantize-stage'];

test('#1 every CUDA tool declares its GPU; without one the build is refused before anything runs', withTimeout(async () => {
  await using fx = prepareIntelFixture();
  for (const n of await nodes(fx)) assert.is(n.resources.gpu, CUDA_RULES.includes(n.rule.name) ? 1 : 0, `${n.id} (${n.rule.name})`);
  // The fixture's CUDA tools fail like torch does when the engine hides the GPUs.
  const r = spawnSync(join(fx.repo, 'envs/bev/bin/python'), ['export/precompute_geometry.py', 'configs/Kitti/default.yaml', 'ck.pth', '--from-dataset'], {cwd: join(fx.repo, 'training'), env: {...process.env, CUDA_VISIBLE_DEVICES: ''}, encoding: 'utf8'});
  assert.match(r.stderr, /RuntimeError: No CUDA GPUs are available/);
  // …and reject what torchpack rejects: a trailing override without a value.
  const bare = spawnSync(join(fx.repo, 'envs/bev/bin/python'), ['tools/train.py', 'configs/Kitti/default.yaml', '--run-dir', join(fx.ws, 'r'), '--max_epochs'], {cwd: join(fx.repo, 'training'), env: {...process.env, CUDA_VISIBLE_DEVICES: '0'}, encoding: 'utf8'});
  assert.match(bare.stderr, /IndexError/);

  const noGpu = bevbuild(fx, ['deploy/kitti/second'], {...fx.env, CUDA_VISIBLE_DEVICES: ''});
  assert.is(noGpu.code, 2, noGpu.stderr);
  const d = ofType(noGpu, 'diagnostic')[0]!;
  assert.is(d['code'], 'no-gpu');
  for (const id of ['train/kitti/second', 'geometry/kitti', 'onnx/kitti/second', 'calib/kitti']) assert.match(String(d['message']), new RegExp(`\\b${id}\\b`));
  assert.equal(ofType(noGpu, 'start'), [], 'nothing ran');
  // A dry run still plans (and says what a build would refuse).
  const dry = bevbuild(fx, ['--dry-run', 'deploy/kitti/second'], {...fx.env, CUDA_VISIBLE_DEVICES: ''});
  assert.is(dry.code, 0);
  assert.ok(ofType(dry, 'warning').some((w) => /needs? a CUDA GPU/.test(String(w['message']))));
  // Discovery: no CUDA_VISIBLE_DEVICES in the shell, nvidia-smi -L lists one GPU → no refusal.
  const bin = join(fx.ws, 'fakebin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\necho "GPU 0: NVIDIA RTX A4000 (UUID: GPU-1234)"\n');
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  const found = bevbuild(fx, ['--dry-run', 'deploy/kitti/second'], {...fx.env, CUDA_VISIBLE_DEVICES: undefined, PATH: `${bin}:${process.env['PATH']}`});
  assert.is(found.code, 0);
  assert.equal(ofType(found, 'warning').filter((w) => /GPU/.test(String(w['message']))), []);
}, 120_000));

test('#3 a Pipeline-B leaf whose content trains bevpoolv1 is refused before training, naming key, file and fix', withTimeout(async () => {
  await using fx = prepareIntelFixture();
  const leaf = join(fx.repo, 'training/configs/Kitti/det/centerhead/secfpn/camera+lidar/resnet34/bevpoolv2.yaml');
  writeFileSync(leaf, readFileSync(leaf, 'utf8').replace('use_bevpool: bevpoolv2', 'use_bevpool: bevpoolv1'));
  const r = bevbuild(fx, ['train/kitti/second']);
  assert.is(r.code, 1);
  const failed = ofType(r, 'failed').find((e) => e['id'] === 'train/kitti/second')!;
  const text = JSON.stringify(failed);
  assert.match(text, /model\.encoders\.camera\.vtransform\.use_bevpool = \\"bevpoolv1\\" \(set by configs\/Kitti\/det\/centerhead\/secfpn\/camera\+lidar\/resnet34\/bevpoolv2\.bevbuild\.yaml\); expected bevpoolv2\. Fix: Pipeline B trains the …\/resnet34\/bevpoolv2\.yaml leaf/);
  assert.not.ok(existsSync(join(fx.ws, 'work/kitti/second/epoch_2.pth')), 'nothing was trained');
}, 120_000));

test('#3 the checkpoint guard reads the merged configs.yaml next to the checkpoint', withTimeout(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-guard-'));
  try {
    const guard = (file: string) =>
      spawnSync(nodeTool(toolPath(import.meta.url, '../rules/intel/tools/guard-config.ts'))[0]!, [...nodeTool(toolPath(import.meta.url, '../rules/intel/tools/guard-config.ts')).slice(1), '--resolved', file, '--key', 'model.encoders.camera.vtransform.use_bevpool', '--expect', 'bevpoolv2', '--unset', 'bevpoolv1', '--fix', 'retrain', '--', 'sh', '-c', 'echo exported'], {cwd: dir, encoding: 'utf8'});
    writeFileSync(join(dir, 'v1.yaml'), 'model:\n  encoders:\n    camera:\n      vtransform: {in_channels: 256}\n');
    const v1 = guard('v1.yaml');
    assert.is(v1.status, 3);
    assert.match(v1.stderr, /the checkpoint's config v1\.yaml resolves model\.encoders\.camera\.vtransform\.use_bevpool = unset \(bevpoolv1\) \(no file of \[v1\.yaml\] sets it\); expected bevpoolv2\. Fix: retrain/);
    assert.not.match(v1.stdout, /exported/);
    writeFileSync(join(dir, 'v2.yaml'), 'model:\n  encoders:\n    camera:\n      vtransform: {use_bevpool: bevpoolv2}\n');
    const v2 = guard('v2.yaml');
    assert.is(v2.status, 0, v2.stderr);
    assert.match(v2.stdout, /exported/);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}));

test('#4 V2X unified runs pass --recompute-camera-metas; #5 sizes are params with defaults, checked at load', withTimeout(async () => {
  await using fx = prepareIntelFixture();
  const all = await nodes(fx);
  const argv = (id: string) => {
    const n = all.find((x) => x.id === id)!;
    return n.rule.argv(n.params, placeholderContext(n));
  };
  for (const prec of ['int8', 'fp16']) {
    assert.ok(argv(`run/v2x/second/${prec}`).includes('--recompute-camera-metas'), `v2x ${prec}`);
    assert.not.ok(argv(`run/kitti/second/${prec}`).includes('--cache-camera-metas'), 'KITTI recomputes by default');
  }
  // Pitfall 9: the unified exports share the repo's fixed export/_tmp_unified, so they never overlap.
  const ex = (id: string) => all.find((x) => x.id === id)!.exclusive;
  assert.ok(ex('onnx/kitti/second') !== undefined && ex('onnx/kitti/second') === ex('onnx/v2x/second'));
  // Pitfall 11: every deploy run gets its own OpenVINO model cache.
  const run = all.find((x) => x.id === 'run/v2x/second/int8')!;
  assert.match(run.rule.env!(run.params, placeholderContext(run))['OV_CACHE_DIR']!, /ov_cache$/);
  // Rule defaults are the Doc's 300/100; asking for more than the dumped frames is refused at analysis.
  const q = quantizeUnified.spec.params.safeParse({repo: 'T', env: 'env/spconv', config: 'c.yaml', modelFp32: 'm.onnx', geoDir: 'g', calibDir: 'c', pseudoGt: 'p.npz', output: 'o.xml', frames: 400});
  assert.ok(q.success && q.data.nCalib === 300 && q.data.nVal === 100);
  const tooMany = quantizeUnified.spec.params.safeParse({repo: 'T', env: 'env/spconv', config: 'c.yaml', modelFp32: 'm.onnx', geoDir: 'g', calibDir: 'c', pseudoGt: 'p.npz', output: 'o.xml', frames: 300});
  assert.ok(!tooMany.success && /nCalib \+ nVal exceeds the dumped frames/.test(tooMany.error.issues[0]!.message));
  // The example's defaults (400 frames, 300 samples) do not fit the fixture's 2-frame val split: exit 2, nothing runs.
  const r = bevbuild(fx, ['deploy/kitti/second'], without(fx, 'INTEL_NUM_FRAMES', 'INTEL_NUM_SAMPLES', 'INTEL_N_CALIB', 'INTEL_N_VAL'));
  assert.is(r.code, 2);
  const msg = JSON.stringify(ofType(r, 'diagnostic'));
  assert.match(msg, /INTEL_NUM_FRAMES=400 exceeds the KITTI val split \(2 frames in [^)]*ImageSets\/val\.txt\)/);
  assert.match(msg, /INTEL_NUM_SAMPLES=300 exceeds the DAIR-V2X-I val split \(2 frames in [^)]*single-infrastructure-split-data\.json\)/);
  const calib = bevbuild(fx, ['--dry-run', 'deploy/kitti/second'], {...fx.env, INTEL_N_CALIB: '2'});
  assert.is(calib.code, 2);
  assert.match(JSON.stringify(ofType(calib, 'diagnostic')), /INTEL_N_CALIB \+ INTEL_N_VAL = 2 \+ 1 exceeds INTEL_NUM_FRAMES=2/);
}, 120_000));

test('#6 a KITTI-only user sets no DAIR variable and builds deploy/kitti/second from KITTI raw', withTimeout(async () => {
  await using fx = prepareIntelFixture('example');
  const kittiOnly = without(fx, 'DAIR_V2X_ROOT', 'DAIR_SPLIT_JSON');
  const r = bevbuild(fx, ['deploy/kitti/second'], kittiOnly);
  assert.is(r.code, 0, `${JSON.stringify(ofType(r, 'failed'))} ${JSON.stringify(ofType(r, 'diagnostic'))}`);
  const ran = executed(r);
  for (const id of ['data/kitti', 'data/kitti-v2x', 'probe/spconv-imports', 'train/kitti/second', 'run/kitti/second/int8', 'deploy/kitti/second']) assert.ok(ran.includes(id), id);
  // The infos are made in the workspace; the raw dataset is never written to.
  assert.equal(readdirSync(join(fx.ws, 'data/kitti')).filter((f) => f.endsWith('.pkl')).sort(), ['kitti_infos_test.pkl', 'kitti_infos_train.pkl', 'kitti_infos_trainval.pkl', 'kitti_infos_val.pkl']);
  assert.equal(readdirSync(fx.env['KITTI_RAW']!).sort(), ['ImageSets', 'training']);
  assert.not.ok(existsSync(join(fx.env['KITTI_RAW']!, 'training/velodyne_reduced')));
  assert.ok(existsSync(join(fx.ws, 'deploy/data/kitti/second/bevfusion_unified_int8.xml')));
  // A V2X target names what is missing and where the split file comes from, before anything runs.
  const v2x = bevbuild(fx, ['deploy/v2x/second'], kittiOnly);
  assert.is(v2x.code, 2);
  const msg = String(ofType(v2x, 'diagnostic')[0]!['message']);
  assert.match(msg, /DAIR_V2X_ROOT is not set/);
  assert.match(msg, /DAIR_SPLIT_JSON is not set: single-infrastructure-split-data\.json from the DAIR-V2X repo \(github\.com\/AIR-THU\/DAIR-V2X, data\/split_datas\/\); the Intel repo ships none/);
  assert.equal(ofType(v2x, 'start'), []);
}, 180_000));

test('#7 a package missing from spconvEnv fails the import probe before any training', withTimeout(async () => {
  await using fx = prepareIntelFixture();
  const site = readdirSync(join(fx.repo, 'envs/spconv/lib')).map((v) => join(fx.repo, 'envs/spconv/lib', v, 'site-packages')).find((d) => existsSync(join(d, 'mmcv')))!;
  rmSync(join(site, 'mmcv'), {recursive: true});
  const r = bevbuild(fx, ['deploy/kitti/second']);
  assert.is(r.code, 1);
  const failed = ofType(r, 'failed').find((e) => e['id'] === 'probe/spconv-imports')!;
  assert.match(String(failed['message']), /env\/spconv cannot import mmcv: quantize_unified\.py --config needs torchpack, mmcv and mmdet3d\.utils in spconvEnv .* -m pip install torchpack mmcv/);
  assert.match(JSON.stringify(failed['details']), /MISSING mmcv: ModuleNotFoundError/);
  assert.not.ok(executed(r).includes('train/kitti/second'), 'no training ran');
  // mmdet3d comes from the repo's training dir on PYTHONPATH: with mmcv back, the probe passes.
  mkdirSync(join(site, 'mmcv'));
  writeFileSync(join(site, 'mmcv', '__init__.py'), '');
  const again = bevbuild(fx, ['probe/spconv-imports']);
  assert.is(again.code, 0, JSON.stringify(ofType(again, 'failed')));
}, 120_000));

test.run();
