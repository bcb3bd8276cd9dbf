/**
 * Everything a build tells the world is an event; reporters (TTY, plain, JSON) render them.
 * The JSON shapes of `plan` and `summary` are a public contract (scripts and CI parse them):
 *   {"type":"plan","id":…,"action":"run"|"restore"|"fresh","reasons":[…]}
 *   {"type":"summary","executed":N,"restored":N,"fresh":N,"failed":N,"durationMs":N}   (always the last line)
 */
export type PlanAction = 'run' | 'restore' | 'fresh';

export type BuildEvent =
  /** `argv`/`cwd`: the command that would run, with placeholders ($WS workspace, $OUT staging, $BEVBUILD checkout). */
  | {type: 'plan'; id: string; action: PlanAction; reasons: string[]; argv?: string[]; cwd?: string}
  | {type: 'start'; id: string; action: 'run' | 'restore'; reasons: string[]; logFile?: string}
  | {type: 'done'; id: string; status: 'executed' | 'restored' | 'fresh'; durationMs: number}
  /** `argv`: the command of a run that failed (also the first lines of its log). */
  | {type: 'failed'; id: string; reason: string; message: string; details?: string[]; logFile?: string; argv?: string[]}
  /** `--stream`/`-v`: one line a running tool wrote to its log. */
  | {type: 'output'; id: string; line: string}
  | {type: 'skipped'; id: string; because: string}
  | {type: 'warning'; message: string}
  | {type: 'info'; message: string}
  /** A dry run ends with a summary too (`dryRun: true`; nothing executed or restored). */
  | {type: 'summary'; executed: number; restored: number; fresh: number; failed: number; durationMs: number; dryRun?: true};

export interface Reporter {
  log(e: BuildEvent): void;
  /** Stops timers / clears the progress line. */
  close(): void;
}

