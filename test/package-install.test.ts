/**
 * Issue 14 #1 acceptance: bevbuild used from another project, as a user would. `npm pack` (whose
 * prepack compiles dist/), install the tarball offline (`npm ci` from a lockfile with the repo's
 * pinned dependencies, all in the npm cache) into a project made by a default
 * `tsc --init` + `"type": "module"`, write a 3-rule config importing `bevbuild` and
 * `bevbuild/rules/python-venv`, type-check it with `tsc --noEmit`, build it with the installed
 * CLI, and import the package from plain Node. Also: the installed CLI's bundle cache sweeps
 * only bundles unused for a day (another checkout's running CLI keeps its bundle).
 */
import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {repoRoot} from './util/venv.ts';

const test = suite('package-install');
const exec = promisify(execFile);
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

async function run(cmd: string, args: string[], cwd: string): Promise<{code: number; out: string}> {
  try {
    const r = await exec(cmd, args, {cwd, maxBuffer: 64 << 20, env: {...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false'}});
    return {code: 0, out: r.stdout + r.stderr};
  } catch (e) {
    const err = e as {code?: number; stdout?: string; stderr?: string};
    return {code: typeof err.code === 'number' ? err.code : 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}`};
  }
}

/**
 * The lockfile `npm install <tarball>` would write, from this repo's lockfile: the same versions,
 * tarball URLs and integrities of bevbuild's runtime dependencies (`npm ci` put them in the npm
 * cache). With it, `npm ci --offline` installs without asking a registry for package metadata,
 * which the cache does not hold (npm ci never fetches it).
 */
function adopterLock(spec: string, tarball: string): string {
  const repoLock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {packages: Record<string, {dev?: boolean}>};
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string>; license: string};
  const packages: Record<string, unknown> = {
    '': {name: 'adopter', version: '1.0.0', devDependencies: {bevbuild: spec}},
    'node_modules/bevbuild': {
      version: pkg.version, resolved: spec, integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      dev: true, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (path.startsWith('node_modules/') && !entry.dev) packages[path] = {...entry, dev: true};
  }
  return `${JSON.stringify({name: 'adopter', version: '1.0.0', lockfileVersion: 3, requires: true, packages}, null, 2)}\n`;
}

const CONFIG = `import {defineConfig, defineRule, z} from 'bevbuild';
import {pythonVenv} from 'bevbuild/rules/python-venv';

/** Writes the env's Python version as JSON (runs in the env: \`ctx.python()\`). */
export const probe = defineRule({
  name: 'adopter/probe',
  version: 1,
  params: z.object({env: z.string(), out: z.string()}).strict(),
  toolchain: (p) => p.env,
  inputs: () => [],
  outputs: (p) => [p.out],
  argv: (p, ctx) => [ctx.python(), '-c', 'import json, sys; json.dump({"python": sys.version.split()[0]}, open(sys.argv[1], "w"))', ctx.out(p.out)],
});

/** Copies a file (a second user rule, depending on the first one's output). */
export const copy = defineRule({
  name: 'adopter/copy',
  version: 1,
  params: z.object({from: z.string(), to: z.string()}).strict(),
  inputs: (p) => [p.from],
  outputs: (p) => [p.to],
  argv: (p, ctx) => ['cp', ctx.in(p.from), ctx.out(p.to)],
});

export default defineConfig({
  artifacts: {
    'env/py': pythonVenv({name: 'py', requirements: 'requirements.txt'}),
    'facts/python': probe({env: 'env/py', out: 'out/python.json'}),
    'report/python': copy({from: 'out/python.json', to: 'report/python.json'}),
  },
});
`;

test('npm pack → install into a tsc --init project → tsc --noEmit → bevbuild builds a 3-rule config', withTimeout(async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bevbuild-pkg-'));
  try {
    const pack = await run('npm', ['pack', '--pack-destination', tmp], repoRoot);
    assert.is(pack.code, 0, pack.out);
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, `npm pack wrote no tarball:\n${pack.out}`);

    const proj = join(tmp, 'adopter');
    mkdirSync(proj);
    const init = await run(process.execPath, [TSC, '--init'], proj);
    assert.is(init.code, 0, init.out);
    const spec = `file:../${tarball}`;
    writeFileSync(join(proj, 'package.json'), `${JSON.stringify({name: 'adopter', version: '1.0.0', private: true, type: 'module', devDependencies: {bevbuild: spec}}, null, 2)}\n`);
    writeFileSync(join(proj, 'package-lock.json'), adopterLock(spec, join(tmp, tarball)));
    const install = await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], proj);
    assert.is(install.code, 0, install.out);
    writeFileSync(join(proj, 'bevbuild.config.ts'), CONFIG);
    writeFileSync(join(proj, 'requirements.txt'), '# nothing beyond the standard library\n');

    const check = await run(process.execPath, [TSC, '-p', proj, '--noEmit'], proj);
    assert.is(check.code, 0, `tsc --noEmit in a default tsc --init project:\n${check.out}`);
    // tsc --init sets declaration: true; emitting them proves every inferred type can be named (no TS2742).
    const types = await run(process.execPath, [TSC, '-p', proj, '--emitDeclarationOnly', '--outDir', join(tmp, 'types')], proj);
    assert.is(types.code, 0, types.out);
    assert.match(readFileSync(join(tmp, 'types', 'bevbuild.config.d.ts'), 'utf8'), 'import("bevbuild").LoadedConfigSpec');

    // Bundles of other source versions in the installed CLI's cache: one started an hour ago (a CLI
    // of another checkout may still run it) stays; one unused for two days is swept.
    const cache = join(proj, 'node_modules', 'bevbuild', 'node_modules', '.cache', 'bevbuild');
    for (const [dir, ageH] of [['cli-00000000000000aa', 1], ['cli-00000000000000bb', 48]] as const) {
      mkdirSync(join(cache, dir), {recursive: true});
      const t = new Date(Date.now() - ageH * 3600_000);
      utimesSync(join(cache, dir), t, t);
    }

    const cli = join(proj, 'node_modules', '.bin', 'bevbuild');
    const build = await run(cli, ['report/python'], proj);
    assert.is(build.code, 0, build.out);
    const facts = JSON.parse(readFileSync(join(proj, 'report', 'python.json'), 'utf8')) as {python: string};
    assert.match(facts.python, /^3\.\d+/);
    const again = await run(cli, ['report/python', '--json'], proj);
    assert.is(again.code, 0, again.out);
    const done = again.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as {type: string; status?: string}).filter((e) => e.type === 'done');
    assert.equal(done.map((e) => e.status), ['fresh', 'fresh', 'fresh']);

    const bundles = readdirSync(cache).filter((e) => e.startsWith('cli-'));
    assert.ok(bundles.includes('cli-00000000000000aa'), 'a bundle used an hour ago was deleted');
    assert.not.ok(bundles.includes('cli-00000000000000bb'), 'a bundle unused for two days was kept');
    assert.is(bundles.length, 2, bundles.join(', '));
    // Each start marks its bundle as in use: an old-looking bundle is young again after a start.
    const own = bundles.find((b) => !b.startsWith('cli-00000000'))!;
    const old = new Date(Date.now() - 48 * 3600_000);
    utimesSync(join(cache, own), old, old);
    assert.is((await run(cli, ['--version'], proj)).code, 0);
    assert.ok(Date.now() - statSync(join(cache, own)).mtimeMs < 3600_000, 'a start did not mark its bundle as in use');

    // Plain Node resolves the compiled package, and a rule file finds its tool next to its source.
    const script = `import {defineRule, z} from 'bevbuild';
import {pythonVenv, envDir} from 'bevbuild/rules/python-venv';
import {existsSync} from 'node:fs';
const decl = pythonVenv({name: 'x', requirements: 'r.txt'});
const inputs = decl.rule.spec.inputs(decl.rule.spec.params.parse(decl.params), {root: '.'});
const tool = inputs.find((p) => String(p).endsWith('make_venv.py'));
console.log(JSON.stringify({defineRule: typeof defineRule, z: typeof z.object, envDir: envDir('x'), decl: decl.kind, tool, toolExists: existsSync(tool)}));`;
    const plain = await run(process.execPath, ['--input-type=module', '-e', script], proj);
    assert.is(plain.code, 0, plain.out);
    const seen = JSON.parse(plain.out.trim().split('\n').pop()!) as {defineRule: string; z: string; envDir: string; decl: string; tool: string; toolExists: boolean};
    assert.equal([seen.defineRule, seen.z, seen.envDir, seen.decl, seen.toolExists], ['function', 'function', '.bevbuild/envs/x', 'artifact', true]);
    assert.is(seen.tool, join(proj, 'node_modules', 'bevbuild', 'rules', 'tools', 'make_venv.py'), 'a compiled rule finds its tool beside its source');
  } finally {
    rmSync(tmp, {recursive: true, force: true});
  }
}, 15 * 60_000));

test.run();
