/**
 * What a dry run can say about a node waiting for a dependency that will run: whether it has
 * reasons of its own (it runs whatever the dependency produces: `input-changed: configs/…` beside
 * `dependency-will-run: …`), or none, and then it may still be cut off — it runs only if the
 * dependency's outputs come out different (DESIGN.md decision 1, early cutoff). Found by keying the
 * node as if every pending dependency reproduced its last recorded outputs.
 */
import type {GraphNode} from '../graph/graph.ts';
import {actionKey, buildKeyRecord} from './action-key.ts';
import {outputProblems, reasonNames} from './decide.ts';
import type {EngineContext} from './engine-context.ts';
import {inputDigests, type KeyOf, type OutputsOf} from './input-digests.ts';
import type {RebuildReason} from './rebuild-reason.ts';
import {diffKeyRecords} from './reasons.ts';

export interface PendingPlan {
  /** Reasons that hold even if the pending dependencies' outputs come out unchanged. */
  own: RebuildReason[];
  /** No reason of its own: runs unless its inputs come out unchanged. */
  mayCutOff: boolean;
}

export async function planBehindPending(ctx: EngineContext, node: GraphNode, pending: Set<string>, outputsOf: OutputsOf, keyOf: KeyOf): Promise<PendingPlan> {
  const prev = ctx.state.get(node.id);
  if (!prev) return {own: [{kind: 'no-record'}], mayCutOff: false};
  const unchanged: OutputsOf = (id) => (pending.has(id) ? ctx.state.get(id)?.outputs : outputsOf(id));
  const record = buildKeyRecord(node, await inputDigests(ctx, node, unchanged, keyOf));
  if (actionKey(record) === prev.key) {
    const problems = await outputProblems(ctx, prev.outputs);
    return {own: problems, mayCutOff: problems.length === 0};
  }
  const prevRecord = ctx.state.keyRecord(node.id);
  if (!prevRecord) return {own: [{kind: 'key-changed'}], mayCutOff: false};
  // A pending dependency built for the first time has no outputs to assume: its inputs are its own reason.
  const unknown = new Set([...pending].filter((id) => !ctx.state.get(id)));
  const own = diffKeyRecords(prevRecord, record, reasonNames(ctx, node)).filter((r) => !('producer' in r && r.producer && unknown.has(r.producer)));
  return {own, mayCutOff: own.length === 0};
}
