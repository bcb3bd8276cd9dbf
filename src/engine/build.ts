/**
 * The build: walks the needed part of the graph, dependencies first and as parallel as the
 * resource pools allow, deciding per node fresh / restore / run, and reports every step.
 * Only the tool run holds pool resources; waiting for dependencies never does (no deadlocks).
 */
import {randomBytes} from 'node:crypto';
import {resolve} from 'node:path';
import type {OutputEntry} from '../../cache/local-store.ts';
import type {Executor} from '../executors/job.ts';
import {closure, type GraphNode} from '../graph/graph.ts';
import type {Failure} from '../result.ts';
import {actionKey, buildKeyRecord, type KeyRecord} from './action-key.ts';
import {decide, type Decision} from './decide.ts';
import type {EngineContext} from './engine-context.ts';
import {explainReasons} from './explain-reasons.ts';
import {keyRecordOf} from './input-digests.ts';
import {planBehindPending} from './pending-plan.ts';
import {ResourcePools} from './resources.ts';
import {ioFailure} from './io-failure.ts';
import {sweepStrayTemps} from '../../cache/stray-temps.ts';
import {restoreRecord} from './restore.ts';
import {runLogFile, runNode} from './run-node.ts';
import {mark} from '../timing.ts';
import type {Reporter} from '../reporting/events.ts';

export interface BuildOptions {
  targets: string[];
  jobs: number;
  gpuIds: string[];
  keepGoing: boolean;
  dryRun: boolean;
  passthroughEnv: string[];
  executors: Record<'local' | 'slurm', Executor | undefined>;
  signal: AbortSignal;
  /** `-B/--force`: these nodes run even when fresh or cached (their dependencies do not). */
  force?: ReadonlySet<string> | undefined;
  /** `--stream`/`-v`: report each line a running tool writes (`output` events). */
  stream?: boolean;
}

export interface BuildSummary {
  executed: number;
  restored: number;
  fresh: number;
  failed: number;
  skipped: number;
  durationMs: number;
  failures: Failure[];
  cancelled: boolean;
}

type Outcome =
  | {status: 'fresh' | 'restored' | 'executed'; outputs: OutputEntry[]}
  | {status: 'planned'; outputs: OutputEntry[] | undefined}
  /** A toolchain not yet needed: built only when a dependent has to run (see `needToolchain`). */
  | {status: 'deferred'; run: () => Promise<Outcome>; plan: () => void}
  | {status: 'failed' | 'skipped'};

/** Toolchain nodes (venvs, envs) are lazy: a build whose tools need not run never creates them. */
const isLazy = (node: GraphNode) => node.rule.providesPython !== undefined || node.rule.providesEnv !== undefined;

export async function build(ctx: EngineContext, opts: BuildOptions): Promise<BuildSummary> {
  const started = Date.now();
  const {graph} = ctx;
  const planned = {run: 0, mayRun: 0, restore: 0, fresh: 0};
  const reporter: Reporter = opts.dryRun ? countingPlans(ctx.reporter, planned) : ctx.reporter;
  const ids = closure(graph, opts.targets);
  const pools = new ResourcePools(opts.jobs, opts.gpuIds);
  const outcomes = new Map<string, Promise<Outcome>>();
  const settled = new Map<string, Outcome>();
  const failures: Failure[] = [];
  const counts = {executed: 0, restored: 0, fresh: 0, failed: 0, skipped: 0};
  let stopping = false;
  const keys = new Map<string, string>();
  const targetSet = new Set(opts.targets);
  const outputsOf = (id: string) => {
    const o = settled.get(id);
    return o && 'outputs' in o ? o.outputs : undefined;
  };

  const finish = (id: string, o: Outcome): Outcome => {
    settled.set(id, o);
    if (o.status !== 'planned' && o.status !== 'deferred') counts[o.status]++;
    return o;
  };
  /**
   * Remote-restored intermediates not yet on disk (`--remote-download minimal`), fetched on demand,
   * once. A fetch that fails (object missing, truncated, wrong bytes) runs the producer locally
   * instead: a cache is an optimization (DESIGN.md decision 13); the remote bridge has warned.
   * `changed` says the local run produced other bytes than the remote record named.
   */
  type Fetched = {ok: boolean; changed: boolean};
  const pendingFetch = new Map<string, () => Promise<Fetched>>();
  const fetches = new Map<string, Promise<Fetched>>();
  const materializeInputs = async (node: GraphNode): Promise<Fetched> => {
    const results = await Promise.all(
      node.deps.map((id) => {
        const f = pendingFetch.get(id);
        if (!f) return {ok: true, changed: false};
        let p = fetches.get(id);
        if (!p) fetches.set(id, (p = f()));
        return p;
      }),
    );
    return {ok: results.every((r) => r.ok), changed: results.some((r) => r.changed)};
  };
  /** Builds a deferred toolchain (once) because a dependent is about to run. */
  const toolchainRuns = new Map<string, Promise<Outcome>>();
  const needToolchain = async (id: string | undefined): Promise<Outcome | undefined> => {
    const o = id ? settled.get(id) : undefined;
    if (!id || !o || o.status !== 'deferred') return o;
    let p = toolchainRuns.get(id);
    if (!p) toolchainRuns.set(id, (p = o.run()));
    return p;
  };
  const failNode = (id: string, f: Failure, logFile?: string): Outcome => {
    failures.push(f);
    reporter.log({type: 'failed', id, reason: f.reason, message: f.message, ...(f.details ? {details: f.details} : {}), ...(logFile ? {logFile} : {}), ...(f.argv ? {argv: f.argv} : {})});
    if (!opts.keepGoing) stopping = true;
    return finish(id, {status: 'failed'});
  };
  const skip = (id: string, because: string): Outcome => {
    reporter.log({type: 'skipped', id, because});
    return finish(id, {status: 'skipped'});
  };

  ctx.prefetched = await prefetch(ctx, ids);
  // Temps beside outputs and in the store left by killed bevbuild processes (issue 16 finding 4).
  if (!opts.dryRun) await sweepStrayTemps(graph.root, ids.flatMap((id) => graph.nodes.get(id)!.outputs), ctx.store.root, {stateDir: ctx.paths.state});
  const forget = (node: GraphNode) => {
    for (const o of node.outputs) ctx.prefetched?.delete(resolve(graph.root, o));
  };

  const visit = (id: string): Promise<Outcome> => {
    let p = outcomes.get(id);
    if (!p) {
      p = handle(graph.nodes.get(id)!);
      outcomes.set(id, p);
    }
    return p;
  };

  const handle = async (node: GraphNode): Promise<Outcome> => {
    const deps = await Promise.all(node.deps.map(visit));
    const badDep = node.deps.find((_, i) => deps[i]!.status === 'failed' || deps[i]!.status === 'skipped');
    const plannedToolchain = node.toolchain && deps[node.deps.indexOf(node.toolchain)]?.status === 'deferred';
    if (badDep) return skip(node.id, `dependency ${badDep} did not build`);
    const pendingDeps = node.deps.filter((_, i) => deps[i]!.status === 'planned' && !(deps[i] as {outputs?: unknown}).outputs);
    const pending = pendingDeps[0];
    if (pending) {
      if (plannedToolchain) (deps[node.deps.indexOf(node.toolchain!)] as {plan: () => void}).plan();
      const {argv, cwd} = buildKeyRecord(node, {}); // the command does not depend on input digests
      const p = await planBehindPending(ctx, node, new Set(pendingDeps), outputsOf, (id) => keys.get(id));
      const reasons = [...explainReasons(ctx, node, p.own.filter((r) => r !== 'no-record')), `dependency-will-run: ${pending}`];
      reporter.log({type: 'plan', id: node.id, action: 'run', reasons, ...(p.mayCutOff ? {mayCutOff: true} : {}), argv, cwd: cwd || '.'});
      return finish(node.id, {status: 'planned', outputs: undefined});
    }
    if (stopping || opts.signal.aborted) return skip(node.id, opts.signal.aborted ? 'cancelled' : 'build stopped after a failure (use --keep-going to continue)');

    let decision: Decision;
    let key: string;
    let keyRecord: KeyRecord;
    try {
      keyRecord = await keyRecordOf(ctx, node, outputsOf, (id) => keys.get(id));
      key = actionKey(keyRecord);
      keys.set(node.id, key);
      decision = await decide(ctx, node, key, keyRecord);
      if (decision.action !== 'fresh') decision.reasons = explainReasons(ctx, node, decision.reasons);
      if (opts.force?.has(node.id)) decision = {action: 'run', reasons: ['forced (-B/--force)', ...(decision.action === 'fresh' ? [] : decision.reasons)]};
    } catch (e) {
      return failNode(node.id, {reason: 'internal-error', message: `could not compute the action key: ${(e as Error).message}`, nodeId: node.id});
    }

    if (isLazy(node) && decision.action !== 'fresh' && !targetSet.has(node.id)) {
      const d = decision;
      let planned = false;
      return finish(node.id, {
        status: 'deferred',
        plan: () => {
          if (planned) return;
          planned = true;
          reporter.log({type: 'plan', id: node.id, action: d.action, reasons: d.reasons, argv: keyRecord.argv, cwd: keyRecord.cwd || '.'});
        },
        run: () => act(node, key, keyRecord, d),
      });
    }

    if (opts.dryRun) {
      if (plannedToolchain && decision.action === 'run') (deps[node.deps.indexOf(node.toolchain!)] as {plan: () => void}).plan();
      const action = decision.action;
      reporter.log({type: 'plan', id: node.id, action, reasons: action === 'fresh' ? [] : decision.reasons, argv: keyRecord.argv, cwd: keyRecord.cwd || '.'});
      if (decision.action === 'fresh') return finish(node.id, {status: 'fresh', outputs: decision.outputs});
      return finish(node.id, {status: 'planned', outputs: decision.action === 'restore' ? decision.record.outputs : undefined});
    }

    return act(node, key, keyRecord, decision);
  };

  const act = async (node: GraphNode, key: string, keyRecord: KeyRecord, decision: Decision): Promise<Outcome> => {
    if (decision.action === 'fresh') {
      // Outputs adopted under a new id (a renamed node): remember them, so the next build is a plain no-op.
      if (ctx.state.get(node.id)?.key !== key) ctx.state.set(node.id, {key, keyRecord, outputs: decision.outputs, builtAt: new Date().toISOString()});
      reporter.log({type: 'done', id: node.id, status: 'fresh', durationMs: 0});
      return finish(node.id, {status: 'fresh', outputs: decision.outputs});
    }

    if (decision.action === 'restore' && decision.from === 'remote' && ctx.remote?.download === 'minimal' && !targetSet.has(node.id)) {
      // Build without the bytes: an intermediate the remote has is only fetched if a node that
      // must run needs it on disk (see `materializeInputs`). Its outputs' digests are known from
      // the record, which is all dependents' keys need.
      const d = decision;
      pendingFetch.set(node.id, async () => {
        if (await restoreRecord(ctx, node, d.record, d.from)) {
          ctx.state.set(node.id, {key, keyRecord, outputs: d.record.outputs, builtAt: new Date().toISOString()});
          return {ok: true, changed: false};
        }
        counts.restored--; // counted again as what the local run ends as
        const ran = await execute(node, key, keyRecord, [...d.reasons, 'remote-object-unavailable']);
        if (ran.status !== 'executed') return {ok: false, changed: false};
        return {ok: true, changed: digestsOf(ran.outputs) !== digestsOf(d.record.outputs)};
      });
      reporter.log({type: 'done', id: node.id, status: 'restored', durationMs: 0});
      return finish(node.id, {status: 'restored', outputs: d.record.outputs});
    }

    forget(node); // restore or run rewrites its outputs: the prefetched digests no longer hold
    if (decision.action === 'restore') {
      const t0 = Date.now();
      reporter.log({type: 'start', id: node.id, action: 'restore', reasons: [...decision.reasons, `from ${decision.from} cache`]});
      const restored = await restoreRecord(ctx, node, decision.record, decision.from);
      if (restored) {
        ctx.state.set(node.id, {key, keyRecord, outputs: decision.record.outputs, builtAt: new Date().toISOString()});
        reporter.log({type: 'done', id: node.id, status: 'restored', durationMs: Date.now() - t0});
        return finish(node.id, {status: 'restored', outputs: decision.record.outputs});
      }
      // restoreRecord warned (or the remote bridge did, once per build).
    }
    return execute(node, key, keyRecord, decision.action === 'run' ? decision.reasons : [...decision.reasons, 'cache-entry-unusable']);
  };

  /** Runs a node's tool (its remote-restored inputs fetched, or rebuilt, first). */
  const execute = async (node: GraphNode, key: string, keyRecord: KeyRecord, reasons: string[]): Promise<Outcome> => {
    forget(node);
    const inputs = await materializeInputs(node);
    if (!inputs.ok) return skip(node.id, 'an input could neither be downloaded from the remote cache nor rebuilt');
    if (inputs.changed) {
      // An input rebuilt locally differs from the bytes the remote record named: key what is consumed.
      keyRecord = await keyRecordOf(ctx, node, outputsOf, (id) => keys.get(id));
      key = actionKey(keyRecord);
      keys.set(node.id, key);
    }
    const tc = await needToolchain(node.toolchain);
    if (tc && (tc.status === 'failed' || tc.status === 'skipped')) return skip(node.id, `toolchain ${node.toolchain} did not build`);
    if (!pools.satisfiable(node.resources.gpu)) {
      return failNode(node.id, {reason: 'no-gpu', nodeId: node.id, message: `needs ${node.resources.gpu} GPU(s) but the gpu pool has ${opts.gpuIds.length}; set pools.gpu in bevbuild.config.ts or CUDA_VISIBLE_DEVICES, or run it with executor 'slurm'`});
    }
    const grant = await pools.acquire(node.resources.cpu, node.resources.gpu, node.exclusive);
    try {
      if (stopping || opts.signal.aborted) return skip(node.id, opts.signal.aborted ? 'cancelled' : 'build stopped after a failure (use --keep-going to continue)');
      const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      reporter.log({type: 'start', id: node.id, action: 'run', reasons, logFile: runLogFile(ctx.paths.logs, node.id, runId)});
      const onOutput = opts.stream ? (line: string) => reporter.log({type: 'output', id: node.id, line}) : undefined;
      const res = await runNode(ctx, {node, key, keyRecord, runId, gpus: grant.gpus, signal: opts.signal, outputsOf, passthroughEnv: opts.passthroughEnv, executors: opts.executors, onOutput});
      if (!res.ok) return failNode(node.id, res.error, res.error.reason === 'exit-non-zero' || res.error.reason === 'output-missing' ? runLogFile(ctx.paths.logs, node.id, runId) : undefined);
      ctx.state.set(node.id, {key, keyRecord, outputs: res.value.outputs, builtAt: new Date().toISOString()});
      reporter.log({type: 'done', id: node.id, status: 'executed', durationMs: res.value.durationMs});
      if (res.value.record && ctx.remote) await ctx.remote.upload(res.value.record);
      return finish(node.id, {status: 'executed', outputs: res.value.outputs});
    } finally {
      grant.release();
    }
  };

  await Promise.all(ids.map(visit));
  mark('nodes decided/built');
  try {
    ctx.state.save();
    await ctx.memo.save();
  } catch (e) {
    // Records are in the store; without the state the next build re-checks outputs (slower, not wrong).
    const io = ioFailure(e, 'could not save the build state');
    if (!io) throw e;
    reporter.log({type: 'warning', message: `${io.error.message.replace(/; nothing was recorded$/, '')}; the next build re-checks outputs`});
  }
  mark('state saved');
  const summary: BuildSummary = {...counts, durationMs: Date.now() - started, failures, cancelled: opts.signal.aborted};
  if (opts.dryRun) reporter.log({type: 'plan-summary', ...planned});
  // The last line of every --json run, a dry run's too (scripts read it).
  reporter.log({type: 'summary', executed: counts.executed, restored: counts.restored, fresh: counts.fresh, failed: counts.failed, durationMs: summary.durationMs, ...(opts.dryRun ? {dryRun: true as const} : {})});
  return summary;
}

/** The output digests of a node, for comparing a local rebuild with a remote record. */
const digestsOf = (outputs: OutputEntry[]) => outputs.map((o) => `${o.path}\0${o.digest}`).sort().join('\n');

/** Passes events on, counting the plan's nodes by what will happen to them. */
function countingPlans(to: Reporter, n: {run: number; mayRun: number; restore: number; fresh: number}): Reporter {
  return {
    log: (e) => {
      if (e.type === 'plan') n[e.mayCutOff ? 'mayRun' : e.action]++;
      to.log(e);
    },
    close: () => to.close(),
  };
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
