/**
 * What an executor is asked to run: one node's command, fully resolved. Executors (`local`,
 * `slurm`) take an `ExecJob` and an AbortSignal and return how the command ended; deciding
 * whether the node succeeded (declared outputs present, rule checks) is the engine's job.
 */
import type {Result, Failure} from '../result.ts';
import type {JobResume} from './slurm-resume.ts';

export interface SlurmResources {
  nodes?: number;
  gpusPerNode?: number;
  cpusPerTask?: number;
  memMb?: number;
  timeMinutes?: number;
  partition?: string;
  account?: string;
  /** Extra `sbatch` flags, passed verbatim (e.g. `--constraint=a100`). */
  extraArgs?: string[];
  /** A resumable node: seconds before the time limit its tool is warned (overrides the rule's `resume.signalSeconds`). */
  signalSeconds?: number;
}

export interface ExecJob {
  /** Artifact id, e.g. `train/kitti/second`. */
  nodeId: string;
  /** Unique id of this run (used in SLURM job names and log paths). */
  runId: string;
  /** argv[0] is the program (absolute path or looked up in env.PATH). */
  argv: string[];
  /** Absolute working directory. */
  cwd: string;
  /** The complete environment of the child (already allow-listed by the engine). */
  env: Record<string, string>;
  /** Absolute path of the combined stdout+stderr log file to write. */
  logFile: string;
  /** Kill the command after this many ms (undefined = no limit). */
  timeoutMs?: number;
  /** Called once the command started, with the pid of its process group (local executor). */
  onStart?: (pid: number) => void;
  /** Called once the command was submitted as a batch job, with its id (slurm executor). */
  onSubmit?: (jobId: string) => void;
  /** Called with each chunk of output (for progress / --verbose); optional. */
  onOutput?: (chunk: string) => void;
  slurm?: SlurmResources;
  /** A resumable node: how a SLURM restart of the job resumes (local runs resume through the engine). */
  resume?: JobResume;
}

export interface ExecOutcome {
  exitCode: number;
  /** Signal name if the process was killed by one. */
  signal?: string;
  durationMs: number;
  /** Executor-specific ids worth recording (e.g. SLURM job id). */
  externalId?: string;
}

/**
 * Resolves to ok({exitCode…}) whenever the command ran to an end, even a non-zero one; to a
 * Failure when it could not be started, timed out (`reason: 'timeout'`) or was cancelled
 * (`reason: 'cancelled'`).
 */
export type Executor = (job: ExecJob, signal: AbortSignal) => Promise<Result<ExecOutcome, Failure>>;
