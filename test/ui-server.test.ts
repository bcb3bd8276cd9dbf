/**
 * Issue 13: the `bevbuild ui` server is loopback only — it binds 127.0.0.1, refuses requests whose
 * Host header names anything else (DNS rebinding), serves no file outside the workspace's declared
 * outputs and logs (path traversal, symlinks out), and starts builds only when allowed, same-origin.
 */
import {request} from 'node:http';
import {networkInterfaces} from 'node:os';
import {symlinkSync} from 'node:fs';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {startUi, type UiServer} from '../src/ui/server.ts';
import {withTimeout} from './util/rig-test.ts';
import {BEVBUILD, shConfig, WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('ui-server');

interface Reply {
  status: number;
  body: string;
}

/** A raw request: the path goes out exactly as given (no URL normalisation), any Host header. */
function raw(port: number, path: string, opts: {host?: string | null; method?: string; headers?: Record<string, string>; body?: string; address?: string} = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const host = opts.host === null ? {} : {host: opts.host ?? `127.0.0.1:${port}`};
    const req = request({host: opts.address ?? '127.0.0.1', port, path, method: opts.method ?? 'GET', setHost: false, headers: {...host, ...opts.headers}}, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function workspace(): Promise<WorkspaceRig> {
  const rig = await WorkspaceRig.create();
  rig.write({
    'bevbuild.config.ts': shConfig(`    'onnx/kitti/second': sh({script: 'cp "$1" "$2"', inputs: ['src/in.txt'], outputs: ['out/model.onnx']}),
    'deploy/kitti/second': sh({script: 'cp "$1" "$2"', inputs: ['out/model.onnx'], outputs: ['out/deploy.txt']}),`),
    'src/in.txt': 'weights\n',
    'secret.txt': 'not an output\n',
  });
  const r = await rig.exec(['deploy/kitti/second']);
  assert.is(r.code, 0, r.stderr);
  return rig;
}

async function serve(rig: WorkspaceRig, allowBuild = false): Promise<UiServer & AsyncDisposable> {
  const ui = await startUi({root: rig.dir, targets: [], port: 0, allowBuild, warn: () => {}, bevbuildBin: BEVBUILD});
  if (!ui.ok) throw new Error(ui.error.message);
  return Object.assign(ui.value, {[Symbol.asyncDispose]: () => ui.value.close()});
}

test('binds 127.0.0.1 only and answers only its own Host names', withTimeout(async () => {
  await using rig = await workspace();
  await using ui = await serve(rig);
  assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.is((await raw(ui.port, '/')).status, 200);
  assert.is((await raw(ui.port, '/api/graph', {host: `localhost:${ui.port}`})).status, 200);
  for (const host of ['evil.example', `evil.example:${ui.port}`, `127.0.0.1.evil.example:${ui.port}`, `127.0.0.1:${ui.port + 1}`, null]) {
    const r = await raw(ui.port, '/api/graph', {host});
    // No Host at all: node's HTTP/1.1 parser refuses it (400) before the handler runs.
    assert.is(r.status, host === null ? 400 : 403, `Host ${JSON.stringify(host)} must be refused`);
    assert.not.match(r.body, /onnx\/kitti/, 'nothing of the workspace leaks to a rebinding page');
  }
  // Not reachable through another interface of the machine.
  const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
  if (external) {
    const err = await raw(ui.port, '/', {address: external.address}).then(() => undefined, (e: NodeJS.ErrnoException) => e.code);
    assert.is(err, 'ECONNREFUSED', `${external.address}:${ui.port} must not answer`);
  }
}));

test('serves declared outputs and logs, never other files (traversal, encodings, symlinks)', withTimeout(async () => {
  await using rig = await workspace();
  await using ui = await serve(rig);
  const ok = await raw(ui.port, '/files/out/model.onnx');
  assert.is(ok.status, 200);
  assert.is(ok.body, 'weights\n');
  const node = JSON.parse((await raw(ui.port, '/api/node?id=onnx%2Fkitti%2Fsecond')).body) as {lastRun: {logFile: string}};
  assert.match(node.lastRun.logFile, /^\.bevbuild\/logs\/.+\.log$/);
  assert.is((await raw(ui.port, `/files/${node.lastRun.logFile}`)).status, 200, 'the full log link works');
  const refused = [
    '/files/secret.txt', // in the workspace, not an output
    '/files/bevbuild.config.ts',
    '/files/../../../../etc/passwd',
    '/files/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/files/out/model.onnx/../../secret.txt',
    '/files/out%2fmodel.onnx%2f..%2f..%2fsecret.txt',
    `/files/${encodeURIComponent(rig.path('out/model.onnx'))}`, // absolute
    '/files/.bevbuild/logs/..%2f..%2fsecret.txt',
    '/files/.bevbuild/state/nodes.json',
    '/files/out/model.onnx%00.log',
    '/files/%E0%A4%A',
    '/../../etc/passwd',
    '/assets/../../../../etc/passwd',
  ];
  for (const path of refused) {
    const r = await raw(ui.port, path);
    assert.is(r.status, 404, `${path} must not be served (got ${r.status})`);
    assert.not.match(r.body, /root:|not an output|weights|defineConfig/, `${path} leaked a file`);
  }
  // A declared output that is a symlink out of the workspace is not followed.
  rig.write({'out/deploy.txt': ''});
  const {rmSync} = await import('node:fs');
  rmSync(rig.path('out/deploy.txt'));
  symlinkSync('/etc/passwd', rig.path('out/deploy.txt'));
  assert.is((await raw(ui.port, '/files/out/deploy.txt')).status, 404, 'symlink out of the workspace');
}));

test('`ui <targets>` shows only their closure', withTimeout(async () => {
  await using rig = await workspace();
  const ui = await startUi({root: rig.dir, targets: ['onnx/**'], port: 0, allowBuild: false, warn: () => {}});
  if (!ui.ok) throw new Error(ui.error.message);
  try {
    const g = JSON.parse((await raw(ui.value.port, '/api/graph')).body) as {layout: {nodes: {id: string}[]}; states: Record<string, string>};
    assert.equal(g.layout.nodes.map((n) => n.id), ['onnx/kitti/second']);
    assert.equal(g.states, {'onnx/kitti/second': 'fresh'});
    assert.is((await raw(ui.value.port, '/files/out/deploy.txt')).status, 404, 'outputs of nodes out of view are not served');
  } finally {
    await ui.value.close();
  }
  const bad = await startUi({root: rig.dir, targets: ['no/such/node'], port: 0, allowBuild: false, warn: () => {}});
  assert.not.ok(bad.ok);
}));

test('starting a build needs --allow-build and a same-origin JSON request', withTimeout(async () => {
  await using rig = await workspace();
  {
    await using ui = await serve(rig);
    const r = await raw(ui.port, '/api/build', {method: 'POST', headers: {origin: `http://127.0.0.1:${ui.port}`, 'content-type': 'application/json'}, body: '{"target":"deploy/kitti/second"}'});
    assert.is(r.status, 403);
    assert.match(r.body, /--allow-build/);
  }
  await using ui = await serve(rig, true);
  const post = (origin: string, type = 'application/json', body = '{"target":"deploy/kitti/second"}') =>
    raw(ui.port, '/api/build', {method: 'POST', headers: {origin, 'content-type': type}, body});
  assert.is((await post('http://evil.example')).status, 403, 'cross-origin');
  assert.is((await post(`http://127.0.0.1:${ui.port}`, 'text/plain')).status, 415, 'a form post cannot start builds');
  assert.is((await post(`http://127.0.0.1:${ui.port}`, 'application/json', '{"target":"../../etc"}')).status, 400);
  assert.is((await raw(ui.port, '/api/graph', {method: 'DELETE'})).status, 405);
  // Allowed and same-origin: the build runs (as a CLI build would) and lands in the history.
  rig.write({'src/in.txt': 'new weights\n'});
  const started = await post(`http://127.0.0.1:${ui.port}`);
  assert.is(started.status, 202, started.body);
  for (;;) {
    const runs = JSON.parse((await raw(ui.port, '/api/runs')).body) as {runs: {argv?: string[]; executed?: number}[]};
    const run = runs.runs.find((r) => r.argv?.includes('deploy/kitti/second') && r.argv.includes('-C'));
    if (run) {
      assert.is(run.executed, 2);
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.is(rig.read('out/deploy.txt'), 'new weights\n');
}));

test.run();
