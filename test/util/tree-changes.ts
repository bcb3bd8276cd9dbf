/**
 * Every kind of change a directory input can go through, one after another, each followed by
 * `check(what)`: the daemon's watched listings (test/watched-trees) and the daemon itself
 * (test/daemon) must each see every one of them exactly as a walk of the disk does.
 * `data` starts as {x.txt, sub/y.txt}; `outside` is an empty directory beside it.
 */
import {linkSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

export async function everyKindOfChange(data: string, outside: string, check: (what: string) => Promise<void>, bursts: number): Promise<void> {
  await check('first look');
  await check('no change');
  const {mtime} = statSync(join(data, 'x.txt'));
  writeFileSync(join(data, 'x.txt'), 'X');
  utimesSync(join(data, 'x.txt'), mtime, mtime);
  await check('rewritten in place, mtime restored');
  mkdirSync(join(data, 'new/deep'), {recursive: true});
  writeFileSync(join(data, 'new/deep/z.txt'), 'z');
  await check('a new directory with a file');
  writeFileSync(join(data, 'new/deep/z2.txt'), 'z2');
  await check('a file added in the new directory');
  rmSync(join(data, 'sub'), {recursive: true});
  await check('a directory removed');
  mkdirSync(join(outside, 'sub'));
  writeFileSync(join(outside, 'sub/moved.txt'), 'moved');
  renameSync(join(outside, 'sub'), join(data, 'sub'));
  await check('a directory moved in');
  renameSync(join(data, 'new'), join(data, 'renamed'));
  await check('a directory renamed inside');
  mkdirSync(join(outside, 'other'));
  writeFileSync(join(outside, 'other/o.txt'), 'o');
  rmSync(join(data, 'renamed'), {recursive: true});
  renameSync(join(outside, 'other'), join(data, 'renamed'));
  await check('a directory replaced by another of the same name');
  // Removed and made again at once: ext4 hands the new directory the old one's inode number.
  for (let i = 0; i < 3; i++) {
    rmSync(join(data, 'renamed'), {recursive: true});
    mkdirSync(join(data, 'renamed'));
    writeFileSync(join(data, `renamed/again${i}.txt`), `again ${i}`);
    await check(`a directory removed and made again (${i})`);
  }
  rmSync(join(data, 'renamed'), {recursive: true});
  writeFileSync(join(data, 'renamed'), 'now a file');
  await check('a directory turned into a file');
  rmSync(join(data, 'renamed'));
  mkdirSync(join(data, 'renamed'));
  writeFileSync(join(data, 'renamed/back.txt'), 'back');
  await check('and back into a directory');
  mkdirSync(join(outside, 'data2'));
  writeFileSync(join(outside, 'data2/only.txt'), 'only');
  renameSync(data, join(outside, 'old-data'));
  renameSync(join(outside, 'data2'), data);
  await check('the root replaced');
  // The root removed and made again (its inode number reused), then written: nothing above it watches.
  rmSync(data, {recursive: true});
  mkdirSync(data);
  writeFileSync(join(data, 'new.txt'), 'NEW');
  await check('the root removed and made again');
  writeFileSync(join(data, 'new.txt'), 'EDITED');
  await check('a file in the remade root written');
  writeFileSync(join(data, 'only.txt'), 'only');
  writeFileSync(join(outside, 'linked.txt'), 'one');
  linkSync(join(outside, 'linked.txt'), join(data, 'linked.txt'));
  await check('a hard link added');
  writeFileSync(join(outside, 'linked.txt'), 'two!');
  await check('the hard-linked file written through its other name');
  // (A link made from outside to a file listed before, then written through, is not seen: see
  // the module comment of watched-trees.ts.)
  rmSync(join(data, 'linked.txt'));
  writeFileSync(join(outside, 'target.txt'), 'first');
  symlinkSync(join(outside, 'target.txt'), join(data, 'link.txt'));
  await check('a symlink added');
  writeFileSync(join(outside, 'target.txt'), 'second!');
  await check('the symlink target written');
  rmSync(join(data, 'link.txt'));
  await check('the symlink removed');
  for (let i = 0; i < bursts; i++) {
    writeFileSync(join(data, 'only.txt'), `burst ${i}`);
    await check(`written right before sync (${i})`);
  }
}
