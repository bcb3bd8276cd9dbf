/**
 * Which workspace a command works on: the nearest directory at or above the start (the current
 * directory, or `-C <dir>`) holding a `bevbuild.config.ts`, as git finds its repository.
 */
import {existsSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';

/** The name of a workspace's config file. */
export const CONFIG_FILE = 'bevbuild.config.ts';

/** The workspace root for `start`; `start` itself when no directory up to `/` has a config. */
export function findWorkspaceRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, CONFIG_FILE))) return dir;
    if (dirname(dir) === dir) return resolve(start); // the "no config" message names where we started
  }
}
