/**
 * Placing one verified store object at a workspace path (DESIGN.md decision 4): reflink where the
 * filesystem has them, else (link mode, same executable bit) a hardlink sharing the object's
 * read-only inode, else a copy. See README "Materialization trade-off" for why links are checked.
 */
import {constants as fsc} from 'node:fs';
import {chmod, copyFile, link, lstat, stat} from 'node:fs/promises';
import {isExecutable} from './tree.ts';

/** How an object was placed (for a directory: the slowest method any file needed). */
export type MaterializeMethod = 'reflink' | 'hardlink' | 'copy';

/** Per-store memory: set after the first reflink attempt fails (ext4 and most filesystems have none). */
export interface PlaceState {
  reflinkUnsupported: boolean;
}

/** Places the object file `obj` at `dest` (which must not exist). */
export async function placeObject(obj: string, dest: string, executable: boolean | undefined, mode: 'link' | 'copy', state: PlaceState): Promise<MaterializeMethod> {
  const objExec = isExecutable((await stat(obj)).mode);
  const exec = executable ?? objExec;
  const writable = exec ? 0o755 : 0o644;
  if (!state.reflinkUnsupported) {
    try {
      await copyFile(obj, dest, fsc.COPYFILE_FICLONE_FORCE);
      await chmod(dest, writable);
      return 'reflink';
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw e;
      state.reflinkUnsupported = true; // ENOTSUP/EOPNOTSUPP/EXDEV/EINVAL: no reflinks here
    }
  }
  // A hardlink shares the object's inode and therefore its mode: only if the bits agree.
  if (mode === 'link' && exec === objExec) {
    try {
      await link(obj, dest);
      return 'hardlink';
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EMLINK' && code !== 'EPERM') throw e;
    }
  }
  await copyFile(obj, dest);
  await chmod(dest, writable);
  return 'copy';
}

/** Is `dest` already a hardlink of the object file `obj` with the wanted executable bit? */
export async function isLinkOf(dest: string, obj: string, executable: boolean | undefined): Promise<boolean> {
  const [d, o] = await Promise.all([lstat(dest).catch(() => undefined), stat(obj).catch(() => undefined)]);
  if (!d || !o || !d.isFile() || d.ino !== o.ino || d.dev !== o.dev) return false;
  return executable === undefined || isExecutable(o.mode) === executable;
}
