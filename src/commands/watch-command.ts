/**
 * `bevbuild watch <targets>`: rebuilds when an input changes.
 *
 *   watching ──change──▶ debouncing ──quiet 300 ms──▶ running ──done──▶ watching
 *                          ▲                             │ change
 *                          └─────────── done ──── queued ◀┘
 *
 * A change during a run queues exactly one rerun. An edit of bevbuild.config.ts (or of a file it
 * read while declaring) re-analyses the workspace (a broken config prints its diagnostics and
 * waits for the next edit). Each build says
 * which files changed. bevbuild's own writes never trigger a build: outputs, the directories they
 * live in, the temp siblings a restore renames into place and `.bevbuild/` are ignored.
 */
import watcher from '@parcel/watcher';
import {basename, relative} from 'node:path';
import {isTempSibling} from '../../cache/stray-temps.ts';
import type {Options} from '../cli-options.ts';
import {CONFIG_FILE} from '../config/find-workspace.ts';
import {keepDeclarations} from '../engine/declaration-memo.ts';
import {keepStateOpen} from '../engine/node-state.ts';
import {buildCommand} from './build-command.ts';

const DEBOUNCE_MS = 300;

/** True for a path bevbuild itself writes while building: an output, inside one, or a directory holding one. */
export function ownWrite(rel: string, outputs: Iterable<string>): boolean {
  if (isTempSibling(basename(rel))) return true;
  for (const o of outputs) if (rel === o || rel.startsWith(`${o}/`) || o.startsWith(`${rel}/`)) return true;
  return false;
}

export async function watchCommand(opts: Options, signal: AbortSignal): Promise<number> {
  // A long-lived process, as the daemon: the config is evaluated again only when something it read
  // changed (declaration-memo.ts), the state files parsed again only when written.
  keepDeclarations();
  keepStateOpen();
  let state: 'watching' | 'debouncing' | 'running' | 'queued' = 'debouncing';
  let timer: NodeJS.Timeout | undefined;
  let configChanged = false;
  let ignoredOutputs = new Set<string>();
  const changed = new Set<string>();

  const runOnce = async () => {
    state = 'running';
    const files = [...changed].sort();
    changed.clear();
    const what = files.length ? `${files.slice(0, 5).join(', ')}${files.length > 5 ? ` and ${files.length - 5} more` : ''} changed; ` : '';
    process.stderr.write(`\n[watch] ${what}building ${opts.targets.join(' ')}${configChanged ? ' (config changed: re-analysed)' : ''}\n`);
    const code = await buildCommand({...opts, command: 'build'}, signal, {onGraph: (outs) => (ignoredOutputs = outs)});
    configChanged = false;
    process.stderr.write(`[watch] ${code === 0 ? 'ok' : code === 2 ? 'configuration errors (fix and save)' : 'failed'}; watching for changes… (Ctrl-C to stop)\n`);
    if (signal.aborted) return;
    if ((state as string) === 'queued') schedule();
    else state = 'watching';
  };
  const schedule = () => {
    state = 'debouncing';
    clearTimeout(timer);
    timer = setTimeout(() => void runOnce(), DEBOUNCE_MS);
  };

  const sub = await watcher.subscribe(opts.root, (err, events) => {
    if (err || signal.aborted) return;
    const relevant = events.map((e) => relative(opts.root, e.path)).filter((rel) => !ownWrite(rel, ignoredOutputs));
    if (!relevant.length) return;
    for (const rel of relevant) changed.add(rel);
    if (relevant.includes(CONFIG_FILE)) configChanged = true;
    if (state === 'running' || state === 'queued') state = 'queued';
    else schedule();
  }, {ignore: ['.bevbuild', 'node_modules', '.git', '**/__pycache__']});

  schedule();
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}));
  clearTimeout(timer);
  await sub.unsubscribe();
  return 0;
}
