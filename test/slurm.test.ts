/**
 * The slurm executor against a real one-node SLURM cluster (slurmctld + slurmd + munged on
 * localhost): jobs run with the node's cwd and environment, exit codes and logs come back,
 * abort and timeout scancel the job, and submission problems are clear failures.
 */
import {mkdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {spawnSync} from 'node:child_process';
import {test} from 'uvu';
import * as assert from 'uvu/assert';
import type {ExecJob} from '../src/executors/job.ts';
import {slurmExecutor} from '../src/executors/slurm.ts';
import {startSlurm, type SlurmRig} from './util/slurm-rig.ts';
import {withTimeout} from './util/rig-test.ts';

let seq = 0;
function jobIn(rig: SlurmRig, script: string, extra: Partial<ExecJob> = {}): ExecJob {
  const runId = `t${process.pid}-${++seq}`;
  const cwd = join(rig.dir, runId);
  mkdirSync(cwd, {recursive: true});
  return {
    nodeId: `test/${runId}`,
    runId,
    argv: ['/bin/sh', '-c', script],
    cwd,
    env: {PATH: '/usr/bin:/bin', GREETING: `it's "quoted" $HOME`},
    logFile: join(rig.dir, 'logs', `${runId}.log`),
    ...extra,
  };
}

function jobState(rig: SlurmRig, id: string): string {
  const r = spawnSync('scontrol', ['show', 'job', '-o', id], {encoding: 'utf8', env: {...process.env, ...rig.env}});
  return /JobState=(\S+)/.exec(r.stdout)?.[1] ?? `unknown: ${r.stderr}`;
}

test(
  'a job that writes a file succeeds, in its cwd, with exactly its environment',
  withTimeout(async () => {
    const rig = await startSlurm();
    try {
      // The probe is in sbatch's environment only; --export=NONE must keep it out of the job.
      const run = slurmExecutor({pollIntervalMs: 500, env: {...rig.env, BEVBUILD_LEAK_PROBE: 'leaked'}});
      const chunks: string[] = [];
      const job = jobIn(rig, 'printf "%s" "$GREETING" > out.txt; echo "submitter-only=${BEVBUILD_LEAK_PROBE:-unset}"; echo done', {
        onOutput: (c) => chunks.push(c),
      });
      const r = await run(job, new AbortController().signal);
      assert.ok(r.ok, JSON.stringify(r));
      if (!r.ok) return;
      assert.is(r.value.exitCode, 0);
      assert.match(r.value.externalId ?? '', /^\d+$/);
      assert.is(readFileSync(join(job.cwd, 'out.txt'), 'utf8'), `it's "quoted" $HOME`);
      const log = readFileSync(job.logFile, 'utf8');
      assert.match(log, /done/);
      assert.match(log, /submitter-only=unset/, 'the submitting shell environment does not leak into the job');
      assert.match(chunks.join(''), /done/, 'log streamed to onOutput');
      assert.is(jobState(rig, r.value.externalId!), 'COMPLETED');
    } finally {
      await rig.stop();
    }
  }),
);

test(
  'a failing job reports its exit code and keeps its log',
  withTimeout(async () => {
    const rig = await startSlurm();
    try {
      const run = slurmExecutor({pollIntervalMs: 500, env: rig.env});
      const job = jobIn(rig, 'echo "boom: config not found" >&2; exit 3');
      const r = await run(job, new AbortController().signal);
      assert.ok(r.ok, JSON.stringify(r));
      if (!r.ok) return;
      assert.is(r.value.exitCode, 3);
      assert.is(r.value.signal, undefined);
      assert.match(readFileSync(job.logFile, 'utf8'), /boom: config not found/, 'stderr is in the log');
      assert.is(jobState(rig, r.value.externalId!), 'FAILED');
    } finally {
      await rig.stop();
    }
  }),
);

test(
  'abort cancels the running job (scancel) and reports cancelled; timeout likewise',
  withTimeout(async () => {
    const rig = await startSlurm();
    try {
      const run = slurmExecutor({pollIntervalMs: 500, env: rig.env});
      const ac = new AbortController();
      let out = '';
      const job = jobIn(rig, 'echo started; sleep 120', {onOutput: (c) => (out += c)});
      const pending = run(job, ac.signal);
      const t0 = Date.now();
      while (!out.includes('started') && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
      assert.ok(out.includes('started'), 'job started');
      ac.abort();
      const r = await pending;
      assert.ok(!r.ok && r.error.reason === 'cancelled', JSON.stringify(r));
      const id = /SLURM job (\d+)/.exec(r.ok ? '' : r.error.message)?.[1] ?? '';
      assert.is(jobState(rig, id), 'CANCELLED');
      assert.ok(Date.now() - t0 < 20_000, 'cancelled promptly');

      const slow = jobIn(rig, 'sleep 120', {timeoutMs: 3000});
      const t = await run(slow, new AbortController().signal);
      assert.ok(!t.ok && t.error.reason === 'timeout', JSON.stringify(t));
      const tid = /SLURM job (\d+)/.exec(t.ok ? '' : t.error.message)?.[1] ?? '';
      assert.is(jobState(rig, tid), 'CANCELLED');
    } finally {
      await rig.stop();
    }
  }),
);

test(
  'sbatch rejecting the job, or missing, is a clear failure',
  withTimeout(async () => {
    const rig = await startSlurm();
    try {
      const run = slurmExecutor({pollIntervalMs: 500, env: rig.env});
      const r = await run(jobIn(rig, 'true', {slurm: {partition: 'no-such-partition'}}), new AbortController().signal);
      assert.ok(!r.ok && r.error.reason === 'slurm-submit-failed', JSON.stringify(r));
      assert.match(r.ok ? '' : r.error.message, /sbatch rejected the job.*[Ii]nvalid partition/);

      const missing = slurmExecutor({env: {PATH: '/nonexistent'}});
      const m = await missing(jobIn(rig, 'true'), new AbortController().signal);
      assert.ok(!m.ok && m.error.reason === 'slurm-unavailable', JSON.stringify(m));
      assert.match(m.ok ? '' : m.error.message, /sbatch not found/);
      // The same failures as data (`--json` writes them as the failed event's `cause`).
      assert.is(r.ok ? undefined : r.error.cause?.kind, 'slurm-submit-failed');
      assert.match(r.ok ? '' : String((r.error.cause as {error?: string}).error), /[Ii]nvalid partition/);
      assert.equal(m.ok ? undefined : m.error.cause, {kind: 'slurm-unavailable'});
    } finally {
      await rig.stop();
    }
  }),
);

test.run();
