/**
 * Issue 12: the daemon keeps its stat memo open between commands (cache/stat-memo.ts
 * keepMemosOpen): handed out again as a fresh open would, and read again when another process wrote.
 * A file of its own: keeping memos open is for the whole process.
 */
import {appendFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {setTimeout as sleep} from 'node:timers/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {closeHashPool} from '../cache/digest.ts';
import {keepMemosOpen, StatMemo} from '../cache/stat-memo.ts';
import {keepStateOpen, NodeState} from '../src/engine/node-state.ts';
import type {KeyRecord} from '../src/engine/action-key.ts';

const test = suite('daemon-memo');

test('a kept memo: the same one while its file is untouched, a fresh one after another writer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-kept-'));
  try {
    keepMemosOpen();
    const f = join(dir, 'a.txt');
    writeFileSync(f, 'a');
    await sleep(1100); // older than the racy window (ctime included), so that the memo keeps its digest
    const first = await StatMemo.open(dir);
    await first.digestPaths([f]);
    assert.is(first.stats.misses, 1);
    await first.save();
    // A command's no-op recorder wraps the memo's methods on the instance: they must not carry over.
    first.digestPaths = () => Promise.reject(new Error('the last command’s wrapper'));
    first.quietly = () => {
      throw new Error('the last command’s recorder');
    };
    const second = await StatMemo.open(dir);
    assert.is(second, first, 'kept');
    assert.equal(second.stats, {hits: 0, misses: 0});
    await second.digestPaths([f]);
    assert.is(second.stats.hits, 1, 'an answer from the kept entries, through the class method');
    appendFileSync(join(dir, 'stat-memo.tsv'), '\n'); // another bevbuild appended
    const third = await StatMemo.open(dir);
    assert.is.not(third, first, 'read again');
    await third.digestPaths([f]);
    assert.is(third.stats.hits, 1, 'from the file');
  } finally {
    await closeHashPool();
    rmSync(dir, {recursive: true, force: true});
  }
});

test('kept state files: a command\'s unsaved changes do not leak into the next, another writer\'s are read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-kept-state-'));
  try {
    keepStateOpen();
    const entry = (key: string) => ({key, outputs: [], builtAt: 'then', keyRecord: {rule: {name: 'r', version: 1}} as unknown as KeyRecord});
    const writer = NodeState.load(dir);
    writer.set('a', entry('k1'));
    writer.save();
    await sleep(1100); // older than the racy window, so that the parse is kept
    const first = NodeState.load(dir);
    assert.is(first.get('a')?.key, 'k1');
    assert.ok(first.keyRecord('a'));
    first.set('b', entry('k2')); // a dry run's decision, never saved
    first.delete('a');
    const second = NodeState.load(dir);
    assert.is(second.get('a')?.key, 'k1', 'the kept parse is unchanged');
    assert.is(second.get('b'), undefined);
    assert.ok(second.keyRecord('a'));
    assert.is(second.keyRecord('b'), undefined);
    second.set('a', entry('k3'));
    second.save(); // a new file renamed into place: another stamp
    assert.is(NodeState.load(dir).get('a')?.key, 'k3');
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.run();
