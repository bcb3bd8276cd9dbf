/**
 * The build history under `.bevbuild/history/`: every (non-dry) build appends its events as NDJSON
 * to `<runId>.events.ndjson` while it runs, and writes `<runId>.summary.json` when it ends — what
 * ran, was restored, failed, how long, and the critical path. `bevbuild ui` tails the events for
 * live colours and lists the summaries as past runs.
 *
 * Cheap on the hot path: synchronous appends on a descriptor opened once, `fresh`/`plan` events batched
 * (`output` lines of `--stream` are not kept). Crash-safe: a reader skips a torn last line, and a
 * run without a summary is one that was killed (or is still running: its first line names the pid).
 * Bounded: at most `HISTORY_LIMIT` runs are kept; each new run drops the oldest.
 */
import {closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync} from 'node:fs';
import {join, relative} from 'node:path';
import type {Graph} from '../graph/graph.ts';
import {eventJson, type BuildEvent, type Reporter} from './events.ts';
import type {BuildSummary} from '../engine/build.ts';
import {reasonText} from '../engine/rebuild-reason.ts';
import {skipText} from '../engine/skip-reason.ts';

/** How many runs the history keeps. */
export const HISTORY_LIMIT = 50;
/** How many bytes of events one run may append (a runaway build cannot fill the disk). */
const EVENTS_LIMIT_BYTES = 8 * 1024 * 1024;

/** The first line of every events file. */
export interface RunStart {
  type: 'run-start';
  runId: string;
  pid: number;
  startedAt: string;
  argv: string[];
  targets: string[];
}

/** What happened to one node in a run. */
export interface RunNodeSummary {
  id: string;
  status: 'executed' | 'restored' | 'fresh' | 'failed' | 'skipped';
  durationMs: number;
  reasons?: string[] | undefined;
  /** Workspace-relative log file of a run (executed or failed). */
  logFile?: string | undefined;
  message?: string | undefined;
}

/** `<runId>.summary.json`. */
export interface RunSummary
  extends Pick<BuildSummary, 'executed' | 'restored' | 'fresh' | 'failed' | 'skipped' | 'durationMs'> {
  format: 1;
  runId: string;
  startedAt: string;
  finishedAt: string;
  argv: string[];
  targets: string[];
  /** The chain of dependent nodes whose durations add up to the most: what bounded this run. */
  criticalPath: {ids: string[]; durationMs: number};
  nodes: RunNodeSummary[];
}

export const historyDir = (bevbuildDir: string): string => join(bevbuildDir, 'history');

let runSeq = 0;
/** A run id that sorts by start time (names in the history dir sort like the runs); unique per process. */
function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:.]/g, '').replace('T', '-').replace('Z', '')}-${process.pid}-${String(runSeq++).padStart(4, '0')}`;
}

/**
 * Wraps `to`: every event goes on to it and into the history. Failing to write the history never
 * fails the build (the history is a view, not state): it stops recording after the first error.
 */
export function recordRun(to: Reporter, opts: {bevbuildDir: string; graph: Graph; targets: string[]; argv: string[]}): Reporter {
  const dir = historyDir(opts.bevbuildDir);
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  let fd: number | undefined;
  let written = 0;
  try {
    mkdirSync(dir, {recursive: true});
    pruneHistory(dir, HISTORY_LIMIT - 1);
    fd = openSync(join(dir, `${runId}.events.ndjson`), 'a');
  } catch {
    fd = undefined;
  }
  // Events that change nothing a live viewer waits for (a node found fresh, a plan line) are
  // batched: a no-op over 1,000 nodes is then a few writes, not 1,000 syscalls (issue 12).
  let pending = '';
  const flush = () => {
    if (fd === undefined || !pending) return;
    try {
      written += writeSync(fd, pending);
    } catch {
      closeQuietly(fd);
      fd = undefined;
    }
    pending = '';
  };
  const append = (value: BuildEvent | RunStart) => {
    if (fd === undefined || written + pending.length > EVENTS_LIMIT_BYTES) return;
    pending += `${JSON.stringify(value.type === 'run-start' ? value : eventJson(value))}\n`; // the --json form (reasons as words)
    const batched = (value.type === 'done' && value.status === 'fresh') || value.type === 'plan';
    if (!batched || pending.length >= 64 * 1024) flush();
  };
  const start: RunStart = {type: 'run-start', runId, pid: process.pid, startedAt, argv: opts.argv, targets: opts.targets};
  append(start);
  const nodes = new Map<string, RunNodeSummary>();
  const startedMs = new Map<string, number>();
  const rel = (p: string | undefined) => (p ? relative(opts.graph.root, p) : undefined);
  const note = (e: BuildEvent) => {
    switch (e.type) {
      case 'start':
        startedMs.set(e.id, Date.now());
        nodes.set(e.id, {id: e.id, status: 'executed', durationMs: 0, reasons: e.reasons.map(reasonText), logFile: rel(e.logFile)});
        break;
      case 'done': {
        const prev = nodes.get(e.id);
        nodes.set(e.id, {...prev, id: e.id, status: e.status, durationMs: e.durationMs});
        break;
      }
      case 'failed':
        nodes.set(e.id, {...nodes.get(e.id), id: e.id, status: 'failed', durationMs: startedMs.has(e.id) ? Date.now() - startedMs.get(e.id)! : 0, message: e.message, logFile: rel(e.logFile) ?? nodes.get(e.id)?.logFile});
        break;
      case 'skipped':
        nodes.set(e.id, {id: e.id, status: 'skipped', durationMs: 0, message: skipText(e.because)});
        break;
      default:
        break;
    }
  };
  return {
    log(e) {
      to.log(e);
      if (e.type === 'output') return;
      note(e);
      append(e.type === 'start' || e.type === 'failed' ? {...e, logFile: rel(e.logFile)} : e);
      if (e.type === 'summary' && !e.dryRun) {
        const list = [...nodes.values()];
        const summary: RunSummary = {
          format: 1,
          runId,
          startedAt,
          finishedAt: new Date().toISOString(),
          argv: opts.argv,
          targets: opts.targets,
          executed: e.executed,
          restored: e.restored,
          fresh: e.fresh,
          failed: e.failed,
          skipped: list.filter((n) => n.status === 'skipped').length,
          durationMs: e.durationMs,
          criticalPath: criticalPath(opts.graph, nodes),
          // Fresh nodes are only counted: a no-op build of thousands of nodes stays a small file.
          nodes: list.filter((n) => n.status !== 'fresh'),
        };
        try {
          // Written in place, no temp file: a torn summary reads as "no summary" (readRunSummary),
          // and a kill at any point leaves nothing stray beside it.
          writeFileSync(join(dir, `${runId}.summary.json`), JSON.stringify(summary));
        } catch {
          // best effort (a full disk): the events file still tells what happened
        }
      }
    },
    close() {
      to.close();
      flush();
      if (fd !== undefined) closeQuietly(fd);
      fd = undefined;
    },
  };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * The longest chain of dependencies by summed duration among the nodes of the run (nodes that
 * did not run count 0): the part of the build no amount of parallelism would have shortened.
 */
export function criticalPath(graph: Graph, nodes: ReadonlyMap<string, RunNodeSummary>): {ids: string[]; durationMs: number} {
  const best = new Map<string, {ms: number; prev: string | undefined}>();
  for (const id of graph.order) {
    if (!nodes.has(id)) continue;
    let prev: string | undefined;
    let ms = 0;
    for (const d of graph.nodes.get(id)!.deps) {
      const b = best.get(d);
      if (b && b.ms > ms) {
        ms = b.ms;
        prev = d;
      }
    }
    best.set(id, {ms: ms + (nodes.get(id)!.durationMs || 0), prev});
  }
  let end: string | undefined;
  let endMs = -1;
  for (const [id, b] of best) {
    if (b.ms > endMs) {
      end = id;
      endMs = b.ms;
    }
  }
  const ids: string[] = [];
  for (let id = end; id; id = best.get(id)!.prev) ids.push(id);
  return {ids: ids.reverse(), durationMs: end ? best.get(end)!.ms : 0};
}

/** Run ids in the history, oldest first. */
export function listRunIds(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const ids = new Set<string>();
  for (const n of names) {
    const m = /^(.+)\.(events\.ndjson|summary\.json)$/.exec(n);
    if (m) ids.add(m[1]!);
  }
  return [...ids].sort();
}

/** Keeps the newest `keep` runs. */
function pruneHistory(dir: string, keep: number): void {
  const ids = listRunIds(dir);
  for (const id of ids.slice(0, Math.max(0, ids.length - keep))) {
    rmSync(join(dir, `${id}.events.ndjson`), {force: true});
    rmSync(join(dir, `${id}.summary.json`), {force: true});
  }
}

/** A run's summary, or undefined when it has none (killed, still running) or it is unreadable. */
export function readRunSummary(dir: string, runId: string): RunSummary | undefined {
  if (!/^[\w.-]+$/.test(runId)) return undefined;
  try {
    const v = JSON.parse(readFileSync(join(dir, `${runId}.summary.json`), 'utf8')) as RunSummary;
    return v?.format === 1 && Array.isArray(v.nodes) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Complete lines of NDJSON text parsed (a torn or corrupt line is skipped). */
export function parseEventLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by a crash
    }
  }
  return out;
}
