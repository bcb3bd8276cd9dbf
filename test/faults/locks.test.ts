/**
 * Issue 16 finding 6, locks: a lock without a pid (what a full disk used to leave) or whose pid
 * now belongs to a younger process is taken over instead of hanging every later build; waiting
 * for a live holder ends at the first Ctrl-C.
 */
import {spawn} from 'node:child_process';
import {mkdirSync, utimesSync, writeFileSync} from 'node:fs';
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from '../util/rig-test.ts';
import {WorkspaceRig, shConfig} from '../util/workspace-rig.ts';

const test = suite('faults/locks');
const config = shConfig(`    a: sh({script: 'echo 1 > "$1"', outputs: ['out/a.txt']}),`);

test('an empty lock (no pid) is taken over', withTimeout(async () => {
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': config, '.bevbuild/lock/pid': ''});
  const r = await w.exec(['a']);
  assert.is(r.code, 0, r.stderr);
  assert.not.ok(w.exists('.bevbuild/lock'));
}));

test('a lock whose pid was reused by a younger process is taken over', withTimeout(async () => {
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': config});
  const other = spawn('sleep', ['300'], {stdio: 'ignore'});
  try {
    mkdirSync(w.path('.bevbuild/lock'), {recursive: true});
    writeFileSync(w.path('.bevbuild/lock/pid'), String(other.pid));
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(w.path('.bevbuild/lock'), hourAgo, hourAgo); // made long before that process started
    const r = await w.exec(['a']);
    assert.is(r.code, 0, r.stderr);
  } finally {
    other.kill('SIGKILL');
  }
}));

test('waiting for a live lock holder ends at the first Ctrl-C (exit 130)', withTimeout(async () => {
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': config});
  const holder = spawn('sleep', ['300'], {stdio: 'ignore'});
  try {
    await sleep(50); // the lock must be younger than its holder
    mkdirSync(w.path('.bevbuild/lock'), {recursive: true});
    writeFileSync(w.path('.bevbuild/lock/pid'), String(holder.pid));
    const run = w.spawn(['a']);
    while (!/is building this workspace; waiting/.test(run.output())) await sleep(50);
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.is(r.code, 130, r.stderr);
    assert.not.ok(w.exists('out/a.txt'));
    assert.ok(w.exists('.bevbuild/lock/pid'), "the holder's lock is left alone");
  } finally {
    holder.kill('SIGKILL');
  }
}, 60_000));

test.run();
