/** `graph`, `why`, `status`, `cache prune`, `clean`: what users look at and tidy up with. */
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {BEVBUILD, WorkspaceRig, shConfig, summaryOf} from './util/workspace-rig.ts';

const test = suite('commands');

/** Polls until `check` holds (the test's timeout is the hang guard). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(50);
}

const config = shConfig(`    'data/x': sh({script: 'cat "$1" > "$2"', inputs: ['src/x.txt'], outputs: ['out/x']}),
    'train/x': sh({script: 'cat "$1" "$1" > "$2"', inputs: ['out/x'], outputs: ['out/ckpt']}),
    'deploy/x': sh({script: 'cp "$1" "$2"', inputs: ['out/ckpt'], outputs: ['deploy/x.bin']}),`);

test('graph prints Mermaid, DOT and JSON of a target\'s closure', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config, 'src/x.txt': 'x\n'});
  const mermaid = (await rig.exec(['graph', 'train/x'])).stdout;
  assert.match(mermaid, /^flowchart LR\n/);
  assert.match(mermaid, /n0\["data\/x<br\/><small>test\/sh<\/small>"\]\n {2}n1\["train\/x/);
  assert.match(mermaid, /n0 --> n1/);
  assert.not.match(mermaid, /deploy\/x/);
  const dot = (await rig.exec(['graph', '--format', 'dot'])).stdout;
  assert.match(dot, /"train\/x" -> "deploy\/x";/);
  const json = JSON.parse((await rig.exec(['graph', '--format', 'json'])).stdout) as {nodes: {id: string; deps: string[]}[]};
  assert.equal(json.nodes.map((n) => [n.id, n.deps]), [['data/x', []], ['train/x', ['data/x']], ['deploy/x', ['train/x']]]);
}));

test('why follows stale dependencies down to the root cause; status lists every node', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config, 'src/x.txt': 'x\n'});
  assert.is((await rig.exec(['deploy/x'])).code, 0);
  assert.match((await rig.exec(['why', 'deploy/x'])).stdout, /deploy\/x: fresh/);
  rig.write({'src/x.txt': 'y\n'});
  const why = (await rig.exec(['why', 'deploy/x'])).stdout;
  // Nothing but data/x reads the edited file: the others run only if what they wait for changes.
  assert.match(why, /deploy\/x: may run \(unless what it waits for comes out unchanged\) — dependency-will-run: train\/x\n {2}train\/x: may run \(unless what it waits for comes out unchanged\) — dependency-will-run: data\/x\n {4}data\/x: would run — input-changed: src\/x.txt/);
  assert.match(why, /root cause:\n {2}data\/x: input-changed: src\/x.txt/);
  // --json: each reason in words (`reasons`) and as data (`causes`, keyed by kind) for scripts.
  const whyJson = JSON.parse((await rig.exec(['why', 'deploy/x', '--json'])).stdout) as {rootCauses: string[]; chain: {id: string; reasons: string[]; causes: unknown[]}[]};
  assert.equal(whyJson.rootCauses, ['data/x']);
  assert.equal(whyJson.chain.map((e) => [e.id, e.reasons, e.causes]), [
    ['deploy/x', ['dependency-will-run: train/x'], [{kind: 'dependency-will-run', dependency: 'train/x'}]],
    ['train/x', ['dependency-will-run: data/x'], [{kind: 'dependency-will-run', dependency: 'data/x'}]],
    ['data/x', ['input-changed: src/x.txt'], [{kind: 'input-changed', path: 'src/x.txt'}]],
  ]);
  const status = (await rig.exec(['status'])).stdout;
  assert.match(status, /▶ stale {3}data\/x {2}input-changed: src\/x.txt/);
  assert.match(status, /0 fresh, 3 to rebuild or restore/);
}));

test('cache prune bounds the store; clean keeps it (restore), clean --all drops it (rerun)', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config, 'src/x.txt': 'x\n'});
  assert.is((await rig.exec(['deploy/x'])).code, 0);
  assert.is((await rig.exec(['clean'])).code, 0);
  assert.not.ok(rig.exists('deploy/x.bin'));
  let r = await rig.json(['deploy/x']);
  assert.equal(summaryOf(r.events).restored, 3);
  const prune = await rig.exec(['cache', 'prune', '--max-size', '0', '--json']);
  assert.is(prune.code, 0, prune.stderr);
  const p = JSON.parse(prune.stdout) as {removedRecords: number; sizeAfter: number};
  assert.ok(p.removedRecords >= 1, prune.stdout);
  assert.is((await rig.exec(['cache', 'prune'])).code, 2, 'prune without --max-size is a usage error');
  assert.is((await rig.exec(['clean', '--all'])).code, 0);
  assert.not.ok(rig.exists('.bevbuild'));
  r = await rig.json(['deploy/x']);
  assert.equal(summaryOf(r.events).executed, 3);
}));

test('clean --all waits for a running build instead of deleting its store and staging', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': shConfig(`    slow: sh({script: 'touch started; while [ ! -f go ]; do sleep 0.05; done; echo done > "$1"', outputs: ['out/slow']}),`)});
  const build = rig.spawn(['slow']);
  await until(() => rig.exists('started'));
  const clean = rig.spawn(['clean', '--all']);
  await until(() => /clean waits for it to finish/.test(clean.output()));
  assert.ok(rig.exists('.bevbuild/runs'), 'the running build\'s staging is still there while clean waits');
  rig.write({go: ''});
  const b = await build.done;
  assert.is(b.code, 0, b.stderr);
  const c = await clean.done;
  assert.is(c.code, 0, c.stderr);
  assert.not.ok(rig.exists('.bevbuild'), 'clean --all ran after the build');
  assert.not.ok(rig.exists('out/slow'));
}));

test('on a terminal a live line shows done/total and the running nodes; in CI plain lines only', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config.replace("'cp \"$1\" \"$2\"'", "'sleep 1.2; cp \"$1\" \"$2\"'"), 'src/x.txt': 'x\n'});
  // `script` gives the command a pseudo-terminal, as an interactive shell would.
  const {spawnSync} = await import('node:child_process');
  const tty = spawnSync('script', ['-qec', `node ${JSON.stringify(BEVBUILD)} deploy/x`, '/dev/null'], {cwd: rig.dir, encoding: 'utf8', env: {...process.env, CI: ''}});
  assert.is(tty.status, 0, tty.stdout);
  assert.match(tty.stdout, /\r\x1b\[2K\[2\/3\] \d+s running: deploy\/x/);
  const ci = await rig.exec(['deploy/x']);
  assert.not.match(ci.stderr, /\x1b\[2K/, 'no terminal control codes in CI logs');
}));

test.run();
