/**
 * A semantic view is a JSON tree of strings (big payloads replaced by their sha256): what a model
 * file means, without what only describes it. Two files are semantically equal when their views
 * are; `firstDifference` names where they part, in words a person can look up
 * (`graph.initializer["head.weight"].data`, `graph.node[12 "Conv_3"].attribute.pads`).
 */
import {hashBytes, type Digest} from '../digest.ts';
import {canonicalJson} from '../../src/engine/canonical-json.ts';

export type View = string | View[] | {[k: string]: View};

/** The digest of a view, tagged with its kind and format so kinds never collide with each other or with byte digests. */
export function viewDigest(tag: string, v: View): Digest {
  return hashBytes(`bevbuild-semantic/${tag}\n${canonicalJson(v)}`);
}

/** The path of the first place two views differ, or undefined if they are equal. */
export function firstDifference(a: View, b: View, path = ''): string | undefined {
  if (typeof a === 'string' || typeof b === 'string') return a === b ? undefined : path || '(root)';
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return path || '(root)';
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i]!, b[i]!, `${path}[${i}${label(a[i]!)}]`);
      if (d) return d;
    }
    return a.length === b.length ? undefined : `${path} (${a.length} vs ${b.length} entries)`;
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const k of keys) {
    const sub = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && (path === '' || !isMapPath(path)) ? `${path ? `${path}.` : ''}${k}` : `${path}[${JSON.stringify(k)}]`;
    if (!(k in a)) return `${sub} (only in the second)`;
    if (!(k in b)) return `${sub} (only in the first)`;
    const d = firstDifference(a[k]!, b[k]!, sub);
    if (d) return d;
  }
  return undefined;
}

/** Maps keyed by user-chosen names (initializers, attributes, opsets) print their keys quoted. */
const isMapPath = (p: string) => /(initializer|attribute|opset|layers)$/.test(p);

/** ` "name"` for array items that have one (nodes, layers, value infos). */
function label(v: View): string {
  if (typeof v !== 'object' || Array.isArray(v)) return '';
  const n = v['name'];
  return typeof n === 'string' && n ? ` ${JSON.stringify(n)}` : '';
}
