/**
 * Leftovers of interrupted bevbuild processes (issue 16 finding 4): the temp siblings that
 * `materialize` and `replace` create beside an output (`.<name>.bevbuild-tmp-<pid>-<rand>`,
 * `.<name>.bevbuild-old-<pid>-<rand>`) and the staging files in the store's `tmp/` (`<pid>-…`).
 * A live process owns its temps; those of a dead pid are garbage and are removed.
 */
import {lstatSync, readdirSync} from 'node:fs';
import {rm} from 'node:fs/promises';
import {dirname, join, resolve} from 'node:path';
import {processAlive} from '../src/engine/workspace-lock.ts';

/** Name of the temp sibling `materialize` builds an output in before renaming it into place. */
export function tempSiblingName(dest: string, kind: 'tmp' | 'old'): string {
  const base = dest.slice(dirname(dest).length + 1);
  return join(dirname(dest), `.${base}.bevbuild-${kind}-${process.pid}-${Math.random().toString(36).slice(2)}`);
}

const SIBLING = /^\..+\.bevbuild-(?:tmp|old)-(\d+)-[a-z0-9]+$/;

/** True for the file name of a temp sibling (`watch` ignores them: they are bevbuild's own writes). */
export const isTempSibling = (name: string): boolean => SIBLING.test(name);
const STORE_TMP = /^(\d+)-[a-z0-9]+-[a-z0-9]+$/;
/** Atomic-write temps of the state files (`nodes.json.<pid>.tmp`, `stat-memo.tsv.tmp-<pid>-<rand>`). */
const STATE_TMP = /^[^.].*\.(?:(\d+)\.tmp|tmp-(\d+)-[a-z0-9]+)$/;
/** A remote download's temp beside its object (`cache/remote-http-files.ts` tempPathBeside). */
const REMOTE_TMP = /^\..+\.remote-(\d+)-[0-9a-f]+$/;

/**
 * A store may be shared by several machines (`BEVBUILD_CACHE_DIR` on shared storage), where a pid
 * means nothing: store temps must also be this old before a dead pid's are removed.
 */
const STORE_TEMP_MIN_AGE_MS = 10 * 60 * 1000;

/**
 * Removes temps of dead processes beside the given workspace outputs and in `stateDir` (both are
 * this workspace's, guarded by its lock), and in `<storeRoot>/tmp` (with `objects`, also interrupted
 * downloads beside store objects: 256 directories, so only for `cache prune`) once older than
 * `STORE_TEMP_MIN_AGE_MS`. Returns how many were removed. Never throws: a sweep is housekeeping.
 */
export async function sweepStrayTemps(
  root: string,
  outputs: Iterable<string>,
  storeRoot: string,
  opts: {objects?: boolean; stateDir?: string} = {},
): Promise<number> {
  const dirs = new Set<string>();
  for (const o of outputs) dirs.add(dirname(resolve(root, o)));
  let removed = 0;
  const sweep = async (dir: string, pattern: RegExp, minAgeMs = 0) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // no such directory yet
    }
    for (const name of names) {
      const m = pattern.exec(name);
      const pid = m && Number(m[1] ?? m[2]);
      if (!pid || processAlive(pid)) continue;
      const p = join(dir, name);
      if (minAgeMs > 0 && !(Date.now() - (lstatSync(p, {throwIfNoEntry: false})?.mtimeMs ?? Date.now()) > minAgeMs)) continue;
      await rm(p, {recursive: true, force: true}).catch(() => {});
      removed++;
    }
  };
  for (const d of dirs) await sweep(d, SIBLING);
  await sweep(join(storeRoot, 'tmp'), STORE_TMP, STORE_TEMP_MIN_AGE_MS);
  if (opts.stateDir) await sweep(opts.stateDir, STATE_TMP);
  if (opts.objects) {
    let shards: string[] = [];
    try {
      shards = readdirSync(join(storeRoot, 'objects'));
    } catch {
      // no objects yet
    }
    for (const shard of shards) await sweep(join(storeRoot, 'objects', shard), REMOTE_TMP, STORE_TEMP_MIN_AGE_MS);
  }
  return removed;
}
