/**
 * The data of a node failure the engine found itself (`Failure.cause`). Its own module, importing
 * nothing, so that `result.ts` (imported by everything, the cache included) can name it without an
 * import cycle through the engine; `node-failure.ts` puts it into words.
 */
export type NodeFailure =
  /** The tool exited non-zero or was killed by `signal` (and the rule does not decide by its own check). */
  | {kind: 'exit-non-zero'; program: string; exitCode: number; signal?: string}
  /** Declared outputs absent after a successful exit (`exitCode`), or gone before they were recorded. */
  | {kind: 'output-missing'; paths: string[]; exitCode?: number}
  /** Outputs that cannot be stored (symlinks, sockets…), each with what it is. */
  | {kind: 'output-invalid'; problems: string[]}
  /** `offMachine`: the executors that could run it elsewhere (`slurm`). */
  | {kind: 'no-gpu'; needs: number; pool: number; offMachine: string[]}
  /** A bug or an unreadable input while computing the action key. */
  | {kind: 'internal-error'; error: string}
  /** No executor of that name here (`known`: those that are). */
  | {kind: 'no-executor'; executor: string; known: string[]}
  /** The tool could not be started: `program` empty (no argv), not found, or the OS's `error`. */
  | {kind: 'spawn-error'; program: string; error: string}
  /** The run's log could not be written (disk full, read-only): the tool was stopped. */
  | {kind: 'io-error'; log: string; error: string}
  /**
   * Stopped by a time limit: bevbuild's (`timeoutMs` of the node; a SLURM job is then cancelled, see
   * `SlurmCancel`) or the SLURM job's own.
   */
  | ({kind: 'timeout'; by: 'bevbuild'; limitMs: number} & SlurmCancel)
  | {kind: 'timeout'; by: 'slurm'; slurmJob: string; slurmState: string}
  /**
   * Stopped before it started or before its outputs were recorded (`before`), or while it ran: by bevbuild (Ctrl-C, a failure elsewhere;
   * a SLURM job is then cancelled) or, a SLURM job, from outside (scancel, an administrator).
   */
  | {kind: 'cancelled'; before: 'start' | 'submission' | 'recording'}
  | ({kind: 'cancelled'; by: 'bevbuild'} & SlurmCancel)
  | {kind: 'cancelled'; by: 'outside'; slurmJob: string}
  /** `sbatch` could not take the job: its batch `script` could not be written, or it refused (`exitCode`). */
  | {kind: 'slurm-submit-failed'; error: string; script?: string; exitCode?: number | string}
  /** SLURM's tools are missing (`sbatch` not on PATH) or `scontrol` cannot say how `slurmJob` is doing. */
  | {kind: 'slurm-unavailable'; slurmJob?: string; error?: string}
  /** A SLURM job ended neither completed nor failed by its command (`beforeCommand`: before it ran). */
  | {kind: 'slurm-job-failed'; slurmJob: string; slurmState: string; slurmReason: string; beforeCommand: boolean}
  | {kind: 'slurm-out-of-memory'; slurmJob: string; memMb?: number}
  /** The job was purged from SLURM before bevbuild saw it end. */
  | {kind: 'slurm-job-lost'; slurmJob: string};

/**
 * How a SLURM job that bevbuild stopped ended: in `slurmState`, or `scancel` failed (`scancelError`),
 * or the job had not ended `unendedAfterMs` after it. No `slurmJob`: a local process group, killed.
 */
export interface SlurmCancel {
  slurmJob?: string;
  slurmState?: string;
  scancelError?: string;
  unendedAfterMs?: number;
}
