/**
 * Action keys (DESIGN.md decision 1). A key is the sha256 of a canonical, versioned record of
 * everything that determines a node's outputs: rule name + version, the resolved argv and env
 * (with machine-specific paths replaced by placeholders, so two clones share keys), params, the
 * digests of every input (for inputs produced by other nodes: their *output* digests, which gives
 * early cutoff), the toolchain's key (or the digest of the part of it the node uses) and the platform.
 *
 * Bump KEY_FORMAT whenever this algorithm changes.
 */
import {fileURLToPath} from 'node:url';
import type {RunContext} from '../config/define-rule.ts';
import type {GraphNode} from '../graph/graph.ts';
import {hashBytes, type Digest} from '../../cache/digest.ts';
import {canonicalJson} from './canonical-json.ts';

/**
 * 2: inputs produced by other nodes are named by the output path that holds them (`@<path>`), not
 * by the producer's id; the toolchain is `@toolchain` or `@toolchain[<uses>]` (a part of it).
 */
export const KEY_FORMAT = 'bevbuild-action/2';

/** bevbuild's own checkout: tool scripts shipped with the rules live here; keyed as `$BEVBUILD/…` so clones share keys. */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
/** Replaces this checkout's path with `$BEVBUILD`, so keys are the same in every clone. */
export const portable = (s: string) => s.replaceAll(PACKAGE_ROOT, '$BEVBUILD');

/** The record whose canonical JSON is hashed. Field order is fixed by canonicalJson (sorted). */
export interface KeyRecord {
  format: typeof KEY_FORMAT;
  rule: {name: string; version: number};
  argv: string[];
  cwd: string;
  params: unknown;
  env: Record<string, string>;
  /** Input name → digest. Names: workspace paths; `@<output path>` for outputs of other nodes; `@toolchain…`. */
  inputs: Record<string, Digest | 'missing'>;
  outputs: string[];
  platform: string;
  /**
   * Not hashed: the byte digests behind inputs keyed by their semantic digest (a producer's output
   * with `semantic` declared), so `why` can say "bytes changed, semantics equal" later.
   */
  bytes?: Record<string, Digest>;
}

/** A context whose paths are placeholders: what argv/env look like independent of machine and run. */
export function placeholderContext(node: GraphNode): RunContext {
  return {
    root: '$WS',
    in: (p) => (p.startsWith('/') ? p : `$WS/${p}`),
    out: (p) => `$OUT/${p}`,
    outDir: (d) => `$OUT/${d}`,
    tmp: '$TMP',
    python: () => {
      if (!node.toolchain) throw new Error(`rule ${node.rule.name} calls ctx.python() but declares no toolchain`);
      return `$PYTHON(${node.toolchain})`;
    },
    gpus: [],
  };
}

export function buildKeyRecord(node: GraphNode, inputs: Record<string, Digest | 'missing'>, bytes?: Map<string, Digest>): KeyRecord {
  const ctx = placeholderContext(node);
  const p = node.params;
  return {
    format: KEY_FORMAT,
    rule: {name: node.rule.name, version: node.rule.version},
    argv: node.rule.argv(p, ctx).map(portable),
    cwd: node.cwd,
    params: p,
    env: Object.fromEntries(Object.entries(node.rule.env ? node.rule.env(p, ctx) : {}).map(([k, v]) => [k, portable(v)])),
    inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [portable(k), v])),
    outputs: [...node.outputs].sort(),
    platform: `${process.platform}-${process.arch}`,
    ...(bytes?.size ? {bytes: Object.fromEntries([...bytes].map(([k, v]) => [portable(k), v]))} : {}),
  };
}

export function actionKey(record: KeyRecord): Digest {
  return hashBytes(canonicalJson({...record, bytes: undefined}));
}
