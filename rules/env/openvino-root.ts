/**
 * Toolchain rule for a custom OpenVINO build used by processes that are not Python tools — the
 * deploy binary `./bevfusion_unified` needs the build with the sparse-op patch on its loader path
 * (reference §1.1, §9.3 B10). Inputs are the build's libraries, plugins and Python modules, so
 * replacing one re-keys every node using this env. Provides `LD_LIBRARY_PATH` and `PYTHONPATH`.
 */
import {isAbsolute} from 'node:path';
import {defineRule, z} from '../../src/index.ts';
import {nodeTool, toolPath} from '../intel/node-tool.ts';
import {openvinoEnv, openvinoFiles} from './env-files.ts';

const PROBE = toolPath(import.meta.url, './tools/fingerprint-files.ts');

export const openvinoRoot = defineRule({
  name: 'env/openvino-root',
  version: 1,
  description: 'A custom OpenVINO build, fingerprinted by the digests of its libraries and plugins',
  params: z
    .object({
      name: z.string().regex(/^[a-z0-9_-]+$/),
      /** `<OPENVINO_ROOT>/bin/intel64/Release`. */
      release: z.string().refine(isAbsolute, 'an absolute path (the build lives outside the workspace)'),
    })
    .strict(),
  inputs: (p) => {
    const files = openvinoFiles(p.release);
    // No library at all: name the one every build has, so the analyzer reports it missing.
    return [...(files.length ? files : [`${p.release}/libopenvino.so`]), PROBE];
  },
  outputs: (p) => [`.bevbuild/envs/${p.name}/fingerprint.json`],
  argv: (p, ctx) => [...nodeTool(PROBE), '--out', ctx.out(`.bevbuild/envs/${p.name}/fingerprint.json`), ...openvinoFiles(p.release)],
  providesEnv: (p) => openvinoEnv(p.release),
});
