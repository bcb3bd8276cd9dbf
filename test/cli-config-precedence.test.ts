/**
 * Every config field with a command-line counterpart: the config's value is used when the flag (and
 * its env variable) is not given, and the flag or env wins when it is. A parser default must never
 * shadow the config (issue 10 #5: `remote.download` was ignored, as `pools.cpu` once was).
 * `pools.cpu` vs `-j` is covered end to end in engine-resources.test.ts; `remote.download` here and
 * in remote-build.test.ts.
 */
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {parseOptions} from '../src/cli-options.ts';
import {remoteSettings} from '../src/commands/remote-setup.ts';
import type {RemoteConfig} from '../src/config/define-config.ts';

const test = suite('cli-config-precedence');

const ENV = ['BEVBUILD_REMOTE_URL', 'BEVBUILD_REMOTE_UPLOAD', 'BEVBUILD_REMOTE_DOWNLOAD', 'BEVBUILD_REMOTE_TIMEOUT_MS'];

/** Settings for `bevbuild <args>` with `env` set and `config` as the config's `remote`. */
function settings(args: string[], config: RemoteConfig | undefined, env: Record<string, string> = {}) {
  const saved = ENV.map((k) => [k, process.env[k]] as const);
  for (const k of ENV) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const opts = parseOptions(['build', 'x', ...args]);
    if (!opts.ok) throw new Error(opts.error.message);
    return remoteSettings(opts.value, config);
  } finally {
    for (const [k, v] of saved) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

const cfg: RemoteConfig = {url: 'http://cache.example:8080', upload: true, download: 'all', timeoutMs: 5000};

test('with no flags and no env the config decides every remote setting', () => {
  assert.equal(settings([], cfg), {url: cfg.url, upload: true, download: 'all', timeoutMs: 5000});
  assert.equal(settings([], {url: cfg.url}), {url: cfg.url, upload: false, download: 'minimal', timeoutMs: 30_000}, 'defaults only when the config is silent');
  assert.is(settings([], undefined), undefined, 'no remote at all');
});

test('flags win over the config', () => {
  const s = settings(['--remote', 'http://other:1', '--remote-download', 'minimal'], cfg)!;
  assert.is(s.url, 'http://other:1');
  assert.is(s.download, 'minimal');
  assert.is(settings(['--remote-upload'], {url: cfg.url})!.upload, true);
});

test('env variables win over the config, including turning upload off', () => {
  const s = settings([], cfg, {BEVBUILD_REMOTE_URL: 'http://env:2', BEVBUILD_REMOTE_UPLOAD: '0', BEVBUILD_REMOTE_DOWNLOAD: 'minimal', BEVBUILD_REMOTE_TIMEOUT_MS: '700'})!;
  assert.equal(s, {url: 'http://env:2', upload: false, download: 'minimal', timeoutMs: 700});
  assert.is(settings([], {url: cfg.url}, {BEVBUILD_REMOTE_UPLOAD: '1'})!.upload, true);
});

test('a bad value is a usage error that says what is expected', () => {
  assert.throws(() => settings(['--remote-download', 'some'], cfg), /expected --remote-download \(or BEVBUILD_REMOTE_DOWNLOAD\) minimal\|all, got "some"/);
  assert.throws(() => settings([], cfg, {BEVBUILD_REMOTE_UPLOAD: 'yes'}), /expected BEVBUILD_REMOTE_UPLOAD=1 \(upload\) or 0 \(read-only\), got "yes"/);
});

test('-j is undefined unless given, so pools.cpu of the config applies', () => {
  const o = parseOptions(['build', 'x']);
  assert.ok(o.ok && o.value.jobs === undefined);
});

test.run();
