/** The SLURM executor is loaded on demand: most builds never need it. */
import type {Executor} from '../executors/job.ts';

export async function slurmExecutor(): Promise<Executor | undefined> {
  const mod = (await import('../executors/slurm.ts')) as {runSlurm?: Executor};
  return mod.runSlurm;
}
