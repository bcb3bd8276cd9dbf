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
// when any source file changes), with V8's code cache beside it (bin/code-cache.js). Without a
// writable cache it falls back to tsx's loader. The same
// holds for an installed package: it ships the sources (dist/ is for `import 'bevbuild'` and types).
// A no-op whose fast stamp still holds is answered before any of that (bin/noop-fast.js).
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync} from 'node:fs';
import {createRequire} from 'node:module';
import {basename, dirname, join} from 'node:path';
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

/**
 * The names zod's ES module exports, for the zod.mjs shim (see loadMain): read once, when a bundle is made.
 */
async function zodShim() {
  const names = Object.keys(await import(pathToFileURL(zodEntry()).href)).filter((n) => n !== 'default');
  // `export {v0 as catch}`: zod exports names that are reserved words, which only an export list allows.
  return [
    '// Made by bin/bevbuild.js: zod as the engine bundle (cli.cjs) loaded it, so that a compiled config and',
    '// the engine share one zod. Imported anywhere else, it loads zod itself.',
    `const m = globalThis[Symbol.for('bevbuild.zod')] ?? (await import(${JSON.stringify(pathToFileURL(zodEntry()).href)}));`,
    ...names.map((n, i) => `const v${i} = m[${JSON.stringify(n)}];`),
    `export {${names.map((n, i) => `v${i} as ${n}`).join(', ')}};`,
    'export default m.default;',
    '',
  ].join('\n');
}

/** Makes the bundle directory `dir` (cli.cjs, noop-fast-replay.mjs, zod.mjs), atomically. */
async function makeBundle(cacheDir, dir, id) {
  mkdirSync(cacheDir, {recursive: true});
  const tmpOut = join(cacheDir, `tmp-${id}-${process.pid}`);
  // Modules that locate files next to themselves must keep their real URL inside the bundle (and a
  // CommonJS bundle has no import.meta at all).
  const keepImportMeta = (zod) => ({name: 'keep-import-meta', setup(b) {
    b.onResolve({filter: /^zod$/}, () => zod);
    b.onLoad({filter: /\.(ts|js)$/}, async (a) => {
      const {readFile} = await import('node:fs/promises');
      const text = (await readFile(a.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(a.path).href));
      return {contents: text, loader: a.path.endsWith('.ts') ? 'ts' : 'js'};
    });
  }});
  try {
    await writeBundle(tmpOut, keepImportMeta);
  } catch (e) {
    rmSync(tmpOut, {recursive: true, force: true}); // a full disk, a failed check: nothing half-made stays
    throw e;
  }
  placeBundle(tmpOut, dir);
  sweepOldBundles(cacheDir, basename(dir));
}

/** esbuild's part of makeBundle: the files of a bundle directory, into `tmpOut`. */
async function writeBundle(tmpOut, keepImportMeta) {
  const {build} = await import('esbuild');
  const {writeFile} = await import('node:fs/promises');
  const common = {bundle: true, platform: 'node', target: 'node20', packages: 'external', logLevel: 'silent'};
  // The engine, zod included: one CommonJS file, which bin/code-cache.js runs with V8's code cache.
  // The exports: main, the command an argv names (for the cache), the daemon's server, and zod (for
  // the zod.mjs shim).
  const engine = await build({
    ...common, format: 'cjs', sourcemap: 'linked', outfile: join(tmpOut, 'cli.cjs'), banner: {js: "'use strict';"},
    // Non-ASCII escaped in strings, regexes and names (see asciiOnly below).
    charset: 'ascii', write: false,
    stdin: {contents: `export {main, commandOf} from ${JSON.stringify(join(root, 'src', 'cli.ts'))};\nexport {serveDaemon} from ${JSON.stringify(join(root, 'src', 'daemon', 'serve.ts'))};\nexport * as zod from 'zod';\n`, resolveDir: root, loader: 'ts', sourcefile: 'engine-entry.ts'},
    plugins: [keepImportMeta({path: zodEntry()})],
  });
  mkdirSync(tmpOut, {recursive: true});
  for (const f of engine.outputFiles) await writeFile(f.path, f.path.endsWith('.cjs') ? asciiOnly(f.text) : f.text);
  const lost = engine.warnings.filter((w) => w.id === 'empty-import-meta');
  if (lost.length) throw new Error(`import.meta in a CommonJS bundle: ${lost.map((w) => `${w.location?.file}:${w.location?.line}`).join(', ')}`);
  // What bin/noop-fast.js loads for a no-op (the lock, the reporter, the history): an ES module of its
  // own, tiny, because a replayed no-op must not pay for the engine.
  await build({...common, format: 'esm', entryPoints: [join(root, 'src', 'engine', 'noop-fast-replay.ts')], outfile: join(tmpOut, 'noop-fast-replay.mjs'), plugins: [keepImportMeta({path: './zod.mjs', external: true})]});
  // The compiled config imports zod from here (BEVBUILD_ZOD): the engine's own instance.
  await writeFile(join(tmpOut, 'zod.mjs'), await zodShim());
}

/**
 * The bundle as pure ASCII, which bin/code-cache.js reads as latin1 (4× faster than decoding UTF-8).
 * esbuild's `charset: 'ascii'` escapes every string, regex and name, so what is left is in
 * comments: each UTF-16 unit becomes one `?`, which keeps every column the source map knows.
 */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/g, '?');
}

/**
 * Renames the finished `tmpOut` to `dir` (atomic: a concurrent start sees the whole bundle or
 * none). When `dir` exists it is another process's finished bundle, unless it lacks cli.cjs (a
 * directory left holding only caches): then it is moved aside and the rename tried once more.
 */
function placeBundle(tmpOut, dir) {
  try {
    renameSync(tmpOut, dir);
    return;
  } catch (e) {
    if (existsSync(join(dir, 'cli.cjs'))) return void rmSync(tmpOut, {recursive: true, force: true});
    const aside = `${tmpOut}-broken`;
    try {
      renameSync(dir, aside);
      rmSync(aside, {recursive: true, force: true});
      renameSync(tmpOut, dir);
    } catch {
      rmSync(tmpOut, {recursive: true, force: true});
      if (!existsSync(join(dir, 'cli.cjs'))) throw e;
    }
  }
}

/** The engine build this checkout's sources make (see sourcesFingerprint). */
async function engineId() {
  // node:crypto is loaded here, not at the top: a no-op answered by the fast path never needs it.
  const {createHash} = await import('node:crypto');
  return sourcesFingerprint(createHash);
}

/**
 * The engine: `main`, `serveDaemon` and `saveCache(argv)` to call after main (undefined on the tsx
 * fallback). Runs from a bundle that esbuild makes once per version of the sources, in node_modules/.cache.
 */
async function loadMain(id) {
  const cacheDir = join(root, 'node_modules', '.cache', 'bevbuild');
  const {createHash} = await import('node:crypto');
  process.env.BEVBUILD_ENGINE_ID = id; // compiled configs are valid for this engine build only
  const dir = join(cacheDir, `cli-${id}`);
  const bundle = join(dir, 'cli.cjs');
  if (!existsSync(bundle)) {
    try {
      await makeBundle(cacheDir, dir, id);
    } catch (e) {
      if (process.env.BEVBUILD_TIMING) process.stderr.write(`[timing] no engine bundle (${e?.message ?? e}): running the sources through tsx\n`);
      // Another engine build for compiled configs: one compiled with the bundle imports its zod.mjs.
      process.env.BEVBUILD_ENGINE_ID = `${id}-tsx`;
      const {register} = await import('tsx/esm/api');
      register();
      return {main: (await import('../src/cli.ts')).main, serveDaemon: (await import('../src/daemon/serve.ts')).serveDaemon, saveCache: undefined};
    }
  } else {
    // Marks the bundle as in use, so that sweepOldBundles leaves it alone (one cheap syscall).
    const now = new Date();
    try {
      utimesSync(dir, now, now);
    } catch {
      // a read-only cache: nothing sweeps it either
    }
  }
  process.env.BEVBUILD_ZOD = join(dir, 'zod.mjs');
  const {runBundle, IMPORT_HOOK} = await import('./code-cache.js');
  globalThis[IMPORT_HOOK] = (specifier) => import(specifier);
  if (process.sourceMapsEnabled) {
    // `--enable-source-maps`: Node maps stacks only for code its own loader compiled (cli.cjs.map).
    const exports = createRequire(bundle)(bundle);
    if (process.env.BEVBUILD_TIMING) process.stderr.write('[timing] engine bundle: no code cache (source maps enabled)\n');
    globalThis[Symbol.for('bevbuild.zod')] = exports.zod;
    return {main: exports.main, serveDaemon: exports.serveDaemon, saveCache: undefined};
  }
  const sha256 = (data) => createHash('sha256').update(data).digest('hex');
  // V8 rejects a cache made by another V8 or under flags that change code: one file per such tag
  // (cachedDataVersionTag), so that two of them in turn do not rewrite one file at every start.
  const {cachedDataVersionTag} = await import('node:v8');
  const engine = runBundle(bundle, join(dir, `v8-${process.version}-${cachedDataVersionTag().toString(16)}.cache`), sha256);
  if (process.env.BEVBUILD_TIMING) process.stderr.write(`[timing] engine bundle: code cache ${engine.status}\n`);
  globalThis[Symbol.for('bevbuild.zod')] = engine.exports.zod;
  return {main: engine.exports.main, serveDaemon: engine.exports.serveDaemon, saveCache: (argv) => engine.save(engine.exports.commandOf(argv))};
}

const deferredCa = process.env.BEVBUILD_EXTRA_CA_CERTS;
if (deferredCa !== undefined) {
  // Before anything reads the environment: the no-op stamp's key, the tools' environment.
  process.env.NODE_EXTRA_CA_CERTS = deferredCa;
  delete process.env.BEVBUILD_EXTRA_CA_CERTS;
  globalThis[Symbol.for('bevbuild.deferredExtraCaCerts')] = deferredCa;
}

const serving = process.env.BEVBUILD_DAEMON_SERVE;
try {
  const argv = process.argv.slice(2);
  if (serving !== undefined) {
    // This process is a daemon (started by startDaemon below): its tools must not see the variable.
    delete process.env.BEVBUILD_DAEMON_SERVE;
    const engine = await loadMain(await engineId());
    await engine.serveDaemon(serving, engine.main);
    process.exit(0); // a tool's stray handle must not keep an idle daemon alive
  }
  const replayed = process.env.BEVBUILD_NOOP_STAMP === 'off' ? undefined : await fastNoop(argv);
  if (replayed !== undefined) process.exitCode = replayed;
  else {
    const id = await engineId();
    // Loaded only when asked for: node:net and the rest stay off the path of every other start.
    const daemon = process.env.BEVBUILD_DAEMON === '1' ? await import('./daemon-client.js') : undefined;
    const socket = daemon?.daemonWanted(argv) ? daemon.daemonSocket(id) : undefined;
    // What the socket's key was made of, for a daemon started after the command (which may change both).
    const keyedAt = {env: {...process.env}, cwd: process.cwd()};
    const answer = socket === undefined ? undefined : await daemon.askDaemon(socket, argv);
    if (process.env.BEVBUILD_TIMING && socket) {
      const what = answer === undefined ? 'none answered; running here and starting one'
        : answer.busy ? 'busy; running here'
        : answer.declined ? `declined (the config imports ${answer.declined}); running here`
        : answer.stale ? `retired (${answer.stale} changed since it was loaded); running here and starting another`
        : 'answered';
      process.stderr.write(`[timing] daemon: ${what}\n`);
    }
    if (answer?.code !== undefined) process.exitCode = answer.code;
    else {
      const engine = await loadMain(id);
      process.exitCode = await engine.main(argv);
      engine.saveCache?.(argv);
      if (socket && !answer?.busy && !answer?.declined) daemon.startDaemon(socket, fileURLToPath(import.meta.url), keyedAt);
    }
  }
} catch (e) {
  // The dump may quote a remote URL: never print its user:password@ (same rule as
  // redactUrlCredentials in cache/remote-auth.ts, which cannot be loaded here).
  const {inspect} = await import('node:util');
  const dump = inspect(e).replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"`]+@/gi, '$1***@');
  console.error(`bevbuild: internal error (this is a bug, please report it):\n${dump}`);
  process.exitCode = 1;
}
