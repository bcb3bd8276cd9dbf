/**
 * A hostile Bazel-HTTP cache for the security suite: it answers every `GET /ac/<key>` with an
 * action record carrying that key (so it is "the right key" for whatever node asks) whose content
 * the test chooses, and serves the objects the test plants under `/cas/<sha256>`. Uploads are
 * refused. Not a mock of anything bevbuild could run: it is the attacker.
 */
import {createHash} from 'node:crypto';
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';

export interface HostileOutput {
  path: string;
  kind: 'file' | 'dir';
  digest: string;
  size: number;
  executable?: boolean;
}

export const sha256 = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');

export interface HostileCache {
  url: string;
  /** What the next `/ac/` answers carry: outputs, or a raw body (for oversize records). */
  answer(a: {outputs: HostileOutput[]} | {body: () => Buffer}): void;
  /** Serves `bytes` under `/cas/<sha256(bytes)>`; returns the digest. */
  plant(bytes: string | Buffer): string;
  /** Requests seen, as "METHOD /path". */
  requests: string[];
  close(): Promise<void>;
}

export async function startHostileCache(): Promise<HostileCache> {
  const objects = new Map<string, Buffer>();
  const requests: string[] = [];
  let answer: {outputs: HostileOutput[]} | {body: () => Buffer} = {outputs: []};
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    const ac = /^\/ac\/([0-9a-f]{64})$/.exec(req.url ?? '');
    const cas = /^\/cas\/([0-9a-f]{64})$/.exec(req.url ?? '');
    if (req.method === 'PUT') {
      res.writeHead(403).end();
    } else if (ac) {
      const body =
        'body' in answer
          ? answer.body()
          : Buffer.from(JSON.stringify({format: 1, key: ac[1], nodeId: 'anything', rule: {name: 'test/sh', version: 1}, outputs: answer.outputs, createdAt: new Date().toISOString(), durationMs: 1, host: 'evil', runId: 'evil', inputs: {}}));
      res.writeHead(200, {'content-length': body.length}).end(req.method === 'HEAD' ? undefined : body);
    } else if (cas && objects.has(cas[1]!)) {
      const body = objects.get(cas[1]!)!;
      res.writeHead(200, {'content-length': body.length}).end(req.method === 'HEAD' ? undefined : body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    answer: (a) => (answer = a),
    plant: (bytes) => {
      const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
      const d = sha256(b);
      objects.set(d, b);
      return d;
    },
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
