/**
 * The local content-addressed store (DESIGN.md decision 4), by default `<workspace>/.bevbuild/cache`:
 *
 *   objects/ab/cdef…          immutable file contents, named by sha256, mode 0444 (0555 if executable);
 *                             a directory's manifest (canonical JSON) is an object too
 *   actions/ab/<key>.json     action records: what a successful run of a key produced (versioned JSON)
 *   tmp/                      staging for writes; everything reaches its final name by rename
 *
 * Safety rules: nothing is ever truncated or written in place; two processes may write the same
 * object at once (each writes its own temp file, and renaming identical content over itself is
 * harmless); every record read is schema-validated and every object is re-hashed (through the
 * stat memo) before it is restored or reused for a new record. Whatever fails a check is deleted
 * (or replaced by a fresh copy), logged in `repairs.jsonl` and reported, never used.
 *
 * Hardlinked outputs share their object's inode, so a write to the workspace file is a write to
 * the object (issue 16 finding 9). The memo stamp of an object includes its ctime, which every
 * write changes (even one that puts the mtime back): a changed object is re-hashed before use.
 * Linking changes the ctime too, so after linking an object it has just verified the store
 * re-stamps it (`StatMemo.vouch`) instead of paying a re-hash on the next restore.
 *
 * Use tracking for `prune` is by record mtime (touched on every successful `readRecord`), not by
 * touching objects: changing an object's times would invalidate its stat-memo entry and force a
 * re-hash of big objects on every restore.
 */
import {constants as fsc} from 'node:fs';
import {chmod, copyFile, lstat, mkdir, rename, rm, stat, unlink, utimes, writeFile} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {fail, ok, type Result} from '../src/result.ts';
import {hashBytes, hashFile, hashFiles, hashFilesSettled, isDigest, type Digest} from './digest.ts';
import type {StatMemo} from './stat-memo.ts';
import {listStoreFiles, pruneStore, type PruneResult} from './store-prune.ts';
import {mapLimit, replace} from './fs-util.ts';
import {isLinkOf, placeObject, type MaterializeMethod, type PlaceState} from './place-object.ts';
import {checkRecord, readManifestFile, readRecordFile} from './records.ts';
import {extraFiles, moveAside} from './output-guard.ts';
import {logRepair, type StoreRepair} from './store-repairs.ts';
import {tempSiblingName} from './stray-temps.ts';
import {canonicalManifestJson, isExecutable, makeManifest, scanTree, type TreeEntry, type TreeManifest} from './tree.ts';

export type {PruneResult};
export type {ActionRecord, OutputEntry} from './store-types.ts';
import type {ActionRecord, OutputEntry} from './store-types.ts';

export type {MaterializeMethod};

/** What `materialize` did. */
export interface Materialized {
  method: MaterializeMethod;
  /** Files found in the old directory output that the record does not name, and where they went. */
  rescued?: {files: string[]; to: string};
}

/** Parallel file operations when storing or restoring a directory. */
const FILE_OP_CONCURRENCY = 16;

/** The local store. All methods are safe to call from several processes sharing `root`. */
export class LocalStore {
  readonly root: string;
  readonly #placeState: PlaceState = {reflinkUnsupported: false};
  /**
   * Objects this process staged, hashed and committed itself: digest → "ino:size:mtime" at commit.
   * Restoring an output right after storing it then skips a second full hash (the stat memo cannot
   * help: a just-written file is racy). Any later write changes mtime and voids the shortcut.
   */
  readonly #committed = new Map<Digest, string>();
  /** The workspace's stat memo: verifies existing objects cheaply when no memo is passed. */
  readonly #memo: StatMemo | undefined;

  constructor(root: string, memo?: StatMemo) {
    this.root = root;
    this.#memo = memo;
  }

  /** Where the object with this digest lives (whether or not it exists). */
  objectPath(d: Digest): string {
    if (!isDigest(d)) throw new Error(`Internal error: not a digest: ${JSON.stringify(d)}`);
    return join(this.root, 'objects', d.slice(0, 2), d.slice(2));
  }

  /** Where the action record of this key lives. */
  recordPath(key: Digest): string {
    if (!isDigest(key)) throw new Error(`Internal error: not an action key: ${JSON.stringify(key)}`);
    return join(this.root, 'actions', key.slice(0, 2), `${key}.json`);
  }

  /** A fresh temp path in `tmp/` (same filesystem as objects/ and actions/, so rename is atomic). */
  async #tmpPath(): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, {recursive: true});
    return join(dir, `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);
  }

  /** True if the object is present (not checked for corruption; see `verifyObject`). */
  async hasObject(d: Digest): Promise<boolean> {
    const st = await stat(this.objectPath(d)).catch(() => undefined);
    return st?.isFile() ?? false;
  }

  /**
   * Present and intact, so a fresh copy with this digest can be dropped? The size is compared
   * first, then the digest (through the memo: one lstat for an unchanged object). A corrupt
   * object is removed so the caller's fresh, verified copy replaces it (issue 16 finding 3).
   */
  async #present(d: Digest, size: number): Promise<boolean> {
    const p = this.objectPath(d);
    const st = await stat(p).catch(() => undefined);
    if (!st) return false;
    if (st.isFile() && st.size === size) {
      const bad = await this.#verifyMany([d], undefined, 'store');
      if (bad.length === 0) return true;
      if (bad[0]!.problem === 'missing') return false; // vanished meanwhile (a concurrent prune)
    } else await rm(p, {force: true, recursive: true});
    await logRepair(this.root, {digest: d, action: 'replaced', by: 'store'});
    return false;
  }

  /**
   * Gives a staged file its object mode and renames it into place (or drops it as a duplicate).
   * `hashedHere`: `d` was computed from `tmp` itself, so the new object is verified by construction.
   */
  async #commit(tmp: string, d: Digest, size: number, executable: boolean, hashedHere = false): Promise<void> {
    if (await this.#present(d, size)) {
      await unlink(tmp).catch(() => {});
      return;
    }
    const dest = this.objectPath(d);
    await chmod(tmp, executable ? 0o555 : 0o444);
    await mkdir(dirname(dest), {recursive: true});
    const st = hashedHere ? await stat(tmp) : undefined;
    // If another process committed the same object meanwhile, this replaces identical bytes.
    await rename(tmp, dest);
    if (st) this.#committed.set(d, `${st.ino}:${st.size}:${st.mtimeMs}`);
  }

  /** Stages `src` into tmp/ by rename (same fs) or, across filesystems, by copy + unlink. */
  async #stageMove(src: string): Promise<string> {
    const tmp = await this.#tmpPath();
    try {
      await rename(src, tmp);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      await copyFile(src, tmp, fsc.COPYFILE_FICLONE);
      await unlink(src);
    }
    return tmp;
  }

  /** Copies `src` into tmp/ (reflink where the filesystem has it). */
  async #stageCopy(src: string): Promise<string> {
    const tmp = await this.#tmpPath();
    await copyFile(src, tmp, fsc.COPYFILE_FICLONE);
    return tmp;
  }

  /**
   * Stores a produced file as a read-only object (0444, 0555 if executable) and dedups.
   * `move`: the file is renamed into the store (same filesystem) and is gone from `absPath`
   * afterwards, also when the object already existed; a symlink is copied, never moved.
   * `digest`: a digest the caller already knows (e.g. from the stat memo) saves re-reading.
   */
  async putFile(absPath: string, opts: {move?: boolean; digest?: Digest} = {}): Promise<{digest: Digest; size: number}> {
    const lst = await lstat(absPath);
    const st = lst.isSymbolicLink() ? await stat(absPath) : lst;
    if (!st.isFile()) throw Object.assign(new Error(`not a regular file: ${absPath}`), {code: 'EISDIR', path: absPath});
    const executable = isExecutable(st.mode);
    if (opts.move && !lst.isSymbolicLink()) {
      const tmp = await this.#stageMove(absPath);
      // Hash the staged copy: we own it now, so what we hash is exactly what we store.
      const h = opts.digest ? {digest: opts.digest, size: st.size} : await hashFile(tmp);
      await this.#commit(tmp, h.digest, h.size, executable, !opts.digest);
      return h;
    }
    const h = opts.digest ? {digest: opts.digest, size: st.size} : await hashFile(absPath);
    if (await this.#present(h.digest, h.size)) {
      if (opts.move) await unlink(absPath);
      return h;
    }
    const tmp = await this.#stageCopy(absPath);
    await this.#commit(tmp, h.digest, h.size, executable);
    if (opts.move) await unlink(absPath);
    return h;
  }

  /** Stores bytes as an object (manifests). */
  async #putBytes(bytes: string | Uint8Array): Promise<Digest> {
    const d = hashBytes(bytes);
    const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
    if (await this.#present(d, size)) return d;
    const tmp = await this.#tmpPath();
    await writeFile(tmp, bytes);
    await this.#commit(tmp, d, size, false, true);
    return d;
  }

  /**
   * Stores every file of a directory (symlinks followed) plus its manifest, and returns the
   * directory digest (= the manifest's digest). With `move`, the directory is consumed.
   */
  async putTree(absDir: string, opts: {move?: boolean} = {}): Promise<{digest: Digest; size: number; manifest: TreeManifest}> {
    const files = scanTree(absDir);
    const entries: TreeEntry[] = [];
    if (opts.move) {
      const staged = await mapLimit(files, FILE_OP_CONCURRENCY, (f) => (f.viaLink ? this.#stageCopy(f.abs) : this.#stageMove(f.abs)));
      const hashed = await hashFiles(staged);
      await mapLimit(files, FILE_OP_CONCURRENCY, async (f, i) => {
        const h = hashed.get(staged[i]!)!;
        const executable = isExecutable(f.stat.mode);
        await this.#commit(staged[i]!, h.digest, h.size, executable, true);
        entries.push({path: f.rel, digest: h.digest, size: h.size, executable});
      });
    } else {
      const hashed = await hashFiles(files.map((f) => f.abs));
      await mapLimit(files, FILE_OP_CONCURRENCY, async (f) => {
        const h = hashed.get(f.abs)!;
        const executable = isExecutable(f.stat.mode);
        if (!(await this.#present(h.digest, h.size))) await this.#commit(await this.#stageCopy(f.abs), h.digest, h.size, executable);
        entries.push({path: f.rel, digest: h.digest, size: h.size, executable});
      });
    }
    const manifest = makeManifest(entries);
    const digest = await this.#putBytes(canonicalManifestJson(manifest));
    if (opts.move) await rm(absDir, {recursive: true, force: true});
    return {digest, size: entries.reduce((a, e) => a + e.size, 0), manifest};
  }

  /**
   * Re-hashes an object (through the memo, if given: then an unchanged object costs one lstat) and
   * compares with its name. A corrupt object is deleted. False if missing or corrupt.
   */
  async verifyObject(d: Digest, memo?: StatMemo, by: StoreRepair['by'] = 'restore'): Promise<boolean> {
    return (await this.#verifyMany([d], memo, by)).length === 0;
  }

  /**
   * The objects behind recorded outputs (a directory's manifest and its files) that are missing or
   * corrupt; corrupt ones are deleted and logged. Unchanged objects cost one lstat (memo hit).
   */
  async unusableObjects(outputs: OutputEntry[], memo?: StatMemo, by: StoreRepair['by'] = 'restore'): Promise<{digest: Digest; problem: 'missing' | 'corrupt'}[]> {
    const digests: Digest[] = [];
    for (const o of outputs) {
      if (o.kind === 'file') {
        digests.push(o.digest);
        continue;
      }
      const m = await this.#readManifest(o.digest, memo, by);
      if (!m.ok) return [{digest: o.digest, problem: m.error.reason === 'cache-object-missing' ? 'missing' : 'corrupt'}];
      for (const e of m.value.entries) digests.push(e.digest);
    }
    return this.#verifyMany(digests, memo, by);
  }

  /**
   * Verifies objects in parallel; returns the ones missing or corrupt (corrupt ones deleted and
   * logged as dropped, unless `by` is `store`: then the caller replaces them).
   */
  async #verifyMany(digests: Digest[], memo = this.#memo, by: StoreRepair['by'] = 'restore'): Promise<{digest: Digest; problem: 'missing' | 'corrupt'}[]> {
    const unique: Digest[] = [];
    for (const d of new Set(digests)) {
      const stamp = this.#committed.get(d);
      if (stamp !== undefined) {
        const st = await lstat(this.objectPath(d)).catch(() => undefined);
        if (st && `${st.ino}:${st.size}:${st.mtimeMs}` === stamp) continue; // committed by us, untouched since
        this.#committed.delete(d);
      }
      unique.push(d);
    }
    const paths = unique.map((d) => this.objectPath(d));
    const actual = new Map<string, Digest | undefined>();
    if (memo) {
      // With ctime: a write through a workspace hardlink changes it even when the mtime is put back.
      const r = await memo.digestPaths(paths);
      for (const p of paths) {
        const x = r.get(p);
        actual.set(p, x?.kind === 'file' ? x.digest : x?.kind === 'dir' ? 'dir' : undefined);
      }
    } else {
      const r = await hashFilesSettled(paths);
      for (const p of paths) {
        const x = r.get(p);
        const code = x && 'error' in x ? x.error.code : undefined;
        actual.set(p, x && !('error' in x) ? x.digest : code === 'EISDIR' ? 'dir' : undefined);
      }
    }
    const bad: {digest: Digest; problem: 'missing' | 'corrupt'}[] = [];
    for (const [i, d] of unique.entries()) {
      const p = paths[i]!;
      const a = actual.get(p);
      if (a === d) continue;
      if (a === undefined) bad.push({digest: d, problem: 'missing'});
      else {
        bad.push({digest: d, problem: 'corrupt'});
        await rm(p, {force: true, recursive: true});
        memo?.forget(p);
        if (by === 'restore') await logRepair(this.root, {digest: d, action: 'dropped', by}); // `store` replaces, `audit` reports itself
      }
    }
    return bad;
  }

  /**
   * Reads and validates the record of `key`: `ok(undefined)` if there is none; a corrupt,
   * truncated or other-format record is deleted and reported as `cache-entry-corrupt`.
   * A successful read marks the record as used (mtime) for `prune`.
   */
  async readRecord(key: Digest): Promise<Result<ActionRecord | undefined>> {
    const p = this.recordPath(key);
    const read = await readRecordFile(p, key);
    if (!read.ok) {
      if (read.error.reason !== 'cache-entry-corrupt') return read;
      await rm(p, {force: true});
      return fail('cache-entry-corrupt', `${read.error.message}; it was deleted and the node will be rebuilt.`);
    }
    if (read.value) {
      const now = new Date();
      await utimes(p, now, now).catch(() => {});
    }
    return read;
  }

  /** Writes a record atomically (temp file + rename). An invalid record is a bug: throws. */
  async writeRecord(r: ActionRecord): Promise<void> {
    const checked = checkRecord(r, r.key);
    if (!checked.ok) throw new Error(`Internal error: invalid action record for ${r.nodeId}: ${checked.error.message}`);
    const dest = this.recordPath(r.key);
    const tmp = await this.#tmpPath();
    await writeFile(tmp, `${JSON.stringify(checked.value, null, 2)}\n`);
    await mkdir(dirname(dest), {recursive: true});
    await rename(tmp, dest);
  }

  /** Reads, verifies and validates a directory manifest object. */
  async #readManifest(d: Digest, memo?: StatMemo, by: StoreRepair['by'] = 'restore'): Promise<Result<TreeManifest>> {
    const bad = await this.#verifyMany([d], memo, by);
    if (bad.length > 0) {
      return fail(bad[0]!.problem === 'missing' ? 'cache-object-missing' : 'cache-entry-corrupt', `The manifest object ${d} is ${bad[0]!.problem}.`);
    }
    // Bounded and checked before any file of it is looked at (it may come from a remote).
    const m = await readManifestFile(this.objectPath(d));
    if (!m.ok && m.error.reason === 'cache-entry-corrupt') await rm(this.objectPath(d), {force: true});
    return m.ok ? m : fail(m.error.reason, `The object ${d}: ${m.error.message}`);
  }

  /**
   * Recreates an output at `absDest` from objects. Every object is verified first; on any problem
   * an error Result comes back and `absDest` is untouched. The output is built in a temp sibling
   * and renamed into place. `mode: 'link'` (default) tries reflink → hardlink → copy (a hardlinked
   * file shares the object's read-only inode); `'copy'` tries reflink → copy (writable files).
   * `rescueDir`: files in an existing directory at `absDest` that neither the manifest nor the
   * `previous` one (the manifest digest of what bevbuild placed there before) names are moved to
   * `<rescueDir>/<entry.path>/…` (reported in `rescued`) instead of being deleted.
   */
  async materialize(
    entry: OutputEntry,
    absDest: string,
    opts: {mode?: 'link' | 'copy'; memo?: StatMemo; rescueDir?: string; previous?: Digest} = {},
  ): Promise<Result<Materialized>> {
    const mode = opts.mode ?? 'link';
    const memo = opts.memo ?? this.#memo;
    let files: {rel: string; digest: Digest; executable: boolean | undefined}[];
    if (entry.kind === 'file') {
      files = [{rel: '', digest: entry.digest, executable: entry.executable}];
    } else {
      const m = await this.#readManifest(entry.digest, memo);
      if (!m.ok) return {ok: false, error: {...m.error, message: `Cannot restore ${entry.path}: ${m.error.message}`}};
      files = m.value.entries.map((e) => ({rel: e.path, digest: e.digest, executable: e.executable}));
    }
    const bad = await this.#verifyMany(
      files.map((f) => f.digest),
      memo,
    );
    if (bad.length > 0) {
      const missing = bad.filter((b) => b.problem === 'missing').length;
      return fail(
        missing === bad.length ? 'cache-object-missing' : 'cache-entry-corrupt',
        `Cannot restore ${entry.path}: ${bad.length} of its objects ${missing === bad.length ? 'are missing' : 'are missing or corrupt (deleted)'}; it will be rebuilt.`,
        {details: bad.slice(0, 20).map((b) => `${b.problem}: ${b.digest}`)},
      );
    }

    await mkdir(dirname(absDest), {recursive: true});
    if (entry.kind === 'file' && mode === 'link' && (await isLinkOf(absDest, this.objectPath(entry.digest), entry.executable))) {
      // Already this object's hardlink (just verified): renaming a second link of the same inode
      // over it would be a no-op that leaves the temp link behind (rename(2)).
      return ok({method: 'hardlink'});
    }
    const tmp = tempSiblingName(absDest, 'tmp');
    const rank: Record<MaterializeMethod, number> = {reflink: 0, hardlink: 1, copy: 2};
    let method: MaterializeMethod = entry.kind === 'dir' && files.length === 0 ? 'copy' : 'reflink';
    let rescued: Materialized['rescued'];
    try {
      if (entry.kind === 'file') {
        method = await this.#place(files[0]!.digest, tmp, files[0]!.executable, mode, memo);
      } else {
        await mkdir(tmp);
        const dirs = new Set<string>();
        for (const f of files) for (let d = dirname(f.rel); d !== '.' && !dirs.has(d); d = dirname(d)) dirs.add(d);
        for (const d of [...dirs].sort()) await mkdir(join(tmp, d), {recursive: true});
        await mapLimit(files, FILE_OP_CONCURRENCY, async (f) => {
          const m = await this.#place(f.digest, join(tmp, f.rel), f.executable, mode, memo);
          if (rank[m] > rank[method]) method = m;
        });
        const old = await lstat(absDest).catch(() => undefined);
        if (old?.isDirectory() && opts.rescueDir) {
          const known = new Set(files.map((f) => f.rel));
          // Files of the previous version are bevbuild's own (no longer produced): they just go.
          const prev = opts.previous && opts.previous !== entry.digest ? await this.#readManifest(opts.previous, memo) : undefined;
          if (prev?.ok) for (const e of prev.value.entries) known.add(e.path);
          const extra = extraFiles(absDest, known);
          if (extra.length > 0) {
            const to = join(opts.rescueDir, entry.path);
            moveAside(absDest, extra, to);
            rescued = {files: extra, to};
          }
        }
      }
      await replace(tmp, absDest);
    } catch (e) {
      await rm(tmp, {recursive: true, force: true});
      return fail('cache-restore-failed', `Cannot restore ${entry.path} to ${absDest}: ${(e as Error).message}`);
    }
    memo?.forget(absDest);
    return ok(rescued ? {method, rescued} : {method});
  }

  /** Places one verified object; a new hardlink is re-stamped in the memo (linking changed its ctime). */
  async #place(d: Digest, dest: string, executable: boolean | undefined, mode: 'link' | 'copy', memo: StatMemo | undefined): Promise<MaterializeMethod> {
    const method = await placeObject(this.objectPath(d), dest, executable, mode, this.#placeState);
    if (method === 'hardlink') memo?.vouch(this.objectPath(d), d);
    return method;
  }

  /** Bytes in objects/ and actions/. */
  async size(): Promise<number> {
    let total = 0;
    for (const f of await listStoreFiles(join(this.root, 'objects'))) total += f.size;
    for (const f of await listStoreFiles(join(this.root, 'actions'))) total += f.size;
    return total;
  }

  /**
   * Bounds the store to `maxSizeBytes`, least recently used records first (see `pruneStore`).
   * Objects younger than `graceMs` (default 10 min) are kept even if unreferenced: another
   * process may be about to write the record that references them.
   */
  async prune(opts: {maxSizeBytes: number; graceMs?: number}): Promise<PruneResult> {
    const r = await pruneStore(this.root, opts);
    return {...r, sizeAfter: await this.size()};
  }
}
