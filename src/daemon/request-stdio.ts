/**
 * While the daemon serves one request, everything the engine writes to `process.stdout` and
 * `process.stderr` (the reporter, diagnostics, `--json` events) goes to that request's client,
 * and the streams claim the client's terminal (isTTY, columns), so that the output is byte for
 * byte what the same command run in the client's own process would print.
 *
 * The stream objects stay the same; only their `write`, `isTTY` and `columns` are swapped. Replacing
 * `process.stdout` itself would miss the global console, which binds the stream it first sees.
 */

/** What the client says about its own stdout and stderr. */
export interface ClientTerminal {
  isTTY: boolean;
  columns: number | undefined;
}

/** One output chunk for the client: `fd` 1 (stdout) or 2 (stderr). */
export type SendOutput = (fd: 1 | 2, text: string) => void;

type Patched = Pick<NodeJS.WriteStream, 'write'> & {isTTY?: boolean; columns?: number};

/**
 * Routes both streams to `send` until the returned function is called, which puts back exactly
 * what was there (own properties restored or deleted).
 */
export function routeStdio(send: SendOutput, terminals: {stdout: ClientTerminal; stderr: ClientTerminal}): () => void {
  const undo = [patch(process.stdout, 1, send, terminals.stdout), patch(process.stderr, 2, send, terminals.stderr)];
  return () => {
    for (const u of undo) u();
  };
}

function patch(stream: NodeJS.WriteStream, fd: 1 | 2, send: SendOutput, term: ClientTerminal): () => void {
  const s = stream as unknown as Patched;
  const saved = (['write', 'isTTY', 'columns'] as const).map((k) => [k, Object.getOwnPropertyDescriptor(s, k)] as const);
  // write(chunk, [encoding], [callback]): the callback is called once the chunk is handed on.
  s.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error) => void), cb?: (e?: Error) => void) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    send(fd, text);
    const done = typeof encoding === 'function' ? encoding : cb;
    if (done) queueMicrotask(() => done());
    return true;
  }) as Patched['write'];
  Object.defineProperty(s, 'isTTY', {value: term.isTTY, configurable: true, writable: true});
  Object.defineProperty(s, 'columns', {value: term.columns, configurable: true, writable: true});
  return () => {
    for (const [k, d] of saved) {
      if (d) Object.defineProperty(s, k, d);
      else delete (s as Record<string, unknown>)[k];
    }
  };
}
