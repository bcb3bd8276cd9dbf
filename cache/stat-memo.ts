/**
 * The persistent stat memo (DESIGN.md decision 3): `(dev, ino, size, mtime_ns, ctime_ns) → digest`,
 * keyed by absolute path, so a no-op build over a dataset costs one `lstat` per file and no reads.
 *
 * File: `<stateDir>/stat-memo.tsv`, loaded once. A header line `bevbuild-stat-memo<TAB>1`, then one
 * line per path:
 *   <absPath> TAB <stamp> TAB <digest> TAB <executable 0|1>
 * or `<absPath> TAB -` (a tombstone: forget the path); a later line for a path overrides earlier ones.
 * Saving appends the lines of the paths that changed (one file changed among 30,000 need not rewrite
 * 4 MB), behind a newline that ends any line a killed process left torn; a torn line is never
 * trusted (it fails the shape check, or a lookup's length check). When the appended lines outnumber
 * the entries, or the file was not a memo, the whole memo is written afresh (tmp + rename, atomic).
 * `stamp` is "dev:ino:size:mtime:ctime" (timestamps in ms with sub-µs fractions) as one string: one
 * comparison per lookup. Tab-separated text rather than JSON: it loads 30,000 entries in a few ms.
 *
 * Racy files (git's "racy clean" problem): timestamps have coarse granularity (ext4 takes them from a
 * jiffy clock), so a file written twice within one tick keeps its stamp. An entry is therefore
 * stored only if the file's mtime and ctime are older than `racyWindowMs` (default 1 s) when it was
 * stat'ed; a fresher file is hashed again next time.
 */
import {lstatSync, mkdirSync, statSync, type Stats} from 'node:fs';
import {appendFile, readFile, rename, unlink, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {hashFilesSettled, type Digest} from './digest.ts';
import {isExecutable, makeManifest, manifestDigest, walkTree, type TreeEntry, type TreeManifest} from './tree.ts';

/** What `digestPaths` knows about one path. */
export type PathDigest =
  | {kind: 'file'; digest: Digest; size: number; executable: boolean}
  | {kind: 'dir'; digest: Digest; size: number; manifest: TreeManifest}
  | {kind: 'missing'};

/** Options of `digestPaths`. */
export interface DigestPathsOptions {
  /**
   * Leave ctime out of the stamp. Not for store objects: a write through a workspace hardlink that
   * puts the mtime back changes only the ctime (issue 16 finding 9); the store re-stamps objects
   * after linking them instead (`vouch`).
   */
  ignoreCtime?: boolean;
}

interface Fact {
  digest: Digest;
  size: number;
  executable: boolean;
}

interface Miss {
  stamp: string;
  trusted: boolean;
  executable: boolean;
  size: number;
}

const FILE_NAME = 'stat-memo.tsv';

/** A memo handed from one step of a command to the next in the same process (see `handOff`). */
let handedOff: {memo: StatMemo; file: string} | undefined;

/** Forgets a hand-off the command did not take (its config failed to load): the daemon calls it after each command. */
export function dropHandOff(): void {
  handedOff = undefined;
}

/**
 * Memos kept open for the next command of this process (the daemon's): memo file → the memo, while
 * the file is as this process left it. Sound however old: every entry maps a stat stamp to the
 * digest of the bytes it was computed from, and a stamp that no longer matches is simply a miss.
 */
let kept: Map<string, StatMemo> | undefined;

/** Keeps every memo this process opens for its next `open` of the same file (the daemon turns it on). */
export function keepMemosOpen(): void {
  kept ??= new Map();
}

/** The memo file's identity, or '' when it is missing: another process's write changes it. */
function fileStamp(file: string): string {
  const st = statSync(file, {throwIfNoEntry: false});
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '';
}
const HEADER = 'bevbuild-stat-memo\t1';
/** Length of "\t<64 hex>\t<0|1>" at the end of a memo value. */
const TAIL = 67;

/**
 * How `digestPaths` lists a directory input: cache/tree.ts's walkTree, unless a long-lived process
 * (the daemon, src/daemon/watched-trees.ts) lends listings it keeps true with a file watcher.
 */
export interface TreeLister {
  /** Resolves once the listings reflect every change made before the call. */
  sync(): Promise<void>;
  /** walkTree's contract: every regular file under `absDir` (any order), or a TreeScanError. */
  walk(absDir: string, onFile: (rel: string, abs: string, st: Stats, viaLink: boolean) => void): void;
}

let lister: TreeLister | undefined;

/** Lends `l` to every memo of this process (undefined: back to walking every file). */
export function useTreeLister(l: TreeLister | undefined): void {
  lister = l;
}

/** Persistent stat → digest memo. Create with `StatMemo.open`. */
export class StatMemo {
  readonly #file: string;
  /**
   * path → "stamp\tdigest\t0|1". One string per entry, not an object: loading 30,000 entries then
   * allocates 30,000 sliced strings and nothing else, and a hit is one `startsWith`.
   */
  readonly #entries: Map<string, string>;
  readonly #racyWindowMs: number;
  /** Keys set or deleted since `open` (or the last save): what `save` appends. */
  readonly #changed = new Set<string>();
  /** Lines in the file (0: no usable file, write it whole). */
  #lines: number;
  /** Lookups answered from the memo / files hashed, since `open` (for tests, `--verbose`, benches). */
  readonly stats = {hits: 0, misses: 0};
  /**
   * Runs one synchronous step of `digestPaths`' own stat/readdir walk. The no-op recorder replaces
   * it to leave these calls unrecorded: the digests it records cover every path they touch, and
   * recording 30,000 paths one by one cost more than the walk's own work.
   */
  quietly: <T>(step: () => T) => T = (step) => step();
  /** Answers of a `digestPaths` moments ago, each given once more (see `handOff`). */
  readonly #seeded = new Map<string, PathDigest>();
  /** fileStamp of the memo file when this memo last read or wrote it (kept memos only). */
  #leftAs = '';

  private constructor(file: string, entries: Map<string, string>, racyWindowMs: number, lines: number) {
    this.#file = file;
    this.#entries = entries;
    this.#racyWindowMs = racyWindowMs;
    this.#lines = lines;
  }

  /** Loads `<stateDir>/stat-memo.tsv`; a missing, corrupt or other-format file starts an empty memo. */
  static async open(stateDir: string, opts: {racyWindowMs?: number} = {}): Promise<StatMemo> {
    const file = join(stateDir, FILE_NAME);
    const given = handedOff;
    handedOff = undefined;
    if (given && given.file === file && opts.racyWindowMs === undefined) return given.memo;
    const keep = kept && opts.racyWindowMs === undefined ? kept : undefined;
    const old = keep?.get(file);
    if (old && old.#leftAs === fileStamp(file)) return old.#forNextCommand();
    const leftAs = keep ? fileStamp(file) : ''; // before the read: a write in between means a reload next time
    const entries = new Map<string, string>();
    const text = await readFile(file, 'latin1').catch(() => '');
    let lines = 0;
    // latin1 keeps bytes 1:1 (fast, no UTF-8 decoding); paths are converted back on use.
    if (text.startsWith(`${HEADER}\n`)) {
      let pos = HEADER.length + 1;
      lines = 1;
      while (pos < text.length) {
        const nl = text.indexOf('\n', pos);
        if (nl < 0) break; // truncated last line: ignore it
        lines++;
        const tab = text.indexOf('\t', pos);
        const len = nl - tab - 1;
        if (tab > pos && tab < nl && len > TAIL && text.charCodeAt(nl - TAIL) === 9 && text.charCodeAt(nl - 2) === 9) {
          entries.set(text.slice(pos, tab), text.slice(tab + 1, nl));
        } else if (tab > pos && len === 1 && text.charCodeAt(tab + 1) === 45) {
          entries.delete(text.slice(pos, tab)); // tombstone
        }
        pos = nl + 1;
      }
    }
    const memo = new StatMemo(file, entries, opts.racyWindowMs ?? 1000, lines);
    if (keep) {
      memo.#leftAs = leftAs;
      keep.set(file, memo);
    }
    return memo;
  }

  /** This kept memo, as a fresh `open` would hand it out: the last command's wrappers and counts gone. */
  #forNextCommand(): this {
    // The no-op recorder (src/engine/noop-stamp.ts) sets both on the instance for its own command.
    delete (this as Partial<Pick<StatMemo, 'digestPaths'>>).digestPaths;
    this.quietly = (step) => step();
    this.stats.hits = 0;
    this.stats.misses = 0;
    this.#seeded.clear();
    return this;
  }

  /** Number of memoized paths. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Digest of each path: a file (symlinks followed), a directory (manifest digest; its files listed)
   * or missing. Memo hits cost one `lstat`; misses are hashed in parallel on all cores.
   * Throws `TreeScanError` for a dangling symlink or a symlink cycle inside a directory.
   *
   * Stamps use the millisecond float timestamps of plain `Stats` (sub-microsecond resolution): the
   * bigint variant allocates ~20 BigInts per file and doubled the time of a warm 30,000-file run.
   */
  async digestPaths(absPaths: string[], opts: DigestPathsOptions = {}): Promise<Map<string, PathDigest>> {
    if (this.#seeded.size > 0) {
      // Only the first call gets them: a later one may come after a tool rewrote a path.
      const seeded = new Map(this.#seeded);
      this.#seeded.clear();
      const out = new Map<string, PathDigest>();
      const rest = opts.ignoreCtime ? absPaths : absPaths.filter((p) => !seeded.has(p));
      for (const p of absPaths) if (!opts.ignoreCtime && seeded.has(p)) out.set(p, seeded.get(p)!);
      for (const [p, d] of rest.length ? await this.digestPaths(rest, opts) : []) out.set(p, d);
      return out;
    }
    const ignoreCtime = opts.ignoreCtime ?? false;
    const list = lister;
    await list?.sync(); // before Date.now(): the racy window is judged against this moment or later
    const walk = list ? list.walk.bind(list) : walkTree;
    const nowMs = Date.now();
    const racy = this.#racyWindowMs;
    const entries = this.#entries;
    const out = new Map<string, PathDigest>();
    const misses = new Map<string, Miss>();
    const files: {abs: string; fact?: Fact}[] = [];
    const dirs: {abs: string; rels: string[]; files: {abs: string; fact?: Fact}[]}[] = [];

    /** A memo hit's fact, or undefined after registering a miss. */
    const look = (abs: string, st: Stats): Fact | undefined => {
      const stamp = statStamp(st, ignoreCtime);
      const key = memoKey(abs);
      const v = entries.get(key);
      if (v !== undefined && v.length === stamp.length + TAIL && v.startsWith(stamp) && v.charCodeAt(stamp.length) === 9) {
        this.stats.hits++;
        return {digest: v.slice(stamp.length + 1, stamp.length + 65), size: st.size, executable: v.charCodeAt(v.length - 1) === 49};
      }
      if (!misses.has(abs)) {
        const newest = ignoreCtime ? st.mtimeMs : Math.max(st.mtimeMs, st.ctimeMs);
        misses.set(abs, {stamp, trusted: racy === 0 || nowMs - newest > racy, executable: isExecutable(st.mode), size: st.size});
      }
      return undefined;
    };

    let n = 0;
    const visit = (abs: string): void => {
      const st = statFollow(abs);
      if (!st || !(st.isFile() || st.isDirectory())) {
        // missing, or a FIFO/socket/device: not an input we can digest
        out.set(abs, {kind: 'missing'});
        this.#delete(memoKey(abs));
      } else if (st.isFile()) {
        const fact = look(abs, st);
        files.push(fact ? {abs, fact} : {abs});
      } else {
        const d = {abs, rels: [] as string[], files: [] as {abs: string; fact?: Fact}[]};
        walk(abs, (rel, fileAbs, fst) => {
          const fact = look(fileAbs, fst);
          d.rels.push(rel);
          d.files.push(fact ? {abs: fileAbs, fact} : {abs: fileAbs});
        });
        dirs.push(d);
      }
    };
    for (const abs of new Set(absPaths)) {
      if (++n % 4096 === 0) await new Promise((r) => setImmediate(r)); // let the event loop breathe
      this.quietly(() => visit(abs));
    }

    const hashed = new Map<string, Fact>();
    if (misses.size > 0) {
      const results = await hashFilesSettled([...misses.keys()]);
      for (const [abs, m] of misses) {
        const r = results.get(abs);
        this.stats.misses++;
        const key = memoKey(abs);
        if (!r || 'error' in r) {
          this.#delete(key);
          continue; // vanished between stat and read
        }
        hashed.set(abs, {digest: r.digest, size: r.size, executable: m.executable});
        // Trust only a stat taken well after the last write, and only if the size still agrees.
        if (m.trusted && r.size === m.size) {
          entries.set(key, `${m.stamp}\t${r.digest}\t${m.executable ? 1 : 0}`);
          this.#changed.add(key);
        } else this.#delete(key);
      }
    }

    for (const f of files) {
      const fact = f.fact ?? hashed.get(f.abs);
      out.set(f.abs, fact ? {kind: 'file', ...fact} : {kind: 'missing'});
    }
    for (const d of dirs) {
      const list: TreeEntry[] = new Array(d.files.length);
      let size = 0;
      let complete = true;
      for (let i = 0; i < d.files.length; i++) {
        const f = d.files[i]!;
        const fact = f.fact ?? hashed.get(f.abs);
        if (!fact) {
          complete = false;
          break;
        }
        list[i] = {path: d.rels[i]!, digest: fact.digest, size: fact.size, executable: fact.executable};
        size += fact.size;
      }
      if (!complete) {
        // A file vanished while we looked: the directory is changing under us; digest it afresh.
        const again = await this.digestPaths([d.abs], opts);
        out.set(d.abs, again.get(d.abs)!);
        continue;
      }
      const manifest = makeManifest(list);
      out.set(d.abs, {kind: 'dir', digest: manifestDigest(manifest), size, manifest});
    }
    return out;
  }

  /**
   * Records the file's current stamp for a digest the caller has just verified, skipping the racy
   * window: for store objects whose ctime bevbuild itself just changed (by linking them), so the
   * next lookup is a hit instead of a full re-hash. Never for files something else may write.
   */
  vouch(absPath: string, digest: Digest): void {
    const st = lstatSync(absPath, {throwIfNoEntry: false});
    if (!st?.isFile()) return;
    const key = memoKey(absPath);
    this.#entries.set(key, `${statStamp(st)}\t${digest}\t${isExecutable(st.mode) ? 1 : 0}`);
    this.#changed.add(key);
  }

  /** Forgets one path (e.g. after bevbuild itself rewrote it). */
  forget(absPath: string): void {
    this.#seeded.delete(absPath);
    this.#delete(memoKey(absPath));
  }

  /**
   * Leaves this memo, with `answers` (what `digestPaths` just returned), for the next `open` of the
   * same state dir in this process: the no-op stamp's digest check, when it fails, hands the
   * build that follows at once the 30,000-file walk it just did, and the memo it loaded. Only the
   * next `digestPaths` call gets the answers (the build's up-front prefetch, which stands for every
   * input until the tools run, so reusing a check made ~0.1 s earlier widens no window that
   * matters); after it every path is walked as usual.
   */
  handOff(answers: Map<string, PathDigest>): void {
    for (const [p, d] of answers) this.#seeded.set(p, d);
    handedOff = {memo: this, file: this.#file};
  }

  #delete(key: string): void {
    if (this.#entries.delete(key)) this.#changed.add(key);
  }

  /**
   * Writes what changed, if anything: appended to the file, or the whole memo afresh (tmp file in
   * the same directory, then rename: atomic) when the file holds more old lines than entries.
   */
  async save(): Promise<void> {
    const changed = this.#changed;
    if (changed.size === 0) return;
    if (this.#lines > 0 && this.#lines + changed.size <= 2 * this.#entries.size + 1024) {
      let text = '\n'; // ends a line a killed writer left torn (an empty line is skipped)
      for (const k of changed) {
        if (k.includes('\n') || k.includes('\t')) continue;
        const v = this.#entries.get(k);
        text += v === undefined ? `${k}\t-\n` : `${k}\t${v}\n`;
      }
      await appendFile(this.#file, text, 'latin1');
      this.#lines += changed.size + 1;
      changed.clear();
      if (kept?.get(this.#file) === this) this.#leftAs = fileStamp(this.#file);
      return;
    }
    const rows: string[] = [HEADER];
    for (const [p, v] of this.#entries) {
      if (!p.includes('\n') && !p.includes('\t')) rows.push(`${p}\t${v}`);
    }
    rows.push('');
    mkdirSync(join(this.#file, '..'), {recursive: true});
    const tmp = `${this.#file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await writeFile(tmp, rows.join('\n'), 'latin1');
      await rename(tmp, this.#file);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
    this.#lines = rows.length - 1;
    changed.clear();
    if (kept?.get(this.#file) === this) this.#leftAs = fileStamp(this.#file);
  }
}

/**
 * A file's stamp, "dev:ino:size:mtime:ctime" (ms with sub-µs fractions): any write changes it, the
 * ctime even when the mtime is put back. `ignoreCtime` puts `-` for the ctime (see DigestPathsOptions).
 */
export function statStamp(st: Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>, ignoreCtime = false): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${ignoreCtime ? '-' : st.ctimeMs}`;
}

/**
 * Memo keys are paths as latin1 "byte strings" (what `open` reads without decoding): identical to the
 * path for ASCII, and a bijective encoding of UTF-8 paths otherwise.
 */
function memoKey(abs: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(abs) ? abs : Buffer.from(abs, 'utf8').toString('latin1');
}

/** `lstat`, then `stat` only for a symlink (followed: datasets are symlink farms); undefined if missing. */
function statFollow(abs: string): Stats | undefined {
  try {
    const st = lstatSync(abs, {throwIfNoEntry: false});
    if (st?.isSymbolicLink()) return statSync(abs, {throwIfNoEntry: false});
    return st;
  } catch {
    return undefined; // ENOTDIR, EACCES, ELOOP: not something we can read
  }
}
