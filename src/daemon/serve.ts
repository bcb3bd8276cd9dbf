/**
 * The per-workspace daemon (opt-in, `BEVBUILD_DAEMON=1`): one long-lived engine that answers the
 * `bevbuild` commands of one working directory, environment and engine build, so that a command
 * costs a small client plus the work itself: no engine load, warm JIT, no start-up GC.
 *
 * Each request is exactly the command the client would have run itself: `main(argv)` with the
 * client's arguments, its terminal (request-stdio.ts) and its signals; the engine's own checks
 * decide what is fresh, as in a cold process. Besides code, the daemon keeps only what is proven
 * unchanged at each use: the evaluated config while nothing it read changed (declaration-memo.ts,
 * else load-config.ts imports it anew under a fresh URL), parsed state files and the stat memo
 * while their files are as read, directory listings while inotify reports nothing. It serves one command
 * at a time: a client that finds it busy runs its command itself. The daemon exits after
 * `BEVBUILD_DAEMON_IDLE_S` seconds without requests (900), after MAX_REQUESTS requests (every
 * config evaluation stays in the ESM cache), on SIGTERM, when its socket was taken over by a newer
 * daemon or its cwd is gone, and when code it loaded changed or the config imports a package of
 * its own (loaded-files.ts).
 *
 * Wire format, one JSON object per line. Client: `{argv, stdout, stderr, vars}` (the ClientTerminal
 * of each; the PER_COMMAND_VARS values), then `{"signal":"SIGINT"}` for Ctrl-C (or SIGTERM, SIGHUP: the engine treats them alike).
 * Daemon: `{"accepted":true}`, then `{fd, text}` for output, then `{exit}`; or only `{"busy":true}`
 * (another command is running) or `{"stale": <path>}` (code it loaded changed: it is retiring).
 */
import {createServer, type Socket} from 'node:net';
import {closeSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {routeStdio, type ClientTerminal} from './request-stdio.ts';
import {restartTiming} from '../timing.ts';
import {dropHandOff, keepMemosOpen, useTreeLister} from '../../cache/stat-memo.ts';
import {keepDeclarations} from '../engine/declaration-memo.ts';
import {keepStateOpen} from '../engine/node-state.ts';
import {forgetGitRoots} from '../provenance/git.ts';
import {forgetToolchainFacts} from '../provenance/collect.ts';
import {WatchedTrees} from './watched-trees.ts';
import {LoadedFiles, ownCodeDirs} from './loaded-files.ts';
import {PER_COMMAND_VARS as CLIENT_PER_COMMAND_VARS} from '../../bin/daemon-client.js';

const MAX_REQUESTS = 200;
const DEFAULT_IDLE_S = 900;

/** What a client asks for. Validated: a socket's bytes are not trusted to be well-formed. */
interface Request {
  argv: string[];
  stdout: ClientTerminal;
  stderr: ClientTerminal;
  /** The client's values of the variables left out of the daemon's key (bin/daemon-client.js PER_COMMAND_VARS); null: unset. */
  vars: Record<string, string | null>;
}

/** The variables a request may set for its command: exactly those the client leaves out of the key. */
const PER_COMMAND_VARS = new Set<string>(CLIENT_PER_COMMAND_VARS);

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
  closeInheritedFds();
  // Packages a config imports stay loaded: a command finds out first whether one changed since.
  // Registered from `/`: on Node 20, module.register() waits forever when the cwd is gone (a
  // workspace removed just after its first command), and such a daemon would never idle out.
  const cwd = process.cwd();
  process.chdir('/');
  const loaded = LoadedFiles.start();
  try {
    process.chdir(cwd);
  } catch {
    return; // the workspace is gone: nothing to serve
  }
  const own = ownCodeDirs();
  if (!loaded) {
    process.stderr.write(`bevbuild daemon: Node ${process.version} has no module hooks (node:module register); not serving\n`);
    return;
  }
  // Directory inputs listed from memory while inotify says nothing changed (watched-trees.ts).
  const trees = process.env['BEVBUILD_DAEMON_WATCH'] === '0' ? undefined : new WatchedTrees(`${socketPath}.cookies`);
  useTreeLister(trees);
  keepMemosOpen(); // the stat memo's file is parsed once, not per command
  // The config is evaluated again only when something it read changed (declaration-memo.ts); a
  // config that depends on what node:fs cannot see (the network, the clock) opts out.
  if (process.env['BEVBUILD_DAEMON_KEEP_CONFIG'] !== '0') keepDeclarations();
  keepStateOpen(); // nodes.json and key-records.json are parsed again only when written

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
  // Another daemon started at the same moment renamed its socket over ours: no client reaches this
  // one any more, so it leaves now rather than when idle.
  const owner = setInterval(() => {
    if (statSync(socketPath, {throwIfNoEntry: false})?.ino !== ino && pending === 0) stop();
  }, 5000);
  owner.unref();
  server.on('close', () => clearInterval(owner));
  let pending = 0;
  // `kill <daemon>`: stop now when idle, else after the request at hand (whose own handler stops its tools).
  process.on('SIGTERM', () => (pending === 0 ? stop() : (stopping = true)));

  server.on('connection', (sock) => {
    sock.on('error', () => undefined); // a vanished client must never crash the daemon
    // Busy with another command: the client runs this one itself, at once, as it would without a
    // daemon (`status` during a long build answers now; a second build waits on the workspace lock
    // and says so), instead of waiting here unseen.
    if (pending > 0 || stopping) return void sock.end('{"busy":true}\n');
    // Blocking writes, as Node's own stdout has on a pipe: what the command wrote is with the client
    // before anything after it happens (a process.exit included, see serveOne).
    (sock as unknown as {_handle?: {setBlocking?: (on: boolean) => number}})._handle?.setBlocking?.(true);
    clearTimeout(idle);
    pending++;
    readRequest(sock).then((req) => {
      chain = chain.then(async () => {
        if (!req) return;
        // Code this daemon loaded was changed since: it retires, and the client runs the command
        // itself and starts a daemon that loads what is there now.
        const stale = loaded.changed() ?? cwdGone(cwd);
        if (stale !== undefined) {
          stop();
          return void sock.end(`${JSON.stringify({stale})}\n`);
        }
        const started = Date.now();
        await serveOne(sock, req, main, stop);
        await loaded.settle(started);
        const foreign = loaded.foreign(own);
        if (foreign !== undefined) {
          // This command loaded the package afresh, as a process of its own would; a next one would not.
          writeFileSync(`${socketPath}.declined`, `${foreign}\n`);
          stop();
        }
      }).finally(() => {
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
    // Decoded by the stream: a character split across two reads stays whole.
    sock.setEncoding('utf8');
    const onData = (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > 1 << 20) done(undefined);
        return;
      }
      sock.off('data', onData);
      const rest = buf.slice(nl + 1);
      if (rest) sock.unshift(rest);
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
  const vars = r.vars;
  if (typeof vars !== 'object' || vars === null || !Object.entries(vars).every(([k, v]) => PER_COMMAND_VARS.has(k) && (v === null || typeof v === 'string'))) return undefined;
  return {argv: r.argv, stdout: r.stdout, stderr: r.stderr, vars};
}

/**
 * Runs one command for the client on `sock`. A `{signal}` line is delivered as SIGINT to the
 * command (the engine's own handlers stop the tools); a client gone before the answer is a Ctrl-C.
 * Listeners the command left on the process's `exit` are its end-of-process cleanups: they run now.
 * A command that calls `process.exit` ends the daemon, as it would its own process, once the client
 * has the code (`retire` first, so that no new client is accepted meanwhile).
 */
async function serveOne(sock: Socket, req: Request, main: (argv: string[]) => Promise<number>, retire: () => void): Promise<void> {
  if (sock.destroyed) return;
  let interrupted = false;
  // Once: the engine's second interrupt means "exit at once", which here would end the daemon.
  const interrupt = () => {
    if (interrupted) return;
    interrupted = true;
    process.emit('SIGINT');
  };
  let buf = '';
  const onData = (d: string) => {
    buf += d;
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
  // What a config may change while it declares, as it may in a process of its own: put back after.
  const env = {...process.env};
  const cwd = process.cwd();
  const umask = process.umask();
  process.argv = [argv[0]!, argv[1]!, ...req.argv];
  for (const [k, v] of Object.entries(req.vars)) {
    if (v === null) delete process.env[k];
    else process.env[k] = v;
  }
  // From here on the command's outcome is the daemon's to tell: a client that loses the daemon
  // after this line reports an unknown outcome instead of running the command again itself.
  send({accepted: true});
  const unroute = routeStdio((fd, text) => send({fd, text}), req);
  restartTiming();
  // A command (a config, a rule) that calls process.exit ends its process: this one, after telling
  // the client the code, so that the client exits as the command's own process would have.
  const exit = process.exit;
  process.exit = ((c?: number | string | null) => {
    const n = Number(c ?? process.exitCode ?? 0);
    const code = Number.isInteger(n) ? n : 1;
    process.exit = exit;
    retire();
    // Added last, so it runs after the command's own exit listeners (which see the code, and
    // whose output reaches the client first: the writes are blocking).
    process.once('exit', () => send({exit: code}));
    exit(code);
  }) as typeof process.exit;
  let code: number;
  try {
    code = await main(req.argv);
  } catch (e) {
    process.stderr.write(`bevbuild: internal error (this is a bug, please report it):\n${(e as Error)?.stack ?? String(e)}\n`);
    code = 1;
  } finally {
    process.exit = exit;
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
    restoreEnv(env);
    process.chdir(cwd);
    process.umask(umask);
    // Caches a command of its own would have started empty.
    dropHandOff();
    forgetGitRoots();
    forgetToolchainFacts();
    sock.off('data', onData);
    sock.off('end', onGone);
    sock.off('close', onGone);
    sock.off('error', onGone); // a late error must not interrupt the next request's command
  }
  send({exit: code});
  sock.end();
}

/** Makes `process.env` hold exactly `saved` again, in place (a new object would lose its coercion to strings). */
function restoreEnv(saved: NodeJS.ProcessEnv): void {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  for (const [k, v] of Object.entries(saved)) if (process.env[k] !== v) process.env[k] = v;
}

/**
 * The working directory as a path, when it no longer names the directory this daemon is in (removed,
 * or removed and made again): its commands would act on a directory nobody can see.
 */
function cwdGone(cwd: string): string | undefined {
  const here = statSync('.', {throwIfNoEntry: false});
  const there = statSync(cwd, {throwIfNoEntry: false});
  return here && there && here.dev === there.dev && here.ino === there.ino && here.nlink > 0 ? undefined : cwd;
}

/**
 * Closes the descriptors this process inherited from the shell that started its first client (a
 * `2> >(…)` pipe, a job runner's pipe): kept open, they would hold that reader open for as long as
 * the daemon lives, and every tool it runs would inherit them too. Node's own are close-on-exec.
 */
function closeInheritedFds(): void {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return; // not Linux
  }
  for (const name of fds) {
    const fd = Number(name);
    if (!(fd > 2)) continue;
    try {
      // Pipes, sockets and terminals only (what keeps a reader waiting); not a file some library opened.
      if (!/^(pipe:|socket:|\/dev\/(pts|tty))/.test(readlinkSync(`/proc/self/fd/${fd}`))) continue;
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) closeSync(fd); // no O_CLOEXEC
    } catch {
      // closed meanwhile (the directory listing's own descriptor)
    }
  }
}
