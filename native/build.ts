/**
 * Builds the native gate addon. A pure function of the native sources, the Node-API headers and
 * the OpenVINO it is pointed at: it configures and compiles in a fresh temp dir and writes only
 * `<out>/bevbuild_native.node` and `<out>/fingerprint.json`.
 *
 *   node --import tsx native/build.ts (--python <py> | --openvino-dir <dir>) --out <dir>
 *
 * cmake is run directly (not the cmake-js CLI): we pass the npm `node-api-headers` and
 * `node-addon-api` include dirs ourselves, so nothing tries to download Node headers.
 */
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {fail, ok, type Result} from '../src/result.ts';
import {locateOpenvino, type OpenvinoLocation, type OpenvinoSource} from './locate-openvino.ts';

const nativeDir = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(import.meta.url);

/**
 * What `fingerprint.json` records: everything the addon binary depends on — and no path, so the
 * same sources and OpenVINO build give the same bytes in any workspace (the addon is cached and
 * restored across paths; native/addon.ts finds OpenVINO at load time).
 */
export interface AddonFingerprint {
  openvinoVersion: string;
  /** sha256 of each `libopenvino*.so*` of the OpenVINO it was built against, by file name. */
  libDigests: Record<string, string>;
  /** sha256 over the addon sources (CMakeLists.txt, src/*). */
  sourcesDigest: string;
  napiVersion: 8;
}

const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** The files whose content keys the addon build. */
export function addonSources(): string[] {
  const src = join(nativeDir, 'src');
  return [join(nativeDir, 'CMakeLists.txt'), ...readdirSync(src).sort().map((f) => join(src, f))];
}

function fingerprint(ov: OpenvinoLocation): AddonFingerprint {
  const h = createHash('sha256');
  for (const f of addonSources()) h.update(f.slice(nativeDir.length)).update('\0').update(readFileSync(f));
  const libDigests: Record<string, string> = {};
  for (const f of readdirSync(ov.libDir).sort()) {
    if (/^libopenvino.*\.so/.test(f)) libDigests[f] = sha256(join(ov.libDir, f));
  }
  return {openvinoVersion: ov.version, libDigests, sourcesDigest: h.digest('hex'), napiVersion: 8};
}

/**
 * The binary's RUNPATH/RPATH entries that are absolute (anything but `$ORIGIN`-relative): such a
 * binary only loads while that path exists, so it must never be cached as portable.
 */
export function absoluteRunpaths(binary: string): Result<string[]> {
  let out: string;
  try {
    out = execFileSync('readelf', ['-d', binary], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
  } catch (e) {
    return fail('native-build-failed', `readelf -d ${binary} failed (${(e as Error).message.split('\n')[0]}); install binutils.`);
  }
  const entries = [...out.matchAll(/\((?:RUNPATH|RPATH)\)[^[]*\[([^\]]*)\]/g)].flatMap((m) => m[1]!.split(':'));
  return ok(entries.filter((e) => e && !e.startsWith('$ORIGIN')));
}

function run(cmd: string, args: string[]): Result<void> {
  try {
    execFileSync(cmd, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
    return ok(undefined);
  } catch (e) {
    const err = e as {stdout?: string; stderr?: string; message: string};
    const tail = `${err.stdout ?? ''}\n${err.stderr ?? ''}`.trim().split('\n').slice(-25);
    return fail('native-build-failed', `${cmd} ${args[0]} failed: ${err.message.split('\n')[0]}`, {details: tail});
  }
}

/** Builds the addon into `outDir`; returns the fingerprint written beside it. */
export function buildAddon(src: OpenvinoSource | undefined, outDir: string): Result<AddonFingerprint> {
  const ov = locateOpenvino(src);
  if (!ov.ok) return ov;
  const build = mkdtempSync(join(tmpdir(), 'bevbuild-native-'));
  try {
    const configure = run('cmake', [
      '-S', nativeDir, '-B', build, '-DCMAKE_BUILD_TYPE=Release',
      `-DOpenVINO_DIR=${ov.value.cmakeDir}`,
      `-DNODE_API_HEADERS_DIR=${(require('node-api-headers') as {include_dir: string}).include_dir}`,
      // node-addon-api's own include_dir is cwd-relative; its package dir is what we need.
      `-DNODE_ADDON_API_DIR=${dirname(require.resolve('node-addon-api'))}`,
    ]);
    if (!configure.ok) return configure;
    const compile = run('cmake', ['--build', build, '--parallel', '2']);
    if (!compile.ok) return compile;
    const built = join(build, 'bevbuild_native.node');
    const abs = absoluteRunpaths(built);
    if (!abs.ok) return abs;
    if (abs.value.length) {
      return fail('native-build-failed', `the built addon embeds absolute library paths (${abs.value.join(', ')}); it would not load from another workspace path. native/CMakeLists.txt must leave RUNPATH empty.`);
    }
    mkdirSync(outDir, {recursive: true});
    // Copy then rename: a process that has the old addon mapped keeps its inode intact, while an
    // in-place overwrite would change the code under it.
    const tmpNode = join(outDir, `.bevbuild_native.node.${process.pid}`);
    copyFileSync(built, tmpNode);
    renameSync(tmpNode, join(outDir, 'bevbuild_native.node'));
    const fp = fingerprint(ov.value);
    writeFileSync(join(outDir, 'fingerprint.json'), JSON.stringify(fp, null, 2) + '\n');
    return ok(fp);
  } finally {
    rmSync(build, {recursive: true, force: true});
  }
}

function main(argv: string[]): number {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = get('--out');
  const python = get('--python');
  const dir = get('--openvino-dir');
  if (!out || (python && dir)) {
    console.error('usage: node --import tsx native/build.ts (--python <py> | --openvino-dir <dir>) --out <dir>');
    return 2;
  }
  const res = buildAddon(python ? {python} : dir ? {openvinoDir: dir} : undefined, resolve(out));
  if (!res.ok) {
    console.error(`native build: ${res.error.message}`);
    for (const l of res.error.details ?? []) console.error(`  ${l}`);
    return 1;
  }
  console.log(`built ${join(resolve(out), 'bevbuild_native.node')} against OpenVINO ${res.value.openvinoVersion} (no RUNPATH: OpenVINO is found at load time)`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
