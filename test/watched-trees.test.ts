/**
 * Issue 12: the daemon's watched directory listings (src/daemon/watched-trees.ts) must list, after
 * `sync`, exactly what a walk of the disk lists now, whatever happened to the tree in between,
 * including changes no watched directory sees (a replaced root, a hard link written through its
 * other name, a symlink's target).
 */
import {linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {walkTree} from '../cache/tree.ts';
import {WatchedTrees} from '../src/daemon/watched-trees.ts';

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
    await same('first look');
    await same('no change');
    const {mtime} = statSync(join(data, 'x.txt'));
    writeFileSync(join(data, 'x.txt'), 'X');
    utimesSync(join(data, 'x.txt'), mtime, mtime);
    await same('rewritten in place, mtime restored');
    mkdirSync(join(data, 'new/deep'), {recursive: true});
    writeFileSync(join(data, 'new/deep/z.txt'), 'z');
    await same('a new directory with a file');
    writeFileSync(join(data, 'new/deep/z2.txt'), 'z2');
    await same('a file added in the new directory');
    rmSync(join(data, 'sub'), {recursive: true});
    await same('a directory removed');
    mkdirSync(join(outside, 'sub'));
    writeFileSync(join(outside, 'sub/moved.txt'), 'moved');
    renameSync(join(outside, 'sub'), join(data, 'sub'));
    await same('a directory moved in');
    renameSync(join(data, 'new'), join(data, 'renamed'));
    await same('a directory renamed inside');
    mkdirSync(join(outside, 'other'));
    writeFileSync(join(outside, 'other/o.txt'), 'o');
    rmSync(join(data, 'renamed'), {recursive: true});
    renameSync(join(outside, 'other'), join(data, 'renamed'));
    await same('a directory replaced by another of the same name');
    // Removed and made again at once: ext4 hands the new directory the old one's inode number.
    for (let i = 0; i < 3; i++) {
      rmSync(join(data, 'renamed'), {recursive: true});
      mkdirSync(join(data, 'renamed'));
      writeFileSync(join(data, `renamed/again${i}.txt`), `again ${i}`);
      await same(`a directory removed and made again (${i})`);
    }
    rmSync(join(data, 'renamed'), {recursive: true});
    writeFileSync(join(data, 'renamed'), 'now a file');
    await same('a directory turned into a file');
    rmSync(join(data, 'renamed'));
    mkdirSync(join(data, 'renamed'));
    writeFileSync(join(data, 'renamed/back.txt'), 'back');
    await same('and back into a directory');
    mkdirSync(join(outside, 'data2'));
    writeFileSync(join(outside, 'data2/only.txt'), 'only');
    renameSync(data, join(outside, 'old-data'));
    renameSync(join(outside, 'data2'), data);
    await same('the root replaced');
    // The root removed and made again (its inode number reused), then written: nothing above it watches.
    rmSync(data, {recursive: true});
    mkdirSync(data);
    writeFileSync(join(data, 'new.txt'), 'NEW');
    await same('the root removed and made again');
    writeFileSync(join(data, 'new.txt'), 'EDITED');
    await same('a file in the remade root written');
    writeFileSync(join(data, 'only.txt'), 'only');
    writeFileSync(join(outside, 'linked.txt'), 'one');
    linkSync(join(outside, 'linked.txt'), join(data, 'linked.txt'));
    await same('a hard link added');
    writeFileSync(join(outside, 'linked.txt'), 'two!');
    await same('the hard-linked file written through its other name');
    // (A link made from outside to a file listed before, then written through, is not seen: see
    // the module comment of watched-trees.ts.)
    rmSync(join(data, 'linked.txt'));
    writeFileSync(join(outside, 'target.txt'), 'first');
    symlinkSync(join(outside, 'target.txt'), join(data, 'link.txt'));
    await same('a symlink added');
    writeFileSync(join(outside, 'target.txt'), 'second!');
    await same('the symlink target written');
    rmSync(join(data, 'link.txt'));
    await same('the symlink removed');
    for (let i = 0; i < 20; i++) {
      writeFileSync(join(data, 'only.txt'), `burst ${i}`);
      await same(`written right before sync (${i})`);
    }
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
