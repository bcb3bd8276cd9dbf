/**
 * Lineage in reverse (`bevbuild lineage --uses PATH`): which nodes' last good builds read a file or
 * directory (a checkpoint, a dataset file, a config), directly or through what they made from it,
 * and which top-level artifacts (deploy directories) therefore carry it. A path inside a directory
 * input counts as read by the node that read the directory.
 */
import {isAbsolute, relative, resolve} from 'node:path';
import type {EngineContext} from '../engine/engine-context.ts';
import {inputPath} from '../engine/input-names.ts';
import {ownerOf} from './collect.ts';

export interface UsesAnswer {
  path: string;
  /** The node whose output holds the path, if a node made it. */
  producer: {id: string; output: string} | undefined;
  /** Nodes whose last good build read the path; `as`: the input that covers it; `current`: is it still the same on disk. */
  direct: {id: string; as: string; digest: string; current: 'same' | 'changed' | 'missing' | 'unknown'}[];
  /** Every node built from those, transitively (dependencies first). */
  downstream: string[];
  /** Top-level artifacts (nothing depends on them) among direct and downstream, with their outputs. */
  tops: {id: string; outputs: string[]}[];
}

export async function usesQuery(ctx: EngineContext, rawPath: string): Promise<UsesAnswer> {
  const {graph, state} = ctx;
  const abs = isAbsolute(rawPath) ? rawPath : resolve(process.cwd(), rawPath);
  const rel = relative(graph.root, abs);
  const path = (rel.startsWith('..') ? abs : rel).replace(/\/+$/, '');
  const direct: UsesAnswer['direct'] = [];
  for (const id of graph.order) {
    const kr = state.get(id) ? state.keyRecord(id) : undefined;
    for (const [name, digest] of Object.entries(kr?.inputs ?? {})) {
      const ip = inputPath(graph, name);
      if (!ip) continue;
      const covers = ip.path === path || path.startsWith(`${ip.path}/`) || ip.path.startsWith(`${path}/`);
      if (covers) direct.push({id, as: ip.path, digest, current: 'unknown'});
    }
  }
  // Is what they read still what is on disk? (Keys of produced inputs may be semantic digests: only plain sources compare.)
  const now = await ctx.memo.digestPaths([...new Set(direct.map((d) => resolve(graph.root, d.as)))]);
  for (const d of direct) {
    const nd = now.get(resolve(graph.root, d.as));
    const producedSemantic = state.get(ownerOf(graph, d.as)?.id ?? '')?.outputs.some((o) => o.path === d.as && o.semantic === d.digest);
    d.current = !nd || nd.kind === 'missing' ? 'missing' : nd.digest === d.digest || producedSemantic ? 'same' : 'changed';
  }
  const seen = new Set(direct.map((d) => d.id));
  const queue = [...seen];
  while (queue.length) {
    for (const dep of graph.dependents.get(queue.shift()!) ?? []) {
      // Only builds that happened: a declared dependent never built here used nothing yet.
      if (seen.has(dep) || !state.get(dep)) continue;
      seen.add(dep);
      queue.push(dep);
    }
  }
  const directIds = new Set(direct.map((d) => d.id));
  const downstream = graph.order.filter((id) => seen.has(id) && !directIds.has(id));
  const tops = graph.order
    .filter((id) => seen.has(id) && (graph.dependents.get(id) ?? []).length === 0)
    .map((id) => ({id, outputs: graph.nodes.get(id)!.outputs}));
  return {path, producer: ownerOf(graph, path), direct, downstream, tops};
}

export function renderUses(a: UsesAnswer): string {
  const out = [`${a.path}${a.producer ? `  (made by ${a.producer.id})` : ''}`];
  if (!a.direct.length) {
    out.push('  no recorded build in this workspace read it');
    return out.join('\n');
  }
  out.push('  read by:');
  for (const d of a.direct) out.push(`    ${d.id}${d.as !== a.path ? ` (as part of ${d.as})` : ''}${d.current === 'changed' ? ' — it has changed on disk since: that build used an older version' : d.current === 'missing' ? ' — no longer on disk' : ''}`);
  if (a.downstream.length) out.push(`  and, through them: ${a.downstream.join(', ')}`);
  out.push(`  carried into ${a.tops.length} top-level artifact(s):`);
  for (const t of a.tops) out.push(`    ${t.id} → ${t.outputs.join(', ')}`);
  return out.join('\n');
}
