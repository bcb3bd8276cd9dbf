/** `--json`: one JSON object per line on stdout (NDJSON); nothing else goes to stdout. */
import type {BuildEvent, Reporter} from './events.ts';

export function jsonReporter(write: (s: string) => void = (s) => process.stdout.write(s)): Reporter {
  return {
    log(e: BuildEvent) {
      write(`${JSON.stringify(e)}\n`);
    },
    close() {},
  };
}
