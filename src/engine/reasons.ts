/**
 * Why a node must rebuild (DESIGN.md decision 2): a diff of the key record of its last good build
 * against the current one, in words a user can act on (`input-changed: configs/Kitti/default.yaml`).
 */
import {canonicalJson} from './canonical-json.ts';
import type {KeyRecord} from './action-key.ts';

/** What input names stand for, to word reasons with ids (keys themselves never hold ids). */
export interface ReasonNames {
  /** Id of the node's toolchain: `@toolchain…` changes read `env-changed: <id>`. */
  toolchain?: string;
  /** Id of the node producing a workspace path: `input-changed: <path> (from <id>)`. */
  producerOf?: (path: string) => string | undefined;
}

export function diffKeyRecords(prev: KeyRecord | undefined, next: KeyRecord, names: ReasonNames = {}): string[] {
  if (!prev) return ['no-record'];
  if (prev.format !== next.format) return [`key-format-changed: ${prev.format}→${next.format}`];
  const out: string[] = [];
  if (prev.rule.name !== next.rule.name) out.push(`rule-changed: ${prev.rule.name}→${next.rule.name}`);
  else if (prev.rule.version !== next.rule.version) out.push(`rule-version-changed: ${prev.rule.version}→${next.rule.version}`);
  for (const k of changedKeys(prev.params, next.params, '')) out.push(`param-changed: ${k}`);
  for (const k of union(Object.keys(prev.env), Object.keys(next.env))) {
    if (prev.env[k] !== next.env[k]) out.push(`env-changed: ${k}`);
  }
  let toolchainNamed = false;
  for (const k of union(Object.keys(prev.inputs), Object.keys(next.inputs))) {
    const a = prev.inputs[k];
    const b = next.inputs[k];
    if (a === b) continue;
    if (k.startsWith('@toolchain')) {
      if (!toolchainNamed) out.push(`env-changed: ${names.toolchain ?? 'toolchain'}`);
      toolchainNamed = true; // whole ↔ part of the same toolchain is one change
      continue;
    }
    const path = k.startsWith('@') ? k.slice(1) : k;
    const producer = k.startsWith('@') ? names.producerOf?.(path) : undefined;
    const name = producer ? `${path} (from ${producer})` : path;
    if (a === undefined) out.push(`input-added: ${name}`);
    else if (b === undefined) out.push(`input-removed: ${name}`);
    else out.push(`input-changed: ${name}`);
  }
  if (canonicalJson(prev.argv) !== canonicalJson(next.argv) && out.length === 0) out.push('argv-changed');
  if (prev.cwd !== next.cwd) out.push(`cwd-changed: ${prev.cwd}→${next.cwd}`);
  if (canonicalJson(prev.outputs) !== canonicalJson(next.outputs)) out.push('outputs-changed');
  if (prev.platform !== next.platform) out.push(`platform-changed: ${prev.platform}→${next.platform}`);
  return out.length ? out : ['key-changed'];
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
