/**
 * Issue 16 findings 4 and 5: tools die with bevbuild — SIGHUP (handled: a clean cancel) and
 * kill -9 (unhandled: the supervisor's liveness pipe closes) — the next build sweeps what a
 * killed run left in `.bevbuild/runs/`, and a tool that outlived its bevbuild is detected and
 * named instead of being started a second time.
 */
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from '../util/rig-test.ts';
import {WorkspaceRig, executedIds, shConfig} from '../util/workspace-rig.ts';

const test = suite('faults/orphans');

// The tool (bash, the group leader) and a background child of it record their pids, then hang
// while `slow` exists.
const config = shConfig(`    a: sh({script: 'sleep 1000 & echo $! > child.pid; echo $$ > tool.pid; while [ -f slow ]; do sleep 0.1; done; kill $!; echo done > "$1"', outputs: ['out/a.txt']}),`);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls until `cond` holds (the test's timeout is the hang guard; no timing is asserted). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(50);
}

async function startHanging(w: WorkspaceRig) {
  w.write({'bevbuild.config.ts': config, slow: ''});
  const run = w.spawn(['a', '--json']);
  await until(() => w.exists('tool.pid') && w.exists('child.pid') && w.read('child.pid').trim() !== '' && w.read('tool.pid').trim() !== '');
  return {run, tool: Number(w.read('tool.pid')), child: Number(w.read('child.pid'))};
}

for (const sig of ['SIGHUP', 'SIGKILL'] as const) {
  test(`${sig} of bevbuild: the tool and its children die; the next build sweeps the run dir and builds once`, withTimeout(async () => {
    await using w = await WorkspaceRig.create();
    const {run, tool, child} = await startHanging(w);
    assert.ok(alive(tool) && alive(child));
    run.child.kill(sig);
    const r = await run.done;
    if (sig === 'SIGHUP') assert.is(r.code, 130, r.stderr);
    await until(() => !alive(tool) && !alive(child));
    if (sig === 'SIGHUP') assert.equal(readdirSync(w.path('.bevbuild/runs')), [], 'a cancelled run cleans up');
    else assert.is(readdirSync(w.path('.bevbuild/runs')).length, 1, 'kill -9 leaves its run dir (swept below)');

    w.write({'bevbuild.config.ts': config}); // same node, no longer hanging
    rmSync(w.path('slow'));
    const next = await w.json(['a']);
    assert.is(next.code, 0, next.stderr + JSON.stringify(next.events));
    assert.equal(executedIds(next.events), ['a']);
    assert.equal(readdirSync(w.path('.bevbuild/runs')), [], 'nothing stray in .bevbuild/runs');
    assert.not.ok(existsSync(w.path('.bevbuild/lock')), 'lock released');
  }, 60_000));
}

test('a tool still running from a killed bevbuild is named, not started twice; once it is gone the build runs', withTimeout(async () => {
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': config});
  const deadPid = spawnSync('true').pid!;
  const orphan = spawn('sleep', ['1000'], {detached: true, stdio: 'ignore'});
  try {
    const runDir = w.path('.bevbuild/runs/killed-run');
    mkdirSync(runDir, {recursive: true});
    writeFileSync(join(runDir, 'owner.json'), JSON.stringify({pid: deadPid, nodeId: 'a', toolPgid: orphan.pid}));
    const refused = await w.json(['a']);
    assert.is(refused.code, 1);
    const failed = refused.events.find((e) => e['type'] === 'failed');
    assert.is(failed?.['id'], 'a');
    assert.match(String(failed?.['message']), new RegExp(`still running from an earlier bevbuild.*process group ${orphan.pid}.*kill -- -${orphan.pid}`));
    assert.not.ok(w.exists('out/a.txt'), 'no second copy ran');
    process.kill(-orphan.pid!, 'SIGKILL');
    await until(() => !alive(orphan.pid!));
    const after = await w.json(['a']);
    assert.is(after.code, 0, after.stderr);
    assert.equal(readdirSync(w.path('.bevbuild/runs')), []);
  } finally {
    try {
      process.kill(-orphan.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
}, 60_000));

test.run();
