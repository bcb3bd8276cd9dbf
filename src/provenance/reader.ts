/**
 * Reading provenance back: from the local store (an action record's envelope object), and the
 * checks a reader applies to an envelope it did not write (a remote record's). Exported for the
 * other provenance consumers (`provenance` and `verify` commands, lineage, audits).
 */
import type {KeyObject} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {hashBytes} from '../../cache/digest.ts';
import type {LocalStore} from '../../cache/local-store.ts';
import type {ActionRecord} from '../../cache/store-types.ts';
import {fail, ok, type Result} from '../result.ts';
import {IN_TOTO_PAYLOAD_TYPE, parseEnvelope, verifyEnvelope, type DsseEnvelope, type EnvelopeProblem} from './dsse.ts';
import {parseStatement, statementNode, statementOutputs, type Statement} from './statement.ts';

/** An envelope with its exact stored bytes (bundles and digests use these bytes) and its statement. */
export interface Provenance {
  /** The envelope's JSON exactly as stored (one line). */
  text: string;
  digest: string;
  envelope: DsseEnvelope;
  statement: Statement;
  signed: boolean;
}

/** Decodes envelope bytes into a `Provenance` (no signature check: see `verifyEnvelope`). */
export function decodeProvenance(text: string): Result<Provenance> {
  const env = parseEnvelope(text);
  if (!env.ok) return env;
  if (env.value.payloadType !== IN_TOTO_PAYLOAD_TYPE) return fail('malformed', `payloadType: expected ${IN_TOTO_PAYLOAD_TYPE}, got ${JSON.stringify(env.value.payloadType)}`);
  const st = parseStatement(Buffer.from(env.value.payload, 'base64'));
  if (typeof st === 'string') return fail('malformed', st);
  return ok({text, digest: hashBytes(text), envelope: env.value, statement: st, signed: env.value.signatures.length > 0});
}

/**
 * The provenance of an action record from the local store: `ok(undefined)` when the record has
 * none (written before provenance existed); an error when the object is missing or corrupt.
 */
export async function readProvenance(store: LocalStore, record: ActionRecord): Promise<Result<Provenance | undefined>> {
  return record.provenance ? readProvenanceObject(store, record.provenance.digest, record.nodeId) : ok(undefined);
}

/** A provenance envelope object from the store by digest (`whose`: the node, for messages). */
export async function readProvenanceObject(store: LocalStore, digest: string, whose: string): Promise<Result<Provenance>> {
  let text: string;
  try {
    text = await readFile(store.objectPath(digest), 'utf8');
  } catch (e) {
    return fail('provenance-missing', `the provenance object ${digest.slice(0, 12)} of ${whose} is not in the store (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (hashBytes(text) !== digest) return fail('provenance-corrupt', `the provenance object ${digest.slice(0, 12)} of ${whose} does not match its digest`);
  return decodeProvenance(text);
}

/** Why a remote record was refused. */
export type RecordProblem = EnvelopeProblem | 'no-provenance' | 'mismatch';

/**
 * Decides whether a reader with trusted keys may use a record it did not write: the record must
 * reference a provenance envelope signed by a trusted key whose statement is about the same action
 * key and names exactly the record's outputs (path, kind, digest, size, executable bit, semantic digest). The record
 * itself is unsigned JSON; this is what binds it to a signature.
 */
export function checkRecordProvenance(record: ActionRecord, envelopeText: string | undefined, trusted: readonly KeyObject[]): Result<Statement, {reason: RecordProblem; message: string}> {
  if (!record.provenance || envelopeText === undefined) return {ok: false, error: {reason: 'no-provenance', message: 'it has no provenance, so it is unsigned'}};
  const p = decodeProvenance(envelopeText);
  if (!p.ok) return {ok: false, error: {reason: 'malformed', message: `its provenance is malformed (${p.error.message})`}};
  const v = verifyEnvelope(p.value.envelope, trusted);
  if (!v.ok) return {ok: false, error: {reason: v.error.reason, message: v.error.message}};
  const st = p.value.statement;
  const mismatch = recordMismatch(record, st);
  return mismatch ? {ok: false, error: {reason: 'mismatch', message: `its signed provenance disagrees with the record: ${mismatch}`}} : ok(st);
}

/** The first difference between a record and the statement it references, or undefined. */
export function recordMismatch(record: ActionRecord, st: Statement): string | undefined {
  const {key} = statementNode(st);
  if (key !== record.key) return `action key ${record.key.slice(0, 12)} ≠ signed ${key.slice(0, 12)}`;
  const signed = new Map(statementOutputs(st).map((o) => [o.path, o]));
  for (const o of record.outputs) {
    const s = signed.get(o.path);
    if (!s) return `output ${o.path} is not in the signed subjects`;
    if (s.digest !== o.digest) return `output ${o.path}: digest ${o.digest.slice(0, 12)} ≠ signed ${s.digest.slice(0, 12)}`;
    if (s.kind !== o.kind || s.size !== o.size || s.executable !== (o.executable === true)) return `output ${o.path}: kind/size/mode differ from the signed subject`;
    if (s.semantic !== o.semantic) return `output ${o.path}: semantic digest ${String(o.semantic).slice(0, 12)} ≠ signed ${String(s.semantic).slice(0, 12)}`;
    signed.delete(o.path);
  }
  const extra = [...signed.keys()];
  return extra.length ? `signed output ${extra[0]} is missing from the record` : undefined;
}
