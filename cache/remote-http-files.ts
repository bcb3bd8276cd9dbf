/**
 * Streaming between the remote cache and files: downloads are hashed while they are written to a
 * temp file beside the destination and renamed into place only once digest and length match;
 * uploads are hashed while they are read and aborted before their last byte if the local file is
 * not what its digest says. Neither ever holds an object in memory, so multi-GB checkpoints are fine.
 */
import {createHash, randomBytes} from 'node:crypto';
import {createReadStream, createWriteStream} from 'node:fs';
import {chmod, rename, rm} from 'node:fs/promises';
import type {IncomingMessage} from 'node:http';
import {basename, dirname, join} from 'node:path';
import {Transform, type Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {attemptFail, discard, statusFailure, type Attempt, type AttemptFailure} from './remote-http-transport.ts';

/** A temp path in the destination's directory (same filesystem, so the final rename is atomic). */
export function tempPathBeside(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.remote-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Handles a `GET /cas/<digest>` response: streams the body into `tmp` while hashing, verifies,
 * then renames to `dest`. On every failure `tmp` is removed, so nothing unverified remains.
 */
export async function receiveObject(
  res: IncomingMessage,
  digest: string,
  tmp: string,
  dest: string,
  expectedSize: number | undefined,
  mode: number,
  maxSize?: number,
): Promise<Attempt<{bytes: number}>> {
  if (res.statusCode === 404 || res.statusCode === 204) {
    await discard(res);
    return attemptFail('remote-missing', 'the object is not in the remote cache (evicted?)', false, false);
  }
  if (res.statusCode !== 200) {
    await discard(res);
    return statusFailure(res.statusCode ?? 0);
  }
  const declared = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
  if (expectedSize !== undefined && declared !== undefined && declared !== expectedSize) {
    await discard(res);
    return attemptFail('remote-size-mismatch', `server announces ${declared} bytes, expected ${expectedSize}`, false, true);
  }
  // A bound for objects whose size no record states (directory manifests): a hostile server must not
  // be able to fill the disk before the bytes are found unusable.
  const tooLarge = () => attemptFail('remote-too-large', `the object is over the limit of ${maxSize} bytes; not used`, false, true);
  if (maxSize !== undefined && declared !== undefined && declared > maxSize) {
    await discard(res);
    return tooLarge();
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(maxSize !== undefined && bytes > maxSize ? new Error('over the size limit') : null, chunk);
    },
  });
  try {
    await pipeline(res, tap, createWriteStream(tmp, {mode: 0o600, highWaterMark: 1 << 20}));
  } catch (e) {
    await rm(tmp, {force: true});
    if (maxSize !== undefined && bytes > maxSize) return tooLarge();
    return attemptFail('remote-truncated', `download broke off after ${bytes} of ${declared ?? '?'} bytes (${(e as Error).message})`, true);
  }
  const fail = async (r: {ok: false; error: AttemptFailure}) => {
    await rm(tmp, {force: true});
    return r;
  };
  if (!res.complete || (declared !== undefined && bytes !== declared)) {
    return fail(attemptFail('remote-truncated', `body truncated at ${bytes} of ${declared ?? '?'} bytes`, true));
  }
  if (expectedSize !== undefined && bytes !== expectedSize) {
    return fail(attemptFail('remote-size-mismatch', `got ${bytes} bytes, expected ${expectedSize}`, false, true));
  }
  const got = hash.digest('hex');
  if (got !== digest) {
    return fail(attemptFail('remote-digest-mismatch', `downloaded bytes hash to ${got}; the remote copy is corrupt and was not used`, false, true));
  }
  try {
    await chmod(tmp, mode);
    await rename(tmp, dest);
  } catch (e) {
    return fail(attemptFail('remote-local-write', `cannot move into ${dest}: ${(e as Error).message}`, false, false));
  }
  return {ok: true, value: {bytes}};
}

/**
 * A read stream of `src` that hashes as it goes and, holding back its last chunk, fails with
 * code `EDIGEST` instead of finishing when the bytes do not match `digest` and `size`. The upload
 * then ends short of its Content-Length, which HTTP servers discard rather than store.
 */
export function guardedReadStream(src: string, digest: string, size: number): Readable {
  const hash = createHash('sha256');
  let bytes = 0;
  let held: Buffer | undefined;
  const guard = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      const prev = held;
      held = chunk;
      cb(null, prev);
    },
    flush(cb) {
      const got = hash.digest('hex');
      if (got !== digest || bytes !== size) {
        const e = new Error(
          `local file ${src} does not match its digest (${bytes} bytes hashing to ${got}, expected ${size} bytes); not uploaded`,
        ) as NodeJS.ErrnoException;
        e.code = 'EDIGEST';
        cb(e);
        return;
      }
      cb(null, held);
    },
  });
  const rs = createReadStream(src, {highWaterMark: 1 << 20});
  rs.on('error', (e) => guard.destroy(e));
  rs.pipe(guard);
  return guard;
}
