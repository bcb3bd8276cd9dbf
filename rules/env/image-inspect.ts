/**
 * Parsing `docker image inspect <ref>` (or podman's, same shape): the fields that identify an
 * image. Kept apart from the probe so it can be tested on recorded output without an engine.
 */
import {fail, ok, type Result} from '../../src/index.ts';

/** An image's identity. `id` is the config digest; `repoDigests` are registry manifest digests. */
export interface ImageFingerprint {
  id: string;
  repoDigests: string[];
  repoTags: string[];
  created: string | undefined;
  os: string | undefined;
  architecture: string | undefined;
}

/** Parses inspect output (a JSON array with one object per ref). */
export function parseImageInspect(text: string): Result<ImageFingerprint> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return fail('bad-inspect-output', `docker image inspect printed something that is not JSON: ${(e as Error).message}`);
  }
  const first = Array.isArray(parsed) ? (parsed[0] as Record<string, unknown> | undefined) : undefined;
  if (!first || typeof first['Id'] !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(first['Id'])) {
    return fail('bad-inspect-output', 'docker image inspect output has no image with an "Id" of the form sha256:<64 hex>');
  }
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return ok({id: first['Id'], repoDigests: strings(first['RepoDigests']), repoTags: strings(first['RepoTags']), created: str(first['Created']), os: str(first['Os']), architecture: str(first['Architecture'])});
}

/** The `sha256:…` digest a reference is pinned to (`name@sha256:…`), if any. */
export function pinnedDigest(ref: string): string | undefined {
  return /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1];
}

/** Does the local image match the pinned reference (by manifest digest, or by image id)? */
export function matchesPin(fp: ImageFingerprint, ref: string): boolean {
  const pin = pinnedDigest(ref);
  if (!pin) return false;
  return fp.id === pin || fp.repoDigests.some((d) => d.endsWith(`@${pin}`));
}
