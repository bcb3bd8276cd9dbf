/**
 * A generated config for values only a config file can change (pitfall 6: export, dump and
 * quantize scripts use strict argparse, no `--key value` overrides). torchpack inherits the
 * `default.yaml` chain of the file's *own* directory (§2.1), so the file is written **next to the
 * leaf** inside the configs tree: `<leaf dir>/<leaf stem>.<name>.yaml`. It holds the leaf's own
 * content with `values` deep-merged in (dicts merged, lists and scalars replaced, as torchpack
 * does), because the leaf itself is not an ancestor of a sibling file. Dotted keys (`a.b.c`) are
 * nested paths, like torchpack's CLI overrides; values go through `${…}` interpolation afterwards,
 * so overriding `dataset_root` propagates into every `${dataset_root + …}`.
 * Consumers use `overrideConfig(leaf, name)` as their `config`: the chain of that path is the
 * override (an output of this node, so a leaf edit re-keys through it) plus the leaf's ancestors.
 */
import {basename, dirname} from 'node:path';
import {defineRule, z} from '../../src/index.ts';
import {configChain, inRepo} from './common.ts';
import {nodeTool, toolPath} from './node-tool.ts';

const WRITER = toolPath(import.meta.url, './tools/write-config-override.ts');

/** Repo-relative path of the override generated for `leaf` under `name`. */
export function overrideConfig(leaf: string, name: string): string {
  return `${dirname(leaf)}/${basename(leaf, '.yaml')}.${name}.yaml`;
}

const jsonValue: z.ZodType<unknown> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]));

export const configOverride = defineRule({
  name: 'intel/config-override',
  version: 1,
  description: 'Write <leaf dir>/<leaf>.<name>.yaml: the leaf with values merged, inheriting the default.yaml chain',
  params: z
    .object({
      repo: z.string().min(1),
      /** Leaf config relative to the repo. */
      leaf: z.string().regex(/^configs\/.*\.yaml$/, 'a leaf inside the configs tree (configs/…/x.yaml), relative to the repo'),
      name: z.string().regex(/^[a-z0-9_-]+$/),
      values: z.record(z.string(), jsonValue).refine((v) => Object.keys(v).length > 0, 'nothing to override'),
    })
    .strict(),
  inputs: (p, ctx) => [...configChain(p.repo, p.leaf, ctx.root), WRITER],
  outputs: (p) => [inRepo(p.repo, overrideConfig(p.leaf, p.name))],
  // The file lives in the repo's configs tree, outside the workspace; the content store records only
  // workspace paths, so it is written in place and not cached (it is tiny and cheap to regenerate).
  cache: false,
  stage: false,
  argv: (p, ctx) => [...nodeTool(WRITER), '--leaf', ctx.in(inRepo(p.repo, p.leaf)), '--values', JSON.stringify(p.values), '--out', ctx.out(inRepo(p.repo, overrideConfig(p.leaf, p.name)))],
});
