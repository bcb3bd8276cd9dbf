/**
 * Issue 12: the opt-in per-workspace daemon (BEVBUILD_DAEMON=1). A command it answers must be the
 * command the client would have run itself: same output streams, exit code, effects and signals;
 * a config evaluated anew each time; another environment never served by the same daemon; and a
 * daemon that is gone, garbage on its socket or a killed client never loses a build.
 */
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {spawnSync} from 'node:child_process';
import {connect} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {everyKindOfChange} from './util/tree-changes.ts';
import {API, BEVBUILD, WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('daemon');

/** A config with `a` (copies in/a.txt and the declared tag), `slow` (sleeps) and `bad` (fails). */
const CONFIG = `import {readFileSync} from 'node:fs';
import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const sh = defineRule({name: 'test/sh', version: 1,
  params: z.object({script: z.string(), inputs: z.array(z.string()), out: z.string()}),
  inputs: (p) => p.inputs, outputs: (p) => [p.out],
  argv: (p, ctx) => ['sh', '-c', p.script, ctx.out(p.out), ...p.inputs.map(ctx.in)]});
// Read while declaring: the daemon must evaluate the config again when this file changes.
const tag = readFileSync(new URL('./tag.txt', import.meta.url), 'utf8').trim();
export default defineConfig({artifacts: {
  a: sh({script: 'cat "$1" > "$0"; echo ' + tag + ' >> "$0"', inputs: ['in/a.txt'], out: 'out/a.txt'}),
  slow: sh({script: 'echo $$ > slow.pid; sleep 30; echo done > "$0"', inputs: [], out: 'out/slow.txt'}),
  bad: sh({script: 'echo broken >&2; exit 3', inputs: [], out: 'out/bad.txt'}),
  // Every file under data/ with its content, in path order.
  tree: sh({script: '(cd "$1" && find -L . -type f | LC_ALL=C sort | while read -r f; do printf "%s=" "$f"; cat "$f"; echo; done) > "$0"', inputs: ['data'], out: 'out/tree.txt'}),
}});
`;

/** A workspace and a daemon directory of its own; disposing stops the daemons it started. */
async function daemonRig(): Promise<{rig: WorkspaceRig; env: Record<string, string>; [Symbol.asyncDispose](): Promise<void>}> {
  const rig = await WorkspaceRig.create();
  const dir = mkdtempSync(join(tmpdir(), 'bbd-'));
  rig.write({'bevbuild.config.ts': CONFIG, 'in/a.txt': 'hello\n', 'tag.txt': 'v1\n', 'data/x.txt': 'x', 'data/sub/y.txt': 'y'});
  return {
    rig,
    env: {BEVBUILD_DAEMON: '1', BEVBUILD_DAEMON_DIR: dir, BEVBUILD_DAEMON_IDLE_S: '120', BEVBUILD_TIMING: '1'},
    async [Symbol.asyncDispose]() {
      for (const pid of daemonPids(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dir, {recursive: true, force: true});
      await rig[Symbol.asyncDispose]();
    },
  };
}

function daemonPids(dir: string): number[] {
  return readdirSync(dir).filter((f) => f.endsWith('.pid')).map((f) => Number(readFileSync(join(dir, f), 'utf8')));
}

/** Waits until `n` daemons listen in `dir` (each writes its pid file once its socket is in place). */
async function daemons(dir: string, n = 1): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    const pids = daemonPids(dir);
    if (pids.length >= n) return pids;
    await sleep(50);
  }
  assert.unreachable(`${n} daemon(s) never started in ${dir}`);
  return [];
}

/** The first build runs in the client and starts the daemon; returns once the daemon listens. */
async function started(d: {rig: WorkspaceRig; env: Record<string, string>}): Promise<number> {
  const r = await d.rig.exec(['a'], d.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /daemon: none answered; running here and starting one/);
  return (await daemons(d.env['BEVBUILD_DAEMON_DIR']!))[0]!;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the daemon answers the next build with what the build in-process does', withTimeout(async () => {
  await using d = await daemonRig();
  await started(d);
  d.rig.write({'in/a.txt': 'edited\n'});
  const viaDaemon = await d.rig.json(['a'], d.env);
  assert.is(viaDaemon.code, 0, viaDaemon.stderr);
  assert.match(viaDaemon.stderr, /daemon: answered/);
  assert.is(d.rig.read('out/a.txt'), 'edited\nv1\n');
  assert.ok(viaDaemon.events.some((e) => e['id'] === 'a' && e['status'] === 'executed'), JSON.stringify(viaDaemon.events));
  // The same edit once more, in-process: the same events (but timings) on stdout.
  d.rig.write({'in/a.txt': 'edited again\n'});
  const here = await d.rig.json(['a'], {...d.env, BEVBUILD_DAEMON: '0'});
  const shape = (events: Record<string, unknown>[]) => events.map((e) => `${e['type']}:${e['id'] ?? ''}:${e['status'] ?? ''}`).join('\n');
  assert.is(shape(viaDaemon.events), shape(here.events));
}));

test('a file the config reads while declaring: the daemon evaluates the config anew', withTimeout(async () => {
  await using d = await daemonRig();
  await started(d);
  d.rig.write({'tag.txt': 'v2\n'});
  const r = await d.rig.exec(['a'], d.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /daemon: answered/);
  assert.is(d.rig.read('out/a.txt'), 'hello\nv2\n');
}));

test('a declaration kept between commands: used while what it read holds, made anew when a read file changes, and replayed into the no-op stamp', withTimeout(async () => {
  await using d = await daemonRig();
  await started(d);
  await sleep(1100); // past the racy window: files read within a second of declaring are not trusted
  const build = async (edit: string) => {
    d.rig.write({'in/a.txt': `${edit}\n`}); // an edited source input: the analysis only asks whether it exists
    const r = await d.rig.exec(['a'], d.env);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /daemon: answered/);
    return r.stderr;
  };
  assert.not.match(await build('e1'), /config kept/, 'the daemon\'s first command evaluates');
  assert.match(await build('e2'), /config kept \(daemon\)/);
  assert.is(d.rig.read('out/a.txt'), 'e2\nv1\n');
  d.rig.write({'tag.txt': 'v2\n'});
  assert.not.match(await build('e3'), /config kept/, 'a file the config read changed');
  assert.is(d.rig.read('out/a.txt'), 'e3\nv2\n');
  await sleep(1100);
  assert.not.match(await build('e4'), /config kept/, 'v2 was too new to trust when it was read');
  await sleep(1100);
  // A no-op with the kept declaration: the stamp it leaves must name the file the config read.
  const noop = await d.rig.exec(['a'], d.env);
  assert.match(noop.stderr, /config kept \(daemon\)/);
  const stamp = JSON.parse(d.rig.read('.bevbuild/state/noop-stamp.json')) as {observed: [string, string][]};
  assert.ok(stamp.observed.some(([p]) => p.endsWith('/tag.txt')), JSON.stringify(stamp.observed));
  d.rig.write({'tag.txt': 'v3\n'});
  const after = await d.rig.exec(['a'], d.env);
  assert.is(after.code, 0, after.stderr);
  assert.is(d.rig.read('out/a.txt'), 'e4\nv3\n');
  // A deleted source input: the kept declaration no longer holds, and the analysis says so.
  await sleep(1100);
  await build('e5');
  rmSync(d.rig.path('in/a.txt'));
  const gone = await d.rig.exec(['a'], d.env);
  assert.is(gone.code, 2, gone.stderr);
  assert.match(gone.stderr, /in\/a\.txt" does not exist/);
}));

test('a config that calls process.exit: the client exits with its code and all its output, the daemon with it', withTimeout(async () => {
  await using d = await daemonRig();
  d.rig.write({'bevbuild.config.ts': CONFIG.replace('export default', "if (tag === 'exit') { process.on('exit', (c) => console.log(`listener says ${c}`)); for (let i = 0; i < 20000; i++) console.log(`line ${i} ${'x'.repeat(60)}`); process.exit(3); }\nexport default")});
  const pid = await started(d);
  d.rig.write({'tag.txt': 'exit\n'});
  const r = await d.rig.exec(['a'], d.env);
  assert.match(r.stderr, /daemon: answered/);
  assert.is(r.code, 3, r.stderr);
  assert.is(r.stdout.split('\n').filter((l) => l.startsWith('line ')).length, 20000, 'every line before the exit');
  assert.not.match(r.stderr, /daemon stopped/);
  assert.ok(r.stdout.trimEnd().endsWith('listener says 3'), 'the exit listener saw the code, its output last');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
  assert.not.ok(alive(pid), 'the daemon ended with the command');
  d.rig.write({'tag.txt': 'v1\n'});
  const next = await d.rig.exec(['a'], d.env);
  assert.is(next.code, 0, next.stderr);
  assert.match(next.stderr, /daemon: none answered/);
}));

test('a config that logs while it declares is evaluated (and logs) at every command', withTimeout(async () => {
  await using d = await daemonRig();
  d.rig.write({'bevbuild.config.ts': CONFIG.replace('export default', "console.error('declaring now');\nexport default")});
  await started(d);
  await sleep(1100);
  for (let i = 0; i < 3; i++) {
    d.rig.write({'in/a.txt': `log ${i}\n`});
    const r = await d.rig.exec(['a'], d.env);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /daemon: answered/);
    assert.match(r.stderr, /declaring now/, `command ${i}`);
  }
}));

test('what a config changes in process.env while it declares does not carry over to the next command', withTimeout(async () => {
  await using d = await daemonRig();
  d.rig.write({'bevbuild.config.ts': CONFIG.replace("const tag = readFileSync(new URL('./tag.txt', import.meta.url), 'utf8').trim();", "process.env.BB_FLAGS = (process.env.BB_FLAGS ?? '') + 'x'; const tag = process.env.BB_FLAGS; void readFileSync;")});
  await started(d);
  for (let i = 0; i < 2; i++) {
    d.rig.write({'in/a.txt': `edit ${i}\n`});
    const r = await d.rig.exec(['a'], d.env);
    assert.match(r.stderr, /daemon: answered/);
    assert.is(d.rig.read('out/a.txt'), `edit ${i}\nx\n`);
  }
}));

test('a cd between commands (another OLDPWD) reaches the same daemon, whose command sees the new value', withTimeout(async () => {
  await using d = await daemonRig();
  d.rig.write({'bevbuild.config.ts': CONFIG.replace("const tag = readFileSync(new URL('./tag.txt', import.meta.url), 'utf8').trim();", "const tag = process.env.OLDPWD ?? 'unset'; void readFileSync;")});
  d.env['OLDPWD'] = '/first';
  await started(d);
  d.rig.write({'in/a.txt': 'after cd\n'});
  const r = await d.rig.exec(['a'], {...d.env, OLDPWD: '/second'});
  assert.match(r.stderr, /daemon: answered/);
  assert.is(d.rig.read('out/a.txt'), 'after cd\n/second\n');
}));

test('exit codes and streams: a failing tool is 1, a bad target 2, --help on stdout', withTimeout(async () => {
  await using d = await daemonRig();
  await started(d);
  const bad = await d.rig.exec(['bad'], d.env);
  assert.match(bad.stderr, /daemon: answered/);
  assert.is(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /broken/);
  const typo = await d.rig.exec(['nosuch'], d.env);
  assert.is(typo.code, 2, typo.stderr);
  assert.match(typo.stderr, /nosuch/);
  const help = await d.rig.exec(['--help'], d.env);
  assert.is(help.code, 0);
  assert.match(help.stdout, /bevbuild/);
  assert.is(help.stderr.replace(/^\[timing\].*\n/gm, ''), '', 'nothing but timing on stderr');
}));

test('Ctrl-C of the client stops the tool the daemon runs; a killed client does too', withTimeout(async () => {
  await using d = await daemonRig();
  await started(d);
  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    rmSync(d.rig.path('slow.pid'), {force: true});
    const run = d.rig.spawn(['slow'], d.env);
    let tool = 0;
    for (let i = 0; i < 300 && !tool; i++) {
      await sleep(50);
      try {
        tool = Number(readFileSync(d.rig.path('slow.pid'), 'utf8'));
      } catch {
        // not started yet
      }
    }
    assert.ok(tool > 0, 'the slow tool started');
    run.child.kill(signal);
    const r = await run.done;
    if (signal === 'SIGINT') assert.is(r.code, 130, r.stderr);
    for (let i = 0; i < 200 && alive(tool); i++) await sleep(50);
    assert.not.ok(alive(tool), `the tool (pid ${tool}) was stopped after the client got ${signal}`);
    assert.not.ok(d.rig.exists('out/slow.txt'));
  }
  // The daemon survived both and still answers.
  const r = await d.rig.exec(['a'], d.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /daemon: answered/);
}));

test('a daemon busy with a build: another command runs in its own process at once', withTimeout(async () => {
  await using d = await daemonRig();
  await started(d);
  const run = d.rig.spawn(['slow'], d.env);
  for (let i = 0; i < 300 && !d.rig.exists('slow.pid'); i++) await sleep(50);
  try {
    const status = await d.rig.exec(['status', 'a'], d.env);
    assert.is(status.code, 0, status.stderr);
    assert.match(status.stderr, /daemon: busy; running here/);
    assert.match(status.stdout, /a/);
  } finally {
    run.child.kill('SIGINT');
    await run.done;
  }
}));

test('another environment is another daemon; garbage on the socket is dropped', withTimeout(async () => {
  await using d = await daemonRig();
  const dir = d.env['BEVBUILD_DAEMON_DIR']!;
  const [first] = [await started(d)];
  const other = await d.rig.exec(['a'], {...d.env, CUDA_VISIBLE_DEVICES: '1'});
  assert.match(other.stderr, /daemon: none answered/, 'not the first daemon');
  await daemons(dir, 2);
  // Another nice level (as another ulimit or cgroup would): the tools would inherit it, so another daemon.
  const niced = spawnSync('nice', ['-n', '3', process.execPath, BEVBUILD, 'a'], {cwd: d.rig.dir, env: {...process.env, CI: '1', ...d.env}, encoding: 'utf8'});
  assert.is(niced.status, 0, niced.stderr);
  assert.match(niced.stderr, /daemon: none answered/, 'not a daemon of the other nice level');
  const pids = await daemons(dir, 3);
  assert.ok(pids.includes(first!));
  const socket = join(dir, readdirSync(dir).find((f) => f.endsWith('.sock') && readFileSync(join(dir, `${f}.pid`), 'utf8') === String(first))!);
  for (const junk of ['not json\n', '{"argv":"a"}\n', '{"argv":[1]}\n']) {
    await new Promise<void>((resolve) => {
      const s = connect(socket, () => s.write(junk));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
  }
  writeFileSync(d.rig.path('in/a.txt'), 'after junk\n');
  const r = await d.rig.exec(['a'], d.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /daemon: answered/);
  assert.is(d.rig.read('out/a.txt'), 'after junk\nv1\n');
}));

test('at most 8 daemons per user: a ninth environment stops the longest-running one', withTimeout(async () => {
  await using d = await daemonRig();
  const dir = d.env['BEVBUILD_DAEMON_DIR']!;
  const pids: number[] = [];
  for (let i = 0; i < 9; i++) {
    const r = await d.rig.exec(['--version'], {...d.env, BB_WHICH: String(i)});
    assert.is(r.code, 0, r.stderr);
    let fresh: number | undefined;
    for (let k = 0; k < 200 && fresh === undefined; k++) {
      fresh = daemonPids(dir).find((p) => !pids.includes(p));
      if (fresh === undefined) await sleep(50);
    }
    assert.ok(fresh, `daemon ${i} started`);
    pids.push(fresh!);
  }
  for (let i = 0; i < 200 && alive(pids[0]!); i++) await sleep(50);
  assert.not.ok(alive(pids[0]!), 'the first daemon was stopped');
  assert.ok(pids.slice(1).every(alive), 'the other eight run');
}));

test('a daemon killed with -9 leaves a socket nobody answers: the build runs in-process and starts another', withTimeout(async () => {
  await using d = await daemonRig();
  const pid = await started(d);
  process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(20);
  d.rig.write({'in/a.txt': 'after kill\n'});
  const r = await d.rig.exec(['a'], d.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /daemon: none answered/);
  assert.is(d.rig.read('out/a.txt'), 'after kill\nv1\n');
}));

test('an idle daemon exits and removes its socket', withTimeout(async () => {
  await using d = await daemonRig();
  d.env['BEVBUILD_DAEMON_IDLE_S'] = '1';
  const pid = await started(d);
  for (let i = 0; i < 200 && alive(pid); i++) await sleep(50);
  assert.not.ok(alive(pid), 'the idle daemon exited');
  assert.equal(readdirSync(d.env['BEVBUILD_DAEMON_DIR']!).filter((f) => !f.endsWith('.log')), []);
}));

test('a config importing a package of its own: served once, then declined (its load-time effects happen once per process)', withTimeout(async () => {
  await using d = await daemonRig();
  // An npm workspace or `npm link`: node_modules/acme-tag is a symlink to sources edited in place.
  d.rig.write({
    'packages/acme-tag/package.json': '{"name": "acme-tag", "type": "module", "main": "index.js"}\n',
    'packages/acme-tag/index.js': "export const TAG = 'pkg-v1';\n",
    'bevbuild.config.ts': CONFIG.replace("const tag = readFileSync(new URL('./tag.txt', import.meta.url), 'utf8').trim();", "import {TAG as tag} from 'acme-tag';"),
  });
  mkdirSync(d.rig.path('node_modules'));
  symlinkSync('../packages/acme-tag', d.rig.path('node_modules/acme-tag'));
  const pid = await started(d);
  assert.is(d.rig.read('out/a.txt'), 'hello\npkg-v1\n');
  d.rig.write({'in/a.txt': 'first via the daemon\n'});
  const first = await d.rig.exec(['a'], d.env);
  assert.match(first.stderr, /daemon: answered/, 'the first command loads the package afresh, as a process of its own');
  assert.is(d.rig.read('out/a.txt'), 'first via the daemon\npkg-v1\n');
  for (let i = 0; i < 200 && alive(pid); i++) await sleep(50);
  assert.not.ok(alive(pid), 'the daemon retired after it');
  d.rig.write({'packages/acme-tag/index.js': "export const TAG = 'pkg-v2';\n"});
  const r = await d.rig.exec(['a'], d.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /daemon: declined \(the config imports .*acme-tag\/index\.js\); running here/);
  assert.is(d.rig.read('out/a.txt'), 'first via the daemon\npkg-v2\n');
  assert.equal(daemonPids(d.env['BEVBUILD_DAEMON_DIR']!), [], 'and no daemon was started again');
}));

/** What out/tree.txt must hold for data/ as it is now. */
function listing(root: string): string {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      const r = `${rel}/${e.name}`;
      const st = statSync(join(dir, e.name));
      if (st.isDirectory()) walk(join(dir, e.name), r);
      else out.push(`${r}=${readFileSync(join(dir, e.name), 'utf8')}`);
    }
  };
  walk(root, '.');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((l) => `${l}\n`).join('');
}

test('a directory input kept by the daemon\'s watcher: every kind of change is seen at once', withTimeout(async () => {
  await using d = await daemonRig();
  await started(d);
  const data = d.rig.path('data');
  const outside = d.rig.path('outside');
  mkdirSync(outside);
  const check = async (what: string) => {
    const r = await d.rig.exec(['tree'], d.env);
    assert.is(r.code, 0, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /daemon: answered/, what);
    assert.is(d.rig.read('out/tree.txt'), listing(data), what);
  };
  await everyKindOfChange(data, outside, check, 8);
}));

test.run();
