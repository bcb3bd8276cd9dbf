/**
 * What stopped a node, as data, for the failures the engine finds itself (the tool's exit status,
 * its outputs, the resource pools, its own key computation). Produced where the failure is found,
 * worded once by `nodeFailure` into the `Failure` every reporter prints; `--json` writes the data
 * as the `failed` event's `cause` beside its words (`reason` is the kind, `message` the text).
 * Executors report theirs the same way (timeouts, cancellations, SLURM job states); only a rule's
 * own `check` words its failures itself (its reason is the rule's) and has no `cause`.
 */
import {fail, unreachable, type Failure} from '../result.ts';
import type {NodeFailure, SlurmCancel} from './node-failure-cause.ts';

export type {NodeFailure};

/** The words of a node failure (`Failure.message`) and its detail lines. */
function describe(f: NodeFailure): {message: string; details?: string[]} {
  switch (f.kind) {
    case 'exit-non-zero':
      return {message: `${f.program} exited with ${f.signal ?? `code ${f.exitCode}`}`};
    case 'output-missing':
      return f.exitCode === undefined
        ? {message: `output ${f.paths.join(', ')} vanished`}
        : {message: `the tool exited ${f.exitCode} but did not produce ${f.paths.length} declared output(s); nothing was recorded`, details: f.paths.map((p) => `missing: ${p}`)};
    case 'output-invalid':
      return {message: `${f.problems.join('; ')}: outputs must be regular files or directories; nothing was recorded`};
    case 'no-gpu':
      return {message: `needs ${f.needs} GPU(s) but the gpu pool has ${f.pool}; set pools.gpu in bevbuild.config.ts or CUDA_VISIBLE_DEVICES, or run it with executor ${f.offMachine.map((e) => `'${e}'`).join(' or ')}`};
    case 'internal-error':
      return {message: `could not compute the action key: ${f.error}`};
    case 'no-executor':
      return {message: `executor "${f.executor}" is not available here (known: ${f.known.join(', ') || 'none'})`};
    case 'spawn-error':
      return {message: f.program ? `could not start ${f.program}: ${f.error}` : 'empty argv'};
    case 'io-error':
      return {message: `cannot write the log ${f.log}: ${f.error}; the tool was stopped and nothing was recorded`};
    case 'timeout':
      if (f.by === 'slurm') return {message: `SLURM job ${f.slurmJob} hit its SLURM time limit (${f.slurmState})`};
      return {message: slurmCancelText(f, `timed out after ${f.limitMs} ms`) ?? `timed out after ${Math.round(f.limitMs / 1000)} s and was killed`};
    case 'cancelled':
      if ('before' in f) return {message: {start: 'cancelled before start', submission: 'cancelled before submission to SLURM', recording: 'cancelled before its outputs were recorded'}[f.before]};
      if (f.by === 'outside') return {message: `SLURM job ${f.slurmJob} was cancelled outside bevbuild (scancel or an administrator)`};
      return {message: slurmCancelText(f, 'cancelled') ?? 'cancelled (process group killed)'};
    case 'slurm-submit-failed':
      return {message: f.script ? `cannot write the batch script ${f.script}: ${f.error}` : `sbatch rejected the job (exit ${f.exitCode}): ${f.error}`};
    case 'slurm-unavailable':
      return {message: f.slurmJob ? `cannot query SLURM job ${f.slurmJob}: ${f.error}` : 'sbatch not found: SLURM client tools must be installed and on PATH to use the slurm executor'};
    case 'slurm-job-failed':
      return {message: f.beforeCommand ? `SLURM job ${f.slurmJob} failed before the command ran (Reason=${f.slurmReason})` : `SLURM job ${f.slurmJob} ended ${f.slurmState} (Reason=${f.slurmReason})`};
    case 'slurm-out-of-memory':
      return {message: `SLURM job ${f.slurmJob} ran out of memory (limit ${f.memMb ?? 'default'} MB)`};
    case 'slurm-job-lost':
      return {message: `SLURM job ${f.slurmJob} is no longer known to scontrol (purged before bevbuild saw it end; raise MinJobAge)`};
    default:
      return unreachable(f);
  }
}

/** How a SLURM job bevbuild stopped ended, after `what` ("timed out after … ms"); undefined for a local run. */
function slurmCancelText(f: SlurmCancel & {kind: string}, what: string): string | undefined {
  if (f.slurmJob === undefined) return undefined;
  if (f.scancelError !== undefined) return `${f.kind}, but scancel ${f.slurmJob} failed: ${f.scancelError}`;
  if (f.unendedAfterMs !== undefined) return `${f.kind}; SLURM job ${f.slurmJob} was sent scancel but had not ended after ${f.unendedAfterMs} ms`;
  return `${what}; SLURM job ${f.slurmJob} cancelled (JobState=${f.slurmState})`;
}

/** The failed Result of a node failure: reason = kind, message and details in words, the data as `cause`. */
export function nodeFailure(nodeId: string, cause: NodeFailure, extra: Partial<Failure> = {}): {ok: false; error: Failure} {
  const {message, details} = describe(cause);
  return fail(cause.kind, message, {nodeId, ...(details ? {details} : {}), ...extra, cause});
}
