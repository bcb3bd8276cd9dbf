/**
 * Running a node's tool within a build: first what it needs on disk that the build put off (inputs
 * restored from the remote by record only, a deferred toolchain), then a slot in the resource
 * pools, then `runNode`; the result is recorded in the workspace state and uploaded to the remote.
 */
import {randomBytes} from 'node:crypto';
import {EXECUTORS, offMachineExecutors} from '../executors/registry.ts';
import type {GraphNode} from '../graph/graph.ts';
import {actionKey} from './action-key.ts';
import type {BuildRun, Fetched, Keyed, Outcome} from './build-run.ts';
import {keyRecordOf} from './input-digests.ts';
import {nodeFailure} from './node-failure.ts';
import type {RebuildReason} from './rebuild-reason.ts';
import {runLogFile, runNode} from './run-node.ts';

/** Runs a node's tool (its remote-restored inputs fetched, or rebuilt, first). */
export async function execute(run: BuildRun, keyed: Keyed, reasons: RebuildReason[]): Promise<Outcome> {
  const {ctx, opts, reporter} = run;
  const {node} = keyed;
  let {key, keyRecord} = keyed;
  run.forget(node);
  const inputs = await materializeInputs(run, node);
  if (!inputs.ok) return run.skip(node.id, {kind: 'input-unavailable'});
  if (inputs.changed) {
    // An input rebuilt locally differs from the bytes the remote record named: key what is consumed.
    keyRecord = await keyRecordOf(ctx, node, run.outputsOf, run.keyOf);
    key = actionKey(keyRecord);
    run.keys.set(node.id, key);
  }
  const tc = await needToolchain(run, node.toolchain);
  if (tc && (tc.status === 'failed' || tc.status === 'skipped')) return run.skip(node.id, {kind: 'toolchain-failed', toolchain: node.toolchain!});
  const {cpu, gpu} = localDemand(node);
  if (!run.pools.satisfiable(gpu)) {
    return run.fail(node.id, nodeFailure(node.id, {kind: 'no-gpu', needs: gpu, pool: opts.gpuIds.length, offMachine: offMachineExecutors()}).error);
  }
  // Only the tool run holds pool resources; waiting for dependencies never does (no deadlocks).
  const grant = await run.pools.acquire(cpu, gpu, node.exclusive);
  try {
    // Re-checked after the wait for a slot: a failure elsewhere may have stopped the build meanwhile.
    const stopped = run.skipIfStopping(node.id);
    if (stopped) return stopped;
    const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    reporter.log({type: 'start', id: node.id, action: 'run', reasons, logFile: runLogFile(ctx.paths.logs, node.id, runId)});
    const onOutput = opts.stream ? (line: string) => reporter.log({type: 'output', id: node.id, line}) : undefined;
    const res = await runNode(ctx, {node, key, keyRecord, runId, gpus: grant.gpus, signal: opts.signal, outputsOf: run.outputsOf, passthroughEnv: opts.passthroughEnv, executors: opts.executors, onOutput});
    if (!res.ok) return run.fail(node.id, res.error);
    run.record({node, key, keyRecord}, res.value.outputs);
    reporter.log({type: 'done', id: node.id, status: 'executed', durationMs: res.value.durationMs});
    if (res.value.record && ctx.remote) await ctx.remote.upload(res.value.record);
    return run.finish(node.id, {status: 'executed', outputs: res.value.outputs});
  } finally {
    grant.release();
  }
}

/**
 * Fetches the node's dependencies that were restored from the remote by record only, each once
 * however many dependents need it. A fetch that fails runs the producer locally instead (see
 * `carryOut`): a cache is an optimization (DESIGN.md decision 13).
 */
async function materializeInputs(run: BuildRun, node: GraphNode): Promise<Fetched> {
  const results = await Promise.all(
    node.deps.map((id) => {
      const f = run.pendingFetch.get(id);
      if (!f) return {ok: true, changed: false};
      let p = run.fetches.get(id);
      if (!p) run.fetches.set(id, (p = f()));
      return p;
    }),
  );
  return {ok: results.every((r) => r.ok), changed: results.some((r) => r.changed)};
}

/** Builds a deferred toolchain (once) because a dependent is about to run. */
async function needToolchain(run: BuildRun, id: string | undefined): Promise<Outcome | undefined> {
  const o = id ? run.settled.get(id) : undefined;
  if (!id || !o || o.status !== 'deferred') return o;
  let p = run.toolchainRuns.get(id);
  if (!p) run.toolchainRuns.set(id, (p = o.run()));
  return p;
}

/**
 * What a run takes from this machine's pools. A node run by an off-machine executor (SLURM) gets its
 * GPUs and CPUs from the cluster, so it needs no local GPU (a login node without one may submit
 * GPU jobs) and holds one CPU slot, for the process that submits and follows the job: `-j` still
 * bounds how many jobs one build has in flight.
 */
function localDemand(node: GraphNode): {cpu: number; gpu: number} {
  if (EXECUTORS[node.executor].onThisMachine) return {cpu: node.resources.cpu, gpu: node.resources.gpu};
  return {cpu: Math.min(1, node.resources.cpu), gpu: 0};
}
