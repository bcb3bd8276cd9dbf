/**
 * The input half of an action key: a digest for every declared input. Inputs produced by other
 * nodes are named `@<output path>` — the producer's declared output that holds them, never the
 * producer's id, so renaming a node changes no key (DESIGN.md decision 1) — and take the
 * producer's recorded *output* digest (so a rebuilt producer with byte-identical outputs changes
 * nothing downstream: early cutoff, and no need to have intermediate outputs on disk). Source
 * inputs are digested on disk through the stat memo, in parallel. The toolchain enters as
 * `@toolchain` (its key) or `@toolchain[<uses>]` (the part of it the node uses).
 */
import {resolve} from 'node:path';
import type {OutputEntry} from '../../cache/local-store.ts';
import type {Digest} from '../../cache/digest.ts';
import {hashBytes} from '../../cache/digest.ts';
import {expandGlob, globBase} from '../graph/glob.ts';
import type {GraphNode} from '../graph/graph.ts';
import type {EngineContext} from './engine-context.ts';
import {digestsOf} from './decide.ts';
import {buildKeyRecord, portable, type KeyRecord} from './action-key.ts';
import {canonicalJson} from './canonical-json.ts';

export type OutputsOf = (id: string) => OutputEntry[] | undefined;
export type KeyOf = (id: string) => string | undefined;

export async function inputDigests(
  ctx: EngineContext,
  node: GraphNode,
  outputsOf: OutputsOf,
  keyOf: KeyOf,
  /** Filled with the byte digests of inputs keyed by their semantic digest (see `KeyRecord.bytes`). */
  bytes?: Map<string, Digest>,
): Promise<Record<string, Digest | 'missing'>> {
  const {graph} = ctx;
  // A Map while collecting (keys are arbitrary strings: an object would go to dictionary mode).
  const result = new Map<string, Digest | 'missing'>();
  const onDisk: string[] = [];

  const fromProducer = (p: string): boolean => {
    for (let a = p; a !== ''; a = a.includes('/') ? a.slice(0, a.lastIndexOf('/')) : '') {
      const owner = graph.outputOwner.get(a);
      if (!owner || owner === node.id) continue;
      const entry = outputsOf(owner)?.find((o) => o.path === a);
      result.set(`@${a}`, entry ? keyed(`@${a}`, entry) : 'missing');
      return true;
    }
    return false;
  };
  const allOf = (id: string) => {
    for (const o of outputsOf(id) ?? []) result.set(`@${o.path}`, keyed(`@${o.path}`, o));
  };
  /** A producer's output is keyed by its semantic digest when it has one (early cutoff on meaning). */
  const keyed = (name: string, o: OutputEntry): Digest => {
    if (o.semantic === undefined) return o.digest;
    bytes?.set(name, o.digest);
    return o.semantic;
  };

  // A toolchain enters by its *key* (requirements, interpreter, rule version), not its outputs:
  // that lets dependents be fresh or restored without the env ever being built on this machine.
  if (node.toolchain) {
    const part = await toolchainPartDigest(ctx, node);
    if (part) result.set(`@toolchain[${part.uses.join(',')}]`, part.digest);
    else result.set('@toolchain', keyOf(node.toolchain) ?? 'missing');
  }
  for (const input of node.inputs) {
    if (input.kind === 'artifact') allOf(input.id);
    else if (input.kind === 'path') {
      if (!fromProducer(input.path)) onDisk.push(input.path);
    } else {
      // A glob over a producer's output dir keys on that dir; otherwise on every matching file.
      if (fromProducer(globBase(input.glob))) continue;
      const files = expandGlob(graph.root, input.glob);
      onDisk.push(...files);
      if (!files.length) result.set(`glob:${input.glob}`, 'missing');
    }
  }
  if (onDisk.length) {
    const abs = onDisk.map((p) => resolve(graph.root, p));
    const digests = await digestsOf(ctx, abs);
    onDisk.forEach((p, i) => {
      const d = digests.get(abs[i]!);
      result.set(p, d && d.kind !== 'missing' ? d.digest : 'missing');
    });
  }
  return Object.fromEntries(result);
}

/**
 * The digest of the part of a node's toolchain the node declares it uses (`toolchainUses`), when
 * the toolchain rule can isolate it (`toolchainPart`): its rule, the part's own input digests and
 * facts. So an NNCF pin bump leaves an addon that links only the OpenVINO runtime untouched.
 */
async function toolchainPartDigest(ctx: EngineContext, node: GraphNode): Promise<{uses: string[]; digest: Digest} | undefined> {
  const uses = node.rule.toolchainUses?.(node.params);
  const tc = node.toolchain ? ctx.graph.nodes.get(node.toolchain) : undefined;
  if (!uses?.length || !tc?.rule.toolchainPart) return undefined;
  const sorted = [...new Set(uses)].sort();
  const part = tc.rule.toolchainPart(tc.params, sorted, {root: ctx.graph.root});
  if (!part) return undefined;
  const abs = part.inputs.map((p) => resolve(ctx.graph.root, p));
  const digests = await digestsOf(ctx, abs);
  const inputs = Object.fromEntries(part.inputs.map((p, i) => {
    const d = digests.get(abs[i]!);
    return [portable(p), d && d.kind !== 'missing' ? d.digest : 'missing'];
  }));
  const record = {rule: {name: tc.rule.name, version: tc.rule.version}, uses: sorted, inputs, facts: part.facts ?? null};
  return {uses: sorted, digest: hashBytes(canonicalJson(record))};
}

/** A node's key record: its input digests (semantic where declared) with the bytes behind them. */
export async function keyRecordOf(ctx: EngineContext, node: GraphNode, outputsOf: OutputsOf, keyOf: KeyOf): Promise<KeyRecord> {
  const bytes = new Map<string, Digest>();
  return buildKeyRecord(node, await inputDigests(ctx, node, outputsOf, keyOf, bytes), bytes);
}
