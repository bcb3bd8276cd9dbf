/**
 * Issue 13: the graph view's layout stays readable at demo scale and beyond (≥ 100 nodes): every
 * edge points right, no two nodes overlap, and each dataset × pipeline sits on its own lane.
 */
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import type {Graph} from '../src/graph/graph.ts';
import {laneOf, layoutGraph} from '../src/ui/layout.ts';

const test = suite('ui-layout');

/** 4 datasets × 5 pipelines × (train, onnx, int8, validate, deploy) + datasets + 2 toolchains = 106 nodes. */
function bigGraph(): Graph {
  const deps = new Map<string, string[]>([['env/bev', []], ['env/openvino', []]]);
  for (const ds of ['kitti', 'v2x', 'nuscenes', 'waymo']) {
    deps.set(`data/${ds}/info`, []);
    for (const p of ['second', 'pointpillars', 'centerpoint', 'bevfusion', 'lite']) {
      const k = `${ds}/${p}`;
      deps.set(`train/${k}`, [`data/${ds}/info`, 'env/bev']);
      deps.set(`onnx/${k}`, [`train/${k}`, 'env/bev']);
      deps.set(`int8/${k}`, [`onnx/${k}`, 'env/openvino', `data/${ds}/info`]);
      deps.set(`validate/${k}`, [`int8/${k}`, `onnx/${k}`, 'env/openvino']);
      deps.set(`deploy/${k}`, [`int8/${k}`, `validate/${k}`]);
    }
  }
  const nodes = new Map([...deps].map(([id, d]) => [id, {id, deps: d, rule: {name: id.split('/')[0]}}]));
  return {root: '/ws', configFile: '', order: [...deps.keys()], nodes, outputOwner: new Map(), dependents: new Map()} as unknown as Graph;
}

test('106 nodes: edges point right, nothing overlaps, one lane per dataset × pipeline', () => {
  const g = bigGraph();
  const l = layoutGraph(g, g.order);
  assert.is(l.nodes.length, 106);
  const at = new Map(l.nodes.map((n) => [n.id, n]));
  for (const n of l.nodes) for (const d of n.deps) assert.ok(at.get(d)!.x + l.nodeWidth < n.x, `${d} → ${n.id} points right`);
  for (const a of l.nodes) {
    for (const b of l.nodes) {
      if (a === b) continue;
      const apart = a.x + l.nodeWidth <= b.x || b.x + l.nodeWidth <= a.x || a.y + l.nodeHeight <= b.y || b.y + l.nodeHeight <= a.y;
      assert.ok(apart, `${a.id} and ${b.id} overlap`);
    }
  }
  assert.is(l.lanes.length, 1 + 4 + 4 * 5, 'toolchains, one lane per dataset, one per dataset × pipeline');
  assert.is(l.lanes[0]!.name, 'env');
  assert.is(laneOf('deploy/kitti/second'), 'kitti/second');
  assert.is(laneOf('data/kitti/raw'), 'kitti');
  assert.is(laneOf('env/openvino'), 'env');
  for (const n of l.nodes) {
    const lane = l.lanes.find((x) => x.name === n.lane)!;
    assert.ok(n.y >= lane.y && n.y + l.nodeHeight <= lane.y + lane.height, `${n.id} inside its lane ${lane.name}`);
  }
  // Lanes do not overlap either.
  const ys = [...l.lanes].sort((a, b) => a.y - b.y);
  for (let i = 1; i < ys.length; i++) assert.ok(ys[i - 1]!.y + ys[i - 1]!.height <= ys[i]!.y);
});

test.run();
