/**
 * What a torchpack 0.3.1 config resolves to (reference §2.1), for guards that must read the
 * *content* of a config chain rather than its file name: `configs.load(path, recursive=True)` reads
 * `[leaf, dir(leaf)/default.yaml, dir(dir)/default.yaml, …]` up to the fixed point of `dirname`
 * (relative paths end at the cwd's own `default.yaml`), applies them root-first, deep-merges dicts
 * and replaces everything else; missing files are skipped.
 */
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {parse} from 'yaml';

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The chain torchpack reads for `leaf` (as given, relative to `cwd`), root first, existing files only. */
export function torchpackChain(leaf: string, cwd: string): string[] {
  const files = [leaf];
  let dir = dirname(leaf);
  for (;;) {
    files.push(join(dir === '.' ? '' : dir, 'default.yaml'));
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return files.reverse().filter((f) => existsSync(resolve(cwd, f)));
}

/** A key's effective value after the merge, and the file that decided it (undefined: no file sets it). */
export interface Resolved {
  value: unknown;
  file: string | undefined;
}

/** Resolves dotted `key` over `files` (root first), tracking which file set it last. */
export function resolveKey(files: string[], key: string, cwd: string): Resolved {
  const path = key.split('.');
  let merged: Tree = {};
  let file: string | undefined;
  for (const f of files) {
    const tree = (parse(readFileSync(resolve(cwd, f), 'utf8')) ?? {}) as unknown;
    if (!isTree(tree)) continue;
    merged = merge(merged, tree);
    // This file decided the key if it sets the key itself or replaces one of its parents wholesale.
    let node: unknown = tree;
    for (const seg of path) {
      if (!isTree(node) || !(seg in node)) break;
      node = node[seg];
      if (seg === path[path.length - 1] || !isTree(node)) file = f;
    }
  }
  let value: unknown = merged;
  for (const seg of path) value = isTree(value) ? value[seg] : undefined;
  return {value, file};
}

function merge(a: Tree, b: Tree): Tree {
  const out: Tree = {...a};
  for (const [k, v] of Object.entries(b)) out[k] = isTree(v) && isTree(out[k]) ? merge(out[k] as Tree, v) : v;
  return out;
}
