/**
 * Freshness, cheapest first (DESIGN.md decision 2): outputs present and matching the last good
 * build of this key → fresh; else an action record for the key in the local store, then the
 * remote → restore; else run. Every non-fresh answer carries its reasons.
 */
import {resolve} from 'node:path';
import type {ActionRecord, OutputEntry} from '../../cache/local-store.ts';
import {readManifestFile} from '../../cache/records.ts';
import type {PathDigest} from '../../cache/stat-memo.ts';
import {manifestDigest, type TreeManifest} from '../../cache/tree.ts';
import type {GraphNode} from '../graph/graph.ts';
import type {KeyRecord} from './action-key.ts';
import type {EngineContext} from './engine-context.ts';
import type {OutputProblem, RebuildReason} from './rebuild-reason.ts';
import {diffKeyRecords, type ReasonNames} from './reasons.ts';
import {storedIntact, trustRecord} from './restore.ts';

export type Decision =
  | {action: 'fresh'; outputs: OutputEntry[]}
  | {action: 'restore'; record: ActionRecord; from: 'local' | 'remote'; reasons: RebuildReason[]}
  | {action: 'run'; reasons: RebuildReason[]};

export async function decide(ctx: EngineContext, node: GraphNode, key: string, keyRecord: KeyRecord): Promise<Decision> {
  const prev = ctx.state.get(node.id);
  let reasons: RebuildReason[];
  if (prev && prev.key === key) {
    const problems = await outputProblems(ctx, prev.outputs);
    if (problems.length === 0) return {action: 'fresh', outputs: prev.outputs};
    reasons = problems;
  } else {
    const prevRecord = prev ? ctx.state.keyRecord(node.id) : undefined;
    reasons = prev && !prevRecord ? [{kind: 'key-changed'}] : diffKeyRecords(prevRecord, keyRecord, reasonNames(ctx, node));
  }
  if (node.cache) {
    const local = await ctx.store.readRecord(key);
    if (!local.ok) ctx.reporter.log({type: 'warning', message: `${node.id}: ${local.error.message}; ignoring that cache entry`});
    else if (local.value && trustRecord(ctx, node, local.value, 'local')) {
      // A node without a state entry (new id after a rename) whose outputs already match a record
      // of its key has nothing to do: adopt them instead of re-materializing.
      if (!prev && (await outputProblems(ctx, local.value.outputs)).length === 0) return {action: 'fresh', outputs: local.value.outputs};
      // Objects are checked here (memo: one lstat each when unchanged), so a plan never promises a restore that cannot happen.
      if (await storedIntact(ctx, node, local.value)) return {action: 'restore', record: local.value, from: 'local', reasons};
    }
    const remote = await ctx.remote?.lookup(key);
    if (remote && trustRecord(ctx, node, remote, 'remote')) return {action: 'restore', record: remote, from: 'remote', reasons};
  }
  return {action: 'run', reasons};
}

/** How a node's reasons name its toolchain and the producers of its inputs. */
export function reasonNames(ctx: EngineContext, node: GraphNode): ReasonNames {
  return {toolchain: node.toolchain, producerOf: (p) => ctx.graph.outputOwner.get(p)};
}

/** Digests of absolute paths: from the build's prefetch when all are there, else through the memo. */
export async function digestsOf(ctx: EngineContext, abs: string[]): Promise<Map<string, PathDigest>> {
  const pre = ctx.prefetched;
  if (pre && abs.every((p) => pre.has(p))) return new Map(abs.map((p) => [p, pre.get(p)!]));
  return ctx.memo.digestPaths(abs);
}

/**
 * `output-missing` / `output-modified` for every recorded output that differs on disk; for a
 * directory, the files in it that differ (`output-modified: deploy/x/model.xml`), when its recorded
 * manifest is in the store.
 */
export async function outputProblems(ctx: EngineContext, outputs: OutputEntry[]): Promise<OutputProblem[]> {
  const abs = outputs.map((o) => resolve(ctx.graph.root, o.path));
  const now = await digestsOf(ctx, abs);
  const problems: OutputProblem[] = [];
  for (const [i, o] of outputs.entries()) {
    const d = now.get(abs[i]!);
    if (!d || d.kind === 'missing') problems.push({kind: 'output-missing', path: o.path});
    else if (d.digest !== o.digest) {
      const files = d.kind === 'dir' ? await changedFiles(ctx, o, d.manifest) : undefined;
      problems.push(...(files?.length ? files : [{kind: 'output-modified' as const, path: o.path}]));
    }
  }
  return problems;
}

/** The files of a recorded output directory that differ from `now`; undefined without the recorded manifest. */
async function changedFiles(ctx: EngineContext, o: OutputEntry, now: TreeManifest): Promise<OutputProblem[] | undefined> {
  // Not in the store (uncached node, pruned), not a manifest, or not the recorded one: name the directory only.
  const read = await readManifestFile(ctx.store.objectPath(o.digest));
  if (!read.ok || manifestDigest(read.value) !== o.digest) return undefined;
  const was = read.value;
  const before = new Map(was.entries.map((e) => [e.path, e.digest]));
  const out: OutputProblem[] = [];
  for (const e of now.entries) {
    const b = before.get(e.path);
    if (b !== e.digest) out.push({kind: b === undefined ? 'output-added' : 'output-modified', path: `${o.path}/${e.path}`});
    before.delete(e.path);
  }
  for (const p of before.keys()) out.push({kind: 'output-missing', path: `${o.path}/${p}`});
  return out.length > 5 ? [...out.slice(0, 5), {kind: 'output-modified', path: o.path, moreFiles: out.length - 5}] : out;
}
