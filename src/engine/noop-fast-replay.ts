/**
 * Replaying a no-op (issue 12): under the workspace lock, confirm the stamp still holds, then report
 * the same nodes fresh and record the run in the history. Shared by the engine's stamp check
 * (noop-stamp.ts, by content digest) and the bin's fast path (bin/noop-fast.js, by stat tuples),
 * for which this module is a bundle entry of its own: it loads the lock, the reporter and the
 * history writer, and nothing of the config, the graph or the stat memo.
 */
import type {Graph} from '../graph/graph.ts';
import {makeReporter} from '../reporting/choose-reporter.ts';
import {recordRun} from '../reporting/run-history.ts';
import {mark} from '../timing.ts';
import {workspacePaths, type WorkspacePaths} from './workspace.ts';
import {acquireWorkspaceLock} from './workspace-lock.ts';

/** What a no-op answered: the nodes found fresh, in report order, the graph order and the targets. */
export interface NoopAnswer {
  fresh: string[];
  order: string[];
  targets: string[];
}

/**
 * Reports `answer` again when `stillHolds()` confirms it under the lock; the exit code (0), or
 * undefined when it does not hold or another build holds the lock (it is changing what was stamped).
 */
export async function replayAnswer(
  opts: {json: boolean; verbose: boolean},
  paths: WorkspacePaths,
  answer: NoopAnswer,
  stillHolds: () => boolean | Promise<boolean>,
  how: string,
): Promise<number | undefined> {
  const started = Date.now();
  const lock = await acquireWorkspaceLock(paths.dir, () => {}, AbortSignal.timeout(50));
  if (!lock.ok) return undefined;
  try {
    if (!(await stillHolds())) return undefined;
    // The history wants a graph for the critical path; of a no-op, every node took 0 ms.
    const graph = {root: paths.root, order: answer.order, nodes: new Map(answer.order.map((id) => [id, {deps: []}]))} as unknown as Graph;
    const reporter = recordRun(makeReporter(opts, answer.fresh.length), {bevbuildDir: paths.dir, graph, targets: answer.targets, argv: process.argv.slice(2)});
    for (const id of answer.fresh) reporter.log({type: 'done', id, status: 'fresh', durationMs: 0});
    reporter.log({type: 'summary', executed: 0, restored: 0, fresh: answer.fresh.length, failed: 0, durationMs: Date.now() - started});
    reporter.close();
    mark(`no-op stamp replayed (${how})`);
    return 0;
  } finally {
    lock.value.release();
  }
}

/** The bin's fast path (bin/noop-fast.js): its stamp, and its check of every stat tuple after the engine's. */
export function replayFast(
  stamp: NoopAnswer & {root: string; opts: {json: boolean; verbose: boolean}},
  statsHold: () => boolean | Promise<boolean>,
): Promise<number | undefined> {
  return replayAnswer(stamp.opts, workspacePaths(stamp.root), stamp, statsHold, 'stat check');
}
