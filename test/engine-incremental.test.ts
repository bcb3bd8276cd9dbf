/** Issue 2 acceptance: incremental builds, early cutoff, restores, and hand edits detected and repaired. */
import {utimesSync, rmSync, chmodSync, writeFileSync} from 'node:fs';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, executedIds, shConfig, summaryOf} from './util/workspace-rig.ts';

const test = suite('engine-incremental');

const chain = (envB = 'one') =>
  shConfig(`    a: sh({script: 'cat "$1" > "$2"; echo a >> "$2"', inputs: ['src/in.txt'], outputs: ['out/a.txt']}),
    b: sh({script: 'tr a-z A-Z < "$1" > "$2"; echo "$MODE" >> "$2"', inputs: ['out/a.txt'], outputs: ['out/b.txt'], env: {MODE: '${envB}'}}),
    c: sh({script: 'wc -c < "$1" > "$2"', inputs: ['out/b.txt'], outputs: ['out/c.txt']}),`);

async function fresh3(): Promise<WorkspaceRig> {
  const rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': chain(), 'src/in.txt': 'hello\n'});
  const r = await rig.json(['c']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(executedIds(r.events), ['a', 'b', 'c']);
  return rig;
}

test('a 3-node chain builds, then a second run and a touch execute nothing', withTimeout(async () => {
  await using rig = await fresh3();
  assert.is(rig.read('out/c.txt').trim(), '12');
  let r = await rig.json(['c']);
  assert.equal(summaryOf(r.events), {type: 'summary', executed: 0, restored: 0, fresh: 3, failed: 0, durationMs: (summaryOf(r.events) as never as {durationMs: number}).durationMs} as never);
  const t = new Date(Date.now() + 5000);
  utimesSync(rig.path('src/in.txt'), t, t);
  r = await rig.json(['c']);
  assert.is(summaryOf(r.events).executed, 0, 'touch without content change');
}));

test('changing an input rebuilds exactly the affected nodes', withTimeout(async () => {
  await using rig = await fresh3();
  rig.write({'src/in.txt': 'hello world\n'});
  const plan = await rig.json(['c', '--dry-run']);
  const a = plan.events.find((e) => e['id'] === 'a')!;
  assert.equal({type: a['type'], id: a['id'], action: a['action'], reasons: a['reasons']}, {type: 'plan', id: 'a', action: 'run', reasons: ['input-changed: src/in.txt']});
  assert.equal(a['causes'], [{kind: 'input-changed', path: 'src/in.txt'}], 'the reasons as data too');
  assert.equal(a['argv'], ['bash', '-c', 'cat "$1" > "$2"; echo a >> "$2"', 'sh', '$WS/src/in.txt', '$OUT/out/a.txt'], 'the plan shows the exact command');
  const r = await rig.json(['c']);
  assert.equal(executedIds(r.events), ['a', 'b', 'c']);
  assert.is(rig.read('out/c.txt').trim(), '18');
}));

test('a rebuilt node with byte-identical outputs does not rebuild its dependents (early cutoff)', withTimeout(async () => {
  await using rig = await fresh3();
  // New script, same output bytes: a reruns, b and c stay fresh.
  rig.write({'bevbuild.config.ts': chain().replace(`'cat "$1" > "$2"; echo a >> "$2"'`, `'cat "$1" > "$2" && echo a >> "$2"'`)});
  const r = await rig.json(['c']);
  assert.equal(executedIds(r.events), ['a']);
  assert.is(summaryOf(r.events).fresh, 2);
}));

test('changing a param, a declared env value or the rule version rebuilds', withTimeout(async () => {
  await using rig = await fresh3();
  rig.write({'bevbuild.config.ts': chain('two')});
  let plan = await rig.json(['c', '--dry-run']);
  assert.equal(plan.events.find((e) => e['id'] === 'b')!['reasons'], ['param-changed: env.MODE', 'env-changed: MODE']);
  let r = await rig.json(['c']);
  assert.equal(executedIds(r.events), ['b', 'c']);
  r = await rig.json(['c'], {RULE_VERSION: '2'});
  assert.equal(executedIds(r.events), ['a', 'b', 'c']);
  plan = await rig.json(['c', '--dry-run'], {RULE_VERSION: '2'});
  assert.ok(plan.events.filter((e) => e['type'] === 'plan').every((e) => e['action'] === 'fresh'));
  assert.equal(plan.events.find((e) => e['type'] === 'plan-summary'), {type: 'plan-summary', run: 0, mayRun: 0, restore: 0, fresh: 3});
}));

test('a deleted output is restored from the store with 0 executions', withTimeout(async () => {
  await using rig = await fresh3();
  rmSync(rig.path('out'), {recursive: true});
  const r = await rig.json(['c']);
  assert.equal(summaryOf(r.events).executed, 0);
  assert.equal(summaryOf(r.events).restored, 3);
  assert.is(rig.read('out/c.txt').trim(), '12');
}));

test('an output edited by hand is reported by status and audit and repaired by build', withTimeout(async () => {
  await using rig = await fresh3();
  // Outputs are read-only hardlinks into the store: replace the file as an editor would.
  rmSync(rig.path('out/b.txt'));
  writeFileSync(rig.path('out/b.txt'), 'tampered\n');
  const st = await rig.exec(['status']);
  assert.match(st.stdout, /b {2}output-modified: out\/b\.txt/);
  const audit = await rig.exec(['audit', 'c']);
  assert.is(audit.code, 1);
  assert.match(audit.stdout, /output-tampered\s+b out\/b\.txt/);
  const r = await rig.json(['c']);
  assert.equal(summaryOf(r.events).executed, 0);
  assert.equal(summaryOf(r.events).restored, 1);
  assert.is(rig.read('out/b.txt'), 'HELLO\nA\none\n');
  assert.is((await rig.exec(['audit', 'c'])).code, 0);
}));

test('a corrupted store object is detected and rebuilt', withTimeout(async () => {
  await using rig = await fresh3();
  const digest = (JSON.parse(rig.read('.bevbuild/state/nodes.json')) as {nodes: Record<string, {outputs: {digest: string}[]}>}).nodes['c']!.outputs[0]!.digest;
  rmSync(rig.path('out/c.txt'));
  const obj = rig.path(`.bevbuild/cache/objects/${digest.slice(0, 2)}/${digest.slice(2)}`);
  chmodSync(obj, 0o644);
  writeFileSync(obj, '999\n');
  const r = await rig.json(['c']);
  assert.is(r.code, 0);
  assert.equal(executedIds(r.events), ['c']);
  assert.ok(r.events.some((e) => e['type'] === 'warning'), 'a warning names the corrupt entry');
  assert.is(rig.read('out/c.txt').trim(), '12');
}));

test.run();
