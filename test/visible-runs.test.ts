/**
 * Issue 14 #2, visible runs: the log path when a node starts (plain output), the argv of a failed
 * run (on screen, in --json and atop its log), `--stream`/`-v` tool output prefixed `[node-id]`,
 * `-B/--force` reruns the named targets ignoring the cache (not their dependencies).
 */
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, executedIds, shConfig, summaryOf} from './util/workspace-rig.ts';

const test = suite('visible-runs');

const config = shConfig(`    a: sh({script: 'echo "first line"; echo "second line" >&2; echo a > "$1"', outputs: ['out/a']}),
    b: sh({script: 'cat "$1" > "$2"; echo b >> "$2"', inputs: ['out/a'], outputs: ['out/b']}),
    bad: sh({script: 'echo "loading"; exit 3', outputs: ['out/bad']}),`);

test('a started node names its log at once; the log starts with the command', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const r = await rig.exec(['a']);
  assert.is(r.code, 0, r.stderr);
  const log = /▶ run +a .*\n {2}log: (\S+)\n/.exec(r.stderr)?.[1];
  assert.ok(log, r.stderr);
  assert.match(log!, /^\.bevbuild\/logs\/a\..+\.log$/, 'relative to where bevbuild was started');
  const text = readFileSync(join(rig.dir, log!), 'utf8');
  assert.match(text, /^\[bevbuild\] a \(run [^)]+\)\n\[bevbuild\] cwd: .+\n\[bevbuild\] argv: bash -c .+ sh .+\/out\/a\n\nfirst line\nsecond line\n/);
}));

test('rule checks read the log as the tool wrote it, without the command header', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': shConfig(`    a: sh({script: 'echo "first line"; echo a > "$1"', outputs: ['out/a']}),`,
    `\n  check: async (_p, ctx) => { const log = await ctx.log(); return log === 'first line\\n' ? {ok: true, value: undefined} : {ok: false, error: {reason: 'check', message: JSON.stringify(log)}}; },`)});
  const r = await rig.exec(['a']);
  assert.is(r.code, 0, r.stderr);
}));

test('a failed run prints its argv (text and --json); the log tail shows the tool, not the header', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const r = await rig.exec(['bad']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /✘ failed {3}bad: bash exited with code 3\n {2}argv: bash -c 'echo "loading"; exit 3' sh \S+\/out\/bad\n {2}log: /);
  assert.not.match(r.stderr, /│ \[bevbuild\]/);
  const j = await rig.json(['bad']);
  const failed = j.events.find((e) => e['type'] === 'failed')!;
  assert.equal((failed['argv'] as string[]).slice(0, 3), ['bash', '-c', 'echo "loading"; exit 3']);
  assert.equal(failed['cause'], {kind: 'exit-non-zero', program: 'bash', exitCode: 3});
}));

test('--stream and -v show tool output prefixed with the node id; plain runs do not', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const plain = await rig.exec(['a']);
  assert.not.match(plain.stderr, /first line/);
  const streamed = await rig.exec(['a', '--stream', '-B']);
  assert.match(streamed.stderr, /\[a\] first line\n\[a\] second line\n/);
  const verbose = await rig.exec(['a', '-v', '-B']);
  assert.match(verbose.stderr, /\[a\] first line\n/);
  const j = await rig.json(['a', '--stream', '-B']);
  assert.equal(j.events.filter((e) => e['type'] === 'output').map((e) => e['line']), ['first line', 'second line']);
}));

test('-B/--force reruns the selected targets despite the cache, not their dependencies', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  assert.equal(executedIds((await rig.json(['b'])).events), ['a', 'b']);
  assert.equal(summaryOf((await rig.json(['b'])).events).executed, 0, 'a no-op without -B');
  const forced = await rig.json(['b', '-B']);
  assert.equal(executedIds(forced.events), ['b']);
  const start = forced.events.find((e) => e['type'] === 'start' && e['id'] === 'b')!;
  assert.equal(start['reasons'], ['forced (-B/--force)']);
  assert.equal(executedIds((await rig.json(['--force', 'a', 'b'])).events), ['a', 'b']);
  const plan = await rig.json(['-n', '-B', 'b']);
  assert.ok(plan.events.some((e) => e['type'] === 'plan' && e['id'] === 'b' && e['action'] === 'run'));
}));

test.run();
