/**
 * The native gate end to end on real (tiny) models: ONNX FP32 vs NNCF INT8 IR, unified model and
 * a fuser→head chain, through the TS API and the CLI.
 */
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {validateInt8} from '../native/validate.ts';
import {validatorArgv} from '../rules/validate-int8.ts';
import {withTimeout} from './util/rig-test.ts';
import {nativeEnv, tempDir} from './util/native-env.ts';
import {ensureVenv, repoRoot} from './util/venv.ts';

const test = suite('native-gate');

const setup = nativeEnv;
const tmp = (): string => tempDir('bevbuild-gate-');

test('identical unified models pass on every frame', withTimeout(async () => {
  const {addonDir, m} = setup();
  const res = await validateInt8({
    addonDir, fp32: [m.path('unified_fp32.onnx')], int8: [m.path('unified_int8.xml')], framesDir: m.frames,
    consts: [{name: 'indices', path: m.indices}], preset: 'kitti',
  });
  assert.ok(res.ok, res.ok ? '' : res.error.message);
  if (!res.ok) return;
  assert.ok(res.value.result.pass);
  assert.is(res.value.result.pipeline, 'unified');
  assert.is(res.value.result.params.preMax, 1000, 'unified deploy pre_max');
  assert.is(res.value.result.frames.length, m.frameIds.length);
  assert.ok(res.value.result.totals.fp32Boxes > m.frameIds.length, 'frames should have boxes');
  for (const f of res.value.result.frames) {
    assert.is(f.int8Count, f.fp32Count, f.id);
    assert.is(f.boxDiff, 0, f.id);
    assert.is(f.matched, f.fp32Count, f.id);
    assert.ok(f.maxAbsHeatmapDiff < 0.05, `${f.id} heatmap gap ${f.maxAbsHeatmapDiff}`);
  }
}));

test('a perturbed INT8 unified model fails exactly on the marked frames', withTimeout(async () => {
  const {addonDir, m} = setup();
  const res = await validateInt8({
    addonDir, fp32: [m.path('unified_fp32.onnx')], int8: [m.path('unified_bad_int8.xml')], framesDir: m.frames,
    consts: [{name: 'indices', path: m.indices}], preset: 'kitti',
  });
  assert.ok(res.ok && !res.value.result.pass);
  if (!res.ok) return;
  assert.equal(res.value.result.frames.filter((f) => !f.pass).map((f) => f.id), m.marked);
  for (const f of res.value.result.frames.filter((x) => !x.pass)) {
    assert.is(f.int8Count, f.fp32Count + 1);
    assert.is(f.extra, 1, f.id);
    assert.match(f.reason ?? '', /1 boxes differ \(0 FP32 unmatched, 1 INT8 unmatched\) > maxBoxDiff 0/);
  }
  assert.equal(res.value.result.reasons, [`${m.marked.length} of ${m.frameIds.length} frames have more than 0 differing boxes (worst ${m.marked[0]}: 1)`]);
  assert.is(res.value.result.margins.boxDiff.margin, -1);
}));

test('fuser→head chain: identical passes, perturbed head fails on the marked frames', withTimeout(async () => {
  const {addonDir, m} = setup();
  const base = {addonDir, fp32: [m.path('fuser.onnx'), m.path('head.onnx')], framesDir: m.frames, preset: 'v2x' as const, filterLabels: []};
  const good = await validateInt8({...base, int8: [m.path('fuser_int8.xml'), m.path('head_int8.xml')]});
  assert.ok(good.ok && good.value.result.pass && good.value.result.pipeline === 'split', good.ok ? '' : good.error.message);
  if (good.ok) assert.is(good.value.result.params.preMax, 200, 'split deploy pre_max');
  const bad = await validateInt8({...base, int8: [m.path('fuser_int8.xml'), m.path('head_bad_int8.xml')]});
  assert.ok(bad.ok && !bad.value.result.pass);
  if (bad.ok) assert.equal(bad.value.result.frames.filter((f) => !f.pass).map((f) => f.id), m.marked);
}));

test('CLI writes validation.json and report.html; exit 0 on pass, 1 naming the worst frames', withTimeout(async () => {
  const {addonDir, m} = setup();
  const run = (int8: string, outDir: string): ReturnType<typeof spawnSync> => {
    const [node, ...args] = validatorArgv({
      addonDir, fp32: [m.path('unified_fp32.onnx')], int8: [m.path(int8)], framesDir: m.frames,
      consts: {indices: m.indices}, preset: 'kitti', outDir,
    });
    return spawnSync(node!, args, {cwd: repoRoot, encoding: 'utf8'});
  };
  const okDir = tmp();
  const pass = run('unified_int8.xml', okDir);
  assert.is(pass.status, 0, String(pass.stderr));
  const json = JSON.parse(readFileSync(join(okDir, 'validation.json'), 'utf8')) as {frames: {id: string}[]; margins: {boxDiff: {margin: number}}; models: {fp32: {path: string}[]}};
  assert.is(json.frames.length, m.frameIds.length);
  assert.is(json.margins.boxDiff.margin, 0);
  assert.not.match(readFileSync(join(okDir, 'validation.json'), 'utf8'), /Ms"|finishedAt/, 'no timings in validation.json');
  const timings = JSON.parse(readFileSync(join(okDir, 'timings.json'), 'utf8')) as {decodeShare: number; frames: unknown[]};
  assert.ok(timings.decodeShare > 0 && timings.decodeShare < 1);
  assert.is(timings.frames.length, m.frameIds.length);
  const html = readFileSync(join(okDir, 'report.html'), 'utf8');
  assert.match(html, /<svg/);
  assert.not.match(html, /<script|https?:\/\/(?!www\.w3\.org)/);

  const badDir = tmp();
  const fail = run('unified_bad_int8.xml', badDir);
  assert.is(fail.status, 1);
  for (const id of m.marked) assert.match(String(fail.stderr), new RegExp(`${id}: FP32 \\d+ boxes, INT8 \\d+ boxes`));
  assert.ok(existsSync(join(badDir, 'report.html')));
}));

test('frames as float64 .npy v2 and a .npy constant give the same counts as the float32 dumps', withTimeout(async () => {
  const {addonDir, m} = setup();
  const d = tmp();
  const script = [
    'import numpy as np, sys, os',
    'src, dst, idx = sys.argv[1:4]',
    'ids = [l.strip() for l in open(os.path.join(src, "manifest.txt")) if l.strip()]',
    'open(os.path.join(dst, "manifest.txt"), "w").write("\\n".join(ids))',
    'for i in ids:',
    '    a = np.load(os.path.join(src, i + "_feats.npy")).astype(np.float64)',
    '    with open(os.path.join(dst, i + "_feats.npy"), "wb") as f: np.lib.format.write_array(f, a, version=(2, 0))',
    'raw = np.fromfile(idx, np.uint32)',
    'np.save(os.path.join(dst, "indices.npy"), raw[1:].astype(np.int64))',
  ].join('\n');
  const py = spawnSync(ensureVenv('demo/requirements-openvino.txt'), ['-c', script, m.frames, d, m.indices], {encoding: 'utf8'});
  assert.is(py.status, 0, py.stderr);
  const base = {addonDir, fp32: [m.path('unified_fp32.onnx')], int8: [m.path('unified_int8.xml')], preset: 'kitti' as const};
  const a = await validateInt8({...base, framesDir: m.frames, consts: [{name: 'indices', path: m.indices}]});
  const b = await validateInt8({...base, framesDir: d, consts: [{name: 'indices', path: join(d, 'indices.npy')}]});
  assert.ok(a.ok && b.ok, !b.ok ? b.error.message : '');
  if (a.ok && b.ok) assert.equal(b.value.result.frames.map((f) => f.fp32Count), a.value.result.frames.map((f) => f.fp32Count));
}));

test.run();
