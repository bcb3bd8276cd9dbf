/**
 * Reading key-record input names back (see input-digests.ts): `@<path>` (or, in older records,
 * `@<producer id>:<path>`) for another node's output, `glob:<glob>` for a glob that matched
 * nothing, `@toolchain…` for the toolchain, a plain path for a source input.
 */
import type {Graph} from '../graph/graph.ts';

/** The workspace path behind an input name and whether a node produced it; undefined for the toolchain entry. */
export function inputPath(graph: Graph, name: string): {path: string; produced: boolean} | undefined {
  if (name.startsWith('@toolchain')) return undefined;
  if (!name.startsWith('@')) return {path: name.startsWith('glob:') ? name.slice(5) : name, produced: false};
  const rest = name.slice(1);
  const colon = rest.indexOf(':');
  if (colon > 0 && graph.nodes.has(rest.slice(0, colon))) return {path: rest.slice(colon + 1), produced: true};
  return {path: rest, produced: true};
}
