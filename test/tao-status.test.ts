/**
 * Issue 5 item 6: a TAO run's verdict comes from status.json, the log and the artifacts — never
 * from the exit code (5.5 exits 0 on failure, reference §3.4). Each case is a fixture directory
 * laid out as TAO leaves `<results_dir>/<action>/` plus the run's log, fed through the rule's own
 * `check` (what the engine calls right after `docker run`, since the rules say `exitCode: 'check'`).
 */
import {cpSync, existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {defineRule, z as zod, type CheckContext, type Result, type Rule} from '../src/index.ts';
import type {z} from 'zod';
import {taoEvaluate} from '../rules/tao/evaluate.ts';
import {parseStatusLines} from '../rules/tao/status.ts';
import {taoTrain} from '../rules/tao/train.ts';
import {withTimeout} from './util/rig-test.ts';
import {repoRoot} from './util/venv.ts';

const test = suite('tao-status');
const fixtures = join(repoRoot, 'test', 'fixtures', 'tao');
const kittiRoot = join(fixtures, 'kitti');
const common = {kittiRoot, convertDir: 'results/convert', spec: {train: {num_epochs: 2}}};
const trainParams = {...common, specFile: 'results/specs/train.yaml', outDir: 'results/train'};
const evaluateParams = {...common, specFile: 'results/specs/evaluate.yaml', outDir: 'results/evaluate', checkpoint: 'results/train/epoch_2.pth'};

interface Checked {
  result: Result<void>;
  verdict: Record<string, any>;
  stage: string;
}

/** Runs `rule`'s check on a copy of fixture `run` placed where the rule's staging outputs would be. */
async function check(rule: Rule<z.ZodType>, params: {outDir: string}, run: string, exitCode = 0): Promise<Checked> {
  const stage = mkdtempSync(join(tmpdir(), 'bevbuild-tao-status-'));
  cpSync(join(fixtures, 'runs', run), join(stage, params.outDir), {recursive: true});
  const log = readFileSync(join(fixtures, 'runs', run, 'log.txt'), 'utf8');
  const ctx: CheckContext = {
    root: repoRoot,
    in: (p) => resolve(repoRoot, p),
    out: (p) => join(stage, p),
    outDir: (d) => join(stage, d),
    tmp: join(stage, 'tmp'),
    python: () => {
      throw new Error('no python');
    },
    gpus: ['0'],
    log: async () => log,
    exitCode,
  };
  const parsed = rule.spec.params.parse(params);
  const result = await rule.spec.check!(parsed, ctx);
  const verdict = JSON.parse(readFileSync(join(stage, params.outDir, 'bevbuild-verdict.json'), 'utf8')) as Record<string, any>;
  return {result, verdict, stage};
}

const cases: [string, string, (c: Checked) => void][] = [
  ['success: success line, PASS, epoch_N.pth present', 'train-success', ({result, verdict}) => {
    assert.ok(result.ok);
    assert.equal([verdict['verdict'], verdict['wrapper'], verdict['signal']], ['succeeded', 'PASS', null]);
    assert.equal(verdict['ap11PerEpoch'], {1: 31.5, 2: 44.25});
    assert.equal(verdict['savedEpochs'], [1, 2]);
  }],
  ['FAILURE line with exit code 0: failed, and the last checkpoint is named but not promoted', 'train-fail', ({result}) => {
    assert.ok(!result.ok);
    if (result.ok) return;
    assert.is(result.error.reason, 'tao-failed-partial');
    assert.is(result.error.message, 'TAO train failed: FAILURE: CUDA out of memory. Tried to allocate 2.00 GiB; the last checkpoint written is epoch_1.pth (not promoted) (docker exited 0: TAO 5.5 does so on failure too)');
    assert.ok(result.error.details!.includes('artifact: epoch_2.pth missing (saved: epoch_1.pth)'));
  }],
  ['SIGSEGV after the last checkpoint and its validation: outputs accepted, crash recorded', 'train-segv-after-checkpoints', ({result, verdict}) => {
    assert.ok(result.ok);
    assert.equal([verdict['verdict'], verdict['wrapper'], verdict['signal']], ['succeeded-with-teardown-crash', 'FAIL', 'SIGSEGV']);
    assert.match(verdict['summary'] as string, /crashed at teardown \(SIGSEGV\); outputs accepted/);
  }],
  ['SIGSEGV mid-training (no success line): failed, even though a checkpoint exists', 'train-segv-mid-run', ({result}) => {
    assert.ok(!result.ok);
    if (!result.ok) assert.is(result.error.message, 'TAO train failed: no success line, crashed (SIGSEGV); the last checkpoint written is epoch_1.pth (not promoted) (docker exited 0: TAO 5.5 does so on failure too)');
  }],
  ['several runs appended (and a torn last line): the FAILURE of an earlier run does not outvote a later success', 'train-appended', ({result, verdict}) => {
    assert.ok(result.ok);
    assert.is(verdict['verdict'], 'succeeded');
    assert.equal(verdict['ap11PerEpoch'], {1: 30, 2: 40});
  }],
  ['no status line and a Hydra error in the log: a config failure', 'train-config-error', ({result}) => {
    assert.ok(!result.ok);
    if (!result.ok) {
      assert.is(result.error.reason, 'tao-failed-config');
      assert.match(result.error.message, /rejected before the run started \(ConfigKeyError\)/);
    }
  }],
];

for (const [name, run, expect] of cases) {
  test(`train: ${name}`, withTimeout(async () => {
    const c = await check(taoTrain as never, trainParams, run);
    try {
      expect(c);
    } finally {
      rmSync(c.stage, {recursive: true, force: true});
    }
  }));
}

test('a non-zero exit code alone decides nothing: a complete run is accepted, a docker error is named', withTimeout(async () => {
  const ok = await check(taoTrain as never, trainParams, 'train-success', 1); // what 6.x does after a teardown crash
  assert.ok(ok.result.ok);
  assert.is(ok.verdict['exitCode'], 1);
  rmSync(ok.stage, {recursive: true, force: true});
  const bad = await check(taoTrain as never, trainParams, 'train-config-error', 125);
  assert.ok(!bad.result.ok);
  if (!bad.result.ok) assert.match(bad.result.error.message, /docker exited 125: docker could not create or start the container/);
  rmSync(bad.stage, {recursive: true, force: true});
}));

test('evaluate: post-evaluation SIGSEGV with a complete metrics dump is a success; metrics.json is written', withTimeout(async () => {
  const c = await check(taoEvaluate as never, evaluateParams, 'evaluate-success');
  try {
    assert.ok(c.result.ok);
    assert.is(c.verdict['verdict'], 'succeeded-with-teardown-crash');
    const metrics = JSON.parse(readFileSync(join(c.stage, 'results/evaluate/metrics.json'), 'utf8')) as Record<string, number>;
    assert.equal(metrics, {'TAO3D metric/pred_instances_3d/TAO3D/person_3D_AP11_moderate_strict': 44.25, 'TAO3D metric/pred_instances_3d/TAO3D/person_BEV_AP40_easy_loose': 51});
  } finally {
    rmSync(c.stage, {recursive: true, force: true});
  }
}));

test('evaluate: a success line without the metrics dump is not a success', withTimeout(async () => {
  const c = await check(taoEvaluate as never, evaluateParams, 'train-success');
  try {
    assert.ok(!c.result.ok);
    assert.ok(!existsSync(join(c.stage, 'results/evaluate/metrics.json')));
    if (!c.result.ok) assert.match(c.result.error.message, /no success line|artifacts incomplete/);
  } finally {
    rmSync(c.stage, {recursive: true, force: true});
  }
}));

test('parseStatusLines: skips torn lines and earlier runs by byte offset', () => {
  const text = readFileSync(join(fixtures, 'runs', 'train-appended', 'status.json'), 'utf8');
  const all = parseStatusLines(text);
  assert.is(all.length, 9);
  const firstRun = text.split('\n').slice(0, 3).join('\n').length + 1;
  const second = parseStatusLines(text, firstRun);
  assert.equal(second.map((l) => l.status), ['STARTED', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING']);
});

test("engine extension: exitCode 'check' without a check function is a rule problem; the TAO rules declare it", () => {
  const r = defineRule({name: 'test/no-check', version: 1, params: zod.object({}), outputs: () => ['x'], argv: () => ['true'], exitCode: 'check'});
  assert.equal(r.problems, [{path: ['check'], message: "exitCode: 'check' needs a check function: it decides success"}]);
  assert.is(taoTrain.spec.exitCode, 'check');
  assert.is(taoEvaluate.spec.exitCode, 'check');
});

test.run();
