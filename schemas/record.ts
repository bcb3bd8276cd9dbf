/**
 * Persisted shapes of the local store (DESIGN.md decision 4): action records
 * (`.bevbuild/cache/actions/ab/<key>.json`) and directory manifests (stored as objects). Every read
 * goes through these schemas, in `cache/records.ts` (with the size bounds and the checks a schema
 * cannot say); a record that fails them is corrupt, deleted and rebuilt.
 */
import {z} from 'zod';
import type {ActionRecord, OutputEntry} from '../cache/store-types.ts';
import type {TreeEntry, TreeManifest} from '../cache/tree.ts';

/** 64 lowercase hex characters. */
export const DigestSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 digest (64 lowercase hex characters)');

/** A workspace- or directory-relative posix path: no leading `/`, no `.`/`..`/empty segments. */
const RelPathSchema = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), {
    message: 'expected a relative posix path without "." or ".." segments',
  });

export const TreeEntrySchema: z.ZodType<TreeEntry> = z.strictObject({
  path: RelPathSchema,
  digest: DigestSchema,
  size: z.number().int().nonnegative(),
  executable: z.boolean(),
});

export const TreeManifestSchema: z.ZodType<TreeManifest> = z.strictObject({
  format: z.literal(1),
  entries: z.array(TreeEntrySchema),
});

export const OutputEntrySchema: z.ZodType<OutputEntry> = z.strictObject({
  path: RelPathSchema,
  kind: z.enum(['file', 'dir']),
  digest: DigestSchema,
  size: z.number().int().nonnegative(),
  executable: z.boolean().optional(),
  semantic: DigestSchema.optional(),
});

export const ActionRecordSchema: z.ZodType<ActionRecord> = z.strictObject({
  format: z.literal(1),
  key: DigestSchema,
  nodeId: z.string().min(1),
  rule: z.strictObject({name: z.string().min(1), version: z.number().int()}),
  outputs: z.array(OutputEntrySchema),
  createdAt: z.string(),
  durationMs: z.number().nonnegative(),
  host: z.string(),
  runId: z.string(),
  inputs: z.record(z.string(), DigestSchema),
  meta: z.record(z.string(), z.unknown()).optional(),
  provenance: z.strictObject({digest: DigestSchema, size: z.number().int().nonnegative()}).optional(),
});

/** JSON Schema of an action record, for people reading the store by hand. */
export function actionRecordJsonSchema(): unknown {
  return z.toJSONSchema(ActionRecordSchema);
}
