/**
 * Issue 16 finding 6 on a real full disk: a small tmpfs holds the workspace. A disk full at
 * start and a disk that fills while a tool runs both end with a plain "no space left on device"
 * message (no "Unhandled 'error' event", no internal error), leave no lock, no temp files and
 * no half-written state, and the next build after freeing space succeeds. Needs root (mount);
 * skipped with a note otherwise.
 */
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from '../util/rig-test.ts';
import {BEVBUILD, shConfig} from '../util/workspace-rig.ts';

const test = suite('faults/enospc');
const isRoot = process.getuid?.() === 0;

// The tool prints N bytes (its log) and writes a small output.
const config = shConfig(`    a: sh({script: 'head -c "$N" /dev/zero | tr "\\\\0" x; echo done > "$1"', outputs: ['out/a.txt'], env: {N: process.env.N ?? '100'}}),`);

function withTmpfs(sizeMb: number, fn: (dir: string) => Promise<void>): Promise<void> {
  const mnt = mkdtempSync(join(tmpdir(), 'bevbuild-enospc-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', mnt], {encoding: 'utf8'});
  if (m.status !== 0) throw new Error(`mount tmpfs failed: ${m.stderr}`);
  return fn(mnt).finally(() => {
    spawnSync('umount', [mnt]);
    rmSync(mnt, {recursive: true, force: true});
  });
}

function bevbuild(cwd: string, n: number) {
  const r = spawnSync(process.execPath, [BEVBUILD, 'a'], {cwd, env: {...process.env, CI: '1', NO_COLOR: '1', N: String(n)}, encoding: 'utf8'});
  return {code: r.status, out: r.stdout + r.stderr};
}

/** Fills the file system to leave about `leaveBytes` free (0: completely full). */
function fill(dir: string, leaveBytes: number): void {
  const st = statfsSync(dir);
  const free = st.bavail * st.bsize;
  if (leaveBytes === 0) spawnSync('sh', ['-c', `head -c ${free + (1 << 20)} /dev/zero > filler`], {cwd: dir});
  else writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, free - leaveBytes)));
}

function assertClean(ws: string, out: string, what: string) {
  assert.match(out, /no space left on device/, `${what}: says why`);
  assert.not.match(out, /Unhandled|internal error|this is a bug/i, `${what}: ${out.slice(0, 2000)}`);
  const left = readdirSync(join(ws, '.bevbuild'), {recursive: true}).map(String);
  assert.not.ok(left.includes('lock'), `${what}: no lock left behind`);
  assert.equal(left.filter((f) => /\.tmp$|\.lock-|bevbuild-tmp/.test(f)), [], `${what}: no temp files`);
  assert.equal(readdirSync(join(ws, '.bevbuild', 'runs')).length, 0, `${what}: no run dirs`);
}

test('disk full at start, then freed: a plain message, no lock, then a normal build', withTimeout(async () => {
  if (!isRoot) return console.log('  (skipped: mounting a tmpfs needs root)');
  await withTmpfs(4, async (ws) => {
    writeFileSync(join(ws, 'bevbuild.config.ts'), config);
    assert.is(bevbuild(ws, 100).code, 0, 'a first build compiles the config and makes .bevbuild/');
    writeFileSync(join(ws, 'bevbuild.config.ts'), config.replace("'100'", "'200'")); // recompiled next time
    fill(ws, 0);
    const full = bevbuild(ws, 100);
    assert.is.not(full.code, 0);
    assertClean(ws, full.out, 'full at start');
    rmSync(join(ws, 'filler'));
    const after = bevbuild(ws, 100);
    assert.is(after.code, 0, after.out);
  });
}, 120_000));

test('the disk fills while the tool logs: the node fails with a plain message, the next build succeeds', withTimeout(async () => {
  if (!isRoot) return console.log('  (skipped: mounting a tmpfs needs root)');
  await withTmpfs(8, async (ws) => {
    writeFileSync(join(ws, 'bevbuild.config.ts'), config);
    assert.is(bevbuild(ws, 100).code, 0);
    fill(ws, 1 << 20);
    const during = bevbuild(ws, 3 << 20); // a 3 MiB log into 1 MiB of space
    assert.is(during.code, 1, during.out.slice(0, 2000));
    assert.match(during.out, /cannot write the log/, during.out.replace(/x{100,}/g, 'x…').slice(0, 2000));
    assertClean(ws, during.out, 'full during the run');
    rmSync(join(ws, 'filler'));
    const after = bevbuild(ws, 3 << 20);
    assert.is(after.code, 0, after.out.slice(0, 2000));
  });
}, 120_000));

test.run();
