/**
 * The compiled config (src/config/compile-config.ts) when several bevbuilds start at once: each
 * compiles it and writes it with a temp of its own. With one shared temp name, a rename could find
 * its temp already renamed by another process, and that build failed with a config-load-error
 * (ENOENT); seen about once in a hundred runs of four builds started together.
 */
import {createHash} from 'node:crypto';
import {mkdirSync, readdirSync, statSync} from 'node:fs';
import {compileConfig} from '../src/config/compile-config.ts';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, shConfig} from './util/workspace-rig.ts';

const test = suite('config-compile');
const CONFIG = shConfig(`    a: sh({script: 'echo a > "$1"', outputs: ['out/a.txt']}),`);

test('a temp of another process at the old shared names does not get in the way', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': CONFIG});
  // A directory where the old code wrote the cache note's temp: that write then failed, as a
  // rename racing another process's temp did.
  mkdirSync(rig.path('.bevbuild/state/config-cache.json.tmp'), {recursive: true});
  const r = await rig.exec(['status']);
  assert.is(r.code, 0, r.stderr);
  const left = readdirSync(rig.path('.bevbuild/state')).filter((n) => /\.tmp-\d+-/.test(n));
  assert.equal(left, [], 'no temp of ours is left');
}));

test('six builds started at once on a fresh workspace all load the config', withTimeout(async () => {
  for (let round = 0; round < 3; round++) {
    await using rig = await WorkspaceRig.create();
    rig.write({'bevbuild.config.ts': CONFIG});
    const runs = await Promise.all(Array.from({length: 6}, () => rig.json(['status'])));
    for (const run of runs) assert.is(run.code, 0, `round ${round}: ${JSON.stringify(run.events.filter((e) => e['type'] === 'diagnostic'))}`);
  }
}));

test('a config compiled within a second of its last edit is cached with the digest of the text compiled, checked at each load', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': CONFIG});
  const state = rig.path('.bevbuild/state');
  const config = rig.path('bevbuild.config.ts');
  const first = await compileConfig(config, state);
  const meta = JSON.parse(rig.read('.bevbuild/state/config-cache.json')) as {inputs: [string, string, string?][]};
  const entry = meta.inputs.find(([p]) => p === config);
  assert.is(entry?.[2], createHash('sha256').update(CONFIG).digest('hex'), 'the digest of what was compiled');
  assert.ok(meta.inputs.filter(([p]) => p !== config).every((e) => e.length === 2), 'older files: their stamp alone');
  const written = statSync(rig.path('.bevbuild/state/config-cache.json')).ino;
  assert.is(await compileConfig(config, state), first);
  assert.is(statSync(rig.path('.bevbuild/state/config-cache.json')).ino, written, 'a hit (a compile renames a new note into place)');
}));

test.run();
