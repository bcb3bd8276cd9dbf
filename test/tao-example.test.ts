/**
 * Issue 5 item 6 acceptance: the TAO example workspace (examples/tao-bevfusion) plans the whole
 * chain from environment variables, reports every missing one at once, and — with a stand-in for
 * `docker` that plays TAO 5.5 through the bind mounts only (test/fixtures/tao/fake-docker.mjs; this
 * machine has no docker engine) — builds it end to end: exact commands, exact checkpoint handoff,
 * verdicts from status.json, nothing re-run on a second build, a FAILURE with exit code 0 fails.
 */
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync} from 'node:fs';
import {spawnSync} from 'node:child_process';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {TAO_IMAGE} from '../schemas/tao/spec-builder.ts';
import {withTimeout} from './util/rig-test.ts';
import {repoRoot} from './util/venv.ts';
import {BEVBUILD} from './util/workspace-rig.ts';

const test = suite('tao-example');
const example = join(repoRoot, 'examples', 'tao-bevfusion');
const kittiRoot = join(repoRoot, 'test', 'fixtures', 'tao', 'kitti');
const env = {TAO_KITTI_ROOT: kittiRoot, TAO_GPUS: '0,1', TAO_EPOCHS: '2'};

function bevbuild(args: string[], extraEnv: Record<string, string>) {
  const {TAO_KITTI_ROOT: _k, TAO_GPUS: _g, TAO_RESULTS_DIR: _r, ...base} = process.env;
  return spawnSync(process.execPath, [BEVBUILD, ...args], {env: {...base, CI: '1', NO_COLOR: '1', ...extraEnv}, encoding: 'utf8'});
}

const plan = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e['type'] === 'plan');

test('dry run of the example: the full chain in order, with reasons', withTimeout(async () => {
  const state = mkdtempSync(join(tmpdir(), 'bevbuild-tao-dry-'));
  try {
    const r = bevbuild(['--dry-run', '--json', 'tao/kitti/inference', 'tao/kitti/evaluate', '-C', example], {...env, BEVBUILD_DIR: state});
    assert.is(r.status, 0, r.stderr);
    const events = plan(r.stdout);
    assert.equal(events.map(({type, id, action, reasons}) => ({type, id, action, reasons})), [
      {type: 'plan', id: 'tao/kitti/spec/convert', action: 'run', reasons: ['no-record']},
      {type: 'plan', id: 'tao/kitti/convert', action: 'run', reasons: ['dependency-will-run: tao/kitti/spec/convert']},
      {type: 'plan', id: 'tao/kitti/spec/evaluate', action: 'run', reasons: ['no-record']},
      {type: 'plan', id: 'tao/kitti/spec/train', action: 'run', reasons: ['no-record']},
      {type: 'plan', id: 'tao/kitti/train', action: 'run', reasons: ['dependency-will-run: tao/kitti/convert']},
      {type: 'plan', id: 'tao/kitti/evaluate', action: 'run', reasons: ['dependency-will-run: tao/kitti/convert']},
      {type: 'plan', id: 'tao/kitti/spec/inference', action: 'run', reasons: ['no-record']},
      {type: 'plan', id: 'tao/kitti/inference', action: 'run', reasons: ['dependency-will-run: tao/kitti/convert']},
    ]);
    // …and the exact command each node would run.
    const train = events.find((e) => e['id'] === 'tao/kitti/train')!['argv'] as string[];
    assert.is(train[0], 'docker');
    assert.ok(train.includes('--ipc=host') && train.includes('train'), train.join(' '));
  } finally {
    rmSync(state, {recursive: true, force: true});
  }
}));

test('unset or malformed variables: every one reported at once, exit 2', withTimeout(async () => {
  const state = mkdtempSync(join(tmpdir(), 'bevbuild-tao-env-'));
  try {
    const r = bevbuild(['--dry-run', 'tao/kitti/train', '-C', example], {BEVBUILD_DIR: state, TAO_EPOCHS: 'ten', TAO_RESULTS_DIR: '/abs'});
    assert.is(r.status, 2);
    assert.match(r.stderr, /TAO_KITTI_ROOT is not set: the KITTI root on the host/);
    assert.match(r.stderr, /TAO_GPUS is not set: host GPU ids/);
    assert.match(r.stderr, /TAO_RESULTS_DIR must be a workspace-relative directory/);
    assert.match(r.stderr, /TAO_EPOCHS must be a positive integer, got "ten"/);
  } finally {
    rmSync(state, {recursive: true, force: true});
  }
}));

/** A temp copy of the example (imports made absolute) and a `docker` on PATH that plays TAO. */
function fakeWorkspace(mode: 'ok' | 'fail' | 'segv' | 'segv-exit1') {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-tao-ws-'));
  const config = readFileSync(join(example, 'bevbuild.config.ts'), 'utf8').replaceAll("'../../", `'${join(repoRoot, '/')}`);
  writeFileSync(join(dir, 'bevbuild.config.ts'), config);
  mkdirSync(join(dir, 'bin'));
  const calls = join(dir, 'calls.jsonl');
  writeFileSync(join(dir, 'bin', 'docker'), `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'test', 'fixtures', 'tao', 'fake-docker.mjs')}" "${calls}" ${mode} "$@"\n`);
  chmodSync(join(dir, 'bin', 'docker'), 0o755);
  const run = (args: string[]) => bevbuild([...args, '-C', dir], {...env, PATH: `${join(dir, 'bin')}:${process.env['PATH']}`});
  const commands = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []);
  return {dir, run, commands, [Symbol.dispose]: () => rmSync(dir, {recursive: true, force: true})};
}

/** A command with this run's machine paths replaced by placeholders. */
const normalize = (argv: string[], dir: string) => argv.map((a) => a.replaceAll(/\/\.bevbuild\/runs\/[^/]+\//g, '/.bevbuild/runs/RUN/').replaceAll(dir, '$WS').replaceAll(repoRoot.replace(/\/$/, ''), '$REPO').replace(/^\d+:\d+$/, 'UID:GID'));

test('build through a stand-in docker: exact commands, exact handoff, verdicts, then all fresh', withTimeout(async () => {
  using ws = fakeWorkspace('ok');
  const r = ws.run(['tao/kitti/inference', 'tao/kitti/evaluate']);
  assert.is(r.status, 0, r.stdout + r.stderr);
  const cmds = ws.commands().map((c) => normalize(c, ws.dir));
  assert.equal(cmds.map((c) => c.slice(-3, -2)[0]), ['convert', 'train', 'evaluate', 'inference']);
  const common = ['run', '--rm', '--init', '--ipc=host', '--ulimit', 'memlock=-1', '--ulimit', 'stack=67108864'];
  const envFlags = ['--user', 'UID:GID', '-e', 'TAO_TOOLKIT_CACHE=/tmp/.cache', '-e', 'TORCH_HOME=/tmp/.cache/torch', '-e', 'TELEMETRY_OPT_OUT=yes', '-e', 'HOME=/tmp', '-e', 'USER=bevbuild', '-e', 'LOGNAME=bevbuild'];
  assert.equal(cmds[0], [...common, '--gpus', '"device=0"', ...envFlags,
    '-v', '$WS/.bevbuild/runs/RUN/out/results/convert:/data',
    '-v', '$REPO/test/fixtures/tao/kitti/ImageSets:/data/ImageSets:ro',
    '-v', '$REPO/test/fixtures/tao/kitti/training/calib:/data/training/calib:ro',
    '-v', '$REPO/test/fixtures/tao/kitti/training/image_2:/data/training/image_2:ro',
    '-v', '$REPO/test/fixtures/tao/kitti/training/label_2:/data/training/label_2:ro',
    '-v', '$REPO/test/fixtures/tao/kitti/training/velodyne:/data/training/velodyne:ro',
    '-v', '$WS/results/specs/convert.yaml:/specs/convert.yaml:ro',
    TAO_IMAGE, 'bevfusion', 'convert', '-e', '/specs/convert.yaml']);
  assert.equal(cmds[2], [...common, '--gpus', cmds[2]![9]!, ...envFlags,
    '-v', '$WS/.bevbuild/runs/RUN/tmp:/data',
    '-v', '$REPO/test/fixtures/tao/kitti/training/image_2:/data/image_2:ro',
    '-v', '$WS/results/convert/training/velodyne_reduced:/data/velodyne_reduced:ro',
    '-v', '$WS/results/convert/kitti_person_infos_val.pkl:/data/kitti_person_infos_val.pkl:ro',
    '-v', '$WS/results/specs/evaluate.yaml:/specs/evaluate.yaml:ro',
    '-v', '$WS/results/train/epoch_2.pth:/checkpoints/epoch_2.pth:ro',
    '-v', '$WS/.bevbuild/runs/RUN/out/results/evaluate:/results/evaluate',
    TAO_IMAGE, 'bevfusion', 'evaluate', '-e', '/specs/evaluate.yaml']);
  assert.match(cmds[2]![9]!, /^"device=[01]"$/);
  assert.is(readFileSync(join(ws.dir, 'results/train/epoch_2.pth'), 'utf8'), 'weights 2');
  const verdict = JSON.parse(readFileSync(join(ws.dir, 'results/train/bevbuild-verdict.json'), 'utf8')) as Record<string, unknown>;
  assert.equal([verdict['verdict'], verdict['ap11PerEpoch']], ['succeeded', {1: 10, 2: 20}]);
  assert.equal(Object.keys(JSON.parse(readFileSync(join(ws.dir, 'results/evaluate/metrics.json'), 'utf8')) as object), ['TAO3D metric/pred_instances_3d/TAO3D/person_3D_AP11_moderate_strict']);
  assert.ok(existsSync(join(ws.dir, 'results/inference/preds/000002.json')) && existsSync(join(ws.dir, 'results/inference/preds/000003.json')));
  const again = ws.run(['tao/kitti/inference', 'tao/kitti/evaluate', '--json']);
  assert.is(again.status, 0);
  assert.match(again.stdout, /"type":"summary","executed":0,"restored":0,"fresh":8,"failed":0/);
  assert.is(ws.commands().length, 4);
}, 180_000));

test('a TAO FAILURE with docker exit code 0 fails the node, with the status message', withTimeout(async () => {
  using ws = fakeWorkspace('fail');
  const r = ws.run(['tao/kitti/convert']);
  assert.is(r.status, 1);
  assert.match(r.stdout + r.stderr, /TAO convert failed: FAILURE: CUDA out of memory\. \(docker exited 0: TAO 5\.5 does so on failure too\)/);
  assert.not.ok(existsSync(join(ws.dir, 'results/convert/status.json')));
}, 120_000));

for (const [mode, exitCode] of [['segv', 0], ['segv-exit1', 1]] as const) {
  test(`a SIGSEGV after a complete run (wrapper FAIL, docker exit ${exitCode}) is accepted and recorded`, withTimeout(async () => {
    using ws = fakeWorkspace(mode);
    const r = ws.run(['tao/kitti/train']);
    assert.is(r.status, 0, r.stdout + r.stderr);
    const verdict = JSON.parse(readFileSync(join(ws.dir, 'results/train/bevbuild-verdict.json'), 'utf8')) as Record<string, unknown>;
    assert.equal([verdict['verdict'], verdict['signal'], verdict['wrapper'], verdict['exitCode']], ['succeeded-with-teardown-crash', 'SIGSEGV', 'FAIL', exitCode]);
  }, 120_000));
}

test.run();
