/**
 * Issue 2 acceptance: invalid configs (wrong types, unknown fields, cycles, duplicate ids, missing
 * inputs) produce all their diagnostics at once, with file:line, golden-tested, and exit code 2.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {repoRoot} from './util/venv.ts';
import {WorkspaceRig, shConfig} from './util/workspace-rig.ts';
import {spawnSync} from 'node:child_process';

const test = suite('config-diagnostics');
const fixture = join(repoRoot, 'test', 'fixtures', 'diagnostics');

test('every problem of an invalid config is reported at once, with file:line (golden)', withTimeout(async () => {
  const state = mkdtempSync(join(tmpdir(), 'bevbuild-diag-'));
  try {
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'bevbuild.js'), 'wrong-type'], {cwd: fixture, env: {...process.env, BEVBUILD_DIR: state}, encoding: 'utf8'});
    assert.is(r.status, 2);
    assert.fixture(r.stderr, readFileSync(join(fixture, 'expected.txt'), 'utf8'));
    const j = spawnSync(process.execPath, [join(repoRoot, 'bin', 'bevbuild.js'), 'wrong-type', '--json'], {cwd: fixture, env: {...process.env, BEVBUILD_DIR: state}, encoding: 'utf8'});
    const first = JSON.parse(j.stdout.split('\n')[0]!) as Record<string, unknown>;
    assert.equal(first, {type: 'diagnostic', code: 'invalid-rule', message: 'rule "test/typo": Unrecognized key: "outptus"', file: join(fixture, 'bevbuild.config.ts'), line: 12, column: 14, path: []} as never);
  } finally {
    rmSync(state, {recursive: true, force: true});
  }
}));

test('an unknown target gets "did you mean" and exit 2; a glob selects many', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'bevbuild.config.ts': shConfig(`    'deploy/kitti/second': sh({script: 'echo k > "$1"', outputs: ['out/k']}),
    'deploy/v2x/second': sh({script: 'echo v > "$1"', outputs: ['out/v']}),`),
  });
  const r = await rig.exec(['deploy/kitti/secnd']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /error\[unknown-target\] unknown target "deploy\/kitti\/secnd"\n {2}= did you mean "deploy\/kitti\/second"\?/);
  const g = await rig.json(['deploy/**']);
  assert.is(g.code, 0);
  assert.is(g.events.filter((e) => e['type'] === 'done').length, 2);
  const p = await rig.exec(['deploy/kitti']);
  assert.match(p.stderr, /is a prefix; select all under it with "deploy\/kitti\/\*\*"/);
  // Command suggestions come from the CLI's command table (issue 14 #5: lineage/verify were missing).
  for (const [typo, command] of [['linage', 'lineage'], ['verfy', 'verify'], ['provenanse', 'provenance']]) {
    const t = await rig.exec([typo!]);
    assert.is(t.code, 2);
    assert.match(t.stderr, `did you mean the command \`bevbuild ${command}\``);
  }
}));

test('an unknown executor or invalid slurm options are configuration errors naming what is expected', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': shConfig(`    a: sh({script: 'echo a > "$1"', outputs: ['out/a']}),`, `
  executor: () => 'cluster',
  slurm: () => ({cpusPerTask: 0, gpus: 2}),`)});
  const r = await rig.exec(['a']);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /unknown executor "cluster": expected one of "local", "slurm"/);
  assert.match(r.stderr, /slurm options: Too small: expected number to be >0/);
  assert.match(r.stderr, /slurm options: Unrecognized key: "gpus"/);
}));

test('a config that throws or exports nothing is a clear configuration error', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': 'throw new Error("boom: DATA_ROOT is not set");\n'});
  let r = await rig.exec(['x']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /error\[config-load-error\] bevbuild.config.ts failed to load: boom: DATA_ROOT is not set/);
  rig.write({'bevbuild.config.ts': 'export const x = 1;\n'});
  r = await rig.exec(['x']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /must `export default defineConfig/);
  const none = await WorkspaceRig.create();
  r = await none.exec(['x']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /no bevbuild.config.ts in .*pass -C <dir>/);
  await none[Symbol.asyncDispose]();
  r = await rig.exec(['--jobs', 'many', 'x']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /expected -j\/--jobs to be a positive integer, got "many"/);
}));

test('rule functions returning something else than a list are configuration errors, not crashes', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const api = JSON.stringify(join(repoRoot, 'src', 'index.ts'));
  const config = (inputs: string, outputs: string) => `import {defineConfig, defineRule, z} from ${api};
const r = defineRule({name: 't/x', version: 1, params: z.object({}), inputs: () => ${inputs} as never, outputs: () => ${outputs} as never, argv: () => ['true']});
export default defineConfig({artifacts: {a: r({})}});
`;
  for (const [inputs, outputs, said] of [
    ['5', "['o']", /inputs\(\) must return an array of paths, globs \(strings\) or artifact references; got number 5/],
    ["[Symbol('x')]", "['o']", /inputs\(\) must return .*; got a symbol in it/],
    ['[]', "'o'", /outputs\(\) must return an array of workspace paths \(strings\); got string "o"/],
    ['[]', '[1n]', /outputs\(\) must return .*; got a bigint in it/],
  ] as const) {
    rig.write({'bevbuild.config.ts': config(inputs, outputs)});
    const r = await rig.exec(['a']);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, said);
    assert.not.match(r.stderr, /internal error/);
  }
}));

test('built-in rules import as bevbuild/rules/<path>; a wrong path says which one was meant', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const config = (spec: string) => `import {defineConfig} from 'bevbuild';
import {pythonVenv} from '${spec}';
export default defineConfig({artifacts: {'env/x': pythonVenv({name: 'x', requirements: 'r.txt'})}});
`;
  rig.write({'bevbuild.config.ts': config('bevbuild/rules/python-venv'), 'r.txt': ''});
  const g = await rig.exec(['graph', '--format', 'json']);
  assert.is(g.code, 0, g.stderr);
  assert.match(g.stdout, /"env\/x"/);
  rig.write({'bevbuild.config.ts': config('bevbuild/rules/pyton-venv')});
  const r = await rig.exec(['status']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /"bevbuild\/rules\/pyton-venv" is not a built-in rule file — did you mean "bevbuild\/rules\/python-venv"\?/);
}));

test('an error thrown while the config loads points at the config source, not at the compiled bundle', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const config = shConfig(`    a: sh({script: 'true', outputs: ['out/a']}),`);
  rig.write({'bevbuild.config.ts': config.replace('export default', "function helper(): number {\n  throw new Error('boom in helper');\n}\nconst n = helper();\nexport default")});
  const r = await rig.exec(['a']);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /error\[config-load-error\] bevbuild.config.ts failed to load: boom in helper\n {2}= at helper \(bevbuild.config.ts:\d+:\d+\)\n {2}= at bevbuild.config.ts:\d+:\d+\n\n/);
  assert.not.match(r.stderr, /\.mjs|load-config/);
}));

test.run();
