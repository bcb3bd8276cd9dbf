/** The shapes the local store records (zod schemas of the same shapes: `schemas/record.ts`). */
import type {Digest} from './digest.ts';

/** One output of an action, as recorded. */
export interface OutputEntry {
  /** workspace-relative posix path */
  path: string;
  kind: 'file' | 'dir';
  /** file: content digest; dir: manifest digest */
  digest: Digest;
  /** bytes; for a dir, the sum over its files */
  size: number;
  executable?: boolean;
  /** Digest of what the file means (a rule's `semantic` kind, `cache/semantic/`); dependents key on it. */
  semantic?: Digest;
}

/** What a successful run of an action key produced. Schema: `schemas/record.ts`. */
export interface ActionRecord {
  format: 1;
  key: Digest;
  nodeId: string;
  rule: {name: string; version: number};
  outputs: OutputEntry[];
  createdAt: string;
  durationMs: number;
  host: string;
  runId: string;
  /** What went into the key (for `why`): path or node id → digest. */
  inputs: Record<string, Digest>;
  /** Free-form: params, argv, env fingerprint, validator summary… */
  meta?: Record<string, unknown>;
  /** The provenance of this action: a DSSE envelope stored as an object (`src/provenance/`). */
  provenance?: {digest: Digest; size: number};
}
