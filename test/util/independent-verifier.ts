/**
 * The independent provenance verifier (test/fixtures/provenance/verify_bundle.py: securesystemslib
 * DSSE + in-toto-attestation schemas, no bevbuild code) in its pinned venv, and our own
 * `bevbuild verify`, run side by side on the same bundle and directory.
 */
import {spawnSync} from 'node:child_process';
import {join} from 'node:path';
import {ensureVenv, repoRoot} from './venv.ts';
import {BEVBUILD} from './workspace-rig.ts';

const SCRIPT = join(repoRoot, 'test', 'fixtures', 'provenance', 'verify_bundle.py');

export interface Verdicts {
  ours: {code: number | null; out: string};
  independent: {code: number | null; out: string};
}

/** Runs both verifiers in `cwd` on `bundle` and `dir` with the trusted public key file `key`. */
export function verifyBoth(cwd: string, bundle: string, dir: string, key: string): Verdicts {
  const python = ensureVenv('test/requirements-provenance.txt');
  const ours = spawnSync(process.execPath, [BEVBUILD, 'verify', bundle, dir, '--trusted-key', key], {cwd, encoding: 'utf8', env: {...process.env, CI: '1'}});
  const ind = spawnSync(python, [SCRIPT, '--key', key, bundle, dir], {cwd, encoding: 'utf8'});
  return {ours: {code: ours.status, out: ours.stdout + ours.stderr}, independent: {code: ind.status, out: ind.stdout + ind.stderr}};
}
