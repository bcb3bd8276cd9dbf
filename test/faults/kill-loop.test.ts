/**
 * Issue 16 fault suite: `kill -9` of bevbuild at random moments, then a normal build, must end
 * exactly like an uninterrupted build — same files with the same bytes, and nothing stray (no
 * run dirs, locks, temp files beside outputs or in the store). And four builds started at once
 * in one workspace all succeed, running each node once.
 *
 * Deterministic: the kill moments come from a seeded PRNG (BEVBUILD_FAULT_SEED, default below)
 * over the length of one uninterrupted build; nothing about time is asserted.
 * 30 iterations by default (≈2 min here); the acceptance's 50 passed with the default seed:
 * `BEVBUILD_FAULT_ITERATIONS=50 node --import tsx test/faults/kill-loop.test.ts`.
 */
import {createHash} from 'node:crypto';
import {lstatSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from '../util/rig-test.ts';
import {WorkspaceRig, executedIds, shConfig} from '../util/workspace-rig.ts';
import {prng} from '../util/prng.ts';

const test = suite('faults/kill-loop');
const SEED = Number(process.env['BEVBUILD_FAULT_SEED'] ?? 20261130);
const ITERATIONS = Number(process.env['BEVBUILD_FAULT_ITERATIONS'] ?? 30);

// Files, a directory output, an executable output; V changes every node's key.
const config = shConfig(`    a: sh({script: 'seq 1 $((20000 + V)) > "$1"; sleep 0.05', outputs: ['out/a.txt'], env: {V: process.env.V ?? '0'}}),
    b: sh({script: 'mkdir -p "$2"; split -l 2000 "$1" "$2/part-"; sleep 0.05', inputs: ['out/a.txt'], outputs: ['out/b']}),
    c: sh({script: 'cat "$1"/* | sha256sum > "$2"; sleep 0.05', inputs: ['out/b'], outputs: ['out/c.txt']}),
    d: sh({script: 'printf "#!/bin/sh\\\\necho %s\\\\n" "$(cat "$1")" > "$2"; chmod +x "$2"', inputs: ['out/c.txt'], outputs: ['bin/d']}),`);


/** The workspace outside `.bevbuild/`: path → kind, mode and content digest. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (r === '.bevbuild') continue;
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) walk(r);
      else out[r] = `${st.isFile() ? 'file' : 'other'} ${(st.mode & 0o111) !== 0 ? 'x' : '-'} ${st.isFile() ? createHash('sha256').update(readFileSync(join(dir, r))).digest('hex') : ''}`;
    }
  };
  walk('');
  return out;
}

/** Leftovers a finished build must not have: run dirs, locks, temp files anywhere. */
function strays(dir: string): string[] {
  const all = readdirSync(dir, {recursive: true}).map(String);
  const runs = (() => {
    try {
      return readdirSync(join(dir, '.bevbuild', 'runs')).map((n) => `.bevbuild/runs/${n}`);
    } catch {
      return [];
    }
  })();
  return [...runs, ...all.filter((p) => /(^|\/)\.lock-|^\.bevbuild\/lock$|bevbuild-tmp|\.tmp(-|$)/.test(p))];
}

const versions = ['1', '2', '3'];

test(`kill -9 at ${ITERATIONS} random moments, then a build: equal to an uninterrupted build, nothing stray`, withTimeout(async () => {
  const reference = new Map<string, Record<string, string>>();
  let fullMs = 0;
  for (const v of versions) {
    await using r = await WorkspaceRig.create();
    r.write({'bevbuild.config.ts': config});
    const t0 = Date.now();
    const built = await r.json(['d'], {V: v});
    fullMs = Math.max(fullMs, Date.now() - t0); // only to spread the kill moments over a build
    assert.is(built.code, 0, built.stderr);
    assert.equal(executedIds(built.events), ['a', 'b', 'c', 'd']);
    reference.set(v, snapshot(r.dir));
  }
  const random = prng(SEED);
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': config});
  for (let i = 0; i < ITERATIONS; i++) {
    const v = versions[i % versions.length]!;
    if (i % 7 === 6) rmSync(w.path('out'), {recursive: true, force: true}); // next: restores from the store
    const delay = Math.floor(random() * fullMs * 1.2);
    const run = w.spawn(['d', '--json'], {V: v});
    const timer = setTimeout(() => run.child.kill('SIGKILL'), delay);
    await run.done;
    clearTimeout(timer);
    const after = await w.json(['d'], {V: v});
    const where = `iteration ${i} (seed ${SEED}, kill after ${delay} ms, V=${v})`;
    assert.is(after.code, 0, `${where}: ${after.stderr} ${JSON.stringify(after.events.filter((e) => e['type'] === 'failed'))}`);
    assert.equal(snapshot(w.dir), reference.get(v), `${where}: outputs equal an uninterrupted build`);
    assert.equal(strays(w.dir), [], `${where}: nothing stray`);
  }
}, 600_000));

test('four builds at once in one workspace: all succeed, each node runs once, nothing stray', withTimeout(async () => {
  await using r = await WorkspaceRig.create();
  r.write({'bevbuild.config.ts': config});
  assert.is((await r.exec(['d'], {V: '1'})).code, 0);
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': config});
  const runs = await Promise.all([0, 1, 2, 3].map(() => w.json(['d'], {V: '1'})));
  for (const run of runs) assert.is(run.code, 0, run.stderr);
  assert.equal(runs.flatMap((run) => executedIds(run.events)).sort(), ['a', 'b', 'c', 'd'], 'each node ran exactly once in total');
  assert.equal(snapshot(w.dir), snapshot(r.dir));
  assert.equal(strays(w.dir), []);
}, 120_000));

test.run();
