/**
 * The files whose digests make an external environment's fingerprint. An env node lists them as
 * its inputs, so its *action key* — which is what dependents key on (toolchains are lazy, see
 * src/engine/input-digests.ts) — changes exactly when one of them changes: no engine support needed.
 * They are listed here (readdir at analysis) rather than as globs because input globs are
 * workspace-relative and these trees live outside the workspace. A distribution installed later
 * adds a file, so the next analysis sees it.
 */
import {existsSync, readdirSync, realpathSync, statSync} from 'node:fs';
import {join} from 'node:path';

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
};

/** The venv's interpreter (and the real binary behind its symlink) plus `pyvenv.cfg`. */
export function interpreterFiles(prefix: string, python = 'bin/python'): string[] {
  const exe = join(prefix, python);
  const files = [exe]; // a missing interpreter is reported by the analyzer as a missing input
  if (existsSync(exe)) {
    const real = realpathSync(exe);
    if (real !== exe) files.push(real);
  }
  const cfg = join(prefix, 'pyvenv.cfg');
  if (existsSync(cfg)) files.push(cfg);
  return files;
}

/**
 * What says which distributions are installed: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`,
 * `*.egg-link` and `*.pth` (editable installs such as mmdet3d's `pip install -e .`) in every
 * `lib/python*\/site-packages` of the prefix.
 */
export function distributionFiles(prefix: string): string[] {
  const out: string[] = [];
  for (const lib of list(join(prefix, 'lib')).filter((d) => d.startsWith('python'))) {
    const sp = join(prefix, 'lib', lib, 'site-packages');
    for (const e of list(sp)) {
      if (e.endsWith('.dist-info')) out.push(join(sp, e, 'METADATA'));
      else if (e.endsWith('.egg-info')) out.push(join(sp, e, statSync(join(sp, e)).isDirectory() ? 'PKG-INFO' : ''));
      else if (e.endsWith('.egg-link') || e.endsWith('.pth')) out.push(join(sp, e));
    }
  }
  return out.map((f) => f.replace(/\/$/, '')).filter((f) => existsSync(f));
}

/**
 * A custom OpenVINO build (`<root>/bin/intel64/Release`): every shared library there (libopenvino*,
 * device plugins, TBB), `plugins.xml`, and the compiled modules of its Python package.
 */
export function openvinoFiles(release: string): string[] {
  const libs = list(release).filter((f) => /^lib.*\.so(\.[\d.]+)?$/.test(f) || f === 'plugins.xml').map((f) => join(release, f));
  const pkg = join(release, 'python', 'openvino');
  const py = list(pkg).filter((f) => /\.so$/.test(f)).map((f) => join(pkg, f));
  return [...libs, ...py];
}

/**
 * The variables a process needs to load that build; they must be set *before* the interpreter
 * starts (pitfall 18: quantize_unified's own bootstrap only reaches child processes).
 */
export function openvinoEnv(release: string): Record<string, string> {
  return {PYTHONPATH: join(release, 'python'), LD_LIBRARY_PATH: release};
}
