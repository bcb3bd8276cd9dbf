/** The SLURM executor is loaded on demand: most builds never need it. */
import type {Executor} from '../executors/job.ts';

/** `BEVBUILD_SLURM_POLL_MS` tunes how often `scontrol show job` is polled (default 5 s). */
export async function slurmExecutor(): Promise<Executor> {
  const {slurmExecutor: make} = await import('../executors/slurm.ts');
  const poll = Number(process.env['BEVBUILD_SLURM_POLL_MS'] ?? '');
  return make(Number.isFinite(poll) && poll > 0 ? {pollIntervalMs: poll} : {});
}
