/** Issue 2 acceptance: failures record nothing; Ctrl-C kills the tool's process group; concurrent runs. */
import {existsSync, readFileSync} from 'node:fs';
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, executedIds, shConfig, summaryOf} from './util/workspace-rig.ts';

const test = suite('engine-failures');

test('a tool that exits 0 without a declared output fails the node and records nothing', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'bevbuild.config.ts': shConfig(`    a: sh({script: 'echo partial > "$1"; test -f ok && echo done > "$2"; exit 0', outputs: ['out/a.txt', 'out/b.txt']}),
    z: sh({script: 'cat "$1" > "$2"', inputs: ['out/b.txt'], outputs: ['out/z.txt']}),`),
  });
  const r = await rig.json(['z']);
  assert.is(r.code, 1);
  const failed = r.events.find((e) => e['type'] === 'failed')!;
  assert.is(failed['id'], 'a');
  assert.is(failed['reason'], 'output-missing');
  assert.equal(failed['cause'], {kind: 'output-missing', paths: ['out/b.txt'], exitCode: 0}, '--json: the failure as data too');
  const details = failed['details'] as string[];
  assert.is(details[0], 'missing: out/b.txt');
  const kept = /partial outputs kept in (\S+)/.exec(details[1]!)![1]!;
  assert.is(readFileSync(`${kept}/out/a.txt`, 'utf8'), 'partial\n', 'what the tool did write is kept for inspection');
  const skipped = r.events.find((e) => e['type'] === 'skipped')!;
  assert.equal([skipped['id'], skipped['because'], skipped['cause']], ['z', 'dependency a did not build', {kind: 'dependency-failed', dependency: 'a'}], 'why, in words and as data');
  assert.not.ok(rig.exists('out/a.txt'), 'nothing half-written lands in the workspace');
  assert.not.ok(existsSync(rig.path('.bevbuild/state/nodes.json')) && readFileSync(rig.path('.bevbuild/state/nodes.json'), 'utf8').includes('"a"'));
  rig.write({ok: ''});
  const again = await rig.json(['z']);
  assert.is(again.code, 0);
  assert.equal(executedIds(again.events), ['a', 'z']);
}));

test('a failed node\'s message names the kept copy of its staging dir, not the deleted one', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'bevbuild.config.ts': shConfig(`    v: sh({script: 'mkdir -p "$1"; echo "<p>FAIL</p>" > "$1/report.html"; echo "report: $1/report.html" >&2; exit 1', outputs: ['out/validation']}),`),
  });
  const r = await rig.json(['v']);
  assert.is(r.code, 1);
  const details = r.events.find((e) => e['type'] === 'failed')!['details'] as string[];
  const report = /^report: (\S+)$/.exec(details.find((d) => d.startsWith('report: '))!)![1]!;
  assert.match(report, /\.outputs\/out\/validation\/report\.html$/);
  assert.is(readFileSync(report, 'utf8'), '<p>FAIL</p>\n', 'the path in the message opens the report');
  const log = readFileSync(String(r.events.find((e) => e['type'] === 'failed')!['logFile']), 'utf8');
  assert.match(log, /\[bevbuild\] the staging dir \S+ named above was kept as \S+\.outputs/);
}));

test('a failing tool shows its log tail and exit code 1; stop-starting-new vs --keep-going', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'bevbuild.config.ts': shConfig(`    bad: sh({script: 'echo "loading weights"; echo "RuntimeError: size mismatch" >&2; exit 3', outputs: ['out/bad']}),
    good: sh({script: 'sleep 0.5; echo ok > "$1"', outputs: ['out/good']}),`),
  });
  const r = await rig.exec(['bad', 'good', '-j', '1']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /✘ failed {3}bad: bash exited with code 3/);
  assert.match(r.stderr, /│ RuntimeError: size mismatch/);
  assert.match(r.stderr, /skipped {2}good \(build stopped after a failure/);
  const k = await rig.json(['bad', 'good', '-j', '1', '--keep-going']);
  assert.is(k.code, 1);
  assert.equal(executedIds(k.events), ['good']);
}));

test('Ctrl-C kills the process group, records nothing, and the next build reruns the node', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'bevbuild.config.ts': shConfig(`    slow: sh({script: 'if [ ! -f second ]; then (sleep 60; echo late > "$1") & echo $! > grandchild.pid; echo started > started; wait; fi; echo done > "$1"', outputs: ['out/slow.txt']}),`),
  });
  const run = rig.spawn(['slow']);
  for (let i = 0; i < 200 && !rig.exists('started'); i++) await sleep(50);
  assert.ok(rig.exists('started'), 'tool started');
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.is(r.code, 130, r.stderr);
  const gpid = Number(rig.read('grandchild.pid'));
  await sleep(300);
  // Dead means gone or a zombie (orphans may be reparented to a PID 1 that does not reap).
  const stat = existsSync(`/proc/${gpid}/stat`) ? readFileSync(`/proc/${gpid}/stat`, 'utf8') : '';
  const alive = stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
  assert.not.ok(alive, 'the tool\'s background child was killed with its process group');
  assert.not.ok(rig.exists('out/slow.txt'));
  rig.write({second: ''});
  const again = await rig.json(['slow']);
  assert.equal(executedIds(again.events), ['slow']);
}));

test('two concurrent bevbuild runs on one workspace both finish correctly', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'bevbuild.config.ts': shConfig(`    a: sh({script: 'sleep 1; echo a > "$1"', outputs: ['out/a']}),
    b: sh({script: 'cat "$1" "$1" > "$2"', inputs: ['out/a'], outputs: ['out/b']}),`),
  });
  const one = rig.spawn(['b', '--json']);
  await sleep(150);
  const two = rig.spawn(['b', '--json']);
  const [r1, r2] = await Promise.all([one.done, two.done]);
  assert.is(r1.code, 0, r1.stderr);
  assert.is(r2.code, 0, r2.stderr);
  const s = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!) as {executed: number; fresh: number};
  assert.is(s(r1.stdout).executed + s(r2.stdout).executed, 2, 'each node ran exactly once');
  assert.match(r2.stdout + r1.stdout, /another bevbuild \(pid \d+\) is building this workspace; waiting/);
  assert.is(rig.read('out/b'), 'a\na\n');
  const third = await rig.json(['b']);
  assert.is(summaryOf(third.events).fresh, 2);
}));

test('ctx.outDir hands a tool the staging dir of its outputs, and refuses a dir holding none', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const dirRule = `
const toDir = defineRule({
  name: 'test/to-dir',
  version: 1,
  params: z.object({dir: z.string(), outputs: z.array(z.string())}).strict(),
  outputs: (p) => p.outputs,
  argv: (p, ctx) => ['bash', '-c', 'for f in a b; do echo $f > "$1/$f.txt"; done', 'sh', ctx.outDir(p.dir)],
});
`;
  rig.write({
    'bevbuild.config.ts': shConfig(`    good: toDir({dir: 'out/d', outputs: ['out/d/a.txt', 'out/d/b.txt']}),
    bad: toDir({dir: 'out/elsewhere', outputs: ['out/e/a.txt']}),`).replace('export default', `${dirRule}\nexport default`),
  });
  const r = await rig.json(['good']);
  assert.is(r.code, 0, r.stderr);
  assert.is(rig.read('out/d/b.txt'), 'b\n', 'the tool wrote into the staging dir, and bevbuild placed the outputs');
  const bad = await rig.exec(['bad']);
  assert.is.not(bad.code, 0);
  assert.match(bad.stderr + bad.stdout, /ctx\.outDir\("out\/elsewhere"\) holds no declared output of bad/);
}));

test.run();
