/**
 * The lstat stamp of a path as read by something whose answer is kept (the no-op stamp, the
 * daemon's declaration memo): equal stamps mean the path reads the same, unless it was written
 * within RACY_MS of the moment its answer was recorded (a second write in the same timestamp tick
 * keeps the stamp), so answers that saw such a path are not kept.
 */
import fs from 'node:fs';
import {dirname, resolve} from 'node:path';

/** A path changed this recently may change again without changing its stamp: not trusted. */
export const RACY_MS = 1000;

/**
 * `dev:ino:size:mtime:ctime:mode` of a path (the target's too, after `>`, for a symlink),
 * `missing`, or `error:<code>`; `newestMs` is the latest mtime or ctime seen, for the racy check.
 */
export function pathStamp(abs: string): {stamp: string; newestMs: number} {
  const one = (st: fs.Stats | undefined) => (st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}` : 'missing');
  try {
    const l = fs.lstatSync(abs, {throwIfNoEntry: false});
    const t = l?.isSymbolicLink() ? fs.statSync(abs, {throwIfNoEntry: false}) : undefined;
    let newestMs = Math.max(l ? Math.max(l.mtimeMs, l.ctimeMs) : 0, t ? Math.max(t.mtimeMs, t.ctimeMs) : 0);
    // Missing now, it may have been there when it was read: its directory says when it went.
    if (!l) newestMs = Math.max(newestMs, directoryChangedMs(abs));
    else if (l.isSymbolicLink() && !t) newestMs = Math.max(newestMs, directoryChangedMs(resolve(dirname(abs), fs.readlinkSync(abs))));
    return {stamp: l?.isSymbolicLink() ? `${one(l)}>${one(t)}` : one(l), newestMs};
  } catch (e) {
    return {stamp: `error:${(e as NodeJS.ErrnoException).code ?? 'unknown'}`, newestMs: 0};
  }
}

/**
 * When an entry last appeared in or went from the directory holding `abs`: the latest mtime or
 * ctime of its nearest existing ancestor, symlinks followed (a directory reached through a link
 * is the directory itself). For racy checks of paths that are missing, or tested for existence.
 */
export function directoryChangedMs(abs: string): number {
  for (let d = dirname(abs); ; d = dirname(d)) {
    const st = fs.statSync(d, {throwIfNoEntry: false});
    if (st) return Math.max(st.mtimeMs, st.ctimeMs);
    if (dirname(d) === d) return 0;
  }
}
