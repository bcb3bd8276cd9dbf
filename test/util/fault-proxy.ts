/**
 * A real TCP proxy (node:net) in front of a test server that injects the faults a remote cache
 * meets in practice: dropped connections, truncated or corrupted bodies, stalls, delays and 500s.
 * It works on bytes, not on a mocked HTTP client, so the code under test sees genuine sockets.
 *
 * The mode is chosen per connection when it opens and applies to the first response on it
 * (later responses on a kept-alive connection pass through). `times` limits how many
 * connections are faulted before the proxy passes everything, to test retries that recover.
 */
import {createServer, connect, type Server, type Socket} from 'node:net';

export type FaultMode =
  | {kind: 'pass'}
  /** Close the client connection as soon as the request starts arriving. */
  | {kind: 'drop'}
  /** Forward the response head and `keepBytes` of the body (default: half), then close. */
  | {kind: 'truncate'; keepBytes?: number}
  /** Flip one byte of the response body (length unchanged). */
  | {kind: 'corrupt'}
  /** Forward the head and `afterBytes` of the body (default 0), then send nothing more. */
  | {kind: 'stall'; afterBytes?: number}
  /** Hold the whole response back for `ms`. */
  | {kind: 'delay'; ms: number}
  /** Answer `500 Internal Server Error` without contacting the server. */
  | {kind: 'status500'};

export interface FaultProxy {
  url: string;
  port: number;
  /** Sets the mode for connections opened from now on; `times` = only that many connections. */
  setMode(mode: FaultMode, times?: number): void;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/** Starts a proxy on a free localhost port forwarding to `127.0.0.1:<upstreamPort>`. */
export function startFaultProxy(upstreamPort: number): Promise<FaultProxy> {
  let mode: FaultMode = {kind: 'pass'};
  let left = Infinity;
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    count++;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let m: FaultMode = {kind: 'pass'};
    if (left > 0) {
      m = mode;
      left--;
    }
    if (m.kind === 'drop') {
      client.once('data', () => client.destroy());
      return;
    }
    if (m.kind === 'status500') {
      client.once('data', () => {
        client.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      });
      return;
    }
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => (sockets.delete(upstream), client.destroy()));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.on('data', responseFilter(m, client, upstream));
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        setMode(next, times) {
          mode = next;
          left = times ?? Infinity;
        },
        connections: () => count,
        stop: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Returns the upstream `data` handler that applies `m` to the first response's bytes. */
function responseFilter(m: FaultMode, client: Socket, upstream: Socket): (chunk: Buffer) => void {
  let head = Buffer.alloc(0);
  let bodyStart = -1; // bytes of body forwarded so far, -1 while the head is incomplete
  let limit = Infinity; // body bytes to forward before the fault
  let done = false; // the first response has been dealt with: pass the rest through
  const held: Buffer[] = [];
  if (m.kind === 'delay') {
    setTimeout(() => {
      done = true;
      for (const c of held) client.write(c);
    }, m.ms);
  }
  return (chunk) => {
    if (m.kind === 'pass' || done) {
      client.write(chunk);
      return;
    }
    if (m.kind === 'delay') {
      held.push(chunk);
      return;
    }
    let body = chunk;
    if (bodyStart < 0) {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headText = head.subarray(0, end).toString('latin1');
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1] ?? 0);
      client.write(head.subarray(0, end + 4));
      body = head.subarray(end + 4);
      bodyStart = 0;
      if (m.kind === 'truncate') limit = m.keepBytes ?? Math.floor(len / 2);
      if (m.kind === 'stall') limit = m.afterBytes ?? 0;
      if (m.kind === 'corrupt' && len === 0) done = true;
    }
    if (m.kind === 'corrupt') {
      if (body.length > 0) {
        body = Buffer.from(body);
        body[0] = body[0]! ^ 0xff;
        done = true;
      }
      client.write(body);
      return;
    }
    const room = Math.max(0, limit - bodyStart);
    if (room > 0) client.write(body.subarray(0, room));
    bodyStart += Math.min(room, body.length);
    if (body.length > room) {
      if (m.kind === 'truncate') {
        client.destroy();
        upstream.destroy();
      } else upstream.pause(); // stall: keep both open, forward nothing more
    }
  };
}
