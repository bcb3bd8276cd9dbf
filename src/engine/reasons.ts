/**
 * Why a node must rebuild (DESIGN.md decision 2): a diff of the key record of its last good build
 * against the current one, as typed changes a user can act on once worded by `reasonText`
 * (`input-changed: configs/Kitti/default.yaml`).
 */
import {canonicalJson} from './canonical-json.ts';
import type {KeyRecord} from './action-key.ts';
import type {KeyChange} from './rebuild-reason.ts';

/** What input names stand for, to word reasons with ids (keys themselves never hold ids). */
export interface ReasonNames {
  /** Id of the node's toolchain: `@toolchain…` changes read `env-changed: <id>`. */
  toolchain?: string;
  /** Id of the node producing a workspace path: `input-changed: <path> (from <id>)`. */
  producerOf?: (path: string) => string | undefined;
}

/** The changes from `prev` to `next`, in key-record order; `no-record` without a previous build. */
export function diffKeyRecords(prev: KeyRecord | undefined, next: KeyRecord, names: ReasonNames = {}): KeyChange[] {
  if (!prev) return [{kind: 'no-record'}];
  const fromTo = (kind: 'key-format-changed' | 'rule-changed' | 'rule-version-changed' | 'cwd-changed' | 'platform-changed', from: unknown, to: unknown): KeyChange => ({kind, from: String(from), to: String(to)});
  if (prev.format !== next.format) return [fromTo('key-format-changed', prev.format, next.format)];
  const out: KeyChange[] = [];
  if (prev.rule.name !== next.rule.name) out.push(fromTo('rule-changed', prev.rule.name, next.rule.name));
  else if (prev.rule.version !== next.rule.version) out.push(fromTo('rule-version-changed', prev.rule.version, next.rule.version));
  for (const param of changedKeys(prev.params, next.params, '')) out.push({kind: 'param-changed', param});
  for (const k of union(Object.keys(prev.env), Object.keys(next.env))) {
    if (prev.env[k] !== next.env[k]) out.push({kind: 'env-changed', name: k});
  }
  let toolchainNamed = false;
  for (const k of union(Object.keys(prev.inputs), Object.keys(next.inputs))) {
    const a = prev.inputs[k];
    const b = next.inputs[k];
    if (a === b) continue;
    if (k.startsWith('@toolchain')) {
      if (!toolchainNamed) out.push({kind: 'env-changed', name: names.toolchain ?? 'toolchain', toolchain: true});
      toolchainNamed = true; // whole ↔ part of the same toolchain is one change
      continue;
    }
    const path = k.startsWith('@') ? k.slice(1) : k;
    const producer = k.startsWith('@') ? names.producerOf?.(path) : undefined;
    const kind = a === undefined ? 'input-added' : b === undefined ? 'input-removed' : 'input-changed';
    out.push({kind, path, ...(producer ? {producer} : {})});
  }
  if (canonicalJson(prev.argv) !== canonicalJson(next.argv) && out.length === 0) out.push({kind: 'argv-changed'});
  if (prev.cwd !== next.cwd) out.push(fromTo('cwd-changed', prev.cwd, next.cwd));
  if (canonicalJson(prev.outputs) !== canonicalJson(next.outputs)) out.push({kind: 'outputs-changed'});
  if (prev.platform !== next.platform) out.push(fromTo('platform-changed', prev.platform, next.platform));
  return out.length ? out : [{kind: 'key-changed'}];
}

/** canonicalJson that also accepts `undefined` (a param present on one side only). */
const cj = (v: unknown): string => (v === undefined ? '\u0000undefined' : canonicalJson(v));

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/** Dotted paths of leaves that differ between two JSON values. */
function changedKeys(a: unknown, b: unknown, prefix: string): string[] {
  if (cj(a) === cj(b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(a) || !isObj(b)) return [prefix || '(params)'];
  return union(Object.keys(a), Object.keys(b)).flatMap((k) => changedKeys(a[k], b[k], prefix ? `${prefix}.${k}` : k));
}
