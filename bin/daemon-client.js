// The client side of the per-workspace daemon (src/daemon/serve.ts), opt-in with BEVBUILD_DAEMON=1.
// A daemon serves one working directory, environment, Node, engine build and set of process limits:
// its socket's name is a hash of them all, so a client only ever reaches a daemon that would do
// exactly what the client's own process would. The first command of a kind runs in the client's process as usual and starts
// the daemon for the next one. Plain JavaScript: the bin loads it before the engine.
import {spawn} from 'node:child_process';
import {closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {connect} from 'node:net';
import {getPriority, tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {hash128} from './noop-fast.js';

/**
 * Variables a shell changes as it goes (`cd` sets OLDPWD, a subshell SHLVL): not part of a
 * daemon's key, but sent with each command and set for its duration, so that the command still sees
 * exactly the client's environment.
 */
export const PER_COMMAND_VARS = ['OLDPWD', 'SHLVL'];

/** Commands that hold a terminal or a server of their own: always run in the client's process. */
const OWN_PROCESS = new Set(['watch', 'ui']);
/** A unix socket's path is limited to 107 bytes on Linux. */
const MAX_SOCKET_PATH = 100;

/** True when this invocation should go through the daemon. */
export function daemonWanted(argv, env = process.env) {
  if (env.BEVBUILD_DAEMON !== '1') return false;
  return !argv.some((a) => OWN_PROCESS.has(a));
}

/**
 * The socket of the daemon for this process's cwd, environment, Node and `engineId`; undefined
 * when no private directory for it can be had (then the command runs in-process).
 * In BEVBUILD_DAEMON_DIR, else $XDG_RUNTIME_DIR or the temp dir, in a directory only this user may use.
 */
export function daemonSocket(engineId, env = process.env) {
  const base = env.BEVBUILD_DAEMON_DIR || join(env.XDG_RUNTIME_DIR || tmpdir(), `bevbuild-daemons-${process.getuid?.() ?? 'u'}`);
  try {
    mkdirSync(base, {recursive: true, mode: 0o700});
    const st = lstatSync(base);
    // Someone else's directory (or a symlink planted in /tmp) would let them answer our builds.
    if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  const skip = new Set(['_', 'BEVBUILD_ENGINE_ID', 'BEVBUILD_ZOD', ...PER_COMMAND_VARS]);
  const vars = Object.entries(env).filter(([k]) => !skip.has(k)).sort(([a], [b]) => (a < b ? -1 : 1));
  // The cwd's inode too: a workspace moved away and another put at its path is another daemon's.
  let here;
  try {
    const st = statSync('.');
    here = `${process.cwd()}\0${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
  const key = hash128(JSON.stringify({cwd: here, env: vars, node: [process.execPath, process.version], execArgv: process.execArgv, engineId, packages: packagesStamp(), process: processFacts()}));
  const socket = join(base, `${key}.sock`);
  return socket.length <= MAX_SOCKET_PATH ? socket : undefined;
}

/**
 * What a tool inherits from the process that starts it besides the environment: resource limits
 * (`ulimit`), the cgroup (a SLURM allocation, a CI job, a systemd slice), the nice level and the umask. A
 * shell that differs in any of them reaches another daemon, whose tools then get the same.
 */
function processFacts() {
  const read = (f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  return [read('/proc/self/limits'), read('/proc/self/cgroup'), getPriority(), process.umask()];
}

/**
 * When npm last changed the packages a config may import (the nearest node_modules/.package-lock.json
 * above the cwd): a daemon keeps the packages it loaded, so an install means another daemon.
 */
function packagesStamp() {
  for (let d = process.cwd(); ; d = dirname(d)) {
    try {
      const st = statSync(join(d, 'node_modules', '.package-lock.json'));
      return `${d}:${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      // not here
    }
    if (dirname(d) === d) return '';
  }
}

/**
 * Runs `argv` in the daemon at `socket`, relaying its output and this process's signals.
 * `{code}` when it ran there; `{busy: true}` when the daemon is running another command (run this
 * one here); `{declined: path}` when a daemon found that this config imports a package of its own
 * (run it here, start none); `{stale: path}` when code the daemon loaded changed and it retired, or
 * undefined when no daemon answered before any output (run it here and start a daemon, in both cases).
 */
export function askDaemon(socket, argv) {
  const declined = declinedFor(socket);
  if (declined !== undefined) return Promise.resolve({declined});
  if (!existsSync(socket)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const sock = connect(socket);
    let buf = '';
    let heard = false;
    let settled = false;
    let interrupts = 0;
    const onSignal = () => {
      interrupts++;
      if (interrupts === 1) sock.write('{"signal":"SIGINT"}\n');
      else finish({code: 130}); // Ctrl-C again: leave at once; the daemon stops the tools on its own
    };
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const finish = (code) => {
      if (settled) return;
      settled = true;
      for (const s of signals) process.off(s, onSignal);
      sock.destroy();
      resolve(code);
    };
    sock.on('connect', () => {
      for (const s of signals) process.on(s, onSignal);
      const term = (s) => ({isTTY: Boolean(s.isTTY), columns: s.isTTY ? s.columns : undefined});
      const vars = Object.fromEntries(PER_COMMAND_VARS.map((k) => [k, process.env[k] ?? null]));
      sock.write(`${JSON.stringify({argv, stdout: term(process.stdout), stderr: term(process.stderr), vars})}\n`);
    });
    sock.setEncoding('utf8'); // a character split across two reads stays whole
    sock.on('data', (d) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const frame = parseFrame(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (frame === undefined) continue;
        heard = true;
        if ('accepted' in frame) continue;
        if ('busy' in frame) return finish({busy: true});
        if ('stale' in frame) return finish({stale: frame.stale});
        if ('exit' in frame) return finish({code: frame.exit});
        (frame.fd === 1 ? process.stdout : process.stderr).write(frame.text);
      }
    });
    // Gone without an answer: before any output it is as if there were no daemon; after some, the
    // command's outcome is unknown, and that is an error, never a silent success.
    const gone = () => {
      if (settled) return;
      if (!heard) return finish(undefined);
      process.stderr.write('bevbuild: the daemon stopped before the command finished; run it again (BEVBUILD_DAEMON=0 runs it in this process)\n');
      finish({code: 1});
    };
    sock.on('error', gone);
    sock.on('close', gone);
  });
}

/** How long a daemon's refusal of a config that imports packages of its own stands before another try. */
const DECLINED_MS = 3600_000;

/** The package that made a daemon of this socket decline, within the last DECLINED_MS; else undefined. */
function declinedFor(socket) {
  try {
    const file = `${socket}.declined`;
    if (Date.now() - statSync(file).mtimeMs > DECLINED_MS) return undefined;
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A daemon's line, checked: `{accepted}`, `{fd: 1|2, text}`, `{exit: <integer>}`, `{busy}` or `{stale}`; anything else is ignored. */
function parseFrame(line) {
  let f;
  try {
    f = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (f && f.busy === true) return {busy: true};
  if (f && typeof f.stale === 'string') return {stale: f.stale};
  if (f && f.accepted === true) return {accepted: true};
  if (f && Number.isInteger(f.exit) && f.exit >= 0 && f.exit < 256) return {exit: f.exit};
  if (f && (f.fd === 1 || f.fd === 2) && typeof f.text === 'string') return f;
  return undefined;
}

/**
 * Starts a daemon for `socket` in the background, detached so that it outlives this command and
 * no Ctrl-C of the terminal reaches it, with `at`: the environment and cwd the socket's key was
 * made of (taken before this process ran the command, which a config may change). Its own output
 * (only ever a crash) goes to `<socket>.log`. Best effort: without a daemon, commands run in-process.
 */
export function startDaemon(socket, binFile, at) {
  retireOldest(dirname(socket));
  try {
    const log = openSync(`${socket}.log`, 'w', 0o600);
    // A larger young generation: a long-lived engine allocating per command scavenges less (about
    // 10 % of a warm command's time, measured on the bench's 1,000-node graph).
    const child = spawn(process.execPath, [...process.execArgv, '--max-semi-space-size=32', binFile], {
      detached: true,
      stdio: ['ignore', log, log],
      cwd: at.cwd,
      env: {...at.env, BEVBUILD_DAEMON_SERVE: socket},
    });
    closeSync(log);
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no daemon this time
  }
}

/** Daemons one user keeps at once: every other environment is another one. */
const MAX_DAEMONS = 8;

/**
 * Makes room for one more daemon in `dir`: stops the longest-running ones beyond MAX_DAEMONS - 1
 * (SIGTERM: one busy with a command finishes it first). A pid file is trusted only when /proc
 * says that process is the daemon of that very socket: a reused pid is never signalled.
 */
function retireOldest(dir) {
  let pids;
  try {
    pids = readdirSync(dir).filter((f) => f.endsWith('.sock.pid')).map((f) => ({file: join(dir, f), since: statSync(join(dir, f)).mtimeMs}));
  } catch {
    return;
  }
  pids.sort((a, b) => a.since - b.since);
  for (const {file} of pids.slice(0, Math.max(0, pids.length - (MAX_DAEMONS - 1)))) {
    try {
      const pid = Number(readFileSync(file, 'utf8'));
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (Number.isInteger(pid) && pid > 0 && environ.includes(`BEVBUILD_DAEMON_SERVE=${file.slice(0, -'.pid'.length)}`)) process.kill(pid, 'SIGTERM');
    } catch {
      // gone already, or not ours to stop
    }
  }
}
