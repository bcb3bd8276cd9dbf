#!/bin/sh
":" //; case "$NODE_OPTIONS" in *--use-openssl-ca*) ;; *) [ -z "$NODE_EXTRA_CA_CERTS" ] || { BEVBUILD_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export BEVBUILD_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; } ;; esac; exec node "$0" "$@"
// The line above is for sh; to JavaScript it is a string and a comment. Node reads and parses the whole
// NODE_EXTRA_CA_CERTS bundle at start-up (≈65 ms on a 2-core VM with Debian's 140 CAs, more than
// the rest of a no-op), so the bin starts Node without it and puts it back below: every tool
// bevbuild runs still gets it, and the remote cache's HTTPS agent adds the file to Node's bundled
// roots itself (cache/remote-http-transport.ts). Not with --use-openssl-ca in NODE_OPTIONS: those
// system roots cannot be rebuilt here. Run as `node bin/bevbuild.js`, none of this happens.
// The `bevbuild` executable. The engine is TypeScript; to start fast it runs from a bundle that
// esbuild makes once per version of the sources (cached in node_modules/.cache/bevbuild/, rebuilt
// when any source file changes). Without a writable cache it falls back to tsx's loader. The same
// holds for an installed package: it ships the sources (dist/ is for `import 'bevbuild'` and types).
// A no-op whose fast stamp still holds is answered before any of that (bin/noop-fast.js).
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {engineSources, fastNoop} from './noop-fast.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** A bundle not started for this long is swept when a new one is made (see sweepOldBundles). */
const UNUSED_MS = 24 * 3600_000;

/** zod's ES module entry, wherever npm put it (nested in a checkout, hoisted when installed). */
function zodEntry() {
  const pkgFile = createRequire(join(root, 'package.json')).resolve('zod/package.json');
  const entry = JSON.parse(readFileSync(pkgFile, 'utf8')).exports['.'].import;
  return join(dirname(pkgFile), entry);
}

/**
 * Removes bundles of other source versions that no CLI has started for a day, and abandoned temps.
 * Not younger ones: two checkouts (or edit states) may share node_modules, and deleting a bundle a
 * running CLI still loads chunks from breaks it with ERR_MODULE_NOT_FOUND. Best effort.
 */
function sweepOldBundles(cacheDir, keep) {
  const now = Date.now();
  for (const e of readdirSync(cacheDir)) {
    if (e === keep) continue;
    try {
      if (now - statSync(join(cacheDir, e)).mtimeMs > UNUSED_MS) rmSync(join(cacheDir, e), {recursive: true, force: true});
    } catch {
      // raced with another sweeper: fine
    }
  }
}

/** A fingerprint of the engine's sources from their stats: cheap enough for every start. */
function sourcesFingerprint(createHash) {
  const h = createHash('sha256');
  for (const p of engineSources(root).files) {
    const st = statSync(p);
    h.update(`${p}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

async function loadMain() {
  const cacheDir = join(root, 'node_modules', '.cache', 'bevbuild');
  // node:crypto is loaded here, not at the top: a no-op answered by the fast path never needs it.
  const id = sourcesFingerprint((await import('node:crypto')).createHash);
  process.env.BEVBUILD_ENGINE_ID = id; // compiled configs are valid for this engine build only
  const bundle = join(cacheDir, `cli-${id}`, 'cli.mjs');
  if (!existsSync(bundle)) {
    try {
      const {build} = await import('esbuild');
      mkdirSync(cacheDir, {recursive: true});
      const tmpOut = join(cacheDir, `tmp-${id}-${process.pid}`);
      // Modules that locate files next to themselves must keep their real URL inside the bundle.
      const keepImportMeta = {name: 'keep-import-meta', setup(b) {
        // zod comes as ~100 small ES modules (≈90 ms to load); one pre-bundled file loads in ≈25 ms.
        // The compiled config imports the same file (BEVBUILD_ZOD), so there is one zod instance.
        b.onResolve({filter: /^zod$/}, () => ({path: './zod.mjs', external: true}));
        b.onLoad({filter: /\.ts$/}, async (a) => {
          const {readFile} = await import('node:fs/promises');
          const text = (await readFile(a.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(a.path).href));
          return {contents: text, loader: 'ts'};
        });
      }};
      const common = {bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', sourcemap: 'linked', logLevel: 'silent', plugins: [keepImportMeta]};
      await build({
        ...common, entryPoints: [join(root, 'src', 'cli.ts')],
        // Commands load lazily (watch pulls in @parcel/watcher, audit a cold memo…): split them into
        // chunks so a build compiles only what it runs.
        splitting: true, outdir: tmpOut, write: true, entryNames: '[name]', chunkNames: 'chunk-[hash]',
        outExtension: {'.js': '.mjs'},
      });
      // What bin/noop-fast.js loads for a no-op (the lock, the reporter, the history): one file of its
      // own, not an entry among the CLI's chunks, because every extra module costs a no-op ~1–2 ms.
      await build({...common, entryPoints: [join(root, 'src', 'engine', 'noop-fast-replay.ts')], outfile: join(tmpOut, 'noop-fast-replay.mjs')});
      // zod is 0.75 MB of source that every config load parses: whitespace and syntax minified it
      // loads ~20% faster (names kept, so its errors read the same).
      await build({entryPoints: [zodEntry()], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: join(tmpOut, 'zod.mjs'), logLevel: 'silent', minifyWhitespace: true, minifySyntax: true});
      try {
        renameSync(tmpOut, dirname(bundle)); // atomic: a concurrent start sees all chunks or none
      } catch {
        rmSync(tmpOut, {recursive: true, force: true}); // another process finished first
      }
      sweepOldBundles(cacheDir, `cli-${id}`);
    } catch {
      const {register} = await import('tsx/esm/api');
      register();
      return (await import('../src/cli.ts')).main;
    }
  }
  else {
    // Marks the bundle as in use, so that sweepOldBundles leaves it alone (one cheap syscall).
    const now = new Date();
    try {
      utimesSync(dirname(bundle), now, now);
    } catch {
      // a read-only cache: nothing sweeps it either
    }
  }
  process.env.BEVBUILD_ZOD = join(dirname(bundle), 'zod.mjs');
  return (await import(pathToFileURL(bundle).href)).main;
}

const deferredCa = process.env.BEVBUILD_EXTRA_CA_CERTS;
if (deferredCa !== undefined) {
  // Before anything reads the environment: the no-op stamp's key, the tools' environment.
  process.env.NODE_EXTRA_CA_CERTS = deferredCa;
  delete process.env.BEVBUILD_EXTRA_CA_CERTS;
  globalThis[Symbol.for('bevbuild.deferredExtraCaCerts')] = deferredCa;
}

try {
  const replayed = process.env.BEVBUILD_NOOP_STAMP === 'off' ? undefined : await fastNoop(process.argv.slice(2));
  if (replayed !== undefined) process.exitCode = replayed;
  else {
    const main = await loadMain();
    process.exitCode = await main(process.argv.slice(2));
  }
} catch (e) {
  // The dump may quote a remote URL: never print its user:password@ (same rule as
  // redactUrlCredentials in cache/remote-auth.ts, which cannot be loaded here).
  const {inspect} = await import('node:util');
  const dump = inspect(e).replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"`]+@/gi, '$1***@');
  console.error(`bevbuild: internal error (this is a bug, please report it):\n${dump}`);
  process.exitCode = 1;
}
