/**
 * The engine's V8 code cache (bin/code-cache.js, issue 12). V8 accepts a cache for any source of
 * the same length, so the cache carries its own header; a cache in doubt must only ever cost a
 * compile, never run other code than the file holds or fail the start. The end-to-end test runs
 * the real bin twice: the second start restores the engine from the cache, and its config (an ES
 * module, imported through the bin's lent `import`) still loads.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {repoRoot} from './util/venv.ts';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, shConfig} from './util/workspace-rig.ts';

const test = suite('code-cache');
const RUNNER = join(repoRoot, 'bin', 'code-cache.js');

/** Runs `file` through runBundle in a fresh Node (flags `nodeFlags`), saving as `command`; its status and export `v`. */
function start(file: string, cacheFile: string, command: string, nodeFlags: string[] = []): {status: string; v: string} {
  const script = `import {runBundle} from ${JSON.stringify(RUNNER)};
import {createHash} from 'node:crypto';
const r = runBundle(${JSON.stringify(file)}, ${JSON.stringify(cacheFile)}, (d) => createHash('sha256').update(d).digest('hex'));
const v = r.exports.v();
r.save(${JSON.stringify(command)});
process.stdout.write(JSON.stringify({status: r.status, v}));`;
  const r = spawnSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], {encoding: 'utf8'});
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as {status: string; v: string};
}

/** A CommonJS bundle whose `v()` says `word`; the same length for every 4-letter word. */
const bundleText = (word: string) => `'use strict';\nmodule.exports.v = function () { return ${JSON.stringify(word)}; };\n`;

function scratch(): {dir: string; file: string; cache: string; [Symbol.dispose](): void} {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-code-cache-'));
  const file = join(dir, 'cli.cjs');
  writeFileSync(file, bundleText('AAAA'));
  return {dir, file, cache: join(dir, 'v8-test.cache'), [Symbol.dispose]: () => rmSync(dir, {recursive: true, force: true})};
}

test('a miss writes the cache, the next start restores from it', () => {
  using s = scratch();
  assert.equal(start(s.file, s.cache, 'build'), {status: 'miss', v: 'AAAA'});
  assert.equal(start(s.file, s.cache, 'build'), {status: 'hit', v: 'AAAA'});
});

test('a bundle rewritten to the same length is compiled afresh, not served the old code', () => {
  using s = scratch();
  start(s.file, s.cache, 'build');
  // Same inode, same size, same mtime: V8 alone would accept the old cache for it. The ctime moves.
  const {mtime} = statSync(s.file);
  writeFileSync(s.file, bundleText('BBBB'));
  utimesSync(s.file, mtime, mtime);
  assert.equal(start(s.file, s.cache, 'build'), {status: 'miss', v: 'BBBB'});
  assert.equal(start(s.file, s.cache, 'build'), {status: 'hit', v: 'BBBB'});
});

test('damaged or foreign cache files are ignored and replaced', () => {
  using s = scratch();
  start(s.file, s.cache, 'build');
  const good = readFileSync(s.cache);
  const flipped = Buffer.from(good);
  flipped.writeUInt8(flipped.readUInt8(flipped.length - 10) ^ 0xff, flipped.length - 10); // one byte of V8's data
  for (const bad of [flipped, good.subarray(0, good.length - 100), Buffer.from('not a cache at all\n'), Buffer.alloc(0), good.subarray(good.indexOf(10) + 1)]) {
    writeFileSync(s.cache, bad);
    assert.equal(start(s.file, s.cache, 'build'), {status: 'miss', v: 'AAAA'});
    assert.equal(start(s.file, s.cache, 'build'), {status: 'hit', v: 'AAAA'}, 'the damaged file was replaced');
  }
});

test('a cache V8 rejects (other flags) still starts, and is replaced', () => {
  using s = scratch();
  start(s.file, s.cache, 'build');
  assert.equal(start(s.file, s.cache, 'build', ['--no-opt']), {status: 'rejected', v: 'AAAA'});
  assert.equal(start(s.file, s.cache, 'build', ['--no-opt']), {status: 'hit', v: 'AAAA'});
});

test('a cache made by a build is kept; one made by another command gives way to a build', () => {
  using s = scratch();
  const producer = () => readFileSync(s.cache, 'latin1').split('\n')[0]!.split('\t')[3];
  start(s.file, s.cache, 'status');
  assert.is(producer(), 'status');
  start(s.file, s.cache, 'graph');
  assert.is(producer(), 'status', 'a hit by another lesser command keeps the file');
  start(s.file, s.cache, 'build');
  assert.is(producer(), 'build');
  start(s.file, s.cache, 'status');
  assert.is(producer(), 'build', 'a build-made cache is not replaced by a lesser one');
});

test('temps of a killed writer are swept once old, and no temp of ours is left', () => {
  using s = scratch();
  const old = join(s.dir, 'v8-test.cache.tmp-999999-abc');
  const young = join(s.dir, 'v8-test.cache.tmp-999998-def');
  writeFileSync(old, 'x');
  writeFileSync(young, 'x');
  const hourAgo = new Date(Date.now() - 2 * 3600_000);
  utimesSync(old, hourAgo, hourAgo);
  start(s.file, s.cache, 'build');
  assert.equal(readdirSync(s.dir).sort(), ['cli.cjs', 'v8-test.cache', 'v8-test.cache.tmp-999998-def']);
});

test('a FIFO or a directory at the cache path: the start neither blocks nor fails, and runs uncached', () => {
  using s = scratch();
  execFileSync('mkfifo', [s.cache]);
  assert.equal(start(s.file, s.cache, 'build'), {status: 'miss', v: 'AAAA'}); // would block reading the FIFO
  assert.ok(statSync(s.cache).isFIFO(), 'left as it was');
  rmSync(s.cache);
  mkdirSync(s.cache);
  assert.equal(start(s.file, s.cache, 'build'), {status: 'miss', v: 'AAAA'});
  assert.ok(statSync(s.cache).isDirectory(), 'left as it was');
});

test('caches of other Nodes and flags: the newest few are kept', () => {
  using s = scratch();
  for (let i = 0; i < 6; i++) {
    const other = join(s.dir, `v8-other-${i}.cache`);
    writeFileSync(other, 'x');
    const t = new Date(Date.now() - (10 - i) * 60_000);
    utimesSync(other, t, t);
  }
  start(s.file, s.cache, 'build');
  assert.equal(readdirSync(s.dir).filter((n) => n.startsWith('v8-')).sort(), ['v8-other-3.cache', 'v8-other-4.cache', 'v8-other-5.cache', 'v8-test.cache']);
});

test('the bin: the second start restores the engine from the cache and still loads an ES-module config', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': shConfig(`    a: sh({script: 'echo a > "$1"', outputs: ['out/a.txt']}),`), 'in.txt': 'x'});
  const status = (r: {stderr: string}) => /code cache (\w+)/.exec(r.stderr)?.[1];
  const first = await rig.exec(['status'], {BEVBUILD_TIMING: '1'});
  assert.is(first.code, 0, first.stderr);
  assert.ok(status(first), `the engine ran from its bundle: ${first.stderr}`);
  const again = await rig.exec(['a'], {BEVBUILD_TIMING: '1'});
  assert.is(again.code, 0, again.stderr);
  assert.is(status(again), 'hit', again.stderr);
  assert.is(rig.read('out/a.txt'), 'a\n');
  // --enable-source-maps: Node maps stacks only for code its own loader compiled, so no cache then.
  const mapped = spawnSync(process.execPath, ['--enable-source-maps', join(repoRoot, 'bin', 'bevbuild.js'), 'status'], {cwd: rig.dir, env: {...process.env, BEVBUILD_TIMING: '1'}, encoding: 'utf8'});
  assert.is(mapped.status, 0, mapped.stderr);
  assert.match(mapped.stderr, /engine bundle: no code cache \(source maps enabled\)/);
}));

test.run();
