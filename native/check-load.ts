/**
 * Can this addon be used here? Loads `<dir>/bevbuild_native.node` the way the gate does (through
 * the toolchain's OpenVINO, found from the environment: see addon.ts) and checks that the runtime
 * it got is the OpenVINO version it was built against. Matching digests say the bytes are intact;
 * this says they work in this workspace (`bevbuild audit` runs it for the native/addon node).
 *
 *   node --import tsx native/check-load.ts <addon dir>
 *
 * Exit 0 (prints the version) or 1 (says why and how to fix it).
 */
import {readFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {fail, ok, type Result} from '../src/result.ts';
import {loadAddon} from './addon.ts';

/** Loads the addon in this process and compares its OpenVINO with the fingerprint's. */
export function checkLoad(dir: string): Result<string> {
  const addon = loadAddon(dir);
  if (!addon.ok) return addon;
  const version = addon.value.openvinoVersion();
  let built: string;
  try {
    built = (JSON.parse(readFileSync(join(dir, 'fingerprint.json'), 'utf8')) as {openvinoVersion: string}).openvinoVersion;
  } catch (e) {
    return fail('native-addon-not-found', `${join(dir, 'fingerprint.json')} is unreadable (${(e as Error).message}); rebuild the addon.`);
  }
  if (!version.startsWith(`${built}-`) && version !== built) {
    return fail('native-addon-not-found', `the addon was built against OpenVINO ${built} but loaded ${version} from this toolchain; rebuild it (bevbuild native/addon).`);
  }
  return ok(version);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node --import tsx native/check-load.ts <addon dir>');
    process.exitCode = 2;
  } else {
    const r = checkLoad(resolve(dir));
    if (r.ok) console.log(`loads with OpenVINO ${r.value}`);
    else console.error(r.error.message);
    process.exitCode = r.ok ? 0 : 1;
  }
}
