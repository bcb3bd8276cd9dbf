/**
 * Python virtual environments for tests that need real Python tools (numpy, onnx, OpenVINO, NNCF).
 * Each venv is made once from a pinned requirements file under `.bevbuild-test/envs/` of the repo
 * and reused by later test files and runs (keyed by the requirements' content). The test command
 * makes it before any suite starts (test/util/prereqs.ts); a suite run alone makes it on first use.
 */
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {basename, join} from 'node:path';
import {fileURLToPath} from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Blocks the thread for `ms` (the venv is made synchronously, so waiting is too). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function statMtime(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return Date.now(); // just removed: try again
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

/**
 * Takes `<dir>.lock` (a directory holding the owner's pid): two test commands started at once on a
 * fresh machine must not both pip-install into the same venv. A dead owner's lock is taken over.
 */
function lockVenv(dir: string): () => void {
  const lock = `${dir}.lock`;
  let said = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, {recursive: true, force: true});
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : NaN);
    // A dead owner, or one killed between mkdir and writing its pid (lock older than 10 s).
    const orphan = !Number.isInteger(pid) && Date.now() - statMtime(lock) > 10_000;
    if ((Number.isInteger(pid) && !alive(pid)) || orphan) {
      rmSync(lock, {recursive: true, force: true});
      continue;
    }
    if (!said && Number.isInteger(pid)) {
      console.log(`venv: waiting for another process (pid ${pid}) making ${basename(dir)}`);
      said = true;
    }
    sleepSync(1000);
  }
}

/**
 * Returns the path of the venv's python, creating the venv if needed. With `progress`, says what
 * it does and shows pip's lines (the first creation downloads OpenVINO and NNCF: minutes).
 */
export function ensureVenv(requirementsFile: string, opts: {progress?: boolean} = {}): string {
  const req = join(repoRoot, requirementsFile);
  const hash = createHash('sha256').update(readFileSync(req)).digest('hex').slice(0, 12);
  const dir = join(repoRoot, '.bevbuild-test', 'envs', `${basename(req, '.txt')}-${hash}`);
  const python = join(dir, 'bin', 'python');
  const done = join(dir, '.complete');
  if (existsSync(done)) {
    if (opts.progress) console.log(`venv: ${requirementsFile} ready (${dir})`);
    return python;
  }
  mkdirSync(join(repoRoot, '.bevbuild-test', 'envs'), {recursive: true});
  const unlock = lockVenv(dir);
  try {
    if (existsSync(done)) return python; // made by the process we waited for
    const started = Date.now();
    console.log(`venv: creating ${dir} from ${requirementsFile} (first time: a few minutes)`);
    rmSync(dir, {recursive: true, force: true});
    execFileSync('python3', ['-m', 'venv', dir], {stdio: 'inherit'});
    const quiet = opts.progress ? ['--progress-bar', 'off'] : ['--quiet'];
    execFileSync(python, ['-m', 'pip', 'install', ...quiet, '-r', req], {stdio: 'inherit'});
    writeFileSync(done, new Date().toISOString());
    console.log(`venv: ${requirementsFile} ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return python;
  } finally {
    unlock();
  }
}
