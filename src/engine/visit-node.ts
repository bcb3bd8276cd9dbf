/**
 * Visiting a node: wait for its dependencies, then decide fresh / restore / run (DESIGN.md
 * decision 2) and either plan it (dry run), defer it (a toolchain nothing needs yet) or carry the
 * decision out. Each node is visited once; dependents share its promise.
 */
import type {GraphNode} from '../graph/graph.ts';
import {actionKey, buildKeyRecord, type KeyRecord} from './action-key.ts';
import type {BuildRun, Keyed, Outcome} from './build-run.ts';
import {carryOut} from './carry-out.ts';
import {decide, type Decision} from './decide.ts';
import {explainReasons} from './explain-reasons.ts';
import {keyRecordOf} from './input-digests.ts';
import {nodeFailure} from './node-failure.ts';
import {planBehindPending} from './pending-plan.ts';
import type {RebuildReason} from './rebuild-reason.ts';
import {plannedResume} from './resume-run.ts';

/** The node's outcome, handled on first request and shared by every later one. */
export function visit(run: BuildRun, id: string): Promise<Outcome> {
  let p = run.outcomes.get(id);
  if (!p) {
    p = handle(run, run.ctx.graph.nodes.get(id)!);
    run.outcomes.set(id, p);
  }
  return p;
}

/** Toolchain nodes (venvs, envs) are lazy: a build whose tools need not run never creates them. */
const isLazy = (node: GraphNode) => node.rule.providesPython !== undefined || node.rule.providesEnv !== undefined;

async function handle(run: BuildRun, node: GraphNode): Promise<Outcome> {
  const {ctx, opts, reporter} = run;
  const deps = await Promise.all(node.deps.map((id) => visit(run, id)));
  const badDep = node.deps.find((_, i) => deps[i]!.status === 'failed' || deps[i]!.status === 'skipped');
  if (badDep) return run.skip(node.id, {kind: 'dependency-failed', dependency: badDep});
  /** A dry run shows a deferred toolchain only once a node that would run needs it. */
  const planToolchain = () => {
    const tc = node.toolchain ? deps[node.deps.indexOf(node.toolchain)] : undefined;
    if (tc?.status === 'deferred') tc.plan();
  };
  // A dry run cannot key a node whose dependency will run (its outputs are unknown): say what it can.
  const pendingDeps = node.deps.filter((_, i) => deps[i]!.status === 'planned' && !(deps[i] as {outputs?: unknown}).outputs);
  if (pendingDeps.length) return planBehind(run, node, pendingDeps, planToolchain);
  const stopped = run.skipIfStopping(node.id);
  if (stopped) return stopped;

  let decision: Decision;
  let keyRecord: KeyRecord;
  let key: string;
  try {
    keyRecord = await keyRecordOf(ctx, node, run.outputsOf, run.keyOf);
    key = actionKey(keyRecord);
    run.keys.set(node.id, key);
    decision = await decide(ctx, node, key, keyRecord);
    if (decision.action !== 'fresh') decision.reasons = explainReasons(ctx, node, decision.reasons);
    if (opts.force?.has(node.id)) decision = {action: 'run', reasons: [{kind: 'forced'}, ...(decision.action === 'fresh' ? [] : decision.reasons)]};
  } catch (e) {
    return run.fail(node.id, nodeFailure(node.id, {kind: 'internal-error', error: (e as Error).message}).error);
  }
  const keyed: Keyed = {node, key, keyRecord};

  if (isLazy(node) && decision.action !== 'fresh' && !run.targets.has(node.id)) {
    const d = decision;
    let planned = false;
    return run.finish(node.id, {
      status: 'deferred',
      plan: () => {
        if (planned) return;
        planned = true;
        reporter.log({type: 'plan', id: node.id, action: d.action, reasons: d.reasons, argv: keyRecord.argv, cwd: keyRecord.cwd || '.'});
      },
      run: () => carryOut(run, keyed, d),
    });
  }

  if (opts.dryRun) {
    if (decision.action === 'run') planToolchain();
    const resume = decision.action === 'run' ? plannedResume(ctx, node, key) : undefined;
    reporter.log({type: 'plan', id: node.id, action: decision.action, reasons: decision.action === 'fresh' ? [] : decision.reasons, argv: keyRecord.argv, cwd: keyRecord.cwd || '.', ...(resume ? {resume} : {})});
    if (decision.action === 'fresh') return run.finish(node.id, {status: 'fresh', outputs: decision.outputs});
    return run.finish(node.id, {status: 'planned', outputs: decision.action === 'restore' ? decision.record.outputs : undefined});
  }

  return carryOut(run, keyed, decision);
}

/** Dry run: plans a node waiting for dependencies that will run, with the reasons it has of its own. */
async function planBehind(run: BuildRun, node: GraphNode, pendingDeps: string[], planToolchain: () => void): Promise<Outcome> {
  const {ctx} = run;
  planToolchain();
  const {argv, cwd} = buildKeyRecord(node, {}); // the command does not depend on input digests
  const p = await planBehindPending(ctx, node, new Set(pendingDeps), run.outputsOf, run.keyOf);
  const reasons: RebuildReason[] = [...explainReasons(ctx, node, p.own.filter((r) => r.kind !== 'no-record')), {kind: 'dependency-will-run', dependency: pendingDeps[0]!}];
  run.reporter.log({type: 'plan', id: node.id, action: 'run', reasons, ...(p.mayCutOff ? {mayCutOff: true} : {}), argv, cwd: cwd || '.'});
  return run.finish(node.id, {status: 'planned', outputs: undefined});
}
