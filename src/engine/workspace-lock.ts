/**
 * One building bevbuild process per workspace. A second one waits (and says so) instead of
 * corrupting the first one's staging, state and store writes. The lock is a directory holding
 * the owner's pid; it appears complete or not at all (made under a temp name, then renamed), so
 * a full disk can never leave a lock without a pid. A lock whose process is gone, or was started
 * after the lock was made (a reused pid), or that holds no pid (older versions), is taken over.
 * Waiting ends at once on Ctrl-C.
 */
import {mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {describeIoError} from './io-failure.ts';
import {fail, ok, type Failure, type Result} from '../result.ts';

export interface WorkspaceLock {
  release(): void;
}

/** Takes the workspace lock in `dir` (`.bevbuild/`), waiting while a live bevbuild holds it. */
export async function acquireWorkspaceLock(dir: string, onWait: (pid: number) => void, signal?: AbortSignal): Promise<Result<WorkspaceLock, Failure>> {
  const lockDir = join(dir, 'lock');
  let told = false;
  for (;;) {
    if (signal?.aborted) return fail('cancelled', 'interrupted while waiting for the workspace lock');
    const made = tryCreate(dir, lockDir);
    if (!made.ok) return made;
    if (made.value) {
      const release = () => rmSync(lockDir, {recursive: true, force: true});
      process.once('exit', release);
      return ok({release: () => {
        process.removeListener('exit', release);
        release();
      }});
    }
    const pid = readPid(lockDir);
    if (pid === undefined || !holds(pid, lockDir)) {
      rmSync(lockDir, {recursive: true, force: true}); // stale: its owner is gone
      continue;
    }
    if (!told) {
      onWait(pid);
      told = true;
    }
    await sleep(100, undefined, signal ? {signal} : {}).catch(() => undefined);
  }
}

/** ok(true): the lock is ours; ok(false): someone holds it; a failure: it cannot be written. */
function tryCreate(dir: string, lockDir: string): Result<boolean, Failure> {
  const tmp = join(dir, `.lock-${process.pid}`);
  try {
    mkdirSync(dir, {recursive: true});
    rmSync(tmp, {recursive: true, force: true});
    mkdirSync(tmp);
    writeFileSync(join(tmp, 'pid'), String(process.pid));
    renameSync(tmp, lockDir);
    return ok(true);
  } catch (e) {
    rmSync(tmp, {recursive: true, force: true});
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return ok(false);
    return fail('io-error', `cannot create the workspace lock in ${dir}: ${describeIoError(e as NodeJS.ErrnoException)}`);
  }
}

function readPid(lockDir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` is alive and older than the lock (else the pid was reused). */
function holds(pid: number, lockDir: string): boolean {
  if (!processAlive(pid)) return false;
  const started = processStartMs(pid);
  if (started === undefined) return true;
  try {
    return started <= statSync(lockDir).mtimeMs + 5000; // slack: btime has 1 s resolution
  } catch {
    return true; // released just now: the next round takes it
  }
}

/** When `pid` started (ms since the epoch), from /proc on Linux; undefined elsewhere. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + ticks * 10 : undefined; // USER_HZ = 100
  } catch {
    return undefined;
  }
}

/** Whether a process (or, with a negative pid, a process group) exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
