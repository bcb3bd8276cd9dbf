/** ed25519 key pairs as PEM files for provenance tests (what `openssl genpkey -algorithm ed25519` makes). */
import {generateKeyPairSync} from 'node:crypto';
import {readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

export interface PemKeyPair {
  /** PKCS#8 PEM text of the private (writer) key. */
  privatePem: string;
  /** Paths of the written files. */
  privateFile: string;
  publicFile: string;
}

/** Writes `<name>.pem` (private) and `<name>.pub.pem` (public) into `dir`. */
export function writeKeyPair(dir: string, name: string): PemKeyPair {
  const {privateKey, publicKey} = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({format: 'pem', type: 'pkcs8'}).toString();
  const privateFile = join(dir, `${name}.pem`);
  const publicFile = join(dir, `${name}.pub.pem`);
  writeFileSync(privateFile, privatePem, {mode: 0o600});
  writeFileSync(publicFile, publicKey.export({format: 'pem', type: 'spki'}).toString());
  return {privatePem, privateFile, publicFile};
}

/** The statement inside a bundle line (a DSSE envelope). */
export function statementOf(line: string): Record<string, any> {
  return JSON.parse(Buffer.from((JSON.parse(line) as {payload: string}).payload, 'base64').toString('utf8')) as Record<string, any>;
}

/** A bundle line whose statement was edited by `edit` (the signature is kept: it no longer matches). */
export function editedLine(line: string, edit: (st: Record<string, any>) => void): string {
  const env = JSON.parse(line) as {payload: string};
  const st = statementOf(line);
  edit(st);
  return JSON.stringify({...env, payload: Buffer.from(JSON.stringify(st)).toString('base64')});
}

/**
 * Digests of the provenance envelopes the records on a Bazel-HTTP cache server's disk reference
 * (`<dataDir>/ac/*`): every restored record fetches its envelope, so tests counting output
 * downloads leave these out.
 */
export function envelopeDigests(dataDir: string): Set<string> {
  const ac = join(dataDir, 'ac');
  return new Set(readdirSync(ac).flatMap((k) => {
    const d = (JSON.parse(readFileSync(join(ac, k), 'utf8')) as {provenance?: {digest: string}}).provenance?.digest;
    return d ? [d] : [];
  }));
}

/** `GET /cas/<digest>` 200 lines of an nginx access log that fetched an output object (not an envelope). */
export function outputObjectGets(log: string[], dataDir: string): number {
  const envelopes = envelopeDigests(dataDir);
  return log.filter((l) => /"GET \/cas\//.test(l) && /" 200 /.test(l) && !envelopes.has(/\/cas\/(\w+)/.exec(l)?.[1] ?? '')).length;
}
