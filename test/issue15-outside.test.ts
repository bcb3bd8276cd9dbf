/**
 * Issue 15 from the outside: what a crash or an editor leaves under `.bevbuild/` is untrusted. A
 * dead run's `owner.json` with a resume record of the wrong shape must neither crash the build's
 * run-dir sweep nor make it delete or move anything outside the run dir and `partial/<key>`.
 */
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {sweepRunDirs} from '../src/engine/run-dirs.ts';
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

test.run();
