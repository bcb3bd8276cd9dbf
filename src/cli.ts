/**
 * The `bevbuild` command. Parses options, dispatches to a command, and turns Ctrl-C into a clean
 * cancellation (process groups killed, nothing half-done recorded). Never throws to the user:
 * unexpected errors are bugs and are printed with their stack and exit code 1.
 */
import {readFileSync} from 'node:fs';
import {HELP, parseOptions} from './cli-options.ts';
import {EXIT} from './commands/exit-codes.ts';
import {unreachable} from './result.ts';
import {mark} from './timing.ts';

/** The command `argv` runs (undefined when it does not parse): the bin keys its code cache on it. */
export function commandOf(argv: string[]): string | undefined {
  const parsed = parseOptions(argv);
  return parsed.ok ? parsed.value.command : undefined;
}

export async function main(argv: string[]): Promise<number> {
  mark('engine loaded');
  const parsed = parseOptions(argv);
  if (!parsed.ok) {
    process.stderr.write(`bevbuild: ${parsed.error.message}\n`);
    return EXIT.usage;
  }
  const opts = parsed.value;
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\ninterrupted: stopping running tools (Ctrl-C again to exit at once)…\n');
      abort.abort();
    } else process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal); // a closed terminal: stop tools and record nothing, like Ctrl-C
  try {
    switch (opts.command) {
      case 'help': {
        const topic = opts.helpTopic && (await import('./command-help.ts')).COMMAND_HELP[opts.helpTopic];
        process.stdout.write(`${topic || HELP}\n`);
        return EXIT.ok;
      }
      case 'version': {
        const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version: string};
        process.stdout.write(`bevbuild ${pkg.version} (node ${process.version})\n`);
        return EXIT.ok;
      }
      case 'build':
        // Nothing changed since the last no-op: answer from its stamp, loading neither config nor engine.
        return (await (await import('./engine/noop-stamp.ts')).replayNoop(opts)) ??
          (await (await import('./commands/build-command.ts')).buildCommand(opts, abort.signal));
      case 'status':
        return await (await import('./commands/status-command.ts')).statusCommand(opts);
      case 'why':
        return await (await import('./commands/why-command.ts')).whyCommand(opts);
      case 'graph':
        return await (await import('./commands/graph-command.ts')).graphCommand(opts);
      case 'clean':
        return await (await import('./commands/clean-command.ts')).cleanCommand(opts);
      case 'cache':
        return await (await import('./commands/prune-command.ts')).pruneCommand(opts);
      case 'audit':
        if (opts.rebuild) return await (await import('./commands/audit-rebuild-command.ts')).auditRebuildCommand(opts, abort.signal);
        return await (await import('./commands/audit-command.ts')).auditCommand(opts);
      case 'lineage':
        return await (await import('./commands/lineage-command.ts')).lineageCommand(opts);
      case 'provenance':
        return await (await import('./commands/provenance-command.ts')).provenanceCommand(opts);
      case 'verify':
        return await (await import('./commands/verify-command.ts')).verifyCommand(opts);
      case 'ui':
        return await (await import('./commands/ui-command.ts')).uiCommand(opts, abort.signal);
      case 'watch':
        // @parcel/watcher is loaded only here: a plain build never pays for it.
        return await (await import('./commands/watch-command.ts')).watchCommand(opts, abort.signal);
      default:
        return unreachable(opts.command);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}
