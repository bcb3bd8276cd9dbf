/**
 * Issue 16 findings 3, 4 (temp files), 9, 10: the store under corruption and hand edits.
 * * 50 referenced store objects flipped in place with their mtime put back (as a write through a
 *   workspace hardlink would): every build exits 0 with at most one rebuild, outputs correct.
 * * Re-storing over a corrupt object of the right size replaces it (and the repair is logged).
 * * No `.bevbuild-tmp-*` beside outputs after any run; temps of dead pids are swept.
 * * A user's file inside a directory output is moved aside, and the warning says where.
 * * `materialize: 'copy'` outputs are writable copies: editing one never touches the store.
 */
import {spawnSync} from 'node:child_process';
import {chmodSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, utimesSync, writeFileSync, writeSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {closeHashPool} from '../../cache/digest.ts';
import {LocalStore} from '../../cache/local-store.ts';
import {StatMemo} from '../../cache/stat-memo.ts';
import {takeRepairs} from '../../cache/store-repairs.ts';
import {withTimeout} from '../util/rig-test.ts';
import {WorkspaceRig, executedIds, shConfig, summaryOf} from '../util/workspace-rig.ts';

const test = suite('security-store-integrity');

const NODES = 8;
const config = (extraRuleFields = '') =>
  shConfig(
    [
      ...Array.from({length: NODES}, (_, i) => `    n${i}: sh({script: 'for k in $(seq 1 40); do echo "node ${i} line $k"; done > "$1"', outputs: ['out/n${i}.txt']}),`),
      `    d: sh({script: 'mkdir -p "$1/sub"; echo one > "$1/one.txt"; echo two > "$1/sub/two.txt"', outputs: ['out/d']}),`,
    ].join('\n'),
    extraRuleFields,
  );
const targets = [...Array.from({length: NODES}, (_, i) => `n${i}`), 'd'];

/** The store objects the workspace's outputs are made of (files, and the files of directory outputs). */
function referencedObjects(rig: WorkspaceRig): string[] {
  const nodes = (JSON.parse(rig.read('.bevbuild/state/nodes.json')) as {nodes: Record<string, {outputs: {kind: string; digest: string}[]}>}).nodes;
  const obj = (d: string) => rig.path(`.bevbuild/cache/objects/${d.slice(0, 2)}/${d.slice(2)}`);
  const out: string[] = [];
  for (const n of Object.values(nodes)) {
    for (const o of n.outputs) {
      if (o.kind === 'file') out.push(obj(o.digest));
      else for (const e of (JSON.parse(readFileSync(obj(o.digest), 'utf8')) as {entries: {digest: string}[]}).entries) out.push(obj(e.digest));
    }
  }
  return out;
}

/** Flips one byte of `file` in place and puts its times back (a "silent" in-place write). */
function flipInPlace(file: string, at: number): void {
  const st = statSync(file);
  chmodSync(file, 0o644);
  const fd = openSync(file, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at % st.size);
  b[0] = b[0]! ^ 0x20;
  writeSync(fd, b, 0, 1, at % st.size);
  closeSync(fd);
  chmodSync(file, st.mode & 0o777);
  utimesSync(file, st.atime, st.mtime);
}

const temps = (dir: string): string[] => {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      if (/\.bevbuild-(tmp|old)-/.test(e.name)) out.push(join(d, e.name));
      if (e.isDirectory() && e.name !== '.bevbuild') walk(join(d, e.name));
    }
  };
  walk(dir);
  return out;
};

/** A pid that is certainly not running now. */
function deadPid(): number {
  return spawnSync('sh', ['-c', 'echo $$'], {encoding: 'utf8'}).stdout.trim() as unknown as number;
}

test('50 referenced store objects flipped in place: at most one rebuild each, no failed build, right bytes', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config()});
  const first = await rig.json(targets);
  assert.is(first.code, 0, first.stderr);
  const expected = Object.fromEntries(targets.map((t) => [t, t === 'd' ? rig.read('out/d/sub/two.txt') : rig.read(`out/${t}.txt`)]));
  let rebuilds = 0;
  for (let i = 0; i < 50; i++) {
    const objects = referencedObjects(rig);
    flipInPlace(objects[(i * 7) % objects.length]!, i * 13);
    if (i % 10 === 0) {
      // The plan does not promise a restore from a changed object.
      const plan = await rig.json([...targets, '--dry-run']);
      const planned = plan.events.filter((e) => e['type'] === 'plan' && e['action'] !== 'fresh').map((e) => e['action']);
      assert.equal(planned, ['run'], `flip ${i}: ${JSON.stringify(plan.events)}`);
    }
    const r = await rig.json(targets);
    assert.is(r.code, 0, `flip ${i}: ${r.stderr} ${JSON.stringify(r.events.slice(-3))}`);
    const s = summaryOf(r.events);
    assert.is(s.failed, 0);
    assert.ok(s.executed <= 1, `flip ${i}: ${s.executed} rebuilds (${executedIds(r.events).join(', ')})`);
    rebuilds += s.executed;
    for (const t of targets) assert.is(t === 'd' ? rig.read('out/d/sub/two.txt') : rig.read(`out/${t}.txt`), expected[t], `flip ${i}: ${t} restored to its recorded bytes`);
  }
  assert.is(rebuilds, 50, 'every flip was noticed (none restored silently)');
  assert.equal(temps(rig.dir), []);
  const audit = await rig.exec(['audit']);
  assert.is(audit.code, 0, audit.stdout);
  assert.match(audit.stdout, /object-dropped/, 'audit reports what the builds repaired');
}, 600_000));

test('re-placing an output that already is the right hardlink leaves no temp beside it', withTimeout(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-integrity-'));
  try {
    const store = new LocalStore(join(dir, 'cache'));
    writeFileSync(join(dir, 'f'), 'bytes');
    const put = await store.putFile(join(dir, 'f'), {move: true});
    for (let i = 0; i < 3; i++) {
      const r = await store.materialize({path: 'f', kind: 'file', ...put, executable: false}, join(dir, 'f'));
      assert.ok(r.ok && r.value.method !== 'copy');
    }
    assert.equal(readdirSync(dir).sort(), ['cache', 'f']);
    assert.is(statSync(join(dir, 'f')).ino, statSync(store.objectPath(put.digest)).ino);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}));

test('re-storing a fresh output over a corrupt object of the same size replaces it', withTimeout(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-integrity-'));
  try {
    const store = new LocalStore(join(dir, 'cache'), await StatMemo.open(join(dir, 'state'), {racyWindowMs: 0}));
    writeFileSync(join(dir, 'f'), 'good bytes');
    const put = await store.putFile(join(dir, 'f'));
    flipInPlace(store.objectPath(put.digest), 3);
    writeFileSync(join(dir, 'g'), 'good bytes'); // a fresh run producing the same output
    assert.equal(await store.putFile(join(dir, 'g'), {move: true}), put);
    assert.is(readFileSync(store.objectPath(put.digest), 'utf8'), 'good bytes');
    const r = await store.materialize({path: 'out', kind: 'file', ...put}, join(dir, 'out'));
    assert.ok(r.ok);
    assert.equal((await takeRepairs(store.root)).map((x) => [x.digest, x.action, x.by]), [[put.digest, 'replaced', 'store']]);
  } finally {
    rmSync(dir, {recursive: true, force: true});
    closeHashPool();
  }
}));

test('dead-pid temps beside outputs and in the store are swept by build, clean and prune; live ones stay', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config()});
  assert.is((await rig.exec(targets)).code, 0);
  assert.equal(temps(rig.dir), []);
  const pid = deadPid();
  const strays = [`out/.n0.txt.bevbuild-tmp-${pid}-abc123`, `out/.d.bevbuild-old-${pid}-x9`, `.bevbuild/cache/tmp/${pid}-lq2-abc`, `.bevbuild/state/nodes.json.${pid}.tmp`, `.bevbuild/state/stat-memo.tsv.tmp-${pid}-k2`];
  rig.write(Object.fromEntries(strays.map((s) => [s, 'left by a killed build'])));
  const old = new Date(Date.now() - 3600_000); // store temps must also be old (a store may be shared by machines)
  utimesSync(rig.path(strays[2]!), old, old);
  rig.write({[`out/.n1.txt.bevbuild-tmp-${process.pid}-live`]: 'owned by a live process'});
  assert.is((await rig.exec(targets)).code, 0);
  for (const s of strays) assert.not.ok(rig.exists(s), `${s} swept by build`);
  assert.ok(rig.exists(`out/.n1.txt.bevbuild-tmp-${process.pid}-live`), 'a live pid keeps its temp');
  rig.write({[strays[0]!]: 'again'});
  assert.is((await rig.exec(['clean'])).code, 0);
  assert.not.ok(rig.exists(strays[0]!), 'swept by clean');
  const storeStrays = [`.bevbuild/cache/tmp/${pid}-lq3-def`, `.bevbuild/cache/objects/ab/.cdef.remote-${pid}-0a1b2c3d`];
  rig.write(Object.fromEntries(storeStrays.map((s) => [s, 'partial download'])));
  rig.write({[`.bevbuild/cache/tmp/${pid}-lq4-new`]: 'too young to tell'});
  for (const s of storeStrays) utimesSync(rig.path(s), old, old);
  assert.is((await rig.exec(['cache', 'prune', '--max-size', '1G'])).code, 0);
  for (const s of storeStrays) assert.not.ok(rig.exists(s), `${s} swept by prune`);
  assert.ok(rig.exists(`.bevbuild/cache/tmp/${pid}-lq4-new`), 'a young store temp stays');
}));

test('a file a user added inside a directory output is moved aside and named, not deleted', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config()});
  assert.is((await rig.exec(['d'])).code, 0);
  rig.write({'out/d/NOTES.txt': 'my notes\n', 'out/d/sub/mine.csv': '1,2\n'});
  const r = await rig.json(['d']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(summaryOf(r.events).restored, 1);
  const w = r.events.filter((e) => e['type'] === 'warning').map((e) => String(e['message']));
  assert.is(w.length, 1, JSON.stringify(w));
  const m = /moved to (\.bevbuild\/rescued\/\S+);/.exec(w[0]!);
  assert.ok(m, w[0]);
  assert.is(rig.read(`${m![1]}/NOTES.txt`), 'my notes\n');
  assert.is(rig.read(`${m![1]}/sub/mine.csv`), '1,2\n');
  assert.equal(readdirSync(rig.path('out/d')).sort(), ['one.txt', 'sub']);
}));

test('files the previous build produced and the new one does not are removed without a rescue', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const cfg = (mode: string) => shConfig(`    d: sh({script: 'mkdir -p "$1"; echo one > "$1/one.txt"; [ "$MODE" = two ] || echo stale > "$1/stale.txt"', outputs: ['out/d'], env: {MODE: '${mode}'}}),`);
  rig.write({'bevbuild.config.ts': cfg('one')});
  assert.is((await rig.exec(['d'])).code, 0);
  rig.write({'bevbuild.config.ts': cfg('two'), 'out/d/NOTES.txt': 'mine\n'});
  const r = await rig.json(['d']);
  assert.is(r.code, 0, r.stderr);
  const w = r.events.filter((e) => e['type'] === 'warning').map((e) => String(e['message']));
  assert.is(w.length, 1, JSON.stringify(w));
  assert.match(w[0]!, /1 file\(s\) in out\/d .*\(NOTES\.txt\)/);
  assert.equal(readdirSync(rig.path('out/d')), ['one.txt']);
}));

test("materialize: 'copy' places writable copies; editing one leaves the store intact", withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config(`\n  materialize: 'copy',`)});
  assert.is((await rig.exec(['n0'])).code, 0);
  const out = rig.path('out/n0.txt');
  const [obj] = referencedObjects(rig);
  assert.is.not(statSync(out).ino, statSync(obj!).ino, 'not a hardlink of the object');
  assert.ok((statSync(out).mode & 0o200) !== 0, 'writable');
  const original = rig.read('out/n0.txt');
  writeFileSync(out, 'edited in place\n', {flag: 'r+'});
  assert.is(readFileSync(obj!, 'utf8'), original, 'the store object did not change');
  const r = await rig.json(['n0']);
  assert.equal(summaryOf(r.events).restored, 1);
  assert.is(rig.read('out/n0.txt'), original);
  // audit re-stores a corrupt object from an intact copy
  flipInPlace(obj!, 5);
  const audit = await rig.exec(['audit']);
  assert.is(audit.code, 0, audit.stdout + audit.stderr);
  assert.match(audit.stdout, /object-restored\s+n0 out\/n0\.txt/);
  assert.is(readFileSync(obj!, 'utf8'), original);
  // ...also a file object inside a directory output (not just the directory's manifest)
  assert.is((await rig.exec(['d'])).code, 0);
  const inDir = referencedObjects(rig).find((p) => readFileSync(p, 'utf8') === 'two\n')!;
  flipInPlace(inDir, 1);
  const audit2 = await rig.exec(['audit', 'd']);
  assert.is(audit2.code, 0, audit2.stdout + audit2.stderr);
  assert.match(audit2.stdout, /object-restored\s+d out\/d: 1 store object/);
  assert.is(readFileSync(inDir, 'utf8'), 'two\n');
}));

test.run();
