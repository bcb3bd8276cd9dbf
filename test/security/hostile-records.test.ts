/**
 * Issue 16 finding 1 (acceptance: "a test/security/ suite with a hostile cache server"): action
 * records are untrusted. Records naming a source, the config, a path through a symlink, extra
 * outputs or too few, huge output lists and a 200,000-entry directory manifest are all refused —
 * nothing of theirs is written, the build gives exactly one warning and runs the node (exit 0).
 * A tampered local record gets the same treatment.
 */
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from '../util/rig-test.ts';
import {WorkspaceRig, executedIds, shConfig} from '../util/workspace-rig.ts';
import {sha256, startHostileCache, type HostileCache, type HostileOutput} from './hostile-cache.ts';

const test = suite('security-hostile-records');

const EVIL = 'PWNED: written by a cache record\n';
const config = shConfig(`    a: sh({script: 'cat "$1" > "$2"', inputs: ['src/in.txt'], outputs: ['out/a.txt']}),
    d: sh({script: 'mkdir -p "$1"; echo good > "$1/f"', outputs: ['out/d']}),
    s: sh({script: 'echo good > "$1"', outputs: ['sub/x.txt']}),`);

let cache: HostileCache;
test.before(async () => {
  cache = await startHostileCache();
});
test.after(async () => {
  await cache.close();
});

const file = (path: string, bytes = EVIL): HostileOutput => ({path, kind: 'file', digest: cache.plant(bytes), size: Buffer.byteLength(bytes)});
const warnings = (events: Record<string, unknown>[]) => events.filter((e) => e['type'] === 'warning').map((e) => String(e['message']));

/** A fresh workspace; builds `target` against the hostile cache; checks exit 0, one warning, the node ran. */
async function refused(target: string, prepare: (rig: WorkspaceRig) => void = () => {}): Promise<{rig: WorkspaceRig; warning: string}> {
  const rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config, 'src/in.txt': 'source\n'});
  prepare(rig);
  const r = await rig.json([target, '--remote', cache.url]);
  assert.is(r.code, 0, r.stderr);
  const w = warnings(r.events);
  assert.is(w.length, 1, `exactly one warning, got ${JSON.stringify(w)}`);
  assert.equal(executedIds(r.events), [target], 'the node ran instead');
  assert.is(rig.read('bevbuild.config.ts'), config, 'config untouched');
  assert.is(rig.read('src/in.txt'), 'source\n', 'source untouched');
  return {rig, warning: w[0]!};
}

/** No file under `dir` contains the planted bytes. */
function assertNoEvil(dir: string): void {
  const walk = (d: string) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !p.includes('/.bevbuild/cache/objects/')) assert.not.ok(readFileSync(p, 'utf8').includes('PWNED'), `planted bytes in ${p}`);
    }
  };
  walk(dir);
}

test('a record naming the config instead of the output is refused', withTimeout(async () => {
  cache.answer({outputs: [file('bevbuild.config.ts')]});
  const {rig, warning} = await refused('a');
  await using _ = rig;
  assert.match(warning, /refused the remote cache record .*"bevbuild\.config\.ts", which is not a declared output of a/);
  assert.is(rig.read('out/a.txt'), 'source\n');
  assertNoEvil(rig.dir);
}));

test('a record naming a source file beside the output is refused', withTimeout(async () => {
  cache.answer({outputs: [file('src/in.txt')]});
  await using rig = (await refused('a')).rig;
  assertNoEvil(rig.dir);
}));

test('a record with an extra output is refused; none of it is written', withTimeout(async () => {
  cache.answer({outputs: [file('out/a.txt', 'source\n'), file('out/extra.sh')]});
  await using rig = (await refused('a')).rig;
  assert.not.ok(rig.exists('out/extra.sh'));
  assertNoEvil(rig.dir);
}));

test('a record lacking a declared output, or naming one twice, is refused', withTimeout(async () => {
  cache.answer({outputs: []});
  await using r1 = (await refused('a')).rig;
  cache.answer({outputs: [file('out/a.txt'), file('out/a.txt')]});
  const {rig: r2, warning} = await refused('a');
  await using _ = r2;
  assert.match(warning, /twice/);
  assertNoEvil(r2.dir);
}));

test('a declared output under a symlinked directory is never restored through the link', withTimeout(async () => {
  const outside = mkdtempSync(join(tmpdir(), 'bevbuild-outside-'));
  try {
    cache.answer({outputs: [file('sub/x.txt')]});
    const {rig, warning} = await refused('s', (r) => symlinkSync(outside, r.path('sub')));
    await using _ = rig;
    assert.match(warning, /symlink/);
    // What is there came from the user's own tool run, not from the record.
    assert.is(readFileSync(join(outside, 'x.txt'), 'utf8'), 'good\n');
  } finally {
    rmSync(outside, {recursive: true, force: true});
  }
}));

test('a huge output list (200,000 entries) is refused by size before it is parsed', withTimeout(async () => {
  const one = JSON.stringify({path: 'out/a.txt', kind: 'file', digest: sha256('x'), size: 1});
  cache.answer({body: () => Buffer.from(`{"format":1,"key":"${'0'.repeat(64)}","outputs":[${Array(200_000).fill(one).join(',')}]}`)});
  const {rig, warning} = await refused('a');
  await using _ = rig;
  assert.match(warning, /lookup failed/);
}));

test('a directory manifest of 200,000 entries is refused before any of its files is fetched', withTimeout(async () => {
  const entries = Array.from({length: 200_000}, (_, i) => `{"path":"training/velodyne/${String(i).padStart(6, '0')}.bin","digest":"${sha256(String(i))}","size":1,"executable":false}`);
  const manifest = `{"format":1,"entries":[${entries.join(',')}]}`;
  const digest = cache.plant(manifest);
  cache.answer({outputs: [{path: 'out/d', kind: 'dir', digest, size: 200_000}]});
  const before = cache.requests.length;
  await using rig = (await refused('d')).rig;
  const fetched = cache.requests.slice(before).filter((r) => r.startsWith('GET /cas/'));
  assert.equal(fetched, [`GET /cas/${digest}`], 'only the manifest itself was asked for (and refused by its size)');
  assert.not.ok(rig.exists(`.bevbuild/cache/objects/${digest.slice(0, 2)}/${digest.slice(2)}`), 'nothing of it was stored');
  assert.equal(readdirSync(rig.path('out/d')), ['f']);
}));

test('a tampered local record (naming the config) is refused the same way', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config, 'src/in.txt': 'source\n'});
  assert.is((await rig.exec(['a'])).code, 0);
  const nodes = JSON.parse(rig.read('.bevbuild/state/nodes.json')) as {nodes: Record<string, {key: string}>};
  const key = nodes.nodes['a']!.key;
  const recPath = rig.path(`.bevbuild/cache/actions/${key.slice(0, 2)}/${key}.json`);
  const rec = JSON.parse(readFileSync(recPath, 'utf8')) as {outputs: HostileOutput[]};
  const digest = sha256(EVIL); // the planted bytes as a well-formed store object
  rig.write({[`.bevbuild/cache/objects/${digest.slice(0, 2)}/${digest.slice(2)}`]: EVIL});
  rec.outputs = [{path: 'bevbuild.config.ts', kind: 'file', digest, size: EVIL.length, executable: false}];
  writeFileSync(recPath, JSON.stringify(rec));
  rmSync(rig.path('out'), {recursive: true});
  rmSync(rig.path('.bevbuild/state'), {recursive: true});
  const r = await rig.json(['a']);
  assert.is(r.code, 0, r.stderr);
  const w = warnings(r.events);
  assert.is(w.length, 1, JSON.stringify(w));
  assert.match(w[0]!, /refused the local cache record/);
  assert.equal(executedIds(r.events), ['a']);
  assert.is(rig.read('bevbuild.config.ts'), config);
  assert.ok(existsSync(rig.path('out/a.txt')));
}));

test.run();
