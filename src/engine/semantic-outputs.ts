/**
 * Which outputs of a node have a semantic digest (the rule's `semantic`), and computing them for a
 * run's outputs. A file that does not parse as its declared kind keeps only its byte digest (one
 * warning): dependents then key on bytes, which is never wrong, only less forgiving.
 */
import {resolve} from 'node:path';
import type {OutputEntry} from '../../cache/store-types.ts';
import type {SemanticKind} from '../../cache/semantic/kinds.ts';
import {semanticDigest} from '../../cache/semantic/semantic-digest.ts';
import type {GraphNode} from '../graph/graph.ts';
import type {EngineContext} from './engine-context.ts';
import {inputPath} from './input-names.ts';

/** Output path → semantic kind, for the outputs of `node` that declare one. */
export function semanticKinds(node: GraphNode): Map<string, SemanticKind> {
  const s = node.rule.semantic;
  if (s === undefined) return new Map();
  if (typeof s === 'string') return new Map(node.outputs.map((o) => [o, s]));
  const declared = s(node.params);
  for (const p of Object.keys(declared)) {
    if (!node.outputs.includes(p)) throw new Error(`rule ${node.rule.name}: semantic names "${p}", which is not a declared output of ${node.id}`);
  }
  return new Map(Object.entries(declared));
}

/** The entries with `semantic` set where the node declares a kind; warnings for files that do not parse. */
export function withSemanticDigests(root: string, node: GraphNode, entries: OutputEntry[], warn: (message: string) => void): OutputEntry[] {
  const kinds = semanticKinds(node);
  if (!kinds.size) return entries;
  return entries.map((e) => {
    const kind = kinds.get(e.path);
    if (!kind) return e;
    const d = semanticDigest(kind, resolve(root, e.path));
    if (!d.ok) {
      warn(`${node.id}: ${d.error.message}`);
      return e;
    }
    return {...e, semantic: d.value};
  });
}

/**
 * Early cutoffs on meaning behind a node's last good build: inputs whose producer's bytes have
 * changed since, while their semantic digest (what the node keyed on) has not. For `why`:
 * `demo/…/model.onnx (onnx/kitti/second): bytes changed, semantics equal`.
 */
export function semanticCutoffs(ctx: Pick<EngineContext, 'graph' | 'state'>, id: string): string[] {
  const rec = ctx.state.keyRecord(id);
  const out: string[] = [];
  for (const [name, seen] of Object.entries(rec?.bytes ?? {})) {
    const path = inputPath(ctx.graph, name)?.path ?? name;
    const producer = ctx.graph.outputOwner.get(path);
    const now = producer ? ctx.state.get(producer)?.outputs.find((o) => o.path === path) : undefined;
    if (now && now.digest !== seen && now.semantic !== undefined && now.semantic === rec!.inputs[name]) {
      out.push(`${path} (${producer}): bytes changed, semantics equal`);
    }
  }
  return out;
}
