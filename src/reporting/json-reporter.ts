/** `--json`: one JSON object per line on stdout (NDJSON); nothing else goes to stdout. */
import {eventJson, type BuildEvent, type Reporter} from './events.ts';

export function jsonReporter(write: (s: string) => void = (s) => process.stdout.write(s)): Reporter {
  return {
    log(e: BuildEvent) {
      write(`${JSON.stringify(eventJson(e))}\n`);
    },
    close() {},
  };
}
