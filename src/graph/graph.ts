/**
 * The analysed artifact graph: every declaration validated and resolved into a `GraphNode` with
 * normalised paths and dependency edges. Built once per command by `analyze()`.
 */
import type {z} from 'zod';
import type {CallSite} from '../config/call-site.ts';
import type {Resources, RuleSpec} from '../config/define-rule.ts';
import type {SlurmResources} from '../executors/job.ts';
import type {ExecutorName} from '../executors/registry.ts';

export type ResolvedInput =
  | {kind: 'path'; path: string /* workspace-relative posix, or absolute outside the workspace */}
  | {kind: 'glob'; glob: string}
  | {kind: 'artifact'; id: string};

export interface GraphNode {
  id: string;
  rule: RuleSpec<z.ZodType>;
  params: unknown;
  site: CallSite | undefined;
  outputs: string[];
  inputs: ResolvedInput[];
  toolchain: string | undefined;
  /** Ids of the nodes this one depends on (producers of its inputs, its toolchain), sorted. */
  deps: string[];
  cwd: string;
  resources: Required<Resources>;
  executor: ExecutorName;
  slurm: SlurmResources | undefined;
  timeoutMs: number | undefined;
  exclusive: string | undefined;
  cache: boolean;
  stage: boolean;
  /** How stored outputs are placed: `link` (reflink, else hardlink to the read-only object) or `copy`. */
  materialize: 'link' | 'copy';
}

export interface Graph {
  root: string;
  configFile: string;
  nodes: Map<string, GraphNode>;
  /** Every node id in a deterministic topological order (dependencies first). */
  order: string[];
  /** Workspace-relative output path → producing node id. */
  outputOwner: Map<string, string>;
  /** Reverse edges. */
  dependents: Map<string, string[]>;
}

/** All nodes needed for `targets`, dependencies first. */
export function closure(graph: Graph, targets: string[]): string[] {
  const need = new Set<string>();
  const visit = (id: string) => {
    if (need.has(id)) return;
    need.add(id);
    for (const d of graph.nodes.get(id)!.deps) visit(d);
  };
  targets.forEach(visit);
  return graph.order.filter((id) => need.has(id));
}
