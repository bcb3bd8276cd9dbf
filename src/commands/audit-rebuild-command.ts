/**
 * `bevbuild audit --rebuild <target> [--nodes GLOB]` (issue 11 item 5): can the target be made
 * again? Re-runs its closure (or the nodes matching GLOB; the rest come from the store) in a
 * scratch workspace, ignoring every cache, and compares each rerun's outputs with the recorded
 * ones — bytes first, then meaning — naming the first differing file and field or tensor.
 * Exit 0 when every rerun node is reproducible, 1 otherwise.
 */
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {compareOutputs, inputDrift, type NodeVerdict} from '../audit/compare.ts';
import {rebuildInScratch} from '../audit/rebuild.ts';
import type {Options} from '../cli-options.ts';
import {discoverGpus} from '../engine/resources.ts';
import {createExecutors} from '../executors/registry.ts';
import {globToRegExp} from '../graph/glob.ts';
import {closure} from '../graph/graph.ts';
import {EXIT, makeReporter, openAndSelect, printDiagnostics} from './common.ts';

export async function auditRebuildCommand(opts: Options, signal: AbortSignal): Promise<number> {
  const opened = await openAndSelect(opts, makeReporter(opts, 0), false);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  const ids = closure(ws.graph, targets);
  const pick = opts.nodes === undefined ? undefined : globToRegExp(opts.nodes);
  const chosen = new Set(ids.filter((id) => ws.graph.nodes.get(id)!.cache && (!pick || pick.test(id))));
  const say = (line: string) => (opts.json ? undefined : process.stderr.write(`${line}\n`));
  if (!chosen.size) {
    process.stderr.write(`bevbuild audit --rebuild: no node of ${targets.join(', ')}'s closure matches --nodes ${opts.nodes}\n`);
    return EXIT.usage;
  }
  const unbuilt = ids.filter((id) => !ws.state.get(id));
  if (unbuilt.length) {
    process.stderr.write(`bevbuild audit --rebuild: ${unbuilt.length} node(s) have no good build in this workspace (${unbuilt.slice(0, 4).join(', ')}${unbuilt.length > 4 ? ', …' : ''}); build first: bevbuild ${targets.join(' ')}\n`);
    return EXIT.failed;
  }
  mkdirSync(ws.paths.dir, {recursive: true});
  const scratchDir = mkdtempSync(join(ws.paths.dir, 'audit-'));
  let keep = false;
  try {
    say(`re-running ${chosen.size} node(s) in a scratch workspace, ignoring every cache (${scratchDir})`);
    const settings = {
      gpuIds: ws.config.pools?.gpu ?? discoverGpus().ids,
      passthroughEnv: ws.config.envPassthrough ?? [],
      executors: await createExecutors(),
    };
    const run = await rebuildInScratch(ws, ids, chosen, scratchDir, signal, settings, (id, how) => say(how === 'rerun' ? `↻ rerun     ${id}` : `· recorded  ${id}`));
    if (!run.ok) {
      if (Array.isArray(run.error)) {
        printDiagnostics(run.error, process.cwd(), opts.json);
        return EXIT.usage;
      }
      process.stderr.write(`bevbuild audit --rebuild: ${run.error.message}\n`);
      return EXIT.failed;
    }
    const results: {id: string; verdict: NodeVerdict | undefined; failure?: string}[] = [];
    for (const n of run.value.nodes) {
      if (n.how !== 'rerun') continue;
      if (n.failure) {
        keep = true;
        results.push({id: n.id, verdict: undefined, failure: `${n.failure.message}${n.failure.details?.length ? `\n    ${n.failure.details.slice(-8).join('\n    ')}` : ''}`});
        continue;
      }
      const verdict = compareOutputs(ws.graph.nodes.get(n.id)!, n.recorded, n.rebuilt!, ws.store, run.value.scratch.store);
      // Differing outputs from different sources prove nothing: say the workspace moved on instead.
      const drift = verdict.status === 'not-reproducible' ? inputDrift(ws.state.keyRecord(n.id), n.keyRecord!) : [];
      results.push({id: n.id, verdict: drift.length ? {...verdict, status: 'inputs-changed', hint: `the rerun read other sources than the recorded build (${drift.slice(0, 4).join('; ')}${drift.length > 4 ? '; …' : ''}): build first (\`bevbuild ${targets.join(' ')}\`), then audit`} : verdict});
    }
    const count = (s: string) => results.filter((r) => r.verdict?.status === s).length;
    const failed = results.filter((r) => r.failure).length;
    const summary = {rerun: results.length, reproducible: count('reproducible'), semantically: count('reproducible-semantically'), notReproducible: count('not-reproducible'), inputsChanged: count('inputs-changed'), failed};
    if (opts.json) {
      for (const r of results) process.stdout.write(`${JSON.stringify({type: 'audit-rebuild-node', id: r.id, status: r.verdict?.status ?? 'failed', ...(r.verdict ? {files: r.verdict.files.filter((f) => f.status !== 'identical'), ...(r.verdict.hint ? {hint: r.verdict.hint} : {})} : {message: r.failure})})}\n`);
      process.stdout.write(`${JSON.stringify({type: 'audit-rebuild', targets, ...summary})}\n`);
    } else {
      for (const r of results) process.stdout.write(`${renderNode(r.id, r.verdict, r.failure, ws.graph.nodes.get(r.id)!.rule.nondeterministic)}\n`);
      process.stdout.write(`\n${summary.rerun} node(s) re-run: ${summary.reproducible} byte-identical, ${summary.semantically} equal in meaning (declared nondeterministic), ${summary.notReproducible} not reproducible${summary.inputsChanged ? `, ${summary.inputsChanged} built from changed sources since` : ''}${failed ? `, ${failed} failed (scratch workspace kept: ${scratchDir})` : ''}\n`);
    }
    return summary.notReproducible || summary.inputsChanged || failed ? EXIT.failed : EXIT.ok;
  } finally {
    if (!keep) rmSync(scratchDir, {recursive: true, force: true});
  }
}

function renderNode(id: string, v: NodeVerdict | undefined, failure: string | undefined, why: string | undefined): string {
  if (!v) return `✘ failed                     ${id}: ${failure}`;
  const diffs = v.files.filter((f) => f.status !== 'identical');
  const head =
    v.status === 'reproducible'
      ? `✔ reproducible               ${id}`
      : v.status === 'reproducible-semantically'
        ? `≈ reproducible (semantics)   ${id} — declared nondeterministic: ${why}`
        : v.status === 'inputs-changed'
          ? `? sources changed since      ${id}`
          : `✘ not reproducible           ${id}`;
  return [head, ...diffs.map((f) => `    ${f.path}: ${f.status}${f.detail ? ` — ${f.detail}` : ''}`), ...(v.hint ? [`    hint: ${v.hint}`] : [])].join('\n');
}
