/**
 * Issue 12: the declaration memo (src/engine/declaration-memo.ts) in-process, as the daemon and
 * `watch` use it. A kept declaration is the same graph object; anything a fresh evaluation could
 * answer differently must make the next `declare` evaluate again. Each case below is a way an
 * outside audit made the daemon answer differently from a command run alone.
 */
import {chmodSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {declare, keepDeclarations, type Declaration} from '../src/engine/declaration-memo.ts';
import {directoryChangedMs, pathStamp} from '../src/engine/path-stamp.ts';
import {API, WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('declaration-memo');
keepDeclarations();

/** A config with one artifact whose script is `script` (an expression), after `prelude` ran. */
const config = (prelude: string, script: string) => `import * as fs from 'node:fs';
import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const sh = defineRule({name: 'test/sh', version: 1,
  params: z.object({script: z.string(), flags: z.array(z.string())}),
  inputs: () => [], outputs: () => ['out/a.txt'],
  argv: (p, ctx) => ['sh', '-c', p.script, ctx.out('out/a.txt'), ...p.flags]});
${prelude}
export default defineConfig({artifacts: {a: sh({script: ${script}, flags: []})}});
`;

async function declared(root: string): Promise<Declaration> {
  const r = await declare(root);
  if (!r.ok) assert.unreachable(JSON.stringify(r.error));
  return (r as {value: Declaration}).value;
}

const scriptOf = (d: Declaration) => (d.graph.nodes.get('a')!.params as {script: string}).script;

/** Declares once (compiling the config), then waits until what that wrote is older than the racy second. */
async function settled(root: string): Promise<void> {
  await declared(root);
  await sleep(1100);
}

/** The kept declaration, once settled. */
async function kept(root: string): Promise<Declaration> {
  await settled(root);
  const d = await declared(root);
  assert.is(await declared(root), d, 'kept');
  return d;
}

test('a pure config is kept; editing a file it read, or the config itself, makes it evaluate again', async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config("const v = fs.readFileSync(new URL('./v.txt', import.meta.url), 'utf8').trim();", 'v'), 'v.txt': 'one\n'});
  const first = await kept(rig.dir);
  assert.is(scriptOf(first), 'one');
  rig.write({'v.txt': 'two\n'});
  assert.is(scriptOf(await declared(rig.dir)), 'two');
});

test('a permission tested with accessSync is part of the stamp', async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'bevbuild.config.ts': config("let mode = 'exec'; try { fs.accessSync(new URL('./tool.sh', import.meta.url), fs.constants.X_OK); } catch { mode = 'noexec'; }", 'mode'),
    'tool.sh': '#!/bin/sh\n',
  });
  chmodSync(rig.path('tool.sh'), 0o644);
  assert.is(scriptOf(await kept(rig.dir)), 'noexec');
  chmodSync(rig.path('tool.sh'), 0o755);
  assert.is(scriptOf(await declared(rig.dir)), 'exec');
});

test('a path given as a Uint8Array is recorded', async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'bevbuild.config.ts': config(`const v = fs.readFileSync(new TextEncoder().encode(${JSON.stringify(rig.path('v.txt'))}), 'utf8').trim();`, 'v'),
    'v.txt': 'one\n',
  });
  assert.is(scriptOf(await kept(rig.dir)), 'one');
  rig.write({'v.txt': 'two\n'});
  assert.is(scriptOf(await declared(rig.dir)), 'two');
});

test('effects a kept declaration would not repeat: writes, timers, exit listeners, output (late too)', async () => {
  for (const prelude of [
    "fs.mkdirSync(new URL('./gen', import.meta.url), {recursive: true});",
    "fs.copyFileSync(new URL('./bevbuild.config.ts', import.meta.url), new URL('./copy.txt', import.meta.url));",
    "await fs.promises.writeFile(new URL('./w.txt', import.meta.url), 'w');",
    "fs.closeSync(fs.openSync(new URL('./o.txt', import.meta.url), 'a'));",
    'setTimeout(() => undefined, 200);',
    'setTimeout(() => undefined, 1).unref();',
    'setImmediate(() => undefined).unref();',
    "(async () => { for (let i = 0; i < 2000; i++) await null; console.error('declared, later'); })();",
    "process.emitWarning('declared with a warning');",
    "fs.readFileSync(new URL('./rw.txt', import.meta.url), {flag: 'a+'});",
    "process.once('exit', () => undefined);",
    "console.error('declaring');",
  ]) {
    await using rig = await WorkspaceRig.create();
    rig.write({'bevbuild.config.ts': config(prelude, "'x'")});
    await settled(rig.dir);
    const a = await declared(rig.dir);
    assert.is.not(await declared(rig.dir), a, prelude);
    process.removeAllListeners('exit');
  }
});

test('another terminal, or params a rule function changed, make it evaluate again', async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config('', "String(process.stdout.isTTY === true)")});
  const a = await kept(rig.dir);
  const out = process.stdout as {isTTY?: boolean};
  const was = Object.getOwnPropertyDescriptor(out, 'isTTY');
  Object.defineProperty(out, 'isTTY', {value: !out.isTTY, configurable: true, writable: true});
  try {
    assert.is.not(await declared(rig.dir), a, 'another terminal');
  } finally {
    if (was) Object.defineProperty(out, 'isTTY', was);
    else delete out.isTTY;
  }
  const b = await kept(rig.dir);
  (b.graph.nodes.get('a')!.params as {flags: string[]}).flags.push('-x'); // what a mutating argv() does
  const c = await declared(rig.dir);
  assert.is.not(c, b);
  assert.equal((c.graph.nodes.get('a')!.params as {flags: string[]}).flags, []);
});

test('racy times: a path gone since it was read, and a directory reached through a symlink', async () => {
  await using rig = await WorkspaceRig.create();
  mkdirSync(rig.path('real'));
  mkdirSync(rig.path('other'));
  rig.write({'real/f.txt': 'f', 'other/target.txt': 't'});
  symlinkSync('real', rig.path('sl'));
  symlinkSync('other/target.txt', rig.path('link'));
  await sleep(1100); // ctime cannot be set back: wait until every directory is old
  const recent = (ms: number) => ms > Date.now() - 1000;
  assert.not.ok(recent(directoryChangedMs(rig.path('sl/probe'))), 'an old directory');
  assert.not.ok(recent(pathStamp(rig.path('real/gone.txt')).newestMs), 'missing all along, in an old directory');
  writeFileSync(rig.path('real/probe'), 'p');
  assert.ok(recent(directoryChangedMs(rig.path('sl/probe'))), 'through the link: the real directory changed');
  unlinkSync(rig.path('other/target.txt'));
  assert.ok(recent(pathStamp(rig.path('link')).newestMs), 'a link whose target was removed just now');
  unlinkSync(rig.path('real/f.txt'));
  assert.ok(recent(pathStamp(rig.path('real/f.txt')).newestMs), 'a file removed just now');
  rmSync(rig.path('real'), {recursive: true});
  assert.ok(recent(pathStamp(rig.path('real/f.txt')).newestMs), 'its whole directory removed');
});

test.run();
