/**
 * Cache trust for remote records (DESIGN.md decisions 13 and 16): a record downloaded from a remote
 * cache brings its provenance envelope into the local store with it; a reader configured with
 * trusted keys uses it only if a trusted key signed provenance that names exactly its outputs.
 */
import type {KeyObject} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import type {ActionRecord} from '../../cache/store-types.ts';
import {ok, type Result} from '../result.ts';
import {checkRecordProvenance} from './reader.ts';

export interface RemoteTrust {
  /** Downloads (and verifies by digest) an object into the local store; false if unavailable. */
  fetch: (digest: string, size: number) => Promise<boolean>;
  /** Where the local store keeps an object. */
  objectPath: (digest: string) => string;
  /** Trusted public keys; none means records are used unsigned (integrity by digest only). */
  trusted: readonly KeyObject[];
}

/**
 * The record to use, or why not (a sentence for the build's single remote warning). Without
 * trusted keys an unavailable provenance object only drops the reference: the outputs are still
 * verified by digest when they are downloaded.
 */
export async function admitRemoteRecord(rec: ActionRecord, t: RemoteTrust): Promise<Result<ActionRecord, string>> {
  const ref = rec.provenance;
  const fetched = ref ? await t.fetch(ref.digest, ref.size) : false;
  if (!t.trusted.length) {
    if (ref && !fetched) {
      const {provenance: _dropped, ...rest} = rec;
      return ok(rest);
    }
    return ok(rec);
  }
  if (ref && !fetched) return {ok: false, error: 'its provenance could not be downloaded, so its signature cannot be checked'};
  const text = ref ? await readFile(t.objectPath(ref.digest), 'utf8').catch(() => undefined) : undefined;
  const checked = checkRecordProvenance(rec, text, t.trusted);
  if (!checked.ok) {
    const why = checked.error.reason === 'no-provenance' || checked.error.reason === 'unsigned' ? 'it is unsigned' : checked.error.message;
    return {ok: false, error: why};
  }
  return ok(rec);
}

