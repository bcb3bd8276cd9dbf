/**
 * Issue 11 acceptance on the embedded demo: `lineage deploy/kitti/second` shows the dataset, the
 * config chain, the checkpoint, the ONNX, the INT8 IR and the validation; `audit --rebuild
 * deploy/kitti/second` re-runs the whole closure in a scratch workspace and every node is
 * reproducible (byte for byte, or in meaning where a rule declares itself nondeterministic).
 */
import {spawnSync} from 'node:child_process';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {makeDemoWorkspace} from './util/demo-workspace.ts';
import {withTimeout} from './util/rig-test.ts';
import {BEVBUILD} from './util/workspace-rig.ts';

const test = suite('e2e-audit-demo');

function bevbuild(dir: string, args: string[]) {
  return spawnSync(process.execPath, [BEVBUILD, ...args], {cwd: dir, encoding: 'utf8', env: {...process.env, CI: '1'}, maxBuffer: 64 << 20});
}

test('lineage and audit --rebuild of deploy/kitti/second on the demo', withTimeout(async () => {
  const ws = makeDemoWorkspace();
  try {
    const built = bevbuild(ws.dir, ['deploy/kitti/second']);
    assert.is(built.status, 0, built.stderr.slice(-3000));

    const lineage = bevbuild(ws.dir, ['lineage', 'deploy/kitti/second']);
    assert.is(lineage.status, 0, lineage.stderr);
    const text = lineage.stdout;
    for (const s of [
      'file deploy/data/kitti/second/bevfusion_unified_int8.xml', // each deploy file, traced back
      '= demo/training/export/int8_kitti/bevfusion_unified_int8.xml (int8/kitti/second)',
      'data/kitti/raw  demo/synthetic-dataset', // the dataset
      'config    demo/training/configs/Kitti/det/centerhead/secfpn/camera+lidar/resnet34/bevpoolv2.yaml', // the config chain…
      'config    demo/training/configs/Kitti/default.yaml',
      'config    demo/training/configs/default.yaml',
      'demo/training/work_dirs/Kitti/bevpoolv2/epoch_3.pth [checkpoint]',
      'demo/training/export/onnx_kitti/bevfusion_unified.onnx [onnx]',
      'demo/training/export/int8_kitti/bevfusion_unified_int8.xml [openvino-ir]',
      'validate/kitti/second  validate-int8',
      'verdict   passed',
      'toolchain env/openvino: python',
    ]) assert.ok(text.includes(s), `lineage lacks "${s}":\n${text}`);

    const audit = bevbuild(ws.dir, ['audit', '--rebuild', 'deploy/kitti/second', '--json']);
    const events = audit.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const bad = events.filter((e) => e['type'] === 'audit-rebuild-node' && !String(e['status']).startsWith('reproducible'));
    assert.is(audit.status, 0, `not reproducible: ${JSON.stringify(bad, null, 1)}\n${audit.stderr.slice(-2000)}`);
    const summary = events.find((e) => e['type'] === 'audit-rebuild')!;
    assert.ok((summary['rerun'] as number) >= 10, `re-ran the closure (${summary['rerun']} nodes)`);
  } finally {
    ws.dispose();
  }
}, 40 * 60_000));

test.run();
