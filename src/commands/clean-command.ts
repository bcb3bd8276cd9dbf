/**
 * `bevbuild clean [targets]`: deletes the workspace copies of outputs (the store keeps them, so
 * the next build restores instead of re-running). `--all` also deletes the store and envs.
 */
import {rmSync} from 'node:fs';
import {resolve} from 'node:path';
import type {Options} from '../cli-options.ts';
import {closure} from '../graph/graph.ts';
import {EXIT, makeReporter, openAndSelect} from './common.ts';

export async function cleanCommand(opts: Options): Promise<number> {
  const opened = await openAndSelect(opts, makeReporter(opts, 0), true);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  const ids = opts.targets.length ? targets : closure(ws.graph, targets);
  let removed = 0;
  for (const id of ids) {
    for (const o of ws.graph.nodes.get(id)!.outputs) {
      rmSync(resolve(ws.graph.root, o), {recursive: true, force: true});
      removed++;
    }
    ws.state.delete(id);
  }
  ws.state.save();
  if (opts.all) rmSync(ws.paths.dir, {recursive: true, force: true});
  process.stderr.write(`removed ${removed} output path(s) of ${ids.length} artifact(s)${opts.all ? ' and the whole .bevbuild/ (store, state, envs, logs)' : '; the store still holds them (next build restores)'}\n`);
  return EXIT.ok;
}
