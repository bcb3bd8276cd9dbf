/**
 * `bevbuild watch <targets>`: rebuilds when an input changes.
 *
 *   watching ──change──▶ debouncing ──quiet 300 ms──▶ running ──done──▶ watching
 *                          ▲                             │ change
 *                          └─────────── done ──── queued ◀┘
 *
 * A change during a run queues exactly one rerun. An edit of bevbuild.config.ts re-analyses the
 * workspace (a broken config prints its diagnostics and waits for the next edit). Outputs and
 * `.bevbuild/` are ignored, so a build never triggers itself.
 */
import watcher from '@parcel/watcher';
import {relative} from 'node:path';
import type {Options} from '../cli-options.ts';
import {CONFIG_FILE} from '../config/load-config.ts';
import {buildCommand} from './build-command.ts';

const DEBOUNCE_MS = 300;

export async function watchCommand(opts: Options, signal: AbortSignal): Promise<number> {
  let state: 'watching' | 'debouncing' | 'running' | 'queued' = 'debouncing';
  let timer: NodeJS.Timeout | undefined;
  let fresh = false;
  let ignoredOutputs = new Set<string>();

  const runOnce = async () => {
    state = 'running';
    process.stderr.write(`\n[watch] building ${opts.targets.join(' ')}${fresh ? ' (config changed: re-analysed)' : ''}\n`);
    const code = await buildCommand({...opts, command: 'build'}, signal, {fresh, onGraph: (outs) => (ignoredOutputs = outs)});
    fresh = false;
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
    const relevant = events.filter((e) => {
      const rel = relative(opts.root, e.path);
      return ![...ignoredOutputs].some((o) => rel === o || rel.startsWith(`${o}/`));
    });
    if (!relevant.length) return;
    if (relevant.some((e) => relative(opts.root, e.path) === CONFIG_FILE)) fresh = true;
    if (state === 'running' || state === 'queued') state = 'queued';
    else schedule();
  }, {ignore: ['.bevbuild', 'node_modules', '.git', '**/__pycache__']});

  schedule();
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}));
  clearTimeout(timer);
  await sub.unsubscribe();
  return 0;
}
