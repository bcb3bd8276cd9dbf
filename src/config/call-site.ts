/**
 * Where a declaration was written. `defineRule` / rule applications capture the caller's file and
 * line from the V8 stack at declaration time, so a diagnostic found later (during analysis) can
 * point at the user's `bevbuild.config.ts:12:5` rather than at bevbuild's internals.
 */
import {readFileSync} from 'node:fs';
import {SourceMap, type SourceMapPayload} from 'node:module';
import {dirname, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

export interface CallSite {
  file: string;
  line: number;
  column: number;
}

/**
 * Frames of the declaration API itself. Matched by path suffix, not by our own location: the
 * config is bundled (with source maps) so this module may run from a copy inside the bundle,
 * while the stack, mapped back through the source map, still names the original files.
 */
const INTERNAL = /\/src\/config\/(?:call-site|define-rule|define-config|sweep)\.ts$/;

/**
 * A lazily resolved call site. Creating an Error records the raw frames cheaply; formatting them
 * (and mapping through source maps) happens only when `.stack` is read — that is, only when a
 * diagnostic is printed. A 1,000-artifact config would otherwise spend most of its load time here.
 */
export function lazyCallSite(): () => CallSite | undefined {
  const trace = new Error();
  let site: CallSite | undefined | null = null;
  return () => (site === null ? (site = siteOf(trace)) : site);
}

/** The first stack frame outside bevbuild's declaration API (rules/ count as user code: they declare things). */
function siteOf(trace: Error): CallSite | undefined {
  const stack = trace.stack?.split('\n').slice(1) ?? [];
  for (const frame of stack) {
    const m = /\(?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?\s*$/.exec(frame.trim());
    if (!m) continue;
    const raw = {file: m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!, line: Number(m[2]), column: Number(m[3])};
    const site = mapThroughSourceMap(raw);
    if (INTERNAL.test(site.file) || site.file.includes('/node_modules/') || site.file.startsWith('node:')) continue;
    return site;
  }
  return undefined;
}

/**
 * The frames of an error thrown while the config loaded, mapped back to the TypeScript sources
 * (`at sweep (bevbuild.config.ts:4:6)`, relative to the workspace `root`) from the compiled `bundle`, without bevbuild's own declaration API or node internals:
 * the compiled bundle's `config-<hash>.mjs:660` would tell the user nothing.
 */
export function sourceFrames(err: Error, bundle: string, root: string, max = 3): string[] {
  const out: string[] = [];
  for (const frame of err.stack?.split('\n').slice(1) ?? []) {
    const m = /^\s*at (?:(.+?) \()?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?\s*$/.exec(frame);
    if (!m) continue;
    const raw = {file: m[2]!.startsWith('file://') ? fileURLToPath(m[2]!) : m[2]!, line: Number(m[3]), column: Number(m[4])};
    // Only frames of the compiled config: after them come the loader's own.
    if (raw.file !== bundle) break;
    const site = mapThroughSourceMap(raw);
    if (INTERNAL.test(site.file) || site.file.includes('/node_modules/')) continue;
    const where = `${site.file.startsWith(`${root}/`) ? relative(root, site.file) : site.file}:${site.line}:${site.column}`;
    out.push(m[1] ? `at ${m[1]} (${where})` : `at ${where}`);
    if (out.length === max) break;
  }
  return out;
}

const maps = new Map<string, SourceMap | null>();

/** Maps a frame of a compiled config bundle (`<file>.map` beside it) back to the TypeScript source. */
function mapThroughSourceMap(site: CallSite): CallSite {
  let map = maps.get(site.file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${site.file}.map`, 'utf8')) as SourceMapPayload);
    } catch {
      map = null; // not a compiled bundle: the frame is already a source location
    }
    maps.set(site.file, map);
  }
  if (!map) return site;
  const e = map.findEntry(site.line - 1, site.column - 1) as {originalSource?: string; originalLine?: number; originalColumn?: number};
  if (!e.originalSource) return site;
  const file = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : resolve(dirname(site.file), e.originalSource);
  return {file, line: e.originalLine! + 1, column: e.originalColumn! + 1};
}
