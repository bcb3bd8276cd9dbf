// A directory tree listed by GNU `find -L`: one record per entry with its stat tuple, in C, several
// times faster than lstat from JavaScript (whose Stats objects cost more than the syscall). Used by
// the bin's no-op fast path (bin/noop-fast.js), which hashes the listing rather than parsing it:
// parsing 30,000 records in JavaScript costs about what stat'ing them does. Plain JavaScript: the
// bin loads it before tsx or esbuild.
import {createRequire} from 'node:module';
import {join} from 'node:path';

const require = createRequire(import.meta.url);

/**
 * What find prints per entry: type (symlinks followed), device, inode, size, ctime (s with the ns
 * fraction), path; NUL-terminated, since a path may hold a newline (never a NUL). The ctime stands
 * for every other change: the kernel sets it to the current time on any write, chmod, link count
 * change, rename or `touch` (one that puts the mtime back included), and nothing but a clock set
 * back can make it older. Leaving out the mtime and mode halves find's time (formatting a second
 * timestamp costs more than the stat call).
 */
export const FIND_FORMAT = '%Y %D %i %s %C@ %p\\0';
const FIND_ENV = () => ({...process.env, LC_ALL: 'C'});

/**
 * A listing comes in parts that run at once: `find -maxdepth 1` of the root (the root and its
 * entries), then its subdirectories dealt round-robin to one `find -mindepth 1` per core (2 to 4).
 * Stat calls are most of the cost (30,000 entries: ~60 ms in one process), and the kernel serves
 * them from its caches in parallel. The parts depend only on the root's listing (the first part),
 * so two listings of an unchanged tree split alike. Undefined where GNU find is missing or failed.
 */
function findParts(root) {
  const {spawnSync} = require('node:child_process');
  const r = spawnSync('find', ['-L', root, '-maxdepth', '1', '-printf', FIND_FORMAT], {maxBuffer: 2 ** 31, env: FIND_ENV()});
  if (r.error || r.status !== 0 || r.stdout.length === 0) return undefined;
  const dirs = [];
  for (const rec of r.stdout.toString('utf8').split('\0')) {
    // "<type> <dev> <ino> <size> <ctime> <path>": the path is what follows the 5th space.
    let at = -1;
    for (let k = 0; k < 5 && (at = rec.indexOf(' ', at + 1)) >= 0; k++);
    if (at < 0 || rec[0] !== 'd') continue;
    const path = rec.slice(at + 1);
    if (path !== root) dirs.push(path);
  }
  const n = Math.min(dirs.length, 4, Math.max(2, require('node:os').availableParallelism()));
  const groups = Array.from({length: n}, () => []);
  dirs.forEach((d, i) => groups[i % n].push(d));
  return {top: r.stdout, groups: groups.map((g) => ['-L', ...g, '-mindepth', '1', '-printf', FIND_FORMAT])};
}

/**
 * Where a part's find writes: a file unlinked as soon as it is opened (so nothing is left behind,
 * even after kill -9), read back through the descriptor. A file, not a pipe: find writes a pipe
 * 4 KiB at a time, and reading 2.4 MB that way costs more than the listing itself.
 */
function scratchFd() {
  const {openSync, unlinkSync} = require('node:fs');
  const file = join(require('node:os').tmpdir(), `bevbuild-find-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(file, 'wx+', 0o600);
  unlinkSync(file);
  return fd;
}

/** What find wrote to `fd` (closed here), or undefined when it failed. */
function readScratch(fd, ok) {
  const {closeSync, fstatSync, readSync} = require('node:fs');
  try {
    if (!ok) return undefined;
    const buf = Buffer.allocUnsafe(fstatSync(fd).size);
    let at = 0;
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, at);
      if (n === 0) return undefined;
      at += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/**
 * The parts of `root`'s listing (see findParts), one after another; undefined if one failed,
 * including for want of a scratch file (an unwritable TMPDIR): the caller then lists otherwise.
 */
export function listTreeSync(root) {
  try {
    return listTreeSyncOrThrow(root);
  } catch {
    return undefined;
  }
}

function listTreeSyncOrThrow(root) {
  const parts = findParts(root);
  if (!parts) return undefined;
  const {spawnSync} = require('node:child_process');
  const outs = [parts.top];
  for (const args of parts.groups) {
    const fd = scratchFd();
    const r = spawnSync('find', args, {stdio: ['ignore', fd, 'ignore'], env: FIND_ENV()});
    const out = readScratch(fd, !r.error && r.status === 0);
    if (!out) return undefined;
    outs.push(out);
  }
  return outs;
}

/** The same parts, found at once; undefined if one failed (as listTreeSync). */
export async function listTree(root) {
  try {
    return await listTreeOrThrow(root);
  } catch {
    return undefined;
  }
}

async function listTreeOrThrow(root) {
  const parts = findParts(root);
  if (!parts) return undefined;
  const {spawn} = require('node:child_process');
  const outs = await Promise.all(parts.groups.map((args) => new Promise((resolve) => {
    const fd = scratchFd();
    let settled = false;
    const settle = (ok) => {
      if (settled) return; // 'error' may be followed by 'close'
      settled = true;
      resolve(readScratch(fd, ok));
    };
    const child = spawn('find', args, {stdio: ['ignore', fd, 'ignore'], env: FIND_ENV()});
    child.on('error', () => settle(false));
    child.on('close', (code) => settle(code === 0));
  })));
  return outs.some((o) => o === undefined) ? undefined : [parts.top, ...outs];
}
