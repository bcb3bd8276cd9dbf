#!/usr/bin/env node
// `npm run build` (run by `npm pack` / `npm publish` through prepack): compiles src/, cache/, rules/
// and schemas/ to dist/ — JavaScript for plain `import 'bevbuild'` and `.d.ts` for a consumer's tsc
// (package.json `exports`). The CLI does not run from dist/: it bundles the sources itself
// (bin/bevbuild.js), and configs are compiled from the sources too (src/config/compile-config.ts).
//
// Two rewrites make the output usable from another project:
// * `import.meta.url` in dist/x/y.js becomes the URL of the source twin x/y.ts, which the package
//   ships: rules find their tools (`new URL('./tools/x.py', import.meta.url)`), the engine its
//   package.json and worker, exactly as when run from the sources.
// * relative `./y.ts` specifiers in `.d.ts` files become `./y.js` (tsc rewrites them only in
//   JavaScript), so a consumer without `allowImportingTsExtensions` resolves them.
import {spawnSync} from 'node:child_process';
import {readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const tmp = join(root, `dist.tmp-${process.pid}`);
const NEEDLE = ['import', 'meta', 'url'].join('.'); // split: this file's own URL is not rewritten

function* files(dir) {
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else yield p;
  }
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', tmp], {stdio: 'inherit'});
if (run.status !== 0) {
  rmSync(tmp, {recursive: true, force: true});
  console.error('build-dist: tsc failed (see above); nothing was written to dist/');
  process.exit(run.status ?? 1);
}

for (const file of files(tmp)) {
  const rel = relative(tmp, file);
  if (rel.endsWith('.d.ts')) {
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(/((?:from\s+|import\s*\(\s*)['"]\.{1,2}\/[^'"]*)\.ts(['"])/g, '$1.js$2');
    if (fixed !== text) writeFileSync(file, fixed);
  } else if (rel.endsWith('.js')) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes(NEEDLE)) continue;
    const source = relative(dirname(file), join(root, rel.replace(/\.js$/, '.ts')));
    writeFileSync(file, text.replaceAll(NEEDLE, `new URL(${JSON.stringify(source)}, ${NEEDLE}).href`));
  }
}
rmSync(dist, {recursive: true, force: true});
renameSync(tmp, dist);
console.log(`build-dist: wrote ${relative(process.cwd(), dist) || '.'}/`);
