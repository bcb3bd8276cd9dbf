/**
 * Client for Bazel's HTTP remote-cache protocol (DESIGN.md decision 9): `GET/HEAD/PUT
 * <url>/cas/<sha256>` for objects and `<url>/ac/<key>` for action records, so nginx+WebDAV,
 * bazel-remote and object stores serve it unchanged.
 *
 * A remote cache is an optimisation: every fault (network, 5xx, truncation, corruption, auth)
 * comes back as a `Result` error and the engine builds locally. After `breakerThreshold`
 * consecutive faults the client stops talking to the remote for the rest of the process and
 * logs exactly one warning; a single timeout opens it at once (a stalled server is not retried).
 * Credentials never appear in any message.
 */
import {mkdir, rm, stat} from 'node:fs/promises';
import {dirname} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fail, ok, type Result} from '../src/result.ts';
import {guardedReadStream, receiveObject, tempPathBeside} from './remote-http-files.ts';
import {
  attemptFail,
  discard,
  exchange,
  makeAgents,
  readBody,
  statusFailure,
  type Agents,
  type Attempt,
  type ExchangeRequest,
} from './remote-http-transport.ts';
import {authHeaders, redactor, type RemoteAuth} from './remote-auth.ts';

export type {RemoteAuth} from './remote-auth.ts';
export {remoteAuthFromEnv} from './remote-auth.ts';

/** How to reach and use a Bazel-protocol HTTP cache. */
export interface HttpRemoteCacheOptions {
  /** Base URL, e.g. `https://cache.example.com/bevbuild` (user:password@ in it is used as basic auth). */
  url: string;
  /** Extra headers sent with every request (their values are treated as secrets in messages). */
  headers?: Record<string, string>;
  auth?: RemoteAuth;
  /** Whether puts really upload; false (read-only, the default outside CI) makes them no-ops. */
  upload: boolean;
  /** Idle limit per request: no bytes moving for this long fails the attempt (stalled bodies too). */
  timeoutMs: number;
  /** Extra attempts after the first for retryable faults. */
  retries: number;
  /** Receives the client's own warnings (the circuit breaker opening). */
  log: (warning: string) => void;
  /** Consecutive failed operations before the client gives up for the process (default 3). */
  breakerThreshold?: number;
  /** First retry delay in ms, doubled per attempt, capped at 5 s (default 250). */
  backoffMs?: number;
  /** Largest action record accepted (default 64 MiB): records are JSON, not artifacts. */
  maxActionBytes?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const PUT_OK = new Set([200, 201, 202, 204]);

/** A Bazel HTTP remote cache. Create one per process; call `close()` when done. */
export class HttpRemoteCache {
  readonly #base: URL;
  readonly #opts: HttpRemoteCacheOptions;
  readonly #headers: Record<string, string>;
  readonly #redact: (text: string) => string;
  readonly #agents: Agents = makeAgents();
  /** The URL as it may be printed: without user info. */
  readonly displayUrl: string;
  #consecutiveFaults = 0;
  #open = false;

  constructor(opts: HttpRemoteCacheOptions) {
    this.#opts = opts;
    const base = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
    const fromUrl =
      base.username || base.password
        ? {basic: {user: decodeURIComponent(base.username), password: decodeURIComponent(base.password)}}
        : undefined;
    base.username = '';
    base.password = '';
    this.#base = base;
    this.displayUrl = base.href.replace(/\/$/, '');
    const auth = opts.auth ?? fromUrl;
    this.#headers = {...opts.headers, ...authHeaders(auth)};
    this.#redact = redactor(auth, opts.headers);
  }

  /** True once the circuit breaker has opened: every call then fails fast with `remote-disabled`. */
  get disabled(): boolean {
    return this.#open;
  }

  /** Fetches the action record stored under `key`; `undefined` on a miss (404/204). */
  getAction(key: string): Promise<Result<Buffer | undefined>> {
    checkHex(key, 'action key');
    return this.#run(`GET action ${key}`, () =>
      this.#exchange<Buffer | undefined>({method: 'GET', url: this.#url('ac', key)}, async (res) => {
        if (res.statusCode === 404 || res.statusCode === 204) {
          await discard(res);
          return {ok: true, value: undefined};
        }
        if (res.statusCode !== 200) {
          await discard(res);
          return statusFailure(res.statusCode ?? 0);
        }
        return readBody(res, this.#opts.maxActionBytes ?? 64 << 20);
      }),
    );
  }

  /** Stores an action record (a no-op returning `uploaded: false` when read-only). */
  putAction(key: string, bytes: Buffer): Promise<Result<{uploaded: boolean}>> {
    checkHex(key, 'action key');
    if (!this.#opts.upload) return Promise.resolve(ok({uploaded: false}));
    return this.#run(`PUT action ${key}`, () =>
      this.#exchange({method: 'PUT', url: this.#url('ac', key), body: bytes}, (res) => this.#putResponse(res)),
    );
  }

  /** Whether the remote holds object `digest` (`HEAD /cas/<digest>`). */
  hasObject(digest: string): Promise<Result<boolean>> {
    checkHex(digest, 'digest');
    return this.#run(`HEAD object ${digest}`, () => this.#head(digest));
  }

  /**
   * Downloads object `digest` to `destPath` (parent directories created). The bytes are
   * streamed to a temp file beside it and renamed into place only after the sha256 and length
   * are verified; on any failure nothing is left at `destPath` or beside it.
   * `size`, when known from the action record, is checked too; `maxSize` bounds an object whose
   * size no record states (a directory manifest); `mode` defaults to 0o444 because store objects
   * are immutable (DESIGN.md decision 4).
   */
  async fetchObject(
    digest: string,
    destPath: string,
    opts: {size?: number; mode?: number; maxSize?: number} = {},
  ): Promise<Result<{bytes: number}>> {
    checkHex(digest, 'digest');
    try {
      await mkdir(dirname(destPath), {recursive: true});
    } catch (e) {
      return fail('remote-local-write', `cannot create ${dirname(destPath)}: ${(e as Error).message}`);
    }
    return this.#run(`GET object ${digest}`, async () => {
      const tmp = tempPathBeside(destPath);
      const r = await this.#exchange({method: 'GET', url: this.#url('cas', digest)}, (res) =>
        receiveObject(res, digest, tmp, destPath, opts.size, opts.mode ?? 0o444, opts.maxSize),
      );
      // receiveObject removes the temp file on its own failures; this covers a failure before
      // it ran (e.g. the connection dropped before the response head).
      if (!r.ok) await rm(tmp, {force: true});
      return r;
    });
  }

  /**
   * Uploads the file `srcPath` as object `digest`: `HEAD` first and skip when present (objects
   * can be GBs), else a streamed `PUT` with Content-Length. The file is hashed while it is sent
   * and the upload is aborted before its end if it does not match `digest`. No-op when read-only.
   */
  async putObject(digest: string, srcPath: string): Promise<Result<{uploaded: boolean; bytes: number}>> {
    checkHex(digest, 'digest');
    if (!this.#opts.upload) return ok({uploaded: false, bytes: 0});
    let size: number;
    try {
      size = (await stat(srcPath)).size;
    } catch (e) {
      return fail('remote-local-read', `cannot upload ${srcPath}: ${(e as Error).message}`);
    }
    return this.#run(`PUT object ${digest}`, async (): Promise<Attempt<{uploaded: boolean; bytes: number}>> => {
      const present = await this.#head(digest);
      if (!present.ok) return present;
      if (present.value) return {ok: true, value: {uploaded: false, bytes: 0}};
      const put = await this.#exchange(
        {method: 'PUT', url: this.#url('cas', digest), body: () => guardedReadStream(srcPath, digest, size), contentLength: size},
        (res) => this.#putResponse(res),
      );
      return put.ok ? {ok: true, value: {uploaded: true, bytes: size}} : put;
    });
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  #url(kind: 'ac' | 'cas', hex: string): URL {
    return new URL(`${kind}/${hex}`, this.#base);
  }

  #exchange<T>(
    req: Pick<ExchangeRequest, 'method' | 'url' | 'body' | 'contentLength'>,
    handle: Parameters<typeof exchange<T>>[2],
  ): Promise<Attempt<T>> {
    return exchange(this.#agents, {...req, headers: this.#headers, idleTimeoutMs: this.#opts.timeoutMs}, handle);
  }

  #head(digest: string): Promise<Attempt<boolean>> {
    return this.#exchange({method: 'HEAD', url: this.#url('cas', digest)}, async (res) => {
      await discard(res);
      if (res.statusCode === 200) return {ok: true, value: true};
      if (res.statusCode === 404) return {ok: true, value: false};
      return statusFailure(res.statusCode ?? 0);
    });
  }

  async #putResponse(res: import('node:http').IncomingMessage): Promise<Attempt<{uploaded: boolean}>> {
    await discard(res);
    const status = res.statusCode ?? 0;
    return PUT_OK.has(status) ? {ok: true, value: {uploaded: true}} : statusFailure(status);
  }

  /**
   * Runs one operation with bounded retries (exponential backoff with jitter) and feeds the
   * circuit breaker. Misses and local problems are not remote faults and reset nothing.
   */
  async #run<T>(what: string, attempt: () => Promise<Attempt<T>>): Promise<Result<T>> {
    if (this.#open) {
      return fail('remote-disabled', `remote cache ${this.displayUrl} is disabled for this run after repeated failures`);
    }
    const tries = 1 + Math.max(0, this.#opts.retries);
    let last: Attempt<T> = attemptFail('remote-network', 'not attempted', false);
    for (let i = 0; i < tries; i++) {
      if (i > 0) {
        const base = Math.min(5000, (this.#opts.backoffMs ?? 250) * 2 ** (i - 1));
        await sleep(base * (0.75 + Math.random() * 0.5));
      }
      last = await attempt();
      // A stalled server stalls again: retrying a timeout only multiplies the wait.
      if (last.ok || !last.error.retryable || last.error.reason === 'remote-timeout') break;
    }
    if (last.ok) {
      this.#consecutiveFaults = 0;
      return last;
    }
    const e = last.error;
    const timedOut = e.reason === 'remote-timeout';
    const after = e.retryable && tries > 1 && !timedOut ? ` (after ${tries} attempts)` : '';
    const message = this.#redact(`remote cache ${this.displayUrl}: ${what} failed${after}: ${e.message}`);
    if (e.remoteFault) this.#consecutiveFaults++;
    // One timeout opens the breaker at once: every later request to a stalling server would wait
    // the whole idle limit again (a 3-node build took 275 s at 30 s each), for nothing.
    if (e.remoteFault && !this.#open && (timedOut || this.#consecutiveFaults >= (this.#opts.breakerThreshold ?? 3))) {
      this.#open = true;
      const why = timedOut ? `it stopped answering (${e.message})` : `${this.#consecutiveFaults} consecutive failures (last: ${e.message})`;
      this.#opts.log(this.#redact(`remote cache ${this.displayUrl} disabled for the rest of this run after ${why}; building locally`));
    }
    return fail(e.reason, message);
  }
}

function checkHex(value: string, what: string): void {
  // A malformed key is a bug in the caller, not a remote fault.
  if (!HEX64.test(value)) throw new Error(`HttpRemoteCache: ${what} must be 64 lowercase hex characters, got ${JSON.stringify(value)}`);
}
