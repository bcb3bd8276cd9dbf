/**
 * Turns `bevbuild.config.ts` (and the TypeScript rule files it imports) into one ES module with
 * esbuild, cached under `.bevbuild/state/`. A no-op build then costs a few stats to validate the
 * cache and one import — not a TypeScript loader start (≈0.5 s) — which is what keeps `bevbuild`
 * on an up-to-date workspace near the cost of starting Node.
 *
 * npm packages stay external (resolved from the workspace as usual); `bevbuild` and its built-in
 * rules (`bevbuild/rules/<name>`) are bundled from the sources of the bevbuild that runs, in a
 * checkout or an installed package alike (not from its dist/ JavaScript): one engine instance, one zod.
 * Inline source maps keep diagnostics pointing at the user's `bevbuild.config.ts:line`.
 */
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs';
import {writeFileAtomicSync} from '../../cache/fs-util.ts';
import {statStamp} from '../../cache/stat-memo.ts';
import {RACY_MS} from '../engine/path-stamp.ts';
import {basename, dirname, join, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {createHash} from 'node:crypto';
import type {Message, Metafile} from 'esbuild';
import type {Diagnostic} from '../diagnostics.ts';
import {suggest} from '../graph/suggest.ts';
import {importEsm} from '../esm-import.ts';

const INDEX = fileURLToPath(new URL('../index.ts', import.meta.url));
const RULES = fileURLToPath(new URL('../../rules/', import.meta.url));
/**
 * 2: stat stamps with inode and ctime; the directories where a new file could change what an import resolves to.
 * 3: the content digest of a file changed within the racy second before its compile.
 */
const FORMAT = 3;
const IMPORT_META_URL = ['import', 'meta', 'url'].join('.');

interface CacheMeta {
  format: number;
  /** The engine build that compiled it (set by bin/bevbuild.js): a new bevbuild recompiles. */
  engine: string;
  /**
   * Every file bundled, and its stamp (any write moves the ctime, even one that puts the mtime back).
   * A file changed within RACY_MS before the compile started also has the sha256 of the text that
   * was compiled: its stamp was taken after the compile, and a second write in the same tick (or
   * during the compile) may keep it, so its content is compared at every load (as git does for
   * racily clean entries).
   */
  inputs: [string, string, string?][];
  /**
   * The directories of files reached by an import that named them loosely (`./helper`, `./helper.js`
   * for a .ts file, a directory's index), with their stamps: a file added there (`helper.tsx`) may
   * take the import over, and adding or removing a file changes the directory's stamp.
   */
  dirs: [string, string][];
  out: string;
}

/** A path's stat stamp (the stat memo's: device, inode, size, mtime and ctime). */
const stampOf = (p: string): string => statStamp(statSync(p));

/**
 * The directories whose listing an import's resolution depended on: those of files imported by a
 * specifier that does not end in the file's own name (esbuild tried other candidates first).
 */
function looseImportDirs(metafile: Metafile): string[] {
  const dirs = new Set<string>();
  for (const input of Object.values(metafile.inputs)) {
    for (const i of input.imports) {
      if (i.external || !i.original || !/^\.{0,2}\//.test(i.original)) continue;
      if (basename(i.original) !== basename(i.path)) dirs.add(resolve(dirname(i.path)));
    }
  }
  return [...dirs].sort();
}

/** Returns the path of an up-to-date compiled module for `configFile`. Throws on compile errors. */
export async function compileConfig(configFile: string, stateDir: string): Promise<string> {
  const metaFile = join(stateDir, 'config-cache.json');
  const hit = cached(metaFile);
  if (hit) return hit;
  const started = Date.now();
  /** Absolute path → sha256 of the text esbuild was given (the files that pass through onLoad). */
  const compiled = new Map<string, string>();
  const {build} = await importEsm<typeof import('esbuild')>('esbuild');
  const result = await build({
    entryPoints: [configFile],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    // Only names the output so source-map paths are relative to stateDir, where the file is written.
    outfile: join(stateDir, 'config.mjs'),
    metafile: true,
    // External, and applied by hand when a diagnostic needs a location (call-site.ts): enabling
    // Node's source-map support would parse the whole map at every start.
    sourcemap: 'external',
    logLevel: 'silent',
    conditions: ['import', 'node'],
    plugins: [
      {
        name: 'bevbuild-self',
        setup(b) {
          b.onResolve({filter: /^bevbuild$/}, () => ({path: INDEX}));
          b.onResolve({filter: /^bevbuild\/rules\/./}, (args) => {
            const rel = args.path.slice('bevbuild/rules/'.length).replace(/\.[jt]s$/, '');
            const file = join(RULES, `${rel}.ts`);
            if (existsSync(file)) return {path: file};
            const near = suggest(rel, builtinRules(), 2).map((n) => `"bevbuild/rules/${n}"`);
            return {errors: [{text: `"${args.path}" is not a built-in rule file${near.length ? ` — did you mean ${near.join(' or ')}?` : ''} (bevbuild/rules/<path> imports <path>.ts under ${RULES})`}]};
          });
          // Bare npm specifiers stay external but are resolved here, from the importing file, to
          // absolute paths: the bundle lives in .bevbuild/, where `node_modules` may not be reachable,
          // and the engine importing the same file shares one module instance (one zod).
          b.onResolve({filter: /^[^./]/}, async (args) => {
            if (args.pluginData === 'inner' || args.path.startsWith('node:')) return undefined;
            // The engine's pre-bundled zod (bin/bevbuild.js): one instance, loaded fast.
            if (args.path === 'zod' && process.env['BEVBUILD_ZOD']) return {path: process.env['BEVBUILD_ZOD'], external: true};
            const r = await b.resolve(args.path, {kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'inner'});
            if (r.errors.length) return {errors: r.errors};
            return {path: r.path, external: true};
          });
          // Rule files locate their tools with `new URL('./tools/x.py', import.meta.url)`: keep each
          // file's own URL inside the bundle. (The needle is split so that bundling *this* file,
          // which rewrites the same expression, leaves it alone.)
          b.onLoad({filter: /\.[cm]?[jt]s$/}, (args) => {
            const text = readFileSync(args.path, 'utf8');
            compiled.set(resolve(args.path), sha256(text));
            const url = JSON.stringify(pathToFileURL(args.path).href);
            return {contents: text.replaceAll(IMPORT_META_URL, url), loader: args.path.endsWith('.ts') ? 'ts' : 'js', resolveDir: dirname(args.path)};
          });
        },
      },
    ],
  }).catch((e: unknown) => {
    // Syntax errors and unresolvable imports: diagnostics at the config's file:line, not a stack.
    const errors = (e as {errors?: Message[]}).errors;
    throw Array.isArray(errors) && errors.length ? new ConfigSourceProblems(errors.map(compileErrorDiagnostic)) : e;
  });
  // A repeated key in an object literal silently drops the first value (e.g. two artifacts with
  // one id): an error, pointed at both places. Nothing is cached, so it is reported until fixed.
  const dups = result.warnings.filter((w) => w.id === 'duplicate-object-key' && w.location);
  if (dups.length) throw new ConfigSourceProblems(dups.map(duplicateKeyDiagnostic));
  const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'))!.text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
  const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(p));
  const digest = createHash('sha256').update(code).digest('hex').slice(0, 16);
  mkdirSync(stateDir, {recursive: true});
  const out = join(stateDir, `config-${digest}.mjs`);
  // Old compiled configs are never loaded again.
  for (const f of readdirSync(stateDir)) if (/^config-[0-9a-f]{16}\.mjs(\.map)?$/.test(f) && !f.startsWith(`config-${digest}.`)) rmSync(join(stateDir, f), {force: true});
  // Whole files or none (a full disk, builds started at once): nothing half-written is left or loaded.
  writeFileAtomicSync(`${out}.map`, map);
  writeFileAtomicSync(out, code.replace(/\/\/# sourceMappingURL=.*\s*$/, ''));
  // The stamps are taken after the compile: a file written during it (or within the racy second
  // before, when a second write may keep its stamp) would be recorded with code made from its old
  // text. Such a file is recorded with the digest of what was compiled, checked at every load; one
  // whose compiled text is unknown (not loaded through onLoad), or such a directory, means the
  // compile is used once and not cached.
  const stamped = (p: string) => {
    const st = statSync(p);
    return {stamp: statStamp(st), racy: Math.max(st.mtimeMs, st.ctimeMs) > started - RACY_MS};
  };
  const entries = inputs.map((p): [string, string, string?] => {
    const {stamp, racy} = stamped(p);
    return racy ? [p, stamp, compiled.get(p) ?? ''] : [p, stamp];
  });
  const dirs = looseImportDirs(result.metafile).map((d) => [d, stamped(d)] as const);
  if (entries.some((e) => e[2] === '') || dirs.some(([, d]) => d.racy)) {
    rmSync(metaFile, {force: true});
    return out;
  }
  const meta: CacheMeta = {format: FORMAT, engine: engineId(), inputs: entries, dirs: dirs.map(([d, {stamp}]) => [d, stamp]), out};
  writeFileAtomicSync(metaFile, JSON.stringify(meta));
  return out;
}

/** The built-in rule files as paths under rules/ without `.ts` (for a "did you mean"). */
function builtinRules(): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      if (e.isDirectory() && e.name !== 'tools') walk(join(dir, e.name), `${prefix}${e.name}/`);
      else if (e.isFile() && e.name.endsWith('.ts')) out.push(`${prefix}${e.name.slice(0, -3)}`);
    }
  };
  walk(RULES, '');
  return out.sort();
}

/** Problems esbuild finds in the config's source that make it mean something else than it says. */
export class ConfigSourceProblems extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '));
  }
}

const at = (l: NonNullable<Message['location']>) => ({file: resolve(l.file), line: l.line, column: l.column + 1});

function compileErrorDiagnostic(m: Message): Diagnostic {
  return {code: 'config-load-error', message: m.text, ...(m.location ? {site: at(m.location)} : {})};
}

function duplicateKeyDiagnostic(w: Message): Diagnostic {
  const first = w.notes[0]?.location;
  return {
    code: 'duplicate-key',
    message: `${w.text}: the earlier value is silently dropped (two artifacts with one id, or a parameter given twice); remove or rename one`,
    site: at(w.location!),
    ...(first ? {notes: [`first given at ${first.file === w.location!.file ? 'line ' : `${resolve(first.file)}:`}${first.line}:${first.column + 1}`]} : {}),
  };
}

const engineId = () => process.env['BEVBUILD_ENGINE_ID'] ?? 'dev';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function cached(metaFile: string): string | undefined {
  try {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as CacheMeta;
    if (meta.format !== FORMAT || meta.engine !== engineId()) return undefined;
    for (const [p, stamp] of [...meta.inputs, ...meta.dirs]) if (stampOf(p) !== stamp) return undefined;
    for (const [p, , digest] of meta.inputs) if (digest !== undefined && sha256(readFileSync(p, 'utf8')) !== digest) return undefined;
    statSync(meta.out);
    return meta.out;
  } catch {
    return undefined;
  }
}
