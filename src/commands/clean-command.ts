/**
 * `bevbuild clean [targets]`: deletes the workspace copies of outputs (the store keeps them, so
 * the next build restores instead of re-running). `--all` also deletes the store and envs.
 * Kept partial runs of the cleaned nodes (resumable training, `.bevbuild/partial/`) go too, also
 * of a node id no longer in the config (`clean train/x@lr=2` after that sweep point was removed).
 * Both take the workspace lock first: deleting the store, state or envs under a running build
 * would break it, so clean waits for that build to finish (and says so).
 */
import {readdirSync, rmSync, rmdirSync} from 'node:fs';
import {join, resolve} from 'node:path';
import type {Options} from '../cli-options.ts';
import {workspacePaths} from '../engine/workspace.ts';
import {acquireWorkspaceLock} from '../engine/workspace-lock.ts';
import {listPartials, mib, partialText, sweepPartials} from '../engine/resume.ts';
import {sweepStrayTemps} from '../../cache/stray-temps.ts';
import {closure} from '../graph/graph.ts';
import {EXIT, makeReporter, openAndSelect} from './common.ts';

export async function cleanCommand(opts: Options): Promise<number> {
  const paths = workspacePaths(opts.root);
  // Before the workspace is opened: its state must be read after the running build saved it.
  const lock = await acquireWorkspaceLock(paths.dir, (pid) =>
    process.stderr.write(`another bevbuild (pid ${pid}) is using this workspace; clean waits for it to finish (Ctrl-C to give up)\n`));
  if (!lock.ok) {
    process.stderr.write(`bevbuild: ${lock.error.message}\n`);
    return EXIT.failed;
  }
  try {
    // An id since removed from the config (a dropped sweep point) may still have kept partial runs:
    // `clean <that id>` reaches them rather than calling the id unknown.
    const kept = listPartials(paths.dir);
    const keptFor = new Set(kept.flatMap((p) => (p.nodeId === undefined ? [] : [p.nodeId])));
    const opened = await openAndSelect(opts, makeReporter(opts, 0), true, keptFor);
    if (typeof opened === 'number') return opened;
    const {ws, targets, absent} = opened;
    const ids = opts.targets.length ? targets : closure(ws.graph, targets);
    let removed = 0;
    for (const id of ids) {
      for (const o of ws.graph.nodes.get(id)!.outputs) {
        rmSync(resolve(ws.graph.root, o), {recursive: true, force: true});
        removed++;
      }
      ws.state.delete(id);
    }
    await sweepStrayTemps(ws.graph.root, ids.flatMap((id) => ws.graph.nodes.get(id)!.outputs), ws.store.root); // leftovers of killed builds
    ws.state.save();
    const cleaned = new Set([...ids, ...absent]);
    const partial = sweepPartials(paths.dir, (p) => p.nodeId !== undefined && cleaned.has(p.nodeId), kept);
    const removedRuns = `removed ${partial.removed} partial run(s) (${mib(partial.bytes)}): ${partial.runs.map(partialText).join(', ')}`;
    if (ids.length === 0 && absent.length > 0 && !opts.all) {
      // Only ids gone from the config: their partial runs were all there was to remove.
      process.stderr.write(`${removedRuns}\n`);
      return EXIT.ok;
    }
    const partialNote = partial.removed ? `; ${removedRuns}` : '';
    // Everything but the lock we hold (and a waiting process's half-made one); the emptied directory
    // goes when the lock is released.
    if (opts.all) for (const name of readdirSync(paths.dir)) if (name !== 'lock' && !name.startsWith('.lock-')) rmSync(join(paths.dir, name), {recursive: true, force: true});
    process.stderr.write(`removed ${removed} output path(s) of ${ids.length} artifact(s)${partialNote}${opts.all ? ' and the whole .bevbuild/ (store, state, envs, logs)' : '; the store still holds them (next build restores)'}\n`);
    return EXIT.ok;
  } finally {
    lock.value.release();
    if (opts.all) {
      try {
        rmdirSync(paths.dir); // not if another bevbuild took the lock the moment it was released
      } catch {
        // not empty: in use again
      }
    }
  }
}
