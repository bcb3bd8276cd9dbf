/**
 * Key-neutral SLURM settings in the config (`defineConfig({slurm: {defaults, nodes}})`): partition,
 * account, time limit, CPUs, memory, the resume warning — what a site or a run needs changed without
 * changing a node's params, which are part of its action key (raising a time limit must not retrain
 * from scratch). Resolved once at analysis into each node's `slurm` options, which no key includes.
 *
 * Precedence, lowest first: `defaults` < the rule's own `slurm(p)` (and its `resume.signalSeconds`)
 * < every `nodes` entry whose glob matches the node id, in the order written (a later one wins).
 * Fields merge one by one; `extraArgs` are concatenated in that order (sbatch takes the last of a
 * repeated flag).
 */
import {z} from 'zod';
import type {Diagnostic} from '../diagnostics.ts';
import type {GraphNode} from '../graph/graph.ts';
import {globToRegExp} from '../graph/glob.ts';
import type {CallSite} from '../config/call-site.ts';
import type {SlurmResources} from './job.ts';
import {SLURM_OPTIONS} from './registry.ts';

/** `defineConfig({slurm})`: settings for every SLURM node, and per node-id glob (as CLI targets: `train/**`). */
export interface SlurmConfig {
  /** Fill in what a rule's `slurm(p)` leaves unset. */
  defaults?: SlurmResources;
  /** Node-id glob → settings that override the rule's; later entries override earlier ones. */
  nodes?: Record<string, SlurmResources>;
}

const schema = z.object({defaults: SLURM_OPTIONS.optional(), nodes: z.record(z.string().min(1), SLURM_OPTIONS).optional()}).strict();

const FIELDS = Object.keys(SLURM_OPTIONS.shape).join(', ');

/** Merges option layers, lowest first (`extraArgs` concatenated). */
function merge(layers: (SlurmResources | undefined)[]): SlurmResources {
  const out: SlurmResources = {};
  for (const l of layers) {
    if (!l) continue;
    const {extraArgs, ...rest} = l;
    Object.assign(out, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    if (extraArgs?.length) out.extraArgs = [...(out.extraArgs ?? []), ...extraArgs];
  }
  return out;
}

/**
 * Checks the config's `slurm` and resolves it into every node's `slurm` options (see the module
 * doc for the precedence). Problems go to `diags` (exit 2); a `nodes` glob that matches no node is
 * one (its settings would silently apply to nothing).
 */
export function applySlurmConfig(given: unknown, nodes: Map<string, GraphNode>, site: CallSite | undefined, diags: Diagnostic[]): void {
  if (given === undefined) return;
  const complete = diags.length === 0; // nodes with bad params are missing: a glob may match only them
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = ['slurm', ...issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k))];
      const hint = issue.code === 'unrecognized_keys' ? ` (known: defaults, nodes; settings: ${FIELDS})` : '';
      diags.push({code: 'invalid-config', site, path, message: `${issue.message}${hint}`});
    }
    return;
  }
  const {defaults, nodes: byGlob = {}} = parsed.data;
  const globs = Object.entries(byGlob).map(([glob, settings]) => ({glob, re: globToRegExp(glob), settings, used: false}));
  for (const node of nodes.values()) {
    let signalSeconds: number | undefined;
    try {
      signalSeconds = node.rule.resume?.(node.params)?.signalSeconds;
    } catch {
      // resume() is reported where it runs (run-node); the signal falls back to the default
    }
    const mine = globs.filter((g) => g.glob === node.id || g.re.test(node.id));
    for (const g of mine) g.used = true;
    const merged = merge([defaults, node.slurm, signalSeconds === undefined ? undefined : {signalSeconds}, ...mine.map((g) => g.settings)]);
    node.slurm = Object.keys(merged).length ? merged : undefined;
  }
  for (const g of globs) {
    if (!g.used && complete) diags.push({code: 'invalid-config', site, path: ['slurm', 'nodes', g.glob], message: `matches no artifact id: fix the glob (ids as \`bevbuild graph\` lists them; \`train/**\` matches below train/)`});
  }
}
