/** `bevbuild [build] <targets…>` (and `--dry-run`). */
import {availableParallelism} from 'node:os';
import {acquireWorkspaceLock} from '../engine/workspace-lock.ts';
import {describeOrphan, sweepRunDirs} from '../engine/run-dirs.ts';
import {build} from '../engine/build.ts';
import {closure} from '../graph/graph.ts';
import {createExecutors} from '../executors/registry.ts';
import type {Options} from '../cli-options.ts';
import {EXIT, makeReporter, openAndSelect, printDiagnostics} from './common.ts';
import {discoverGpus} from '../engine/resources.ts';
import {cannotRunHere} from '../engine/runnable-here.ts';
import {makeRemote} from './remote-setup.ts';
import {loadSigningKey} from '../provenance/keys.ts';
import {recordRun} from '../reporting/run-history.ts';
import {noopEligible, NoopRecorder} from '../engine/noop-stamp.ts';

/** Watch mode wants the output paths to ignore (every build reloads the config: nothing to ask for). */
export interface BuildHooks {
  onGraph?: (outputPaths: Set<string>) => void;
}

export async function buildCommand(opts: Options, signal: AbortSignal, hooks: BuildHooks = {}): Promise<number> {
  // A build that finds everything fresh leaves a no-op stamp for the next one (issue 12).
  const recorder = noopEligible(opts, hooks.onGraph !== undefined) ? new NoopRecorder(opts) : undefined;
  let code: number = EXIT.failed;
  try {
    return (code = await buildWith(opts, signal, hooks, recorder));
  } finally {
    recorder?.finish(code);
  }
}

async function buildWith(opts: Options, signal: AbortSignal, hooks: BuildHooks, recorder: NoopRecorder | undefined): Promise<number> {
  const first = makeReporter({...opts, json: true}, 0); // replaced once we know the node count
  const placeholder = recorder ? recorder.wrap(first) : first; // a warning while loading: no stamp
  const opened = await openAndSelect(opts, placeholder, false);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  hooks.onGraph?.(new Set(ws.graph.outputOwner.keys()));
  const total = closure(ws.graph, targets).length;
  ws.reporter = makeReporter(opts, total);
  if (recorder) {
    recorder.attach(ws, targets);
    ws.reporter = recorder.wrap(ws.reporter);
  }
  // Every real build leaves its events and summary in .bevbuild/history/ (`bevbuild ui` shows them).
  if (!opts.dryRun) ws.reporter = recordRun(ws.reporter, {bevbuildDir: ws.paths.dir, graph: ws.graph, targets, argv: process.argv.slice(2)});
  const lock = opts.dryRun
    ? undefined
    : await acquireWorkspaceLock(ws.paths.dir, (pid) => ws.reporter.log({type: 'warning', message: `another bevbuild (pid ${pid}) is building this workspace; waiting for it to finish`}), signal);
  if (lock && !lock.ok) {
    ws.reporter.close();
    process.stderr.write(`bevbuild: ${lock.error.message}\n`);
    return lock.error.reason === 'cancelled' ? EXIT.interrupted : EXIT.failed;
  }
  try {
    // Run dirs of killed builds go; a tool that outlived its bevbuild stops this one (issue 16 #4, #5).
    const orphans = opts.dryRun ? [] : sweepRunDirs(ws.paths.runs);
    for (const o of orphans) ws.reporter.log({type: 'failed', id: o.nodeId, reason: 'orphan-running', message: describeOrphan(o)});
    if (orphans.length) return EXIT.failed;
    const signing = loadSigningKey(ws.graph.root, ws.config.provenance);
    if (!signing.ok) {
      process.stderr.write(`bevbuild: ${signing.error.message}\n`);
      return EXIT.usage;
    }
    ws.signingKey = signing.value;
    ws.remote = await makeRemote(opts, ws);
    const todo = closure(ws.graph, targets).map((id) => ws.graph.nodes.get(id)!);
    // nvidia-smi can take hundreds of ms (no persistence daemon): asked only when a node wants a GPU.
    const gpus = ws.config.pools?.gpu ? {ids: ws.config.pools.gpu, source: 'pools.gpu of bevbuild.config.ts'}
      : todo.some((n) => n.resources.gpu > 0) ? discoverGpus() : {ids: [], source: 'no artifact of this build asks for one'};
    const gpuIds = gpus.ids;
    // Plan time: what cannot run here stops a build now, not after hours of other work.
    const blocked = cannotRunHere(todo, ws.graph.root, ws.state, gpus);
    if (blocked.length && !opts.dryRun) {
      printDiagnostics(blocked, process.cwd(), opts.json);
      return EXIT.usage;
    }
    for (const d of blocked) ws.reporter.log({type: 'warning', message: `${d.message} (a build would stop here with exit 2)`});
    const summary = await build(ws, {
      targets,
      jobs: opts.jobs ?? ws.config.pools?.cpu ?? availableParallelism(),
      gpuIds,
      keepGoing: opts.keepGoing,
      dryRun: opts.dryRun,
      passthroughEnv: ws.config.envPassthrough ?? [],
      executors: await createExecutors(),
      signal,
      force: opts.force ? new Set(targets) : undefined,
      stream: opts.stream,
    });
    if (summary.cancelled) return EXIT.interrupted;
    return summary.failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    ws.reporter.close();
    lock?.value.release();
  }
}
