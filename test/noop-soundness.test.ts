/**
 * Issue 12: a no-op stamp must never replay "fresh" after something the config depended on changed,
 * and the compiled config must never be reused after its sources changed. Each case is a way an
 * outside audit found to get a stale answer: the config reads something in a way the stamp did not
 * follow, then that thing changes, and the next build must run the tool again, exactly as it does
 * with the stamp off.
 */
import {mkdirSync, statSync, symlinkSync, rmSync, utimesSync, writeFileSync} from 'node:fs';
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {API, WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('noop-soundness');
const ENV = {BEVBUILD_TIMING: '1'};

/** A config whose one artifact `a` writes `tag` (computed by `declare`, TypeScript run while declaring) to out/a.txt. */
const config = (declare: string, inputs = "['in/a.txt']") => `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const tagRule = defineRule({name: 'test/tag', version: 1,
  params: z.object({inputs: z.array(z.string()), tag: z.string()}),
  inputs: (p) => p.inputs, outputs: () => ['out/a.txt'],
  argv: (p, ctx) => ['sh', '-c', 'echo "$1" > "$0"', ctx.out('out/a.txt'), p.tag]});
${declare}
export default defineConfig({artifacts: {a: tagRule({inputs: ${inputs}, tag: String(tag)})}});
`;

/** Files a second old, so that the no-op after the build may leave a stamp (racy timestamps are not trusted). */
function age(rig: WorkspaceRig, rels: string[]): void {
  const past = new Date(Date.now() - 5000);
  for (const rel of rels) utimesSync(rig.path(rel), past, past);
}

/** Builds, then no-ops until the bin's fast path replays (the state every case starts from). */
async function primed(files: Record<string, string>, env: Record<string, string> = {}, setup?: (rig: WorkspaceRig) => void): Promise<WorkspaceRig> {
  const rig = await WorkspaceRig.create();
  rig.write({'in/a.txt': 'hello\n', ...files});
  setup?.(rig);
  const dirs = Object.keys(files).flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/')));
  age(rig, ['in/a.txt', 'in', ...Object.keys(files), ...dirs]);
  const built = await rig.exec(['a'], {...ENV, ...env});
  assert.is(built.code, 0, built.stderr);
  for (let i = 0; i < 5; i++) {
    await sleep(1100);
    const r = await rig.exec(['a'], {...ENV, ...env});
    assert.is(r.code, 0, r.stderr);
    if (r.stderr.includes('no-op stamp replayed (stat check)')) return rig;
  }
  assert.unreachable('the fast path never replayed');
  return rig;
}

/** Builds and no-ops three times: none may leave a stamp (the config did something no stamp can follow). */
async function neverStamped(files: Record<string, string>): Promise<WorkspaceRig> {
  const rig = await WorkspaceRig.create();
  rig.write({'in/a.txt': 'hello\n', ...files});
  for (let i = 0; i < 3; i++) {
    if (i) await sleep(1100);
    const r = await rig.exec(['a'], ENV);
    assert.is(r.code, 0, r.stderr);
  }
  assert.not.ok(rig.exists('.bevbuild/state/noop-stamp.json'), 'no stamp');
  assert.not.ok(rig.exists('.bevbuild/state/noop-fast.bin'), 'no fast stamp');
  return rig;
}

/**
 * The next build, the very invocation that was primed (another argv, `--json` included, would be
 * another key and never replay), reruns `a` and writes `want`, as the build without the stamp does.
 */
async function rebuilds(rig: WorkspaceRig, want: string, env: Record<string, string> = {}): Promise<void> {
  const r = await rig.exec(['a'], {...ENV, ...env});
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /ran 1 · restored 0 · fresh 0/, `a reran: ${r.stderr}`);
  assert.is(rig.read('out/a.txt'), `${want}\n`);
}

test('a program or a worker thread started while declaring makes the answer unprovable', withTimeout(async () => {
  const cases = {
    // (a program run synchronously already did)
    'an asynchronous program': `import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
const tag = (await promisify(execFile)('cat', ['tag.txt'])).stdout.trim();`,
    'a worker thread (its node:fs is its own)': `import {Worker} from 'node:worker_threads';
import {once} from 'node:events';
const w = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:fs').readFileSync('tag.txt', 'utf8'))", {eval: true});
const [tag] = await once(w, 'message');`,
  };
  for (const [what, declare] of Object.entries(cases)) {
    await using rig = await neverStamped({'tag.txt': 'v1', 'bevbuild.config.ts': config(declare)});
    rig.write({'tag.txt': 'v2'});
    await rebuilds(rig, 'v2').catch((e: Error) => assert.unreachable(`${what}: ${e.message}`));
  }
}));

test('a recursive listing: a file added two levels down', withTimeout(async () => {
  await using rig = await primed({
    'in/sub/s.txt': 's',
    'bevbuild.config.ts': config(`import {readdirSync} from 'node:fs';
const tag = readdirSync('in', {recursive: true}).sort().join(',');`),
  });
  rig.write({'in/sub/new.txt': 'n'});
  await rebuilds(rig, 'a.txt,sub,sub/new.txt,sub/s.txt');
}));

test('realpathSync.native: a symlink retargeted', withTimeout(async () => {
  await using rig = await primed({
    'v1/data.txt': '1',
    'v2/data.txt': '2',
    'bevbuild.config.ts': config(`import {realpathSync} from 'node:fs';
import {basename} from 'node:path';
const tag = basename(realpathSync.native('current'));`),
  }, {}, (r) => symlinkSync('v1', r.path('current')));
  rmSync(rig.path('current'));
  symlinkSync('v2', rig.path('current'));
  await rebuilds(rig, 'v2');
}));

test('fs.openAsBlob: the file read changes', withTimeout(async () => {
  await using rig = await primed({
    'tag.txt': 'v1',
    'bevbuild.config.ts': config(`import {openAsBlob} from 'node:fs';
const tag = await (await openAsBlob('tag.txt')).text();`),
  });
  rig.write({'tag.txt': 'v2'});
  await rebuilds(rig, 'v2');
}));

test('a variable the config reads and then deletes: the key is taken before the config runs', withTimeout(async () => {
  await using rig = await primed({
    'bevbuild.config.ts': config(`const tag = process.env.AUDIT_MODE ?? 'default';
delete process.env.AUDIT_MODE;`),
  }, {AUDIT_MODE: 'special'});
  assert.is(rig.read('out/a.txt'), 'special\n');
  await rebuilds(rig, 'default');
}));

test('inside a digested input: an empty directory appears, a timestamp moves', withTimeout(async () => {
  await using rig = await primed({
    'bevbuild.config.ts': config(`import {existsSync, statSync} from 'node:fs';
const tag = (existsSync('in/extra') ? 'extra' : 'plain') + '-' + Math.floor(statSync('in/a.txt').mtimeMs / 1000);`, "['in']"),
  });
  mkdirSync(rig.path('in/extra'));
  await sleep(1100);
  // The digest check must not replay (the manifest has no empty directories) and then re-stamp it.
  for (let i = 0; i < 2; i++) {
    const r = await rig.exec(['a'], ENV);
    assert.not.ok(r.stderr.includes('no-op stamp replayed'), r.stderr);
  }
  assert.match(rig.read('out/a.txt'), /^extra-/);
  const before = rig.read('out/a.txt');
  for (let i = 0; i < 2; i++) await rig.exec(['a'], ENV); // stamped again, with the empty directory
  const later = new Date(Date.now() - 3000);
  utimesSync(rig.path('in/a.txt'), later, later);
  await sleep(1100);
  const r = await rig.exec(['a'], ENV);
  assert.match(r.stderr, /ran 1 · restored 0 · fresh 0/, r.stderr);
  assert.not.equal(rig.read('out/a.txt'), before);
}));

test('the compiled config: a same-size edit with the mtime put back is seen (ctime)', withTimeout(async () => {
  await using rig = await primed({
    'helper.ts': "export const TAG = 'v1';\n",
    'bevbuild.config.ts': config(`import {TAG} from './helper.ts';
const tag = TAG;`),
  });
  const {mtime} = statSync(rig.path('helper.ts'));
  writeFileSync(rig.path('helper.ts'), "export const TAG = 'v2';\n");
  utimesSync(rig.path('helper.ts'), mtime, mtime);
  await rebuilds(rig, 'v2', {BEVBUILD_NOOP_STAMP: 'off'});
}));

test('the compiled config: a new file that an extensionless import now resolves to', withTimeout(async () => {
  await using rig = await primed({
    'helper.ts': "export const TAG = 'ts';\n",
    'bevbuild.config.ts': config(`import {TAG} from './helper';
const tag = TAG;`),
  });
  rig.write({'helper.tsx': "export const TAG = 'tsx';\n"});
  await rebuilds(rig, 'tsx', {BEVBUILD_NOOP_STAMP: 'off'});
}));

test.run();
