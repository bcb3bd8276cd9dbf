/**
 * `bevbuild cache prune --max-size <size>`: bounds the local store, least recently used first, and
 * drops superseded partial runs (resumable training whose node has a newer kept run, from another key).
 */
import type {Options} from '../cli-options.ts';
import {LocalStore} from '../../cache/local-store.ts';
import {sweepStrayTemps} from '../../cache/stray-temps.ts';
import {workspacePaths} from '../engine/workspace.ts';
import {acquireWorkspaceLock} from '../engine/workspace-lock.ts';
import {superseded, sweepPartials} from '../engine/resume.ts';
import {EXIT} from './common.ts';

export async function pruneCommand(opts: Options): Promise<number> {
  const paths = workspacePaths(opts.root);
  const lock = await acquireWorkspaceLock(paths.dir, (pid) => process.stderr.write(`waiting for bevbuild pid ${pid}…\n`));
  if (!lock.ok) {
    process.stderr.write(`bevbuild: ${lock.error.message}\n`);
    return EXIT.failed;
  }
  try {
    const store = new LocalStore(paths.cache);
    await sweepStrayTemps(opts.root, [], paths.cache, {objects: true}); // staging files and downloads of killed builds
    const r = await store.prune({maxSizeBytes: opts.maxSize!});
    const partial = sweepPartials(paths.dir, superseded);
    const line = {type: 'prune', ...r, removedPartialRuns: partial.removed, freedPartialBytes: partial.bytes};
    if (opts.json) process.stdout.write(`${JSON.stringify(line)}\n`);
    else process.stderr.write(`removed ${r.removedObjects} object(s) and ${r.removedRecords} record(s), freed ${mb(r.freedBytes)}; store is now ${mb(r.sizeAfter)}${partial.removed ? `; removed ${partial.removed} superseded partial run(s) (${mb(partial.bytes)})` : ''}\n`);
    return EXIT.ok;
  } finally {
    lock.value.release();
  }
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
