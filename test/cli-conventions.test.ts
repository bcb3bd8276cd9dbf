/**
 * Issue 14 #3, CLI conventions: per-command --help, the workspace found from a subdirectory,
 * NO_COLOR/FORCE_COLOR, glob brackets in targets, a target typo reported as such (not as a
 * configuration error), and `-n --json` ending with the summary line.
 */
import {spawnSync} from 'node:child_process';
import {mkdirSync} from 'node:fs';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {globToRegExp} from '../src/graph/glob.ts';
import {colorEnabled} from '../src/reporting/color.ts';
import {withTimeout} from './util/rig-test.ts';
import {BEVBUILD, WorkspaceRig, shConfig} from './util/workspace-rig.ts';

const test = suite('cli-conventions');

const config = shConfig(`    'deploy/kitti/second': sh({script: 'echo k > "$1"', outputs: ['out/k']}),
    'deploy/v2x/second': sh({script: 'echo v > "$1"', outputs: ['out/v']}),
    'deploy/dair/second': sh({script: 'echo d > "$1"', outputs: ['out/d']}),`);

/** Runs bevbuild in `cwd` with exactly `env` added to a colour-neutral environment. */
function run(cwd: string, args: string[], env: Record<string, string> = {}) {
  const base: NodeJS.ProcessEnv = {...process.env, CI: '1'};
  delete base['NO_COLOR'];
  delete base['FORCE_COLOR'];
  return spawnSync(process.execPath, [BEVBUILD, ...args], {cwd, env: {...base, ...env}, encoding: 'utf8'});
}

test('every command has its own --help (and `help <command>`)', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  for (const [args, head] of [[['clean', '--help'], 'bevbuild clean [target…] [--all]'], [['help', 'watch'], 'bevbuild watch <target…>'], [['status', '-h'], 'bevbuild status'], [['--help', 'build'], 'bevbuild [build] <target…>']] as const) {
    const r = run(rig.dir, [...args]);
    assert.is(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith(head), `${args.join(' ')}: ${r.stdout.slice(0, 80)}`);
  }
  assert.match(run(rig.dir, ['--help']).stdout, /`bevbuild <command> --help` describes one command/);
}));

test('the workspace is found from any subdirectory, as git finds its repository', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  mkdirSync(rig.path('src/deep/er'), {recursive: true});
  const r = run(rig.path('src/deep/er'), ['deploy/kitti/second']);
  assert.is(r.status, 0, r.stderr);
  assert.ok(rig.exists('out/k'), 'outputs land in the workspace, not the subdirectory');
  assert.is(run(rig.path('src'), ['-C', 'deep', 'status']).status, 0, '-C walks up too');
}));

test('colours follow FORCE_COLOR, then NO_COLOR, then the terminal', withTimeout(async () => {
  const tty = {isTTY: true};
  assert.ok(colorEnabled(tty, {}));
  assert.not.ok(colorEnabled({isTTY: false}, {}));
  assert.not.ok(colorEnabled(tty, {NO_COLOR: '1'}));
  assert.ok(colorEnabled(tty, {NO_COLOR: ''}), 'an empty NO_COLOR does not count');
  assert.not.ok(colorEnabled(tty, {TERM: 'dumb'}));
  assert.ok(colorEnabled({isTTY: false}, {FORCE_COLOR: '1'}));
  assert.ok(colorEnabled({isTTY: false}, {FORCE_COLOR: '1', NO_COLOR: '1'}), 'FORCE_COLOR wins, as in Node');
  assert.not.ok(colorEnabled(tty, {FORCE_COLOR: '0'}));
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const forced = run(rig.dir, ['deploy/kitti/second'], {FORCE_COLOR: '1'});
  assert.match(forced.stderr, /\x1b\[32m✔\x1b\[0m executed/);
  const plain = run(rig.dir, ['deploy/v2x/second'], {NO_COLOR: '1'});
  assert.is(plain.status, 0);
  assert.not.match(plain.stderr, /\x1b\[/);
}));

test('glob brackets select by character class; an unclosed bracket is a literal', withTimeout(async () => {
  assert.ok(globToRegExp('deploy/[kv]*/second').test('deploy/v2x/second'));
  assert.not.ok(globToRegExp('deploy/[kv]*/second').test('deploy/dair/second'));
  assert.ok(globToRegExp('a/[!k]*').test('a/v2x'));
  assert.not.ok(globToRegExp('a/[!k]*').test('a/kitti'));
  assert.ok(globToRegExp('a/[a-c]').test('a/b'));
  assert.not.ok(globToRegExp('a[/]b').test('a/b'), 'a class never matches /');
  assert.ok(globToRegExp('a/[x').test('a/[x'));
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const r = await rig.json(['-n', 'deploy/[kv]*/second']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.events.filter((e) => e['type'] === 'plan').map((e) => e['id']).sort(), ['deploy/kitti/second', 'deploy/v2x/second']);
}));

test('a target typo is reported as a target error, not a configuration error', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const r = await rig.exec(['deploy/kitti/secnd']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /did you mean "deploy\/kitti\/second"\?/);
  assert.match(r.stderr, /1 error in the target given; nothing was built\./);
  assert.not.match(r.stderr, /configuration/);
}));

test('-n --json ends with the summary line, like a build', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const r = await rig.json(['-n', 'deploy/**']);
  assert.is(r.code, 0, r.stderr);
  const last = r.events.at(-1)!;
  assert.is(last['type'], 'summary');
  assert.is(last['dryRun'], true);
  assert.is(last['executed'], 0);
  assert.ok(r.events.some((e) => e['type'] === 'plan-summary'));
  const text = await rig.exec(['-n', 'deploy/**']);
  assert.not.match(text.stderr, /ran 0 ·/, 'the text plan keeps its own summary line');
}));

test.run();
