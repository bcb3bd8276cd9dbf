// Starts the engine bundle with V8's code cache (issue 12). Without it every start re-parses and
// re-compiles the ~1.2 MB engine and zod, and compiles again every function a build calls: 40–60 ms
// of a 250 ms plan. Node 20 has no compile cache for ES modules (module.enableCompileCache is
// Node 22), so the engine is bundled as one CommonJS file and run through vm.Script, which takes
// and makes V8 code caches. Plain JavaScript: it runs before the engine exists.
//
// V8 checks a cache's version, flags and source *length* only, so the cache file carries its own
// header: the bundle file's stat stamp, ctime included (a bundle directory is written once, then
// never changed, but a same-length rewrite must still not get the old code), and
// the sha256 of the cache bytes (a damaged file is never handed to V8; a deliberately forged one
// is out of scope: whoever can write it can write cli.cjs). Anything in doubt means "compile from
// source", which is always correct, and a fresh cache is written after the run. Only a regular
// file is read (a FIFO would block) or replaced; a bundle directory keeps the few newest caches.
// Code restored from a cache cannot call `import()` on Node 20 ("dynamic import callback was not
// specified"), so the engine imports ES modules through the function in `IMPORT_HOOK`
// (src/esm-import.ts), which the bin defines in its own module.
import {readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import vm from 'node:vm';

/** The global symbol under which the bin lends the engine its `import()`. */
export const IMPORT_HOOK = Symbol.for('bevbuild.import');
const MAGIC = 'bevbuild-v8-cache 1';
/** The producer of a cache made by a build: the command whose functions are worth having compiled. */
const BEST = 'build';

/** The bundle file's stamp: any rewrite of it (there should be none) changes it, its ctime at least. */
function stampOf(file) {
  const st = statSync(file);
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** Runs `f`, ignoring a failure (a cache is only ever an optimization). */
function quietly(f) {
  try {
    f();
  } catch {
    // nothing to do
  }
}

/** How many caches (Node versions × V8 flag sets) a bundle directory keeps. */
const KEEP = 4;

/**
 * Beside `cacheFile`: temps over an hour old (left by a process killed between its write and its
 * rename), and caches beyond the KEEP most recently written (other Nodes, other V8 flags).
 */
function sweepOld(cacheFile) {
  const dir = dirname(cacheFile);
  quietly(() => {
    const caches = [];
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (/^v8-.*\.cache\.tmp-/.test(name)) quietly(() => Date.now() - statSync(p).mtimeMs > 3600_000 && rmSync(p, {force: true}));
      else if (/^v8-.*\.cache$/.test(name) && p !== cacheFile) quietly(() => caches.push({p, ms: statSync(p).mtimeMs}));
    }
    caches.sort((a, b) => b.ms - a.ms);
    for (const {p} of caches.slice(KEEP - 1)) quietly(() => rmSync(p, {force: true}));
  });
}

/** The cache bytes and their producer when the file is whole and made for this bundle; else undefined. */
function readCache(cacheFile, stamp, sha256) {
  let buf;
  try {
    // A regular file only: reading a FIFO someone left there would block every start.
    if (!statSync(cacheFile).isFile()) return undefined;
    buf = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const nl = buf.indexOf(10);
  if (nl < 0 || nl > 512) return undefined;
  const [magic, madeFor, digest, producer] = buf.toString('latin1', 0, nl).split('\t');
  const data = buf.subarray(nl + 1);
  if (magic !== MAGIC || madeFor !== stamp || digest !== sha256(data)) return undefined;
  return {data, producer};
}

/**
 * Runs the CommonJS bundle `file` with the code cache at `cacheFile` and returns its exports and
 * `status` (`hit`, `miss`, or `rejected` by V8). `save(command)` writes a new cache after the run
 * when there was none, V8 rejected it, or it was made by a lesser command than a build; it never
 * throws (a read-only install just runs without a cache).
 * @param {string} file
 * @param {string} cacheFile
 * @param {(data: Uint8Array) => string} sha256
 */
export function runBundle(file, cacheFile, sha256) {
  const source = readFileSync(file, 'latin1'); // pure ASCII: bin/bevbuild.js makes it so (asciiOnly)
  const stamp = stampOf(file);
  const cache = readCache(cacheFile, stamp, sha256);
  // The same wrapper as Node's own CommonJS loader: V8 keys the cache on this exact text's length.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {filename: file, cachedData: cache?.data});
  const status = !cache ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  const module = {exports: {}};
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  const save = (command) => {
    if (status === 'hit' && (cache.producer === BEST || command !== BEST)) return;
    const tmp = `${cacheFile}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      // Something else than a cache at its path (a directory…): leave it, and run without a cache.
      if (statSync(cacheFile, {throwIfNoEntry: false})?.isFile() === false) return;
      const data = script.createCachedData();
      writeFileSync(tmp, Buffer.concat([Buffer.from(`${MAGIC}\t${stamp}\t${sha256(data)}\t${command ?? ''}\n`, 'latin1'), data]));
      renameSync(tmp, cacheFile); // whole or not at all: builds start at once
    } catch {
      quietly(() => rmSync(tmp, {force: true}));
    }
    sweepOld(cacheFile);
  };
  return {exports: module.exports, status, save};
}
