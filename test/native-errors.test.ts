/**
 * Bad input to the native gate is a clear message (rejected promise / Failure / exit 2), never a
 * crash: corrupt models, missing .bin, wrong input names and shapes, wrong output names.
 */
import {spawnSync} from 'node:child_process';
import {copyFileSync, mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {loadAddon} from '../native/addon.ts';
import {resolveParams} from '../native/decode-params.ts';
import {validateInt8, type ValidateArgs} from '../native/validate.ts';
import {withTimeout} from './util/rig-test.ts';
import {nativeEnv, tempDir} from './util/native-env.ts';
import {repoRoot} from './util/venv.ts';

const test = suite('native-errors');

const setup = nativeEnv;
const tmp = (): string => tempDir('bevbuild-gate-err-');

function unified(over: Partial<ValidateArgs> = {}): ValidateArgs {
  const {addonDir, m} = setup();
  return {
    addonDir, fp32: [m.path('unified_fp32.onnx')], int8: [m.path('unified_int8.xml')], framesDir: m.frames,
    consts: [{name: 'indices', path: m.indices}], preset: 'kitti', ...over,
  };
}

async function failure(args: ValidateArgs): Promise<{reason: string; message: string}> {
  const res = await validateInt8(args);
  if (res.ok) throw new Error('expected a failure, got a result');
  return res.error;
}

/** A float32 .npy (v1 header) of the given shape, zero-filled. */
function writeNpy(path: string, shape: number[]): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const pre = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]);
  writeFileSync(path, Buffer.concat([pre, Buffer.from(header), Buffer.alloc(4 * shape.reduce((a, b) => a * b, 1))]));
}

test('corrupt ONNX and corrupt IR reject with the path and a fix', withTimeout(async () => {
  const d = tmp();
  writeFileSync(join(d, 'bad.onnx'), 'this is not a protobuf');
  writeFileSync(join(d, 'bad.xml'), '<net><layers><oops');
  writeFileSync(join(d, 'bad.bin'), Buffer.alloc(16));
  for (const model of ['bad.onnx', 'bad.xml']) {
    const e = await failure(unified({int8: [join(d, model)]}));
    assert.is(e.reason, 'native-validation-failed');
    assert.match(e.message, join(d, model));
    assert.match(e.message, /re-export/);
  }
}));

test('IR without its .bin is bad input before OpenVINO runs; the addon alone rejects too', withTimeout(async () => {
  const {addonDir, m} = setup();
  const d = tmp();
  copyFileSync(m.path('unified_int8.xml'), join(d, 'q.xml'));
  const e = await failure(unified({int8: [join(d, 'q.xml')]}));
  assert.is(e.reason, 'invalid-args');
  assert.match(e.message, /q\.bin are missing; copy the \.bin beside the \.xml/);
  const addon = loadAddon(addonDir);
  assert.ok(addon.ok);
  if (!addon.ok) return;
  const spec = {fp32: [m.path('unified_fp32.onnx')], int8: [join(d, 'q.xml')], framesDir: m.frames, frameIds: ['000000'],
    consts: [{name: 'indices', path: m.indices}], device: 'CPU', threads: 1, params: resolveParams('kitti')};
  const err = await addon.value.validate(spec).then(() => undefined, (x: Error & {code?: string}) => x);
  assert.ok(err instanceof Error);
  assert.is(err?.code, 'OV_READ_MODEL_FAILED');
}));

test('frame files that do not match the input names say which file was expected', withTimeout(async () => {
  const {m} = setup();
  const d = tmp();
  writeFileSync(join(d, 'manifest.txt'), '000000\n');
  copyFileSync(join(m.frames, '000000_feats.npy'), join(d, '000000_features.npy'));
  const e = await failure(unified({framesDir: d}));
  assert.match(e.message, /missing .*000000_feats\.npy for input 'feats'/);
  assert.match(e.message, /<frame id>_<input name>\.npy/);
  // A constant input left out is looked for among the frame files, and the message says --const.
  const e2 = await failure(unified({consts: []}));
  assert.match(e2.message, /input 'indices'[\s\S]*--const/);
}));

test('frame arrays of the wrong shape name the input and both shapes', withTimeout(async () => {
  const d = tmp();
  writeFileSync(join(d, 'manifest.txt'), '000000\n');
  writeNpy(join(d, '000000_feats.npy'), [1, 31, 16, 16]);
  const e = await failure(unified({framesDir: d}));
  assert.match(e.message, /input 'feats' expects shape \[1,31,32,32\], but .* has \[1,31,16,16\]/);
}));

test('a chain that does not end in a CenterHead is rejected with the expected output names', withTimeout(async () => {
  const {m} = setup();
  const e = await failure(unified({fp32: [m.path('fuser.onnx')], int8: [m.path('fuser_int8.xml')], consts: []}));
  assert.match(e.message, /outputs \[middle\] do not match a CenterHead pipeline/);
  assert.match(e.message, /task\{0,1\}_\{heatmap/);
}));

test('unknown device, bad args and a missing addon are failures, not crashes', withTimeout(async () => {
  const dev = await failure(unified({device: 'NOPE'}));
  assert.match(dev.message, /device 'NOPE'[\s\S]*Available devices: .*CPU/);
  const args = await failure(unified({preset: 'nuscenes' as never}));
  assert.is(args.reason, 'invalid-args');
  const none = await failure(unified({addonDir: tmp()}));
  assert.is(none.reason, 'native-addon-not-found');
  assert.match(none.message, /native\/build\.ts/);
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'native/validate-cli.ts', '--addon', tmp(), '--fp32', 'x.onnx'], {cwd: repoRoot, encoding: 'utf8'});
  assert.is(cli.status, 2);
  assert.match(cli.stderr, /missing --int8, --frames, --preset, --out/);
}));

test('16 concurrent gates (some bad) all settle without a crash', withTimeout(async () => {
  const d = tmp();
  mkdirSync(join(d, 'x'));
  writeFileSync(join(d, 'x', 'bad.onnx'), 'junk');
  const runs = Array.from({length: 16}, (_, i) => validateInt8(i % 4 === 0 ? unified({int8: [join(d, 'x', 'bad.onnx')]}) : unified()));
  const results = await Promise.all(runs);
  assert.is(results.filter((r) => r.ok && r.value.result.pass).length, 12);
  assert.is(results.filter((r) => !r.ok).length, 4);
}));

test.run();
