/**
 * Issue 15 item 2 acceptance on the demo toolchain: the embedded default's 2×2 sweep
 * (`sweep/kitti/second/…`: lr × epochs of Pipeline B's training, val recall per point) picks the
 * checkpoint with the best recall and exports it; adding a fifth point re-runs exactly that point's
 * training and evaluation and the selection — the export downstream stays fresh.
 * The demo's bev env is the pinned test venv (a superset of demo/requirements-bev.txt) as an
 * existing env, so the test does not pip-install; the dataset is small (12 frames).
 */
import {readFileSync, writeFileSync} from 'node:fs';
import {spawnSync} from 'node:child_process';
import {dirname, join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {makeDemoWorkspace} from './util/demo-workspace.ts';
import {ensureVenv} from './util/venv.ts';
import {BEVBUILD, executedIds} from './util/workspace-rig.ts';

const test = suite('sweep-demo');

function bevbuild(dir: string, args: string[]) {
  const r = spawnSync(process.execPath, [BEVBUILD, ...args, '--json'], {cwd: dir, encoding: 'utf8', env: {...process.env, CI: '1', BEVBUILD_DEMO_FRAMES: '12'}, maxBuffer: 64 << 20});
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return {code: r.status, events, stderr: r.stderr, stdout: r.stdout};
}

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${file} has "${from}"`);
  writeFileSync(file, text.replace(from, to));
}

interface Selection {
  winner: {id: string; value: number};
  candidates: {id: string; params: {lr: number; ep: number}; value: number; metrics: string}[];
}

test('the demo sweep picks the best recall; a fifth point re-runs one train, one eval and the selection only', withTimeout(async () => {
  const ws = makeDemoWorkspace();
  try {
    const config = join(ws.dir, 'bevbuild.config.ts');
    const venv = dirname(dirname(ensureVenv('demo/requirements-openvino.txt')));
    edit(config, "['env/bev', pythonVenv({name: 'bev', requirements: 'demo/requirements-bev.txt'})]", `['env/bev', externalPython({name: 'bev', prefix: ${JSON.stringify(venv)}})]`);
    edit(config, "import {pythonVenv} from './rules/python-venv.ts';", "import {pythonVenv} from './rules/python-venv.ts';\nimport {externalPython} from './rules/env/external-python.ts';");

    // The sweep is off the deploy path: deploy/kitti/second does not wait for it.
    const graph = spawnSync(process.execPath, [BEVBUILD, 'graph', 'deploy/kitti/second', '--format', 'json'], {cwd: ws.dir, encoding: 'utf8'});
    assert.is(graph.status, 0, graph.stderr);
    assert.not.ok((JSON.parse(graph.stdout) as {nodes: {id: string}[]}).nodes.some((n) => n.id.startsWith('sweep/')));

    const first = bevbuild(ws.dir, ['sweep/kitti/second/onnx']);
    assert.is(first.code, 0, `${JSON.stringify(first.events.filter((e) => e['type'] === 'failed'))}\n${first.stderr.slice(-3000)}`);
    const POINTS = ['lr=1e-3,ep=2', 'lr=1e-3,ep=3', 'lr=3e-3,ep=2', 'lr=3e-3,ep=3'];
    const ran = executedIds(first.events);
    for (const pt of POINTS) for (const kind of ['train', 'eval']) assert.ok(ran.includes(`sweep/kitti/second/${kind}@${pt}`), `${kind}@${pt} ran: ${ran.join(' ')}`);
    for (const id of ['sweep/kitti/second/best', 'sweep/kitti/second/geometry', 'sweep/kitti/second/onnx']) assert.ok(ran.includes(id), id);

    // The winner is the best val recall of the metric files the evaluations wrote (ties: fewer epochs, then matrix order).
    const bestDir = join(ws.dir, 'build/sweep/kitti/second/best');
    const sel = JSON.parse(readFileSync(join(bestDir, 'selection.json'), 'utf8')) as Selection;
    assert.equal(sel.candidates.map((c) => c.id), POINTS.map((p) => `sweep/kitti/second/train@${p}`));
    const recalls = sel.candidates.map((c) => (JSON.parse(readFileSync(join(ws.dir, c.metrics), 'utf8')) as {recall: number}).recall);
    assert.equal(sel.candidates.map((c) => c.value), recalls);
    const top = Math.max(...recalls);
    const expected = sel.candidates.filter((c) => c.value === top).sort((a, b) => a.params.ep - b.params.ep)[0]!;
    assert.is(sel.winner.id, expected.id);
    const slug = expected.id.split('@')[1]!.replace(/=/g, '-').replace(/,/g, '+');
    const ckpt = join(ws.dir, 'demo/training/work_dirs/Kitti/sweep', slug, `epoch_${expected.params.ep}.pth`);
    assert.ok(readFileSync(join(bestDir, 'model.pth')).equals(readFileSync(ckpt)), 'best/model.pth is the winner\'s checkpoint');
    console.log(`  recalls ${POINTS.map((p, i) => `${p}: ${recalls[i]}`).join(', ')} → ${sel.winner.id}`);

    // A fifth point (a learning rate far too small to beat the others).
    edit(config, 'const SWEEP_POINTS = [...matrixPoints({lr: [1e-3, 3e-3], ep: [2, 3]})];', 'const SWEEP_POINTS = [...matrixPoints({lr: [1e-3, 3e-3], ep: [2, 3]}), {lr: 1e-5, ep: 3}];');
    const onnx = readFileSync(join(ws.dir, 'demo/training/export/onnx_sweep_kitti/bevfusion_unified.onnx'));
    const fifth = bevbuild(ws.dir, ['sweep/kitti/second/onnx']);
    assert.is(fifth.code, 0, fifth.stderr.slice(-3000));
    assert.equal(executedIds(fifth.events), ['sweep/kitti/second/best', 'sweep/kitti/second/eval@lr=1e-5,ep=3', 'sweep/kitti/second/train@lr=1e-5,ep=3']);
    const after = JSON.parse(readFileSync(join(bestDir, 'selection.json'), 'utf8')) as Selection;
    assert.is(after.candidates.length, 5);
    assert.is(after.winner.id, sel.winner.id);
    assert.ok(after.candidates[4]!.value < top, `the fifth point's recall ${after.candidates[4]!.value} < ${top}`);
    assert.ok(readFileSync(join(ws.dir, 'demo/training/export/onnx_sweep_kitti/bevfusion_unified.onnx')).equals(onnx), 'the export was left alone');
  } finally {
    ws.dispose();
  }
}, 15 * 60_000));

test.run();
