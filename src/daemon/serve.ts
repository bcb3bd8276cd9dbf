/**
 * The per-workspace daemon (opt-in, `BEVBUILD_DAEMON=1`): one long-lived engine that answers the
 * `bevbuild` commands of one working directory, environment and engine build, so that a command
 * costs a small client plus the work itself: no engine load, warm JIT, no start-up GC.
 *
 * Each request is exactly the command the client would have run itself: `main(argv)` with the
 * client's arguments, its terminal (request-stdio.ts) and its signals; the config is evaluated
 * anew (load-config.ts imports it under a fresh URL), and the engine's own checks decide what is
 * fresh, as in a cold process. What the daemon keeps is code, not answers. It serves one command
 * at a time: a client that finds it busy runs its command itself. The daemon exits after `BEVBUILD_DAEMON_IDLE_S` seconds without requests (900),
 * after MAX_REQUESTS requests (every config evaluation stays in the ESM cache), on SIGTERM, or
 * when its socket was taken over by a newer daemon.
 *
 * Wire format, one JSON object per line. Client: `{argv, stdout, stderr}` (the ClientTerminal of
 * each), then `{"signal":"SIGINT"}` for Ctrl-C (or SIGTERM, SIGHUP: the engine treats them alike).
 * Daemon: `{fd, text}` for output, then `{exit}`; or only `{"busy":true}`.
 */
import {createServer, type Socket} from 'node:net';
import {readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {routeStdio, type ClientTerminal} from './request-stdio.ts';
import {restartTiming} from '../timing.ts';
import {useTreeLister} from '../../cache/stat-memo.ts';
import {WatchedTrees} from './watched-trees.ts';

const MAX_REQUESTS = 200;
const DEFAULT_IDLE_S = 900;

/** What a client asks for. Validated: a socket's bytes are not trusted to be well-formed. */
interface Request {
  argv: string[];
  stdout: ClientTerminal;
  stderr: ClientTerminal;
}

/** Serves requests on the unix socket `socketPath` until idle; resolves when the daemon should exit. */
export async function serveDaemon(socketPath: string, main: (argv: string[]) => Promise<number>): Promise<void> {
  const idleMs = 1000 * (Number(process.env['BEVBUILD_DAEMON_IDLE_S']) > 0 ? Number(process.env['BEVBUILD_DAEMON_IDLE_S']) : DEFAULT_IDLE_S);
  let served = 0;
  let idle: NodeJS.Timeout | undefined;
  let chain = Promise.resolve();
  let stopping = false;
  const server = createServer({allowHalfOpen: true});
  const finished = new Promise<void>((resolve) => server.on('close', resolve));
  let ino = 0;
  // Directory inputs listed from memory while inotify says nothing changed (watched-trees.ts).
  const trees = process.env['BEVBUILD_DAEMON_WATCH'] === '0' ? undefined : new WatchedTrees(`${socketPath}.cookies`);
  useTreeLister(trees);

  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(idle);
    server.close();
    useTreeLister(undefined);
    trees?.close();
    // Only our own socket (and pid file): a newer daemon may have renamed its own over this path.
    try {
      if (statSync(socketPath).ino === ino) rmSync(socketPath, {force: true});
      if (readFileSync(`${socketPath}.pid`, 'utf8') === String(process.pid)) rmSync(`${socketPath}.pid`, {force: true});
    } catch {
      // already gone
    }
  };
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(stop, idleMs);
    idle.unref();
  };
  let pending = 0;
  // `kill <daemon>`: stop now when idle, else after the request at hand (whose own handler stops its tools).
  process.on('SIGTERM', () => (pending === 0 ? stop() : (stopping = true)));

  server.on('connection', (sock) => {
    sock.on('error', () => undefined); // a vanished client must never crash the daemon
    // Busy with another command: the client runs this one itself, at once, as it would without a
    // daemon (`status` during a long build answers now; a second build waits on the workspace lock
    // and says so), instead of waiting here unseen.
    if (pending > 0 || stopping) return void sock.end('{"busy":true}\n');
    clearTimeout(idle);
    pending++;
    readRequest(sock).then((req) => {
      chain = chain.then(() => (req ? serveOne(sock, req, main) : undefined)).finally(() => {
        pending--;
        served++;
        if (stopping || served >= MAX_REQUESTS) stop();
        else if (pending === 0) arm();
      });
    });
  });
  // Made under a name of its own, then renamed into place: a client never connects to a daemon
  // that is not listening yet, and of two daemons started at once the later one simply wins.
  const tmp = `${socketPath}.${process.pid}.tmp`;
  rmSync(tmp, {force: true});
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(tmp, resolve));
  renameSync(tmp, socketPath);
  ino = statSync(socketPath).ino;
  // Who answers on this socket, for `kill` and for tests; written after the socket, removed before exit.
  writeFileSync(`${socketPath}.pid`, String(process.pid));
  arm();
  await finished;
}

/** The first line from `sock`, parsed and checked; undefined (and the socket closed) when it is not a request. */
function readRequest(sock: Socket): Promise<Request | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > 1 << 20) done(undefined);
        return;
      }
      sock.off('data', onData);
      const rest = buf.slice(nl + 1);
      if (rest) sock.unshift(Buffer.from(rest, 'utf8'));
      done(parseRequest(buf.slice(0, nl)));
    };
    const done = (r: Request | undefined) => {
      sock.setTimeout(0);
      sock.off('data', onData);
      if (!r) sock.destroy();
      resolve(r);
    };
    sock.on('data', onData);
    sock.once('close', () => done(undefined));
    sock.once('error', () => done(undefined));
    // A client that connects and says nothing would keep the daemon busy for everyone else.
    sock.setTimeout(5000, () => done(undefined));
  });
}

function parseRequest(line: string): Request | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  const r = v as Partial<Request>;
  const term = (t: unknown): t is ClientTerminal =>
    typeof t === 'object' && t !== null && typeof (t as ClientTerminal).isTTY === 'boolean' &&
    ((t as ClientTerminal).columns === undefined || Number.isInteger((t as ClientTerminal).columns));
  if (!Array.isArray(r.argv) || !r.argv.every((a) => typeof a === 'string') || !term(r.stdout) || !term(r.stderr)) return undefined;
  return {argv: r.argv, stdout: r.stdout, stderr: r.stderr};
}

/**
 * Runs one command for the client on `sock`. A `{signal}` line is delivered as SIGINT to the
 * command (the engine's own handlers stop the tools); a client gone before the answer is a Ctrl-C.
 * Listeners the command left on the process's `exit` are its end-of-process cleanups: they run now.
 */
async function serveOne(sock: Socket, req: Request, main: (argv: string[]) => Promise<number>): Promise<void> {
  if (sock.destroyed) return;
  let interrupted = false;
  // Once: the engine's second interrupt means "exit at once", which here would end the daemon.
  const interrupt = () => {
    if (interrupted) return;
    interrupted = true;
    process.emit('SIGINT');
  };
  let buf = '';
  const onData = (d: Buffer) => {
    buf += d.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === '{"signal":"SIGINT"}') interrupt();
    }
  };
  // The client never half-closes: its end of the stream means it is gone (killed, or Ctrl-C twice).
  const onGone = () => interrupt();
  sock.on('data', onData);
  sock.once('end', onGone);
  sock.once('close', onGone);
  sock.on('error', onGone);
  const send = (frame: object) => {
    if (!sock.destroyed) sock.write(`${JSON.stringify(frame)}\n`);
  };
  const exitListeners = new Set(process.listeners('exit'));
  const argv = process.argv;
  process.argv = [argv[0]!, argv[1]!, ...req.argv];
  const unroute = routeStdio((fd, text) => send({fd, text}), req);
  restartTiming();
  let code: number;
  try {
    code = await main(req.argv);
  } catch (e) {
    process.stderr.write(`bevbuild: internal error (this is a bug, please report it):\n${(e as Error)?.stack ?? String(e)}\n`);
    code = 1;
  } finally {
    for (const l of process.listeners('exit')) {
      if (exitListeners.has(l)) continue;
      process.removeListener('exit', l);
      try {
        (l as (code: number) => void)(0);
      } catch {
        // a cleanup's failure is not the command's
      }
    }
    unroute();
    process.argv = argv;
    sock.off('data', onData);
    sock.off('end', onGone);
    sock.off('close', onGone);
    sock.off('error', onGone); // a late error must not interrupt the next request's command
  }
  send({exit: code});
  sock.end();
}
