/**
 * `bevbuild why <target>`: why the target would rebuild, following stale dependencies down to
 * the root causes (nodes stale for their own reasons, not because something below them is).
 */
import type {Options} from '../cli-options.ts';
import {EXIT, makeReporter, openAndSelect} from './common.ts';
import {computePlan, type PlanEvent} from './plan.ts';
import {semanticCutoffs} from '../engine/semantic-outputs.ts';

export async function whyCommand(opts: Options): Promise<number> {
  const opened = await openAndSelect(opts, makeReporter(opts, 0), false);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  const {plan} = await computePlan(ws, targets);
  const out: string[] = [];
  const roots = new Map<string, PlanEvent>();
  const seen = new Set<string>();
  const walk = (id: string, depth: number) => {
    const e = plan.get(id);
    if (!e || e.action === 'fresh' || seen.has(id)) return;
    seen.add(id);
    const verdict = e.action === 'restore' ? 'would restore' : e.mayCutOff ? 'may run (unless what it waits for comes out unchanged)' : 'would run';
    out.push(`${'  '.repeat(depth)}${id}: ${verdict} — ${e.reasons.join('; ')}`);
    const staleDeps = ws.graph.nodes.get(id)!.deps.filter((d) => plan.get(d) && plan.get(d)!.action === 'run');
    // A stale node with reasons of its own (not only "a dependency will run") is a root cause.
    const own = e.reasons.filter((r) => !r.startsWith('dependency-will-run'));
    if (staleDeps.length === 0 || own.length) roots.set(id, {...e, reasons: own.length ? own : e.reasons});
    for (const d of staleDeps) walk(d, depth + 1);
  };
  for (const t of targets) {
    const e = plan.get(t);
    if (!e || e.action === 'fresh') {
      out.push(`${t}: fresh — its outputs match the last good build; nothing to do`);
      for (const c of semanticCutoffs(ws, t)) out.push(`  ${c} (early cutoff)`);
    }
    else walk(t, 0);
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({type: 'why', targets, chain: [...seen].map((id) => plan.get(id)), rootCauses: [...roots.keys()]})}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (roots.size) {
    process.stdout.write(`\nroot cause${roots.size > 1 ? 's' : ''}:\n`);
    for (const [id, e] of roots) process.stdout.write(`  ${id}: ${e.reasons.join('; ')}\n`);
    if ([...seen].some((id) => plan.get(id)!.reasons.some((r) => r.startsWith('dependency-will-run')))) {
      process.stdout.write(`\n"dependency-will-run" nodes are re-checked after their dependency ran: if its outputs come out byte-identical they stay fresh (early cutoff).\n`);
    }
  }
  return EXIT.ok;
}
