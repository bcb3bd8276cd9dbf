/**
 * Deploy binaries: the stdout parsers on output in the reference's formats (§4.2, §4.3), the
 * INT8-vs-FP16 comparison, and the validator end to end — two `./bevfusion` runs of the fixture's
 * fake binary through bevbuild, then deploy/compare-counts passing, and failing with the frame list.
 */
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {compareFlags, compareRuns} from '../rules/deploy/compare.ts';
import {parsePerf, parseSplitFrames, parseUnifiedFrames, type RunSummary} from '../rules/deploy/run-output.ts';
import {prepareIntelFixture} from './fixtures/intel-repo/prepare.ts';
import {withTimeout} from './util/rig-test.ts';
import {API, WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('intel-deploy');

const SPLIT_STDOUT = `[info] preset=kitti
[info] dataset=/data/kitti-v2x/training
[info] model_dir=/ws/stage/data/kitti/pointpillars
[info] image=1280x384 feat=80x24 bev=100x100
[info] Label filter active: bicycle(7) pedestrian(8)
[info] 3 samples to process
Point cloud loaded successfully from: /data/kitti-v2x/training/velodyne/000000.bin
=== Warmup on 000000 (3 iters) ===
Detected 7 boxes

=== Processing sample: 000000 ===
Loaded image from: /data/kitti-v2x/training/image_2/000000.png
Loaded calibration from: /data/kitti-v2x/training/calib/000001.txt
Detected 4 boxes

=== Processing sample: 000002 ===
Detected 0 boxes
[perf] frames=2, avg_lidar=3.125 ms, avg_camera_bev=5.500 ms, avg_fusion+post=2.000 ms, avg_total=8.400 ms
[perf] lidar avg_ms: pre=1.000 ms, pfe=1.500 ms, scatter=0.625 ms, total=3.125 ms (samples=2)
[perf] fusion avg_ms: fuser=n/a, head=1.000 ms, post=1.000 ms, total=2.000 ms (samples=2)
[perf] avg_cpu_util=12.5% (samples=4)
`;

const UNIFIED_STDOUT = `[info] Unified preset: v2x (camera metas cached after first update)
[info] Unified model: int8 (../data/v2xfusion/second/bevfusion_unified_int8.xml)
[BEVFusionUnified] Compiled on GPU (shared context, f16)
  in: img [1,3,864,1536]
  out: task0_heatmap [1,5,128,128]
[info] 2 samples
=== Warmup (3 iters) ===
  000000: 12 boxes
  000001: 0 boxes
[perf] frames=2, avg_voxelize=1.000 ms, avg_preprocess=2.000 ms, avg_geometry=0.500 ms, avg_infer=20.000 ms, avg_postprocess=1.500 ms, avg_total=25.000 ms
`;

test('./bevfusion frames pair with their "Processing sample" header; warm-up is ignored', () => {
  const {frames, warnings} = parseSplitFrames(SPLIT_STDOUT, ['000000', '000001', '000002']);
  // 000001 was skipped (missing label): pairing by order would have given it 000002's count
  assert.equal(frames, [{id: '000000', boxes: 4}, {id: '000002', boxes: 0}]);
  assert.equal(warnings, []);
});

test('without headers, "Detected" lines pair with the sorted ids, with a warning on a count mismatch', () => {
  const out = 'Detected 3 boxes\nDetected 5 boxes\n';
  assert.equal(parseSplitFrames(out, ['a', 'b']).frames, [{id: 'a', boxes: 3}, {id: 'b', boxes: 5}]);
  assert.match(parseSplitFrames(out, ['a', 'b', 'c']).warnings.join(), /pairing by order is unreliable/);
});

test('./bevfusion_unified per-frame lines and [perf] numbers', () => {
  assert.equal(parseUnifiedFrames(UNIFIED_STDOUT), [{id: '000000', boxes: 12}, {id: '000001', boxes: 0}]);
  assert.equal(parsePerf(UNIFIED_STDOUT), {frames: 2, avg_voxelize: 1, avg_preprocess: 2, avg_geometry: 0.5, avg_infer: 20, avg_postprocess: 1.5, avg_total: 25});
  const split = parsePerf(SPLIT_STDOUT);
  assert.is(split['avg_fusion+post'], 2);
  assert.is(split['lidar.scatter'], 0.625);
  assert.is(split['fusion.fuser'], null);
  assert.is(split['avg_cpu_util'], 12.5);
});

const run = (precision: 'int8' | 'fp16', counts: Record<string, number>, flags = ['ds', '--preset', 'kitti']): RunSummary => ({
  format: 1, binary: 'bevfusion', precision, compareFlags: flags, perf: {}, warnings: [],
  frames: Object.entries(counts).map(([id, boxes]) => ({id, boxes})),
});

test('comparison: pass, mismatch by frame, and not comparable on different flags or samples', () => {
  assert.is(compareRuns(run('int8', {a: 1, b: 2}), run('fp16', {b: 2, a: 1})).verdict, 'pass');
  const mm = compareRuns(run('int8', {a: 1, b: 3}), run('fp16', {a: 1, b: 2}));
  assert.is(mm.verdict, 'mismatch');
  assert.equal(mm.mismatches, [{id: 'b', int8: 3, fp16: 2}]);
  assert.is(compareRuns(run('int8', {a: 1, b: 3}), run('fp16', {a: 1, b: 2}), 1).verdict, 'pass');
  const flags = compareRuns(run('int8', {a: 1}, ['ds', '--bbox-score', '0.3']), run('fp16', {a: 1}, ['ds']));
  assert.is(flags.verdict, 'not-comparable');
  assert.match(flags.problems.join(), /flags differ/);
  assert.match(compareRuns(run('int8', {a: 1, b: 1}), run('fp16', {a: 1, c: 1})).problems.join(), /only in int8 \[b\], only in fp16 \[c\]/);
  assert.equal(compareFlags(['ds', '--preset', 'kitti', '--model-dir', 'm', '--int8', '--dump-pred', '--pred-dir', 'p']), ['ds', '--preset', 'kitti', '--model-dir', 'm']);
  assert.equal(compareFlags(['ds', '--model', 'x.onnx', '--fp16']), ['ds']);
});

const validatorConfig = (bin: string, dataset: string) => `import {defineConfig} from ${JSON.stringify(API)};
import {bevfusionRun} from ${JSON.stringify(join(import.meta.dirname, '../rules/deploy/bevfusion.ts'))};
import {compareCounts} from ${JSON.stringify(join(import.meta.dirname, '../rules/deploy/compare-counts.ts'))};

const shared = {binary: ${JSON.stringify(bin)}, dataset: ${JSON.stringify(dataset)}, preset: 'kitti' as const, modelDir: 'models', numSamples: 3};
export default defineConfig({
  artifacts: {
    'run/int8': bevfusionRun({...shared, precision: 'int8', outDir: 'runs/int8'}),
    'run/fp16': bevfusionRun({...shared, precision: 'fp16', outDir: 'runs/fp16'}),
    'validate': compareCounts({int8Run: 'runs/int8/run.json', fp16Run: 'runs/fp16/run.json', output: 'validation.json'}),
  },
});
`;

test('validator end to end: two fake ./bevfusion runs, pass, then a failure naming the frame', withTimeout(async () => {
  await using fx = prepareIntelFixture();
  await using rig = await WorkspaceRig.create();
  const bin = join(fx.repo, 'deploy/build/bevfusion');
  const models = ['camera.backbone.onnx', 'lidar_pfe_v7000.onnx', 'fuser.onnx', 'head.onnx', ...['camera', 'lidar_pfe', 'fuser', 'head'].flatMap((s) => [`quantized_${s}.xml`, `quantized_${s}.bin`])];
  rig.write({'bevbuild.config.ts': validatorConfig(bin, join(fx.repo, 'kitti-raw/training')), ...Object.fromEntries(models.map((m) => [`models/${m}`, `${m}\n`]))});

  // The binaries link oneAPI's SYCL runtime: the shell has sourced setvars.sh (LD_LIBRARY_PATH).
  const oneapi = {LD_LIBRARY_PATH: fx.env['LD_LIBRARY_PATH']!};
  const unsourced = await rig.json(['validate'], {LD_LIBRARY_PATH: ''});
  assert.is(unsourced.code, 1);
  assert.match(JSON.stringify(unsourced.events.filter((e) => e['type'] === 'failed')), /libsycl\.so\.8: cannot open shared object file/);
  const ok = await rig.json(['validate'], oneapi);
  assert.is(ok.code, 0, ok.stderr);
  const v = JSON.parse(rig.read('validation.json'));
  assert.equal([v.verdict, v.frames, v.mismatches], ['pass', 3, []]);
  const r = JSON.parse(rig.read('runs/int8/run.json')) as RunSummary;
  assert.equal(r.frames, [{id: '000000', boxes: 1, predBoxes: 1}, {id: '000001', boxes: 2, predBoxes: 2}, {id: '000002', boxes: 3, predBoxes: 3}]);
  assert.is(r.perf['frames'], 3);
  assert.not.ok(rig.exists('split_perf_summary.csv'), 'the binary ran in a scratch cwd');

  // With `int8-drift` next to it, the fake binary reports one extra INT8 box on 000001; the file is
  // not an input, so also edit the binary (an input) to make the runs stale.
  writeFileSync(join(fx.repo, 'deploy/build/int8-drift'), '');
  writeFileSync(bin, `${readFileSync(bin, 'utf8')}\n# changed\n`);
  const bad = await rig.json(['validate'], oneapi);
  assert.is(bad.code, 1);
  const failed = bad.events.find((e) => e['type'] === 'failed' && e['id'] === 'validate');
  assert.ok(failed, JSON.stringify(bad.events));
  assert.match(JSON.stringify(failed['details']), /000001: int8=3 fp16=2/);
}, 60_000));

test.run();
