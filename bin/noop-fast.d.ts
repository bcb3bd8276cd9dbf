// Types of bin/noop-fast.js (plain JavaScript: the bin runs it before tsx or esbuild load).

/** The fast stamp's file name in the state dir. */
export const FAST_FILE: string;
/** The engine's sources as bin/bevbuild.js fingerprints them: directories and source files. */
export function engineSources(root: string): {dirs: string[]; files: string[]};
/** A 128-bit hash (hex) of the arguments, working directory and environment (but `_` and what the bin sets). */
export function invocationKey(argv: string[]): string;
/** 128 bits of four seeded multiply-xorshift hashes of `text` (hex; not cryptographic). */
export function hash128(text: string): string;
/** Writes the fast stamp after a pure no-op; false (nothing written) when a path is too recent. */
export function writeFastStamp(
  file: string,
  a: {
    key: string;
    bundle: string;
    engineRoot: string;
    observed: string[];
    files: string[];
    dirs: string[];
    root: string;
    opts: {json: boolean; verbose: boolean};
    fresh: string[];
    order: string[];
    targets: string[];
  },
  startedMs: number,
): boolean;
/** The exit code of a replayed no-op, or undefined when anything is in doubt. */
export function fastNoop(argv: string[]): Promise<number | undefined>;
