/**
 * The scratch workspace of `audit --rebuild`: a tree beside the real one in which the chosen nodes
 * run again, so nothing the audit does can touch the workspace's outputs, store or state. Sources
 * are symlinked into it (a directory holding no declared output is one link), directories that hold
 * outputs are real (tools write there), and declared outputs are left out: they are made again or
 * materialized from the store. Toolchains (venvs under `.bevbuild/envs`) are linked, not rebuilt:
 * they are the fixed environment the check runs in.
 */
import {existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync} from 'node:fs';
import {join} from 'node:path';
import type {Graph} from '../graph/graph.ts';

/** Top-level names never mirrored: version control and bevbuild's own state (a scratch tree must not nest itself). */
const SKIP = (name: string) => name === '.git' || name.startsWith('.bevbuild');

/**
 * Mirrors `graph.root` into `scratchRoot` (which must not exist yet). Returns the number of links
 * made. Outputs of every declared node are left out; their parent directories are real.
 */
export function mirrorWorkspace(graph: Graph, scratchRoot: string): number {
  const outputs = [...graph.outputOwner.keys()];
  const isOutput = (rel: string) => graph.outputOwner.has(rel);
  const holdsOutput = (rel: string) => outputs.some((o) => o.startsWith(`${rel}/`));
  let links = 0;
  const walk = (rel: string) => {
    const src = rel ? join(graph.root, rel) : graph.root;
    const dest = rel ? join(scratchRoot, rel) : scratchRoot;
    mkdirSync(dest, {recursive: true});
    for (const name of readdirSync(src)) {
      if (!rel && SKIP(name)) continue;
      const r = rel ? `${rel}/${name}` : name;
      if (isOutput(r)) continue;
      const st = lstatSync(join(src, name));
      if (st.isDirectory() && holdsOutput(r)) walk(r);
      else {
        symlinkSync(join(src, name), join(dest, name));
        links++;
      }
    }
  };
  walk('');
  // Venvs are made in place under .bevbuild/envs and are not relocatable: link them as they are.
  const envs = join(graph.root, '.bevbuild', 'envs');
  if (existsSync(envs)) {
    mkdirSync(join(scratchRoot, '.bevbuild'), {recursive: true});
    symlinkSync(envs, join(scratchRoot, '.bevbuild', 'envs'));
    links++;
  }
  return links;
}
