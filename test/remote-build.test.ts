/**
 * Issue 6 acceptance at engine level, against a real nginx (WebDAV) and a real TCP fault proxy:
 * a workspace uploads its results; a fresh clone with an empty store builds with 0 executions and
 * byte-identical outputs, downloading only what the target needs; faults never fail a build.
 */
import {readFileSync} from 'node:fs';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {startFaultProxy} from './util/fault-proxy.ts';
import {startNginx, type NginxRig} from './util/nginx-rig.ts';
import {outputObjectGets} from './util/provenance-keys.ts';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, executedIds, shConfig, summaryOf} from './util/workspace-rig.ts';

const test = suite('remote-build');

const config = shConfig(`    a: sh({script: 'head -c 200000 /dev/urandom > "$1"', outputs: ['out/a.bin']}),
    b: sh({script: 'sha256sum "$1" | cut -c1-64 > "$2"; cat "$1" >> "$2"', inputs: ['out/a.bin'], outputs: ['out/b.bin']}),
    c: sh({script: 'mkdir -p "$2"; wc -c < "$1" > "$2/size"; cp "$1" "$2/copy"', inputs: ['out/b.bin'], outputs: ['out/c']}),`);

/** Output objects downloaded (each record's provenance envelope comes along with it and is not counted). */
const casGets = (log: string[], nginx: NginxRig) => outputObjectGets(log, nginx.dataDir);

test('a clone with an empty store builds from the remote with 0 executions; minimal downloads only the target', withTimeout(async () => {
  const nginx = await startNginx();
  try {
    await using a = await WorkspaceRig.create();
    a.write({'bevbuild.config.ts': config});
    const up = await a.json(['c', '--remote', nginx.url, '--remote-upload']);
    assert.is(up.code, 0, up.stderr);
    assert.ok(nginx.accessLog().some((l) => /"PUT \/ac\//.test(l)), 'records uploaded');
    const putsBefore = nginx.accessLog().filter((l) => /"PUT /.test(l)).length;

    await using b = await WorkspaceRig.create();
    b.write({'bevbuild.config.ts': config});
    const before = nginx.accessLog().length;
    const got = await b.json(['c', '--remote', nginx.url]);
    assert.is(got.code, 0, got.stderr);
    assert.equal(summaryOf(got.events).executed, 0);
    assert.equal(summaryOf(got.events).restored, 3);
    assert.is(b.read('out/c/copy'), a.read('out/c/copy'), 'byte-identical outputs');
    const newLines = nginx.accessLog().slice(before);
    // c is a directory: its manifest + 2 files. a and b stay on the server.
    assert.is(casGets(newLines, nginx), 3, newLines.join('\n'));
    assert.not.ok(b.exists('out/a.bin'), 'minimal: intermediates are not downloaded');
    assert.is(nginx.accessLog().filter((l) => /"PUT /.test(l)).length, putsBefore, 'read-only by default');

    await using c = await WorkspaceRig.create();
    c.write({'bevbuild.config.ts': config});
    const mark = nginx.accessLog().length;
    const all = await c.json(['c', '--remote', nginx.url, '--remote-download', 'all']);
    assert.equal(summaryOf(all.events).executed, 0);
    // a, b, and c's manifest + size; c/copy has b's bytes (same object, fetched once).
    assert.is(casGets(nginx.accessLog().slice(mark), nginx), 4);
    assert.is(c.read('out/a.bin').length > 0, true);

    // A node that must run fetches exactly the intermediates it reads.
    await using d = await WorkspaceRig.create();
    d.write({'bevbuild.config.ts': config.replace("wc -c < \"$1\"", "wc -l < \"$1\"")});
    const partial = await d.json(['c', '--remote', nginx.url]);
    assert.is(partial.code, 0, partial.stderr);
    assert.equal(executedIds(partial.events), ['c']);
    assert.ok(d.exists('out/b.bin') && !d.exists('out/a.bin'));
  } finally {
    await nginx.stop();
  }
}));

test('remote settings in the config take effect when no flag is given; flags and env still win', withTimeout(async () => {
  const nginx = await startNginx();
  try {
    const withRemote = (remote: string) => config.replace('export default defineConfig({', `export default defineConfig({\n  remote: ${remote},`);
    await using a = await WorkspaceRig.create();
    a.write({'bevbuild.config.ts': withRemote(`{url: '${nginx.url}', upload: true}`)});
    assert.is((await a.json(['c'], {BEVBUILD_REMOTE_UPLOAD: '0'})).code, 0);
    assert.not.ok(nginx.accessLog().some((l) => /"PUT /.test(l)), 'BEVBUILD_REMOTE_UPLOAD=0 beats remote.upload');
    await a.exec(['clean', '--all']);
    assert.is((await a.json(['c'])).code, 0);
    assert.ok(nginx.accessLog().some((l) => /"PUT \/ac\//.test(l)), 'remote.upload: true uploads without --remote-upload');

    await using b = await WorkspaceRig.create();
    b.write({'bevbuild.config.ts': withRemote(`{url: '${nginx.url}', download: 'all'}`)});
    const got = await b.json(['c']);
    assert.equal(summaryOf(got.events).restored, 3, got.stderr);
    assert.ok(b.exists('out/a.bin'), 'remote.download: all fetches intermediates too');
    await using c = await WorkspaceRig.create();
    c.write({'bevbuild.config.ts': withRemote(`{url: '${nginx.url}', download: 'all'}`)});
    assert.is((await c.json(['c', '--remote-download', 'minimal'])).code, 0);
    assert.not.ok(c.exists('out/a.bin'), 'the flag beats the config');
  } finally {
    await nginx.stop();
  }
}));

test('remote faults (refused, 500, corrupt, truncated, stalled) never fail the build or poison the store', withTimeout(async () => {
  const nginx = await startNginx();
  const proxy = await startFaultProxy(nginx.port);
  try {
    await using seed = await WorkspaceRig.create();
    seed.write({'bevbuild.config.ts': config});
    assert.is((await seed.json(['c', '--remote', nginx.url, '--remote-upload'])).code, 0);
    for (const mode of [{kind: 'status500'}, {kind: 'corrupt'}, {kind: 'truncate'}, {kind: 'drop'}, {kind: 'stall', afterBytes: 100}] as const) {
      proxy.setMode(mode);
      await using w = await WorkspaceRig.create();
      w.write({'bevbuild.config.ts': config});
      const r = await w.json(['c', '--remote', proxy.url], {BEVBUILD_REMOTE_TIMEOUT_MS: '1500'});
      assert.is(r.code, 0, `${mode.kind}: ${r.stderr}`);
      const warnings = r.events.filter((e) => e['type'] === 'warning').map((e) => String(e['message']));
      assert.is(warnings.length, 1, `${mode.kind}: one clear warning, got ${warnings.join(' | ')}`);
      assert.match(warnings[0]!, /remote cache|building locally/);
      // The build went on locally; whatever it restored is verified (audit re-hashes everything).
      assert.is((await w.exec(['audit', 'c'])).code, 0, mode.kind);
    }
    await using off = await WorkspaceRig.create();
    off.write({'bevbuild.config.ts': config});
    const refused = await off.json(['c', '--remote', 'http://127.0.0.1:9']);
    assert.is(refused.code, 0);
    assert.equal(summaryOf(refused.events).executed, 3);
    assert.is(refused.events.filter((e) => e['type'] === 'warning').length, 1);
  } finally {
    await proxy.stop();
    await nginx.stop();
  }
}, 180_000));

test.run();
