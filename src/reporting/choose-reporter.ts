/** The reporter a command's options ask for (its own module: the no-op fast path loads only this). */
import type {Options} from '../cli-options.ts';
import type {Reporter} from './events.ts';
import {jsonReporter} from './json-reporter.ts';
import {textReporter} from './text-reporter.ts';
import {colorEnabled} from './color.ts';

/** NDJSON on stdout with `--json`; else text on stderr (live lines on a TTY outside CI). */
export function makeReporter(opts: Pick<Options, 'json' | 'verbose'>, total: number): Reporter {
  if (opts.json) return jsonReporter();
  const tty = Boolean(process.stderr.isTTY) && !process.env['CI'];
  return textReporter({total, tty, verbose: opts.verbose, color: colorEnabled(process.stderr)});
}
