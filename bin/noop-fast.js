// The no-op fast stamp (issue 12): what `bin/bevbuild.js` checks before it loads anything heavy.
// A build that found every node fresh (see src/engine/noop-stamp.ts) also leaves
// `<state>/noop-fast.bin`: the invocation's key, and the lstat tuple (dev, ino, size, mtime, ctime,
// mode; the target's too for a symlink) of every path that answer depended on — the engine's
// sources, the files the config and the build consulted, the digested inputs and outputs, and every
// directory and entry inside a digested directory (a directory's stamp changes when an entry is
// added, removed or renamed; a file's ctime changes on any write, even one that puts mtime back).
// A directory with GNU find is stamped by the digest of `find -L` listing every entry's ctime, inode,
// size and device (bin/find-listing.js: in C, several times faster than lstat from JavaScript, whose
// Stats objects cost more than the syscall).
// When all tuples are equal the bin replays the answer through a small entry of the bundle, without
// the config, the stat memo or hashing; on any difference it starts the engine, whose own stamp
// check (by content digest) or full build decides. Plain JavaScript: it runs before tsx or esbuild.
import {lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';
import {listTree, listTreeSync} from './find-listing.js';

/** The fast stamp's file name in the state dir. */
export const FAST_FILE = 'noop-fast.bin';
const MAGIC = 'BBNF';
const FORMAT = 3;
/** Floats per path: its lstat tuple, then its target's (a symlink) or zeros. -1 everywhere: missing. */
const W = 12;
/** A path changed this recently may change again within the same timestamp tick: not trusted. */
const RACY_MS = 1000;
/** First float of the table: a file written on a machine of another byte order never matches. */
const SENTINEL = 1.5;

/** The engine's sources, as `bin/bevbuild.js` fingerprints them: directories and source files. */
export function engineSources(root) {
  const dirs = [];
  const files = [];
  const walk = (dir) => {
    dirs.push(dir);
    for (const e of readdirSync(dir, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mjs|js|json)$/.test(e.name)) files.push(p);
    }
  };
  for (const d of ['src', 'cache', 'schemas', 'bin']) walk(join(root, d));
  files.push(join(root, 'package.json'));
  return {dirs, files};
}

/**
 * What must be equal for a replay: the arguments, the working directory, the Node version and the
 * whole environment but `_` and the variables bin/bevbuild.js sets itself (it sets them after this check).
 */
export function invocationKey(argv) {
  const skip = new Set(['_', 'BEVBUILD_ENGINE_ID', 'BEVBUILD_ZOD']);
  const env = Object.entries(process.env).filter(([k]) => !skip.has(k)).sort(([a], [b]) => (a < b ? -1 : 1));
  return hash128(JSON.stringify({argv, cwd: process.cwd(), env, node: process.version}));
}

/**
 * 128 bits of four seeded 32-bit multiply-xorshift hashes over the UTF-16 units of `text`. Not
 * cryptographic, and it need not be: the key tells this user's invocations apart (whoever can set
 * the environment can run anything anyway), and node:crypto alone costs ~5 ms to load on a no-op.
 */
export function hash128(text) {
  // Four lanes in locals, not an array with an inner loop: this runs once per start, before V8 has
  // compiled anything, and the interpreter paid ~4 ms for the array form over a 5 KB environment.
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  let c = 0x85ebca6b;
  let d = 0xc2b2ae35;
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    a = Math.imul(a ^ u, 0x5bd1e995) ^ (a >>> 15);
    b = Math.imul(b ^ u, 0x5bd1e997) ^ (b >>> 15);
    c = Math.imul(c ^ u, 0x5bd1e999) ^ (c >>> 15);
    d = Math.imul(d ^ u, 0x5bd1e99b) ^ (d >>> 15);
  }
  return [a, b, c, d].map((x, k) => {
    let y = Math.imul(x ^ (x >>> 16) ^ text.length, 0x85ebca6b + 2 * k);
    y = Math.imul(y ^ (y >>> 13), 0xc2b2ae35);
    return ((y ^ (y >>> 16)) >>> 0).toString(16).padStart(8, '0');
  }).join('');
}

/** One options object for every call (thousands of them on a no-op). */
const NO_THROW = Object.freeze({throwIfNoEntry: false});

/** lstat without throwing for a missing path (ENOTDIR included); other errors throw. */
function lstatOrMissing(p) {
  try {
    return lstatSync(p, NO_THROW);
  } catch (e) {
    if (e.code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function put(f, o, st) {
  f[o] = st.dev; f[o + 1] = st.ino; f[o + 2] = st.size; f[o + 3] = st.mtimeMs; f[o + 4] = st.ctimeMs; f[o + 5] = st.mode;
}

/** Fills slot `i` of `f` with the tuples of `p`; returns the newest mtime/ctime seen. Throws on an unreadable path. */
function record(f, i, p) {
  const o = i * W;
  const l = lstatOrMissing(p);
  if (!l) {
    f.fill(-1, o, o + W);
    return 0;
  }
  put(f, o, l);
  let newest = Math.max(l.mtimeMs, l.ctimeMs);
  if (l.isSymbolicLink()) {
    const t = statSync(p, {throwIfNoEntry: false});
    if (t) {
      put(f, o + 6, t);
      newest = Math.max(newest, t.mtimeMs, t.ctimeMs);
    } else f.fill(-1, o + 6, o + W);
  }
  return newest;
}

/** Whether `p` still has the tuples of slot `i`. No allocation but the Stats objects. */
function same(f, i, p) {
  const o = i * W;
  let l;
  try {
    l = lstatOrMissing(p);
  } catch {
    return false;
  }
  if (!l) return f[o] === -1 && f[o + 5] === -1;
  if (l.dev !== f[o] || l.ino !== f[o + 1] || l.size !== f[o + 2] || l.mtimeMs !== f[o + 3] || l.ctimeMs !== f[o + 4] || l.mode !== f[o + 5]) return false;
  if (!l.isSymbolicLink()) return true; // the mode says it was no symlink when recorded either
  let t;
  try {
    t = statSync(p, NO_THROW);
  } catch {
    return false;
  }
  if (!t) return f[o + 6] === -1;
  return t.dev === f[o + 6] && t.ino === f[o + 7] && t.size === f[o + 8] && t.mtimeMs === f[o + 9] && t.ctimeMs === f[o + 10] && t.mode === f[o + 11];
}

/**
 * Every entry under a digested directory, depth first, as paths relative to it (symlinked
 * directories followed, like cache/tree.ts walkTree). Undefined on a symlink cycle (that build failed).
 */
function treeEntries(root) {
  const rels = [];
  const ancestors = new Set();
  const walk = (abs, rel) => {
    const st = statSync(abs);
    const id = `${st.dev}:${st.ino}`;
    if (ancestors.has(id)) return false;
    ancestors.add(id);
    for (const name of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      rels.push(r);
      const s = statSync(join(abs, name), {throwIfNoEntry: false});
      if (s?.isDirectory() && !walk(join(abs, name), r)) return false;
    }
    ancestors.delete(id);
    return true;
  };
  return walk(root, '') ? rels : undefined;
}

/**
 * The sha256 of a listing's parts in order, and with `newest` the newest mtime/ctime in them (ms;
 * only the stamp writer needs it, and parsing 30,000 records costs more than hashing them).
 */
function digestParts(parts, newest = false) {
  if (!parts) return undefined;
  const {createHash} = createRequire(import.meta.url)('node:crypto');
  const h = createHash('sha256').update(parts[0]);
  for (const o of parts.slice(1)) h.update('\0\0').update(o);
  return {digest: h.digest('hex'), newest: newest ? Math.max(...parts.map(newestInListing)) : NaN};
}

/** Newest ctime (ms) in a find listing (see FIND_FORMAT: it moves on every change); NaN where a record does not parse. */
function newestInListing(out) {
  let newest = 0;
  for (const rec of out.toString('latin1').split('\0')) {
    if (!rec) continue;
    newest = Math.max(newest, Number(rec.split(' ', 5)[4]) * 1000);
  }
  return newest;
}

/** Number of paths in a stamp's table (a directory stamped by find has none). */
function pathCount(s) {
  let n = s.engine.paths.length + s.observed.length;
  for (const t of s.trees) if (!t.find) n += 1 + t.rels.length;
  return n;
}

/**
 * Calls `each(path, slot)` for the paths of a stamp in table order from slot `from` (the engine's
 * come first: they are checked before the bundle loads) until it returns false; whether none did.
 * Plain loops: for 30,000 entries a generator's per-step objects show in the profile.
 */
function everyPath(s, from, each) {
  let i = 0;
  const list = (paths) => {
    for (let k = Math.max(0, from - i); k < paths.length; k++) if (!each(paths[k], i + k)) return false;
    i += paths.length;
    return true;
  };
  if (!list(s.engine.paths) || !list(s.observed)) return false;
  for (const t of s.trees) {
    if (t.find) continue;
    if (i >= from && !each(t.root, i)) return false;
    i++;
    const prefix = `${t.root}/`;
    for (let k = Math.max(0, from - i); k < t.rels.length; k++) if (!each(prefix + t.rels[k], i + k)) return false;
    i += t.rels.length;
  }
  return true;
}

/**
 * Writes the fast stamp (called by the engine after a pure no-op, with node:fs unpatched). Writes
 * nothing, and returns false, when a path was modified within a second of `startedMs` (its
 * timestamps may not show the next write) or cannot be read.
 * @param {string} file
 * @param {{key: string, bundle: string, engineRoot: string, observed: string[], files: string[], dirs: string[],
 *   root: string, opts: {json: boolean, verbose: boolean}, fresh: string[], order: string[], targets: string[]}} a
 * @param {number} startedMs
 */
export function writeFastStamp(file, a, startedMs) {
  const src = engineSources(a.engineRoot);
  const trees = [];
  for (const d of a.dirs) {
    const listed = digestParts(listTreeSync(d), true);
    if (listed) {
      if (!(listed.newest <= startedMs - RACY_MS)) return false; // NaN too
      trees.push({root: d, find: listed.digest});
      continue;
    }
    const rels = treeEntries(d);
    if (!rels) return false;
    trees.push({root: d, rels});
  }
  const s = {
    format: FORMAT, key: a.key, engine: {bundle: a.bundle, paths: [...src.dirs, ...src.files]},
    observed: [...new Set([...a.observed, ...a.files])], trees,
    root: a.root, opts: a.opts, fresh: a.fresh, order: a.order, targets: a.targets,
  };
  const f = new Float64Array(1 + pathCount(s) * W);
  f[0] = SENTINEL;
  const table = f.subarray(1);
  if (!everyPath(s, 0, (p, i) => record(table, i, p) <= startedMs - RACY_MS)) return false;
  const json = Buffer.from(JSON.stringify(s));
  const head = Buffer.alloc(8 + Math.ceil(json.length / 8) * 8, 0x20);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, 4);
  json.copy(head, 8);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, Buffer.concat([head, Buffer.from(f.buffer)]));
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, {force: true});
    throw e;
  }
  return true;
}

/** The stamp for this working directory (BEVBUILD_DIR's, or the nearest `.bevbuild` above), parsed; or undefined. */
function readStamp() {
  const candidates = [];
  if (process.env.BEVBUILD_DIR) candidates.push(join(resolve(process.env.BEVBUILD_DIR), 'state', FAST_FILE));
  else for (let d = process.cwd(); ; d = dirname(d)) {
    candidates.push(join(d, '.bevbuild', 'state', FAST_FILE));
    if (dirname(d) === d) break;
  }
  for (const file of candidates) {
    let buf;
    try {
      buf = readFileSync(file);
    } catch {
      continue;
    }
    if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) return undefined;
    const len = buf.readUInt32LE(4);
    const start = 8 + Math.ceil(len / 8) * 8;
    if (start > buf.length || (buf.length - start) % 8 !== 0) return undefined;
    let s;
    try {
      s = JSON.parse(buf.toString('utf8', 8, 8 + len));
    } catch {
      return undefined;
    }
    const bytes = buf.subarray(start);
    // Float64Array wants 8-byte alignment: copy when the read buffer does not give it.
    const f = (bytes.byteOffset % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8) : new Float64Array(new Uint8Array(bytes).buffer));
    return {s, f};
  }
  return undefined;
}

/**
 * The fast path of a no-op: the exit code of a replayed no-op, or undefined when anything is in
 * doubt (the caller then starts the engine as usual). Loads only the bundle's small replay entry.
 */
export async function fastNoop(argv) {
  const read = readStamp();
  if (!read) return undefined;
  const {s, f} = read;
  if (s?.format !== FORMAT || f[0] !== SENTINEL || s.key !== invocationKey(argv)) return undefined;
  const table = f.subarray(1);
  if (table.length !== pathCount(s) * W) return undefined;
  // The engine first: an edited bevbuild means another bundle, and maybe other answers.
  const engineCount = s.engine.paths.length;
  for (let i = 0; i < engineCount; i++) if (!same(table, i, s.engine.paths[i])) return undefined;
  let replay;
  try {
    replay = await import(pathToFileURL(join(s.engine.bundle, 'noop-fast-replay.mjs')).href);
  } catch {
    return undefined; // a bundle made before the fast path existed, or swept: the engine decides
  }
  try {
    const now = new Date();
    utimesSync(s.engine.bundle, now, now); // in use: see sweepOldBundles in bin/bevbuild.js
  } catch {
    // a read-only cache: nothing sweeps it either
  }
  const finds = s.trees.filter((t) => t.find);
  return replay.replayFast(s, async () => {
    if (!everyPath(s, engineCount, (p, i) => same(table, i, p))) return false;
    const listed = await Promise.all(finds.map(async (t) => digestParts(await listTree(t.root))));
    return finds.every((t, i) => listed[i]?.digest === t.find);
  });
}
