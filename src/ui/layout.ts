/**
 * The graph view's layout, computed here so the page only draws: columns are layers (a node sits
 * one column right of its deepest dependency), rows are lanes grouped by the id's path segments
 * after the kind (see `laneOf`), so one dataset × pipeline reads left to right on one band and
 * 100+ nodes stay legible.
 */
import type {Graph} from '../graph/graph.ts';
import {baseId} from '../graph/node-id.ts';

export const NODE_W = 170;
export const NODE_H = 30;
const COL_GAP = 44;
const ROW_GAP = 10;
const LANE_GAP = 6;
const LEFT = 150; // room for the lane labels

export interface LaidNode {
  id: string;
  rule: string;
  deps: string[];
  lane: string;
  layer: number;
  x: number;
  y: number;
}

export interface Lane {
  name: string;
  y: number;
  height: number;
}

export interface Layout {
  nodes: LaidNode[];
  lanes: Lane[];
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
}

/**
 * The lane of an id: dataset/pipeline, the segments after the kind (`onnx/kitti/second` →
 * `kitti/second`); a dataset's own nodes share the dataset's lane (`data/kitti/raw` → `kitti`);
 * toolchains share `env`.
 */
export function laneOf(id: string): string {
  const segs = baseId(id).split('/'); // a sweep's points share their base's lane
  if (segs.length < 2 || segs[0] === 'env') return segs[0]!;
  return segs[0] === 'data' ? segs[1]! : segs.slice(1, 3).join('/');
}

/** Lays out `ids` (a dependency-closed subset of the graph, in topological order). */
export function layoutGraph(graph: Graph, ids: string[]): Layout {
  const inSet = new Set(ids);
  const layer = new Map<string, number>();
  for (const id of ids) {
    const deps = graph.nodes.get(id)!.deps.filter((d) => inSet.has(d));
    layer.set(id, deps.length ? Math.max(...deps.map((d) => layer.get(d)!)) + 1 : 0);
  }
  const byLane = new Map<string, string[]>();
  for (const id of ids) {
    const l = laneOf(id);
    byLane.set(l, [...(byLane.get(l) ?? []), id]);
  }
  // Toolchains first; then per dataset (the lane's first segment) the lanes that start earliest
  // (the dataset's own nodes) before its pipelines, each group by name.
  const start = (lane: string) => Math.min(...byLane.get(lane)!.map((id) => layer.get(id)!));
  const rank = (lane: string): [number, string, number, string] => [lane === 'env' ? 0 : 1, lane.split('/')[0]!, start(lane), lane];
  const laneNames = [...byLane.keys()].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1].localeCompare(y[1]) || x[2] - y[2] || x[3].localeCompare(y[3]);
  });
  const nodes: LaidNode[] = [];
  const lanes: Lane[] = [];
  let y = 10;
  let maxLayer = 0;
  for (const name of laneNames) {
    const members = byLane.get(name)!;
    // Within a lane, nodes of the same layer stack; the tallest stack sets the lane's height.
    const rowsAt = new Map<number, number>();
    for (const id of members.sort()) {
      const l = layer.get(id)!;
      const row = rowsAt.get(l) ?? 0;
      rowsAt.set(l, row + 1);
      maxLayer = Math.max(maxLayer, l);
      const n = graph.nodes.get(id)!;
      nodes.push({id, rule: n.rule.name, deps: n.deps.filter((d) => inSet.has(d)), lane: name, layer: l, x: LEFT + l * (NODE_W + COL_GAP), y: y + row * (NODE_H + ROW_GAP)});
    }
    const rows = Math.max(...rowsAt.values());
    const height = rows * (NODE_H + ROW_GAP) - ROW_GAP;
    lanes.push({name, y: y - 6, height: height + 12});
    y += height + LANE_GAP + 12;
  }
  return {nodes, lanes, width: LEFT + (maxLayer + 1) * (NODE_W + COL_GAP), height: y, nodeWidth: NODE_W, nodeHeight: NODE_H};
}
