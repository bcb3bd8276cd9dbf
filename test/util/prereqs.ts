/**
 * What the suites need before they run, made by the test command itself (`npm test`) so that it
 * passes alone on a fresh machine: the Debian servers (nginx, slurm-wlm, munge, through
 * `.ci/install-servers.sh`) and the pinned test venv. Each is made once, before any suite starts,
 * so install time is never spent inside a test's timeout; what is already there is skipped.
 */
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {ensureVenv, repoRoot} from './venv.ts';

/** The requirements file of the venv the native suites use. */
export const TEST_VENV_REQUIREMENTS = 'demo/requirements-openvino.txt';

/** What one suite file needs, found from its source and the local modules it imports. */
export interface Needs {
  /** nginx, or the SLURM daemons and munge (it starts a rig). */
  servers: boolean;
  /** The pinned test venv (it, or a module it imports, calls `ensureVenv`/`nativeEnv`). */
  venv: boolean;
  /** Headless Chromium (it launches one with `startBrowser`). */
  browser: boolean;
}

const LOCAL_IMPORT = /from\s+['"](\.{1,2}\/[^'"]+\.ts)['"]/g;

const VENV_MODULE = join(repoRoot, 'test', 'util', 'venv.ts');

/** Reads `file` and every local `.ts` module it imports, transitively (each once). */
function sourcesOf(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file) || !existsSync(file)) return [];
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  // venv.ts defines ensureVenv (and is imported for repoRoot alone): it is not a use.
  const out = file === VENV_MODULE ? [] : [text];
  for (const m of text.matchAll(LOCAL_IMPORT)) out.push(...sourcesOf(resolve(dirname(file), m[1]!), seen));
  return out;
}

/** Needs of a suite file: it (or a module it imports) starts a server rig or uses the test venv. */
export function needsOf(file: string): Needs {
  const src = sourcesOf(resolve(file)).join('\n');
  return {
    servers: /\bstart(Nginx|Slurm)\(/.test(src),
    venv: /\b(ensureVenv|nativeEnv)\(/.test(src),
    browser: /\bstartBrowser\(/.test(src),
  };
}

/** Outcome of preparing one prerequisite: ok, or one message saying what to do. */
export type Prepared = {ok: true} | {ok: false; message: string};

/**
 * Installs the missing servers with `.ci/install-servers.sh` (which skips what is present, uses
 * `sudo -n` when not root and exits 3 when it cannot get root). Output goes to the terminal.
 */
export function ensureServers(): Prepared {
  const r = spawnSync('bash', [join(repoRoot, '.ci', 'install-servers.sh')], {stdio: 'inherit'});
  if (r.status === 0) return {ok: true};
  const why = r.status === 3
    ? 'installing them needs root (or passwordless sudo)'
    : `.ci/install-servers.sh failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`;
  return {
    ok: false,
    message: `nginx/slurm-wlm/munge are missing and ${why}: run \`sudo bash .ci/install-servers.sh\` once, then npm test again`,
  };
}

/** Installs Debian's chromium with `.ci/install-browser.sh` when it is missing (skips it otherwise). */
export function ensureBrowser(): Prepared {
  const r = spawnSync('bash', [join(repoRoot, '.ci', 'install-browser.sh')], {stdio: 'inherit'});
  if (r.status === 0) return {ok: true};
  const why = r.status === 3 ? 'installing it needs root (or passwordless sudo)' : `.ci/install-browser.sh failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`;
  return {ok: false, message: `chromium is missing and ${why}: run \`sudo bash .ci/install-browser.sh\` once, then npm test again`};
}

/** Makes the pinned test venv if it is not complete yet (pip output is shown as it goes). */
export function prepareVenv(): Prepared {
  try {
    ensureVenv(TEST_VENV_REQUIREMENTS, {progress: true});
    return {ok: true};
  } catch (e) {
    return {
      ok: false,
      message: `the test venv (${TEST_VENV_REQUIREMENTS}) could not be made: ${(e as Error).message.split('\n')[0]}` +
        ' — check network access to PyPI and python3-venv, then npm test again',
    };
  }
}
