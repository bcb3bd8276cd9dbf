/**
 * No-op build benchmarks for the engine (issues 2 and 12). Not tests: prints `name  value  peer/limit  ratio`.
 *  1. A 1,000-node synthetic graph (100 input files × 10 layers, each node reading 2 nodes of the
 *     layer below): whole-process wall time of `bevbuild` when nothing changed (limit 100 ms and
 *     2× `node -e 0`), its peak RSS (limit 100 MB), and the planning time (`--dry-run`) after one
 *     leaf input was edited (limit 150 ms); beside ninja, `make -q` and Snakemake on the same graph.
 *  2. One node whose input is a directory of 30,000 files (KITTI scale): no-op (limit 150 ms), and
 *     a build after one file changed (limit 250 ms, only its consumer reruns); beside `dvc status`
 *     and Snakemake on the same directory.
 * bevbuild runs as its executable, the way it is called from PATH (not `node bin/bevbuild.js`).
 * On Linux the two no-ops also print their CPU time (user + system, from /proc), which a busy
 * machine stretches less than wall time.
 * Snakemake and DVC come from a bench venv made on demand from bench/peers-requirements.txt (PyPI,
 * once, a few minutes; `--no-peers` skips them). Figures are wall times: on a shared, loaded
 * machine read the ratios, which are taken in the same run.
 * Usage: node --import tsx bench/engine-noop.ts [--runs N] [--no-peers] [--only FIGURES]
 *   --only takes a comma list of figures to measure (while working on some of them):
 *   noop, full, rss, leaf, peers (graph); dir-noop, dir-full, changed, dir-peers (30,000 files).
 *   --keep leaves the generated workspaces in place (their path is printed) to profile them by hand.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {availableParallelism, loadavg, tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {ensureVenv} from '../test/util/venv.ts';
import {API, BEVBUILD, line, runsOption} from './common.ts';

const RUNS = runsOption(7);
/** `--only a,b`: the figures to measure (all when absent). */
const ONLY = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? new Set((process.argv[i + 1] ?? '').split(',')) : undefined;
})();
/** Whether figure `f` is to be measured. */
const want = (f: string): boolean => !ONLY || ONLY.has(f);
const W = 100;
const L = 10;


/** Clock ticks per second of /proc's times. */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'})) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system, ms) of the children this process has waited for, from /proc (Linux;
 * undefined elsewhere). Less stretched than wall time on a busy machine.
 */
function childCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS; // cutime, cstime
  } catch {
    return undefined;
  }
}

/** Mean CPU time (ms) of the timed runs of the last `time` call (coarse: 10 ms ticks, averaged). */
let lastCpuMs: number | undefined;

/** Median wall time of a command over RUNS runs (after one warm-up); `before` runs untimed before each. */
function time(cmd: string, args: string[], cwd: string, before?: (i: number) => void, env: Record<string, string> = {}): number {
  const o = {cwd, stdio: 'ignore' as const, env: {...process.env, ...env}};
  spawnSync(cmd, args, o);
  const t: number[] = [];
  let cpu: number | undefined = 0;
  for (let i = 0; i < RUNS; i++) {
    before?.(i);
    const c0 = childCpuMs();
    const s = process.hrtime.bigint();
    const r = spawnSync(cmd, args, o);
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
    const c1 = childCpuMs();
    cpu = cpu === undefined || c0 === undefined || c1 === undefined ? undefined : cpu + c1 - c0;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  }
  lastCpuMs = cpu === undefined ? undefined : cpu / RUNS;
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}

/** Peak RSS (MB) of one run, through GNU time; undefined where it is not installed. */
function peakRssMb(args: string[], cwd: string): number | undefined {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...args], {cwd, encoding: 'utf8'});
  const kb = r.status === 0 ? Number(/(\d+)\s*$/.exec(r.stderr)?.[1]) : NaN;
  return Number.isFinite(kb) ? kb / 1024 : undefined;
}

/**
 * Waits until what the last build wrote is over a second old: a no-op stamps only files older than
 * that (racy timestamps), and the figures are of the steady state, a no-op after a no-op.
 */
function settle(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
const of = (x: number, limit: number) => `${(x / limit).toFixed(2)}× of limit`;

/** snakemake and dvc from the bench venv (made on first use), or undefined with `--no-peers` / no python. */
function peers(): {snakemake: string; dvc: string} | undefined {
  if (process.argv.includes('--no-peers') || !(want('peers') || want('dir-peers'))) return undefined;
  try {
    const bin = dirname(ensureVenv('bench/peers-requirements.txt', {progress: true}));
    return {snakemake: join(bin, 'snakemake'), dvc: join(bin, 'dvc')};
  } catch (e) {
    console.log(`(peers skipped: could not make the bench venv: ${(e as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

/** A peer's figures; a peer that fails says so in its line instead of ending the bench. */
function peerLine(name: string, measure: () => void): void {
  try {
    measure();
  } catch (e) {
    line(`  ${name}`, 'failed', '', (e as Error).message.split('\n')[0]!.slice(0, 80));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bevbuild-bench-noop-'));
/** The opt-in daemon's sockets (src/daemon/serve.ts): in the bench's own directory, stopped at the end. */
const DAEMON_ENV = {BEVBUILD_DAEMON: '1', BEVBUILD_DAEMON_DIR: join(dir, 'daemons')};

/**
 * Starts the daemon that will answer `args` in `cwd` (the first command runs in-process and starts
 * it), waits until it listens, and warms it with a few commands: the figures are of a daemon in use.
 */
function warmDaemon(args: string[], cwd: string, before?: (i: number) => void): void {
  const o = {cwd, stdio: 'ignore' as const, env: {...process.env, ...DAEMON_ENV}};
  const pids = () => (existsSync(DAEMON_ENV.BEVBUILD_DAEMON_DIR) ? readdirSync(DAEMON_ENV.BEVBUILD_DAEMON_DIR).filter((f) => f.endsWith('.pid')).length : 0);
  const had = pids();
  spawnSync(BEVBUILD, args, o);
  for (let i = 0; i < 100 && pids() === had; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  for (let i = 0; i < 5; i++) {
    before?.(100 + i);
    spawnSync(BEVBUILD, args, o);
  }
}

try {
  const peer = peers();
  const load = loadavg();
  const busy = load[0]! > availableParallelism() ? ' (busy: walls stretch, read the ratios)' : '';
  console.log(`load average ${load.map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores${busy}`);
  // --- 1. the layered graph, in bevbuild, ninja, make and snakemake -----------------------------
  if (['noop', 'full', 'rss', 'leaf', 'peers'].some(want)) {
    mkdirSync(join(dir, 'in'));
    for (let i = 0; i < W; i++) writeFileSync(join(dir, 'in', `${i}.txt`), `input ${i}\n`);
    const src = (l: number, i: number) => (l === 0 ? `in/${i % W}.txt` : `out/l${l - 1}/${i % W}.txt`);
    const arts: string[] = [];
    const ninja = ['rule cat', '  command = cat $in > $out'];
    const make: string[] = [];
    const tops: string[] = [];
    for (let l = 0; l < L; l++) {
      for (let i = 0; i < W; i++) {
        const a = src(l, i);
        const b = src(l, i + 1);
        const out = `out/l${l}/${i}.txt`;
        arts.push(`    ['l${l}/${i}', cat({inputs: ['${a}', '${b}'], out: '${out}'})],`);
        ninja.push(`build ${out}: cat ${a} ${b}`);
        make.push(`${out}: ${a} ${b}\n\t@mkdir -p $(@D) && cat $^ > $@`);
        if (l === L - 1) tops.push(out);
      }
    }
    make.unshift(`all: ${tops.join(' ')}`);
    writeFileSync(join(dir, 'build.ninja'), `${ninja.join('\n')}\n`);
    writeFileSync(join(dir, 'Makefile'), `${make.join('\n')}\n`);
    writeFileSync(join(dir, 'bevbuild.config.ts'), `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const cat = defineRule({
  name: 'bench/cat', version: 1,
  params: z.object({inputs: z.array(z.string()), out: z.string()}),
  inputs: (p) => p.inputs, outputs: (p) => [p.out],
  argv: (p, ctx) => ['sh', '-c', 'cat "$1" "$2" > "$3"', 'sh', ...p.inputs.map(ctx.in), ctx.out(p.out)],
});
export default defineConfig({artifacts: [
${arts.join('\n')}
]});
`);
    const targets = [`l${L - 1}/**`];
    execFileSync(BEVBUILD, [...targets, '-j', '4'], {cwd: dir, stdio: 'ignore'});
    settle();
    const nodeStart = time(process.execPath, ['-e', '0'], dir);
    const nodeCpu = lastCpuMs;
    const bb = want('noop') || want('peers') ? time(BEVBUILD, [...targets], dir) : NaN;
    const bbCpu = lastCpuMs;
    if (want('noop')) {
      line('no-op, 1,000-node graph (bevbuild)', ms(bb), 'limit 100 ms', of(bb, 100));
      line('  node -e 0 (process start)', ms(nodeStart), 'limit 2× node start', `${(bb / nodeStart).toFixed(1)}× node start`);
      if (process.env['NODE_EXTRA_CA_CERTS']) {
        // Node parses that CA bundle at every start; the bin defers it (see bin/bevbuild.js).
        const bare = time(process.execPath, ['-e', '0'], dir, undefined, {NODE_EXTRA_CA_CERTS: ''});
        line('  node -e 0 without NODE_EXTRA_CA_CERTS', ms(bare), '', `${(bb / bare).toFixed(1)}× that start`);
      }
      if (bbCpu !== undefined && nodeCpu) line('  CPU (user+sys) of that no-op', ms(bbCpu), `node -e 0: ${ms(nodeCpu)}`, `${(bbCpu / nodeCpu).toFixed(1)}× node start`);
    }
    if (want('full')) {
      const full = time(BEVBUILD, [...targets], dir, undefined, {BEVBUILD_NOOP_STAMP: 'off'});
      line('  the full check (BEVBUILD_NOOP_STAMP=off)', ms(full), '', `stamp/full ${(bb / full).toFixed(2)}×`);
    }
    if (want('rss')) {
      const rss = peakRssMb([BEVBUILD, ...targets], dir);
      line('  peak RSS of that no-op', rss === undefined ? 'n/a' : `${rss.toFixed(0)} MB`, 'limit 100 MB', rss === undefined ? '(no /usr/bin/time)' : of(rss, 100));
    }
    if (want('leaf')) {
      // One leaf edited: planning only (--dry-run runs no tool), the edit in place for every run.
      writeFileSync(join(dir, 'in', '0.txt'), 'edited\n');
      const plan = time(BEVBUILD, [...targets, '--dry-run'], dir);
      line('one leaf edited: planning (--dry-run)', ms(plan), 'limit 150 ms', of(plan, 150));
      const edit = (i: number) => writeFileSync(join(dir, 'in', '0.txt'), `edited ${i}\n`);
      warmDaemon([...targets, '--dry-run'], dir, edit);
      const warm = time(BEVBUILD, [...targets, '--dry-run'], dir, edit, DAEMON_ENV);
      line('  with a warm daemon (BEVBUILD_DAEMON=1)', ms(warm), 'limit 150 ms', `${of(warm, 150)}; ${(plan / warm).toFixed(1)}× faster`);
      writeFileSync(join(dir, 'in', '0.txt'), 'input 0\n');
    }
    if (want('peers') && spawnSync('ninja', ['--version']).status === 0) {
      execFileSync('ninja', ['-C', dir], {stdio: 'ignore'});
      const n = time('ninja', ['-C', dir], dir);
      line('  ninja, same graph', ms(n), '', `bevbuild/ninja ${(bb / n).toFixed(0)}×`);
    }
    if (want('peers') && spawnSync('make', ['--version']).status === 0) {
      const m = time('make', ['-q', '-C', dir], dir);
      line('  make -q, same graph', ms(m), '', `bevbuild/make ${(bb / m).toFixed(1)}×`);
    }
    if (peer && want('peers')) peerLine('snakemake', () => {
      const sm = join(dir, 'snakemake');
      mkdirSync(sm);
      execFileSync('cp', ['-r', join(dir, 'in'), sm]);
      writeFileSync(join(sm, 'Snakefile'), `W, L = ${W}, ${L}
def src(l, i):
    return f"in/{i % W}.txt" if l == 0 else f"out/l{l - 1}/{i % W}.txt"
rule all:
    input: [f"out/l{L - 1}/{i}.txt" for i in range(W)]
rule cat:
    input: lambda wc: [src(int(wc.l), int(wc.i)), src(int(wc.l), int(wc.i) + 1)]
    output: "out/l{l}/{i}.txt"
    shell: "cat {input} > {output}"
`);
      execFileSync(peer.snakemake, ['all', '--cores', '2', '--quiet', 'all'], {cwd: sm, stdio: 'ignore'});
      const s = time(peer.snakemake, ['all', '--cores', '1', '--quiet', 'all'], sm);
      line('  snakemake no-op, same graph', ms(s), '', `bevbuild/snakemake ${(bb / s).toFixed(2)}×`);
    });
    else line('  snakemake', 'skipped', '', '(--no-peers, --only or no venv)');
  }

  // --- 2. a KITTI-scale input directory ------------------------------------------------------
  if (['dir-noop', 'dir-full', 'changed', 'dir-peers'].some(want)) {
    const big = join(dir, 'kitti');
    mkdirSync(join(big, 'k'), {recursive: true});
    mkdirSync(join(big, 'data'), {recursive: true});
    for (let d = 0; d < 30; d++) {
      mkdirSync(join(big, 'data', `d${d}`));
      for (let i = 0; i < 1000; i++) writeFileSync(join(big, 'data', `d${d}`, `${i}.bin`), `${d}-${i}`);
    }
    writeFileSync(join(big, 'bevbuild.config.ts'), `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const count = defineRule({name: 'bench/count', version: 1, params: z.object({}),
    inputs: () => ['data'], outputs: () => ['k/count.txt'],
    argv: (_p, ctx) => ['sh', '-c', 'find "$1" -type f | wc -l > "$2"', 'sh', ctx.in('data'), ctx.out('k/count.txt')]});
const first = defineRule({name: 'bench/first', version: 1, params: z.object({}),
    inputs: () => ['data/d0/0.bin'], outputs: () => ['k/first.txt'],
    argv: (_p, ctx) => ['cp', ctx.in('data/d0/0.bin'), ctx.out('k/first.txt')]});
export default defineConfig({artifacts: {count: count({}), first: first({})}});
`);
    execFileSync(BEVBUILD, ['count', 'first'], {cwd: big, stdio: 'ignore'});
    settle();
    const k = want('dir-noop') || want('dir-full') || want('dir-peers') ? time(BEVBUILD, ['count', 'first'], big) : NaN;
    const kCpu = lastCpuMs;
    if (want('dir-noop')) {
      line('no-op, 30,000-file input dir (warm memo)', ms(k), 'limit 150 ms', of(k, 150));
      if (kCpu !== undefined) line('  CPU (user+sys) of that no-op', ms(kCpu), 'limit 150 ms', of(kCpu, 150));
    }
    if (want('dir-full')) {
      const kFull = time(BEVBUILD, ['count', 'first'], big, undefined, {BEVBUILD_NOOP_STAMP: 'off'});
      line('  the full check (BEVBUILD_NOOP_STAMP=off)', ms(kFull), '', `stamp/full ${(k / kFull).toFixed(2)}×`);
    }
    // One file changed: its consumers (count) rerun, `first` stays fresh; the tool's own time included.
    const changed = join(big, 'data', 'd7', '7.bin');
    if (want('changed')) {
      const c = time(BEVBUILD, ['count', 'first'], big, (i) => writeFileSync(changed, `changed ${i}`));
      writeFileSync(changed, 'changed again');
      const json = spawnSync(BEVBUILD, ['count', 'first', '--json'], {cwd: big, encoding: 'utf8', env: {...process.env, CI: '1'}});
      const ran = json.stdout.split('\n').filter((l) => l.includes('"status":"executed"')).map((l) => (JSON.parse(l) as {id: string}).id);
      line('one file changed among 30,000', ms(c), 'limit 250 ms', `${of(c, 250)}; reran: ${ran.join(', ') || 'nothing'}`);
      const change = (i: number) => writeFileSync(changed, `changed by the daemon ${i}`);
      warmDaemon(['count', 'first'], big, change);
      const warm = time(BEVBUILD, ['count', 'first'], big, change, DAEMON_ENV);
      line('  with a warm daemon (BEVBUILD_DAEMON=1)', ms(warm), 'limit 250 ms', `${of(warm, 250)}; ${(c / warm).toFixed(1)}× faster`);
    }
    if (peer && want('dir-peers')) peerLine('dvc', () => {
      execFileSync(peer.dvc, ['init', '--no-scm', '-q'], {cwd: big});
      execFileSync(peer.dvc, ['stage', 'add', '-q', '-n', 'count', '-d', 'data', '-o', 'k/dvc-count.txt', 'find data -type f | wc -l > k/dvc-count.txt'], {cwd: big});
      execFileSync(peer.dvc, ['repro', '-q'], {cwd: big, stdio: 'ignore'});
      const d = time(peer.dvc, ['status', '-q'], big);
      line('  dvc status, same dir', ms(d), '', `bevbuild/dvc ${(k / d).toFixed(2)}×`);
    });
    if (peer && want('dir-peers')) peerLine('snakemake', () => {
      writeFileSync(join(big, 'Snakefile'), 'rule count:\n    input: "data"\n    output: "k/sm-count.txt"\n    shell: "find {input} -type f | wc -l > {output}"\n');
      execFileSync(peer.snakemake, ['k/sm-count.txt', '--cores', '1', '--quiet', 'all'], {cwd: big, stdio: 'ignore'});
      const s = time(peer.snakemake, ['k/sm-count.txt', '--cores', '1', '--quiet', 'all'], big);
      line('  snakemake no-op, same dir (dir mtime only)', ms(s), '', `bevbuild/snakemake ${(k / s).toFixed(2)}×`);
    });
    else line('  dvc, snakemake', 'skipped', '', '(--no-peers, --only or no venv)');
    if (!existsSync(join(big, 'k', 'count.txt'))) throw new Error('the 30,000-file node did not build');
  }
} finally {
  for (const f of existsSync(DAEMON_ENV.BEVBUILD_DAEMON_DIR) ? readdirSync(DAEMON_ENV.BEVBUILD_DAEMON_DIR) : []) {
    if (!f.endsWith('.pid')) continue;
    try {
      process.kill(Number(readFileSync(join(DAEMON_ENV.BEVBUILD_DAEMON_DIR, f), 'utf8')), 'SIGTERM');
    } catch {
      // gone already
    }
  }
  if (process.argv.includes('--keep')) console.log(`(kept: ${dir})`);
  else rmSync(dir, {recursive: true, force: true});
}
