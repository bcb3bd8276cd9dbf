/**
 * A private copy of the embedded default workspace for end-to-end tests: the config and the demo
 * toolchain are copied (tests edit them and the tools write under demo/training/), while rules,
 * native sources, the engine and node_modules are symlinked to this checkout.
 */
import {cpSync, mkdtempSync, rmSync, statSync, symlinkSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {repoRoot} from './venv.ts';

export function makeDemoWorkspace(): {dir: string; dispose: () => void} {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-demo-'));
  cpSync(join(repoRoot, 'bevbuild.config.ts'), join(dir, 'bevbuild.config.ts'));
  cpSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  cpSync(join(repoRoot, 'demo'), join(dir, 'demo'), {
    recursive: true,
    // Only sources: not what a local build of the demo left behind (data, checkpoints, exports).
    filter: (src) => {
      const rel = src.slice(repoRoot.length);
      if (/\/(data|work_dirs|outputs|__pycache__)(\/|$)/.test(rel)) return false;
      return !(/^\/?demo\/training\/export\/[^/]+$/.test(rel) && statSync(src).isDirectory() && !rel.endsWith('/pointpillars'));
    },
  });
  for (const link of ['rules', 'native', 'src', 'cache', 'schemas', 'node_modules']) symlinkSync(join(repoRoot, link), join(dir, link));
  return {dir, dispose: () => rmSync(dir, {recursive: true, force: true})};
}
