/**
 * Issue 15 from the outside: what a crash or an editor leaves under `.bevbuild/` is untrusted. A
 * dead run's `owner.json` with a resume record of the wrong shape must neither crash the build's
 * run-dir sweep nor make it delete or move anything outside the run dir and `partial/<key>`; a kept
 * partial run whose checkpoint or info.json changed since it was kept is discarded, never resumed.
 * Also what a user meets first: a bad sweep value or metric file says what was expected, and
 * `--help` says what README says about partial runs and sweep ids.
 */
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {sweepRunDirs} from '../src/engine/run-dirs.ts';
import {keepPartial, restorePartial, type ResumeKeep} from '../src/engine/resume.ts';
import {keepInterrupted, planResume} from '../src/engine/resume-run.ts';
import type {EngineContext} from '../src/engine/engine-context.ts';
import type {GraphNode} from '../src/graph/graph.ts';
import {fail} from '../src/result.ts';
import {sweep} from '../src/config/sweep.ts';
import {COMMAND_HELP} from '../src/command-help.ts';
import {HELP} from '../src/cli-options.ts';
import {withTimeout} from './util/rig-test.ts';

const test = suite('issue15-outside');
const DEAD_PID = 2 ** 22 + 12345; // above Linux's pid_max: never a live process

/** A `.bevbuild` with a precious store file and one dead run dir holding a checkpoint; returns paths. */
function leftover(resume: (d: {bev: string; run: string; state: string}) => unknown) {
  const bev = join(mkdtempSync(join(tmpdir(), 'h6-owner-')), '.bevbuild');
  const run = join(bev, 'runs', 'r1');
  const state = join(run, 'out', 'work');
  mkdirSync(state, {recursive: true});
  mkdirSync(join(bev, 'partial'), {recursive: true});
  mkdirSync(join(bev, 'cache'), {recursive: true});
  writeFileSync(join(bev, 'cache', 'precious'), 'store');
  writeFileSync(join(state, 'epoch_1.pth'), 'ckpt');
  writeFileSync(join(run, 'owner.json'), JSON.stringify({pid: DEAD_PID, nodeId: 'train', resume: resume({bev, run, state})}));
  return {bev, run, dispose: () => rmSync(join(bev, '..'), {recursive: true, force: true})};
}
const naming = {prefix: 'epoch_', suffix: '.pth'};

test('a resume record of the wrong types is ignored, not a crash', withTimeout(async () => {
  for (const bad of [{stateDir: 5}, 'x', [1], {key: 7, stateDir: '/', keepAt: '/'}, {key: 'k', nodeId: 'train', stateDir: 'a', keepAt: 'b', checkpoint: null}]) {
    const w = leftover(() => bad);
    try {
      assert.equal(sweepRunDirs(join(w.bev, 'runs')), []);
      assert.not.ok(existsSync(w.run), 'the dead run dir is swept');
      assert.is(readFileSync(join(w.bev, 'cache', 'precious'), 'utf8'), 'store');
    } finally {
      w.dispose();
    }
  }
}));

test('keepAt or stateDir outside partial/<key> and the run dir is refused; a sound record is kept', withTimeout(async () => {
  const escapes = [
    ({bev, state}: {bev: string; state: string}) => ({key: 'k', nodeId: 'train', stateDir: state, keepAt: join(bev, 'partial') + '/..', checkpoint: naming}),
    ({bev, run}: {bev: string; run: string}) => ({key: 'k', nodeId: 'train', stateDir: `${run}/../../cache`, keepAt: join(bev, 'partial', 'k'), checkpoint: naming}),
    ({bev, state}: {bev: string; state: string}) => ({key: '..', nodeId: 'train', stateDir: state, keepAt: join(bev, 'partial', '..'), checkpoint: naming}),
  ];
  for (const bad of escapes) {
    const w = leftover(bad);
    try {
      sweepRunDirs(join(w.bev, 'runs'));
      assert.is(readFileSync(join(w.bev, 'cache', 'precious'), 'utf8'), 'store', 'the store survives');
      assert.not.ok(existsSync(join(w.bev, 'info.json')) || existsSync(join(w.bev, 'state')), 'nothing is written beside partial/');
    } finally {
      w.dispose();
    }
  }
  const w = leftover(({bev, state}) => ({key: 'k', nodeId: 'train', stateDir: state, keepAt: join(bev, 'partial', 'k'), checkpoint: naming}));
  try {
    sweepRunDirs(join(w.bev, 'runs'));
    assert.is(readFileSync(join(w.bev, 'partial', 'k', 'state', 'epoch_1.pth'), 'utf8'), 'ckpt');
  } finally {
    w.dispose();
  }
}));

test('a kept checkpoint truncated, rewritten or with a broken info.json is discarded with a reason, not resumed', withTimeout(async () => {
  const root = mkdtempSync(join(tmpdir(), 'h6-partial-'));
  const keep: ResumeKeep = {key: 'a'.repeat(64), nodeId: 'train', stateDir: join(root, 'stage', 'work'), keepAt: join(root, 'partial', 'a'.repeat(64)), checkpoint: naming};
  const kept = () => {
    mkdirSync(keep.stateDir, {recursive: true});
    writeFileSync(join(keep.stateDir, 'epoch_1.pth'), 'one'.repeat(1000));
    writeFileSync(join(keep.stateDir, 'epoch_2.pth'), 'two'.repeat(1000));
    assert.is(keepPartial(keep), 'epoch_2.pth');
  };
  const ckpt = join(keep.keepAt, 'state', 'epoch_2.pth');
  const info = join(keep.keepAt, 'info.json');
  try {
    kept();
    const ok = restorePartial(keep);
    assert.ok(ok && 'name' in ok && ok.name === 'epoch_2.pth', 'untouched: resumed');
    rmSync(keep.stateDir, {recursive: true});
    const damages: Array<[() => void, RegExp]> = [
      [() => truncateSync(ckpt, 100), /epoch_2\.pth changed since it was kept \(100 bytes; kept: 3000 bytes/],
      [() => writeFileSync(ckpt, 'TWO'.repeat(1000)), /epoch_2\.pth changed since it was kept/],
      [() => writeFileSync(info, '{"key": "a'), /info\.json is missing or unreadable/],
      [() => writeFileSync(info, 'null'), /info\.json is not an object/],
      [() => rmSync(info), /info\.json is missing or unreadable/],
      [() => writeFileSync(info, JSON.stringify({nodeId: 'train', key: keep.key, checkpoint: 'epoch_2.pth', keptAt: ''})), /records no size and sha256 of epoch_2\.pth \(kept by an older bevbuild\)/],
      [() => writeFileSync(info, JSON.stringify({...JSON.parse(readFileSync(info, 'utf8')), checkpoint: 'epoch_1.pth'})), /names epoch_1\.pth, but the last complete checkpoint is epoch_2\.pth/],
    ];
    for (const [damage, why] of damages) {
      kept();
      damage();
      const r = restorePartial(keep);
      assert.ok(r && 'discarded' in r, `discarded, not resumed (${why})`);
      assert.match(r.discarded, why);
      assert.not.ok(existsSync(keep.keepAt), 'the kept run is gone: the next build starts over');
      assert.not.ok(existsSync(join(keep.stateDir, 'epoch_2.pth')), 'nothing of it reached staging');
    }
  } finally {
    rmSync(root, {recursive: true, force: true});
  }
}));

test('a sweep value that is not a number, boolean or id-safe string is named, with what was expected', () => {
  for (const [bad, got] of [[NaN, 'got NaN'], [Infinity, 'got Infinity'], [null, 'got null'], [{}, 'got an object']] as const) {
    assert.throws(() => sweep('train/x', {lr: [1e-3, bad as unknown as number]}, () => ({} as never)),
      (e: Error) => e.message.includes(`lr.1: expected a finite number, a boolean or a string of letters, digits, _ . + -; ${got}`));
  }
  assert.throws(() => sweep('train/x', {lr: ['a b']}, () => ({} as never)), /lr\.0: a string of letters, digits/);
});

test('select: a metric file with NaN, a hex string, Infinity or an inherited key is refused, saying what was expected', withTimeout(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h6-select-'));
  const tool = join(import.meta.dirname, '..', 'rules', 'tools', 'select.mjs');
  const run = (text: string, metric = 'recall') => {
    writeFileSync(join(dir, 'm.json'), text);
    writeFileSync(join(dir, 'a.bin'), 'a');
    const spec = {metric, direction: 'max', tieBreak: 'first', candidates: [{id: 'p@x=1', index: 0, params: {x: 1}, metrics: {abs: join(dir, 'm.json'), rel: 'm.json'}, files: {'a.bin': {abs: join(dir, 'a.bin'), rel: 'a.bin'}}}]};
    const r = spawnSync(process.execPath, [tool, '--spec', JSON.stringify(spec), '--selection', join(dir, 'out', 'selection.json'), `a.bin=${join(dir, 'out', 'a.bin')}`], {encoding: 'utf8'});
    return {code: r.status, err: r.stderr};
  };
  try {
    const cases: Array<[string, string, RegExp]> = [
      ['{"recall": NaN}', 'recall', /not valid JSON \(NaN\/Infinity are not JSON: have the evaluation write a finite number\)/],
      ['{"recall": "0x1"}', 'recall', /"recall" in m\.json is "0x1", expected a finite number/],
      ['{"recall": 1e400}', 'recall', /is Infinity, expected a finite number/],
      ['{"recall": 0.9}', 'constructor', /has no "constructor" \(no key "constructor"; keys there: recall\)/],
    ];
    for (const [text, metric, want] of cases) {
      const r = run(text, metric);
      assert.is(r.code, 2, text);
      assert.match(r.err, want);
    }
    assert.is(run('{"recall": " 0.75"}').code, 0, 'a decimal number as a string still counts');
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}));

test('--help says what README says: clean and cache prune remove kept partial runs; sweep point ids are targets', () => {
  assert.match(COMMAND_HELP.clean!, /kept partial runs\s+\(\.bevbuild\/partial/);
  assert.match(COMMAND_HELP.cache!, /partial runs superseded/);
  assert.match(COMMAND_HELP.cache!, /partial runs whose action key no node of the config has any more/);
  assert.match(HELP, /train\/kitti\/second@lr=1e-4,ep=3/);
});

test('a kept partial run that was all the run wrote leaves no empty staging tree to be reported as "partial outputs"', () => {
  const root = mkdtempSync(join(tmpdir(), 'h6-stage-'));
  const ctx = {graph: {root}, paths: {dir: join(root, '.bevbuild')}, reporter: {log: () => {}}} as unknown as EngineContext;
  const node = {id: 'train', stage: true, outputs: ['work/run/epoch_2.pth'], params: {}, rule: {name: 't', resume: () => ({dir: 'work/run', checkpoint: naming, args: () => []})}} as unknown as GraphNode;
  const stage = join(root, '.bevbuild', 'runs', 'r1', 'out');
  try {
    for (const extra of [false, true]) {
      const plan = planResume(ctx, node, 'k'.repeat(64), stage)!;
      mkdirSync(plan.keep.stateDir, {recursive: true});
      writeFileSync(join(plan.keep.stateDir, 'epoch_1.pth'), 'one');
      if (extra) writeFileSync(join(stage, 'work', 'report.txt'), 'left by the tool');
      const failed = fail('cancelled', 'cancelled');
      keepInterrupted(ctx, plan, failed, join(root, 'log'));
      assert.ok(existsSync(join(plan.keep.keepAt, 'state', 'epoch_1.pth')), 'kept');
      assert.is(existsSync(stage), extra, extra ? 'other files stay for inspection' : 'nothing else: the empty tree is gone');
      rmSync(stage, {recursive: true, force: true});
    }
  } finally {
    rmSync(root, {recursive: true, force: true});
  }
});

test.run();
