/**
 * Cycle detection with a stable trail (deterministic DFS over sorted ids), so the same config
 * always reports the same `a → b → c → a`.
 */
import type {GraphNode} from './graph.ts';

export function findCycles(nodes: Map<string, GraphNode>): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') {
      const trail = [...stack.slice(stack.indexOf(id)), id];
      const key = [...trail.slice(0, -1)].sort().join('|');
      if (!seen.has(key)) {
        seen.add(key);
        cycles.push(trail);
      }
      return;
    }
    state.set(id, 'visiting');
    stack.push(id);
    for (const d of nodes.get(id)?.deps ?? []) if (nodes.has(d)) visit(d);
    stack.pop();
    state.set(id, 'done');
  };
  [...nodes.keys()].sort().forEach(visit);
  return cycles;
}
