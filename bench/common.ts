/**
 * What the benchmarks share: where the CLI and the public API live (configs written by a bench import
 * the API by absolute path, so they run from any temp dir), the `--runs N` option, and the row format
 * that prints each figure beside its peer or limit.
 */
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

/** The repository root. */
export const repo = fileURLToPath(new URL('..', import.meta.url));
/** The CLI entry point benchmarks spawn. */
export const BEVBUILD = join(repo, 'bin', 'bevbuild.js');
/** The public API module generated configs import. */
export const API = join(repo, 'src', 'index.ts');

/** `--runs N` from the command line, else `fallback`. */
export function runsOption(fallback: number): number {
  const i = process.argv.indexOf('--runs');
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** One result row: figure, value, its peer or limit, and the ratio between them. */
export function line(name: string, value: string, peer: string, ratio: string): void {
  console.log(`${name.padEnd(44)}  ${value.padStart(12)}  ${peer.padStart(26)}  ${ratio}`);
}
