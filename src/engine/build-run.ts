/**
 * The state of one build, shared by its steps (`visit-node.ts` decides, `carry-out.ts` restores or
 * adopts, `execute-node.ts` runs a tool): what each node came to, the action keys computed so far,
 * the counts and failures of the summary, and whether the build is stopping.
 * It holds bookkeeping only; the steps themselves live in their own modules.
 */
import {resolve} from 'node:path';
import type {OutputEntry} from '../../cache/local-store.ts';
import type {ExecutorSet} from '../executors/registry.ts';
import type {GraphNode} from '../graph/graph.ts';
import type {Reporter} from '../reporting/events.ts';
import type {Failure} from '../result.ts';
import type {KeyRecord} from './action-key.ts';
import type {EngineContext} from './engine-context.ts';
import {ResourcePools} from './resources.ts';
import type {SkipReason} from './skip-reason.ts';

/** What to build and how (the CLI's flags, after config and environment defaults). */
export interface BuildOptions {
  targets: string[];
  jobs: number;
  gpuIds: string[];
  keepGoing: boolean;
  dryRun: boolean;
  passthroughEnv: string[];
  executors: ExecutorSet;
  signal: AbortSignal;
  /** `-B/--force`: these nodes run even when fresh or cached (their dependencies do not). */
  force?: ReadonlySet<string> | undefined;
  /** `--stream`/`-v`: report each line a running tool writes (`output` events). */
  stream?: boolean;
}

/** What became of a node in this build; `visit` hands it to the nodes that depend on it. */
export type Outcome =
  | {status: 'fresh' | 'restored' | 'executed'; outputs: OutputEntry[]}
  | {status: 'planned'; outputs: OutputEntry[] | undefined}
  /** A toolchain not yet needed: built only when a dependent has to run (see `needToolchain`). */
  | {status: 'deferred'; run: () => Promise<Outcome>; plan: () => void}
  | {status: 'failed' | 'skipped'};

/** A node with its action key, as decided: what restoring or running it records under. */
export interface Keyed {
  node: GraphNode;
  key: string;
  keyRecord: KeyRecord;
}

/**
 * A remote-restored intermediate fetched on demand: `ok` false when it could neither be downloaded
 * nor rebuilt; `changed` when the local rebuild produced other bytes than the remote record named.
 */
export interface Fetched {
  ok: boolean;
  changed: boolean;
}

/** One build's shared state and the small bookkeeping every step does the same way. */
export class BuildRun {
  readonly pools: ResourcePools;
  readonly targets: ReadonlySet<string>;
  /** Every node's promise, so each is handled once however many dependents wait for it. */
  readonly outcomes = new Map<string, Promise<Outcome>>();
  readonly settled = new Map<string, Outcome>();
  readonly keys = new Map<string, string>();
  readonly failures: Failure[] = [];
  readonly counts = {executed: 0, restored: 0, fresh: 0, failed: 0, skipped: 0};
  /** Set by the first failure without `--keep-going`: nodes not yet started are skipped. */
  stopping = false;
  /** Remote-restored intermediates not yet on disk (`--remote-download minimal`), by id. */
  readonly pendingFetch = new Map<string, () => Promise<Fetched>>();
  readonly fetches = new Map<string, Promise<Fetched>>();
  /** Deferred toolchains being built because a dependent is about to run. */
  readonly toolchainRuns = new Map<string, Promise<Outcome>>();

  constructor(
    readonly ctx: EngineContext,
    readonly opts: BuildOptions,
    readonly reporter: Reporter,
  ) {
    this.pools = new ResourcePools(opts.jobs, opts.gpuIds);
    this.targets = new Set(opts.targets);
  }

  /** The outputs a settled dependency has (or will have, for a planned restore); the input-digest lookup. */
  readonly outputsOf = (id: string): OutputEntry[] | undefined => {
    const o = this.settled.get(id);
    return o && 'outputs' in o ? o.outputs : undefined;
  };

  readonly keyOf = (id: string): string | undefined => this.keys.get(id);

  /** Settles a node and counts it for the summary. */
  finish(id: string, o: Outcome): Outcome {
    this.settled.set(id, o);
    if (o.status !== 'planned' && o.status !== 'deferred') this.counts[o.status]++;
    return o;
  }

  /** Reports a node's failure; without `--keep-going` the build stops starting new work. */
  fail(id: string, f: Failure): Outcome {
    this.failures.push(f);
    this.reporter.log({type: 'failed', id, reason: f.reason, message: f.message, ...(f.details ? {details: f.details} : {}), ...(f.logFile ? {logFile: f.logFile} : {}), ...(f.argv ? {argv: f.argv} : {}), ...(f.cause ? {cause: f.cause} : {})});
    if (!this.opts.keepGoing) this.stopping = true;
    return this.finish(id, {status: 'failed'});
  }

  skip(id: string, because: SkipReason): Outcome {
    this.reporter.log({type: 'skipped', id, because});
    return this.finish(id, {status: 'skipped'});
  }

  /** Skips the node when the build was cancelled or stopped after a failure; undefined to go on. */
  skipIfStopping(id: string): Outcome | undefined {
    if (this.opts.signal.aborted) return this.skip(id, {kind: 'cancelled'});
    if (this.stopping) return this.skip(id, {kind: 'stopped'});
    return undefined;
  }

  /** Remembers a node's good build in the workspace state (what the next build's freshness check reads). */
  record({node, key, keyRecord}: Keyed, outputs: OutputEntry[]): void {
    this.ctx.state.set(node.id, {key, keyRecord, outputs, builtAt: new Date().toISOString()});
  }

  /** A restore or run rewrites the node's outputs: the prefetched digests no longer hold. */
  forget(node: GraphNode): void {
    for (const o of node.outputs) this.ctx.prefetched?.delete(resolve(this.ctx.graph.root, o));
  }
}
