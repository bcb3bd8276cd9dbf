/**
 * The one place action records and directory manifests are read, parsed and validated. Both are
 * untrusted input (DESIGN.md decision 13, issue 16 finding 1): a local store can be written by
 * anyone with the workspace, a remote cache by anyone with the server. Every read is bounded in
 * size before it is read, then checked against its schema (`schemas/record.ts`), then against what
 * a schema cannot say: a record must be the record of the key it was asked for; a manifest must
 * have at most `BEVBUILD_MAX_TREE_ENTRIES` entries (default 100,000), strictly sorted unique paths,
 * and no path that is both a file and a directory. Callers decide what a refusal costs (delete and
 * rebuild, warn and run, leave a file out of a report).
 */
import {readFileSync, statSync} from 'node:fs';
import {readFile, stat} from 'node:fs/promises';
import {ActionRecordSchema, TreeManifestSchema} from '../schemas/record.ts';
import {fail, ok, type Result} from '../src/result.ts';
import type {Digest} from './digest.ts';
import type {ActionRecord} from './store-types.ts';
import type {TreeManifest} from './tree.ts';

/**
 * Largest action record read, local or remote: a hostile cache must not make a reader parse a huge
 * output list. Records are small JSON; the biggest honest ones list the per-file digests of glob
 * inputs (~100 bytes each).
 */
export const MAX_RECORD_BYTES = 16 << 20;

/** Most files a restored directory output may have (`BEVBUILD_MAX_TREE_ENTRIES`, default 100,000). */
export function maxTreeEntries(): number {
  const v = Number(process.env['BEVBUILD_MAX_TREE_ENTRIES']);
  return Number.isInteger(v) && v > 0 ? v : 100_000;
}

/** Largest manifest object read (a manifest entry is ~150 bytes of JSON). */
export function maxManifestBytes(): number {
  return maxTreeEntries() * 256 + 1024;
}

/**
 * Checks a parsed record: schema, then that it is the record of `key` (a record stored or served
 * under another key must not be used). Failures are `cache-entry-corrupt` with the first problem.
 */
export function checkRecord(value: unknown, key: Digest): Result<ActionRecord> {
  const r = ActionRecordSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    return fail('cache-entry-corrupt', `${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}`);
  }
  if (r.data.key !== key) return fail('cache-entry-corrupt', `its key is ${r.data.key}, expected ${key}`);
  return ok(r.data);
}

/** JSON text of a record → the record of `key` (see `checkRecord`); not JSON is `cache-entry-corrupt`. */
export function parseRecord(text: string, key: Digest): Result<ActionRecord> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return fail('cache-entry-corrupt', `not JSON: ${(e as Error).message}`);
  }
  return checkRecord(data, key);
}

/**
 * Reads the record file of `key` at `path`: `ok(undefined)` if there is none; an oversize file is
 * refused unread. Failures: `cache-entry-corrupt` (too big, not JSON, schema, other key; the
 * message reads "The action record <path> is …"), `cache-read-error` (the file cannot be read).
 */
export async function readRecordFile(path: string, key: Digest): Promise<Result<ActionRecord | undefined>> {
  let text: string;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_RECORD_BYTES) return fail('cache-entry-corrupt', `The action record ${path} is ${size} bytes, over the limit of ${MAX_RECORD_BYTES}`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(undefined);
    return fail('cache-read-error', `Could not read the action record ${path}: ${(e as Error).message}`);
  }
  const r = parseRecord(text, key);
  return r.ok ? r : fail(r.error.reason, `The action record ${path} is corrupt (${r.error.message})`);
}

/** Why a schema-valid manifest cannot be used, or undefined. */
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

/**
 * JSON text of a directory manifest → the manifest: schema, then `manifestProblem`. Failures are
 * `cache-entry-corrupt` (not a manifest) or `cache-entry-refused` (over a limit, malformed entries).
 */
export function parseManifest(text: string): Result<TreeManifest> {
  let m: TreeManifest;
  try {
    const parsed = TreeManifestSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return fail('cache-entry-corrupt', `not a directory manifest: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}`);
    m = parsed.data;
  } catch (e) {
    return fail('cache-entry-corrupt', `not a directory manifest: ${(e as Error).message}`);
  }
  const problem = manifestProblem(m);
  return problem ? fail('cache-entry-refused', `the directory manifest is refused: ${problem}`) : ok(m);
}

/** The size bound of a manifest file, checked before it is read. */
function manifestSizeProblem(size: number): Result<void> {
  if (size <= maxManifestBytes()) return ok(undefined);
  return fail('cache-entry-refused', `the directory manifest is ${size} bytes, over the limit of ${maxManifestBytes()} (raise BEVBUILD_MAX_TREE_ENTRIES if a directory output really has more than ${maxTreeEntries()} files)`);
}

/**
 * Reads the manifest object at `path`: size bound first, then `parseManifest`. A missing or
 * unreadable file is `cache-object-missing`.
 */
export async function readManifestFile(path: string): Promise<Result<TreeManifest>> {
  let text: string;
  try {
    const sized = manifestSizeProblem((await stat(path)).size);
    if (!sized.ok) return sized;
    text = await readFile(path, 'utf8');
  } catch (e) {
    return fail('cache-object-missing', `cannot read the manifest ${path}: ${(e as Error).message}`);
  }
  return parseManifest(text);
}

/** `readManifestFile` for synchronous readers (reports, provenance, lineage). */
export function readManifestFileSync(path: string): Result<TreeManifest> {
  let text: string;
  try {
    const sized = manifestSizeProblem(statSync(path).size);
    if (!sized.ok) return sized;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return fail('cache-object-missing', `cannot read the manifest ${path}: ${(e as Error).message}`);
  }
  return parseManifest(text);
}
