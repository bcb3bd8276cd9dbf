/**
 * Shared set-up of the native gate suites: the openvino test venv, the addon built against it
 * (cached by source digest) and the fixture models; plus temp dirs removed when the process exits.
 */
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {cachedAddon} from '../fixtures/native/build-addon.ts';
import {fixtureModels, type FixtureModels} from '../fixtures/native/fixture-models.ts';
import {ensureVenv} from './venv.ts';

let env: {addonDir: string; m: FixtureModels} | undefined;

/** Built once per process, on first use (not at import: a suite may fail before needing it). */
export function nativeEnv(): {addonDir: string; m: FixtureModels} {
  if (!env) {
    const python = ensureVenv('demo/requirements-openvino.txt');
    env = {addonDir: cachedAddon(python), m: fixtureModels(python)};
  }
  return env;
}

const made: string[] = [];
process.on('exit', () => made.forEach((d) => rmSync(d, {recursive: true, force: true})));

/** A temp dir removed at exit. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
