/**
 * Carrying out a node's decision in a real build: a fresh node is only remembered, a cached one is
 * restored (or, with `--remote-download minimal`, restored by record only and fetched when needed),
 * anything else — or a restore that fails — runs the tool.
 */
import type {OutputEntry} from '../../cache/local-store.ts';
import type {BuildRun, Keyed, Outcome} from './build-run.ts';
import type {Decision} from './decide.ts';
import {execute} from './execute-node.ts';
import {restoreRecord} from './restore.ts';

/** Makes a decided node true on disk (or promises to, for a minimal remote restore); its outcome. */
export async function carryOut(run: BuildRun, keyed: Keyed, decision: Decision): Promise<Outcome> {
  const {ctx, reporter} = run;
  const {node, key} = keyed;
  if (decision.action === 'fresh') {
    // Outputs adopted under a new id (a renamed node): remember them, so the next build is a plain no-op.
    if (ctx.state.get(node.id)?.key !== key) run.record(keyed, decision.outputs);
    reporter.log({type: 'done', id: node.id, status: 'fresh', durationMs: 0});
    return run.finish(node.id, {status: 'fresh', outputs: decision.outputs});
  }

  if (decision.action === 'restore' && decision.from === 'remote' && ctx.remote?.download === 'minimal' && !run.targets.has(node.id)) {
    // Build without the bytes: an intermediate the remote has is only fetched if a node that
    // must run needs it on disk (see `materializeInputs`). Its outputs' digests are known from
    // the record, which is all dependents' keys need.
    const d = decision;
    run.pendingFetch.set(node.id, async () => {
      if (await restoreRecord(ctx, node, d.record, d.from)) {
        run.record(keyed, d.record.outputs);
        return {ok: true, changed: false};
      }
      run.counts.restored--; // counted again as what the local run ends as
      const ran = await execute(run, keyed, [...d.reasons, {kind: 'remote-object-unavailable'}]);
      if (ran.status !== 'executed') return {ok: false, changed: false};
      return {ok: true, changed: digestsOf(ran.outputs) !== digestsOf(d.record.outputs)};
    });
    reporter.log({type: 'done', id: node.id, status: 'restored', durationMs: 0});
    return run.finish(node.id, {status: 'restored', outputs: d.record.outputs});
  }

  run.forget(node);
  if (decision.action === 'restore') {
    const t0 = Date.now();
    reporter.log({type: 'start', id: node.id, action: 'restore', reasons: [...decision.reasons, {kind: 'from-cache', cache: decision.from}]});
    if (await restoreRecord(ctx, node, decision.record, decision.from)) {
      run.record(keyed, decision.record.outputs);
      reporter.log({type: 'done', id: node.id, status: 'restored', durationMs: Date.now() - t0});
      return run.finish(node.id, {status: 'restored', outputs: decision.record.outputs});
    }
    // restoreRecord warned (or the remote bridge did, once per build); the tool runs instead.
  }
  return execute(run, keyed, decision.action === 'run' ? decision.reasons : [...decision.reasons, {kind: 'cache-entry-unusable'}]);
}

/** The output digests of a node, for comparing a local rebuild with a remote record. */
const digestsOf = (outputs: OutputEntry[]) => outputs.map((o) => `${o.path}\0${o.digest}`).sort().join('\n');
