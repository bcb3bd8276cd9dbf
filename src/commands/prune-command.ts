/**
 * `bevbuild cache prune --max-size <size>`: bounds the local store, least recently used first, and
 * drops kept partial runs (resumable training) that no node of the config has the key of any more —
 * a removed sweep point, a changed param. Their keys come from a plan of the whole config; a run of
 * a node the plan cannot key yet is kept. Without a loadable config, only superseded ones go (an
 * older key of a node that has a newer partial run).
 */
import type {Options} from '../cli-options.ts';
import {LocalStore} from '../../cache/local-store.ts';
import {sweepStrayTemps} from '../../cache/stray-temps.ts';
import {workspacePaths} from '../engine/workspace.ts';
import {acquireWorkspaceLock} from '../engine/workspace-lock.ts';
import {openWorkspace} from '../engine/open-workspace.ts';
import {listPartials, mib, orphaned, partialText, superseded, sweepPartials, type PartialRun} from '../engine/resume.ts';
import {computePlan} from './plan.ts';
import {EXIT} from './common.ts';

export async function pruneCommand(opts: Options): Promise<number> {
  const paths = workspacePaths(opts.root);
  const lock = await acquireWorkspaceLock(paths.dir, (pid) => process.stderr.write(`waiting for bevbuild pid ${pid}…\n`));
  if (!lock.ok) {
    process.stderr.write(`bevbuild: ${lock.error.message}\n`);
    return EXIT.failed;
  }
  try {
    const store = new LocalStore(paths.cache);
    await sweepStrayTemps(opts.root, [], paths.cache, {objects: true}); // staging files and downloads of killed builds
    const r = await store.prune({maxSizeBytes: opts.maxSize!});
    const kept = listPartials(paths.dir);
    const drop = kept.length ? await partialRule(opts.root) : {rule: superseded, why: 'superseded'};
    const partial = sweepPartials(paths.dir, drop.rule, kept);
    const line = {type: 'prune', ...r, removedPartialRuns: partial.removed, freedPartialBytes: partial.bytes, partialRuns: partial.runs.map((p) => ({nodeId: p.nodeId ?? null, key: p.key, checkpoint: p.checkpoint ?? null, bytes: p.bytes}))};
    if (opts.json) process.stdout.write(`${JSON.stringify(line)}\n`);
    else {
      process.stderr.write(`removed ${r.removedObjects} object(s) and ${r.removedRecords} record(s), freed ${mib(r.freedBytes)}; store is now ${mib(r.sizeAfter)}${partial.removed ? `; removed ${partial.removed} ${drop.why} partial run(s) (${mib(partial.bytes)}):` : ''}\n`);
      for (const p of partial.runs) process.stderr.write(`  ${partialText(p)}\n`);
    }
    return EXIT.ok;
  } finally {
    lock.value.release();
  }
}

/** Which partial runs go: those of keys no node has now (a plan of the config), else superseded ones. */
async function partialRule(root: string): Promise<{rule: (p: PartialRun, all: PartialRun[]) => boolean; why: string}> {
  const ws = await openWorkspace(root, {log: () => {}, close: () => {}});
  if (!ws.ok) {
    process.stderr.write('the config does not load: only superseded partial runs are pruned (fix it to prune those of removed or changed nodes)\n');
    return {rule: superseded, why: 'superseded'};
  }
  const {keys} = await computePlan(ws.value, ws.value.graph.order);
  return {rule: orphaned(new Set(ws.value.graph.nodes.keys()), keys), why: 'no longer current'};
}
