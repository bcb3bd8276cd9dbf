/**
 * File and byte digests (DESIGN.md decision 3, "hash once"): sha256, 64 lowercase hex characters.
 *
 * Node's `crypto` sha256 is OpenSSL's (SHA-NI where the CPU has it), so the work is keeping it fed:
 * big reads into reused buffers (no per-chunk allocation or copy), the next read in flight while the
 * current chunk is hashed, and many files hashed on all cores by a `worker_threads` pool.
 */
import crypto, {createHash} from 'node:crypto';
import {constants} from 'node:fs';
import {open, stat} from 'node:fs/promises';
import {availableParallelism} from 'node:os';
import {Worker} from 'node:worker_threads';

/** sha256 of content, 64 lowercase hex characters. */
export type Digest = string;

/** Read size: 8 MiB keeps syscall and hash-call overhead far below 1 % (measured in bench/hash.ts). */
const CHUNK = 8 * 1024 * 1024;

/**
 * sha256 of bytes or of a string's UTF-8 encoding. The one-shot `crypto.hash` is about twice as
 * fast as a Hash object for the small inputs of action keys (1,000 per build). It is looked up here
 * (not a named import: Nodes before 20.12 lack it and would fail to link), and not at load time:
 * a top-level read would keep node:crypto in the no-op replay's bundle, ~4 ms of every no-op.
 */
export function hashBytes(b: Uint8Array | string): Digest {
  const oneShot = (crypto as {hash?: typeof crypto.hash}).hash;
  return oneShot ? oneShot('sha256', b, 'hex') : createHash('sha256').update(b).digest('hex');
}

/** True for a well-formed digest string. */
export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);
}

/**
 * Streams one file through sha256 on the calling thread, with the next read in flight while the
 * previous chunk is hashed (double buffering). Rejects with the fs error (ENOENT, EISDIR…).
 */
export async function hashFile(absPath: string): Promise<{digest: Digest; size: number}> {
  // O_NONBLOCK: opening a FIFO must not hang (no effect on regular files); it is then refused below.
  const fh = await open(absPath, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error(`EISDIR: not a regular file: ${absPath}`), {code: 'EISDIR', path: absPath});
    const h = createHash('sha256');
    let size = 0;
    if (st.size < CHUNK) {
      // Small file: exact-size buffer (+1 to see EOF or growth), no overlap needed.
      const buf = Buffer.allocUnsafe(st.size + 1);
      for (;;) {
        const {bytesRead} = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        h.update(buf.subarray(0, bytesRead));
        size += bytesRead;
      }
    } else {
      // Double buffering: the read into one buffer runs on the libuv pool while the other is hashed.
      let cur = Buffer.allocUnsafe(CHUNK);
      let spare = Buffer.allocUnsafe(CHUNK);
      let pending = fh.read(cur, 0, CHUNK, null);
      for (;;) {
        const {bytesRead} = await pending;
        if (bytesRead === 0) break;
        const filled = cur;
        cur = spare;
        spare = filled;
        pending = fh.read(cur, 0, CHUNK, null);
        h.update(bytesRead === CHUNK ? filled : filled.subarray(0, bytesRead));
        size += bytesRead;
      }
    }
    return {digest: h.digest('hex'), size};
  } finally {
    await fh.close();
  }
}

type HashResult = {digest: Digest; size: number};
type WorkerReply = {id: number; results: ({digest: Digest; size: number} | {error: string; code?: string})[]};

/**
 * A lazily started pool of hashing workers, one per core. Workers are `unref`'d while idle so a
 * finished CLI exits without an explicit shutdown.
 */
class HashPool {
  readonly #size: number;
  readonly #idle: Worker[] = [];
  readonly #all: Worker[] = [];
  readonly #waiting: ((w: Worker) => void)[] = [];
  #nextId = 0;

  constructor(size: number) {
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  async #acquire(): Promise<Worker> {
    const w = this.#idle.pop();
    if (w) return w;
    if (this.#all.length < this.#size) {
      // execArgv []: the worker is plain JavaScript; inheriting `--import tsx` would only slow its start.
      const worker = new Worker(new URL('./hash-worker.mjs', import.meta.url), {execArgv: []});
      worker.unref();
      this.#all.push(worker);
      return worker;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(w: Worker): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(w);
    else {
      w.unref();
      this.#idle.push(w);
    }
  }

  /** Hashes one batch of paths on some worker. A worker that dies is replaced, and the batch rejects. */
  async run(paths: string[]): Promise<WorkerReply['results']> {
    const w = await this.#acquire();
    w.ref(); // keep the process alive while a batch is in flight
    const id = this.#nextId++;
    let dead = false;
    try {
      return await new Promise<WorkerReply['results']>((resolve, reject) => {
        const onMessage = (m: WorkerReply): void => {
          if (m.id !== id) return;
          cleanup();
          resolve(m.results);
        };
        const onError = (e: Error): void => {
          dead = true;
          cleanup();
          reject(e);
        };
        const onExit = (code: number): void => onError(new Error(`Internal error: a hashing worker exited (code ${code})`));
        const cleanup = (): void => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        };
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        w.postMessage({id, paths});
      });
    } finally {
      if (dead) {
        this.#all.splice(this.#all.indexOf(w), 1);
        void w.terminate();
        const waiter = this.#waiting.shift();
        if (waiter) void this.#acquire().then(waiter);
      } else this.#release(w);
    }
  }

  /** Stops every worker (tests and benchmarks; the CLI relies on `unref`). */
  async close(): Promise<void> {
    const all = this.#all.splice(0);
    this.#idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }
}

let pool: HashPool | undefined;
function getPool(): HashPool {
  const n = Number(process.env['BEVBUILD_HASH_THREADS']) || availableParallelism();
  return (pool ??= new HashPool(Math.max(1, n)));
}

/** Stops the hashing workers (benchmarks, tests). The pool restarts on the next use. */
export async function closeHashPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.close();
}

/** Below this many files, or this many bytes, hashing stays on the calling thread. */
const SMALL_JOB_FILES = 8;
const SMALL_JOB_BYTES = 32 * 1024 * 1024;

/** A per-file outcome of `hashFilesSettled`. */
export type HashOutcome = HashResult | {error: Error & {code?: string; path?: string}};

/**
 * Hashes many files in parallel on all cores (`BEVBUILD_HASH_THREADS` overrides the thread count).
 * The calling thread only hands out batches; a handful of small files is hashed in place to skip
 * the worker round trip. Rejects with the first fs error (its `code` and `path` set).
 */
export async function hashFiles(absPaths: string[]): Promise<Map<string, HashResult>> {
  const settled = await hashFilesSettled(absPaths);
  const out = new Map<string, HashResult>();
  for (const [p, r] of settled) {
    if ('error' in r) throw r.error;
    out.set(p, r);
  }
  return out;
}

/** Like `hashFiles`, but a file that cannot be read gets an `{error}` outcome instead of a rejection. */
export async function hashFilesSettled(absPaths: string[]): Promise<Map<string, HashOutcome>> {
  const unique = [...new Set(absPaths)];
  const out = new Map<string, HashOutcome>();
  if (unique.length === 0) return out;

  if (unique.length <= SMALL_JOB_FILES) {
    const sizes = await Promise.all(unique.map((p) => stat(p).then((s) => s.size, () => 0)));
    if (sizes.reduce((a, b) => a + b, 0) <= SMALL_JOB_BYTES) {
      for (const p of unique) {
        try {
          out.set(p, await hashFile(p));
        } catch (e) {
          out.set(p, {error: e as Error});
        }
      }
      return out;
    }
  }

  const hp = getPool();
  // Batches amortise the message round trip for small files while still leaving ~8 batches per
  // worker so one slow (big) file does not leave the other cores idle at the end.
  const batch = Math.max(1, Math.min(64, Math.ceil(unique.length / (hp.size * 8))));
  let next = 0;
  await Promise.all(
    Array.from({length: hp.size}, async () => {
      while (next < unique.length) {
        const paths = unique.slice(next, next + batch);
        next += paths.length;
        const results = await hp.run(paths);
        results.forEach((r, i) => {
          const p = paths[i]!;
          out.set(p, 'error' in r ? {error: Object.assign(new Error(r.error), {code: r.code, path: p})} : r);
        });
      }
    }),
  );
  return out;
}
