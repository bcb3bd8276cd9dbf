/**
 * The no-op stamp (issue 12): a build that found every node fresh leaves a record of everything it
 * consulted, and the next identical invocation replays its answer — without evaluating the config,
 * analysing the graph or computing 1,000 action keys — when all of that is provably unchanged:
 *  - the same engine build, options, working directory and environment (all of it, but `_`);
 *  - every file and directory the config, the analysis and the build read outside the stat memo
 *    (config closure through config-cache.json, files a rule reads while declaring, directories a
 *    glob listed, the state's nodes.json, the runs dir) has the same lstat stamp
 *    (dev:ino:size:mtime:ctime:mode, symlinks followed too);
 *  - every path the build digested through the stat memo (source inputs, outputs) has the same
 *    digest, checked through the memo exactly as the build checks it (one lstat per file). A path
 *    the config looked at inside a digested input keeps its own stamp unless the digest answers
 *    what was asked (a file's content or existence; not a listing, a timestamp, an empty directory).
 * What was read, and how, comes from read-recorder.ts; the keys are taken before the config runs.
 * Any doubt falls back to the full build: no stamp, another format or engine, an observed file
 * modified within a second of the recording (racy), any event but
 * "fresh" (a warning, a run, a restore), a program or worker thread started while the config loads, a non-zero exit,
 * `--dry-run`, `--force`, watch mode, or `BEVBUILD_NOOP_STAMP=off`. Housekeeping under `.bevbuild/` (history, lock, temps, the store) is
 * not an input and is not observed.
 */
import fs from 'node:fs';
import {createHash} from 'node:crypto';
import {basename, dirname, join, sep} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {Options} from '../cli-options.ts';
import type {StatMemo} from '../../cache/stat-memo.ts';
import type {Graph} from '../graph/graph.ts';
import type {Reporter} from '../reporting/events.ts';
import {workspacePaths, type WorkspacePaths} from './workspace.ts';
import {CONFIG_FILE} from '../config/find-workspace.ts';
import {writeFileAtomicSync} from '../../cache/fs-util.ts';
import {FAST_FILE, invocationKey as fastKey, writeFastStamp} from '../../bin/noop-fast.js';
import {READ, ReadRecorder} from './read-recorder.ts';
import {pathStamp as stampOf, RACY_MS} from './path-stamp.ts';

const FORMAT = 1;
const FILE = 'noop-stamp.json';

interface Stamp {
  format: number;
  engine: string;
  key: string;
  /** Absolute path → lstat stamp (`missing` when absent). */
  observed: [string, string][];
  /** Absolute path → digest through the stat memo (`missing` when absent). */
  digests: [string, string][];
  /** Node ids reported fresh, in the order they were reported. */
  fresh: string[];
  /** The build's nodes in graph order and the targets (for the run history). */
  order: string[];
  targets: string[];
}

/** One recorder at a time (node:fs is patched process-wide): a nested build (ui) records nothing. */
let active = false;

/** Whether this invocation may use (or leave) a stamp. */
export function noopEligible(opts: Options, inWatch: boolean): boolean {
  const engine = process.env['BEVBUILD_ENGINE_ID'];
  return !active && opts.command === 'build' && !opts.dryRun && !opts.force && !inWatch && !!engine && engine !== 'dev' && process.env['BEVBUILD_NOOP_STAMP'] !== 'off';
}

/** What must be equal for a replay: options, cwd, environment. */
function invocationKey(opts: Options): string {
  const env = Object.entries(process.env).filter(([k]) => k !== '_').sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify({opts, cwd: process.cwd(), env})).digest('hex');
}

/**
 * Bookkeeping of bevbuild itself, which changes on every build without changing any answer: the
 * history, logs, lock, store and the state dir's other files. Not `envs/` (toolchains a rule may
 * list while declaring) nor the runs dir itself (a run dir appearing means a build, or an orphan).
 */
function housekeeping(abs: string, p: WorkspacePaths): boolean {
  const under = (dir: string) => abs === dir || abs.startsWith(dir + sep);
  if (abs === p.runs) return false;
  if (under(p.state)) return !(dirname(abs) === p.state && /^(?:nodes\.json|config-cache\.json|config-[0-9a-f]{16}\.mjs)$/.test(basename(abs)));
  if (abs === p.dir || (dirname(abs) === p.dir && basename(abs).startsWith('.lock-'))) return true;
  return [p.cache, p.logs, p.runs, join(p.dir, 'history'), join(p.dir, 'lock')].some(under);
}

/**
 * Records what a full build consults, from before the config is loaded until it ends. `attach`
 * after the workspace is open; `finish` with the exit code (always: it restores node:fs).
 */
export class NoopRecorder {
  readonly #opts: Options;
  readonly #started = Date.now();
  readonly #reads = new ReadRecorder();
  /** Taken before the config runs: a config may change the environment (or the directory) it was started with. */
  readonly #key: string;
  readonly #fast: {key: string; cwd: string};
  readonly #digests = new Map<string, string>();
  readonly #fresh: string[] = [];
  #pure = true;
  #ws: {paths: WorkspacePaths; graph: Graph; targets: string[]} | undefined;

  constructor(opts: Options) {
    this.#opts = opts;
    active = true;
    this.#key = invocationKey(opts);
    this.#fast = {key: fastKey(process.argv.slice(2)), cwd: process.cwd()};
  }

  /** The opened workspace: its memo's answers are recorded, its reporter's events checked. */
  attach(ws: {paths: WorkspacePaths; graph: Graph; memo: StatMemo}, targets: string[]): void {
    this.#ws = {paths: ws.paths, graph: ws.graph, targets};
    this.#reads.declaring = false;
    const memo = ws.memo;
    // The memo's walk needs no recording: every path it touches is, or lies under, a path whose
    // digest is recorded below. The step is synchronous, so no other code runs while quiet.
    memo.quietly = (step) => {
      this.#reads.quiet = true;
      try {
        return step();
      } finally {
        this.#reads.quiet = false;
      }
    };
    const digestPaths = memo.digestPaths.bind(memo);
    memo.digestPaths = async (abs, o) => {
      const out = await digestPaths(abs, o);
      for (const [p, d] of out) {
        const v = d.kind === 'missing' ? 'missing' : d.digest;
        const was = this.#digests.get(p);
        if (was !== undefined && was !== v) this.#pure = false; // it changed during the build
        this.#digests.set(p, v);
      }
      return out;
    };
  }

  /** Passes events on; anything but a node found fresh and the summary makes the build impure. */
  wrap(to: Reporter): Reporter {
    return {
      log: (e) => {
        if (e.type === 'done' && e.status === 'fresh') this.#fresh.push(e.id);
        else if (e.type !== 'summary' || e.executed || e.restored || e.failed) this.#pure = false;
        to.log(e);
      },
      close: () => to.close(),
    };
  }

  /**
   * Whether a recorded digest already answers what was asked of `p` (READ bits), so that `p` needs
   * no stamp of its own. A path's own digest covers its content and whether it exists; a
   * directory's manifest covers the regular files below it, their content and existence, but
   * nothing else: not an empty subdirectory, not a timestamp, not a listing.
   */
  #coveredByDigest(p: string, kinds: number): boolean {
    if (kinds & READ.meta) return false;
    if (this.#digests.has(p)) return true;
    for (let d = dirname(p); ; d = dirname(d)) {
      const dir = this.#digests.get(d);
      if (dir !== undefined && dir !== 'missing') {
        return !(kinds & READ.exists) || fs.statSync(p, {throwIfNoEntry: false})?.isFile() === true;
      }
      if (dirname(d) === d) return false;
    }
  }

  /** Restores node:fs and, after a pure no-op, writes the stamp. Never throws (a stamp is an optimization). */
  finish(exitCode: number): void {
    this.#reads.restore();
    active = false;
    const ws = this.#ws;
    if (!ws) return;
    const file = join(ws.paths.state, FILE);
    try {
      fs.rmSync(join(ws.paths.state, FAST_FILE), {force: true});
      fs.rmSync(file, {force: true});
      if (exitCode !== 0 || !this.#pure || this.#reads.impure || this.#fresh.length === 0) return;
      const observed: [string, string][] = [];
      const seen = this.#reads.seen;
      for (const p of new Set([...seen.keys(), join(ws.paths.state, 'nodes.json'), ...externalImports(seen, ws.paths.state)])) {
        if (housekeeping(p, ws.paths) || this.#coveredByDigest(p, seen.get(p) ?? READ.content)) continue;
        const {stamp, newestMs} = stampOf(p);
        if (newestMs > this.#started - RACY_MS) return; // written during (or just before) this build
        observed.push([p, stamp]);
      }
      const ids = new Set(this.#fresh);
      const stamp: Stamp = {
        format: FORMAT,
        engine: process.env['BEVBUILD_ENGINE_ID']!,
        key: this.#key,
        observed,
        digests: [...this.#digests],
        fresh: this.#fresh,
        order: ws.graph.order.filter((id) => ids.has(id)),
        targets: ws.targets,
      };
      writeFileAtomicSync(file, JSON.stringify(stamp));
      writeFast(this.#opts, ws.paths, stamp, this.#started, this.#fast);
    } catch {
      // no stamp (a full disk…): the next identical build runs the full check
    }
  }
}

/**
 * The bin's fast stamp (bin/noop-fast.js) beside the stamp: the same answer, proven by stat tuples
 * alone. Only when the workspace was found from the working directory (not `-C elsewhere`): the
 * bin looks for it there, and the stamp then covers every config file the search looked for.
 */
function writeFast(opts: Options, paths: WorkspacePaths, stamp: Stamp, startedMs: number, at: {key: string; cwd: string}): void {
  const root = opts.root;
  const chain: string[] = [];
  for (let d = at.cwd; ; d = dirname(d)) {
    chain.push(join(d, CONFIG_FILE));
    if (d === root) break;
    if (dirname(d) === d) return; // the workspace is not at or above the working directory
  }
  const zod = process.env['BEVBUILD_ZOD'];
  if (!zod) return;
  const files: string[] = [];
  const dirs: string[] = [];
  for (const [p, d] of stamp.digests) (d !== 'missing' && fs.statSync(p, {throwIfNoEntry: false})?.isDirectory() ? dirs : files).push(p);
  writeFastStamp(join(paths.state, FAST_FILE), {
    key: at.key,
    bundle: dirname(zod),
    engineRoot: fileURLToPath(new URL('../..', import.meta.url)),
    observed: [...chain, ...stamp.observed.map(([p]) => p)],
    files,
    dirs,
    root,
    opts: {json: opts.json, verbose: opts.verbose},
    fresh: stamp.fresh,
    order: stamp.order,
    targets: stamp.targets,
  }, startedMs);
}

/**
 * The npm files the compiled config imports (absolute paths, see compile-config.ts): a package
 * reinstalled in place changes what the config evaluates to without touching its closure.
 */
function externalImports(seen: ReadonlyMap<string, number>, stateDir: string): string[] {
  const out: string[] = [];
  for (const p of seen.keys()) {
    if (dirname(p) !== stateDir || !/^config-[0-9a-f]{16}\.mjs$/.test(basename(p))) continue;
    // A build that recompiled the config also looked at (and deleted) the previous engine's: the
    // stamp records that one as missing, and it imports nothing.
    if (!fs.existsSync(p)) continue;
    const code = fs.readFileSync(p, 'utf8');
    for (const m of code.matchAll(/\b(?:from|import)\s*\(?\s*"(\/[^"]+)"/g)) out.push(m[1]!);
  }
  return out;
}

/**
 * The fast path: when the stamp of the last no-op still holds, reports the same nodes fresh (and
 * records the run in the history) and returns exit code 0; otherwise undefined (build normally).
 */
export async function replayNoop(opts: Options): Promise<number | undefined> {
  if (!noopEligible(opts, false)) return undefined;
  const paths = workspacePaths(opts.root);
  let stamp: Stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(join(paths.state, FILE), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
  if (stamp?.format !== FORMAT || stamp.engine !== process.env['BEVBUILD_ENGINE_ID'] || stamp.key !== invocationKey(opts)) return undefined;
  if (![stamp.observed, stamp.digests, stamp.fresh, stamp.order, stamp.targets].every(Array.isArray)) return undefined;
  const {StatMemo} = await import('../../cache/stat-memo.ts');
  const {replayAnswer} = await import('./noop-fast-replay.ts');
  const started = Date.now();
  return replayAnswer(opts, paths, stamp, async () => {
    if (!stamp.observed.every(([p, s]) => stampOf(p).stamp === s)) return false;
    const memo = await StatMemo.open(paths.state);
    const now = await memo.digestPaths(stamp.digests.map(([p]) => p));
    await memo.save().catch(() => undefined);
    const holds = stamp.digests.every(([p, d]) => {
      const n = now.get(p);
      return (n?.kind === 'missing' ? 'missing' : n?.digest) === d;
    });
    // Something changed: the build that follows digests these same paths first thing (its prefetch).
    if (!holds) memo.handOff(now);
    // Files touched but not changed: the next run can take the bin's fast path again.
    if (holds) {
      try {
        writeFast(opts, paths, stamp, started, {key: fastKey(process.argv.slice(2)), cwd: process.cwd()});
      } catch {
        // an optimization: the next run checks digests again
      }
    }
    return holds;
  }, 'digests');
}
