/**
 * The local executor: runs a node's command with execa in its own process group, so Ctrl-C,
 * timeouts and `--keep-going=false` cancellation kill the tool *and* everything it spawned
 * (torchpack, pip, chunk subprocesses), never leaving orphans that keep writing.
 */
import {createWriteStream} from 'node:fs';
import {fail, ok} from '../result.ts';
import type {Executor} from './job.ts';

const KILL_GRACE_MS = 3000;

export const runLocal: Executor = async (job, signal) => {
  const started = Date.now();
  if (signal.aborted) return fail('cancelled', 'cancelled before start', {nodeId: job.nodeId});
  const log = createWriteStream(job.logFile, {flags: 'a'});
  const [program, ...args] = job.argv;
  if (!program) return fail('spawn-error', 'empty argv', {nodeId: job.nodeId});
  const {execa} = await import('execa'); // loaded on the first run: a no-op build never needs it
  const child = execa(program, args, {
    cwd: job.cwd,
    env: job.env,
    extendEnv: false,
    detached: true, // own process group: kill(-pid) reaches grandchildren
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
  });
  child.all?.on('data', (d: Buffer) => {
    log.write(d);
    job.onOutput?.(d.toString());
  });

  let ended: 'timeout' | 'cancelled' | undefined;
  const killGroup = (why: 'timeout' | 'cancelled') => {
    ended ??= why;
    signalGroup(child.pid, 'SIGTERM');
    setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  const onAbort = () => killGroup('cancelled');
  signal.addEventListener('abort', onAbort, {once: true});
  const timer = job.timeoutMs ? setTimeout(() => killGroup('timeout'), job.timeoutMs) : undefined;

  const result = await child;
  signal.removeEventListener('abort', onAbort);
  clearTimeout(timer);
  // The tool may have left background children in its group: a finished node owns nothing.
  signalGroup(child.pid, 'SIGKILL');
  await new Promise<void>((r) => log.end(r));
  const durationMs = Date.now() - started;

  if (ended === 'timeout') {
    return fail('timeout', `timed out after ${Math.round(job.timeoutMs! / 1000)} s and was killed`, {nodeId: job.nodeId});
  }
  if (ended === 'cancelled') return fail('cancelled', 'cancelled (process group killed)', {nodeId: job.nodeId});
  if (result.failed && result.exitCode === undefined && !result.signal) {
    const code = (result as {code?: string}).code;
    return fail('spawn-error', `could not start ${program}: ${code === 'ENOENT' ? 'not found' : result.message}`, {nodeId: job.nodeId});
  }
  return ok({
    exitCode: result.exitCode ?? (result.signal ? 128 : 1),
    ...(result.signal ? {signal: result.signal} : {}),
    durationMs,
  });
};

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}
