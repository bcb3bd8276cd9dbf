/**
 * HttpRemoteCache against a real nginx WebDAV server: the Bazel HTTP layout round-trips,
 * HEAD goes before PUT, read-only clients never write, and a local file that does not match its
 * digest is never uploaded.
 */
import {createHash, randomBytes} from 'node:crypto';
import {mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'uvu';
import * as assert from 'uvu/assert';
import {HttpRemoteCache, remoteAuthFromEnv} from '../cache/remote-http.ts';
import {startNginx} from './util/nginx-rig.ts';
import {withTimeout} from './util/rig-test.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function client(url: string, upload: boolean, warnings: string[] = []) {
  return new HttpRemoteCache({url, upload, timeoutMs: 5000, retries: 2, backoffMs: 20, log: (w) => warnings.push(w)});
}

test(
  'objects and action records round-trip through nginx; HEAD precedes PUT; duplicates are skipped',
  withTimeout(async () => {
    const nginx = await startNginx();
    const dir = mkdtempSync(join(tmpdir(), 'bevbuild-remote-'));
    const c = client(`${nginx.url}/`, true);
    try {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const digest = sha(data);
      writeFileSync(join(dir, 'src'), data);

      assert.equal(await c.hasObject(digest), {ok: true, value: false});
      assert.equal(await c.putObject(digest, join(dir, 'src')), {ok: true, value: {uploaded: true, bytes: data.length}});
      assert.equal(await c.hasObject(digest), {ok: true, value: true});
      // Second upload of the same object: HEAD says present, no PUT.
      assert.equal(await c.putObject(digest, join(dir, 'src')), {ok: true, value: {uploaded: false, bytes: 0}});

      const lines = nginx.accessLog().filter((l) => l.includes(`/cas/${digest}`));
      const methods = lines.map((l) => /"(\w+) /.exec(l)?.[1]);
      assert.equal(methods, ['HEAD', 'HEAD', 'PUT', 'HEAD', 'HEAD'], lines.join('\n'));
      assert.ok(lines.some((l) => / 201 /.test(l)), 'PUT answered 201 Created');

      const dest = join(dir, 'objects', 'ab', digest);
      const got = await c.fetchObject(digest, dest, {size: data.length});
      assert.equal(got, {ok: true, value: {bytes: data.length}});
      assert.ok(readFileSync(dest).equals(data), 'identical bytes');
      assert.is(statSync(dest).mode & 0o777, 0o444, 'store objects are read-only');
      assert.equal(readdirSync(join(dir, 'objects', 'ab')), [digest], 'no temp file left beside it');

      const key = sha(Buffer.from('action'));
      assert.equal(await c.getAction(key), {ok: true, value: undefined}, 'a miss is not an error');
      const record = Buffer.from(JSON.stringify({format: 1, outputs: {'a.onnx': digest}}));
      assert.equal(await c.putAction(key, record), {ok: true, value: {uploaded: true}});
      const back = await c.getAction(key);
      assert.ok(back.ok && back.value?.equals(record), 'action record bytes identical');

      const missing = await c.fetchObject(sha(Buffer.from('nope')), join(dir, 'missing'));
      assert.ok(!missing.ok && missing.error.reason === 'remote-missing');
      assert.not.ok(existsSync(join(dir, 'missing')));
    } finally {
      c.close();
      await nginx.stop();
      rmSync(dir, {recursive: true, force: true});
    }
  }),
);

test(
  'a read-only client never writes; an empty object round-trips',
  withTimeout(async () => {
    const nginx = await startNginx();
    const dir = mkdtempSync(join(tmpdir(), 'bevbuild-remote-'));
    const ro = client(nginx.url, false);
    const rw = client(nginx.url, true);
    try {
      writeFileSync(join(dir, 'empty'), '');
      const digest = sha(Buffer.alloc(0));
      assert.equal(await ro.putObject(digest, join(dir, 'empty')), {ok: true, value: {uploaded: false, bytes: 0}});
      assert.equal(await ro.putAction(digest, Buffer.from('x')), {ok: true, value: {uploaded: false}});
      assert.equal(nginx.accessLog(), [], 'read-only puts send nothing');
      assert.equal(await rw.putObject(digest, join(dir, 'empty')), {ok: true, value: {uploaded: true, bytes: 0}});
      assert.equal(await ro.fetchObject(digest, join(dir, 'back'), {size: 0}), {ok: true, value: {bytes: 0}});
      assert.is(readFileSync(join(dir, 'back')).length, 0);
    } finally {
      ro.close();
      rw.close();
      await nginx.stop();
      rmSync(dir, {recursive: true, force: true});
    }
  }),
);

test(
  'a local file that does not match its digest is not uploaded (the remote is never poisoned)',
  withTimeout(async () => {
    const nginx = await startNginx();
    const dir = mkdtempSync(join(tmpdir(), 'bevbuild-remote-'));
    const c = client(nginx.url, true);
    try {
      const data = randomBytes(2 * 1024 * 1024);
      const claimed = sha(Buffer.from('something else'));
      writeFileSync(join(dir, 'src'), data);
      const r = await c.putObject(claimed, join(dir, 'src'));
      assert.ok(!r.ok, 'upload refused');
      assert.is(r.ok ? '' : r.error.reason, 'remote-upload-mismatch');
      assert.equal(await c.hasObject(claimed), {ok: true, value: false}, 'server kept nothing');
      assert.not.ok(existsSync(join(nginx.dataDir, 'cas', claimed)));
    } finally {
      c.close();
      await nginx.stop();
      rmSync(dir, {recursive: true, force: true});
    }
  }),
);

test('credentials come from the environment', () => {
  assert.equal(remoteAuthFromEnv({BEVBUILD_REMOTE_TOKEN: 't'}), {bearer: 't'});
  assert.equal(remoteAuthFromEnv({BEVBUILD_REMOTE_USER: 'u', BEVBUILD_REMOTE_PASSWORD: 'p'}), {basic: {user: 'u', password: 'p'}});
  assert.is(remoteAuthFromEnv({}), undefined);
  assert.throws(() => client('http://127.0.0.1:1', true).hasObject('not-a-digest'), /64 lowercase hex/);
});

test.run();
