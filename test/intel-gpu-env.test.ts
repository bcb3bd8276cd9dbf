/**
 * Issue 9 items 1–2 at engine level: GPUs are discovered (`nvidia-smi -L`, or the invoking shell's
 * CUDA_VISIBLE_DEVICES), a GPU node on a machine without one stops the build at plan time (exit 2,
 * nothing ran), and a tool's environment extends the invoking shell's path lists instead of
 * replacing them, with per-rule passthrough of the variables the tool reads.
 */
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {childEnv} from '../src/engine/child-env.ts';
import {discoverGpus} from '../src/engine/resources.ts';
import {withTimeout} from './util/rig-test.ts';
import {API, WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('intel-gpu-env');

test('GPUs come from CUDA_VISIBLE_DEVICES when set, else nvidia-smi -L, else none', () => {
  const bin = mkdtempSync(join(tmpdir(), 'bevbuild-nvsmi-'));
  try {
    writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\n[ "$1" = -L ] || exit 9\necho "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaa)"\necho "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-bbbb)"\n');
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    assert.equal(discoverGpus({PATH: `${bin}:/usr/bin:/bin`}).ids, ['0', '1']);
    assert.match(discoverGpus({PATH: `${bin}:/usr/bin:/bin`}).source, /nvidia-smi -L \(2 GPUs\)/);
    assert.equal(discoverGpus({PATH: bin, CUDA_VISIBLE_DEVICES: '2, 3'}).ids, ['2', '3'], 'the shell\'s choice wins');
    assert.equal(discoverGpus({PATH: bin, CUDA_VISIBLE_DEVICES: ''}).ids, [], 'set to empty: no GPU');
    const none = discoverGpus({PATH: join(bin, 'empty')});
    assert.equal(none.ids, []);
    assert.match(none.source, /nvidia-smi not found on PATH, CUDA_VISIBLE_DEVICES unset/);
  } finally {
    rmSync(bin, {recursive: true, force: true});
  }
});

test('path lists: rule entries, then the toolchain\'s, then the invoking shell\'s; passEnv passes', () => {
  const env = childEnv({
    declared: {PYTHONPATH: '/repo/training', KEYED: 'k'},
    toolchain: {LD_LIBRARY_PATH: '/ov/Release', PYTHONPATH: '/ov/Release/python', PATH_PREFIX: '/venv/bin', VIRTUAL_ENV: '/venv'},
    passthrough: ['GPU_CHUNK_COOLDOWN_S', 'ONEAPI_DEVICE_SELECTOR'],
    gpus: ['0'],
    tmp: '/tmp/x',
    inherited: {PATH: '/usr/bin:/bin', LD_LIBRARY_PATH: '/opt/intel/oneapi/compiler/lib:/ov/Release', PYTHONPATH: '/home/u/py', GPU_CHUNK_COOLDOWN_S: '10', SECRET_TOKEN: 's', HOME: '/home/u'},
  });
  assert.is(env['LD_LIBRARY_PATH'], '/ov/Release:/opt/intel/oneapi/compiler/lib', 'oneAPI setvars entries survive, after the toolchain\'s');
  assert.is(env['PYTHONPATH'], '/repo/training:/ov/Release/python:/home/u/py');
  assert.is(env['PATH'], '/venv/bin:/usr/bin:/bin');
  assert.is(env['GPU_CHUNK_COOLDOWN_S'], '10');
  assert.is(env['ONEAPI_DEVICE_SELECTOR'], undefined, 'unset in the shell: not invented');
  assert.is(env['SECRET_TOKEN'], undefined);
  assert.is(env['CUDA_VISIBLE_DEVICES'], '0');
  assert.is(env['PATH_PREFIX'], undefined);
  assert.is(env['KEYED'], 'k');
  const bare = childEnv({declared: {}, toolchain: {}, passthrough: [], gpus: [], tmp: '/t', inherited: {PATH: '/bin'}});
  assert.is(bare['LD_LIBRARY_PATH'], undefined, 'no empty path list is invented');
  assert.is(bare['CUDA_VISIBLE_DEVICES'], '', 'CPU nodes see no GPU');
});

const config = `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const job = defineRule({
  name: 'test/gpu-job', version: 1,
  params: z.object({out: z.string(), after: z.string().optional(), gpus: z.number().default(0), missing: z.string().optional()}).strict(),
  inputs: (p) => (p.after ? [p.after] : []),
  outputs: (p) => [p.out],
  resources: (p) => ({gpu: p.gpus}),
  unavailable: (p) => p.missing,
  passEnv: () => ['GPU_CHUNK_COOLDOWN_S'],
  argv: (p, ctx) => ['bash', '-c', 'echo "gpus=[$CUDA_VISIBLE_DEVICES] ld=[$LD_LIBRARY_PATH] cool=[$GPU_CHUNK_COOLDOWN_S]" > "$1"', 'sh', ctx.out(p.out)],
});
export default defineConfig({
  artifacts: {
    prep: job({out: 'out/prep'}),
    train: job({out: 'out/train', after: 'out/prep', gpus: 1}),
    v2x: job({out: 'out/v2x', missing: 'DAIR_V2X_ROOT is not set: the DAIR-V2X-I root'}),
  },
});
`;

test('a GPU node on a machine without GPUs stops the build at plan time; a dry run plans and warns', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const noGpu = {CUDA_VISIBLE_DEVICES: '', PATH: '/usr/bin:/bin'};
  const r = await rig.json(['train'], noGpu);
  assert.is(r.code, 2, r.stderr);
  const diag = r.events.find((e) => e['type'] === 'diagnostic')!;
  assert.is(diag['code'], 'no-gpu');
  assert.match(String(diag['message']), /1 artifact to build needs a CUDA GPU \(up to 1\) but the gpu pool has 0 \(CUDA_VISIBLE_DEVICES="" of the invoking shell\): train/);
  assert.not.ok(rig.exists('out/prep'), 'nothing ran before the refusal');
  const dry = await rig.json(['--dry-run', 'train'], noGpu);
  assert.is(dry.code, 0, dry.stderr);
  assert.ok(dry.events.some((e) => e['type'] === 'warning' && /needs a CUDA GPU/.test(String(e['message']))));
  const ok = await rig.json(['train'], {CUDA_VISIBLE_DEVICES: '7', LD_LIBRARY_PATH: '/opt/intel/oneapi/lib', GPU_CHUNK_COOLDOWN_S: '5'});
  assert.is(ok.code, 0, ok.stderr);
  assert.is(rig.read('out/train').trim(), 'gpus=[7] ld=[/opt/intel/oneapi/lib] cool=[5]');
  // Built nodes are not refused again: the plan-time check only looks at what has to run.
  assert.is((await rig.json(['train'], noGpu)).code, 0);
}));

test('an artifact whose settings are missing refuses only when selected', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  assert.is((await rig.json(['prep'])).code, 0);
  const r = await rig.json(['v2x']);
  assert.is(r.code, 2);
  assert.match(String(r.events.find((e) => e['type'] === 'diagnostic')!['message']), /DAIR_V2X_ROOT is not set: the DAIR-V2X-I root \(needed by v2x\)/);
}));

test.run();
