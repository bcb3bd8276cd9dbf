/**
 * Issue 15 item 1 acceptance on the real SLURM rig (one-node cluster on localhost): a resumable
 * training node runs as a requeueable job. `scontrol requeue` of the running job restarts it under
 * the same id, the batch script resumes from the last complete checkpoint, bevbuild follows that id
 * to the end and the final checkpoint equals an uninterrupted run's. A job whose time limit comes
 * before the training ends gets SIGUSR1 (`--signal=B:USR1@30`), the trainer stops at its epoch
 * boundary, the job requeues itself and the restart resumes; the build finishes. A bevbuild killed
 * with -9 leaves its job running: the next build refuses to start a second one (naming the job),
 * and once the job is gone resumes from what it wrote.
 */
import {execFileSync} from 'node:child_process';
import {readdirSync, readFileSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {startSlurm, type SlurmRig} from './util/slurm-rig.ts';
import {makeTrainWorkspace, RUN_DIR, sha256, stagedFile, startBevbuild, trainLogs, waitFor} from './util/demo-train-workspace.ts';

const test = suite('resume-slurm');

/** `JobId Restarts JobState` of every job the controller knows (MinJobAge keeps finished ones). */
function jobs(slurm: SlurmRig): {id: string; restarts: number; state: string}[] {
  const out = execFileSync('scontrol', ['show', 'job', '-o'], {env: {...process.env, ...slurm.env}, encoding: 'utf8'});
  return out.split('\n').filter((l) => l.startsWith('JobId=')).map((l) => ({
    id: /JobId=(\d+)/.exec(l)![1]!,
    restarts: Number(/Restarts=(\d+)/.exec(l)?.[1] ?? 0),
    state: /JobState=(\S+)/.exec(l)![1]!,
  }));
}

async function buildData(dir: string, env: Record<string, string>): Promise<void> {
  const r = await startBevbuild(dir, ['data'], env).done;
  assert.is(r.code, 0, r.out);
}

test('scontrol requeue of a running training job: it restarts under the same id and resumes', withTimeout(async () => {
  const ref = makeTrainWorkspace();
  const ws = makeTrainWorkspace({slurm: {timeMinutes: 10, signalSeconds: 30}});
  const slurm = await startSlurm();
  const env = {...slurm.env, BEVBUILD_SLURM_POLL_MS: '300'};
  try {
    const uninterrupted = await startBevbuild(ref.dir, ['train']).done;
    assert.is(uninterrupted.code, 0, uninterrupted.out);
    const want = sha256(join(ref.dir, RUN_DIR, 'epoch_5.pth'));

    await buildData(ws.dir, env);
    const run = startBevbuild(ws.dir, ['train'], env);
    await waitFor(() => stagedFile(ws.dir, 'epoch_2.pth'), 'epoch_2.pth written by the job');
    const [job] = jobs(slurm);
    assert.ok(job && job.state === 'RUNNING', JSON.stringify(jobs(slurm)));
    execFileSync('scontrol', ['requeue', job.id], {env: {...process.env, ...slurm.env}});
    const r = await run.done;
    assert.is(r.code, 0, r.out);
    const log = trainLogs(ws.dir).at(-1)!;
    assert.match(log, new RegExp(`SLURM job ${job.id} restarted \\(restart 1\\): resuming from epoch_\\d\\.pth`));
    assert.match(log, /continuing at epoch \d\/5/);
    assert.is(sha256(join(ws.dir, RUN_DIR, 'epoch_5.pth')), want, 'same bytes as the uninterrupted run');
    // Followed, not duplicated: one job, restarted once, completed.
    assert.equal(jobs(slurm).map((j) => [j.id, j.restarts, j.state]), [[job.id, 1, 'COMPLETED']]);

    // kill -9 of bevbuild: its job runs on; the next build must not submit a second one.
    const forget = await startBevbuild(ws.dir, ['clean', 'train'], env).done;
    assert.is(forget.code, 0, forget.out);
    rmSync(join(ws.dir, '.bevbuild/cache'), {recursive: true, force: true});
    const killed = startBevbuild(ws.dir, ['train'], env);
    await waitFor(() => stagedFile(ws.dir, 'epoch_2.pth'), 'epoch_2.pth written by the second job');
    killed.child.kill('SIGKILL');
    await killed.done;
    const second = jobs(slurm).find((j) => j.id !== job.id)!;
    const refused = await startBevbuild(ws.dir, ['train'], env).done;
    assert.is(refused.code, 1, refused.out);
    assert.match(refused.out, new RegExp(`still running as SLURM job ${second.id} .*scancel ${second.id}`));
    execFileSync('scancel', [second.id], {env: {...process.env, ...slurm.env}});
    await waitFor(() => (jobs(slurm).find((j) => j.id === second.id)?.state === 'CANCELLED' ? true : undefined), 'the cancelled job to end');
    const resumed = await startBevbuild(ws.dir, ['train'], env).done;
    assert.is(resumed.code, 0, resumed.out);
    assert.match(trainLogs(ws.dir).at(-1)!, /resuming an interrupted run of the same action key from epoch_\d\.pth/);
    assert.is(sha256(join(ws.dir, RUN_DIR, 'epoch_5.pth')), want, 'resumed after kill -9: same bytes');
    assert.is(jobs(slurm).length, 3, 'one job per build that ran the tool');
  } finally {
    await slurm.stop();
    ws.dispose();
    ref.dispose();
  }
}, 400_000));

test('a job that reaches its time limit gets USR1, stops at a checkpoint, requeues itself and resumes', withTimeout(async () => {
  // 2 min limit, warning 30 s before (SLURM sends it up to 60 s early: 30–90 s into the job). The
  // trainer is frozen (SIGSTOP) once epoch_1.pth is written and thawed only after the batch script
  // says the warning came, so the warning always finds it mid-run, however fast this CPU trains.
  const ws = makeTrainWorkspace({slurm: {timeMinutes: 2, signalSeconds: 30, steps: 9000}});
  const slurm = await startSlurm();
  const env = {...slurm.env, BEVBUILD_SLURM_POLL_MS: '500'};
  try {
    await buildData(ws.dir, env);
    const run = startBevbuild(ws.dir, ['train'], env);
    await waitFor(() => stagedFile(ws.dir, 'epoch_1.pth'), 'epoch_1.pth written by the job');
    const trainer = await waitFor(() => trainerPid(ws.dir), 'the trainer process');
    process.kill(trainer, 'SIGSTOP');
    try {
      await waitFor(() => (trainLogs(ws.dir).at(-1)?.includes('[bevbuild] SLURM sent USR1') ? true : undefined), 'the time-limit warning', 3000);
      assert.not.ok(stagedFile(ws.dir, 'epoch_5.pth'), 'the trainer was frozen before it finished');
    } finally {
      process.kill(trainer, 'SIGCONT');
    }
    const r = await run.done;
    assert.is(r.code, 0, r.out);
    const log = trainLogs(ws.dir).at(-1)!;
    assert.match(log, /received SIGUSR1 (during|after) epoch \d/);
    assert.match(log, /SLURM time limit near: the tool stopped with epoch_\d\.pth complete; requeueing job \d+/);
    assert.match(log, /restarted \(restart 1\): resuming from epoch_\d\.pth/);
    assert.match(log, /continuing at epoch \d\/5/);
    const all = jobs(slurm);
    assert.is(all.length, 1, JSON.stringify(all));
    assert.ok(all[0]!.restarts >= 1 && all[0]!.state === 'COMPLETED', JSON.stringify(all));
  } finally {
    await slurm.stop();
    ws.dispose();
  }
}, 900_000));

/** The pid of the demo trainer running in `dir`'s workspace (the job runs on this host: one-node rig). */
function trainerPid(dir: string): number | undefined {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const argv = cmd.split('\0');
    if (argv.some((a) => a.endsWith('tools/train.py')) && argv.some((a) => a.startsWith(dir))) return Number(pid);
  }
  return undefined;
}

test.run();
