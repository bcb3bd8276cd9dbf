/**
 * Issue 16 finding 7: mistakes and hostile inputs that bevbuild used to accept silently, or
 * answer with an internal error, now get a clear message: an empty glob, a duplicate key in the
 * artifacts object, `..` in ids, an input that is the node's own output, a read-only workspace,
 * a symlink loop or FIFO as an output, a huge log (bounded memory, a tail shown), and a remote URL
 * with credentials (never printed).
 */
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from '../util/rig-test.ts';
import {BEVBUILD, WorkspaceRig, shConfig} from '../util/workspace-rig.ts';

const test = suite('faults/silent-acceptance');
const isRoot = process.getuid?.() === 0;
const noBug = (text: string) => assert.not.match(text, /internal error|this is a bug|Unhandled/i, text.slice(0, 3000));

async function configError(artifacts: string, pattern: RegExp): Promise<string> {
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': shConfig(artifacts), 'src/in.txt': 'x\n'});
  const r = await w.exec(['--dry-run', 'a']);
  const text = r.stdout + r.stderr;
  assert.is(r.code, 2, text);
  assert.match(text, pattern);
  noBug(text);
  return text;
}

test('a glob input that matches nothing is a configuration error, not a literal argument', withTimeout(async () => {
  await configError(`    a: sh({script: 'cat "$1" > "$2"', inputs: ['data/*.bin'], outputs: ['out/a.txt']}),`, /input glob "data\/\*\.bin" matches no file/);
}));

test('a duplicate key in the artifacts object is reported at both places', withTimeout(async () => {
  const text = await configError(
    `    a: sh({script: 'echo 1 > "$1"', outputs: ['out/a.txt']}),
    a: sh({script: 'echo 2 > "$1"', outputs: ['out/b.txt']}),`,
    /Duplicate key "a"[^\n]*silently dropped/,
  );
  assert.match(text, /bevbuild\.config\.ts:\d+:\d+/);
  assert.match(text, /first given at line \d+/);
}));

test('ids with . or .. segments are refused', withTimeout(async () => {
  await configError(`    a: sh({script: 'echo 1 > "$1"', outputs: ['out/a.txt']}),
    'x/../a2': sh({script: 'echo 1 > "$1"', outputs: ['out/b.txt']}),`, /invalid-id[\s\S]*no `\.` or `\.\.` segments/);
}));

test('an input that is the node\'s own output says so', withTimeout(async () => {
  const text = await configError(`    a: sh({script: 'cat "$1" > "$2"', inputs: ['out/a.txt'], outputs: ['out/a.txt']}),`, /is an output of this artifact itself/);
  assert.not.match(text, /no artifact declares it/);
}));

test('a symlink loop or a FIFO as an output fails the node with a clear message', withTimeout(async () => {
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': shConfig(`    a: sh({script: 'mkdir -p "$(dirname "$1")"; ln -s "$1" "$1"', outputs: ['out/a.txt']}),
    b: sh({script: 'mkfifo "$1"', outputs: ['out/b.txt']}),`)});
  // (A FIFO *inside* a directory output is skipped: not content, see cache/tree.ts.)
  for (const [id, pattern] of [['a', /output out\/a\.txt is a symbolic link loop/], ['b', /output out\/b\.txt is a FIFO/]] as const) {
    const r = await w.json([id]);
    const failed = r.events.find((e) => e['type'] === 'failed');
    assert.is(r.code, 1, `${id}: ${r.stderr}`);
    assert.is(failed?.['reason'], 'output-invalid', `${id}: ${JSON.stringify(failed)}`);
    assert.match(String(failed?.['message']), pattern);
    noBug(r.stderr + JSON.stringify(r.events));
  }
}));

test('a huge log is streamed: bounded memory, and the failure shows its tail', withTimeout(async () => {
  await using w = await WorkspaceRig.create();
  // 400 MiB of log (single-byte text), then a last line, then failure.
  w.write({'bevbuild.config.ts': shConfig(`    a: sh({script: 'head -c 419430400 /dev/zero | tr "\\\\0" x; echo; echo LAST-LINE-OF-THE-LOG; exit 3', outputs: ['out/a.txt']}),`)});
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss-kb=%M', process.execPath, BEVBUILD, 'a'], {cwd: w.dir, env: {...process.env, CI: '1', NO_COLOR: '1'}, encoding: 'utf8', maxBuffer: 64 << 20});
  assert.is(r.status, 1, r.stderr.slice(-2000));
  assert.match(r.stderr, /LAST-LINE-OF-THE-LOG/, 'the tail is shown');
  const kb = Number(/maxrss-kb=(\d+)/.exec(r.stderr)?.[1]);
  assert.ok(kb > 0 && kb < 200 * 1024, `bevbuild's peak RSS ${Math.round(kb / 1024)} MiB for a 400 MiB log`);
  rmSync(w.path('.bevbuild/logs'), {recursive: true, force: true});
}, 240_000));

test('a remote URL with user:password@ is never printed, not even in an internal-error dump', withTimeout(async () => {
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': shConfig(`    a: sh({script: 'echo 1 > "$1"', outputs: ['out/a.txt']}),`)});
  for (const url of ['http://alice:s3cr3t-pw@[not-a-host/cache', 'http://alice:s3cr3t-pw@127.0.0.1:9/cache']) {
    const r = await w.exec(['a', '--remote', url]);
    const text = r.stdout + r.stderr;
    assert.not.match(text, /s3cr3t-pw/, text);
  }
}));

test('a read-only workspace gives a plain message, not an internal error', withTimeout(async () => {
  if (!isRoot) return console.log('  (skipped: a read-only mount needs root)');
  const mnt = mkdtempSync(join(tmpdir(), 'bevbuild-ro-'));
  assert.is(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]).status, 0);
  try {
    writeFileSync(join(mnt, 'bevbuild.config.ts'), shConfig(`    a: sh({script: 'echo "$V" > "$1"', outputs: ['out/a.txt'], env: {V: process.env.V ?? '1'}}),`));
    const bevbuild = (env: Record<string, string> = {}) => spawnSync(process.execPath, [BEVBUILD, 'a'], {cwd: mnt, env: {...process.env, CI: '1', NO_COLOR: '1', ...env}, encoding: 'utf8'});
    assert.is(bevbuild().status, 0);
    assert.is(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
    const r = bevbuild({V: '2'});
    assert.is.not(r.status, 0);
    assert.match(r.stdout + r.stderr, /read-only/);
    noBug(r.stdout + r.stderr);
  } finally {
    spawnSync('umount', [mnt]);
    rmSync(mnt, {recursive: true, force: true});
  }
}));

test.run();
