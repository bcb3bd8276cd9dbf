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
  | {kind: 'internal-error'; error: string};
