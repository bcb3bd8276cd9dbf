/** ed25519 key pairs as PEM files for provenance tests (what `openssl genpkey -algorithm ed25519` makes). */
import {generateKeyPairSync} from 'node:crypto';
import {writeFileSync} from 'node:fs';
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
