/**
 * Follows a node's log while its tool runs (`--stream`/`-v`): new complete lines are handed to
 * `onLine` as they appear. Reading the log file, not the tool's pipes, works the same for every
 * executor (a SLURM job writes its log on shared storage) and leaves the log the single record.
 */
import {closeSync, openSync, readSync, statSync} from 'node:fs';
import {StringDecoder} from 'node:string_decoder';

export interface LogFollower {
  /** Reads what is left (the last line even without a newline) and stops. */
  stop(): void;
}

/** Starts following `file` from byte `from` (default: its current end), polling every `everyMs`. */
export function followLog(file: string, onLine: (line: string) => void, opts: {from?: number; everyMs?: number} = {}): LogFollower {
  let offset = opts.from ?? sizeOf(file);
  let partial = '';
  const buf = Buffer.alloc(64 * 1024);
  const decoder = new StringDecoder('utf8'); // a character split between two reads stays whole
  const drain = (final: boolean) => {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return; // not created yet (a queued SLURM job)
    }
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        partial += decoder.write(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
    const lines = partial.split('\n');
    partial = final ? '' : lines.pop()!;
    for (const line of final && lines.at(-1) === '' ? lines.slice(0, -1) : lines) onLine(line.replace(/\r$/, ''));
  };
  const timer = setInterval(() => drain(false), opts.everyMs ?? 200);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      drain(true);
    },
  };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
