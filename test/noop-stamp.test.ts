/**
 * Issue 12: the no-op stamp. A build that found everything fresh lets the next identical one answer
 * without loading the config; every change it cannot prove absent falls back to the full build.
 * Runs carry BEVBUILD_TIMING=1 (the same environment every time), whose stderr says which path ran.
 */
import {execFileSync} from 'node:child_process';
import {mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {API, WorkspaceRig, executedIds, shConfig, summaryOf} from './util/workspace-rig.ts';

const test = suite('noop-stamp');
const ENV = {BEVBUILD_TIMING: '1'};
const REPLAYED = 'no-op stamp replayed';

const config = (aScript = 'cat "$1" > "$2"') =>
  shConfig(`    a: sh({script: '${aScript}', inputs: ['src/in.txt'], outputs: ['out/a.txt']}),
    b: sh({script: 'cat "$1" "$1" > "$2"', inputs: ['out/a.txt'], outputs: ['out/b.txt']}),
    count: sh({script: 'ls "$1" | wc -l > "$2"', inputs: ['data'], outputs: ['out/count.txt']}),
    five: sh({script: 'cat "$1" > "$2"', inputs: ['data/5.bin'], outputs: ['out/five.txt']}),
    six: sh({script: 'cat "$1" > "$2"', inputs: ['data/6.bin'], outputs: ['out/six.txt']}),`);
const TARGETS = ['b', 'count', 'five', 'six'];

/** A built workspace whose next no-op leaves a stamp (its files are over a second old by then). */
async function stamped(files: Record<string, string> = {}): Promise<WorkspaceRig> {
  const rig = await WorkspaceRig.create();
  const data: Record<string, string> = {};
  for (let i = 0; i < 2000; i++) data[`data/${i}.bin`] = `${i}\n`;
  rig.write({'bevbuild.config.ts': config(), 'src/in.txt': 'hello\n', ...data, ...files});
  const built = await rig.json(TARGETS, ENV);
  assert.is(built.code, 0, built.stderr);
  const full = await untilStamped(rig, TARGETS);
  assert.is(summaryOf(full.events).executed, 0);
  assert.not.ok(full.stderr.includes(REPLAYED), 'the first no-op runs the full check');
  return rig;
}

/**
 * No-ops until one leaves a stamp. Files written within a second are not trusted (racy timestamps),
 * and a bevbuild whose sources were just edited makes a new bundle (a new engine): a few tries.
 */
async function untilStamped(rig: WorkspaceRig, targets: string[], env = ENV): Promise<Awaited<ReturnType<WorkspaceRig['json']>>> {
  let r;
  for (let i = 0; i < 4; i++) {
    await sleep(1100);
    r = await rig.json(targets, env);
    assert.is(r.code, 0, r.stderr);
    if (rig.exists('.bevbuild/state/noop-stamp.json')) return r;
  }
  assert.unreachable(`no stamp after 4 no-ops: ${r!.stderr}`);
  return r!;
}

test('a no-op after a no-op replays the stamp: same events, and the run is in the history', withTimeout(async () => {
  await using rig = await stamped();
  const full = await rig.json(TARGETS, {...ENV, BEVBUILD_NOOP_STAMP: 'off'});
  const fast = await rig.json(TARGETS, ENV);
  assert.is(fast.code, 0, fast.stderr);
  assert.ok(fast.stderr.includes(REPLAYED), fast.stderr);
  assert.not.ok(fast.stderr.includes('config loaded'), 'the config is not loaded');
  const fresh = (events: Record<string, unknown>[]) => events.filter((e) => e['type'] === 'done').map((e) => `${e['id']}:${e['status']}`).sort();
  assert.equal(fresh(fast.events), fresh(full.events));
  assert.equal({...summaryOf(fast.events), durationMs: 0}, {...summaryOf(full.events), durationMs: 0});
  const text = await rig.exec(TARGETS, ENV);
  assert.match(text.stderr, /ran 0 · restored 0 · fresh 5 · failed 0/);
  const summaries = readdirSync(rig.path('.bevbuild/history')).filter((f) => f.endsWith('.summary.json'));
  const last = JSON.parse(readFileSync(rig.path(`.bevbuild/history/${summaries.sort().at(-1)}`), 'utf8')) as {fresh: number};
  assert.is(last.fresh, 5);
}));

test('the bin answers a no-op from stat tuples alone, before the engine loads', withTimeout(async () => {
  await using rig = await stamped();
  assert.ok(rig.exists('.bevbuild/state/noop-fast.bin'));
  const r = await rig.json(TARGETS, ENV);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stderr.includes(`${REPLAYED} (stat check)`), r.stderr);
  assert.not.ok(r.stderr.includes('engine loaded'), 'neither the engine nor the config is loaded');
  assert.is(summaryOf(r.events).fresh, 5);
}));

test('a file touched but not changed: the stat check fails, the digests prove the no-op and stamp it again', withTimeout(async () => {
  await using rig = await stamped();
  const later = new Date(Date.now() - 5000);
  utimesSync(rig.path('data/7.bin'), later, later);
  let r = await rig.json(TARGETS, ENV);
  assert.ok(r.stderr.includes(`${REPLAYED} (digests)`), r.stderr);
  assert.is(summaryOf(r.events).fresh, 5);
  // A digest replay stamps the stat tuples again once the touch is over a second old. Which replay
  // that is depends on how long each took to start (on a loaded machine, maybe the first): every run
  // is a replay, and within a few the stat check answers again.
  let restamped = false;
  for (let i = 0; i < 4 && !restamped; i++) {
    await sleep(1100);
    r = await rig.json(TARGETS, ENV);
    restamped = r.stderr.includes(`${REPLAYED} (stat check)`);
    if (!restamped) assert.ok(r.stderr.includes(`${REPLAYED} (digests)`), r.stderr);
  }
  assert.ok(restamped, `the stat tuples were stamped again: ${r.stderr}`);
}));

test('same size, mtime put back: the ctime gives the write away and its consumers rerun', withTimeout(async () => {
  await using rig = await stamped();
  const file = rig.path('data/5.bin');
  const before = statSync(file, {bigint: true});
  writeFileSync(file, '9\n'); // '5\n' before: the same size
  // To the nanosecond (utimes takes float seconds): GNU touch with the exact stamp.
  const ns = before.mtimeNs.toString();
  execFileSync('touch', ['-m', '-d', `@${ns.slice(0, -9)}.${ns.slice(-9)}`, file]);
  assert.is(statSync(file, {bigint: true}).mtimeNs, before.mtimeNs);
  const r = await rig.json(TARGETS, ENV);
  assert.not.ok(r.stderr.includes(REPLAYED), r.stderr);
  assert.equal(executedIds(r.events), ['count', 'five']);
}));

test('a file added to an input directory: the directory\'s stamp gives it away', withTimeout(async () => {
  await using rig = await stamped();
  rig.write({'data/new.bin': 'new\n'});
  const r = await rig.json(TARGETS, ENV);
  assert.not.ok(r.stderr.includes(REPLAYED), r.stderr);
  assert.equal(executedIds(r.events), ['count']);
}));

test('changes deep in an input directory\'s subdirectories (listed by one find per core) are seen', withTimeout(async () => {
  const nested: Record<string, string> = {};
  for (let d = 0; d < 5; d++) for (let i = 0; i < 20; i++) nested[`data/sub${d}/deep/${i}.bin`] = `${d}-${i}\n`;
  await using rig = await stamped(nested);
  let r = await rig.json(TARGETS, ENV);
  assert.ok(r.stderr.includes(`${REPLAYED} (stat check)`), r.stderr);
  // In place, same size, mtime put back: only the file's ctime changes, three levels down.
  const file = rig.path('data/sub3/deep/7.bin');
  const before = statSync(file, {bigint: true});
  writeFileSync(file, '3-8\n');
  const ns = before.mtimeNs.toString();
  execFileSync('touch', ['-m', '-d', `@${ns.slice(0, -9)}.${ns.slice(-9)}`, file]);
  r = await rig.json(TARGETS, ENV);
  assert.not.ok(r.stderr.includes(REPLAYED), r.stderr);
  assert.equal(executedIds(r.events), ['count']);
  await untilStamped(rig, TARGETS);
  r = await rig.json(TARGETS, ENV);
  assert.ok(r.stderr.includes(`${REPLAYED} (stat check)`), `stamped again: ${r.stderr}`);
  // A file added in the last subdirectory (the one the last find lists).
  rig.write({'data/sub4/deep/new.bin': 'new\n'});
  r = await rig.json(TARGETS, ENV);
  assert.not.ok(r.stderr.includes(REPLAYED), r.stderr);
  assert.equal(executedIds(r.events), ['count']);
}));

test('the scratch directory of the listing gone (TMPDIR removed): the full check answers, no internal error', withTimeout(async () => {
  const nested: Record<string, string> = {};
  for (let d = 0; d < 3; d++) nested[`data/sub${d}/x.bin`] = `${d}\n`;
  await using rig = await stamped(nested);
  const scratch = rig.path('scratch');
  mkdirSync(scratch);
  const env = {...ENV, TMPDIR: scratch};
  rmSync(rig.path('.bevbuild/state/noop-stamp.json'));
  await untilStamped(rig, TARGETS, env);
  assert.ok((await rig.json(TARGETS, env)).stderr.includes(`${REPLAYED} (stat check)`));
  rmSync(scratch, {recursive: true});
  const r = await rig.json(TARGETS, env);
  assert.is(r.code, 0, r.stderr);
  assert.not.ok(r.stderr.includes('internal error'), r.stderr);
  assert.not.ok(r.stderr.includes('(stat check)'), r.stderr);
  assert.equal(executedIds(r.events), []);
}));

test('without GNU find, an input directory is stamped entry by entry and still checked', withTimeout(async () => {
  await using rig = await stamped();
  // A PATH with the tools the rules run but no find (the environment is part of the key: a new stamp).
  const tools = rig.path('tools');
  mkdirSync(tools);
  for (const t of ['sh', 'bash', 'cat', 'ls', 'wc']) symlinkSync(execFileSync('sh', ['-c', `command -v ${t}`], {encoding: 'utf8'}).trim(), join(tools, t));
  const env = {...ENV, PATH: tools};
  rmSync(rig.path('.bevbuild/state/noop-stamp.json'));
  await untilStamped(rig, TARGETS, env);
  assert.ok(readFileSync(rig.path('.bevbuild/state/noop-fast.bin'), 'latin1').includes('"rels":['), 'the directory is listed in the stamp');
  let r = await rig.json(TARGETS, env);
  assert.ok(r.stderr.includes(`${REPLAYED} (stat check)`), r.stderr);
  rig.write({'data/new.bin': 'new\n'});
  r = await rig.json(TARGETS, env);
  assert.not.ok(r.stderr.includes(REPLAYED), r.stderr);
  assert.equal(executedIds(r.events), ['count']);
}));

test('one file changed among 2,000: the full check runs and only its consumers rerun', withTimeout(async () => {
  await using rig = await stamped();
  rig.write({'data/5.bin': 'changed\n'});
  const r = await rig.json(TARGETS, ENV);
  assert.not.ok(r.stderr.includes(REPLAYED));
  assert.equal(executedIds(r.events), ['count', 'five']);
}));

test('the config changed: the full check runs and rebuilds what it changed', withTimeout(async () => {
  await using rig = await stamped();
  rig.write({'bevbuild.config.ts': config('cat "$1" > "$2"; echo x >> "$2"')});
  const r = await rig.json(TARGETS, ENV);
  assert.not.ok(r.stderr.includes(REPLAYED));
  assert.equal(executedIds(r.events), ['a', 'b']);
}));

test('a file the config reads while declaring changed: the full check sees the new declaration', withTimeout(async () => {
  const decl = `import {readFileSync} from 'node:fs';
import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const echo = defineRule({name: 'test/echo', version: 1, params: z.object({text: z.string()}), inputs: () => [], outputs: () => ['out/e.txt'],
  argv: (p, ctx) => ['sh', '-c', 'printf %s "$1" > "$2"', 'sh', p.text, ctx.out('out/e.txt')]});
export default defineConfig({artifacts: {e: echo({text: readFileSync(new URL('./params.txt', import.meta.url), 'utf8')})}});
`;
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': decl, 'params.txt': 'one'});
  assert.is((await rig.json(['e'], ENV)).code, 0);
  await untilStamped(rig, ['e']);
  rig.write({'params.txt': 'two'});
  const r = await rig.json(['e'], ENV);
  assert.not.ok(r.stderr.includes(REPLAYED));
  assert.equal(executedIds(r.events), ['e']);
  assert.is(rig.read('out/e.txt'), 'two');
}));

test('no stamp, another environment, or an output edited by hand: the full check runs', withTimeout(async () => {
  await using rig = await stamped();
  rmSync(rig.path('.bevbuild/state/noop-stamp.json'));
  rmSync(rig.path('.bevbuild/state/noop-fast.bin'));
  let r = await rig.json(TARGETS, ENV);
  assert.not.ok(r.stderr.includes(REPLAYED));
  assert.is(summaryOf(r.events).fresh, 5);
  // That full no-op stamped again; a variable the config reads (the rule version) changes its answer.
  r = await rig.json(TARGETS, {...ENV, RULE_VERSION: '2'});
  assert.not.ok(r.stderr.includes(REPLAYED));
  assert.is(summaryOf(r.events).executed, 5);
  await rig.json(TARGETS, ENV); // back to version 1 (restored from the store): the stamp after the next no-op
  await untilStamped(rig, TARGETS);
  assert.ok((await rig.json(TARGETS, ENV)).stderr.includes(REPLAYED), 'replayed again once nothing changes');
  writeFileSync(rig.path('out/b.txt'), 'edited by hand\n');
  r = await rig.json(TARGETS, ENV);
  assert.not.ok(r.stderr.includes(REPLAYED));
  assert.equal(executedIds(r.events).concat(r.events.filter((e) => e['status'] === 'restored').map((e) => e['id'] as string)), ['b']);
  assert.is(rig.read('out/b.txt'), 'hello\nhello\n');
}));

test.run();
