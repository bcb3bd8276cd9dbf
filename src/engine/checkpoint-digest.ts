/**
 * The size and sha256 of a kept checkpoint (resume.ts), read in full at most once per version of
 * the file. A checkpoint can be gigabytes, and `status`, `why` and `-n` check a kept one every time
 * they run: after a full read its stat stamp (device, inode, size, mtime, ctime: the stat memo's)
 * is noted beside the kept run, and while the file still has that stamp the noted digest stands.
 * Any write changes the ctime, even one that puts the mtime back; a stamp younger than a second is
 * not noted (a second write within one timestamp tick would not show: git's "racy clean"). The note
 * is a state file like any other: anything in it that does not match exactly is ignored.
 */
import {createHash} from 'node:crypto';
import {closeSync, lstatSync, openSync, readFileSync, readSync, type Stats} from 'node:fs';
import {writeFileAtomicSync} from '../../cache/fs-util.ts';
import {statStamp} from '../../cache/stat-memo.ts';

/** A file's size and sha256, and its stamp when it was stable while read. */
export interface FileDigest {
  size: number;
  sha256: string;
  /** Set when the file's stamp was the same before and after the read, and over a second old. */
  stamp?: string;
}

interface Note {
  path: string;
  stamp: string;
  size: number;
  sha256: string;
}

/** Notes larger than this are not read (a note is ~300 bytes). */
const NOTE_MAX = 64 * 1024;
const RACY_MS = 1000;

/** The digest of `path`: from `noteFile` when it notes this very version of the file, else by reading it (and noting it). */
export function checkpointDigest(path: string, noteFile: string): FileDigest | undefined {
  const noted = readNote(noteFile);
  const stamp = stampOf(path);
  if (noted && stamp && noted.path === path && noted.stamp === stamp) return {size: noted.size, sha256: noted.sha256, stamp};
  const d = readDigest(path);
  if (d?.stamp) noteDigest(noteFile, path, d);
  return d;
}

/** Size and sha256 of a regular file, read in chunks on this thread, with its stamp if stable; undefined if unreadable. */
export function readDigest(path: string): FileDigest | undefined {
  let fd: number | undefined;
  try {
    const before = stampOf(path);
    if (!before) return undefined;
    fd = openSync(path, 'r');
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    let size = 0;
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; size += n) h.update(buf.subarray(0, n));
    const after = fileStat(path);
    const stable = after !== undefined && statStamp(after) === before && Date.now() - Math.max(after.mtimeMs, after.ctimeMs) > RACY_MS;
    return {size, sha256: h.digest('hex'), ...(stable ? {stamp: before} : {})};
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Notes `d` (read from a file now at `path`) in `noteFile`; best effort: a missing note only costs a read. */
export function noteDigest(noteFile: string, path: string, d: FileDigest): void {
  if (!d.stamp) return;
  const note: Note = {path, stamp: d.stamp, size: d.size, sha256: d.sha256};
  try {
    writeFileAtomicSync(noteFile, JSON.stringify(note));
  } catch {
    // best effort (a full disk, a read-only run dir): the next status reads the file once more
  }
}

/** The lstat of a regular file (not followed), or undefined. */
function fileStat(path: string): Stats | undefined {
  try {
    const st = lstatSync(path);
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}

/** The stat memo's stamp of a regular file, or undefined. */
function stampOf(path: string): string | undefined {
  const st = fileStat(path);
  return st && statStamp(st);
}

function readNote(file: string): Note | undefined {
  try {
    if (lstatSync(file).size > NOTE_MAX) return undefined;
    const n = JSON.parse(readFileSync(file, 'utf8')) as Partial<Note> | null;
    if (typeof n !== 'object' || n === null) return undefined;
    const {path, stamp, size, sha256} = n;
    if (typeof path !== 'string' || typeof stamp !== 'string' || typeof size !== 'number' || typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    return {path, stamp, size, sha256};
  } catch {
    return undefined;
  }
}
