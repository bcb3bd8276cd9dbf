/**
 * Provenance bundles: the provenance envelopes of a target's closure as JSON lines, each line the
 * exact bytes stored in the content store (so a line's sha256 is the digest other statements cite).
 * Dependencies come before the nodes that consumed them; toolchains (not cached, no record) are
 * described inside their dependents' statements instead.
 */
import type {EngineContext} from '../engine/engine-context.ts';
import {closure} from '../graph/graph.ts';
import {fail, ok, type Result} from '../result.ts';
import {readProvenance, readProvenanceObject, type Provenance} from './reader.ts';

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
  const ids = closure(ctx.graph, targets).filter((id) => ctx.graph.nodes.get(id)!.cache);
  const found = new Map<string, Provenance>();
  const problems = new Map<string, string>();
  for (const id of ids) {
    const st = ctx.state.get(id);
    if (!st) {
      problems.set(id, 'never built in this workspace');
      continue;
    }
    const rec = await ctx.store.readRecord(st.key);
    if (!rec.ok || !rec.value) {
      problems.set(id, `no action record for its last build (${rec.ok ? 'pruned from the store' : rec.error.message})`);
      continue;
    }
    const p = await readProvenance(ctx.store, rec.value);
    if (!p.ok) problems.set(id, p.error.message);
    else if (!p.value) problems.set(id, 'its record has no provenance (recorded before provenance was written)');
    else found.set(id, p.value);
  }
  // Intermediates restored from a remote without their bytes (`--remote-download minimal`) have no
  // local record, but their envelopes came along: follow the digests their consumers cite.
  for (let progress = true; progress && problems.size; ) {
    progress = false;
    for (const id of [...problems.keys()]) {
      const cited = citedDigest([...found.values()], id);
      const p = cited ? await readProvenanceObject(ctx.store, cited, id) : undefined;
      if (p?.ok && p.value) {
        found.set(id, p.value);
        problems.delete(id);
        progress = true;
      }
    }
  }
  if (problems.size) {
    return fail('provenance-incomplete', `no complete provenance for ${targets.join(' ')}; build it first (\`bevbuild ${targets.join(' ')}\`) — a rebuild writes what is missing`, {
      details: [...problems].map(([id, why]) => `${id}: ${why}`),
    });
  }
  return ok(ids.map((id) => ({id, provenance: found.get(id)!})));
}

/** The envelope digest statements cite as `provenance:<id>`. */
function citedDigest(statements: Provenance[], id: string): string | undefined {
  for (const p of statements) {
    const dep = p.statement.predicate.buildDefinition.resolvedDependencies.find((d) => d.name === `provenance:${id}`);
    if (dep?.digest?.['sha256']) return dep.digest['sha256'];
  }
  return undefined;
}

/** The bundle text: one envelope per line. */
export function bundleText(entries: BundleEntry[]): string {
  return entries.map((e) => `${e.provenance.text}\n`).join('');
}
