/**
 * Reading a SLURM job's state from `scontrol show job -o <id>`. bevbuild polls scontrol rather
 * than `sacct` because sacct needs an accounting database many clusters (and CI) do not run.
 */
import {constants} from 'node:os';

/** The fields of `scontrol show job` that decide how a node's run ended. */
export interface SlurmJobStatus {
  state: string;
  /** `Reason=` (why pending, or why it failed), `None` when there is none. */
  reason: string;
  exitCode: number;
  /** Signal number that ended the batch script, 0 if none. */
  signal: number;
}

/**
 * States after which the job will not run again. PREEMPTED is terminal for jobs submitted without
 * `--requeue`; a resumable node's job (slurm-resume.ts) is requeued after preemption, so the
 * executor keeps following it (see `endsJob`).
 */
export const TERMINAL_STATES = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'BOOT_FAIL',
  'DEADLINE',
  'PREEMPTED',
  'REVOKED',
  'SPECIAL_EXIT',
]);

/** Whether `state` ends the job: a requeueable job comes back from PREEMPTED (and REQUEUED is never an end). */
export function endsJob(state: string, requeue: boolean): boolean {
  return TERMINAL_STATES.has(state) && !(requeue && state === 'PREEMPTED');
}

/** Parses one job's `scontrol show job [-o]` text; undefined when it has no `JobState=`. */
export function parseScontrolJob(text: string): SlurmJobStatus | undefined {
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(text)?.[1];
  const state = field('JobState');
  if (state === undefined) return undefined;
  const [code, sig] = (field('ExitCode') ?? '0:0').split(':');
  return {state, reason: field('Reason') ?? 'None', exitCode: Number(code) || 0, signal: Number(sig) || 0};
}

/** `9` → `SIGKILL`; undefined for 0 or unknown numbers. */
export function signalName(n: number): string | undefined {
  if (n === 0) return undefined;
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0];
}

/** Whether scontrol's error says the job id is unknown (never existed or already purged). */
export function isUnknownJob(stderr: string): boolean {
  return /Invalid job id specified/i.test(stderr);
}
