/**
 * How the `bevbuild` executable starts (issue 12). Node parses the whole NODE_EXTRA_CA_CERTS bundle
 * at start-up, so the bin (an sh line, then JavaScript) starts Node without it and puts it back:
 * the tools still see it, and the remote cache's HTTPS agent trusts that file as Node would have.
 * Runs the bin as an executable, as from PATH; the other suites run `node bin/bevbuild.js`.
 */
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {createServer, type Server} from 'node:https';
import type {AddressInfo} from 'node:net';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {repoRoot} from './util/venv.ts';
import {BEVBUILD, WorkspaceRig, shConfig, summaryOf, type ExecResult} from './util/workspace-rig.ts';

const test = suite('bin-start');

/**
 * A self-signed certificate for localhost and 127.0.0.1 (valid until 2126; test-only, its key is
 * public), trusted only through NODE_EXTRA_CA_CERTS. Made once with
 * `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1`.
 */
const TLS = {
  key: join(repoRoot, 'test', 'fixtures', 'tls', 'localhost-key.pem'),
  cert: join(repoRoot, 'test', 'fixtures', 'tls', 'localhost-cert.pem'),
};

/** A Bazel-HTTP cache in memory (GET/HEAD/PUT of /ac/ and /cas/ entries) over HTTPS; counts the PUTs. */
async function httpsCache(tls: {key: string; cert: string}): Promise<{server: Server; url: string; puts: () => number}> {
  const entries = new Map<string, Buffer>();
  let puts = 0;
  const server = createServer({key: readFileSync(tls.key), cert: readFileSync(tls.cert)}, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      if (req.method === 'PUT') {
        entries.set(path, Buffer.concat(chunks));
        puts++;
        res.writeHead(200).end();
        return;
      }
      const body = entries.get(path);
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, {'content-length': body.length});
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {server, url: `https://localhost:${(server.address() as AddressInfo).port}/`, puts: () => puts};
}

/** Runs the bin as an executable (its sh line included) in `cwd`, with exactly `env` added. */
function runBin(cwd: string, args: string[], env: Record<string, string | undefined>): Promise<ExecResult> {
  const base: NodeJS.ProcessEnv = {...process.env, CI: '1', NO_COLOR: '1'};
  delete base['NODE_EXTRA_CA_CERTS'];
  const child = spawn(BEVBUILD, args, {cwd, env: {...base, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({code, stdout, stderr})));
}

const events = (r: ExecResult) => r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

const CONFIG = shConfig(`    ca: sh({script: 'printf %s "$NODE_EXTRA_CA_CERTS" > "$2"', inputs: ['src/in.txt'], outputs: ['out/ca.txt']}),`,
  `\n  passEnv: () => ['NODE_EXTRA_CA_CERTS'],`);

test('NODE_EXTRA_CA_CERTS: a tool still gets it, and the HTTPS remote trusts it (and only through it)', withTimeout(async () => {
  const tls = TLS;
  const cache = await httpsCache(tls);
  try {
    await using rig = await WorkspaceRig.create();
    rig.write({'bevbuild.config.ts': CONFIG, 'src/in.txt': 'x\n'});
    const remote = ['--remote', cache.url, '--remote-upload', '--json'];
    // Without the variable the certificate is not trusted: the build works, the upload does not.
    const untrusted = await runBin(rig.dir, ['ca', ...remote], {});
    assert.is(untrusted.code, 0, untrusted.stderr);
    assert.is(cache.puts(), 0, 'nothing is uploaded to a server whose certificate is not trusted');
    assert.is(rig.read('out/ca.txt'), '', 'the tool saw no NODE_EXTRA_CA_CERTS');
    rig.write({'src/in.txt': 'y\n'});
    const trusted = await runBin(rig.dir, ['ca', ...remote], {NODE_EXTRA_CA_CERTS: tls.cert});
    assert.is(trusted.code, 0, trusted.stderr);
    assert.is(rig.read('out/ca.txt'), tls.cert, 'the tool gets the variable back, unchanged');
    assert.ok(cache.puts() > 0, `uploads through the deferred CA file: ${trusted.stderr}`);
    // With --use-openssl-ca the bin does not defer (it could not rebuild those roots): Node loads the file itself.
    const before = cache.puts();
    rig.write({'src/in.txt': 'z\n'});
    const openssl = await runBin(rig.dir, ['ca', ...remote], {NODE_EXTRA_CA_CERTS: tls.cert, NODE_OPTIONS: '--use-openssl-ca'});
    assert.is(openssl.code, 0, openssl.stderr);
    assert.ok(cache.puts() > before, `uploads with --use-openssl-ca too: ${openssl.stderr}`);
    rig.write({'src/in.txt': 'y\n'});
    // A second workspace restores from it: downloads verify against the same CA.
    await using clone = await WorkspaceRig.create();
    clone.write({'bevbuild.config.ts': CONFIG, 'src/in.txt': 'y\n'});
    const restored = await runBin(clone.dir, ['ca', '--remote', cache.url, '--json'], {NODE_EXTRA_CA_CERTS: tls.cert});
    assert.is(restored.code, 0, restored.stderr);
    assert.is(summaryOf(events(restored)).restored, 1, restored.stdout);
    assert.is(clone.read('out/ca.txt'), tls.cert);
  } finally {
    cache.server.close();
  }
}));

test('run as `node bin/bevbuild.js`, the sh line is a no-op string and a comment', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': CONFIG, 'src/in.txt': 'x\n'});
  const r = await rig.exec(['ca'], {NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem'});
  assert.is(r.code, 0, r.stderr);
  assert.is(rig.read('out/ca.txt'), '/nonexistent/ca.pem');
}));

test.run();
