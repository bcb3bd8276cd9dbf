/**
 * Issue 12: the daemon's watched directory listings (src/daemon/watched-trees.ts) must list, after
 * `sync`, exactly what a walk of the disk lists now, whatever happened to the tree in between,
 * including changes no watched directory sees (a replaced root, a hard link written through its
 * other name, a symlink's target).
 */
import {mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {walkTree} from '../cache/tree.ts';
import {WatchedTrees} from '../src/daemon/watched-trees.ts';
import {everyKindOfChange} from './util/tree-changes.ts';

const test = suite('watched-trees');

/** "rel size:mtime:ctime:ino content" of every file, sorted: what a digest depends on. */
function facts(list: (onFile: (rel: string, abs: string, st: import('node:fs').Stats) => void) => void): string {
  const out: string[] = [];
  list((rel, abs, st) => out.push(`${rel} ${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino} ${readFileSync(abs, 'utf8')}`));
  return out.sort().join('\n');
}

test('after sync, the kept listing is what a walk finds, through every kind of change', async () => {
  const base = mkdtempSync(join(tmpdir(), 'bevbuild-watched-'));
  const data = join(base, 'data');
  const outside = join(base, 'outside');
  mkdirSync(join(data, 'sub'), {recursive: true});
  mkdirSync(outside);
  writeFileSync(join(data, 'x.txt'), 'x');
  writeFileSync(join(data, 'sub/y.txt'), 'y');
  const trees = new WatchedTrees(join(base, 'cookies'));
  const same = async (what: string) => {
    await trees.sync();
    assert.is(facts((f) => trees.walk(data, f)), facts((f) => walkTree(data, f)), what);
  };
  try {
    await everyKindOfChange(data, outside, same, 20);
  } finally {
    trees.close();
    rmSync(base, {recursive: true, force: true});
  }
});

test('close releases the cookie directory', async () => {
  const base = mkdtempSync(join(tmpdir(), 'bevbuild-watched-'));
  mkdirSync(join(base, 'data'));
  const trees = new WatchedTrees(join(base, 'cookies'));
  trees.walk(join(base, 'data'), () => undefined);
  await trees.sync();
  trees.close();
  assert.not.ok(statSync(join(base, 'cookies'), {throwIfNoEntry: false}));
  rmSync(base, {recursive: true, force: true});
});

test.run();
