/**
 * Where a restore may write (DESIGN.md decision 13, issue 16 findings 1 and 10).
 *
 * `checkOutputPath`: a recorded output is placed at `<root>/<rel>`, and every directory on the way
 * must be a real directory inside the workspace. Each existing component is `lstat`ed: a symlink
 * (which could lead out of the workspace or onto a source tree) or a non-directory refuses the
 * restore. Missing components are fine: `materialize` creates them as real directories.
 *
 * `rescueExtraFiles`: a directory output is replaced as a whole; files in it the record does not
 * name (a user's `NOTES.txt`) are moved aside first, never deleted silently.
 */
import {cpSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fail, ok, type Result} from '../src/result.ts';

/** Refuses `rel` unless every existing directory between `root` and it is a real directory. */
export function checkOutputPath(root: string, rel: string): Result<void> {
  const segments = rel.split('/');
  if (rel.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    return fail('unsafe-output-path', `output path "${rel}" is not a plain workspace-relative path`);
  }
  let abs = root;
  for (const seg of segments.slice(0, -1)) {
    abs = join(abs, seg);
    let st;
    try {
      st = lstatSync(abs, {throwIfNoEntry: false});
    } catch (e) {
      return fail('unsafe-output-path', `cannot inspect ${abs}: ${(e as Error).message}`);
    }
    if (!st) return ok(undefined); // the rest does not exist yet: created as real directories
    if (st.isSymbolicLink()) return fail('unsafe-output-path', `output "${rel}" lies under the symlink ${abs}; restores never write through symlinks`);
    if (!st.isDirectory()) return fail('unsafe-output-path', `output "${rel}" lies under ${abs}, which is not a directory`);
  }
  return ok(undefined);
}

/**
 * Files (and symlinks, sockets…) under the existing directory `absDir` whose relative path is not
 * in `keep`. Symlinks are not followed. Empty directories are not reported.
 */
export function extraFiles(absDir: string, keep: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const d of readdirSync(abs, {withFileTypes: true})) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(join(abs, d.name), r);
      else if (!keep.has(r)) out.push(r);
    }
  };
  walk(absDir, '');
  return out;
}

/**
 * Moves `files` (relative to `absDir`) to the same relative paths under `rescueDir`. Returns the
 * absolute paths they now have. Across filesystems a file is copied, then removed.
 */
export function moveAside(absDir: string, files: string[], rescueDir: string): string[] {
  return files.map((rel) => {
    const from = join(absDir, rel);
    const to = join(rescueDir, rel);
    mkdirSync(dirname(to), {recursive: true});
    try {
      renameSync(from, to);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      cpSync(from, to, {verbatimSymlinks: true, preserveTimestamps: true});
      rmSync(from, {force: true});
    }
    return to;
  });
}
