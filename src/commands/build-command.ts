/** `bevbuild [build] <targets…>` (and `--dry-run`). */
import {availableParallelism} from 'node:os';
import {acquireWorkspaceLock} from '../engine/workspace-lock.ts';
import {build} from '../engine/build.ts';
import {closure} from '../graph/graph.ts';
import {runLocal} from '../executors/local.ts';
import type {Options} from '../cli-options.ts';
import {EXIT, makeReporter, openAndSelect} from './common.ts';
import {makeRemote} from './remote-setup.ts';
import {slurmExecutor} from './slurm-setup.ts';

import {loadSigningKey} from '../provenance/keys.ts';
/** Watch mode re-imports the config after an edit (`fresh`) and wants the output paths to ignore. */
export interface BuildHooks {
  fresh?: boolean;
  onGraph?: (outputPaths: Set<string>) => void;
}

export async function buildCommand(opts: Options, signal: AbortSignal, hooks: BuildHooks = {}): Promise<number> {
  const placeholder = makeReporter({...opts, json: true}, 0); // replaced once we know the node count
  const opened = await openAndSelect(opts, placeholder, false, hooks.fresh);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  hooks.onGraph?.(new Set(ws.graph.outputOwner.keys()));
  const total = closure(ws.graph, targets).length;
  ws.reporter = makeReporter(opts, total);
  const lock = opts.dryRun
    ? undefined
    : await acquireWorkspaceLock(ws.paths.dir, (pid) => ws.reporter.log({type: 'warning', message: `another bevbuild (pid ${pid}) is building this workspace; waiting for it to finish`}));
  try {
    ws.remote = await makeRemote(opts, ws);
    const gpuIds = ws.config.pools?.gpu ?? (process.env['CUDA_VISIBLE_DEVICES'] ? process.env['CUDA_VISIBLE_DEVICES'].split(',').filter(Boolean) : []);
    const signing = loadSigningKey(ws.graph.root, ws.config.provenance);
    if (!signing.ok) {
      process.stderr.write(`bevbuild: ${signing.error.message}\n`);
      return EXIT.usage;
    }
    ws.signingKey = signing.value;
    const summary = await build(ws, {
      targets,
      jobs: opts.jobs ?? ws.config.pools?.cpu ?? availableParallelism(),
      gpuIds,
      keepGoing: opts.keepGoing,
      dryRun: opts.dryRun,
      passthroughEnv: ws.config.envPassthrough ?? [],
      executors: {local: runLocal, slurm: await slurmExecutor()},
      signal,
    });
    if (summary.cancelled) return EXIT.interrupted;
    return summary.failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    ws.reporter.close();
    lock?.release();
  }
}
