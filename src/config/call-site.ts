/**
 * Where a declaration was written. `defineRule` / rule applications capture the caller's file and
 * line from the V8 stack at declaration time, so a diagnostic found later (during analysis) can
 * point at the user's `bevbuild.config.ts:12:5` rather than at bevbuild's internals.
 */
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
const INTERNAL = /\/src\/config\/(?:call-site|define-rule|define-config)\.ts$/;

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

/** The first stack frame outside bevbuild's own `src/` (rules/ count as user code: they declare things). */
export function captureCallSite(): CallSite | undefined {
  return siteOf(new Error());
}

function siteOf(trace: Error): CallSite | undefined {
  const stack = trace.stack?.split('\n').slice(1) ?? [];
  for (const frame of stack) {
    const m = /\(?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?\s*$/.exec(frame.trim());
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (INTERNAL.test(file) || file.includes('/node_modules/') || file.startsWith('node:')) continue;
    return {file, line: Number(m[2]), column: Number(m[3])};
  }
  return undefined;
}
