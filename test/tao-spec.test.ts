/**
 * Issue 5 item 6: the typed TAO 5.5 spec builder. Golden specs for convert/train/evaluate/
 * inference exactly as the chain writes them; the schema rejects what the 5.5 container rejects
 * (unknown keys, 6.x-only keys, null checkpoints) and what it silently mis-runs (enums, KITTI
 * defaults, GPU counts), each with the path of the key; output is deterministic; the emitted JSON
 * Schema files are up to date.  Regenerate goldens: UPDATE_GOLDEN=1 node --import tsx test/tao-spec.test.ts
 */
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {parse} from 'yaml';
import {staleSchemaFiles} from '../schemas/tao/emit.ts';
import {buildSpec, specProblems, type TaoAction} from '../schemas/tao/spec-builder.ts';
import {lrSchedulerFor} from '../schemas/tao/requirements.ts';
import {toYamlText} from '../schemas/tao/yaml-text.ts';
import {taoBevfusionChain} from '../rules/tao/chain.ts';
import {specText} from '../rules/tao/spec-file.ts';
import {repoRoot} from './util/venv.ts';

const test = suite('tao-spec');
const fixtures = join(repoRoot, 'test', 'fixtures', 'tao');

/** The chain as the example declares it (2 training GPUs, 2 epochs). */
const chain = taoBevfusionChain({
  base: 'tao/kitti',
  dir: 'results',
  kittiRoot: '/datasets/kitti',
  gpus: 2,
  spec: {train: {num_epochs: 2, optimizer: {lr: 0.0002}}, inference: {conf_threshold: 0.3}},
});
const specOf = (action: TaoAction) => {
  const p = chain[`tao/kitti/spec/${action}`]!.params as {action: TaoAction; spec: Record<string, unknown>};
  return specText(p.action, p.spec);
};

for (const action of ['convert', 'train', 'evaluate', 'inference'] as const) {
  test(`golden ${action} spec`, () => {
    const file = join(fixtures, `${action}.yaml`);
    const text = specOf(action);
    if (process.env['UPDATE_GOLDEN']) writeFileSync(file, text);
    assert.fixture(text, readFileSync(file, 'utf8'));
  });
}

test('the chain wires paths, GPUs and the exact checkpoint per action (reference §1.6, §2.4)', () => {
  const [train, evaluate, inference] = (['train', 'evaluate', 'inference'] as const).map((a) => parse(specOf(a)) as Record<string, any>);
  assert.equal([train!.train.num_gpus, train!.train.gpu_ids], [2, [0, 1]]);
  assert.equal([train!.evaluate.checkpoint, train!.inference.checkpoint], ['', '']); // stubs, never null
  assert.is(train!.train.resume_training_checkpoint_path, null);
  assert.is(evaluate!.evaluate.checkpoint, '/checkpoints/epoch_2.pth');
  assert.is(inference!.inference.checkpoint, '/checkpoints/epoch_2.pth');
  assert.equal([evaluate!.train.num_gpus, inference!.train.num_gpus], [1, 1]); // 5.5 decides dist init from train.num_gpus
  for (const s of [train, evaluate, inference]) {
    assert.is(s!.dataset.default_cam_key, 'CAM2');
    assert.equal(s!.dataset.test_dataset.data_prefix, {pts: 'velodyne_reduced', img: 'image_2'});
  }
  assert.equal(train!.model, evaluate!.model); // one model section for all actions (§1.3)
  assert.equal(train!.train.lr_scheduler, lrSchedulerFor(2));
});

const problems = (action: TaoAction, params: unknown) => specProblems(action, params).map((p) => `${p.path.join('.')}: ${p.message}`);

test('unknown keys are rejected with their path, as the 5.5 container does (6.x-only keys included)', () => {
  const got = problems('train', {model_name: 'bevfusion', wandb: {group: 'g', run_id: 'r'}, train: {checkpoint_interval_unit: 'epoch'}, evaluate: {trt_engine: 'x', batch_size: 2}, model: {img_backbone: {embed_dim: 96}}});
  for (const path of ['model_name', 'wandb.group', 'wandb.run_id', 'train.checkpoint_interval_unit', 'evaluate.trt_engine', 'evaluate.batch_size', 'model.img_backbone.embed_dim']) {
    assert.ok(got.some((l) => l.startsWith(`${path}: unknown key`)), `${path} in ${got.join('\n')}`);
  }
  assert.equal(problems('convert', {dataset: 'kitti', root: '/data'}), ["root: unknown key: TAO 5.5 rejects it (Key 'root' not in the dataclass)"]);
});

test('enums are enforced (5.5 only documents them) and types match the dataclasses', () => {
  const got = problems('train', {dataset: {type: 'KittiDataset', box_type_3d: 'depth', classes: ['Pedestrian']}, model: {view_transform: {type: 'BEVPool'}}, train: {optimizer: {clip_grad: {max_norm: 10.5}, wrapper_type: 'Amp'}}, evaluate: {checkpoint: null}});
  const paths = got.map((l) => l.slice(0, l.indexOf(':')));
  assert.equal(paths.sort(), ['dataset.box_type_3d', 'dataset.classes.0', 'dataset.type', 'evaluate.checkpoint', 'model.view_transform.type', 'train.optimizer.clip_grad.max_norm', 'train.optimizer.wrapper_type']);
  assert.match(got.join('\n'), /dataset\.type: Invalid option: expected one of "TAO3DSyntheticDataset"\|"TAO3DDataset"\|"KittiPersonDataset"/);
  assert.match(got.join('\n'), /evaluate\.checkpoint: a string: the \.pth path for the running action, "" for the others/);
  assert.equal(problems('convert', {mode: 'train'}).map((l) => l.slice(0, 5)), ['mode:']);
});

test('per-action requirements: what 5.5 needs but only discovers mid-run (or never)', () => {
  const kitti = {pts: 'training/velodyne_reduced', img: 'training/image_2'};
  const evaluate = problems('evaluate', {dataset: {test_dataset: {data_prefix: {pts: 'training/lidar_reduced', img: 'training/images/'}}}});
  assert.equal(evaluate.map((l) => l.slice(0, l.indexOf(':'))), ['dataset.test_dataset.ann_file', 'dataset.test_dataset.data_prefix', 'dataset.default_cam_key', 'evaluate.checkpoint']);
  const train = problems('train', {dataset: {default_cam_key: 'CAM2', train_dataset: {ann_file: '/d/t.pkl', data_prefix: kitti}, val_dataset: {ann_file: '/d/v.pkl', data_prefix: kitti}}, train: {num_gpus: 2, resume_training_checkpoint_path: ''}});
  assert.equal(train.map((l) => l.slice(0, l.indexOf(':'))), ['train.gpu_ids', 'train.resume_training_checkpoint_path']);
  const single = problems('inference', {dataset: {default_cam_key: 'CAM2', pc_file: '/d/1.bin'}, inference: {checkpoint: '/c/epoch_1.pth', show: true}});
  assert.equal(single.map((l) => l.slice(0, l.indexOf(':'))), ['dataset.img_file', 'dataset.cam2img', 'dataset.lidar2cam', 'inference.show']);
  assert.match(problems('convert', {root_dir: '/data', results_dir: '/out'})[0]!, /^results_dir: must equal root_dir/);
});

test('buildSpec returns a Failure value listing every problem, never throws', () => {
  const r = buildSpec('evaluate', {dataset: {type: 'Foo' as never}, bogus: 1} as never);
  assert.ok(!r.ok);
  if (!r.ok) {
    assert.is(r.error.reason, 'tao-spec-invalid');
    assert.equal(r.error.details, ['dataset.type: Invalid option: expected one of "TAO3DSyntheticDataset"|"TAO3DDataset"|"KittiPersonDataset"', "bogus: unknown key: TAO 5.5 rejects it (Key 'bogus' not in the dataclass)"]);
  }
});

test('output is deterministic: key order of the input does not matter; decimals, not exponents', () => {
  const a = toYamlText({b: {y: 1, x: [1e-7, 2]}, a: 'x'}, ['h']);
  const b = toYamlText({a: 'x', b: {x: [1e-7, 2], y: 1}}, ['h']);
  assert.is(a, b);
  assert.is(a, '# h\n\na: x\nb:\n  x: [ 0.0000001, 2 ]\n  y: 1\n');
  assert.equal(parse(a), {a: 'x', b: {x: [1e-7, 2], y: 1}});
  assert.not.match(specOf('train'), /\de-\d/);
});

test('the committed JSON Schema files are what schemas/tao/emit.ts produces', () => {
  assert.equal(staleSchemaFiles(), [], 'run: node --import tsx schemas/tao/emit.ts');
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'tao', 'experiment.schema.json'), 'utf8')) as {additionalProperties: boolean; properties: Record<string, unknown>};
  assert.is(schema.additionalProperties, false);
  assert.not.ok('input_modality' in schema.properties); // deliberately not offered (reference §1.1)
});

test.run();
