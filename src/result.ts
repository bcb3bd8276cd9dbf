/**
 * Expected failures are values (DESIGN.md decision 8): functions that can fail for reasons outside
 * our control return a `Result`; bugs throw.
 */
import type {NodeFailure} from './engine/node-failure-cause.ts';

export type Result<T, E = Failure> = {ok: true; value: T} | {ok: false; error: E};

/** A failure a user can act on. `reason` keys the printer; `message` says what was expected and how to fix it. */
export interface Failure {
  reason: string;
  message: string;
  /** The artifact id the failure belongs to, when there is one. */
  nodeId?: string;
  /** Extra lines (log tail, list of missing outputs…) shown under the message. */
  details?: string[];
  /** The command of a node's run that failed (shown with the failure, also atop its log). */
  argv?: string[];
  /** The log of a node's run that failed once its command was written there (the tool's own words). */
  logFile?: string;
  /** A failure the engine found itself, as data (`src/engine/node-failure.ts`); `reason` is its kind. */
  cause?: NodeFailure;
}

export const ok = <T>(value: T): {ok: true; value: T} => ({ok: true, value});
export const fail = (reason: string, message: string, extra: Partial<Failure> = {}): {ok: false; error: Failure} => ({
  ok: false,
  error: {reason, message, ...extra},
});

/** For exhaustive switches over unions: compile error when a case is missing, throws if reached. */
export function unreachable(x: never): never {
  throw new Error(`Internal error: unexpected value ${JSON.stringify(x)}`);
}
