/**
 * Finds the OpenVINO runtime the addon links against: the user's custom build (`OPENVINO_ROOT`
 * with libraries in `<root>/bin/intel64/Release`, CMake config via `OpenVINO_DIR`) or the PyPI
 * wheel of a given Python (`openvino.utils.get_cmake_path()` → `<site>/openvino/cmake`, libraries
 * in `<site>/openvino/libs`, versioned sonames only, e.g. `libopenvino.so.2641`).
 */
import {execFileSync} from 'node:child_process';
import {existsSync, readFileSync, readdirSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fail, ok, type Result} from '../src/result.ts';

/** Where OpenVINO's CMake config and shared libraries are. */
export interface OpenvinoLocation {
  /** Directory holding `OpenVINOConfig.cmake` (what `OpenVINO_DIR` must point to). */
  cmakeDir: string;
  /** Directory holding `libopenvino.so*` (baked into the addon's rpath). */
  libDir: string;
  /** `PACKAGE_VERSION` from `OpenVINOConfig-version.cmake`. */
  version: string;
}

/** How to find it: a Python with the `openvino` wheel, or a cmake dir / install root. */
export type OpenvinoSource = {python: string} | {openvinoDir: string};

const hasConfig = (d: string): boolean => existsSync(join(d, 'OpenVINOConfig.cmake'));
const hasLibs = (d: string): boolean =>
  existsSync(d) && readdirSync(d).some((f) => /^libopenvino\.so(\.|$)/.test(f));

function readVersion(cmakeDir: string): string {
  const f = join(cmakeDir, 'OpenVINOConfig-version.cmake');
  if (!existsSync(f)) return 'unknown';
  const text = readFileSync(f, 'utf8');
  // Wheels compose the version from MAJOR/MINOR/PATCH; older configs set it literally.
  const part = (k: string): string | undefined => new RegExp(`set\\(PACKAGE_VERSION_${k}\\s+(\\d+)`).exec(text)?.[1];
  const [ma, mi, pa] = [part('MAJOR'), part('MINOR'), part('PATCH')];
  if (ma && mi && pa) return `${ma}.${mi}.${pa}`;
  return /set\(PACKAGE_VERSION\s+"?([\d.]+)/.exec(text)?.[1] ?? 'unknown';
}

/** Resolves a cmake dir or an install/build root to a location (custom build layouts included). */
export function locateFromDir(dir: string): Result<OpenvinoLocation> {
  const root = resolve(dir);
  const cmakeDir = [root, join(root, 'runtime/cmake'), join(root, 'cmake'), join(root, 'build')].find(hasConfig);
  if (!cmakeDir) {
    return fail(
      'openvino-not-found',
      `No OpenVINOConfig.cmake in ${root} (looked in ., runtime/cmake, cmake, build). ` +
        'Pass --openvino-dir <dir with OpenVINOConfig.cmake or install root>, or --python <python with the openvino wheel>.',
    );
  }
  // Custom builds keep libraries in <root>/bin/intel64/Release; installs in runtime/lib/intel64.
  const up = dirname(cmakeDir);
  const libCandidates = [
    join(root, 'bin/intel64/Release'),
    join(up, 'bin/intel64/Release'),
    join(root, 'runtime/lib/intel64'),
    join(up, 'lib/intel64'),
    join(up, 'libs'),
    join(up, 'lib'),
  ];
  const libDir = libCandidates.find(hasLibs);
  if (!libDir) {
    return fail('openvino-not-found', `Found ${cmakeDir} but no libopenvino.so* in any of: ${libCandidates.join(', ')}.`);
  }
  return ok({cmakeDir, libDir, version: readVersion(cmakeDir)});
}

/** Asks a Python interpreter where its `openvino` wheel keeps the CMake config. */
export function locateFromPython(python: string): Result<OpenvinoLocation> {
  let out: string;
  try {
    out = execFileSync(python, ['-c', 'import openvino.utils as u; print(u.get_cmake_path())'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const stderr = (e as {stderr?: string}).stderr?.trim().split('\n').pop() ?? String(e);
    return fail(
      'openvino-not-found',
      `${python} cannot import openvino (${stderr}). Install it with \`${python} -m pip install openvino\` ` +
        'or pass --openvino-dir for a custom build.',
    );
  }
  return locateFromDir(out.trim());
}

/** Resolves either source; with neither, falls back to `OpenVINO_DIR` / `OPENVINO_ROOT`. */
export function locateOpenvino(src?: OpenvinoSource): Result<OpenvinoLocation> {
  if (src && 'python' in src) return locateFromPython(src.python);
  if (src) return locateFromDir(src.openvinoDir);
  const env = process.env['OpenVINO_DIR'] ?? process.env['OPENVINO_ROOT'];
  if (env) return locateFromDir(env);
  return fail(
    'openvino-not-found',
    'OpenVINO not specified: pass --python <python with the openvino wheel> or --openvino-dir <dir>, ' +
      'or set OpenVINO_DIR / OPENVINO_ROOT.',
  );
}
