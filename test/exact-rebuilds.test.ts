/**
 * Issue 17: exactly what changed rebuilds, and the plan says why where the cause is — a renamed
 * node reruns nothing, a dry run separates "will run" from "may run (unless its inputs come out
 * unchanged)", a node reading an edited file directly says so, a tampered file in an output
 * directory is named.
 */
import {rmSync, writeFileSync} from 'node:fs';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, executedIds, shConfig, summaryOf} from './util/workspace-rig.ts';

const test = suite('exact-rebuilds');

type Ev = Record<string, unknown>;
const plans = (events: Ev[]) => new Map(events.filter((e) => e['type'] === 'plan').map((e) => [e['id'] as string, e]));
const pick = (e: Ev | undefined) => e && {action: e['action'], reasons: e['reasons'], ...(e['mayCutOff'] ? {mayCutOff: true} : {})};

/** geometry reads the config and the checkpoint; onnx reads the config, the checkpoint and the geometry; deploy publishes a directory. */
const pipeline = (geometryId = 'geometry/kitti') =>
  shConfig(`    'train/kitti': sh({script: 'cat "$1" "$2" > "$3"', inputs: ['cfg/default.yaml', 'src/data.txt'], outputs: ['work/ckpt']}),
    '${geometryId}': sh({script: 'wc -c < "$2" > "$3"', inputs: ['cfg/default.yaml', 'work/ckpt'], outputs: ['export/geo.bin']}),
    'onnx/kitti': sh({script: 'cat "$1" "$2" "$3" > "$4"', inputs: ['cfg/default.yaml', 'work/ckpt', 'export/geo.bin'], outputs: ['export/model.onnx']}),
    'int8/kitti': sh({script: 'tr a-z A-Z < "$1" > "$2"', inputs: ['export/model.onnx'], outputs: ['export/int8.xml']}),
    'deploy/kitti': sh({script: 'mkdir -p "$3" && cp "$1" "$3/model.xml" && cp "$2" "$3/geo.bin"', inputs: ['export/int8.xml', 'export/geo.bin'], outputs: ['deploy/kitti']}),`);

async function built(): Promise<WorkspaceRig> {
  const rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': pipeline(), 'cfg/default.yaml': 'lr: 1\n', 'src/data.txt': 'frames\n'});
  const r = await rig.json(['deploy/kitti']);
  assert.is(r.code, 0, r.stderr);
  assert.is(summaryOf(r.events).executed, 5);
  return rig;
}

test('renaming an intermediate node (same definition) executes nothing', withTimeout(async () => {
  await using rig = await built();
  rig.write({'bevbuild.config.ts': pipeline('geom/kitti')});
  const plan = await rig.json(['deploy/kitti', '--dry-run']);
  assert.ok([...plans(plan.events).values()].every((e) => e['action'] === 'fresh'), JSON.stringify(plan.events));
  const r = await rig.json(['deploy/kitti']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(executedIds(r.events), []);
  assert.is(summaryOf(r.events).restored, 0, 'the renamed node adopts its outputs already on disk');
  // …and renaming it back is just as free.
  rig.write({'bevbuild.config.ts': pipeline()});
  assert.equal(executedIds((await rig.json(['deploy/kitti'])).events), []);
}));

test('the dry run separates will-run from may-run, with direct reasons where a node reads the edited file', withTimeout(async () => {
  await using rig = await built();
  rig.write({'cfg/default.yaml': 'lr: 2\n'});
  const plan = await rig.json(['deploy/kitti', '--dry-run']);
  const p = plans(plan.events);
  assert.equal(pick(p.get('train/kitti')), {action: 'run', reasons: ['input-changed: cfg/default.yaml']});
  assert.equal(pick(p.get('geometry/kitti')), {action: 'run', reasons: ['input-changed: cfg/default.yaml', 'dependency-will-run: train/kitti']});
  assert.equal(pick(p.get('onnx/kitti')), {action: 'run', reasons: ['input-changed: cfg/default.yaml', 'dependency-will-run: geometry/kitti']});
  assert.equal(pick(p.get('int8/kitti')), {action: 'run', reasons: ['dependency-will-run: onnx/kitti'], mayCutOff: true});
  assert.equal(pick(p.get('deploy/kitti')), {action: 'run', reasons: ['dependency-will-run: geometry/kitti'], mayCutOff: true});
  assert.equal(plan.events.find((e) => e['type'] === 'plan-summary'), {type: 'plan-summary', run: 3, mayRun: 2, restore: 0, fresh: 0});

  const text = await rig.exec(['deploy/kitti', '--dry-run']);
  assert.match(text.stderr, /may run int8\/kitti {2}\(dependency-will-run: onnx\/kitti\)/);
  assert.match(text.stderr, /3 will run, 2 may run/);
  const status = (await rig.exec(['status'])).stdout;
  assert.match(status, /\? may run int8\/kitti {2}dependency-will-run: onnx\/kitti/);
  assert.match(status, /0 fresh, 5 to rebuild or restore \(2 of them only if what they wait for comes out changed\)/);
  const why = (await rig.exec(['why', 'deploy/kitti'])).stdout;
  assert.match(why, /deploy\/kitti: may run \(unless what it waits for comes out unchanged\) — dependency-will-run: geometry\/kitti/);
  const roots = why.split('root causes:\n')[1]!.split('\n\n')[0]!.split('\n').sort();
  assert.equal(roots, ['  geometry/kitti: input-changed: cfg/default.yaml', '  onnx/kitti: input-changed: cfg/default.yaml', '  train/kitti: input-changed: cfg/default.yaml']);
}));

test('a may-run node whose inputs come out unchanged is cut off, as the plan said it might be', withTimeout(async () => {
  await using rig = await built();
  // train's output is the same bytes after this edit (a trailing-space change the tool drops).
  rig.write({'bevbuild.config.ts': pipeline().replace(`'cat "$1" "$2" > "$3"'`, `'cat "$1" "$2" > "$3" '`)});
  const plan = await rig.json(['deploy/kitti', '--dry-run']);
  const p = plans(plan.events);
  assert.equal(pick(p.get('train/kitti')), {action: 'run', reasons: ['param-changed: script']});
  assert.ok(p.get('geometry/kitti')!['mayCutOff'], 'geometry waits only for train');
  const r = await rig.json(['deploy/kitti']);
  assert.equal(executedIds(r.events), ['train/kitti']);
}));

test('a tampered file in an output directory is named, not only the directory', withTimeout(async () => {
  await using rig = await built();
  rmSync(rig.path('deploy/kitti/model.xml'));
  writeFileSync(rig.path('deploy/kitti/model.xml'), 'tampered\n');
  rmSync(rig.path('deploy/kitti/geo.bin'));
  writeFileSync(rig.path('deploy/kitti/extra.txt'), 'x\n');
  const plan = await rig.json(['deploy/kitti', '--dry-run']);
  assert.equal(plans(plan.events).get('deploy/kitti')!['reasons'], ['output-added: deploy/kitti/extra.txt', 'output-modified: deploy/kitti/model.xml', 'output-missing: deploy/kitti/geo.bin']);
  const why = (await rig.exec(['why', 'deploy/kitti'])).stdout;
  assert.match(why, /deploy\/kitti: would restore — .*output-modified: deploy\/kitti\/model\.xml/);
  const r = await rig.json(['deploy/kitti']);
  assert.is(summaryOf(r.events).executed, 0);
  assert.is(rig.read('deploy/kitti/model.xml'), rig.read('export/int8.xml'), 'restored from the store');
}));

test.run();
