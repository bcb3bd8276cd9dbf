/**
 * Finding OpenVINO (wheel and custom-build layouts), the build's outputs (fingerprint, rpath) and
 * the rule's argv helper.
 */
import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {absoluteRunpaths} from '../native/build.ts';
import {locateFromDir, locateFromPython, locateOpenvino} from '../native/locate-openvino.ts';
import {validatorArgv} from '../rules/validate-int8.ts';
import {cachedAddon} from './fixtures/native/build-addon.ts';
import {withTimeout} from './util/rig-test.ts';
import {ensureVenv, repoRoot} from './util/venv.ts';

const test = suite('native-build');
const made: string[] = [];
process.on('exit', () => made.forEach((d) => rmSync(d, {recursive: true, force: true})));
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'bevbuild-native-build-'));
  made.push(d);
  return d;
};

test('the wheel layout: cmake dir from get_cmake_path, versioned libs in openvino/libs', withTimeout(async () => {
  const python = ensureVenv('demo/requirements-openvino.txt');
  const loc = locateFromPython(python);
  assert.ok(loc.ok, loc.ok ? '' : loc.error.message);
  if (!loc.ok) return;
  assert.match(loc.value.cmakeDir, /site-packages\/openvino\/cmake$/);
  assert.match(loc.value.libDir, /site-packages\/openvino\/libs$/);
  assert.match(loc.value.version, /^\d{4}\.\d+\.\d+$/);
  assert.ok(readdirSync(loc.value.libDir).some((f) => /^libopenvino\.so\.\d+$/.test(f)));
}, 900_000)); // first use makes the pinned venv (pip download on a fresh machine)

test('a custom build root: OpenVINOConfig.cmake under build/, libs in bin/intel64/Release', () => {
  const root = tmp();
  mkdirSync(join(root, 'build'));
  mkdirSync(join(root, 'bin/intel64/Release'), {recursive: true});
  writeFileSync(join(root, 'build/OpenVINOConfig.cmake'), '');
  writeFileSync(join(root, 'build/OpenVINOConfig-version.cmake'), 'set(PACKAGE_VERSION "2025.3.0")\n');
  writeFileSync(join(root, 'bin/intel64/Release/libopenvino.so'), '');
  const loc = locateFromDir(root);
  assert.ok(loc.ok);
  if (loc.ok) assert.equal(loc.value, {cmakeDir: join(root, 'build'), libDir: join(root, 'bin/intel64/Release'), version: '2025.3.0'});
});

test('missing OpenVINO is a failure that says what to pass', () => {
  const none = locateFromDir(tmp());
  assert.ok(!none.ok && /OpenVINOConfig\.cmake/.test(none.error.message) && /--python/.test(none.error.message));
  const badPy = locateFromPython(join(tmp(), 'no-python'));
  assert.ok(!badPy.ok && /cannot import openvino/.test(badPy.error.message));
  const saved = {a: process.env['OpenVINO_DIR'], b: process.env['OPENVINO_ROOT']};
  delete process.env['OpenVINO_DIR'];
  delete process.env['OPENVINO_ROOT'];
  try {
    const unset = locateOpenvino();
    assert.ok(!unset.ok && /OpenVINO_DIR/.test(unset.error.message));
  } finally {
    if (saved.a !== undefined) process.env['OpenVINO_DIR'] = saved.a;
    if (saved.b !== undefined) process.env['OPENVINO_ROOT'] = saved.b;
  }
});

test('the built addon has no RUNPATH and no path in its fingerprint; it loads through the toolchain only', withTimeout(async () => {
  const python = ensureVenv('demo/requirements-openvino.txt');
  const dir = cachedAddon(python);
  const text = readFileSync(join(dir, 'fingerprint.json'), 'utf8');
  const fp = JSON.parse(text) as {openvinoVersion: string; libDigests: Record<string, string>; sourcesDigest: string};
  assert.match(fp.openvinoVersion, /^\d{4}\.\d+\.\d+$/);
  assert.ok(Object.keys(fp.libDigests).some((f) => f.startsWith('libopenvino.so')));
  assert.match(fp.sourcesDigest, /^[0-9a-f]{64}$/);
  assert.not.ok(text.includes(repoRoot.replace(/\/$/, '')), 'fingerprint.json names no path');
  const rp = absoluteRunpaths(join(dir, 'bevbuild_native.node'));
  assert.ok(rp.ok && rp.value.length === 0, rp.ok ? rp.value.join(':') : rp.error.message);
  const env: Record<string, string | undefined> = {...process.env, LD_LIBRARY_PATH: undefined, VIRTUAL_ENV: undefined, OpenVINO_DIR: undefined, OPENVINO_ROOT: undefined};
  const load = `import {loadAddon} from ${JSON.stringify(join(repoRoot, 'native/addon.ts'))}; const r = loadAddon(process.argv[1]); console.log(r.ok ? r.value.openvinoVersion() : r.error.message); process.exit(r.ok ? 0 : 1);`;
  const run = (e: Record<string, string | undefined>) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', load, dir], {env: e as NodeJS.ProcessEnv, encoding: 'utf8', cwd: repoRoot});
  const bare = run(env);
  assert.is(bare.status, 1, 'without a toolchain the addon does not load (no path baked in)');
  assert.match(bare.stdout, /none found through VIRTUAL_ENV, OpenVINO_DIR or OPENVINO_ROOT/);
  const viaVenv = run({...env, VIRTUAL_ENV: dirname(dirname(python))});
  assert.is(viaVenv.status, 0, viaVenv.stdout + viaVenv.stderr);
  assert.match(viaVenv.stdout, new RegExp(`^${fp.openvinoVersion.replace(/\./g, '\\.')}`));
}));

test('build CLI without --out prints usage and exits 2', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'native/build.ts', '--python', 'python3'], {cwd: repoRoot, encoding: 'utf8'});
  assert.is(r.status, 2);
  assert.match(r.stderr, /usage: .*--out <dir>/);
});

test('validatorArgv maps rule params to CLI flags, consts sorted', () => {
  const argv = validatorArgv({
    addonDir: 'a', fp32: ['f.onnx', 'h.onnx'], int8: ['f.xml', 'h.xml'], framesDir: 'fr', preset: 'kitti',
    consts: {intervals: 'iv.bin', indices: 'ix.bin'}, filterLabels: [], minRecall: 0.9, outDir: 'out',
  });
  assert.equal(argv.slice(4), [
    '--addon', 'a', '--fp32', 'f.onnx,h.onnx', '--int8', 'f.xml,h.xml', '--frames', 'fr', '--preset', 'kitti',
    '--const', 'indices=ix.bin', '--const', 'intervals=iv.bin', '--filter-labels', 'none', '--min-recall', '0.9', '--out', 'out',
  ]);
  assert.match(argv[3]!, /native\/validate-cli\.ts$/);
});

test('CLI --filter-labels takes ids or deploy class names, and rejects anything else', async () => {
  const {parseArgv} = await import('../native/validate-cli.ts');
  const base = ['--addon', 'a', '--fp32', 'f.onnx', '--int8', 'f.xml', '--frames', 'fr', '--preset', 'v2x', '--out', 'o'];
  const named = parseArgv([...base, '--filter-labels', 'bicycle,Pedestrian,9']);
  assert.ok(named.ok);
  if (named.ok) assert.equal(named.value.args.filterLabels, [7, 8, 9]);
  const bad = parseArgv([...base, '--filter-labels', 'bike']);
  assert.ok(!bad.ok && /class names \(Car, Truck/.test(bad.error.message));
});

test.run();
