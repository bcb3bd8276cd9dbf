/**
 * `audit --rebuild` (issue 11 item 5, Nix's `--check`): runs the chosen nodes of a closure again in
 * a scratch workspace, ignoring every cache, and returns what they produced there for comparison
 * with the workspace's records. Nodes that are not chosen get their recorded outputs from the
 * workspace's store (so `--nodes 'int8/**'` re-runs quantization on the recorded ONNX); toolchains
 * are linked (see scratch-workspace.ts). Nodes run one at a time, dependencies first.
 */
import {randomBytes} from 'node:crypto';
import {mkdirSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {LocalStore} from '../../cache/local-store.ts';
import {StatMemo} from '../../cache/stat-memo.ts';
import type {OutputEntry} from '../../cache/store-types.ts';
import {loadConfig} from '../config/load-config.ts';
import type {Diagnostic} from '../diagnostics.ts';
import {actionKey, type KeyRecord} from '../engine/action-key.ts';
import type {EngineContext} from '../engine/engine-context.ts';
import {keyRecordOf} from '../engine/input-digests.ts';
import {NodeState} from '../engine/node-state.ts';
import {runNode} from '../engine/run-node.ts';
import {analyze} from '../graph/analyze.ts';
import type {ExecutorSet} from '../executors/registry.ts';
import type {GraphNode} from '../graph/graph.ts';
import {fail, ok, type Failure, type Result} from '../result.ts';
import {mirrorWorkspace} from './scratch-workspace.ts';

export interface RebuiltNode {
  id: string;
  /** `rerun`: ran again in the scratch workspace; `recorded`: its recorded outputs were used there. */
  how: 'rerun' | 'recorded';
  recorded: OutputEntry[];
  /** What the rerun produced (for `rerun` nodes that succeeded). */
  rebuilt: OutputEntry[] | undefined;
  /** What the rerun consumed (for `rerun` nodes): compared with the recorded build's key record. */
  keyRecord: KeyRecord | undefined;
  failure: Failure | undefined;
}

/** How reruns execute: the build's GPU ids, passed-through variables and executors. */
export interface RerunSettings {
  gpuIds: string[];
  passthroughEnv: string[];
  executors: ExecutorSet;
}

export interface RebuildRun {
  scratch: EngineContext;
  nodes: RebuiltNode[];
}

/**
 * Re-runs `chosen` (a subset of `ids`, which is a closure in dependency order) in a scratch
 * workspace under `scratchDir`. Every node of `ids` must have a good build in `ws` (checked by the caller).
 */
export async function rebuildInScratch(
  ws: EngineContext,
  ids: string[],
  chosen: Set<string>,
  scratchDir: string,
  signal: AbortSignal,
  settings: RerunSettings,
  onNode: (id: string, how: 'rerun' | 'recorded') => void,
): Promise<Result<RebuildRun, Failure | Diagnostic[]>> {
  const root = join(scratchDir, 'ws');
  mirrorWorkspace(ws.graph, root);
  const loaded = await loadConfig(root);
  if (!loaded.ok) return loaded;
  const graph = analyze(root, loaded.value.file, loaded.value.spec);
  if (!graph.ok) return graph;
  const dir = join(root, '.bevbuild');
  const paths = {root, dir, cache: join(dir, 'cache'), state: join(dir, 'state'), logs: join(dir, 'logs'), runs: join(dir, 'runs'), envs: join(dir, 'envs')};
  mkdirSync(paths.state, {recursive: true});
  const memo = await StatMemo.open(paths.state);
  const scratch: EngineContext = {graph: graph.value, paths, store: new LocalStore(paths.cache, memo), memo, state: NodeState.load(paths.state), reporter: ws.reporter};
  const outputs = new Map<string, OutputEntry[]>();
  const nodes: RebuiltNode[] = [];
  for (const id of ids) {
    const node = scratch.graph.nodes.get(id);
    const recorded = ws.state.get(id)!.outputs;
    if (!node) return fail('audit-graph-differs', `${id} is not declared when the configuration is loaded in the scratch workspace`);
    if (signal.aborted) return fail('cancelled', 'cancelled');
    if (!chosen.has(id) || !node.cache) {
      onNode(id, 'recorded');
      // Toolchains live in the linked .bevbuild/envs; everything else comes from the workspace's store.
      if (node.cache) {
        for (const o of recorded) {
          const m = await ws.store.materialize(o, resolve(root, o.path));
          if (!m.ok) return fail('audit-restore', `${id}: the recorded output ${o.path} is not usable from the store (${m.error.message}); run \`bevbuild audit ${id}\``);
        }
      }
      outputs.set(id, recorded);
      nodes.push({id, how: 'recorded', recorded, rebuilt: undefined, keyRecord: undefined, failure: undefined});
      continue;
    }
    onNode(id, 'rerun');
    const keyRecord = await keyRecordOf(scratch, node, (d) => outputs.get(d), () => undefined);
    const res = await rerun(scratch, node, keyRecord, outputs, signal, settings);
    if (!res.ok) {
      nodes.push({id, how: 'rerun', recorded, rebuilt: undefined, keyRecord, failure: res.error});
      return ok({scratch, nodes}); // what depends on it cannot run: the report ends here
    }
    outputs.set(id, res.value);
    nodes.push({id, how: 'rerun', recorded, rebuilt: res.value, keyRecord, failure: undefined});
  }
  return ok({scratch, nodes});
}

async function rerun(scratch: EngineContext, node: GraphNode, keyRecord: KeyRecord, outputs: Map<string, OutputEntry[]>, signal: AbortSignal, settings: RerunSettings): Promise<Result<OutputEntry[], Failure>> {
  // One node at a time: a node needing N GPUs gets the first N of the build's GPU pool.
  if (node.resources.gpu > settings.gpuIds.length) return fail('no-gpu', `needs ${node.resources.gpu} GPU(s) but the gpu pool has ${settings.gpuIds.length}`, {nodeId: node.id});
  const outputsOf = (id: string) => outputs.get(id);
  const runId = `audit-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const res = await runNode(scratch, {node, key: actionKey(keyRecord), keyRecord, runId, gpus: settings.gpuIds.slice(0, node.resources.gpu), signal, outputsOf, passthroughEnv: settings.passthroughEnv, executors: settings.executors});
  return res.ok ? ok(res.value.outputs) : res;
}
