/**
 * Loads `bevbuild.config.ts` at run time without a build step: compile-config.ts bundles it (and
 * the TypeScript rule files it imports) into one cached ES module with esbuild, which is imported.
 * Every call evaluates the config anew: an edited config compiles to a new file name, and a
 * process that loads it again (watch, ui, the daemon) imports it under a fresh URL, because a config
 * may read files or the environment while it declares, and the ESM cache would keep the old answer.
 */
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {compileConfig, ConfigSourceProblems} from './compile-config.ts';
import {workspacePaths} from '../engine/workspace.ts';
import {ioErrorText} from '../engine/io-failure.ts';
import type {Diagnostic} from '../diagnostics.ts';
import type {Result} from '../result.ts';
import type {LoadedConfigSpec} from './define-config.ts';

export {CONFIG_FILE} from './find-workspace.ts';
import {CONFIG_FILE} from './find-workspace.ts';
import {sourceFrames} from './call-site.ts';
import {importEsm} from '../esm-import.ts';

/** Loads so far in this process: the second and later imports get a query of their own. */
let loads = 0;

/** The workspace's config, or diagnostics saying why it cannot be used. */
export async function loadConfig(root: string): Promise<Result<{spec: LoadedConfigSpec; file: string}, Diagnostic[]>> {
  const file = join(root, CONFIG_FILE);
  if (!existsSync(file)) {
    return {
      ok: false,
      error: [
        {
          code: 'config-not-found',
          message: `no ${CONFIG_FILE} in ${root} or any directory above it. Run bevbuild inside a workspace or pass -C <dir>.`,
        },
      ],
    };
  }
  let mod: {default?: unknown};
  let compiled = '';
  try {
    compiled = await compileConfig(file, workspacePaths(root).state);
    // Stack frames name the file with its query; call-site.ts reads them through fileURLToPath,
    // which drops it.
    const url = pathToFileURL(compiled).href;
    mod = await importEsm<{default?: unknown}>(loads++ ? `${url}?load=${loads}` : url);
  } catch (e) {
    if (e instanceof ConfigSourceProblems) return {ok: false, error: e.diagnostics};
    // A full disk or read-only .bevbuild/ is not a config mistake: say what to fix, no stack.
    const io = ioErrorText(e, `cannot write the compiled ${CONFIG_FILE} into ${workspacePaths(root).state}`);
    if (io !== undefined) return {ok: false, error: [{code: 'io-error', message: io}]};
    const err = e as Error;
    return {
      ok: false,
      error: [
        {
          code: 'config-load-error',
          message: `${CONFIG_FILE} failed to load: ${err.message}`,
          notes: sourceFrames(err, compiled, root),
        },
      ],
    };
  }
  const spec = mod.default as LoadedConfigSpec | undefined;
  if (!spec || typeof spec !== 'object' || !('artifacts' in spec)) {
    return {
      ok: false,
      error: [
        {
          code: 'invalid-config',
          message: `${CONFIG_FILE} must \`export default defineConfig({artifacts: {...}})\``,
          site: {file, line: 1, column: 1},
        },
      ],
    };
  }
  return {ok: true, value: {spec, file}};
}
