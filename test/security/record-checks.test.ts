/**
 * Unit checks behind the trust boundary (issue 16 finding 1): output paths are walked with lstat,
 * manifests are bounded and well-formed before use, oversize local records are refused unread.
 */
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {LocalStore} from '../../cache/local-store.ts';
import {MAX_RECORD_BYTES, manifestProblem, readManifestFile} from '../../cache/records.ts';
import {checkOutputPath, extraFiles} from '../../cache/output-guard.ts';
import type {TreeEntry} from '../../cache/tree.ts';
import {sha256} from './hostile-cache.ts';

const test = suite('security-record-checks');

let dir: string;
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'bevbuild-checks-'));
});
test.after.each(() => {
  rmSync(dir, {recursive: true, force: true});
});

const entry = (path: string): TreeEntry => ({path, digest: sha256(path), size: 1, executable: false});

test('output paths: real directories pass, a symlinked or non-directory component refuses', () => {
  mkdirSync(join(dir, 'data/kitti'), {recursive: true});
  assert.ok(checkOutputPath(dir, 'data/kitti/infos.pkl').ok);
  assert.ok(checkOutputPath(dir, 'not/yet/there.bin').ok, 'missing components are created as real dirs');
  symlinkSync(tmpdir(), join(dir, 'link'));
  const r = checkOutputPath(dir, 'link/x');
  assert.ok(!r.ok && /symlink/.test(r.error.message));
  writeFileSync(join(dir, 'file'), '');
  assert.not.ok(checkOutputPath(dir, 'file/x').ok);
  assert.not.ok(checkOutputPath(dir, '../x').ok);
  assert.not.ok(checkOutputPath(dir, '/etc/passwd').ok);
});

test('manifests: unsorted, duplicate, file-and-directory and over-limit entries are refused', () => {
  assert.is(manifestProblem({format: 1, entries: [entry('a'), entry('b/c')]}), undefined);
  assert.match(manifestProblem({format: 1, entries: [entry('b'), entry('a')]})!, /not sorted/);
  assert.match(manifestProblem({format: 1, entries: [entry('a'), entry('a')]})!, /not sorted and unique/);
  assert.match(manifestProblem({format: 1, entries: [entry('a'), entry('a/b')]})!, /both a file and a directory/);
  const prev = process.env['BEVBUILD_MAX_TREE_ENTRIES'];
  process.env['BEVBUILD_MAX_TREE_ENTRIES'] = '2';
  try {
    assert.match(manifestProblem({format: 1, entries: [entry('a'), entry('b'), entry('c')]})!, /over the limit of 2/);
  } finally {
    if (prev === undefined) delete process.env['BEVBUILD_MAX_TREE_ENTRIES'];
    else process.env['BEVBUILD_MAX_TREE_ENTRIES'] = prev;
  }
});

test('a manifest file over the size bound is refused before it is read', async () => {
  const prev = process.env['BEVBUILD_MAX_TREE_ENTRIES'];
  process.env['BEVBUILD_MAX_TREE_ENTRIES'] = '1';
  try {
    writeFileSync(join(dir, 'm'), ' '.repeat(2000));
    const r = await readManifestFile(join(dir, 'm'));
    assert.ok(!r.ok && r.error.reason === 'cache-entry-refused');
  } finally {
    if (prev === undefined) delete process.env['BEVBUILD_MAX_TREE_ENTRIES'];
    else process.env['BEVBUILD_MAX_TREE_ENTRIES'] = prev;
  }
});

test('extra files in a directory output: symlinks are listed, not followed', () => {
  mkdirSync(join(dir, 'out/sub'), {recursive: true});
  writeFileSync(join(dir, 'out/a'), '');
  writeFileSync(join(dir, 'out/sub/NOTES.txt'), '');
  symlinkSync(tmpdir(), join(dir, 'out/escape'));
  assert.equal(extraFiles(join(dir, 'out'), new Set(['a'])).sort(), ['escape', 'sub/NOTES.txt']);
});

test('a local record over the size limit is refused unread and deleted', async () => {
  const store = new LocalStore(join(dir, 'cache'));
  const key = sha256('k');
  const p = store.recordPath(key);
  mkdirSync(join(p, '..'), {recursive: true});
  writeFileSync(p, Buffer.alloc(MAX_RECORD_BYTES + 1, 0x20));
  const r = await store.readRecord(key);
  assert.ok(!r.ok && /over the limit/.test(r.error.message));
  assert.equal(await store.readRecord(key), {ok: true, value: undefined}, 'deleted');
});

test.run();
