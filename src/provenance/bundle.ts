/**
 * Provenance bundles: the provenance envelopes of a target's closure as JSON lines, each line the
 * exact bytes stored in the content store (so a line's sha256 is the digest other statements cite).
 * Dependencies come before the nodes that consumed them; toolchains (not cached, no record) are
 * described inside their dependents' statements instead.
 */
import type {EngineContext} from '../engine/engine-context.ts';
import {closure} from '../graph/graph.ts';
import {fail, ok, type Result} from '../result.ts';
import {readProvenance, type Provenance} from './reader.ts';

/** One node's entry in a bundle. */
export interface BundleEntry {
  id: string;
  provenance: Provenance;
}

/**
 * The provenance of every cached node in the closure of `targets`, from the local store. Fails,
 * naming the nodes, when one was never built here or its record has no provenance (built by a
 * bevbuild before provenance existed): `bevbuild <target>` then rebuilds or restores it.
 */
export async function closureProvenance(ctx: EngineContext, targets: string[]): Promise<Result<BundleEntry[]>> {
  const entries: BundleEntry[] = [];
  const problems: string[] = [];
  for (const id of closure(ctx.graph, targets)) {
    const node = ctx.graph.nodes.get(id)!;
    if (!node.cache) continue;
    const st = ctx.state.get(id);
    if (!st) {
      problems.push(`${id}: never built in this workspace`);
      continue;
    }
    const rec = await ctx.store.readRecord(st.key);
    if (!rec.ok || !rec.value) {
      problems.push(`${id}: no action record for its last build (${rec.ok ? 'pruned from the store' : rec.error.message})`);
      continue;
    }
    const p = await readProvenance(ctx.store, rec.value);
    if (!p.ok) problems.push(`${id}: ${p.error.message}`);
    else if (!p.value) problems.push(`${id}: its record has no provenance (recorded before provenance was written)`);
    else entries.push({id, provenance: p.value});
  }
  if (problems.length) {
    return fail('provenance-incomplete', `no complete provenance for ${targets.join(' ')}; build it first (\`bevbuild ${targets.join(' ')}\`) — a rebuild writes what is missing`, {details: problems});
  }
  return ok(entries);
}

/** The bundle text: one envelope per line. */
export function bundleText(entries: BundleEntry[]): string {
  return entries.map((e) => `${e.provenance.text}\n`).join('');
}
