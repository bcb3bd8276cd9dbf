/**
 * One HTTP exchange with the remote cache, built on Node's own `http`/`https` (no extra
 * dependency: the Bazel HTTP protocol is plain GET/HEAD/PUT and keep-alive agents are enough).
 *
 * Every outcome is a value: a network error, a timeout or a stalled body become an
 * `AttemptFailure` that says whether trying again could help; the caller owns retries.
 */
import {readFileSync} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import {rootCertificates} from 'node:tls';
import type {Readable} from 'node:stream';
import type {Failure, Result} from '../src/result.ts';

/** A failed attempt; `retryable` is true for faults that may pass (network, 5xx, truncation). */
export interface AttemptFailure extends Failure {
  retryable: boolean;
  /** Whether the fault says the remote itself is unhealthy (feeds the circuit breaker). */
  remoteFault: boolean;
}

export type Attempt<T> = Result<T, AttemptFailure>;

export const attemptFail = (
  reason: string,
  message: string,
  retryable: boolean,
  remoteFault = retryable,
): {ok: false; error: AttemptFailure} => ({
  ok: false,
  error: {reason, message, retryable, remoteFault},
});

export interface ExchangeRequest {
  url: URL;
  method: 'GET' | 'HEAD' | 'PUT';
  headers: Record<string, string>;
  /** A buffer, or a factory for a fresh stream (called once per attempt). */
  body?: Buffer | (() => Readable);
  /** Exact body length; required with a stream body (Bazel servers expect no chunked encoding). */
  contentLength?: number;
  /** Idle limit in ms: no bytes in either direction for this long aborts the exchange. */
  idleTimeoutMs: number;
}

/** Keep-alive agents shared per client; closing them ends idle sockets so the process can exit. */
export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

export function makeAgents(): Agents {
  const ca = deferredExtraCa();
  return {
    http: new http.Agent({keepAlive: true, maxSockets: 8}),
    https: new https.Agent({keepAlive: true, maxSockets: 8, ...(ca ? {ca} : {})}),
  };
}

/**
 * The trusted CAs when bin/bevbuild.js started Node without NODE_EXTRA_CA_CERTS (it costs every
 * start ~65 ms; see there): Node's bundled roots plus that file, as Node itself would have trusted.
 * Undefined when Node loaded the file at start-up (or none is set). An unreadable file is skipped
 * with a warning, again as Node does.
 */
function deferredExtraCa(): string[] | undefined {
  const file = (globalThis as Record<symbol, unknown>)[Symbol.for('bevbuild.deferredExtraCaCerts')];
  if (typeof file !== 'string' || file === '') return undefined;
  try {
    return [...rootCertificates, readFileSync(file, 'utf8')];
  } catch (e) {
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * Sends one request and hands the response to `handle`, which reads (or discards) the body and
 * returns the attempt's result. The idle timeout stays armed while `handle` reads, so a server
 * that sends headers and then stalls mid-body still ends the attempt.
 */
export function exchange<T>(
  agents: Agents,
  req: ExchangeRequest,
  handle: (res: http.IncomingMessage) => Promise<Attempt<T>>,
): Promise<Attempt<T>> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: Attempt<T>) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const isHttps = req.url.protocol === 'https:';
    const headers: Record<string, string> = {Accept: '*/*', ...req.headers};
    if (req.body !== undefined) {
      const len = Buffer.isBuffer(req.body) ? req.body.length : req.contentLength;
      if (len === undefined) throw new Error('exchange: a stream body needs contentLength');
      headers['Content-Length'] = String(len);
    }
    const options: http.RequestOptions = {method: req.method, headers, agent: isHttps ? agents.https : agents.http};
    const r = (isHttps ? https : http).request(req.url, options);
    const timeoutFail = attemptFail('remote-timeout', `no progress for ${req.idleTimeoutMs} ms`, true);
    let timedOut = false;
    // Once the response is being handled, the attempt ends only when the handler has finished
    // (and cleaned up its temp file), even after a timeout destroyed the socket under it.
    let handling = false;
    r.setTimeout(req.idleTimeoutMs, () => {
      timedOut = true;
      r.destroy(new Error(`idle for ${req.idleTimeoutMs} ms`));
      if (!handling) settle(timeoutFail);
    });
    r.on('error', (e: NodeJS.ErrnoException) => {
      if (!handling) settle(timedOut ? timeoutFail : attemptFail('remote-network', describeNetworkError(e), true));
    });
    r.on('response', (res) => {
      handling = true;
      handle(res).then(
        (result) => {
          // A PUT the server answered before reading all of it: stop sending the rest.
          if (!r.writableFinished) r.destroy();
          // A timeout is a fault even if the handler made a value of what it got (a stalled 404
          // body, discarded, would otherwise read as a miss after a full idle wait, every time).
          settle(timedOut ? timeoutFail : result);
        },
        (e: unknown) => {
          r.destroy();
          settle(timedOut ? timeoutFail : attemptFail('remote-network', describeNetworkError(e as NodeJS.ErrnoException), true));
        },
      );
    });
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else {
      const src = req.body();
      src.on('error', (e: NodeJS.ErrnoException) => {
        // A local read error (or the digest guard in putObject) must abort the upload before the
        // last byte, so the server discards the partial body instead of storing it.
        settle(attemptFail(e.code === 'EDIGEST' ? 'remote-upload-mismatch' : 'remote-local-read', e.message, false, false));
        r.destroy(e);
      });
      src.pipe(r);
    }
  });
}

/** Reads a whole (small) body, checking it against Content-Length; truncation is retryable. */
export async function readBody(res: http.IncomingMessage, maxBytes: number): Promise<Attempt<Buffer>> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > maxBytes) {
      res.destroy();
      return attemptFail('remote-too-large', `response larger than ${maxBytes} bytes`, false, false);
    }
    chunks.push(c);
  }
  const declared = res.headers['content-length'];
  if (!res.complete || (declared !== undefined && Number(declared) !== n)) {
    return attemptFail('remote-truncated', `body truncated: got ${n} of ${declared ?? '?'} bytes`, true);
  }
  return {ok: true, value: Buffer.concat(chunks)};
}

/** Discards a body we do not need so the keep-alive socket can be reused. */
export function discard(res: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    res.on('end', resolve).on('error', () => resolve()).on('close', () => resolve());
    res.resume();
  });
}

/** Classifies a non-success status: 5xx and 429 may pass, other 4xx are configuration problems. */
export function statusFailure(status: number): {ok: false; error: AttemptFailure} {
  if (status === 401 || status === 403) {
    return attemptFail('remote-auth', `HTTP ${status} (check BEVBUILD_REMOTE_TOKEN / BEVBUILD_REMOTE_USER and BEVBUILD_REMOTE_PASSWORD)`, false, true);
  }
  const retryable = status >= 500 || status === 429 || status === 408;
  return attemptFail(retryable ? 'remote-server-error' : 'remote-http-status', `HTTP ${status}`, retryable, true);
}

function describeNetworkError(e: NodeJS.ErrnoException): string {
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code === 'ECONNRESET' || e.message === 'aborted') return 'connection reset by the server';
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'host not found';
  return e.code ? `${e.code}: ${e.message}` : e.message;
}
