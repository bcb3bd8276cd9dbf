/**
 * The remote bridge over the Bazel HTTP cache client (`cache/remote-http.ts`). Action records are
 * stored as our versioned JSON under `/ac/<key>` (nginx/WebDAV, GCS and S3 accept any bytes; see
 * README for bazel-remote), objects under `/cas/<sha256>`; a directory output is its manifest
 * object plus one object per file. Any fault turns into "not in the remote" with one warning per
 * build, and nothing unverified reaches the local store.
 */
import {HttpRemoteCache, remoteAuthFromEnv} from '../../cache/remote-http.ts';
import type {ActionRecord, LocalStore, OutputEntry} from '../../cache/local-store.ts';
import {MAX_RECORD_BYTES, maxManifestBytes, parseRecord, readManifestFile} from '../../cache/records.ts';
import type {RemoteBridge} from './remote-bridge.ts';
import {admitRemoteRecord} from '../provenance/remote-trust.ts';
import type {KeyObject} from 'node:crypto';

export interface HttpRemoteBridgeOptions {
  url: string;
  upload: boolean;
  download: 'minimal' | 'all';
  timeoutMs: number;
  store: LocalStore;
  warn: (message: string) => void;
  /** Trusted provenance keys: when given, records not signed by one of them are refused. */
  trustedKeys?: readonly KeyObject[];
}

export function httpRemoteBridge(o: HttpRemoteBridgeOptions): RemoteBridge {
  // One warning per build, whoever notices first (this bridge or the client's circuit breaker).
  let warned = false;
  const warn = (message: string) => {
    if (warned) return;
    warned = true;
    o.warn(message);
  };
  const warnOnce = (what: string, message: string) => warn(`remote cache ${client.displayUrl}: ${what} failed (${message}); building locally`);
  const client = new HttpRemoteCache({url: o.url, upload: o.upload, timeoutMs: o.timeoutMs, retries: 2, log: warn, auth: remoteAuthFromEnv(), maxActionBytes: MAX_RECORD_BYTES});
  process.once('exit', () => client.close());

  const ensure = async (digest: string, size?: number): Promise<boolean> => {
    if (await o.store.hasObject(digest)) return true;
    // No size in the record means a directory manifest: bounded like every manifest read.
    const r = await client.fetchObject(digest, o.store.objectPath(digest), size === undefined ? {maxSize: maxManifestBytes()} : {size});
    if (!r.ok) warnOnce(`download of object ${digest.slice(0, 12)}`, r.error.message);
    return r.ok;
  };
  // Bounded: size first, then entry count, before any of its files is fetched.
  const manifestOf = async (digest: string) => {
    const m = await readManifestFile(o.store.objectPath(digest));
    return m.ok ? m.value : undefined;
  };
  const filesOf = async (e: OutputEntry): Promise<{digest: string; size?: number}[] | undefined> => {
    if (e.kind === 'file') return [{digest: e.digest, size: e.size}];
    if (!(await ensure(e.digest))) return undefined;
    const m = await manifestOf(e.digest);
    if (!m) warnOnce(`reading the directory manifest ${e.digest.slice(0, 12)} of ${e.path}`, 'it is not a valid manifest');
    return m ? [{digest: e.digest}, ...m.entries.map((f) => ({digest: f.digest, size: f.size}))] : undefined;
  };

  /** Brings a record's provenance along; with trusted keys, refuses what none of them signed. */
  const admit = async (rec: ActionRecord): Promise<ActionRecord | undefined> => {
    const r = await admitRemoteRecord(rec, {fetch: ensure, objectPath: (d) => o.store.objectPath(d), trusted: o.trustedKeys ?? []});
    if (!r.ok) warn(`remote cache ${client.displayUrl}: ignoring the record of ${rec.nodeId} (${r.error}); building locally`);
    return r.ok ? r.value : undefined;
  };

  return {
    download: o.download,
    async lookup(key) {
      const r = await client.getAction(key);
      if (!r.ok) {
        warnOnce('lookup', r.error.message);
        return undefined;
      }
      if (!r.value) return undefined;
      const rec = parseRecord(r.value.toString('utf8'), key); // one that does not parse is a miss
      if (rec.ok) return await admit(rec.value);
      warnOnce(`record ${key.slice(0, 12)}`, 'it is not a valid bevbuild action record');
      return undefined;
    },
    async fetchObjects(entries) {
      for (const e of entries) {
        const files = await filesOf(e);
        if (!files) return false;
        for (const f of files) if (!(await ensure(f.digest, f.size))) return false;
      }
      return true;
    },
    async upload(record: ActionRecord) {
      if (!o.upload) return;
      for (const e of record.outputs) {
        const files = await filesOf(e);
        for (const f of files ?? []) {
          const r = await client.putObject(f.digest, o.store.objectPath(f.digest));
          if (!r.ok) return warnOnce(`upload of ${e.path}`, r.error.message);
        }
      }
      if (record.provenance) {
        const p = await client.putObject(record.provenance.digest, o.store.objectPath(record.provenance.digest));
        if (!p.ok) return warnOnce(`upload of the provenance of ${record.nodeId}`, p.error.message);
      }
      const r = await client.putAction(record.key, Buffer.from(JSON.stringify(record)));
      if (!r.ok) warnOnce(`upload of the record of ${record.nodeId}`, r.error.message);
    },
  };
}
