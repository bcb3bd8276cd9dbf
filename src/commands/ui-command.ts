/**
 * `bevbuild ui [targets]`: serves the graph, its state, validation reports and past runs on
 * 127.0.0.1 until Ctrl-C. The page needs no network: its assets ship in `src/ui/assets/`.
 */
import type {Options} from '../cli-options.ts';
import {startUi} from '../ui/server.ts';
import {EXIT} from './exit-codes.ts';

export async function uiCommand(opts: Options, signal: AbortSignal): Promise<number> {
  const ui = await startUi({
    root: opts.root,
    targets: opts.targets,
    port: opts.port ?? 0,
    allowBuild: opts.allowBuild,
    warn: (m) => process.stderr.write(`bevbuild ui: ${m}\n`),
  });
  if (!ui.ok) {
    process.stderr.write(`bevbuild ui: ${ui.error.message}\n`);
    return EXIT.usage;
  }
  // The URL alone on stdout: scripts (and the tests) read it from the first line.
  process.stdout.write(`${ui.value.url}\n`);
  process.stderr.write(`bevbuild ui: serving ${opts.root} on ${ui.value.url} (loopback only${opts.allowBuild ? '; the page may start builds' : ''}); Ctrl-C stops\n`);
  await new Promise<void>((done) => (signal.aborted ? done() : signal.addEventListener('abort', () => done(), {once: true})));
  await ui.value.close();
  return EXIT.ok;
}
