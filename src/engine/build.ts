/**
 * The build: walks the needed part of the graph, dependencies first and as parallel as the
 * resource pools allow, deciding per node fresh / restore / run, and reports every step.
 * Only the tool run holds pool resources; waiting for dependencies never does (no deadlocks).
 */
import {resolve} from 'node:path';
import {sweepStrayTemps} from '../../cache/stray-temps.ts';
import {closure} from '../graph/graph.ts';
import type {Reporter} from '../reporting/events.ts';
import type {Failure} from '../result.ts';
import {mark} from '../timing.ts';
import {BuildRun, type BuildOptions} from './build-run.ts';
import type {EngineContext} from './engine-context.ts';
import {ioErrorText} from './io-failure.ts';
import {visit} from './visit-node.ts';

export type {BuildOptions} from './build-run.ts';

/** What a build did, for the exit code and the run history (the `summary` event says it to the user). */
export interface BuildSummary {
  executed: number;
  restored: number;
  fresh: number;
  failed: number;
  skipped: number;
  durationMs: number;
  failures: Failure[];
  cancelled: boolean;
  /** The action key of every node the build could key (a dry run: not those behind a dependency that will run). */
  keys: ReadonlyMap<string, string>;
}

/**
 * Builds `opts.targets` and what they need (a dry run only plans), saves the workspace state and
 * reports the summary — the last event of every build, a dry run's too (scripts read it).
 * The per-node work is in `visit-node.ts` (decide), `carry-out.ts` (fresh/restore) and
 * `execute-node.ts` (run the tool).
 */
export async function build(ctx: EngineContext, opts: BuildOptions): Promise<BuildSummary> {
  const started = Date.now();
  const {graph} = ctx;
  const planned = {run: 0, mayRun: 0, restore: 0, fresh: 0};
  const ids = closure(graph, opts.targets);
  const plans = opts.dryRun ? new PlanInOrder(ctx.reporter, planned, ids) : undefined;
  const reporter: Reporter = plans ?? ctx.reporter;
  const run = new BuildRun(ctx, opts, reporter);

  ctx.prefetched = await prefetch(ctx, ids);
  // Temps beside outputs and in the store left by killed bevbuild processes (issue 16 finding 4).
  if (!opts.dryRun) await sweepStrayTemps(graph.root, ids.flatMap((id) => graph.nodes.get(id)!.outputs), ctx.store.root, {stateDir: ctx.paths.state});

  await Promise.all(ids.map((id) => visit(run, id)));
  mark('nodes decided/built');
  try {
    ctx.state.save();
    await ctx.memo.save();
  } catch (e) {
    // Records are in the store; without the state the next build re-checks outputs (slower, not wrong).
    const io = ioErrorText(e, 'could not save the build state');
    if (io === undefined) throw e;
    reporter.log({type: 'warning', message: `${io}; the next build re-checks outputs`});
  }
  mark('state saved');
  const {counts} = run;
  const summary: BuildSummary = {...counts, durationMs: Date.now() - started, failures: run.failures, cancelled: opts.signal.aborted, keys: run.keys};
  plans?.flush();
  if (opts.dryRun) reporter.log({type: 'plan-summary', ...planned});
  // The last line of every --json run, a dry run's too (scripts read it).
  reporter.log({type: 'summary', executed: counts.executed, restored: counts.restored, fresh: counts.fresh, failed: counts.failed, durationMs: summary.durationMs, ...(opts.dryRun ? {dryRun: true as const} : {})});
  return summary;
}

/** Passes events on, counting the plan's nodes by what will happen to them. */
/**
 * A dry run's reporter: counts the plan events and hands them on in graph order (dependencies
 * first, then declaration order), not in the order concurrent decisions finish, so that a plan
 * reads, and diffs, the same on every run. Other events pass at once.
 */
class PlanInOrder implements Reporter {
  readonly #to: Reporter;
  readonly #n: {run: number; mayRun: number; restore: number; fresh: number};
  readonly #rank: Map<string, number>;
  #held: Extract<Parameters<Reporter['log']>[0], {type: 'plan'}>[] = [];

  constructor(to: Reporter, n: {run: number; mayRun: number; restore: number; fresh: number}, order: string[]) {
    this.#to = to;
    this.#n = n;
    this.#rank = new Map(order.map((id, i) => [id, i]));
  }

  log(e: Parameters<Reporter['log']>[0]): void {
    if (e.type !== 'plan') return this.#to.log(e);
    this.#n[e.mayCutOff ? 'mayRun' : e.action]++;
    this.#held.push(e);
  }

  /** Hands on the plans held so far, in graph order. */
  flush(): void {
    const held = this.#held.sort((a, b) => (this.#rank.get(a.id) ?? Infinity) - (this.#rank.get(b.id) ?? Infinity));
    this.#held = [];
    for (const e of held) this.#to.log(e);
  }

  close(): void {
    this.flush();
    this.#to.close();
  }
}

/** One batched digest pass over recorded outputs and plain source inputs of the nodes to visit. */
async function prefetch(ctx: EngineContext, ids: string[]) {
  const paths = new Set<string>();
  for (const id of ids) {
    const node = ctx.graph.nodes.get(id)!;
    for (const o of ctx.state.get(id)?.outputs ?? []) paths.add(resolve(ctx.graph.root, o.path));
    for (const i of node.inputs) {
      if (i.kind === 'path' && !ctx.graph.outputOwner.has(i.path)) paths.add(resolve(ctx.graph.root, i.path));
    }
  }
  return ctx.memo.digestPaths([...paths]);
}
