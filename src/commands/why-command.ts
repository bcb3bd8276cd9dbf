/**
 * `bevbuild why <target>`: why the target would rebuild, following stale dependencies down to
 * the root causes (nodes stale for their own reasons, not because something below them is).
 */
import type {Options} from '../cli-options.ts';
import {EXIT, makeReporter, openAndSelect} from './common.ts';
import {computePlan, type PlanEvent} from './plan.ts';
import {semanticCutoffs} from '../engine/semantic-outputs.ts';
import type {Graph} from '../graph/graph.ts';
import {eventJson, reasonsText, resumeText} from '../reporting/events.ts';
import {reasonText} from '../engine/rebuild-reason.ts';

export async function whyCommand(opts: Options): Promise<number> {
  const opened = await openAndSelect(opts, makeReporter(opts, 0), false);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  const {plan} = await computePlan(ws, targets);
  const {entries, roots} = explainWhy(ws.graph, plan, targets);
  const seen = entries.filter((x) => x.verdict !== 'fresh').map((x) => x.id);
  const out: string[] = [];
  for (const x of entries) {
    if (x.verdict === 'fresh') {
      out.push(`${x.id}: fresh — its outputs match the last good build; nothing to do`);
      for (const c of semanticCutoffs(ws, x.id)) out.push(`  ${c} (early cutoff)`);
    } else out.push(`${'  '.repeat(x.depth)}${x.id}: ${x.verdict} — ${x.reasons.join('; ')}`);
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({type: 'why', targets, chain: seen.map((id) => eventJson(plan.get(id)!)), rootCauses: [...roots.keys()]})}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (roots.size) {
    process.stdout.write(`\nroot cause${roots.size > 1 ? 's' : ''}:\n`);
    for (const [id, e] of roots) process.stdout.write(`  ${id}: ${reasonsText(e.reasons)}\n`);
    if (seen.some((id) => plan.get(id)!.reasons.some((r) => r.kind === 'dependency-will-run'))) {
      process.stdout.write(`\n"dependency-will-run" nodes are re-checked after their dependency ran: if its outputs come out byte-identical they stay fresh (early cutoff).\n`);
    }
  }
  return EXIT.ok;
}

/** One line of the why tree: a stale node (indented under what waits for it) or a fresh target; `reasons` in words. */
export interface WhyEntry {
  id: string;
  depth: number;
  verdict: 'fresh' | 'would restore' | 'would run' | 'may run (unless what it waits for comes out unchanged)';
  reasons: string[];
}

/**
 * The why tree of `targets` (stale dependencies under the nodes waiting for them, each once) and
 * its root causes: stale nodes with reasons of their own, not only "a dependency will run".
 * Shared by `bevbuild why` and the node panel of `bevbuild ui`.
 */
export function explainWhy(graph: Graph, plan: ReadonlyMap<string, PlanEvent>, targets: string[]): {entries: WhyEntry[]; roots: Map<string, PlanEvent>} {
  const entries: WhyEntry[] = [];
  const roots = new Map<string, PlanEvent>();
  const seen = new Set<string>();
  const walk = (id: string, depth: number) => {
    const e = plan.get(id);
    if (!e || e.action === 'fresh' || seen.has(id)) return;
    seen.add(id);
    const verdict = e.action === 'restore' ? 'would restore' : e.mayCutOff ? 'may run (unless what it waits for comes out unchanged)' : 'would run';
    entries.push({id, depth, verdict, reasons: [...e.reasons.map(reasonText), ...(e.resume ? [resumeText(e.resume)] : [])]});
    const staleDeps = graph.nodes.get(id)!.deps.filter((d) => plan.get(d) && plan.get(d)!.action === 'run');
    // A stale node with reasons of its own (not only "a dependency will run") is a root cause.
    const own = e.reasons.filter((r) => r.kind !== 'dependency-will-run');
    if (staleDeps.length === 0 || own.length) roots.set(id, {...e, reasons: own.length ? own : e.reasons});
    for (const d of staleDeps) walk(d, depth + 1);
  };
  for (const t of targets) {
    const e = plan.get(t);
    if (!e || e.action === 'fresh') entries.push({id: t, depth: 0, verdict: 'fresh', reasons: []});
    else walk(t, 0);
  }
  return {entries, roots};
}
