/**
 * Freshness, cheapest first (DESIGN.md decision 2): outputs present and matching the last good
 * build of this key → fresh; else an action record for the key in the local store, then the
 * remote → restore; else run. Every non-fresh answer carries its reasons.
 */
import {resolve} from 'node:path';
import type {ActionRecord, OutputEntry} from '../../cache/local-store.ts';
import type {PathDigest} from '../../cache/stat-memo.ts';
import type {GraphNode} from '../graph/graph.ts';
import type {KeyRecord} from './action-key.ts';
import type {EngineContext} from './engine-context.ts';
import {trustRecord} from './restore.ts';
import {diffKeyRecords} from './reasons.ts';

export type Decision =
  | {action: 'fresh'; outputs: OutputEntry[]}
  | {action: 'restore'; record: ActionRecord; from: 'local' | 'remote'; reasons: string[]}
  | {action: 'run'; reasons: string[]};

export async function decide(ctx: EngineContext, node: GraphNode, key: string, keyRecord: KeyRecord): Promise<Decision> {
  const prev = ctx.state.get(node.id);
  let reasons: string[];
  if (prev && prev.key === key) {
    const problems = await outputProblems(ctx, prev.outputs);
    if (problems.length === 0) return {action: 'fresh', outputs: prev.outputs};
    reasons = problems;
  } else {
    const prevRecord = prev ? ctx.state.keyRecord(node.id) : undefined;
    reasons = prev && !prevRecord ? ['key-changed'] : diffKeyRecords(prevRecord, keyRecord);
  }
  if (node.cache) {
    const local = await ctx.store.readRecord(key);
    if (!local.ok) ctx.reporter.log({type: 'warning', message: `${node.id}: ${local.error.message}; ignoring that cache entry`});
    else if (local.value && trustRecord(ctx, node, local.value, 'local')) return {action: 'restore', record: local.value, from: 'local', reasons};
    const remote = await ctx.remote?.lookup(key);
    if (remote && trustRecord(ctx, node, remote, 'remote')) return {action: 'restore', record: remote, from: 'remote', reasons};
  }
  return {action: 'run', reasons};
}

/** Digests of absolute paths: from the build's prefetch when all are there, else through the memo. */
export async function digestsOf(ctx: EngineContext, abs: string[]): Promise<Map<string, PathDigest>> {
  const pre = ctx.prefetched;
  if (pre && abs.every((p) => pre.has(p))) return new Map(abs.map((p) => [p, pre.get(p)!]));
  return ctx.memo.digestPaths(abs);
}

/** `output-missing: p` / `output-modified: p` for every recorded output that differs on disk. */
export async function outputProblems(ctx: EngineContext, outputs: OutputEntry[]): Promise<string[]> {
  const abs = outputs.map((o) => resolve(ctx.graph.root, o.path));
  const now = await digestsOf(ctx, abs);
  const problems: string[] = [];
  outputs.forEach((o, i) => {
    const d = now.get(abs[i]!);
    if (!d || d.kind === 'missing') problems.push(`output-missing: ${o.path}`);
    else if (d.digest !== o.digest) problems.push(`output-modified: ${o.path}`);
  });
  return problems;
}
