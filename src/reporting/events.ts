/**
 * Everything a build tells the world is an event; reporters (TTY, plain, JSON) render them.
 * The JSON shapes of `plan` and `summary` are a public contract (scripts and CI parse them):
 *   {"type":"plan","id":…,"action":"run"|"restore"|"fresh","reasons":[…],"causes":[{"kind":…},…]}
 *   {"type":"summary","executed":N,"restored":N,"fresh":N,"failed":N,"durationMs":N}   (always the last line)
 * A dry run ends with {"type":"plan-summary","run":N,"mayRun":N,"restore":N,"fresh":N}; plan events
 * of nodes that run only if a dependency's outputs change carry "mayCutOff":true.
 * Events hold rebuild reasons as data; on the wire (`eventJson`) `reasons` are their words
 * (`input-changed: cfg/a.yaml`) and `causes` the same reasons as objects keyed by `kind`; a
 * skipped node's `because` is words and its `cause` data the same way.
 */
import {reasonText, type RebuildReason} from '../engine/rebuild-reason.ts';
import {skipText, type SkipReason} from '../engine/skip-reason.ts';
import type {NodeFailure} from '../engine/node-failure.ts';
import {mib, type KeptPartial} from '../engine/resume.ts';

export type PlanAction = 'run' | 'restore' | 'fresh';

export type BuildEvent =
  /** `argv`/`cwd`: the command that would run, with placeholders ($WS workspace, $OUT staging, $BEVBUILD checkout). */
  /** `mayCutOff`: no reason of its own — runs unless the dependencies it waits for come out unchanged (early cutoff). */
  /** `resume`: a resumable node's run would continue from this kept partial run (resume.ts), not start over. */
  | {type: 'plan'; id: string; action: PlanAction; reasons: RebuildReason[]; mayCutOff?: true; argv?: string[]; cwd?: string; resume?: KeptPartial}
  /** End of a dry run: nodes that will run, may run (`mayCutOff`), would be restored, are fresh. */
  | {type: 'plan-summary'; run: number; mayRun: number; restore: number; fresh: number}
  | {type: 'start'; id: string; action: 'run' | 'restore'; reasons: RebuildReason[]; logFile?: string}
  | {type: 'done'; id: string; status: 'executed' | 'restored' | 'fresh'; durationMs: number}
  /** `argv`: the command of a run that failed (also the first lines of its log); `cause`: the engine's own failures as data. */
  | {type: 'failed'; id: string; reason: string; message: string; details?: string[]; logFile?: string; argv?: string[]; cause?: NodeFailure}
  /** `--stream`/`-v`: one line a running tool wrote to its log. */
  | {type: 'output'; id: string; line: string}
  | {type: 'skipped'; id: string; because: SkipReason}
  | {type: 'warning'; message: string}
  | {type: 'info'; message: string}
  /** A dry run ends with a summary too (`dryRun: true`; nothing executed or restored). */
  | {type: 'summary'; executed: number; restored: number; fresh: number; failed: number; durationMs: number; dryRun?: true};

export interface Reporter {
  log(e: BuildEvent): void;
  /** Stops timers / clears the progress line. */
  close(): void;
}


/** The reasons' words, joined as every text output prints them. */
export const reasonsText = (reasons: readonly RebuildReason[]): string => reasons.map(reasonText).join('; ');

/** `will resume from epoch_2.pth (kept partial run, 12.0 MiB)`: what plan, `status` and `why` add for a run that would resume. */
export const resumeText = (r: KeptPartial): string => `will resume from ${r.checkpoint} (kept partial run, ${mib(r.bytes)})`;

/** The reasons' words and, for a run that would resume, where from: a plan line's tail. */
export const planText = (e: {reasons: readonly RebuildReason[]; resume?: KeptPartial}): string => [reasonsText(e.reasons), ...(e.resume ? [resumeText(e.resume)] : [])].filter((t) => t).join('; ');

/** An event as `--json` writes it: reasons as words (`reasons`, `because`) and as data (`causes`, `cause`). */
export function eventJson(e: BuildEvent): Record<string, unknown> {
  if (e.type === 'plan' || e.type === 'start') return {...e, reasons: e.reasons.map(reasonText), causes: e.reasons};
  if (e.type === 'skipped') return {...e, because: skipText(e.because), cause: e.because};
  return e;
}
