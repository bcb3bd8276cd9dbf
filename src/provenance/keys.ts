/**
 * Where provenance keys come from. The writer (signing) key: `BEVBUILD_SIGNING_KEY` (PKCS#8 PEM
 * text, for CI secrets), else `BEVBUILD_SIGNING_KEY_FILE`, else `provenance.signingKeyFile` of
 * bevbuild.config.ts. Trusted (reader) keys: `provenance.trustedKeys` of the config (files or PEM
 * text) plus `BEVBUILD_TRUSTED_KEYS` (a `:`-separated list of SPKI PEM files, or PEM text). Only
 * ed25519. A private key's bytes never reach a message: errors name the variable or file only.
 */
import {createPrivateKey, createPublicKey, type KeyObject} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {resolve} from 'node:path';
import {fail, ok, type Result} from '../result.ts';

/** `provenance` in bevbuild.config.ts. */
export interface ProvenanceConfig {
  /** PKCS#8 PEM file of the ed25519 writer key (workspace-relative or absolute). Prefer the env vars in CI. */
  signingKeyFile?: string;
  /** Public keys (SPKI PEM files or PEM text) whose signatures readers accept on remote records. */
  trustedKeys?: string[];
}

const PEM_BLOCK = /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g;

/** The writer key, if one is configured; a configured but unusable key is an error (exit 2). */
export function loadSigningKey(root: string, config: ProvenanceConfig | undefined, env: NodeJS.ProcessEnv = process.env): Result<KeyObject | undefined> {
  let pem: string | Buffer;
  let where: string;
  if (env['BEVBUILD_SIGNING_KEY']) {
    pem = env['BEVBUILD_SIGNING_KEY'];
    where = 'BEVBUILD_SIGNING_KEY';
  } else {
    const file = env['BEVBUILD_SIGNING_KEY_FILE'] || config?.signingKeyFile;
    if (!file) return ok(undefined);
    where = env['BEVBUILD_SIGNING_KEY_FILE'] ? `BEVBUILD_SIGNING_KEY_FILE (${file})` : `provenance.signingKeyFile (${file})`;
    try {
      pem = readFileSync(resolve(root, file));
    } catch (e) {
      return fail('signing-key', `cannot read the signing key named by ${where}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    return fail('signing-key', `${where} is not a PEM private key; expected an ed25519 key in PKCS#8 PEM (openssl genpkey -algorithm ed25519)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') return fail('signing-key', `${where} is a ${key.asymmetricKeyType} key; expected ed25519 (openssl genpkey -algorithm ed25519)`);
  return ok(key);
}

/** Trusted public keys from the config and the environment (deduplicated by key id). */
export function loadTrustedKeys(root: string, config: ProvenanceConfig | undefined, env: NodeJS.ProcessEnv = process.env): Result<KeyObject[]> {
  const sources: {where: string; text: string | undefined; file?: string}[] = [];
  for (const [i, k] of (config?.trustedKeys ?? []).entries()) {
    sources.push(k.includes('-----BEGIN') ? {where: `provenance.trustedKeys[${i}]`, text: k} : {where: `provenance.trustedKeys[${i}] (${k})`, text: undefined, file: resolve(root, k)});
  }
  const fromEnv = env['BEVBUILD_TRUSTED_KEYS'];
  if (fromEnv?.includes('-----BEGIN')) sources.push({where: 'BEVBUILD_TRUSTED_KEYS', text: fromEnv});
  else for (const f of (fromEnv ?? '').split(':').filter(Boolean)) sources.push({where: `BEVBUILD_TRUSTED_KEYS (${f})`, text: undefined, file: resolve(root, f)});
  const keys: KeyObject[] = [];
  for (const s of sources) {
    let text = s.text;
    if (text === undefined) {
      try {
        text = readFileSync(s.file!, 'utf8');
      } catch (e) {
        return fail('trusted-key', `cannot read the trusted key ${s.where}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    const blocks = text.match(PEM_BLOCK) ?? [];
    if (!blocks.length) return fail('trusted-key', `${s.where} holds no PEM key; expected an ed25519 public key (openssl pkey -pubout)`);
    for (const b of blocks) {
      if (/PRIVATE KEY/.test(b.slice(0, 40))) return fail('trusted-key', `${s.where} is a private key; give readers only the public key (openssl pkey -pubout)`);
      let k: KeyObject;
      try {
        k = createPublicKey(b);
      } catch {
        return fail('trusted-key', `${s.where} is not a PEM public key; expected an ed25519 public key (openssl pkey -pubout)`);
      }
      if (k.asymmetricKeyType !== 'ed25519') return fail('trusted-key', `${s.where} is a ${k.asymmetricKeyType} key; expected ed25519`);
      if (!keys.some((x) => x.equals(k))) keys.push(k);
    }
  }
  return ok(keys);
}
