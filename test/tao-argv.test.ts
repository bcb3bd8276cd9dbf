/**
 * Issue 5 item 6: the command line of every TAO rule, checked against machine-readable
 * descriptions of `docker run` and of the 5.5 image's `bevfusion` entrypoint (test/fixtures/tao/
 * cli.ts, written from reference §2.1/§2.3): known flags only, values that docker accepts (the
 * quoted GPU device list, absolute mount paths), the flags bevbuild requires (`--rm --init
 * --ipc=host --gpus`), and `bevfusion <subtask> -e <spec>` after the image. Also: every file the
 * container reads is mounted from a declared input, and outputs only go to staging.
 */
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import type {RunContext} from '../src/index.ts';
import {taoBevfusionChain} from '../rules/tao/chain.ts';
import {TAO_IMAGE} from '../schemas/tao/spec-builder.ts';
import {checkArgv, parseArgv} from './util/cli-contract.ts';
import {bevfusion, dockerRun, taoDockerRun} from './fixtures/tao/cli.ts';
import {repoRoot} from './util/venv.ts';

const test = suite('tao-argv');
const kittiRoot = join(repoRoot, 'test', 'fixtures', 'tao', 'kitti');
const chain = taoBevfusionChain({base: 'tao/kitti', dir: 'results', kittiRoot, gpus: 2, user: '1000:1000', spec: {train: {num_epochs: 2}}});
const runIds = ['tao/kitti/convert', 'tao/kitti/train', 'tao/kitti/evaluate', 'tao/kitti/inference'];

const ctx = (gpus: string[]): RunContext => ({
  root: '/ws',
  in: (p) => (p.startsWith('/') ? p : `/ws/${p}`),
  out: (p) => `/ws/.bevbuild/runs/r1/out/${p}`,
  outDir: (d) => `/ws/.bevbuild/runs/r1/out/${d}`,
  tmp: '/ws/.bevbuild/runs/r1/tmp',
  python: () => {
    throw new Error('TAO rules run no host python');
  },
  gpus,
});

function argvOf(id: string, gpus: string[]): string[] {
  const decl = chain[id]!;
  const params = decl.rule.spec.params.parse(decl.params);
  return decl.rule.spec.argv(params, ctx(gpus));
}

for (const id of runIds) {
  test(`${id}: docker run + bevfusion entrypoint contract`, () => {
    const argv = argvOf(id, id.endsWith('train') ? ['2', '3'] : ['1']);
    assert.equal(checkArgv(taoDockerRun, argv), []);
    const parsed = parseArgv(taoDockerRun, argv);
    assert.is(parsed.positionals[0], TAO_IMAGE);
    const command = parsed.positionals.slice(1);
    assert.equal(checkArgv(bevfusion, command), []);
    const action = id.split('/').at(-1)!;
    assert.equal(command, ['bevfusion', action, '-e', `/specs/${action}.yaml`]);
    assert.equal(parsed.flags.get('--gpus'), [id.endsWith('train') ? '"device=2,3"' : '"device=1"']);
    assert.equal(parsed.flags.get('--user'), ['1000:1000']);
    // the spec is mounted read-only from the spec node's output
    assert.ok(parsed.flags.get('--volume')!.includes(`/ws/results/specs/${action}.yaml:/specs/${action}.yaml:ro`));
    // writable mounts only into this run's staging/scratch area or the cache: never the dataset
    const writable = parsed.flags.get('--volume')!.filter((v) => !v.endsWith(':ro'));
    assert.ok(writable.every((v) => v.startsWith('/ws/.bevbuild/runs/r1/')), writable.join('\n'));
  });
}

test('exact train command (GPU ids from the pool; container-relative ids are in the spec)', () => {
  assert.equal(argvOf('tao/kitti/train', ['2', '3']), [
    'docker', 'run', '--rm', '--init', '--ipc=host', '--ulimit', 'memlock=-1', '--ulimit', 'stack=67108864',
    '--gpus', '"device=2,3"', '--user', '1000:1000',
    '-e', 'TAO_TOOLKIT_CACHE=/tmp/.cache', '-e', 'TORCH_HOME=/tmp/.cache/torch', '-e', 'TELEMETRY_OPT_OUT=yes',
    '-e', 'HOME=/tmp', '-e', 'USER=bevbuild', '-e', 'LOGNAME=bevbuild',
    '-v', '/ws/.bevbuild/runs/r1/tmp:/data',
    '-v', `${kittiRoot}/training/image_2:/data/image_2:ro`,
    '-v', '/ws/results/convert/training/velodyne_reduced:/data/velodyne_reduced:ro',
    '-v', '/ws/results/convert/kitti_person_infos_train.pkl:/data/kitti_person_infos_train.pkl:ro',
    '-v', '/ws/results/convert/kitti_person_infos_val.pkl:/data/kitti_person_infos_val.pkl:ro',
    '-v', '/ws/results/specs/train.yaml:/specs/train.yaml:ro',
    '-v', '/ws/.bevbuild/runs/r1/out/results/train:/results/train',
    TAO_IMAGE, 'bevfusion', 'train', '-e', '/specs/train.yaml',
  ]);
});

test('evaluate and inference mount the exact epoch_N.pth of train, read-only', () => {
  for (const id of ['tao/kitti/evaluate', 'tao/kitti/inference']) {
    const vols = parseArgv(taoDockerRun, argvOf(id, ['0'])).flags.get('--volume')!;
    assert.ok(vols.includes('/ws/results/train/epoch_2.pth:/checkpoints/epoch_2.pth:ro'), vols.join('\n'));
    const decl = chain[id]!;
    const p = decl.rule.spec.params.parse(decl.params);
    assert.ok(decl.rule.spec.inputs!(p, {root: '/ws'}).includes('results/train/epoch_2.pth'));
  }
});

test('a cache dir is mounted writable; without pool GPUs (key computation) the device list is a placeholder', () => {
  const c = taoBevfusionChain({base: 'b', dir: 'r', kittiRoot, cacheDir: '/var/cache/tao', spec: {}});
  const decl = c['b/convert']!;
  const argv = decl.rule.spec.argv(decl.rule.spec.params.parse(decl.params), ctx([]));
  const parsed = parseArgv(dockerRun, argv);
  // only in the action key: the engine refuses to run a GPU node without pool GPUs (no-gpu)
  assert.equal(parsed.problems, ['--gpus "\\"device=$GPUS\\"": does not match /^(all|\\d+|"device=\\d+(,\\d+)*"|device=\\d+)$/']);
  assert.ok(parsed.flags.get('--volume')!.includes('/var/cache/tao:/cache'));
  assert.ok(parsed.flags.get('--env')!.includes('TAO_TOOLKIT_CACHE=/cache'));
  assert.equal(parsed.flags.get('--gpus'), ['"device=$GPUS"']);
});

test('the contract checker itself reports what a bad call would get wrong', () => {
  const bad = ['docker', 'run', '-t', '--gpus', 'device=0,1', '--ipc', 'hots', '-v', 'relative:/data', TAO_IMAGE, 'bevfusion', 'dataset_convert'];
  assert.equal(checkArgv(taoDockerRun, bad), [
    'unknown flag -t',
    '--gpus "device=0,1": does not match /^"device=\\d+(,\\d+)*"$/',
    '--ipc "hots": expected one of host',
    '-v "relative:/data": does not match /^\\/[^:]+:\\/[^:]*(:(ro|rw))?$/',
    'missing required flag --rm',
    'missing required flag --init',
  ]);
  assert.equal(checkArgv(bevfusion, ['bevfusion', 'dataset_convert']), ['missing required flag -e', 'positional 0 "dataset_convert": expected one of convert|train|evaluate|inference']);
  assert.equal(checkArgv(bevfusion, ['tao', 'train', '-e', '/s.yaml', 'train.num_gpus=2']), ['expected the program "bevfusion", got "tao"', 'expected 1 positional(s), got 2: ["train","train.num_gpus=2"]']);
});

test.run();
