/**
 * Toolchain rule for an existing Python environment bevbuild does not create — Intel's bevEnv
 * (py3.8, torch 1.11, mmdet3d) and spconvEnv (py3.12, NNCF, custom OpenVINO) (reference §1.1,
 * DESIGN.md decision 7). Its inputs are the interpreter and every installed distribution's
 * metadata file (and, with `openvinoRelease`, the custom OpenVINO libraries), so its action key —
 * which dependents key on — changes when anything installed changes. The node itself runs a probe
 * (importlib.metadata) that writes the human-readable fingerprint: Python version + distributions.
 * With `openvinoRelease`, every node using the env gets `PYTHONPATH` and `LD_LIBRARY_PATH` for that
 * build in its environment before the interpreter starts (pitfall 18).
 */
import {isAbsolute, join} from 'node:path';
import {defineRule, z} from '../../src/index.ts';
import {toolPath} from '../intel/node-tool.ts';
import {distributionFiles, interpreterFiles, openvinoEnv, openvinoFiles} from './env-files.ts';

const PROBE = toolPath(import.meta.url, './tools/python_fingerprint.py');

export const externalPython = defineRule({
  name: 'env/external-python',
  version: 1,
  description: 'An existing venv, fingerprinted by interpreter + installed distributions (+ custom OpenVINO libs)',
  params: z
    .object({
      name: z.string().regex(/^[a-z0-9_-]+$/),
      /** The venv prefix (`$BEV_ENV`); absolute, since it lives outside the workspace. */
      prefix: z.string().refine(isAbsolute, 'an absolute path (the env lives outside the workspace)'),
      python: z.string().default('bin/python'),
      /** `<OPENVINO_ROOT>/bin/intel64/Release` of a custom build this env must load (spconvEnv). */
      openvinoRelease: z.string().refine(isAbsolute, 'an absolute path').optional(),
    })
    .strict(),
  inputs: (p) => [...interpreterFiles(p.prefix, p.python), ...distributionFiles(p.prefix), ...(p.openvinoRelease ? openvinoFiles(p.openvinoRelease) : []), PROBE],
  outputs: (p) => [`.bevbuild/envs/${p.name}/fingerprint.json`],
  env: (p) => (p.openvinoRelease ? openvinoEnv(p.openvinoRelease) : {}),
  argv: (p, ctx) => [join(p.prefix, p.python), PROBE, '--out', ctx.out(`.bevbuild/envs/${p.name}/fingerprint.json`)],
  timeoutMs: () => 60_000,
  providesPython: (p) => join(p.prefix, p.python),
  providesEnv: (p) => ({VIRTUAL_ENV: p.prefix, PATH_PREFIX: join(p.prefix, 'bin'), ...(p.openvinoRelease ? openvinoEnv(p.openvinoRelease) : {})}),
});
