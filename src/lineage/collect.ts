/**
 * Lineage (issue 11 item 4): what a target is made of, back to dataset files, configs, code
 * commits and toolchains. Read from what the workspace recorded at build time — each node's last
 * good build (its key record: every input with the digest it had) and, when the action record has
 * one, its provenance statement (git commit and dirty state, toolchain fingerprint, validation
 * verdict as they were when it ran). Without provenance, git facts are looked up now and marked so.
 */
import {existsSync, readFileSync} from 'node:fs';
import {isAbsolute, resolve} from 'node:path';
import type {OutputEntry} from '../../cache/store-types.ts';
import {readManifestFileSync} from '../../cache/records.ts';
import type {TreeManifest} from '../../cache/tree.ts';
import type {EngineContext} from '../engine/engine-context.ts';
import {semanticKinds} from '../engine/semantic-outputs.ts';
import {closure, type Graph} from '../graph/graph.ts';
import {gitFacts} from '../provenance/git.ts';
import {inputPath} from '../engine/input-names.ts';
import {readProvenance} from '../provenance/reader.ts';

export type SourceKind = 'config' | 'code' | 'data' | 'toolchain' | 'system';

/** A file or directory a node read that no node produced. */
export interface LineageSource {
  path: string;
  kind: SourceKind;
  digest: string | 'missing';
}

export interface LineageGit {
  repo: string;
  commit: string;
  dirty: boolean;
  uri?: string | undefined;
  paths: string[];
  /** `build`: recorded in the provenance when the node ran; `now`: looked up by this command. */
  at: 'build' | 'now';
}

export interface LineageNode {
  id: string;
  rule: string;
  category: 'toolchain' | 'validation' | 'artifact';
  /** Undefined when the workspace has no good build of the node. */
  builtAt: string | undefined;
  key: string | undefined;
  outputs: (OutputEntry & {fileKind?: string})[];
  sources: LineageSource[];
  /** Producers of the node's inputs and the paths it took from each. */
  upstream: {id: string; paths: string[]}[];
  toolchain: {id: string; facts: Record<string, unknown> | undefined} | undefined;
  /** For a toolchain node: what its fingerprint marker says (interpreter, installed distributions). */
  fingerprint: Record<string, unknown> | undefined;
  git: LineageGit[];
  validation: Record<string, unknown> | undefined;
  provenance: {digest: string; signed: boolean} | undefined;
}

/** A file of the target's outputs and the upstream output it is a copy of (same bytes), if any. */
export interface LineageFile {
  path: string;
  digest: string;
  from: {id: string; path: string} | undefined;
}

export interface Lineage {
  targets: string[];
  files: LineageFile[];
  /** Every node of the targets' closure, dependencies first. */
  nodes: LineageNode[];
}

const CONFIG = /\.(ya?ml|json|toml|cfg|ini|conf)$/i;
const CODE = /(\.(py|pyx|sh|ts|mts|js|mjs|cjs|cpp|cc|cxx|c|h|hpp|cu|cmake)|\/CMakeLists\.txt)$/i;
const REQUIREMENTS = /(^|\/)requirements[^/]*\.txt$|(^|\/)(pyproject\.toml|environment\.ya?ml)$/;

export function sourceKind(path: string): SourceKind {
  if (REQUIREMENTS.test(path)) return 'toolchain';
  if (path.startsWith('$BEVBUILD/')) return 'code';
  if (isAbsolute(path)) return 'system';
  if (CODE.test(path)) return 'code';
  if (CONFIG.test(path)) return 'config';
  return 'data';
}

/** The node whose declared output is `path` or a directory above it. */
export function ownerOf(graph: Graph, path: string): {id: string; output: string} | undefined {
  for (let a = path; a !== ''; a = a.includes('/') ? a.slice(0, a.lastIndexOf('/')) : '') {
    const id = graph.outputOwner.get(a);
    if (id) return {id, output: a};
  }
  return undefined;
}

export async function collectLineage(ctx: EngineContext, targets: string[]): Promise<Lineage> {
  const {graph, state, store} = ctx;
  const nodes: LineageNode[] = [];
  const gitScope = {}; // git states are read once for the whole answer
  for (const id of closure(graph, targets)) {
    const gn = graph.nodes.get(id)!;
    const st = state.get(id);
    const kr = st ? state.keyRecord(id) : undefined;
    const kinds = semanticKinds(gn);
    const sources: LineageSource[] = [];
    const upstream = new Map<string, string[]>();
    for (const [name, digest] of Object.entries(kr?.inputs ?? {})) {
      const ip = inputPath(graph, name);
      if (!ip) continue;
      const owner = ip.produced ? ownerOf(graph, ip.path) : undefined;
      if (owner && owner.id !== id) upstream.set(owner.id, [...(upstream.get(owner.id) ?? []), ip.path]);
      else sources.push({path: ip.path, kind: sourceKind(ip.path), digest});
    }
    // Never built here: the declared edges still say where it would come from.
    if (!kr) for (const d of gn.deps) if (d !== gn.toolchain) upstream.set(d, []);
    const rec = st && gn.cache ? await store.readRecord(st.key) : undefined;
    const prov = rec?.ok && rec.value ? await readProvenance(store, rec.value) : undefined;
    const statement = prov?.ok ? prov.value?.statement : undefined;
    const deps = statement?.predicate.buildDefinition.resolvedDependencies ?? [];
    let git: LineageGit[] = deps
      .filter((d) => d.name?.startsWith('git:'))
      .map((d) => ({repo: d.name!.slice(4), commit: d.digest?.['gitCommit'] ?? '', dirty: d.annotations?.['dirty'] === true, uri: d.uri, paths: (d.annotations?.['inputs'] as string[] | undefined) ?? [], at: 'build' as const}));
    if (!statement) {
      const local = sources.filter((s) => !isAbsolute(s.path) && !s.path.startsWith('$')).map((s) => resolve(graph.root, s.path));
      git = (await gitFacts(local, gitScope)).map((g) => ({repo: relativeRepo(graph.root, g.root), commit: g.commit, dirty: g.dirty, uri: g.uri, paths: g.paths.map((p) => relativeRepo(graph.root, p)), at: 'now' as const}));
    }
    const tcDep = deps.find((d) => d.name?.startsWith('toolchain:'));
    const verdict = statement?.predicate.runDetails.byproducts.find((b) => b.name === 'validation')?.annotations;
    nodes.push({
      id,
      rule: `${gn.rule.name}@${gn.rule.version}`,
      category: gn.rule.providesPython || gn.rule.providesEnv ? 'toolchain' : /valid/.test(gn.rule.name) ? 'validation' : 'artifact',
      builtAt: st?.builtAt,
      key: st?.key,
      outputs: (st?.outputs ?? gn.outputs.map((p) => ({path: p, kind: 'file' as const, digest: '', size: 0}))).map((o) => {
        const fileKind = kinds.get(o.path) ?? guessFileKind(o.path);
        return fileKind ? {...o, fileKind} : o;
      }),
      sources,
      upstream: [...upstream].map(([uid, paths]) => ({id: uid, paths})),
      toolchain: gn.toolchain ? {id: gn.toolchain, facts: (tcDep?.annotations as Record<string, unknown> | undefined) ?? markerFacts(ctx, gn.toolchain)} : undefined,
      git,
      fingerprint: gn.rule.providesPython || gn.rule.providesEnv ? markerFacts(ctx, id) : undefined,
      validation: (verdict as Record<string, unknown> | undefined) ?? validationFile(ctx, st?.outputs ?? []),
      provenance: prov?.ok && prov.value ? {digest: prov.value.digest, signed: prov.value.signed} : undefined,
    });
  }
  return {targets, files: targetFiles(ctx, targets, nodes), nodes};
}

const guessFileKind = (p: string): string | undefined =>
  /\.(pth|pt|ckpt)$/.test(p) ? 'checkpoint' : /\.onnx$/.test(p) ? 'onnx' : /\.xml$/.test(p) && /int8|ir|openvino/i.test(p) ? 'openvino-ir' : /\.pkl$/.test(p) ? 'dataset-info' : undefined;

function relativeRepo(root: string, abs: string): string {
  return abs === root ? '.' : abs.startsWith(`${root}/`) ? abs.slice(root.length + 1) : abs;
}

/** What a toolchain's fingerprint marker (e.g. `bevbuild-env.json` of a venv) says, when no provenance holds it. */
function markerFacts(ctx: EngineContext, id: string): Record<string, unknown> | undefined {
  for (const o of ctx.state.get(id)?.outputs ?? []) {
    const abs = resolve(ctx.graph.root, o.path);
    if (o.kind !== 'file' || !o.path.endsWith('.json') || !existsSync(abs)) continue;
    try {
      return JSON.parse(readFileSync(abs, 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A validator's verdict from the `validation.json` among its outputs (when provenance does not carry it). */
function validationFile(ctx: EngineContext, outputs: OutputEntry[]): Record<string, unknown> | undefined {
  for (const o of outputs) {
    const abs = resolve(ctx.graph.root, o.kind === 'dir' ? `${o.path}/validation.json` : o.path);
    if (!abs.endsWith('validation.json') || !existsSync(abs)) continue;
    try {
      const v = JSON.parse(readFileSync(abs, 'utf8')) as Record<string, unknown>;
      const frames = Array.isArray(v['frames']) ? (v['frames'] as unknown[]).length : undefined;
      return {pass: v['pass'] ?? v['passed'], ...(v['totals'] ? {totals: v['totals']} : frames !== undefined ? {frames} : {}), file: o.kind === 'dir' ? `${o.path}/validation.json` : o.path};
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The targets' output files, each traced to the upstream output with the same bytes (a published copy). */
function targetFiles(ctx: EngineContext, targets: string[], nodes: LineageNode[]): LineageFile[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out: LineageFile[] = [];
  for (const t of targets) {
    const n = byId.get(t);
    if (!n) continue;
    const upstreamOutputs = n.upstream.flatMap((u) => (byId.get(u.id)?.outputs ?? []).filter((o) => u.paths.includes(o.path)).map((o) => ({id: u.id, o})));
    const origin = (digest: string) => {
      const hit = upstreamOutputs.find((x) => x.o.digest === digest);
      return hit ? {id: hit.id, path: hit.o.path} : undefined;
    };
    for (const o of n.outputs) {
      if (!o.digest) continue;
      const manifest = o.kind === 'dir' ? readManifest(ctx, o.digest) : undefined;
      if (manifest) for (const e of manifest.entries) out.push({path: `${o.path}/${e.path}`, digest: e.digest, from: origin(e.digest)});
      else out.push({path: o.path, digest: o.digest, from: origin(o.digest)});
    }
  }
  return out;
}

function readManifest(ctx: EngineContext, digest: string): TreeManifest | undefined {
  const m = readManifestFileSync(ctx.store.objectPath(digest));
  return m.ok ? m.value : undefined;
}
