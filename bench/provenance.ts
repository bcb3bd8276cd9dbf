/**
 * What provenance costs (issue 11): limits ≤ 5 % of a no-op build and ≤ 1 % of a cold demo build.
 * Not a test: prints `name  value  peer/limit  ratio` lines.
 *  1. A 60-node synthetic graph in a git work tree, signed: the time spent writing provenance
 *     (BEVBUILD_TIMING) in a no-op and a cold build, beside both walls with provenance on and off
 *     (`BEVBUILD_PROVENANCE=off`; on a shared machine that difference is mostly noise).
 *  2. The cold demo build of deploy/kitti/second, signed (skip with --no-demo; ~2 min): time spent
 *     writing provenance (BEVBUILD_TIMING's sum over nodes, an upper bound under parallelism)
 *     against the build's wall time.
 * Usage: node --import tsx bench/provenance.ts [--runs N] [--no-demo]
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {generateKeyPairSync} from 'node:crypto';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {makeDemoWorkspace} from '../test/util/demo-workspace.ts';
import {API, BEVBUILD, line, runsOption} from './common.ts';

const RUNS = runsOption(5);
const N = 60;

const ms = (x: number) => `${x.toFixed(0)} ms`;
const median = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!;

/**
 * Median wall times over RUNS runs with provenance on and off, alternating (so load drift on a
 * shared machine hits both alike), and the median time spent writing provenance (BEVBUILD_TIMING).
 */
function timed(cwd: string, args: string[], on: Record<string, string>, before?: () => void): {wall: number; off: number; prov: number} {
  const t: number[] = [];
  const o: number[] = [];
  const p: number[] = [];
  const once = (env: Record<string, string>) => {
    before?.();
    const s = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [BEVBUILD, ...args], {cwd, encoding: 'utf8', env: {...process.env, CI: '1', BEVBUILD_TIMING: '1', ...env}});
    if (r.status !== 0) throw new Error(`bevbuild ${args.join(' ')} exited ${r.status}`);
    return {ms: Number(process.hrtime.bigint() - s) / 1e6, stderr: r.stderr};
  };
  for (let i = 0; i < RUNS; i++) {
    const a = once(on);
    t.push(a.ms);
    p.push(provenanceMs(a.stderr));
    o.push(once({BEVBUILD_PROVENANCE: 'off'}).ms);
  }
  return {wall: median(t), off: median(o), prov: median(p)};
}

/** The `[timing] provenance written …` figure (0 when no node wrote provenance). */
function provenanceMs(stderr: string): number {
  const m = /\[timing\] provenance written for (\d+) node\(s\) in ([\d.]+) ms/.exec(stderr);
  return m ? Number(m[2]) : 0;
}

const keyPem = generateKeyPairSync('ed25519').privateKey.export({format: 'pem', type: 'pkcs8'}).toString();
const dir = mkdtempSync(join(tmpdir(), 'bevbuild-bench-prov-'));
try {
  // --- 1. synthetic graph: 20 inputs → 3 layers of 20 nodes, every other one a directory output --
  mkdirSync(join(dir, 'in'));
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'in', `${i}.txt`), `input ${i}\n`.repeat(100));
  const arts: string[] = [];
  for (let l = 0; l < N / 20; l++) {
    for (let i = 0; i < 20; i++) {
      const src = l === 0 ? `in/${i}.txt` : `out/l${l - 1}/${i}${(i % 2) ? '' : '.txt'}`;
      const out = `out/l${l}/${i}${(i % 2) ? '' : '.txt'}`;
      const script = i % 2 ? 'mkdir -p "$2" && cat "$1"/* "$1" 2>/dev/null > "$2/a"; echo x > "$2/b"' : 'cat "$1"/* "$1" 2>/dev/null > "$2"; true';
      arts.push(`    ['l${l}/${i}', sh({script: ${JSON.stringify(script)}, inputs: ['${src}'], outputs: ['${out}']})],`);
    }
  }
  writeFileSync(join(dir, 'bevbuild.config.ts'), `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const sh = defineRule({name: 'bench/sh', version: 1,
  params: z.object({script: z.string(), inputs: z.array(z.string()), outputs: z.array(z.string())}),
  inputs: (p) => p.inputs, outputs: (p) => p.outputs,
  argv: (p, ctx) => ['sh', '-c', p.script, 'sh', ...p.inputs.map(ctx.in), ...p.outputs.map(ctx.out)]});
export default defineConfig({artifacts: [
${arts.join('\n')}
]});
`);
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', ...a], {cwd: dir, stdio: 'ignore'});
  git('init', '-q');
  git('add', 'in', 'bevbuild.config.ts');
  git('commit', '-q', '-m', 'bench');
  const on = {BEVBUILD_SIGNING_KEY: keyPem};
  const target = [`l${N / 20 - 1}/*`, '-j', '1']; // serial: the provenance sum is then not inflated by interleaving
  const wipe = () => rmSync(join(dir, '.bevbuild'), {recursive: true, force: true});
  const cold = timed(dir, target, on, wipe);
  execFileSync(process.execPath, [BEVBUILD, ...target], {cwd: dir, stdio: 'ignore', env: {...process.env, ...on}});
  const noop = timed(dir, target, on);
  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)} %`;
  line(`no-op, ${N}-node graph: writing provenance`, ms(noop.prov), `of ${ms(noop.wall)} no-op`, `${pct(noop.prov, noop.wall)} (limit 5 %)`);
  line('  no-op wall, provenance on / off', ms(noop.wall), `off: ${ms(noop.off)}`, `Δ ${pct(noop.wall - noop.off, noop.off)}`);
  line(`cold, ${N} trivial nodes: writing provenance`, ms(cold.prov), `of ${ms(cold.wall)} build`, `${pct(cold.prov, cold.wall)}; ${(cold.prov / N).toFixed(1)} ms/node`);
  line('  cold wall, provenance on / off', ms(cold.wall), `off: ${ms(cold.off)}`, `Δ ${pct(cold.wall - cold.off, cold.off)}`);

  // --- 2. the cold demo build ----------------------------------------------------------------
  if (!process.argv.includes('--no-demo')) {
    const ws = makeDemoWorkspace();
    try {
      const s = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [BEVBUILD, 'deploy/kitti/second'], {cwd: ws.dir, encoding: 'utf8', env: {...process.env, CI: '1', BEVBUILD_TIMING: '1', ...on}, maxBuffer: 64 << 20});
      const wall = Number(process.hrtime.bigint() - s) / 1e6;
      if (r.status !== 0) throw new Error(`demo build exited ${r.status}: ${r.stderr.slice(-1000)}`);
      const spent = provenanceMs(r.stderr);
      const nodes = /provenance written for (\d+) node/.exec(r.stderr)?.[1] ?? '?';
      line('cold demo build deploy/kitti/second', ms(wall), `${nodes} nodes wrote provenance`, '');
      line('  of which writing provenance (sum)', ms(spent), 'limit 1 %', `${((spent / wall) * 100).toFixed(2)} %`);
    } finally {
      ws.dispose();
    }
  }
} finally {
  rmSync(dir, {recursive: true, force: true});
}
