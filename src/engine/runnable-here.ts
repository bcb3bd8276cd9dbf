/**
 * Can the selected nodes run on this machine? Checked before a build starts (plan time), so a GPU
 * tool on a machine without a GPU, or an artifact whose settings are missing, stops the build with
 * one message instead of failing hours later after everything before it ran. Nodes already built
 * (their last good outputs are all in place) are left out: they will most likely be fresh, and if
 * not, the run-time check still refuses them.
 */
import {existsSync} from 'node:fs';
import {resolve} from 'node:path';
import type {Diagnostic} from '../diagnostics.ts';
import {EXECUTORS, offMachineExecutors} from '../executors/registry.ts';
import type {GraphNode} from '../graph/graph.ts';
import type {NodeState} from './node-state.ts';
import type {DiscoveredGpus} from './resources.ts';

export function cannotRunHere(nodes: GraphNode[], root: string, state: NodeState, gpus: DiscoveredGpus): Diagnostic[] {
  const built = (n: GraphNode) => state.get(n.id) !== undefined && n.outputs.every((o) => existsSync(resolve(root, o)));
  const todo = nodes.filter((n) => !built(n));
  const diags: Diagnostic[] = [];
  const short = todo.filter((n) => EXECUTORS[n.executor].onThisMachine && n.resources.gpu > gpus.ids.length);
  if (short.length) {
    const most = Math.max(...short.map((n) => n.resources.gpu));
    diags.push({
      code: 'no-gpu',
      site: short[0]!.site,
      message: `${short.length} artifact${short.length === 1 ? '' : 's'} to build need${short.length === 1 ? 's' : ''} a CUDA GPU (up to ${most}) but the gpu pool has ${gpus.ids.length} (${gpus.source}): ${short.map((n) => n.id).join(', ')}`,
      notes: [
        `build them on a GPU host (see the workspace README), or run them with executor ${offMachineExecutors().map((e) => `"${e}"`).join(' or ')}`,
        'pools.gpu in bevbuild.config.ts (or CUDA_VISIBLE_DEVICES) lists the device ids bevbuild may hand out',
        'a toolchain that is CPU-only (such as the demo) declares its rules with gpus: 0',
      ],
    });
  }
  const reasons = new Map<string, string[]>();
  for (const n of todo) {
    const why = n.rule.unavailable?.(n.params);
    if (why) reasons.set(why, [...(reasons.get(why) ?? []), n.id]);
  }
  for (const [why, ids] of reasons) {
    const first = nodes.find((n) => n.id === ids[0])!;
    diags.push({code: 'unavailable', site: first.site, message: `${why} (needed by ${ids.join(', ')})`});
  }
  return diags;
}
