/**
 * Config → validated graph. Every problem is collected (params that fail their zod schema, rule
 * functions that throw, duplicate ids or outputs, inputs nobody produces and that do not exist,
 * cycles) and returned together, each pointing at its declaration.
 */
import {existsSync} from 'node:fs';
import {isAbsolute, normalize, relative, resolve, sep} from 'node:path';
import type {z} from 'zod';
import {isArtifactDecl, type ArtifactDecl} from '../config/define-rule.ts';
import type {LoadedConfigSpec} from '../config/define-config.ts';
import type {Diagnostic} from '../diagnostics.ts';
import type {Result} from '../result.ts';
import {expandGlob, globBase, isGlob} from './glob.ts';
import type {Graph, GraphNode, ResolvedInput} from './graph.ts';
import {findCycles} from './cycles.ts';
import {DEFAULT_EXECUTOR, executorProblems} from '../executors/registry.ts';
import {applySlurmConfig} from '../executors/slurm-config.ts';
import {ID_RULE, isValidId} from './node-id.ts';

const CLEAN_REL = /^(?!\.{1,2}(?:\/|$))(?:[^/\0]+\/)*[^/\0]+$/;
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

export function analyze(root: string, configFile: string, spec: LoadedConfigSpec): Result<Graph, Diagnostic[]> {
  const diags: Diagnostic[] = [];
  const entries = declarations(spec, diags);
  const badRules = new Set(entries.map(([, d]) => d.rule).filter((r) => r.problems?.length));
  for (const r of badRules) {
    for (const p of r.problems) diags.push({code: 'invalid-rule', site: r.site, path: p.path, message: `rule "${String(r.spec.name)}": ${p.message}`});
  }
  const nodes = new Map<string, GraphNode>();
  for (const [id, decl] of entries) {
    if (!isValidId(id)) {
      diags.push({code: 'invalid-id', nodeId: id, site: decl.site, message: ID_RULE});
      continue;
    }
    if (nodes.has(id)) {
      diags.push({code: 'duplicate-artifact', nodeId: id, site: decl.site, message: 'declared twice', notes: [`first declared at ${where(root, nodes.get(id)!.site)}`]});
      continue;
    }
    if (decl.rule.problems?.length) continue;
    const node = resolveNode(root, id, decl, diags);
    if (node) nodes.set(id, node);
  }
  if (spec.materialize !== undefined && spec.materialize !== 'link' && spec.materialize !== 'copy') {
    diags.push({code: 'invalid-config', site: spec.site, path: ['materialize'], message: `expected 'link' or 'copy', got ${JSON.stringify(spec.materialize)}`});
  }
  if (spec.materialize === 'copy') for (const node of nodes.values()) node.materialize = 'copy';
  // `spec.site` is resolved lazily (a source-map parse, ~20 ms): only when there is something to check.
  if (spec.slurm !== undefined) applySlurmConfig(spec.slurm, nodes, spec.site, diags);

  // Output ownership: exact paths, and every ancestor directory of an output (for inputs that are dirs).
  const outputOwner = new Map<string, string>();
  const under = new Map<string, Set<string>>();
  for (const node of nodes.values()) {
    for (const out of node.outputs) {
      const prev = outputOwner.get(out);
      if (prev && prev !== node.id) {
        diags.push({code: 'duplicate-output', nodeId: node.id, site: node.site, path: ['outputs'], message: `output "${out}" is also declared by "${prev}"; give each (pipeline, dataset) its own directory`});
        continue;
      }
      outputOwner.set(out, node.id);
      for (let d = parentOf(out); d !== ''; d = parentOf(d)) {
        let s = under.get(d);
        if (!s) under.set(d, (s = new Set()));
        s.add(node.id);
      }
    }
  }
  for (const [a, b] of overlappingOutputs(outputOwner)) {
    diags.push({code: 'duplicate-output', nodeId: b, site: nodes.get(b)?.site, path: ['outputs'], message: `an output lies inside output "${a}" of "${outputOwner.get(a)}"`});
  }

  for (const node of nodes.values()) {
    const deps = new Set<string>();
    if (node.toolchain) {
      if (nodes.has(node.toolchain)) deps.add(node.toolchain);
      else diags.push(unknownRef(node, node.toolchain, 'toolchain', nodes));
    }
    for (const input of node.inputs) {
      if (input.kind === 'artifact') {
        if (nodes.has(input.id)) deps.add(input.id);
        else diags.push(unknownRef(node, input.id, 'inputs', nodes));
        continue;
      }
      const p = input.kind === 'path' ? input.path : globBase(input.glob);
      const owners = producersOf(p, outputOwner, under);
      const own = input.kind === 'path' && owners.has(node.id) && ownsPath(node, p);
      owners.delete(node.id);
      owners.forEach((o) => deps.add(o));
      if (own) {
        // Reading what it writes would key the node on its own previous result.
        diags.push({code: 'cycle', nodeId: node.id, site: node.site, path: ['inputs'], message: `input "${p}" is an output of this artifact itself; a node cannot consume what it produces (use a separate artifact, or a path outside its outputs)`});
      } else if (input.kind === 'path' && owners.size === 0 && !existsSync(resolve(root, p))) {
        diags.push({code: 'missing-input', nodeId: node.id, site: node.site, path: ['inputs'], message: `input "${p}" does not exist and no artifact declares it as an output`});
      } else if (input.kind === 'glob' && owners.size === 0 && expandGlob(root, input.glob, 1).length === 0) {
        // The tool would get the pattern itself as an argument.
        diags.push({code: 'missing-input', nodeId: node.id, site: node.site, path: ['inputs'], message: `input glob "${input.glob}" matches no file and no artifact declares an output under "${p || '.'}"; fix the pattern, or pass an explicit (possibly empty) list of paths`});
      }
    }
    node.deps = [...deps].sort();
  }

  const cycles = findCycles(nodes);
  for (const trail of cycles) {
    const first = nodes.get(trail[0]!)!;
    diags.push({code: 'cycle', nodeId: trail[0], site: first.site, message: 'dependency cycle', notes: [trail.join(' → ')]});
  }
  if (diags.length) return {ok: false, error: diags};

  const order = topoOrder(nodes);
  const dependents = new Map<string, string[]>();
  for (const id of order) dependents.set(id, []);
  for (const id of order) for (const d of nodes.get(id)!.deps) dependents.get(d)!.push(id);
  return {ok: true, value: {root, configFile, nodes, order, outputOwner, dependents}};
}

function declarations(spec: LoadedConfigSpec, diags: Diagnostic[]): [string, ArtifactDecl][] {
  const raw = spec.artifacts as unknown;
  const pairs: [string, unknown][] = Array.isArray(raw)
    ? raw.map((e, i) => (Array.isArray(e) && typeof e[0] === 'string' ? [e[0], e[1]] : [`#${i}`, e]))
    : raw && typeof raw === 'object'
      ? Object.entries(raw)
      : [];
  if (!Array.isArray(raw) && (typeof raw !== 'object' || raw === null)) {
    diags.push({code: 'invalid-config', site: spec.site, path: ['artifacts'], message: 'expected an object of id → rule(params), or a list of [id, rule(params)] pairs'});
  }
  const out: [string, ArtifactDecl][] = [];
  for (const [id, decl] of pairs) {
    if (isArtifactDecl(decl)) out.push([id, decl]);
    else diags.push({code: 'invalid-config', site: spec.site, nodeId: id, message: `expected a rule application such as myRule({...}), got ${describe(decl)}`});
  }
  return out;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isInputRef = (v: unknown): v is string | {artifact: string} =>
  typeof v === 'string' || (typeof v === 'object' && v !== null && typeof (v as {artifact?: unknown}).artifact === 'string');
function resolveNode(root: string, id: string, decl: ArtifactDecl, diags: Diagnostic[]): GraphNode | undefined {
  const spec = decl.rule.spec;
  const parsed = spec.params.safeParse(decl.params);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      diags.push({code: 'invalid-params', nodeId: id, site: decl.site, path: ['params', ...issue.path], message: `${issue.message} (rule ${spec.name})`});
    }
    return undefined;
  }
  const p = parsed.data as z.output<z.ZodType>;
  const call = <T>(field: string, f: (() => T) | undefined, fallback: T): T => {
    if (!f) return fallback;
    try {
      return f();
    } catch (e) {
      diags.push({code: 'invalid-rule', nodeId: id, site: decl.site, path: [field], message: `rule ${spec.name}: ${field}() threw: ${(e as Error).message}`});
      return fallback;
    }
  };
  /** What a rule function returned, when it is the list it must be; else a diagnostic and no entries. */
  const listOf = <T>(field: string, value: unknown, isItem: (v: unknown) => v is T, what: string): T[] => {
    if (Array.isArray(value) && value.every(isItem)) return value;
    const bad = Array.isArray(value) ? value.find((v) => !isItem(v)) : value;
    diags.push({code: 'invalid-rule', nodeId: id, site: decl.site, path: [field], message: `rule ${spec.name}: ${field}() must return an array of ${what}; got ${describe(bad)}${Array.isArray(value) ? ' in it' : ''}`});
    return [];
  };
  const outputs = listOf('outputs', call('outputs', () => spec.outputs(p), [] as string[]), isString, 'workspace paths (strings)').map((o) => normPath(root, o));
  for (const o of outputs) {
    // Outside the workspace only for in-place, uncached outputs (e.g. an override config that must
    // sit next to its leaf inside an external repo's config tree).
    if (o === '' || (o.startsWith('/') && (spec.cache !== false || spec.stage !== false))) {
      diags.push({code: 'invalid-rule', nodeId: id, site: decl.site, path: ['outputs'], message: `output "${o || '.'}" is not inside the workspace: outputs are workspace paths (symlink big storage into the workspace if needed)`});
    }
  }
  const inputs: ResolvedInput[] = listOf('inputs', call('inputs', spec.inputs && (() => spec.inputs!(p, {root})), []), isInputRef, 'paths, globs (strings) or artifact references').map((i) =>
    typeof i === 'string'
      ? isGlob(i)
        ? {kind: 'glob', glob: normPath(root, i)}
        : {kind: 'path', path: normPath(root, i)}
      : {kind: 'artifact', id: i.artifact},
  );
  const res = call('resources', spec.resources && (() => spec.resources!(p)), {});
  const executor = call('executor', spec.executor && (() => spec.executor!(p)), DEFAULT_EXECUTOR);
  const slurm = call('slurm', spec.slurm && (() => spec.slurm!(p)), undefined);
  for (const e of executorProblems(executor, {slurm})) diags.push({code: 'invalid-rule', nodeId: id, site: decl.site, path: e.path, message: `rule ${spec.name}: ${e.message}`});
  const node: GraphNode = {
    id,
    rule: spec,
    params: p,
    site: undefined,
    outputs,
    inputs,
    toolchain: call('toolchain', spec.toolchain && (() => spec.toolchain!(p)), undefined),
    deps: [],
    cwd: call('cwd', spec.cwd && (() => normPath(root, spec.cwd!(p))), ''),
    resources: {cpu: res.cpu ?? 1, gpu: res.gpu ?? 0},
    executor,
    slurm,
    timeoutMs: call('timeoutMs', spec.timeoutMs && (() => spec.timeoutMs!(p)), undefined),
    exclusive: call('exclusive', spec.exclusive && (() => spec.exclusive!(p)), undefined),
    cache: spec.cache ?? true,
    stage: spec.stage ?? true,
    materialize: spec.materialize ?? 'link',
  };
  // Resolved only if a diagnostic needs it (see lazyCallSite).
  Object.defineProperty(node, 'site', {get: () => decl.site, enumerable: true});
  return node;
}

/** Workspace-relative posix path (absolute paths outside the workspace stay absolute). */
export function normPath(root: string, p: string): string {
  // Fast path: most declared paths are already clean relative paths (path.resolve + relative cost
  // ~8 µs each, which adds up over thousands of inputs).
  if (CLEAN_REL.test(p) && !DOT_SEGMENT.test(p)) return p;
  const abs = isAbsolute(p) ? normalize(p) : resolve(root, p);
  const rel = relative(root, abs);
  if (rel === '') return '';
  if (rel.startsWith('..') || isAbsolute(rel)) return abs;
  return rel.split(sep).join('/');
}

/** Whether `p` is one of the node's outputs or lies inside one. */
function ownsPath(node: GraphNode, p: string): boolean {
  return node.outputs.some((o) => p === o || p.startsWith(`${o}/`));
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function producersOf(p: string, owner: Map<string, string>, under: Map<string, Set<string>>): Set<string> {
  const out = new Set<string>(under.get(p) ?? []);
  for (let a = p; a !== ''; a = parentOf(a)) {
    const o = owner.get(a);
    if (o) out.add(o);
  }
  return out;
}

function overlappingOutputs(owner: Map<string, string>): [string, string][] {
  const res: [string, string][] = [];
  for (const [out, id] of owner) {
    for (let a = parentOf(out); a !== ''; a = parentOf(a)) {
      const o = owner.get(a);
      if (o && o !== id) res.push([a, id]);
    }
  }
  return res;
}

function unknownRef(node: GraphNode, ref: string, field: string, nodes: Map<string, GraphNode>): Diagnostic {
  return {code: 'unknown-artifact', nodeId: node.id, site: node.site, path: [field], message: `refers to unknown artifact "${ref}"`, notes: [...nodes.keys()].filter((k) => k.split('/')[0] === ref.split('/')[0]).slice(0, 3).map((k) => `did you mean "${k}"?`)};
}

function topoOrder(nodes: Map<string, GraphNode>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const visit = (id: string) => {
    if (done.has(id)) return;
    done.add(id);
    for (const d of nodes.get(id)!.deps) visit(d);
    order.push(id);
  };
  [...nodes.keys()].sort().forEach(visit);
  return order;
}

function where(root: string, site: {file: string; line: number} | undefined): string {
  return site ? `${relative(root, site.file)}:${site.line}` : 'unknown location';
}

/** A value for a diagnostic, never throwing (a symbol, a bigint). */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${JSON.stringify(v)}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
