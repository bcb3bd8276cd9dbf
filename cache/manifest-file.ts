/**
 * Reading a directory manifest object with bounds (issue 16 finding 1): a manifest may come from a
 * remote cache, so its size is checked before it is read and its entries before any of them is
 * fetched or placed. Limits: `BEVBUILD_MAX_TREE_ENTRIES` files per directory output (default
 * 100,000), and 256 bytes per entry for the manifest's size.
 */
import {readFile, stat} from 'node:fs/promises';
import {TreeManifestSchema} from '../schemas/record.ts';
import {fail, ok, type Result} from '../src/result.ts';
import type {TreeManifest} from './tree.ts';

/** Most files a restored directory output may have. */
export function maxTreeEntries(): number {
  const v = Number(process.env['BEVBUILD_MAX_TREE_ENTRIES']);
  return Number.isInteger(v) && v > 0 ? v : 100_000;
}

/** Largest manifest object read (a manifest entry is ~150 bytes of JSON). */
export function maxManifestBytes(): number {
  return maxTreeEntries() * 256 + 1024;
}

/**
 * Reads, parses and checks the manifest at `path`: size bound first, then schema, then entry
 * count, strictly sorted unique paths, and no path that is both a file and a directory.
 * Errors are `cache-entry-corrupt` (not a manifest) or `cache-entry-refused` (over a limit).
 */
export async function readManifestFile(path: string): Promise<Result<TreeManifest>> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    return fail('cache-object-missing', `cannot read the manifest ${path}: ${(e as Error).message}`);
  }
  if (size > maxManifestBytes()) {
    return fail('cache-entry-refused', `the directory manifest is ${size} bytes, over the limit of ${maxManifestBytes()} (raise BEVBUILD_MAX_TREE_ENTRIES if a directory output really has more than ${maxTreeEntries()} files)`);
  }
  let m: TreeManifest;
  try {
    const parsed = TreeManifestSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!parsed.success) return fail('cache-entry-corrupt', `not a directory manifest: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}`);
    m = parsed.data;
  } catch (e) {
    return fail('cache-entry-corrupt', `not a directory manifest: ${(e as Error).message}`);
  }
  const problem = manifestProblem(m);
  return problem ? fail('cache-entry-refused', `the directory manifest is refused: ${problem}`) : ok(m);
}

/** Why a schema-valid manifest cannot be placed, or undefined. */
export function manifestProblem(m: TreeManifest): string | undefined {
  if (m.entries.length > maxTreeEntries()) return `${m.entries.length} files, over the limit of ${maxTreeEntries()} (BEVBUILD_MAX_TREE_ENTRIES)`;
  const files = new Set<string>();
  for (let i = 0; i < m.entries.length; i++) {
    const p = m.entries[i]!.path;
    if (i > 0 && !(m.entries[i - 1]!.path < p)) return `entries are not sorted and unique at "${p}"`;
    files.add(p);
  }
  for (const p of files) {
    for (let j = p.indexOf('/'); j !== -1; j = p.indexOf('/', j + 1)) {
      if (files.has(p.slice(0, j))) return `"${p.slice(0, j)}" is both a file and a directory`;
    }
  }
  return undefined;
}
