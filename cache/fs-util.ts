/** Small filesystem helpers: atomic writes and replaces, bounded-concurrency mapping. */
import {renameSync, rmSync, writeFileSync} from 'node:fs';
import {rename, rm} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';

/**
 * Renames `tmp` onto `dest`. A file over a file is one atomic rename; when a directory is involved
 * (rename cannot replace a non-empty directory) the old dest is first renamed aside, then removed.
 */
export async function replace(tmp: string, dest: string): Promise<void> {
  try {
    await rename(tmp, dest);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw e;
    const old = join(dirname(dest), `.${basename(dest)}.bevbuild-old-${process.pid}-${Math.random().toString(36).slice(2)}`);
    await rename(dest, old);
    await rename(tmp, dest);
    await rm(old, {recursive: true, force: true});
  }
}

/**
 * Writes `file` whole or not at all: a temp of this process's own beside it
 * (`<file>.tmp-<pid>-<rand>`), then one rename. Own temps, because two bevbuilds may write the same
 * file at once (each compiling the config): with a shared temp name one rename found its temp already
 * renamed by the other. A failed write (a full disk) leaves the previous file whole and no temp; one
 * left by a killed process is removed by the stray sweep (cache/stray-temps.ts).
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, {force: true});
    throw e;
  }
}

/** `Promise.all(items.map(fn))` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({length: Math.min(limit, items.length)}, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
