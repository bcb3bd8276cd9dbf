/** The local content-addressed store (cache/local-store.ts). */
import {spawn} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {closeHashPool} from '../cache/digest.ts';
import {LocalStore, type ActionRecord} from '../cache/local-store.ts';
import {StatMemo} from '../cache/stat-memo.ts';
import {withTimeout} from './util/rig-test.ts';

const test = suite('cache-store');
const sha = (b: string | Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-store-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

function record(key: string, outputs: ActionRecord['outputs']): ActionRecord {
  return {
    format: 1,
    key,
    nodeId: 'onnx/kitti/second',
    rule: {name: 'export-onnx', version: 1},
    outputs,
    createdAt: new Date().toISOString(),
    durationMs: 12,
    host: 'test',
    runId: 'r1',
    inputs: {'configs/a.yaml': sha('a')},
    meta: {argv: ['x']},
  };
}

/** Every file under dir (relative path → content + mode), for comparing trees. */
function snapshot(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = statSync(join(dir, r));
    if (st.isDirectory()) Object.assign(out, snapshot(dir, r));
    else out[r] = `${(st.mode & 0o111) !== 0 ? 'x' : '-'}${readFileSync(join(dir, r), 'utf8')}`;
  }
  return out;
}

function makeTree(root: string): void {
  mkdirSync(join(root, 'a/b/c'), {recursive: true});
  writeFileSync(join(root, 'a/b/c/deep.txt'), 'deep');
  writeFileSync(join(root, 'a/one.txt'), 'one');
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'tool.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(root, 'tool.sh'), 0o755);
  writeFileSync(join(root, 'dup.txt'), 'one'); // same content as a/one.txt: one object
}

test(
  'putFile stores read-only objects, dedups, and keeps the executable bit',
  withTimeout(() =>
    withDir(async (dir) => {
      const store = new LocalStore(join(dir, 'cache'));
      writeFileSync(join(dir, 'f'), 'hello');
      writeFileSync(join(dir, 'e'), '');
      writeFileSync(join(dir, 'x'), '#!/bin/sh\n');
      chmodSync(join(dir, 'x'), 0o755);
      const f = await store.putFile(join(dir, 'f'));
      assert.equal(f, {digest: sha('hello'), size: 5});
      assert.is(statSync(store.objectPath(f.digest)).mode & 0o777, 0o444);
      assert.is(readFileSync(store.objectPath(f.digest), 'utf8'), 'hello');
      assert.ok(existsSync(join(dir, 'f')), 'copy keeps the source');
      const e = await store.putFile(join(dir, 'e'));
      assert.equal(e, {digest: sha(''), size: 0});
      const x = await store.putFile(join(dir, 'x'), {move: true});
      assert.is(statSync(store.objectPath(x.digest)).mode & 0o777, 0o555);
      assert.not.ok(existsSync(join(dir, 'x')), 'move consumes the source');
      // dedup: same content again, by copy and by move
      writeFileSync(join(dir, 'f2'), 'hello');
      assert.equal(await store.putFile(join(dir, 'f2'), {move: true}), f);
      assert.not.ok(existsSync(join(dir, 'f2')));
      assert.ok(await store.hasObject(f.digest));
      assert.not.ok(await store.hasObject(sha('nothing')));
      assert.is(readdirSync(join(dir, 'cache/tmp')).length, 0, 'no temp files left');
    }),
  ),
);

test(
  'putTree + materialize round-trips nested dirs, empty files, executables and symlinked inputs',
  withTimeout(() =>
    withDir(async (dir) => {
      const store = new LocalStore(join(dir, 'cache'));
      const out = join(dir, 'out');
      makeTree(out);
      writeFileSync(join(dir, 'outside.bin'), 'linked content');
      symlinkSync(join(dir, 'outside.bin'), join(out, 'link.bin'));
      const want = snapshot(out);
      const memo = await StatMemo.open(join(dir, 'state'), {racyWindowMs: 0});
      const before = (await memo.digestPaths([out])).get(out);

      const t = await store.putTree(out, {move: true});
      assert.not.ok(existsSync(out), 'move consumes the directory');
      assert.ok(existsSync(join(dir, 'outside.bin')), 'a symlink target is never moved away');
      assert.ok(before?.kind === 'dir' && before.digest === t.digest, 'store digest = memo digest');
      assert.is(t.manifest.entries.length, 6);
      assert.is(t.size, 4 + 3 + 0 + 18 + 3 + 14);

      const entry = {path: 'out', kind: 'dir' as const, digest: t.digest, size: t.size};
      for (const [mode, dest] of [['link', 'restored/link'], ['copy', 'restored/copy']] as const) {
        const r = await store.materialize(entry, join(dir, dest), {mode, memo});
        assert.ok(r.ok, JSON.stringify(r));
        assert.equal(snapshot(join(dir, dest)), want);
        if (r.ok) assert.is(r.value.method, mode === 'link' ? 'hardlink' : 'copy'); // ext4: no reflink
        const after = (await memo.digestPaths([join(dir, dest)])).get(join(dir, dest));
        assert.ok(after?.kind === 'dir' && after.digest === t.digest);
      }
      assert.ok(lstatSync(join(dir, 'restored/link/link.bin')).isFile(), 'restored as content, not as a link');
      // restore over an existing, different directory
      const again = await store.materialize(entry, join(dir, 'restored/copy'));
      assert.ok(again.ok);
      assert.equal(snapshot(join(dir, 'restored/copy')), want);
      assert.equal(readdirSync(join(dir, 'restored')).sort(), ['copy', 'link'], 'no temp siblings left');
      await closeHashPool();
    }),
  ),
);

test(
  'an empty directory round-trips',
  withTimeout(() =>
    withDir(async (dir) => {
      const store = new LocalStore(join(dir, 'cache'));
      mkdirSync(join(dir, 'empty'));
      const t = await store.putTree(join(dir, 'empty'));
      assert.equal(t.manifest, {format: 1, entries: []});
      const r = await store.materialize({path: 'e', kind: 'dir', digest: t.digest, size: 0}, join(dir, 'restored'));
      assert.ok(r.ok);
      assert.equal(readdirSync(join(dir, 'restored')), []);
    }),
  ),
);

test(
  'materialize a file: hardlink in link mode, writable copy in copy mode, replaces an old dest',
  withTimeout(() =>
    withDir(async (dir) => {
      const store = new LocalStore(join(dir, 'cache'));
      writeFileSync(join(dir, 'model.bin'), 'weights');
      chmodSync(join(dir, 'model.bin'), 0o755);
      const put = await store.putFile(join(dir, 'model.bin'), {move: true});
      const dest = join(dir, 'deploy/model.bin');
      mkdirSync(join(dir, 'deploy'));
      writeFileSync(dest, 'stale');
      const linked = await store.materialize({path: 'deploy/model.bin', kind: 'file', ...put, executable: true}, dest);
      assert.equal(linked, {ok: true, value: {method: 'hardlink'}});
      assert.is(statSync(dest).ino, statSync(store.objectPath(put.digest)).ino);
      assert.is(readFileSync(dest, 'utf8'), 'weights');
      // an executable bit that differs from the object's cannot share its inode: copy
      const plain = await store.materialize({path: 'p', kind: 'file', ...put, executable: false}, join(dir, 'p'));
      assert.equal(plain, {ok: true, value: {method: 'copy'}});
      assert.is(statSync(join(dir, 'p')).mode & 0o777, 0o644);
      const copied = await store.materialize({path: 'c', kind: 'file', ...put}, join(dir, 'c'), {mode: 'copy'});
      assert.equal(copied, {ok: true, value: {method: 'copy'}});
      assert.is(statSync(join(dir, 'c')).mode & 0o777, 0o755);
      assert.is.not(statSync(join(dir, 'c')).ino, statSync(store.objectPath(put.digest)).ino);
    }),
  ),
);

test(
  'an object this process just stored is restored without a second hash, unless it was touched',
  withTimeout(() =>
    withDir(async (dir) => {
      const store = new LocalStore(join(dir, 'cache'));
      const memo = await StatMemo.open(join(dir, 'state'));
      writeFileSync(join(dir, 'out.bin'), 'fresh output');
      const put = await store.putFile(join(dir, 'out.bin'), {move: true});
      const r = await store.materialize({path: 'out.bin', kind: 'file', ...put}, join(dir, 'out.bin'), {memo});
      assert.ok(r.ok);
      assert.equal(memo.stats, {hits: 0, misses: 0}, 'no hashing, not even a memo lookup');
      const obj = store.objectPath(put.digest);
      chmodSync(obj, 0o644);
      writeFileSync(obj, 'FRESH OUTPUT'); // same size
      utimesSync(obj, new Date(2025, 0, 1), new Date(2025, 0, 1)); // a later write: another clock tick
      assert.not.ok(await store.verifyObject(put.digest, memo));
      assert.not.ok(existsSync(obj));
    }),
  ),
);

test(
  'a corrupt object is detected (with and without the memo), deleted, and never restored',
  withTimeout(() =>
    withDir(async (dir) => {
      const store = new LocalStore(join(dir, 'cache'));
      const memo = await StatMemo.open(join(dir, 'state'), {racyWindowMs: 0});
      for (const useMemo of [false, true]) {
        writeFileSync(join(dir, 'f'), 'good bytes');
        const put = await store.putFile(join(dir, 'f'));
        const obj = store.objectPath(put.digest);
        assert.ok(await store.verifyObject(put.digest, useMemo ? memo : undefined));
        chmodSync(obj, 0o644);
        writeFileSync(obj, 'evil bytes'); // same size
        assert.not.ok(await store.verifyObject(put.digest, useMemo ? memo : undefined));
        assert.not.ok(existsSync(obj), 'corrupt object deleted');
        writeFileSync(join(dir, 'dest'), 'previous');
        const r = await store.materialize({path: 'dest', kind: 'file', ...put}, join(dir, 'dest'), useMemo ? {memo} : {});
        assert.ok(!r.ok && r.error.reason === 'cache-object-missing');
        assert.is(readFileSync(join(dir, 'dest'), 'utf8'), 'previous', 'dest untouched');
      }
    }),
  ),
);

test(
  'materialize never leaves a half-written dest when an object is missing mid-tree',
  withTimeout(() =>
    withDir(async (dir) => {
      const store = new LocalStore(join(dir, 'cache'));
      const out = join(dir, 'out');
      mkdirSync(out);
      for (let i = 0; i < 30; i++) writeFileSync(join(out, `f${String(i).padStart(2, '0')}`), `content ${i}`);
      const t = await store.putTree(out);
      const victim = t.manifest.entries[17]!;
      rmSync(store.objectPath(victim.digest));
      const dest = join(dir, 'dest');
      mkdirSync(dest);
      writeFileSync(join(dest, 'old'), 'old output');
      const r = await store.materialize({path: 'dest', kind: 'dir', digest: t.digest, size: t.size}, dest);
      assert.ok(!r.ok);
      if (!r.ok) {
        assert.is(r.error.reason, 'cache-object-missing');
        assert.equal(r.error.details, [`missing: ${victim.digest}`]);
      }
      assert.equal(readdirSync(dest), ['old'], 'dest untouched');
      assert.equal(readdirSync(dir).sort(), ['cache', 'dest', 'out'], 'no temp sibling');
      // a missing manifest object is reported the same way
      rmSync(store.objectPath(t.digest));
      const r2 = await store.materialize({path: 'dest', kind: 'dir', digest: t.digest, size: t.size}, dest);
      assert.ok(!r2.ok && r2.error.reason === 'cache-object-missing');
    }),
  ),
);

test(
  'records round-trip; corrupt, truncated, other-format or misplaced records are errors and deleted',
  withTimeout(() =>
    withDir(async (dir) => {
      const store = new LocalStore(join(dir, 'cache'));
      const key = sha('key-1');
      assert.equal(await store.readRecord(key), {ok: true, value: undefined});
      const rec = record(key, [{path: 'onnx/model.onnx', kind: 'file', digest: sha('m'), size: 1, executable: false}]);
      await store.writeRecord(rec);
      assert.equal(await store.readRecord(key), {ok: true, value: rec});
      const p = store.recordPath(key);
      const good = readFileSync(p, 'utf8');
      const bad: [string, string][] = [
        ['corrupt', '{"format":1,"key":'],
        ['truncated', good.slice(0, good.length / 2)],
        ['other format', JSON.stringify({...rec, format: 2})],
        ['missing field', JSON.stringify({...rec, outputs: undefined})],
        ['bad digest', JSON.stringify({...rec, outputs: [{path: 'x', kind: 'file', digest: 'abc', size: 1}]})],
        ['unsafe path', JSON.stringify({...rec, outputs: [{path: '../x', kind: 'file', digest: sha('m'), size: 1}]})],
        ['other key', JSON.stringify({...rec, key: sha('key-2')})],
        ['empty', ''],
      ];
      for (const [what, text] of bad) {
        writeFileSync(p, text);
        const r = await store.readRecord(key);
        assert.ok(!r.ok && r.error.reason === 'cache-entry-corrupt', what);
        assert.not.ok(existsSync(p), `${what}: deleted`);
        assert.equal(await store.readRecord(key), {ok: true, value: undefined});
      }
      let threw = false;
      await store.writeRecord({...rec, key: 'nope'} as ActionRecord).catch(() => (threw = true));
      assert.ok(threw, 'writing an invalid record is a bug');
    }),
  ),
);

test(
  'prune bounds the size, keeps the recently used, and drops records whose objects are gone',
  withTimeout(() =>
    withDir(async (dir) => {
      const store = new LocalStore(join(dir, 'cache'));
      const MiB = 1024 * 1024;
      const keys: string[] = [];
      for (let i = 0; i < 4; i++) {
        writeFileSync(join(dir, 'f'), randomBytes(MiB));
        const put = await store.putFile(join(dir, 'f'), {move: true});
        const key = sha(`key-${i}`);
        keys.push(key);
        await store.writeRecord(record(key, [{path: `out/${i}`, kind: 'file', ...put}]));
        const t = new Date(Date.UTC(2025, 0, 1 + i)); // record i last used on day i
        utimesSync(store.recordPath(key), t, t);
      }
      // an orphan object, and a record whose object vanished
      writeFileSync(join(dir, 'orphan'), 'orphan');
      await store.putFile(join(dir, 'orphan'));
      const gone = sha('key-gone');
      await store.writeRecord(record(gone, [{path: 'x', kind: 'file', digest: sha('never stored'), size: 3}]));
      // use the oldest record now: it becomes the most recent
      assert.ok((await store.readRecord(keys[0]!)).ok);

      assert.ok((await store.size()) > 4 * MiB);
      const r = await store.prune({maxSizeBytes: 2.5 * MiB, graceMs: 0});
      assert.ok(r.sizeAfter <= 2.5 * MiB, `sizeAfter ${r.sizeAfter}`);
      assert.is(r.sizeAfter, await store.size());
      assert.is(r.removedObjects, 3); // records 1 and 2 (least recently used) + the orphan
      assert.is(r.removedRecords, 3); // records 1, 2 and the one with a missing object
      const present = await Promise.all([...keys, gone].map(async (k) => existsSync(store.recordPath(k))));
      assert.equal(present, [true, false, false, true, false]);
      for (const k of [keys[0]!, keys[3]!]) {
        const rec = await store.readRecord(k);
        assert.ok(rec.ok && rec.value && (await store.verifyObject(rec.value.outputs[0]!.digest)));
      }
      // the grace period protects fresh unreferenced objects
      writeFileSync(join(dir, 'fresh'), 'fresh');
      const fresh = await store.putFile(join(dir, 'fresh'));
      await store.prune({maxSizeBytes: 0});
      assert.ok(await store.hasObject(fresh.digest));
    }),
  ),
);

test(
  'concurrent putFile/putTree of the same content from two processes',
  withTimeout(
    () =>
      withDir(async (dir) => {
        const storeRoot = join(dir, 'cache');
        const big = randomBytes(3 * 1024 * 1024);
        const script = `
          import {mkdirSync, writeFileSync} from 'node:fs';
          import {join} from 'node:path';
          import {LocalStore} from ${JSON.stringify(fileURLToPath(new URL('../cache/local-store.ts', import.meta.url)))};
          const [root, work, bigPath] = process.argv.slice(-3);
          const store = new LocalStore(root);
          const out = [];
          for (let i = 0; i < 40; i++) {
            const d = join(work, 'tree' + i);
            mkdirSync(d, {recursive: true});
            for (let j = 0; j < 5; j++) writeFileSync(join(d, 'f' + j), 'shared ' + j);
            out.push((await store.putTree(d, {move: i % 2 === 0})).digest);
            out.push((await store.putFile(bigPath)).digest);
          }
          console.log(JSON.stringify([...new Set(out)]));
        `;
        writeFileSync(join(dir, 'big.bin'), big);
        const run = (name: string): Promise<string> =>
          new Promise((resolve, reject) => {
            const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, storeRoot, join(dir, name), join(dir, 'big.bin')], {
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            let stdout = '';
            child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
            child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child ${name} exited ${code}`))));
          });
        const [a, b] = await Promise.all([run('w1'), run('w2')]);
        assert.equal(JSON.parse(a), JSON.parse(b));
        const digests = JSON.parse(a) as string[];
        assert.is(digests.length, 2);
        const store = new LocalStore(storeRoot);
        const tree = await store.materialize({path: 't', kind: 'dir', digest: digests[0]!, size: 0}, join(dir, 't'));
        assert.ok(tree.ok);
        assert.ok(await store.verifyObject(sha(big)));
        assert.is(readdirSync(join(storeRoot, 'tmp')).length, 0, 'no temp files left');
        await closeHashPool();
      }),
    60_000,
  ),
);

test.run();
