/**
 * One building bevbuild process per workspace. A second one waits (and says so) instead of
 * corrupting the first one's staging, state and store writes. The lock is a directory created
 * atomically with mkdir; it holds the owner's pid so a lock left by a killed process is taken over.
 */
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

export interface WorkspaceLock {
  release(): void;
}

export async function acquireWorkspaceLock(dir: string, onWait: (pid: number) => void): Promise<WorkspaceLock> {
  const lockDir = join(dir, 'lock');
  mkdirSync(dir, {recursive: true});
  let told = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      const release = () => rmSync(lockDir, {recursive: true, force: true});
      process.once('exit', release);
      return {release: () => {
        process.removeListener('exit', release);
        release();
      }};
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = readPid(lockDir);
    if (pid !== undefined && !alive(pid)) {
      rmSync(lockDir, {recursive: true, force: true});
      continue;
    }
    if (!told && pid !== undefined) {
      onWait(pid);
      told = true;
    }
    await sleep(100);
  }
}

function readPid(lockDir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined; // being created right now: wait a tick
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
