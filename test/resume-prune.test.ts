/**
 * Kept partial runs of keys no node has any more (issue 15 review): `cache prune` plans the config
 * and drops those of a removed sweep point and of a node whose params changed, listing them with
 * their size; it keeps the partial run of a key a node still has, and every run of a node it cannot
 * key yet (a dependency will run first). `clean <id>` lists the partial runs it removes, also of an
 * id since removed from the config.
 */
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {shConfig, WorkspaceRig} from './util/workspace-rig.ts';
import {partials} from './util/demo-train-workspace.ts';
import {withTimeout} from './util/rig-test.ts';

const test = suite('resume-prune');

const RESUME = `
  resume: (p) => ({dir: p.outputs[0].split('/')[0], checkpoint: {prefix: 'epoch_', suffix: '.pth'}, args: (c) => ['--resume', c.path]}),`;
// Writes two checkpoints beside its output and fails: a partial run is kept.
const FAILS = 'd=$(dirname "${@: -1}"); mkdir -p "$d"; head -c 3000 /dev/zero > "$d/epoch_1.pth"; head -c 3000 /dev/zero > "$d/epoch_2.pth"; exit 1';
const node = (id: string, dir: string, env: Record<string, string>, inputs: string[] = []) =>
  `    '${id}': sh({script: ${JSON.stringify(FAILS)}, inputs: ${JSON.stringify(inputs)}, outputs: ['${dir}/final.pth'], env: ${JSON.stringify(env)}}),`;
const dep = (text: string) => `    dep: sh({script: 'echo ${text} > "$1"', outputs: ['d/out']}),`;

test('cache prune drops the partial runs of a removed sweep point and a changed node, keeps current and unkeyable ones', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const write = (lines: string[]) => rig.write({'bevbuild.config.ts': shConfig(lines.join('\n'), RESUME)});
  write([node('train/x@lr=1', 'w1', {LR: '1'}), node('train/x@lr=2', 'w2', {LR: '2'}), node('train/y', 'w3', {}), dep('a'), node('train/z', 'w4', {}, ['d/out'])]);
  assert.is((await rig.exec(['build', '-k', 'train/**'])).code, 1);
  const kept = partials(rig.dir);
  assert.is(Object.keys(kept).length, 4, 'one partial run per training node');
  const before = new Set(Object.keys(kept));

  // lr=2 removed from the sweep, lr=1's params changed, y unchanged, z waits for a dep that will run.
  write([node('train/x@lr=1', 'w1', {LR: '1', WARMUP: '5'}), node('train/y', 'w3', {}), dep('b'), node('train/z', 'w4', {}, ['d/out'])]);
  const yResume = (await rig.json(['status'])).events.find((e) => e['id'] === 'train/y')!['resume'];
  assert.ok(yResume, 'train/y still resumes');
  const r = await rig.exec(['cache', 'prune', '--max-size', '10G']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /removed 2 no longer current partial run\(s\) \(0\.0 MiB\):\n {2}train\/x@lr=1 \(key [0-9a-f]{12}…, epoch_2\.pth, 0\.0 MiB\)\n {2}train\/x@lr=2 \(key|removed 2 no longer current partial run\(s\) \(0\.0 MiB\):\n {2}train\/x@lr=2 \(key [0-9a-f]{12}…, epoch_2\.pth, 0\.0 MiB\)\n {2}train\/x@lr=1 \(key/);
  const left = Object.keys(partials(rig.dir));
  assert.is(left.length, 2);
  assert.ok(left.every((k) => before.has(k)));
  assert.match((await rig.exec(['status', 'train/y'])).stdout, /will resume from epoch_2\.pth/, 'the current key\'s run survives');

  const clean = await rig.exec(['clean', 'train/y']);
  assert.match(clean.stderr, /removed 1 partial run\(s\) \(0\.0 MiB\): train\/y \(key [0-9a-f]{12}…, epoch_2\.pth, 0\.0 MiB\)/);
  const json = JSON.parse((await rig.exec(['cache', 'prune', '--max-size', '10G', '--json'])).stdout) as Record<string, unknown>;
  assert.equal([json['removedPartialRuns'], json['partialRuns']], [0, []], 'train/z (not keyable before dep runs) is kept');
  assert.is(Object.keys(partials(rig.dir)).length, 1);
}));

test('clean reaches the partial runs of an id no longer in the config; an id with none is still unknown', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const write = (lines: string[]) => rig.write({'bevbuild.config.ts': shConfig(lines.join('\n'), RESUME)});
  write([node('train/x@lr=1', 'w1', {LR: '1'}), node('train/x@lr=2', 'w2', {LR: '2'})]);
  assert.is((await rig.exec(['build', '-k', 'train/**'])).code, 1);
  assert.is(Object.keys(partials(rig.dir)).length, 2);
  write([node('train/x@lr=1', 'w1', {LR: '1'})]); // lr=2 dropped from the sweep
  const unknown = await rig.exec(['clean', 'train/x@lr=3']);
  assert.is(unknown.code, 2, 'an id that names nothing is a usage error, as before');
  const r = await rig.exec(['clean', 'train/x@lr=2']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^removed 1 partial run\(s\) \(0\.0 MiB\): train\/x@lr=2 \(key [0-9a-f]{12}…, epoch_2\.pth, 0\.0 MiB\)\n$/);
  const keptFor = Object.keys(partials(rig.dir)).map((k) => (JSON.parse(rig.read(`.bevbuild/partial/${k}/info.json`)) as {nodeId: string}).nodeId);
  assert.equal(keptFor, ['train/x@lr=1'], 'the current node\'s run is untouched');
  // Both kinds at once: a node in the config and a removed one.
  write([node('train/x@lr=1', 'w1', {LR: '1'}), node('train/x@lr=2', 'w2', {LR: '2'})]);
  assert.is((await rig.exec(['build', '-k', 'train/x@lr=2'])).code, 1);
  write([node('train/x@lr=1', 'w1', {LR: '1'})]);
  const both = await rig.exec(['clean', 'train/x@lr=1', 'train/x@lr=2']);
  assert.is(both.code, 0, both.stderr);
  assert.match(both.stderr, /of 1 artifact\(s\); removed 2 partial run\(s\)/);
  assert.is(Object.keys(partials(rig.dir)).length, 0);
}));

test.run();
