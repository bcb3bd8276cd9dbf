/**
 * DSSE envelopes (github.com/secure-systems-lab/dsse, protocol v1) signed with ed25519 through
 * node:crypto. The signature covers PAE(payloadType, payload), never the JSON around it, so an
 * envelope can be re-serialized without breaking it. Key ids follow securesystemslib's rule (sha256
 * of the canonical JSON of `{keytype, scheme, keyval: {public: hex}}`), so independent verifiers
 * compute the same id from the public key alone.
 */
import {createHash, createPublicKey, sign, verify, type KeyObject} from 'node:crypto';
import {canonicalJson} from '../engine/canonical-json.ts';
import {fail, ok, type Result} from '../result.ts';

/** The payload type of in-toto statements (in-toto attestation framework, envelope layer). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  keyid: string;
  /** base64 of the raw 64-byte ed25519 signature over PAE. */
  sig: string;
}

export interface DsseEnvelope {
  /** base64 of the payload bytes. */
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

/** DSSE v1 pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** securesystemslib's key id of an ed25519 public key. */
export function keyIdOf(publicKey: KeyObject): string {
  const raw = rawPublicKey(publicKey);
  return createHash('sha256').update(canonicalJson({keytype: 'ed25519', scheme: 'ed25519', keyval: {public: raw.toString('hex')}})).digest('hex');
}

/** The 32 raw bytes of an ed25519 public key (from its JWK form: no DER parsing by hand). */
function rawPublicKey(k: KeyObject): Buffer {
  const jwk = k.export({format: 'jwk'}) as {x?: string};
  return Buffer.from(jwk.x ?? '', 'base64url');
}

/** Wraps a payload in an envelope, signed when a private key is given (else `signatures: []`). */
export function makeEnvelope(payload: Uint8Array, payloadType: string, privateKey?: KeyObject): DsseEnvelope {
  const signatures: DsseSignature[] = [];
  if (privateKey) {
    const sig = sign(null, pae(payloadType, payload), privateKey);
    signatures.push({keyid: keyIdOf(createPublicKey(privateKey)), sig: sig.toString('base64')});
  }
  return {payload: Buffer.from(payload).toString('base64'), payloadType, signatures};
}

/** Why an envelope was not accepted; `unsigned` and `untrusted` are distinct for the warnings. */
export type EnvelopeProblem = 'malformed' | 'unsigned' | 'untrusted' | 'bad-signature';

/**
 * Checks that a trusted key signed the envelope. Signatures whose key id matches no trusted key are
 * skipped (a foreign signer); one whose key id matches but whose bytes do not verify means the
 * payload or type was altered after signing.
 */
export function verifyEnvelope(env: DsseEnvelope, trusted: readonly KeyObject[]): Result<{keyid: string; payload: Buffer}, {reason: EnvelopeProblem; message: string}> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(env.payload) || env.payload.length % 4 !== 0) {
    return {ok: false, error: {reason: 'malformed', message: 'payload is not valid base64'}};
  }
  const payload = Buffer.from(env.payload, 'base64');
  if (env.signatures.length === 0) return {ok: false, error: {reason: 'unsigned', message: 'the envelope is not signed'}};
  const ids = new Map(trusted.map((k) => [keyIdOf(k), k]));
  const message = pae(env.payloadType, payload);
  let matched = false;
  for (const s of env.signatures) {
    const key = ids.get(s.keyid);
    if (!key) continue;
    matched = true;
    if (verify(null, message, key, Buffer.from(s.sig, 'base64'))) return ok({keyid: s.keyid, payload});
  }
  return matched
    ? {ok: false, error: {reason: 'bad-signature', message: `the signature by trusted key ${env.signatures[0]!.keyid.slice(0, 12)} does not verify: the payload or its type was changed after signing`}}
    : {ok: false, error: {reason: 'untrusted', message: `signed by ${env.signatures.map((s) => s.keyid.slice(0, 12)).join(', ')}, which is not a trusted key`}};
}

/** Parses an envelope's JSON (shape only; signatures are checked by `verifyEnvelope`). */
export function parseEnvelope(text: string): Result<DsseEnvelope> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return fail('malformed', `not JSON: ${(e as Error).message}`);
  }
  const o = v as Partial<DsseEnvelope> | null;
  if (!o || typeof o !== 'object' || typeof o.payload !== 'string' || typeof o.payloadType !== 'string' || !Array.isArray(o.signatures)) {
    return fail('malformed', 'expected a DSSE envelope {payload, payloadType, signatures}');
  }
  if (!o.signatures.every((s) => s && typeof s.keyid === 'string' && typeof s.sig === 'string')) return fail('malformed', 'expected signatures [{keyid, sig}]');
  return ok({payload: o.payload, payloadType: o.payloadType, signatures: o.signatures.map((s) => ({keyid: s.keyid, sig: s.sig}))});
}
