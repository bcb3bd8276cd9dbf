/**
 * Faults between HttpRemoteCache and a real nginx, injected by a real TCP proxy: every fault
 * becomes an error Result with a clear message free of credentials, nothing unverified is left
 * at the destination, retries recover from transient faults, and the circuit breaker stops the
 * client after repeated failures with exactly one warning.
 */
import {createHash, randomBytes} from 'node:crypto';
import {existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'uvu';
import * as assert from 'uvu/assert';
import {HttpRemoteCache, type HttpRemoteCacheOptions} from '../cache/remote-http.ts';
import {startFaultProxy, type FaultMode} from './util/fault-proxy.ts';
import {freePort, startNginx} from './util/nginx-rig.ts';
import {withTimeout} from './util/rig-test.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const TOKEN = 'tok-5ecret-XYZ';
const PASSWORD = 'pw-5ecret-ABC';

function client(url: string, extra: Partial<HttpRemoteCacheOptions> = {}) {
  const warnings: string[] = [];
  const c = new HttpRemoteCache({
    url,
    upload: true,
    auth: {bearer: TOKEN},
    timeoutMs: 600,
    retries: 1,
    backoffMs: 10,
    breakerThreshold: 100,
    log: (w) => warnings.push(w),
    ...extra,
  });
  return {c, warnings};
}

function assertClean(text: string) {
  assert.not.ok(text.includes(TOKEN), `token leaked: ${text}`);
  assert.not.ok(text.includes(PASSWORD), `password leaked: ${text}`);
  assert.not.ok(text.includes(Buffer.from(`u:${PASSWORD}`).toString('base64')), `basic auth leaked: ${text}`);
}

test(
  'download faults: corrupt, truncated, dropped, stalled, 500 → error Result, nothing left behind',
  withTimeout(async () => {
    const nginx = await startNginx();
    const proxy = await startFaultProxy(nginx.port);
    const dir = mkdtempSync(join(tmpdir(), 'bevbuild-faults-'));
    try {
      const data = randomBytes(4 * 1024 * 1024 + 3);
      const digest = sha(data);
      writeFileSync(join(nginx.dataDir, 'cas', digest), data); // served as if uploaded earlier
      const cases: [FaultMode, string, RegExp][] = [
        [{kind: 'corrupt'}, 'remote-digest-mismatch', /corrupt and was not used/],
        [{kind: 'truncate'}, 'remote-truncated', /after 2 attempts.*(truncated|broke off)/],
        [{kind: 'drop'}, 'remote-network', /after 2 attempts.*connection reset/],
        [{kind: 'stall', afterBytes: 65536}, 'remote-timeout', /no progress for 600 ms/],
        [{kind: 'stall'}, 'remote-timeout', /no progress for 600 ms/],
        [{kind: 'delay', ms: 2000}, 'remote-timeout', /no progress for 600 ms/],
        [{kind: 'status500'}, 'remote-server-error', /HTTP 500/],
      ];
      for (const [mode, reason, pattern] of cases) {
        proxy.setMode(mode);
        const {c, warnings} = client(proxy.url);
        const sub = join(dir, mode.kind + Object.keys(mode).length);
        const started = Date.now();
        const r = await c.fetchObject(digest, join(sub, 'obj'));
        c.close();
        assert.ok(!r.ok, `${mode.kind}: must fail`);
        if (r.ok) continue;
        assert.is(r.error.reason, reason, `${mode.kind}: ${r.error.message}`);
        assert.match(r.error.message, pattern);
        assert.match(r.error.message, new RegExp(`GET object ${digest}`));
        assertClean(r.error.message);
        assert.equal(readdirSync(sub), [], `${mode.kind}: no file or temp file left`);
        // One failure does not trip the breaker, except a timeout: a stalled server is not asked again.
        assert.is(warnings.length, reason === 'remote-timeout' ? 1 : 0, warnings.join('\n'));
        assert.ok(Date.now() - started < 5000, `${mode.kind}: bounded time`);
      }
    } finally {
      await proxy.stop();
      await nginx.stop();
      rmSync(dir, {recursive: true, force: true});
    }
  }),
);

test(
  'a transient fault is retried and the download succeeds',
  withTimeout(async () => {
    const nginx = await startNginx();
    const proxy = await startFaultProxy(nginx.port);
    const dir = mkdtempSync(join(tmpdir(), 'bevbuild-faults-'));
    try {
      const data = randomBytes(1024 * 1024);
      const digest = sha(data);
      writeFileSync(join(nginx.dataDir, 'cas', digest), data);
      for (const mode of [{kind: 'truncate'}, {kind: 'drop'}, {kind: 'status500'}] as FaultMode[]) {
        proxy.setMode(mode, 1);
        const {c} = client(proxy.url, {retries: 2});
        const dest = join(dir, mode.kind);
        const r = await c.fetchObject(digest, dest);
        c.close();
        assert.equal(r, {ok: true, value: {bytes: data.length}}, `${mode.kind} then success`);
        assert.ok(existsSync(dest));
      }
    } finally {
      await proxy.stop();
      await nginx.stop();
      rmSync(dir, {recursive: true, force: true});
    }
  }),
);

test(
  'upload faults: 500 and dropped uploads fail cleanly and store nothing',
  withTimeout(async () => {
    const nginx = await startNginx();
    const proxy = await startFaultProxy(nginx.port);
    const dir = mkdtempSync(join(tmpdir(), 'bevbuild-faults-'));
    try {
      const data = randomBytes(2 * 1024 * 1024);
      const digest = sha(data);
      writeFileSync(join(dir, 'src'), data);
      for (const mode of [{kind: 'status500'}, {kind: 'drop'}] as FaultMode[]) {
        proxy.setMode(mode);
        const {c} = client(`http://u:${PASSWORD}@127.0.0.1:${proxy.port}/`, {auth: undefined});
        const r = await c.putObject(digest, join(dir, 'src'));
        c.close();
        assert.ok(!r.ok, `${mode.kind}: upload must fail`);
        if (!r.ok) assertClean(r.error.message);
      }
      assert.not.ok(existsSync(join(nginx.dataDir, 'cas', digest)), 'nothing stored');
      const auth = nginx.accessLog();
      assert.equal(auth, [], 'faulted requests never reached nginx');
    } finally {
      await proxy.stop();
      await nginx.stop();
      rmSync(dir, {recursive: true, force: true});
    }
  }),
);

test(
  'circuit breaker: after N consecutive failures the client stops trying and warns once',
  withTimeout(async () => {
    const port = await freePort(); // nothing listens here: connection refused
    const {c, warnings} = client(`http://u:${PASSWORD}@127.0.0.1:${port}`, {breakerThreshold: 2, retries: 2});
    const digest = sha(Buffer.from('x'));
    const r1 = await c.getAction(digest);
    const r2 = await c.hasObject(digest);
    assert.ok(!r1.ok && /connection refused/.test(r1.error.message), JSON.stringify(r1));
    assert.ok(!r2.ok);
    assert.is(c.disabled, true);
    const started = Date.now();
    const r3 = await c.fetchObject(digest, join(tmpdir(), `bevbuild-never-${process.pid}`));
    assert.ok(!r3.ok && r3.error.reason === 'remote-disabled');
    assert.ok(Date.now() - started < 200, 'fails fast without network');
    assert.is(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /disabled for the rest of this run after 2 consecutive failures/);
    for (const t of [...warnings, r1.ok ? '' : r1.error.message, r3.ok ? '' : r3.error.message]) assertClean(t);
    assert.not.ok(warnings[0]!.includes('u:'), 'user info stripped from the URL');
    c.close();
  }),
);

test.run();
