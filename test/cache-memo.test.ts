/** The persistent stat → digest memo (cache/stat-memo.ts). */
import {createHash} from 'node:crypto';
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {closeHashPool} from '../cache/digest.ts';
import {StatMemo, type PathDigest} from '../cache/stat-memo.ts';
import {makeManifest, manifestDigest, TreeScanError} from '../cache/tree.ts';
import {withTimeout} from './util/rig-test.ts';

const test = suite('cache-memo');
const sha = (b: string): string => createHash('sha256').update(b).digest('hex');
const OLD = new Date('2024-01-01T00:00:00Z');

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-memo-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

function file(d: PathDigest | undefined): {digest: string; size: number; executable: boolean} {
  if (d?.kind !== 'file') throw new Error(`expected a file digest, got ${JSON.stringify(d)}`);
  return d;
}

test(
  'files, nested directories, executables, empty files, symlinks and missing paths',
  withTimeout(() =>
    withDir(async (dir) => {
      const data = join(dir, 'data');
      const farm = join(dir, 'farm');
      mkdirSync(join(data, 'a/b'), {recursive: true});
      mkdirSync(farm);
      writeFileSync(join(data, 'a/b/x.txt'), 'x');
      writeFileSync(join(data, 'empty'), '');
      writeFileSync(join(data, 'run.sh'), '#!/bin/sh\n');
      chmodSync(join(data, 'run.sh'), 0o755);
      writeFileSync(join(dir, 'real.bin'), 'real');
      mkdirSync(join(dir, 'realdir'));
      writeFileSync(join(dir, 'realdir/y'), 'y');
      symlinkSync(join(dir, 'real.bin'), join(farm, 'link.bin')); // symlink farm: follow to content
      symlinkSync(join(dir, 'realdir'), join(farm, 'sub'));
      symlinkSync(join(dir, 'real.bin'), join(dir, 'top-link'));

      const memo = await StatMemo.open(join(dir, 'state'));
      const r = await memo.digestPaths([data, farm, join(dir, 'top-link'), join(dir, 'nope'), join(data, 'run.sh')]);
      const d = r.get(data);
      assert.ok(d?.kind === 'dir');
      if (d?.kind !== 'dir') return;
      assert.equal(
        d.manifest,
        makeManifest([
          {path: 'a/b/x.txt', digest: sha('x'), size: 1, executable: false},
          {path: 'empty', digest: sha(''), size: 0, executable: false},
          {path: 'run.sh', digest: sha('#!/bin/sh\n'), size: 10, executable: true},
        ]),
      );
      assert.is(d.digest, manifestDigest(d.manifest));
      assert.is(d.size, 11);
      const f = r.get(farm);
      assert.ok(f?.kind === 'dir' && f.manifest.entries.map((e) => `${e.path}=${e.size}`).join() === 'link.bin=4,sub/y=1');
      assert.equal(r.get(join(dir, 'top-link')), {kind: 'file', digest: sha('real'), size: 4, executable: false});
      assert.equal(r.get(join(dir, 'nope')), {kind: 'missing'});
      assert.is(file(r.get(join(data, 'run.sh'))).executable, true);
    }),
  ),
);

test(
  'warm memo: hits survive save/open; touch re-hashes to the same digest; content change is seen',
  withTimeout(() =>
    withDir(async (dir) => {
      const p = join(dir, 'f.txt');
      writeFileSync(p, 'v1');
      const state = join(dir, 'state');
      const m1 = await StatMemo.open(state, {racyWindowMs: 0});
      assert.is(file((await m1.digestPaths([p])).get(p)).digest, sha('v1'));
      assert.equal(m1.stats, {hits: 0, misses: 1});
      await m1.save();

      const m2 = await StatMemo.open(state, {racyWindowMs: 0});
      assert.is(file((await m2.digestPaths([p])).get(p)).digest, sha('v1'));
      assert.equal(m2.stats, {hits: 1, misses: 0}, 'hit from the saved memo');

      utimesSync(p, OLD, OLD); // touch: same content, new mtime
      assert.is(file((await m2.digestPaths([p])).get(p)).digest, sha('v1'));
      assert.equal(m2.stats, {hits: 1, misses: 1});

      writeFileSync(p, 'version 2');
      assert.is(file((await m2.digestPaths([p])).get(p)).digest, sha('version 2'));
      assert.equal(m2.stats, {hits: 1, misses: 2});
      assert.is(file((await m2.digestPaths([p])).get(p)).digest, sha('version 2'));
      assert.equal(m2.stats, {hits: 2, misses: 2});
    }),
  ),
);

test(
  'same-size edit within the same second is never hidden by the memo',
  withTimeout(() =>
    withDir(async (dir) => {
      const p = join(dir, 'f.txt');
      // default 1 s racy window: a file just written is hashed but not memoized…
      const memo = await StatMemo.open(join(dir, 'state'));
      writeFileSync(p, 'aaaa');
      assert.is(file((await memo.digestPaths([p])).get(p)).digest, sha('aaaa'));
      assert.is(memo.size, 0, 'a racy file is not memoized');
      // …so an edit in the same clock tick, with the mtime put back, is still seen
      const {mtime} = statSync(p);
      writeFileSync(p, 'bbbb');
      utimesSync(p, mtime, mtime);
      assert.is(file((await memo.digestPaths([p])).get(p)).digest, sha('bbbb'));
      assert.is(memo.stats.hits, 0);

      // Even with no racy window, ctime catches an edit whose mtime was restored.
      const memo0 = await StatMemo.open(join(dir, 'state0'), {racyWindowMs: 0});
      utimesSync(p, OLD, OLD);
      assert.is(file((await memo0.digestPaths([p])).get(p)).digest, sha('bbbb'));
      writeFileSync(p, 'cccc');
      utimesSync(p, OLD, OLD);
      assert.is(file((await memo0.digestPaths([p])).get(p)).digest, sha('cccc'));
    }),
  ),
);

test(
  'non-ASCII paths survive save and open',
  withTimeout(() =>
    withDir(async (dir) => {
      const p = join(dir, 'données – ü 🚗.bin');
      writeFileSync(p, 'é');
      const m1 = await StatMemo.open(join(dir, 'state'), {racyWindowMs: 0});
      await m1.digestPaths([p]);
      await m1.save();
      const m2 = await StatMemo.open(join(dir, 'state'), {racyWindowMs: 0});
      assert.is(file((await m2.digestPaths([p])).get(p)).digest, sha('é'));
      assert.equal(m2.stats, {hits: 1, misses: 0});
    }),
  ),
);

test(
  'a file with a future mtime is never memoized',
  withTimeout(() =>
    withDir(async (dir) => {
      const p = join(dir, 'f');
      writeFileSync(p, 'x');
      const future = new Date(Date.now() + 60_000);
      utimesSync(p, future, future);
      const memo = await StatMemo.open(join(dir, 'state'));
      await memo.digestPaths([p]);
      assert.is(memo.size, 0);
    }),
  ),
);

test(
  'a corrupt, truncated or other-format memo file starts empty; save is atomic and only when changed',
  withTimeout(() =>
    withDir(async (dir) => {
      const state = join(dir, 'state');
      mkdirSync(state);
      const p = join(dir, 'f');
      writeFileSync(p, 'content');
      const good = `bevbuild-stat-memo\t1\n${p}\t1:2:7:3:4\t${sha('content')}\t0\n`;
      for (const text of ['{not json', 'bevbuild-stat-memo\t2\n', good.replace('\t1\n', '\t3\n'), good.slice(0, -3), good.replace(/\t0\n$/, '\n'), '\0\0\0']) {
        writeFileSync(join(state, 'stat-memo.tsv'), text);
        const memo = await StatMemo.open(state, {racyWindowMs: 0});
        assert.is(memo.size, 0, text);
        assert.is(file((await memo.digestPaths([p])).get(p)).digest, sha('content'));
      }
      const memo = await StatMemo.open(state, {racyWindowMs: 0});
      await memo.digestPaths([p]);
      await memo.save();
      const saved = statSync(join(state, 'stat-memo.tsv')).mtimeMs;
      const reopened = await StatMemo.open(state, {racyWindowMs: 0});
      assert.is(reopened.size, 1);
      await reopened.digestPaths([p]);
      await reopened.save(); // all hits: nothing to write
      assert.is(statSync(join(state, 'stat-memo.tsv')).mtimeMs, saved);
      assert.ok(readFileSync(join(state, 'stat-memo.tsv'), 'utf8').startsWith('bevbuild-stat-memo\t1\n'));
      // a stale entry (another inode) is a miss, never a wrong answer
      writeFileSync(join(state, 'stat-memo.tsv'), good.replace(sha('content'), sha('other')));
      const stale = await StatMemo.open(state, {racyWindowMs: 0});
      assert.is(stale.size, 1);
      assert.is(file((await stale.digestPaths([p])).get(p)).digest, sha('content'));
      assert.equal(stale.stats, {hits: 0, misses: 1});
    }),
  ),
);

test(
  'a directory is re-digested when a file inside changes; a dangling symlink inside is an error',
  withTimeout(() =>
    withDir(async (dir) => {
      const d = join(dir, 'd');
      mkdirSync(d);
      for (let i = 0; i < 40; i++) writeFileSync(join(d, `f${i}`), `file ${i}`);
      const memo = await StatMemo.open(join(dir, 'state'), {racyWindowMs: 0});
      const first = (await memo.digestPaths([d])).get(d);
      assert.is(memo.stats.misses, 40);
      const again = (await memo.digestPaths([d])).get(d);
      assert.equal(again, first);
      assert.is(memo.stats.hits, 40);
      writeFileSync(join(d, 'f3'), 'changed');
      const third = (await memo.digestPaths([d])).get(d);
      assert.ok(third?.kind === 'dir' && first?.kind === 'dir' && third.digest !== first.digest);
      assert.is(memo.stats.misses, 41);
      symlinkSync(join(dir, 'gone'), join(d, 'dangling'));
      const e = await memo.digestPaths([d]).catch((x: unknown) => x);
      assert.ok(e instanceof TreeScanError && e.code === 'dangling-symlink');
      await closeHashPool();
    }),
  ),
);

test(
  'save appends the changed paths (tombstones for forgotten ones); a torn tail a killed writer left is never trusted',
  withTimeout(() =>
    withDir(async (dir) => {
      const state = join(dir, 'state');
      const memoFile = join(state, 'stat-memo.tsv');
      const [a, b] = [join(dir, 'a'), join(dir, 'b')];
      writeFileSync(a, 'one');
      writeFileSync(b, 'two');
      const first = await StatMemo.open(state, {racyWindowMs: 0});
      await first.digestPaths([a, b]);
      await first.save(); // no file yet: written whole
      const whole = readFileSync(memoFile, 'latin1');
      assert.is(whole.split('\n').length, 4); // header, a, b, end
      writeFileSync(a, 'three');
      rmSync(b);
      const second = await StatMemo.open(state, {racyWindowMs: 0});
      assert.is(second.size, 2);
      await second.digestPaths([a, b]);
      await second.save();
      const appended = readFileSync(memoFile, 'latin1');
      assert.ok(appended.startsWith(whole), 'appended, not rewritten');
      assert.ok(appended.endsWith(`\n${b}\t-\n`) || appended.includes(`\n${b}\t-\n`), 'a tombstone for b');
      const third = await StatMemo.open(state, {racyWindowMs: 0});
      assert.is(third.size, 1);
      assert.is(file((await third.digestPaths([a])).get(a)).digest, sha('three'));
      assert.equal(third.stats, {hits: 1, misses: 0});
      // A writer killed mid-append left half a line: ignored, and the next append does not join it.
      const st = statSync(a);
      writeFileSync(memoFile, `${appended}${a}\t${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}\t${sha('three').slice(0, 20)}`);
      const torn = await StatMemo.open(state, {racyWindowMs: 0});
      assert.is(file((await torn.digestPaths([a])).get(a)).digest, sha('three'));
      assert.equal(torn.stats, {hits: 1, misses: 0});
      writeFileSync(a, 'four');
      await torn.digestPaths([a]);
      await torn.save();
      const after = await StatMemo.open(state, {racyWindowMs: 0});
      assert.is(after.size, 1);
      assert.is(file((await after.digestPaths([a])).get(a)).digest, sha('four'));
      assert.equal(after.stats, {hits: 1, misses: 0});
    }),
  ),
);

test(
  'handOff: the next open of the same state dir gets the memo, and only its next digestPaths the answers',
  withTimeout(() =>
    withDir(async (dir) => {
      const f = join(dir, 'f.txt');
      writeFileSync(f, 'one');
      utimesSync(f, OLD, OLD);
      const memo = await StatMemo.open(join(dir, 'state'));
      const first = await memo.digestPaths([f]);
      assert.is(file(first.get(f)).digest, sha('one'));
      memo.handOff(first);
      assert.is(await StatMemo.open(join(dir, 'other-state')) === memo, false, 'another state dir opens its own');
      memo.handOff(first);
      const again = await StatMemo.open(join(dir, 'state'));
      assert.is(again, memo, 'the same instance, its entries already loaded');
      assert.is.not(await StatMemo.open(join(dir, 'state')), memo, 'once');
      // The file changes after the hand-off: the first call still answers what was handed over (it
      // stands for the moment of the check), every later call looks again.
      writeFileSync(f, 'two');
      assert.is(file((await again.digestPaths([f])).get(f)).digest, sha('one'));
      assert.is(file((await again.digestPaths([f])).get(f)).digest, sha('two'));
    }),
  ),
);

test.run();
