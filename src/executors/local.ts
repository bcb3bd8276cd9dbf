/**
 * The local executor: runs a node's command in its own process group, so Ctrl-C,
 * timeouts and `--keep-going=false` cancellation kill the tool *and* everything it spawned
 * (torchpack, pip, chunk subprocesses), never leaving orphans that keep writing.
 *
 * Tools die with bevbuild even when bevbuild cannot clean up (kill -9, a crash, SIGHUP's default
 * action): every tool is started through a tiny `sh` supervisor that holds the read end of a
 * pipe whose only writer is this process. When bevbuild dies the kernel closes that pipe, the
 * supervisor's watcher reads EOF and kills the whole process group (DESIGN.md decision 14).
 * Node cannot call prctl(PR_SET_PDEATHSIG), and a parent-death signal would reach only the direct
 * child anyway, not the tool's own children.
 */
import {spawn} from 'node:child_process';
import {accessSync, constants, createWriteStream} from 'node:fs';
import {delimiter, isAbsolute, join, resolve} from 'node:path';
import {describeIoError} from '../engine/io-failure.ts';
import {nodeFailure} from '../engine/node-failure.ts';
import {ok} from '../result.ts';
import type {Executor} from './job.ts';

const KILL_GRACE_MS = 3000;

/**
 * `sh -c SUPERVISOR bevbuild-supervisor <argv…>`: moves the liveness pipe (stdin) to fd 3, starts
 * a watcher that kills the process group (`kill 0`) on EOF, then execs the tool in place, so the
 * tool keeps the group leader's pid and its own exit status. A normal end kills the group
 * (watcher included) from `runLocal`.
 */
const SUPERVISOR = 'exec 3<&0 </dev/null; (read _ <&3; kill -s KILL 0) >/dev/null 2>&1 & exec "$@" 3<&-';

export const runLocal: Executor = async (job, signal) => {
  const started = Date.now();
  if (signal.aborted) return nodeFailure(job.nodeId, {kind: 'cancelled', before: 'start'});
  const [program, ...args] = job.argv;
  if (!program) return nodeFailure(job.nodeId, {kind: 'spawn-error', program: '', error: 'empty argv'});
  if (!findProgram(program, job.cwd, job.env['PATH'])) return nodeFailure(job.nodeId, {kind: 'spawn-error', program, error: 'not found'});
  const log = createWriteStream(job.logFile, {flags: 'a'});
  let logError: NodeJS.ErrnoException | undefined;
  // node:child_process, not execa: loading execa cost ~100 ms of every build that runs a tool.
  const child = spawn('/bin/sh', ['-c', SUPERVISOR, 'bevbuild-supervisor', program, ...args], {
    cwd: job.cwd,
    env: job.env,
    detached: true, // own process group: kill(-pid) reaches grandchildren
    // stdin is the liveness pipe: never written, closed by the kernel when bevbuild dies
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.on('error', () => {}); // never written; nothing to report
  if (child.pid) job.onStart?.(child.pid);
  // Stream stdout and stderr, interleaved as they come, to the log with backpressure: a tool
  // printing gigabytes costs disk, not memory.
  const outs = [child.stdout, child.stderr];
  const pauseOutput = () => outs.forEach((o) => o.pause());
  const resumeOutput = () => outs.forEach((o) => o.resume());
  const onData = (d: Buffer) => {
    job.onOutput?.(d.toString());
    if (logError) return;
    if (!log.write(d)) {
      pauseOutput();
      log.once('drain', resumeOutput);
    }
  };
  for (const o of outs) o.on('data', onData);
  // 'close': the tool ended and its output is all read; 'error': it could not be started.
  const result = new Promise<{code: number | null; signal: NodeJS.Signals | null} | {error: Error}>((res) => {
    child.once('error', (error) => res({error}));
    child.once('close', (code, signal) => res({code, signal}));
  });

  let ended: 'timeout' | 'cancelled' | 'log' | undefined;
  const killGroup = (why: 'timeout' | 'cancelled' | 'log') => {
    ended ??= why;
    signalGroup(child.pid, 'SIGTERM');
    setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  // The log cannot be written (disk full, read-only): the run's output would be lost and the
  // node's outputs likely cannot be stored either, so stop the tool and say why.
  log.on('error', (e: NodeJS.ErrnoException) => {
    logError ??= e;
    resumeOutput();
    killGroup('log');
  });
  const onAbort = () => killGroup('cancelled');
  signal.addEventListener('abort', onAbort, {once: true});
  const timer = job.timeoutMs ? setTimeout(() => killGroup('timeout'), job.timeoutMs) : undefined;

  const ran = await result;
  child.stdin.destroy();
  signal.removeEventListener('abort', onAbort);
  clearTimeout(timer);
  // The tool may have left background children in its group: a finished node owns nothing.
  signalGroup(child.pid, 'SIGKILL');
  await new Promise<void>((r) => (log.destroyed ? r() : log.end(r)));
  const durationMs = Date.now() - started;

  if (logError) {
    return nodeFailure(job.nodeId, {kind: 'io-error', log: job.logFile, error: describeIoError(logError)});
  }
  if (ended === 'timeout') {
    return nodeFailure(job.nodeId, {kind: 'timeout', by: 'bevbuild', limitMs: job.timeoutMs!});
  }
  if (ended === 'cancelled') return nodeFailure(job.nodeId, {kind: 'cancelled', by: 'bevbuild'});
  if ('error' in ran) return nodeFailure(job.nodeId, {kind: 'spawn-error', program, error: ran.error.message});
  return ok({
    exitCode: ran.code ?? (ran.signal ? 128 : 1),
    ...(ran.signal ? {signal: ran.signal} : {}),
    durationMs,
  });
};

/** Whether `program` can be executed: a path (relative to `cwd`) or a name found on `PATH`. */
function findProgram(program: string, cwd: string, path: string | undefined): boolean {
  const executable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return executable(isAbsolute(program) ? program : resolve(cwd, program));
  // No PATH: the shell's default search path, as `exec` would use.
  return (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).some((dir) => dir !== '' && executable(join(resolve(cwd, dir), program)));
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}
