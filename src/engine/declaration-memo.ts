/**
 * The daemon's declaration memo (issue 12): the evaluated config and the analysed graph, kept from
 * one command to the next in a long-lived process, and used again instead of evaluating the config
 * while nothing the declaration depended on changed. Evaluating 1,000 rule calls and analysing
 * them is a third of a planning run's time in the daemon.
 *
 * A kept declaration is used only when all of this is equal to when it was made:
 *  - the workspace root, the command line (a config may read `process.argv`), the working directory,
 *    the umask and the whole environment;
 *  - the lstat stamp of every path the config and the analysis read through node:fs (the config's
 *    sources through config-cache.json, files and directories a rule read while declaring), none of
 *    them written within RACY_MS of the recording; for a path only tested for existence (the
 *    analysis tests every source input), whether it exists;
 *  - the terminal (isTTY, columns of stdout and stderr), and every node's params (a rule function
 *    that changes them would change them again at each use).
 * It is not kept at all when the declaration could not be followed or had effects a reuse would not
 * repeat: a program or worker thread started, the disk written through node:fs (read-recorder.ts),
 * output written (a config that logs; also by work it left to finish, up to the next turn of the
 * event loop), a timer or immediate scheduled (unref'd too), a callback or exit listener left
 * pending, the environment, working directory or umask changed, or a diagnostic. Code the config imports is
 * not stamped here: the daemon retires when a module it loaded changes (loaded-files.ts).
 * Accepted, as the no-op stamp does: a declaration that depends on the clock, randomness or
 * anything not read through node:fs (the network, `os.freemem()`, state kept in the config's own
 * modules) is taken as it was first evaluated; `BEVBUILD_DAEMON_KEEP_CONFIG=0` turns the memo off.
 */
import {existsSync, lstatSync, readlinkSync} from 'node:fs';
import {createRequire, syncBuiltinESMExports} from 'node:module';
import {dirname, resolve} from 'node:path';
import type {LoadedConfigSpec} from '../config/define-config.ts';
import {loadConfig} from '../config/load-config.ts';
import type {Diagnostic} from '../diagnostics.ts';
import {analyze} from '../graph/analyze.ts';
import type {Graph} from '../graph/graph.ts';
import type {Result} from '../result.ts';
import {mark} from '../timing.ts';
import {directoryChangedMs, pathStamp, RACY_MS} from './path-stamp.ts';
import {READ, ReadRecorder, replayReads, unrecorded} from './read-recorder.ts';

/** A workspace's evaluated config and its analysed graph. */
export interface Declaration {
  spec: LoadedConfigSpec;
  configFile: string;
  graph: Graph;
}

interface Kept {
  key: string;
  value: Declaration;
  /** Every path read while declaring, with how it was read (for recorders active at reuse). */
  seen: Map<string, number>;
  stamps: [string, string][];
  /** paramsSnapshot when it was made. */
  params: string;
}

/** The real setImmediate, for the memo's own wait while TimerWatch has replaced the global. */
const nextTurn = setImmediate;

let keeping = false;
let kept: Kept | undefined;

/** From now on, declarations are kept between commands (the daemon calls this once). */
export function keepDeclarations(): void {
  keeping = true;
}

/** Loads the config and analyses it, or uses the declaration kept from a previous command. */
export async function declare(root: string): Promise<Result<Declaration, Diagnostic[]>> {
  if (!keeping) return evaluate(root);
  const key = keyOf(root);
  const was = kept;
  kept = undefined; // kept again only once it is proven to hold, or made afresh
  // The check itself is not what the build read: a no-op stamp recorded around this command gets
  // the declaration's reads as they were made (their kinds matter, see noop-stamp.ts).
  if (was?.key === key && unrecorded(() => was.stamps.every(([p, s]) => stampNow(p, was.seen.get(p)!) === s)) && paramsSnapshot(was.value.graph) === was.params) {
    replayReads(was.seen);
    mark('config kept (daemon)');
    kept = was;
    return {ok: true, value: was.value};
  }
  const started = Date.now();
  const before = {key, cwd: process.cwd(), umask: process.umask(), pending: pendingWork()};
  const reads = new ReadRecorder();
  const output = new OutputWatch();
  const timers = new TimerWatch();
  let out: Result<Declaration, Diagnostic[]>;
  try {
    out = await evaluate(root, output);
    // What the config started without awaiting (a promise chain, a warning on the next tick)
    // finishes before the next turn of the event loop: its output counts as the declaration's.
    output.resume();
    await new Promise<void>((resolve) => nextTurn(resolve));
  } finally {
    timers.restore();
    reads.restore();
    output.pause();
  }
  const effects = reads.impure || reads.wrote || output.wrote || timers.scheduled || pendingWork() !== before.pending;
  if (!out.ok || effects || keyOf(root) !== before.key || process.cwd() !== before.cwd || process.umask() !== before.umask) return out;
  const params = paramsSnapshot(out.value.graph);
  if (params === undefined) return out;
  const stamps: [string, string][] = [];
  for (const [p, kinds] of reads.seen) {
    const {stamp, newestMs} = stampOf(p, kinds);
    if (newestMs > started - RACY_MS) return out;
    stamps.push([p, stamp]);
  }
  kept = {key, value: out.value, seen: new Map(reads.seen), stamps, params};
  return out;
}

/**
 * What the declaration left running or registered to run later: timers, immediates, pending
 * callbacks and exit listeners. A config that schedules work (a notice printed later, a file
 * written at exit) would do it again in a process of its own.
 */
function pendingWork(): string {
  const kinds = process.getActiveResourcesInfo().sort().join(',');
  return `${kinds}|${process.listenerCount('exit')}|${process.listenerCount('beforeExit')}`;
}

/**
 * Every node's params as JSON: a rule function that changes its params (`argv` pushing a flag)
 * would change them again at every use of a kept declaration, where a process of its own starts
 * from the config's. Undefined when they are not JSON (then nothing is kept).
 */
function paramsSnapshot(graph: Graph): string | undefined {
  try {
    return JSON.stringify([...graph.nodes.values()].map((n) => n.params));
  } catch {
    return undefined;
  }
}

/** Loads and analyses, with the timing marks of both phases (outside the output watch). */
async function evaluate(root: string, output?: OutputWatch): Promise<Result<Declaration, Diagnostic[]>> {
  const loaded = await loadConfig(root);
  output?.pause();
  mark('config loaded');
  output?.resume();
  if (!loaded.ok) return loaded;
  const graph = analyze(root, loaded.value.file, loaded.value.spec);
  output?.pause();
  mark('graph analysed');
  if (!graph.ok) return graph;
  return {ok: true, value: {spec: loaded.value.spec, configFile: loaded.value.file, graph: graph.value}};
}

/**
 * A path's stamp for what was asked of it: whether it exists, when that is all (the analysis asks
 * it of every source input, and an edited input must not make the declaration racy), else its
 * lstat stamp. For existence, the racy time is the parent directory's: a path made or removed
 * while the config was declaring changed it, an edit in place did not.
 */
function stampOf(p: string, kinds: number): {stamp: string; newestMs: number} {
  if (kinds !== READ.exists) return pathStamp(p);
  let newestMs = directoryChangedMs(p);
  const link = lstatSync(p, {throwIfNoEntry: false})?.isSymbolicLink() ? readlinkSync(p) : undefined;
  if (link !== undefined) newestMs = Math.max(newestMs, directoryChangedMs(resolve(dirname(p), link)));
  return {stamp: stampNow(p, kinds), newestMs};
}

/** The stamp alone, as each reuse compares it (the racy time matters only when recording). */
function stampNow(p: string, kinds: number): string {
  return kinds === READ.exists ? (existsSync(p) ? 'exists' : 'missing') : pathStamp(p).stamp;
}

/** What the declaration depended on besides files: root, command line, cwd, umask and environment. */
function keyOf(root: string): string {
  const env = Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : 1));
  // The terminal too: the daemon lends each command its client's (request-stdio.ts), and a config may ask.
  const terminal = [process.stdout, process.stderr].map((s) => [s.isTTY === true, s.columns]);
  return JSON.stringify({root, argv: process.argv.slice(2), cwd: process.cwd(), umask: process.umask(), env, terminal});
}

/**
 * Notes whether the config scheduled a timer or an immediate (unref'd ones included, which
 * pendingWork cannot see): the global functions and node:timers' exports, until `restore()`.
 */
class TimerWatch {
  scheduled = false;
  readonly #undo: (() => void)[] = [];

  constructor() {
    const timers = createRequire(import.meta.url)('node:timers') as Record<string, unknown>;
    for (const target of [globalThis as unknown as Record<string, unknown>, timers]) {
      for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
        const orig = target[name] as (...a: unknown[]) => unknown;
        const watch = this;
        const wrapped = function (this: unknown, ...a: unknown[]) {
          watch.scheduled = true;
          return orig.apply(this, a);
        };
        // Own properties (promisify.custom) kept: `promisify(setTimeout)` must still work.
        const own = Object.getOwnPropertyDescriptors(orig) as Record<PropertyKey, PropertyDescriptor>;
        for (const key of ['length', 'name', 'prototype', 'arguments', 'caller']) delete own[key];
        Object.defineProperties(wrapped, own);
        target[name] = wrapped;
        this.#undo.push(() => (target[name] = orig));
      }
    }
    syncBuiltinESMExports();
  }

  restore(): void {
    for (const undo of this.#undo.splice(0).reverse()) undo();
    syncBuiltinESMExports();
  }
}

/** Notes whether anything is written to stdout or stderr (a config that logs must log every time). */
class OutputWatch {
  wrote = false;
  readonly #undo: (() => void)[] = [];

  constructor() {
    this.resume();
  }

  /** Watches both streams' `write` (an own property while the daemon routes a request's output). */
  resume(): void {
    for (const stream of [process.stdout, process.stderr]) {
      const own = Object.getOwnPropertyDescriptor(stream, 'write');
      const write = stream.write;
      const watch = this;
      stream.write = function (this: unknown, ...a: unknown[]) {
        watch.wrote = true;
        return (write as (...x: unknown[]) => boolean).apply(this, a);
      } as typeof stream.write;
      this.#undo.push(() => (own ? Object.defineProperty(stream, 'write', own) : delete (stream as {write?: unknown}).write));
    }
  }

  /** Puts the streams back exactly as they were. */
  pause(): void {
    for (const undo of this.#undo.splice(0).reverse()) undo();
  }
}
