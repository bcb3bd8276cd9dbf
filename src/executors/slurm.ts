/**
 * The `slurm` executor (DESIGN.md decision 10): runs a node's command as a SLURM batch job.
 * It writes a self-contained batch script next to the log, submits it with `sbatch --parsable`,
 * polls `scontrol show job` (no accounting database needed) until the job reaches a terminal
 * state, streams the log file to `onOutput` meanwhile, and maps the end to an `ExecOutcome` or a
 * `Failure`. Abort and timeout `scancel` the job and wait until SLURM reports it ended, so
 * nothing keeps running on the cluster after bevbuild gave up on it. A resumable node's job is
 * requeueable (slurm-resume.ts): a requeue or preemption sends it back to PENDING under the same
 * id, and bevbuild keeps following that id until the job really ends.
 */
import {execFile} from 'node:child_process';
import {mkdir, open, writeFile} from 'node:fs/promises';
import {dirname} from 'node:path';
import {StringDecoder} from 'node:string_decoder';
import {setTimeout as sleep} from 'node:timers/promises';
import {nodeFailure} from '../engine/node-failure.ts';
import type {NodeFailure, SlurmCancel} from '../engine/node-failure-cause.ts';
import {ok, type Failure, type Result} from '../result.ts';
import type {ExecJob, ExecOutcome, Executor} from './job.ts';
import {batchScript, sbatchArgs} from './slurm-script.ts';
import {endsJob, isUnknownJob, parseScontrolJob, signalName, type SlurmJobStatus} from './slurm-status.ts';

export {launcherArgv, type LauncherKind} from './slurm-script.ts';

/** Tuning and environment of the SLURM client commands. */
export interface SlurmExecutorOptions {
  /** Between `scontrol` polls (default 5000 ms; tests use ~500). */
  pollIntervalMs?: number;
  /** Added to the environment of sbatch/scontrol/scancel (e.g. `SLURM_CONF`), not of the job. */
  env?: Record<string, string>;
  /** How long to wait for a cancelled job to end before giving up on it (default 60 s). */
  cancelWaitMs?: number;
  /** Consecutive scontrol errors tolerated (controller restarts) before failing (default 10). */
  maxPollErrors?: number;
}

interface Cmd {
  code: number | 'ENOENT';
  stdout: string;
  stderr: string;
}

/** Creates an `Executor` that submits each job to SLURM. */
export function slurmExecutor(opts: SlurmExecutorOptions = {}): Executor {
  const pollMs = opts.pollIntervalMs ?? 5000;
  const env = {...process.env, ...opts.env};
  const cmd = (program: string, args: string[]): Promise<Cmd> =>
    new Promise((resolve) => {
      execFile(program, args, {env, timeout: 60_000, encoding: 'utf8'}, (err, stdout, stderr) => {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENOENT') resolve({code: 'ENOENT', stdout, stderr});
        else resolve({code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr});
      });
    });

  return async (job, signal) => {
    const started = Date.now();
    const f = (cause: NodeFailure, details?: string[]) => nodeFailure(job.nodeId, cause, details ? {details} : {});
    if (signal.aborted) return f({kind: 'cancelled', before: 'submission'});

    const scriptPath = `${job.logFile}.sbatch.sh`;
    try {
      await mkdir(dirname(job.logFile), {recursive: true});
      // 0700: the script carries the node's environment, which may include credentials.
      const conf = env['SLURM_CONF'];
      await writeFile(scriptPath, batchScript(job.resume && conf ? {...job, resume: {...job.resume, slurmConf: conf}} : job), {mode: 0o700});
    } catch (e) {
      return f({kind: 'slurm-submit-failed', script: scriptPath, error: (e as Error).message});
    }
    const sub = await cmd('sbatch', sbatchArgs(job, scriptPath));
    if (sub.code === 'ENOENT') {
      return f({kind: 'slurm-unavailable'});
    }
    const id = sub.stdout.trim().split(';')[0] ?? '';
    if (sub.code !== 0 || !/^\d+(_\d+)?$/.test(id)) {
      return f({kind: 'slurm-submit-failed', exitCode: sub.code, error: sub.stderr.trim() || sub.stdout.trim()});
    }

    job.onSubmit?.(id);
    const log = logFollower(job);
    const outcome = (s: SlurmJobStatus): Result<ExecOutcome, Failure> => {
      const durationMs = Date.now() - started;
      const tail = log.tail();
      switch (s.state) {
        case 'COMPLETED':
        case 'FAILED':
          if (s.state === 'FAILED' && s.exitCode === 0 && s.signal === 0) {
            return f({kind: 'slurm-job-failed', slurmJob: id, slurmState: s.state, slurmReason: s.reason, beforeCommand: true}, tail);
          }
          return ok({exitCode: s.exitCode, durationMs, externalId: id, ...(s.signal ? {signal: signalName(s.signal) ?? String(s.signal)} : {})});
        case 'CANCELLED':
          return f({kind: 'cancelled', by: 'outside', slurmJob: id}, tail);
        case 'TIMEOUT':
        case 'DEADLINE':
          return f({kind: 'timeout', by: 'slurm', slurmJob: id, slurmState: s.state}, tail);
        case 'OUT_OF_MEMORY':
          return f({kind: 'slurm-out-of-memory', slurmJob: id, ...(job.slurm?.memMb !== undefined ? {memMb: job.slurm.memMb} : {})}, tail);
        default:
          return f({kind: 'slurm-job-failed', slurmJob: id, slurmState: s.state, slurmReason: s.reason, beforeCommand: false}, tail);
      }
    };

    /** The failure of a job bevbuild stopped (its own time limit, or cancelled), and how the stop went. */
    const stopped = (why: 'timeout' | 'cancelled', how: SlurmCancel): NodeFailure =>
      why === 'timeout' ? {kind: 'timeout', by: 'bevbuild', limitMs: job.timeoutMs ?? 0, ...how} : {kind: 'cancelled', by: 'bevbuild', ...how};
    // Poll until terminal; abort and timeout interrupt the wait and switch to cancelling.
    const deadline = job.timeoutMs === undefined ? Infinity : started + job.timeoutMs;
    let errors = 0;
    let cancelling: 'cancelled' | 'timeout' | undefined;
    let cancelSince = 0;
    for (;;) {
      const status = await cmd('scontrol', ['show', 'job', '-o', id]);
      await log.pump();
      const s = status.code === 0 ? parseScontrolJob(status.stdout) : undefined;
      if (s && endsJob(s.state, job.resume !== undefined)) {
        await log.pump();
        if (!cancelling) return outcome(s);
        return f(stopped(cancelling, {slurmJob: id, slurmState: s.state}), log.tail());
      }
      if (!s) {
        if (status.code !== 0 && isUnknownJob(status.stderr)) {
          return f({kind: 'slurm-job-lost', slurmJob: id}, log.tail());
        }
        if (++errors > (opts.maxPollErrors ?? 10)) {
          return f({kind: 'slurm-unavailable', slurmJob: id, error: status.stderr.trim() || 'no JobState in scontrol output'});
        }
      } else errors = 0;

      if (!cancelling && (signal.aborted || Date.now() >= deadline)) {
        cancelling = signal.aborted ? 'cancelled' : 'timeout';
        cancelSince = Date.now();
        const c = await cmd('scancel', [id]);
        if (c.code !== 0) return f(stopped(cancelling, {slurmJob: id, scancelError: c.stderr.trim()}));
        continue; // poll right away: the state usually changes within a second
      }
      if (cancelling && Date.now() - cancelSince > (opts.cancelWaitMs ?? 60_000)) {
        return f(stopped(cancelling, {slurmJob: id, unendedAfterMs: opts.cancelWaitMs ?? 60_000}));
      }
      const wait = Math.max(0, Math.min(pollMs, deadline - Date.now()));
      await sleep(wait, undefined, cancelling ? {} : {signal}).catch(() => {});
    }
  };
}

/** Follows the job's log file (written by the compute node) for `onOutput` and failure tails. */
function logFollower(job: ExecJob) {
  let offset = 0;
  let last = '';
  const decoder = new StringDecoder('utf8'); // reads may split a multi-byte character
  return {
    async pump(): Promise<void> {
      try {
        const fh = await open(job.logFile, 'r');
        try {
          for (;;) {
            const buf = Buffer.alloc(1 << 16);
            const {bytesRead} = await fh.read(buf, 0, buf.length, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            const chunk = decoder.write(buf.subarray(0, bytesRead));
            last = (last + chunk).slice(-8192);
            job.onOutput?.(chunk);
          }
        } finally {
          await fh.close();
        }
      } catch {
        // Not created yet (job pending) or not visible on this machine: nothing to show.
      }
    },
    tail(): string[] {
      return [`log: ${job.logFile}`, ...last.trimEnd().split('\n').slice(-20)];
    },
  };
}
