/** Digests of bytes, files and directory manifests (cache/digest.ts, cache/tree.ts). */
import {execFileSync} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {closeHashPool, hashBytes, hashFile, hashFiles, hashFilesSettled} from '../cache/digest.ts';
import {canonicalManifestJson, makeManifest, manifestDigest} from '../cache/tree.ts';
import {withTimeout} from './util/rig-test.ts';

const test = suite('cache-digest');
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-digest-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

test('hashBytes matches the sha256 test vector', () => {
  assert.is(hashBytes('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.is(hashBytes(new Uint8Array()), EMPTY);
});

test(
  'hashFile handles empty, small and multi-chunk files',
  withTimeout(() =>
    withDir(async (dir) => {
      writeFileSync(join(dir, 'empty'), '');
      assert.equal(await hashFile(join(dir, 'empty')), {digest: EMPTY, size: 0});
      const small = randomBytes(1000);
      writeFileSync(join(dir, 'small'), small);
      assert.equal(await hashFile(join(dir, 'small')), {digest: sha(small), size: 1000});
      // 8 MiB chunks: 2 full chunks and a tail, and an exact multiple of the chunk size
      for (const n of [2 * 8 * 1024 * 1024 + 12345, 8 * 1024 * 1024]) {
        const big = randomBytes(n);
        writeFileSync(join(dir, 'big'), big);
        assert.equal(await hashFile(join(dir, 'big')), {digest: sha(big), size: n});
      }
    }),
  ),
);

test(
  'hashFile rejects for a missing file, a directory and a FIFO',
  withTimeout(() =>
    withDir(async (dir) => {
      const e1 = await hashFile(join(dir, 'nope')).catch((e: NodeJS.ErrnoException) => e);
      assert.is((e1 as NodeJS.ErrnoException).code, 'ENOENT');
      const e2 = await hashFile(dir).catch((e: NodeJS.ErrnoException) => e);
      assert.is((e2 as NodeJS.ErrnoException).code, 'EISDIR');
      // a FIFO must be refused, not block forever waiting for a writer
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      const e3 = await hashFile(join(dir, 'fifo')).catch((e: NodeJS.ErrnoException) => e);
      assert.is((e3 as NodeJS.ErrnoException).code, 'EISDIR');
      const many = Array.from({length: 12}, (_, i) => join(dir, i === 5 ? 'fifo' : 'nope'));
      const settled = await hashFilesSettled(many);
      const f = settled.get(join(dir, 'fifo'));
      assert.ok(f && 'error' in f && f.error.code === 'EISDIR');
    }),
  ),
);

test(
  'hashFiles hashes many files on the worker pool',
  withTimeout(() =>
    withDir(async (dir) => {
      const want = new Map<string, {digest: string; size: number}>();
      for (let i = 0; i < 50; i++) {
        const b = randomBytes(i === 7 ? 9 * 1024 * 1024 : i * 100);
        const p = join(dir, `f${i}`);
        writeFileSync(p, b);
        want.set(p, {digest: sha(b), size: b.length});
      }
      const got = await hashFiles([...want.keys(), ...want.keys()]); // duplicates are fine
      assert.equal(got, want);
      const settled = await hashFilesSettled([...want.keys(), join(dir, 'missing')]);
      const miss = settled.get(join(dir, 'missing'));
      assert.ok(miss && 'error' in miss && miss.error.code === 'ENOENT');
      const e = await hashFiles([...want.keys(), join(dir, 'missing')]).catch((x: NodeJS.ErrnoException) => x);
      assert.is((e as NodeJS.ErrnoException).code, 'ENOENT');
      await closeHashPool();
    }),
  ),
);

test('manifest digest is canonical: entry order and key order do not matter', () => {
  const a = {path: 'b/x.bin', digest: EMPTY, size: 0, executable: false};
  const b = {executable: true, size: 3, digest: hashBytes('abc'), path: 'a.sh'};
  const m1 = makeManifest([a, b]);
  const m2 = makeManifest([b, a]);
  assert.is(manifestDigest(m1), manifestDigest(m2));
  assert.equal(
    m1.entries.map((e) => e.path),
    ['a.sh', 'b/x.bin'],
  );
  assert.is(
    canonicalManifestJson(m1),
    `{"format":1,"entries":[{"path":"a.sh","digest":"${hashBytes('abc')}","size":3,"executable":true},` +
      `{"path":"b/x.bin","digest":"${EMPTY}","size":0,"executable":false}]}`,
  );
  assert.is.not(manifestDigest(m1), manifestDigest(makeManifest([a, {...b, executable: false}])));
});

test.run();
