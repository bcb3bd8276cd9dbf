/**
 * Size bounding of the local store (`bevbuild cache prune`, DESIGN.md decision 4). LRU by record use:
 * `LocalStore.readRecord` touches a record's mtime, and objects are kept exactly as long as a kept
 * record references them (objects themselves are never touched, see local-store.ts).
 *
 *   records, newest use first ──► keep while (kept objects + records) ≤ maxSizeBytes
 *                                 └► first overflow: that record and every older one are removed
 *   objects ──► removed unless referenced by a kept record, or younger than graceMs
 *   records whose objects are gone (or that fail validation) ──► removed
 */
import {lstat, readdir, rm, stat} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';
import {isDigest, type Digest} from './digest.ts';
import {readManifestFile, readRecordFile} from './records.ts';

/** What `prune` did. */
export interface PruneResult {
  removedObjects: number;
  removedRecords: number;
  freedBytes: number;
  sizeAfter: number;
}

/** Staged temp files older than this are debris of a crashed process and are removed. */
const STALE_TMP_MS = 60 * 60 * 1000;

/** Prunes the store at `root` (objects/, actions/, tmp/). */
export async function pruneStore(root: string, opts: {maxSizeBytes: number; graceMs?: number}): Promise<Omit<PruneResult, 'sizeAfter'>> {
  const graceMs = opts.graceMs ?? 10 * 60 * 1000;
  const now = Date.now();
  let removedObjects = 0;
  let removedRecords = 0;
  let freedBytes = 0;

  const objects = new Map<Digest, {path: string; size: number; mtimeMs: number}>();
  for (const f of await listStoreFiles(join(root, 'objects'))) {
    const d = basename(dirname(f.path)) + basename(f.path);
    if (isDigest(d)) objects.set(d, f);
  }

  type Rec = {path: string; size: number; mtimeMs: number; refs: Set<Digest>};
  const records: Rec[] = [];
  const manifestRefs = new Map<Digest, Digest[] | undefined>();
  const dropRecord = async (r: {path: string; size: number}): Promise<void> => {
    await rm(r.path, {force: true});
    removedRecords++;
    freedBytes += r.size;
  };
  for (const f of await listStoreFiles(join(root, 'actions'))) {
    const key = basename(f.path, '.json');
    const parsed = isDigest(key) ? await readRecordFile(f.path, key) : undefined;
    if (!parsed?.ok || !parsed.value) {
      await dropRecord(f);
      continue;
    }
    const refs = new Set<Digest>();
    let complete = true;
    for (const o of parsed.value.outputs) {
      refs.add(o.digest);
      if (!objects.has(o.digest)) complete = false;
      if (o.kind === 'dir' && complete) {
        if (!manifestRefs.has(o.digest)) {
          const m = await readManifestFile(objects.get(o.digest)!.path);
          manifestRefs.set(o.digest, m.ok ? m.value.entries.map((e) => e.digest) : undefined);
        }
        const ds = manifestRefs.get(o.digest);
        if (!ds) complete = false;
        else for (const d of ds) refs.add(d);
      }
    }
    for (const d of refs) if (!objects.has(d)) complete = false;
    // The provenance envelope lives and dies with its record (a record without it still restores).
    const prov = parsed.value.provenance?.digest;
    if (prov && objects.has(prov)) refs.add(prov);
    if (!complete) await dropRecord(f);
    else records.push({...f, refs});
  }

  // Newest use first; keep while everything referenced so far fits.
  records.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const live = new Set<Digest>();
  let total = 0;
  let overflowed = false;
  for (const r of records) {
    let add = r.size;
    for (const d of r.refs) if (!live.has(d)) add += objects.get(d)!.size;
    if (!overflowed && total + add <= opts.maxSizeBytes) {
      total += add;
      for (const d of r.refs) live.add(d);
    } else {
      overflowed = true; // strict LRU: once something is dropped, everything used earlier goes too
      await dropRecord(r);
    }
  }
  for (const [d, o] of objects) {
    if (live.has(d) || now - o.mtimeMs < graceMs) continue;
    await rm(o.path, {force: true});
    removedObjects++;
    freedBytes += o.size;
  }
  for (const f of await listStoreFiles(join(root, 'tmp'))) {
    if (now - f.mtimeMs > STALE_TMP_MS) await rm(f.path, {force: true, recursive: true});
  }
  return {removedObjects, removedRecords, freedBytes};
}

/** Files two levels down (`<shard>/<name>`), or one level for tmp/; a missing dir is empty. */
export async function listStoreFiles(dir: string): Promise<{path: string; size: number; mtimeMs: number}[]> {
  const out: {path: string; size: number; mtimeMs: number}[] = [];
  const top = await readdir(dir, {withFileTypes: true}).catch(() => []);
  for (const t of top) {
    const p = join(dir, t.name);
    if (t.isDirectory() && basename(dir) !== 'tmp') {
      for (const name of await readdir(p).catch(() => [] as string[])) {
        const st = await stat(join(p, name)).catch(() => undefined);
        if (st?.isFile()) out.push({path: join(p, name), size: st.size, mtimeMs: st.mtimeMs});
      }
    } else {
      const st = await lstat(p).catch(() => undefined);
      if (st) out.push({path: p, size: st.size, mtimeMs: st.mtimeMs});
    }
  }
  return out;
}

