/**
 * Python virtual environments for tests that need real Python tools (numpy, onnx, OpenVINO, NNCF).
 * Each venv is made once from a pinned requirements file under `.bevbuild-test/envs/` of the repo
 * and reused by later test files and runs (keyed by the requirements' content).
 */
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {basename, join} from 'node:path';
import {fileURLToPath} from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Returns the path of the venv's python, creating the venv if needed. */
export function ensureVenv(requirementsFile: string): string {
  const req = join(repoRoot, requirementsFile);
  const hash = createHash('sha256').update(readFileSync(req)).digest('hex').slice(0, 12);
  const dir = join(repoRoot, '.bevbuild-test', 'envs', `${basename(req, '.txt')}-${hash}`);
  const python = join(dir, 'bin', 'python');
  const done = join(dir, '.complete');
  if (existsSync(done)) return python;
  mkdirSync(join(repoRoot, '.bevbuild-test', 'envs'), {recursive: true});
  rmSync(dir, {recursive: true, force: true});
  execFileSync('python3', ['-m', 'venv', dir], {stdio: 'inherit'});
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '-r', req], {stdio: 'inherit'});
  writeFileSync(done, new Date().toISOString());
  return python;
}
