/**
 * Placing a node's outputs in the workspace from an action record (DESIGN.md decision 13, issue 16
 * findings 1 and 10). Records are untrusted input, local or remote: a record is used only if it
 * names exactly the node's declared outputs, each reachable from the workspace root through real
 * directories (no symlinks), and nothing is placed before that check passes. A refused record
 * costs one warning and the node runs instead.
 *
 * Placing replaces a directory output as a whole; files a user added inside it are moved to
 * `.bevbuild/rescued/<time>/<output>/…` and a warning says where.
 */
import {join, relative, resolve} from 'node:path';
import type {ActionRecord, OutputEntry} from '../../cache/local-store.ts';
import {checkOutputPath} from '../../cache/output-guard.ts';
import type {GraphNode} from '../graph/graph.ts';
import {fail, ok, type Failure, type Result} from '../result.ts';
import type {EngineContext} from './engine-context.ts';

/** Why `record` cannot be used for `node` (paths checked on disk now), or undefined. */
export function recordProblem(root: string, node: GraphNode, record: ActionRecord): string | undefined {
  const declared = new Set(node.outputs);
  const named = new Set<string>();
  for (const o of record.outputs) {
    if (named.has(o.path)) return `it names the output "${o.path}" twice`;
    named.add(o.path);
    if (!declared.has(o.path)) return `it names "${o.path}", which is not a declared output of ${node.id}`;
  }
  const absent = node.outputs.find((o) => !named.has(o));
  if (absent !== undefined) return `it lacks the declared output "${absent}"`;
  for (const o of record.outputs) {
    const safe = checkOutputPath(root, o.path);
    if (!safe.ok) return safe.error.message;
  }
  return undefined;
}

/**
 * Whether a record found for `node` may be restored; a refused one gets one warning (the node
 * then runs). Called when the freshness decision is made, before anything is fetched or placed.
 */
export function trustRecord(ctx: EngineContext, node: GraphNode, record: ActionRecord, from: 'local' | 'remote'): boolean {
  const problem = recordProblem(ctx.graph.root, node, record);
  if (problem === undefined) return true;
  ctx.reporter.log({type: 'warning', message: `${node.id}: refused the ${from} cache record ${record.key.slice(0, 12)}: ${problem}; running the tool instead`});
  return false;
}

/**
 * Whether every object behind a local record is there and unchanged (issue 16 finding 9: an object
 * written through a workspace hardlink is caught by its stat and re-hashed), so that a plan says
 * "restore" only when a restore will work. One warning if not; corrupt objects are dropped.
 */
export async function storedIntact(ctx: EngineContext, node: GraphNode, record: ActionRecord): Promise<boolean> {
  const bad = await ctx.store.unusableObjects(record.outputs, ctx.memo);
  if (bad.length === 0) return true;
  const corrupt = bad.filter((b) => b.problem === 'corrupt').length;
  const parts = [corrupt ? `${corrupt} changed since stored, dropped` : '', bad.length > corrupt ? `${bad.length - corrupt} missing` : ''].filter(Boolean);
  ctx.reporter.log({type: 'warning', message: `${node.id}: the local cache record's store objects are unusable (${parts.join(', ')}); running the tool instead`});
  return false;
}

/**
 * Restores `record`'s outputs for `node` (objects fetched from the remote first when `from` is
 * remote; the remote bridge warns about its own faults). False, after at most one warning, if
 * anything is refused or unavailable: the caller runs the tool.
 */
export async function restoreRecord(ctx: EngineContext, node: GraphNode, record: ActionRecord, from: 'local' | 'remote'): Promise<boolean> {
  if (!trustRecord(ctx, node, record, from)) return false; // paths again: the workspace may have changed since the decision
  if (from === 'remote' && !(await ctx.remote!.fetchObjects(record.outputs))) return false;
  const placed = await placeOutputs(ctx, node, record.outputs);
  if (!placed.ok) {
    ctx.reporter.log({type: 'warning', message: `${node.id}: ${placed.error.message}; running the tool instead`});
    return false;
  }
  if (from === 'remote') await ctx.store.writeRecord(record);
  return true;
}

/**
 * Materializes stored outputs in the workspace (after a run or for a restore), in the node's
 * materialize mode, rescuing user files found inside directory outputs (files of the node's previous
 * good build, as the state records it, are not user files).
 */
export async function placeOutputs(ctx: EngineContext, node: GraphNode, entries: OutputEntry[]): Promise<Result<void, Failure>> {
  const rescueDir = join(ctx.paths.dir, 'rescued', new Date().toISOString().replace(/[:.]/g, '-'));
  const before = ctx.state.get(node.id)?.outputs;
  for (const e of entries) {
    const previous = before?.find((b) => b.path === e.path && b.kind === 'dir')?.digest;
    const m = await ctx.store.materialize(e, resolve(ctx.graph.root, e.path), {memo: ctx.memo, mode: node.materialize, rescueDir, ...(previous ? {previous} : {})});
    if (!m.ok) return fail(m.error.reason, m.error.message, {nodeId: node.id, ...(m.error.details ? {details: m.error.details} : {})});
    if (m.value.rescued) {
      const {files, to} = m.value.rescued;
      const where = to.startsWith(`${ctx.graph.root}/`) ? relative(ctx.graph.root, to) : to;
      ctx.reporter.log({type: 'warning', message: `${node.id}: ${files.length} file(s) in ${e.path} that ${node.id} does not produce (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}) were moved to ${where}; ${e.path} is replaced as a whole`});
    }
  }
  return ok(undefined);
}
