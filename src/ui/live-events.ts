/**
 * Follows the build history (`.bevbuild/history/*.events.ndjson`, written by every build: see
 * `src/reporting/run-history.ts`) and hands each new event to `onEvent` — how a build started in
 * another terminal reaches the page. Polls (a few stats per tick): inotify is not available on
 * every file system a workspace lives on, and a 250 ms delay is invisible next to a tool's runtime.
 * Only complete lines are read; a run still in progress when the follower starts is replayed from
 * its beginning (its pid is alive and it has no summary yet), finished runs are not.
 */
import {closeSync, existsSync, openSync, readSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {processAlive} from '../engine/workspace-lock.ts';
import {listRunIds, parseEventLines} from '../reporting/run-history.ts';

const POLL_MS = 250;
const CHUNK = 1 << 20;

export interface LiveEvent extends Record<string, unknown> {
  type: string;
  runId: string;
}

/** Starts following; returns a function that stops. */
export function followHistory(dir: string, onEvent: (e: LiveEvent) => void): () => void {
  const offsets = new Map<string, number>();
  const sizeOf = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  for (const id of listRunIds(dir)) {
    const f = join(dir, `${id}.events.ndjson`);
    const first = parseEventLines(readRange(f, 0, 4096))[0];
    const running = !existsSync(join(dir, `${id}.summary.json`)) && typeof first?.['pid'] === 'number' && processAlive(first['pid']);
    offsets.set(id, running ? 0 : sizeOf(f));
  }
  const tick = () => {
    for (const id of listRunIds(dir)) {
      const f = join(dir, `${id}.events.ndjson`);
      const from = offsets.get(id) ?? 0;
      if (sizeOf(f) <= from) continue;
      const text = readRange(f, from, CHUNK);
      const cut = text.lastIndexOf('\n');
      if (cut < 0) continue; // no complete line yet
      offsets.set(id, from + Buffer.byteLength(text.slice(0, cut + 1)));
      for (const e of parseEventLines(text.slice(0, cut + 1))) onEvent({...e, type: String(e['type']), runId: id});
    }
  };
  const timer = setInterval(tick, POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Up to `max` bytes of `file` from `from` (empty when it cannot be read). */
function readRange(file: string, from: number, max: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, from);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
