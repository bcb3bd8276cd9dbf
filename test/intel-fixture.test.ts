/**
 * The Intel example workspace against a fixture shaped like the real repo (no GPU, dataset or real
 * tool): `--dry-run --json` prints the full ordered plan of deploy/kitti/second, whose commands are
 * exact; after a full build of all four deploy targets, editing a Kitti chain file marks only Kitti
 * nodes stale, and replacing a library of the fake OpenVINO build (or a distribution of a venv)
 * marks exactly the nodes using it stale.
 */
import {appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {loadConfig} from '../src/config/load-config.ts';
import {placeholderContext} from '../src/engine/action-key.ts';
import {analyze} from '../src/graph/analyze.ts';
import {prepareIntelFixture, type IntelFixture} from './fixtures/intel-repo/prepare.ts';
import {withTimeout} from './util/rig-test.ts';
import {BEVBUILD} from './util/workspace-rig.ts';
import {repoRoot} from './util/venv.ts';
import {spawnSync} from 'node:child_process';

const test = suite('intel-fixture');
const TARGETS = ['deploy/kitti/second', 'deploy/v2x/second', 'deploy/kitti/pointpillars', 'deploy/v2x/pointpillars'];

type Event = Record<string, unknown>;
function bevbuild(fx: IntelFixture, args: string[]): {code: number | null; events: Event[]; stderr: string} {
  const r = spawnSync(process.execPath, [BEVBUILD, '-C', fx.ws, '--json', ...args], {env: {...process.env, ...fx.env, CI: '1', NO_COLOR: '1'}, encoding: 'utf8'});
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
  return {code: r.status, events, stderr: r.stderr};
}
const plan = (events: Event[]) => events.filter((e) => e['type'] === 'plan') as {id: string; action: string; reasons: string[]}[];
/** Nodes a dry run would run or restore, apart from lazy env nodes (planned only for dependents). */
const stale = (events: Event[]) => plan(events).filter((e) => e.action !== 'fresh' && !e.id.startsWith('env/')).map((e) => e.id).sort();

/** Placeholder argv of every node (what the action key records), with the fixture path as $REPO. */
async function commands(fx: IntelFixture): Promise<Map<string, {argv: string; deps: string[]}>> {
  Object.assign(process.env, fx.env);
  const loaded = await loadConfig(fx.ws);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const g = analyze(fx.ws, loaded.value.file, loaded.value.spec);
  if (!g.ok) throw new Error(JSON.stringify(g.error));
  const out = new Map<string, {argv: string; deps: string[]}>();
  for (const n of g.value.nodes.values()) out.set(n.id, {argv: n.rule.argv(n.params, placeholderContext(n)).join(' ').replaceAll(fx.repo, '$REPO').replaceAll(fx.ws, '$WS'), deps: n.deps});
  return out;
}

const KITTI_SECOND_PLAN = [
  'candidate/kitti/second', 'calib/kitti', 'config/kitti/second', 'data/kitti', 'data/kitti-v2x', 'deploy/kitti/second', 'env/bev', 'env/mmdet3d', 'env/openvino', 'env/spconv', 'geometry/kitti',
  'int8/kitti/second', 'onnx/kitti/second', 'probe/spconv-imports', 'pseudo-gt/kitti', 'run/kitti/second/fp16', 'run/kitti/second/int8', 'train/kitti/second', 'validate/kitti/second',
].sort();

test('literally `bevbuild --dry-run --json deploy/kitti/second -C examples/intel-intermediate-fusion`', withTimeout(async () => {
  await using fx = prepareIntelFixture('example');
  // BEVBUILD_DIR keeps the dry run's state (compiled config, memo) out of the repo's example dir.
  const state = mkdtempSync(join(tmpdir(), 'bevbuild-intel-literal-'));
  try {
    const r = spawnSync(process.execPath, [BEVBUILD, '--dry-run', '--json', 'deploy/kitti/second', '-C', join(repoRoot, 'examples', 'intel-intermediate-fusion')], {env: {...process.env, ...fx.env, BEVBUILD_DIR: state, CI: '1'}, encoding: 'utf8'});
    assert.is(r.status, 0, r.stderr);
    const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
    assert.equal(plan(events).map((e) => e.id).sort(), KITTI_SECOND_PLAN);
    const train = events.find((e) => e['id'] === 'train/kitti/second')!;
    assert.ok((train['argv'] as string[]).includes('tools/train.py'), 'the plan carries the exact command');
  } finally {
    rmSync(state, {recursive: true, force: true});
  }
}));

test('dry run of deploy/kitti/second: the full ordered plan, exact commands, nothing real needed', withTimeout(async () => {
  await using fx = prepareIntelFixture('example');
  const r = bevbuild(fx, ['--dry-run', 'deploy/kitti/second']);
  assert.is(r.code, 0, r.stderr);
  const ids = plan(r.events).map((e) => e.id);
  assert.equal([...ids].sort(), KITTI_SECOND_PLAN);
  assert.ok(plan(r.events).every((e) => e.action === 'run' && e.reasons.length > 0));
  const cmds = await commands(fx);
  for (const [i, id] of ids.entries()) for (const d of cmds.get(id)!.deps) assert.ok(ids.indexOf(d) < i, `${d} is planned before ${id}`);

  const leaf = 'configs/Kitti/det/centerhead/secfpn/camera+lidar/resnet34/bevpoolv2.bevbuild.yaml';
  const exact: Record<string, string> = {
    'train/kitti/second': `GUARD(config ${leaf}) $PYTHON(env/bev) tools/train.py ${leaf} --run-dir $OUT/work/kitti/second --no-dist --max_epochs 2`,
    'geometry/kitti': `$PYTHON(env/bev) export/precompute_geometry.py ${leaf} $WS/work/kitti/second/epoch_2.pth --from-dataset --split val --sample-idx 0 -o $OUT/export/kitti/second/geometry`,
    'onnx/kitti/second': `GUARD(resolved $WS/work/kitti/second/configs.yaml) $PYTHON(env/bev) export/export_unified_onnx.py ${leaf} $WS/work/kitti/second/epoch_2.pth --geometry-dir $WS/export/kitti/second/geometry -o $OUT/export/kitti/second/bevfusion_unified.onnx --output-bound 80000`,
    'calib/kitti': `$PYTHON(env/bev) export/dump_voxels.py ${leaf} $WS/work/kitti/second/epoch_2.pth -o $OUT/export/kitti/second/calib_voxels --num-frames 2 --split val`,
    'pseudo-gt/kitti': `$PYTHON(env/spconv) -u export/quantize_unified.py --stage pseudo-gt --config ${leaf} --n-calib 1 --n-val 1 --device GPU.1 --model-fp32 $WS/export/kitti/second/bevfusion_unified.onnx --geo-dir $WS/export/kitti/second/geometry --calib-dir $WS/export/kitti/second/calib_voxels --pseudo-gt-cache $OUT/export/kitti/second/pseudo_gt.npz`,
    'int8/kitti/second': `$PYTHON(env/spconv) -u export/quantize_unified.py --stage quantize --config ${leaf} --n-calib 1 --n-val 1 --device GPU.1 --model-fp32 $WS/export/kitti/second/bevfusion_unified.onnx --geo-dir $WS/export/kitti/second/geometry --calib-dir $WS/export/kitti/second/calib_voxels --pseudo-gt-cache $WS/export/kitti/second/pseudo_gt.npz --plain-ptq --preset mixed --activation-range histogram --output $OUT/export/kitti/second/int8/bevfusion_unified_int8.xml`,
    'data/kitti-v2x': `$PYTHON(env/bev) tools/convert_kitti_to_v2x_format.py --src-root $WS/data/kitti --dst-root $OUT/data/kitti-v2x`,
  };
  // The bevpoolv2 guard (pitfall 1) wraps train and export; shown as GUARD(<what it reads>).
  const unguard = (a: string) => a.replace(/^\S+ --import \S+ \S+\/guard-config\.ts --(config|resolved) (\S+) --key model\.encoders\.camera\.vtransform\.use_bevpool --expect bevpoolv2 --unset bevpoolv1 --fix .*? -- /, 'GUARD($1 $2) ');
  for (const [id, argv] of Object.entries(exact)) assert.is(unguard(cmds.get(id)!.argv), argv, id);
  // KITTI raw → infos: mmdet3d v1.x create_data.py on a workspace view of the raw root (it writes into its root).
  assert.match(cmds.get('data/kitti')!.argv, / create-data-view \$REPO\/kitti-raw \$OUT\/data\/kitti \$PYTHON\(env\/mmdet3d\) tools\/create_data\.py kitti$/);
  // The deploy binary runs behind the wrapper: explicit model, per-run pred dir, never ../data.
  assert.match(cmds.get('run/kitti/second/fp16')!.argv, / -- \$REPO\/deploy\/build\/bevfusion_unified \$WS\/data\/kitti-v2x\/training --preset kitti --num-samples 3 --model \$WS\/stage\/data\/kitti\/second\/bevfusion_unified_fp16\.onnx --fp16 --dump-pred --pred-dir \$OUT\/runs\/kitti\/second\/fp16\/pred$/);
  assert.match(cmds.get('run/kitti/second/int8')!.argv, /--model \$WS\/stage\/data\/kitti\/second\/bevfusion_unified_int8\.xml --dump-pred/);
  assert.match(cmds.get('deploy/kitti/second')!.argv, /bevfusion_unified_fp16\.onnx=\$WS\/export\/kitti\/second\/bevfusion_unified\.onnx/);
}, 60_000));

test('a Kitti chain edit marks only Kitti nodes stale; OpenVINO and venv changes mark their users', withTimeout(async () => {
  await using fx = prepareIntelFixture();
  const built = bevbuild(fx, TARGETS);
  assert.is(built.code, 0, `${JSON.stringify(built.events.filter((e) => e["type"] === "failed"))} ${built.stderr.slice(-2000)}`);
  assert.equal(stale(bevbuild(fx, ['--dry-run', ...TARGETS]).events), []);
  // The generated override sits next to its leaf (so torchpack inherits the leaf dir's chain) and
  // holds the leaf's own values plus the overrides.
  const override = readFileSync(join(fx.repo, 'training/configs/Kitti/det/centerhead/secfpn/camera+lidar/resnet34/bevpoolv2.bevbuild.yaml'), 'utf8');
  assert.match(override, /use_bevpool: bevpoolv2/);
  assert.match(override, new RegExp(`dataset_root: ${fx.ws}/data/kitti-v2x`));
  const all = [...(await commands(fx)).keys()];

  appendFileSync(join(fx.repo, 'training/configs/Kitti/default.yaml'), 'voxel_size: [0.1, 0.1, 0.2]\n');
  const afterKitti = stale(bevbuild(fx, ['--dry-run', ...TARGETS]).events);
  const kittiUsers = all.filter((id) => id.split('/').includes('kitti') && !id.startsWith('int8-stage/') && !id.startsWith('viz/') && id !== 'data/kitti').sort();
  assert.equal(afterKitti, kittiUsers, 'every Kitti node downstream of the config, and nothing else');
  assert.ok(!afterKitti.some((id) => id.includes('v2x')));

  assert.is(bevbuild(fx, TARGETS).code, 0);
  writeFileSync(join(fx.repo, 'openvino/bin/intel64/Release/libopenvino_intel_gpu_plugin.so'), 'rebuilt gpu plugin\n');
  const afterOv = bevbuild(fx, ['--dry-run', ...TARGETS]).events;
  const ovStale = stale(afterOv);
  for (const id of ['pseudo-gt/kitti', 'pseudo-gt/v2x', 'run/kitti/second/int8', 'run/v2x/pointpillars/fp16', 'deploy/kitti/pointpillars']) assert.ok(ovStale.includes(id), `${id} uses the OpenVINO build`);
  const envPlans = plan(afterOv).filter((e) => e.id.startsWith('env/') && e.action !== 'fresh');
  assert.equal(envPlans.map((e) => e.id).sort(), ['env/openvino', 'env/spconv']);
  assert.match(envPlans[0]!.reasons.join(), /input-changed: .*libopenvino_intel_gpu_plugin\.so/);
  // The spconvEnv import probe (which Pipeline B's training waits for) re-runs, finds the same modules,
  // and the cascade stops there: bevEnv nodes do not run again.
  const ovBuild = bevbuild(fx, TARGETS);
  assert.is(ovBuild.code, 0);
  const ran = ovBuild.events.filter((e) => e['type'] === 'done' && e['status'] === 'executed').map((e) => String(e['id']));
  assert.ok(ran.includes('probe/spconv-imports') && ran.includes('pseudo-gt/kitti'), ran.join());
  assert.ok(!ran.some((id) => /^(train|onnx|calib|geometry|config|data)\//.test(id)), `bevEnv nodes are untouched: ${ran}`);

  const dist = join(fx.repo, 'envs/bev/lib/python3.8/site-packages/pyquaternion-0.9.9.dist-info');
  mkdirSync(dist);
  writeFileSync(join(dist, 'METADATA'), 'Metadata-Version: 2.1\nName: pyquaternion\nVersion: 0.9.9\n');
  const afterPip = stale(bevbuild(fx, ['--dry-run', ...TARGETS]).events);
  for (const id of ['train/kitti/second', 'train/v2x/pointpillars', 'data/kitti-v2x', 'data/dair-v2x-i-kitti']) assert.ok(afterPip.includes(id), `${id} runs in bevEnv`);
}, 180_000));

test.run();
