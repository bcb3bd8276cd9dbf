/**
 * Issue 16 findings 2 and 8 against a real nginx (WebDAV) and a real TCP fault proxy: under the
 * default `--remote-download minimal`, a missing, truncated or wrong-bytes object of an
 * intermediate makes bevbuild run its producer locally (exit 0, one warning); a stalling cache is
 * asked once, then left alone for the rest of the build.
 */
import {createHash} from 'node:crypto';
import {readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {startFaultProxy} from '../util/fault-proxy.ts';
import {startNginx} from '../util/nginx-rig.ts';
import {withTimeout} from '../util/rig-test.ts';
import {WorkspaceRig, executedIds, shConfig, summaryOf} from '../util/workspace-rig.ts';

const test = suite('faults/remote-minimal');

const config = shConfig(`    a: sh({script: 'seq 1 20000 > "$1"', outputs: ['out/a.txt']}),
    b: sh({script: 'sha256sum "$1" | cut -c1-64 > "$2"; cat "$1" >> "$2"', inputs: ['out/a.txt'], outputs: ['out/b.txt']}),
    c: sh({script: 'mkdir -p "$2"; wc -c < "$1" > "$2/size"; cp "$1" "$2/copy"', inputs: ['out/b.txt'], outputs: ['out/c']}),`);
/** c changed: it must run, so it needs b on disk, which minimal mode left on the server. */
const changedC = config.replace('wc -c < "$1"', 'wc -l < "$1"');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const warningsOf = (events: Record<string, unknown>[]) => events.filter((e) => e['type'] === 'warning').map((e) => String(e['message']));

test('a missing, truncated or wrong-bytes intermediate object: its producer runs locally, exit 0, one warning', withTimeout(async () => {
  const nginx = await startNginx();
  try {
    await using seed = await WorkspaceRig.create();
    seed.write({'bevbuild.config.ts': config});
    assert.is((await seed.json(['c', '--remote', nginx.url, '--remote-upload'])).code, 0);
    const bBytes = readFileSync(seed.path('out/b.txt'));
    const object = join(nginx.dataDir, 'cas', sha(bBytes));
    const faults: [string, () => void][] = [
      ['missing', () => rmSync(object)],
      ['truncated', () => writeFileSync(object, bBytes.subarray(0, bBytes.length >> 1))],
      ['wrong bytes', () => writeFileSync(object, Buffer.from(bBytes.toString().replace('1', '7')))],
    ];
    for (const [what, inject] of faults) {
      inject();
      try {
        await using w = await WorkspaceRig.create();
        w.write({'bevbuild.config.ts': changedC});
        const r = await w.json(['c', '--remote', nginx.url]);
        assert.is(r.code, 0, `${what}: ${r.stderr}\n${JSON.stringify(r.events.filter((e) => e['type'] === 'failed' || e['type'] === 'skipped'))}`);
        assert.equal(executedIds(r.events), ['b', 'c'], `${what}: b rebuilt locally from a (downloaded), then c`);
        const warnings = warningsOf(r.events);
        assert.is(warnings.length, 1, `${what}: one warning, got ${warnings.join(' | ')}`);
        assert.match(warnings[0]!, /remote cache .*building locally/);
        assert.equal(readFileSync(w.path('out/b.txt')), bBytes, `${what}: the local rebuild has the right bytes`);
        assert.is(w.read('out/c/copy'), bBytes.toString());
        assert.is(summaryOf(r.events).failed, 0);
        // And the workspace is consistent: the next build is a no-op.
        const again = await w.json(['c']);
        assert.is(summaryOf(again.events).executed, 0, `${what}: no-op after`);
      } finally {
        writeFileSync(object, bBytes);
      }
    }
  } finally {
    await nginx.stop();
  }
}, 180_000));

test('a stalled download of an intermediate object: its producer runs locally, exit 0, one warning', withTimeout(async () => {
  const nginx = await startNginx();
  // A cache server that answers everything from nginx's files, but stalls one object's body halfway.
  let stalled = '';
  const server = createServer((req, res) => {
    const m = /^\/(ac|cas)\/([0-9a-f]{64})$/.exec(req.url ?? '');
    let body: Buffer | undefined;
    try {
      body = m ? readFileSync(join(nginx.dataDir, m[1]!, m[2]!)) : undefined;
    } catch {
      body = undefined;
    }
    if (!body) return void res.writeHead(404, {'Content-Length': 0}).end();
    res.writeHead(200, {'Content-Length': body.length});
    if (req.method === 'HEAD') return void res.end();
    if (m![2] === stalled) return void res.write(body.subarray(0, body.length >> 1)); // and nothing more
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await using seed = await WorkspaceRig.create();
    seed.write({'bevbuild.config.ts': config});
    assert.is((await seed.json(['c', '--remote', nginx.url, '--remote-upload'])).code, 0);
    stalled = sha(readFileSync(seed.path('out/b.txt')));
    await using w = await WorkspaceRig.create();
    w.write({'bevbuild.config.ts': changedC});
    const r = await w.json(['c', '--remote', url], {BEVBUILD_REMOTE_TIMEOUT_MS: '500'});
    assert.is(r.code, 0, r.stderr);
    assert.equal(executedIds(r.events), ['a', 'b', 'c'], 'after the stall the cache is skipped: a and b are rebuilt locally');
    const warnings = warningsOf(r.events);
    assert.is(warnings.length, 1, warnings.join(' | '));
    assert.match(warnings[0]!, /stopped answering/);
    assert.equal(readFileSync(w.path('out/b.txt')), readFileSync(seed.path('out/b.txt')));
  } finally {
    server.closeAllConnections();
    server.close();
    await nginx.stop();
  }
}, 120_000));

test('a stalling cache is asked once: after the first timeout the breaker skips it for the rest of the build', withTimeout(async () => {
  const nginx = await startNginx();
  const proxy = await startFaultProxy(nginx.port);
  try {
    proxy.setMode({kind: 'stall'});
    await using w = await WorkspaceRig.create();
    w.write({'bevbuild.config.ts': config});
    const r = await w.json(['c', '--remote', proxy.url], {BEVBUILD_REMOTE_TIMEOUT_MS: '500'});
    assert.is(r.code, 0, r.stderr);
    assert.is(summaryOf(r.events).executed, 3);
    assert.is(proxy.connections(), 1, 'one request met the stall; none after it (no retries, no further lookups)');
    const warnings = warningsOf(r.events);
    assert.is(warnings.length, 1, warnings.join(' | '));
    assert.match(warnings[0]!, /disabled for the rest of this run after it stopped answering/);
  } finally {
    await proxy.stop();
    await nginx.stop();
  }
}, 120_000));

test.run();
