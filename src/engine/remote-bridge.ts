/**
 * How the engine talks to a remote cache (DESIGN.md decision 9), independent of the protocol
 * client. Every method degrades to "not found" / "not uploaded" on any fault: a remote can make a
 * build faster, never make it fail or store something unverified.
 */
import type {ActionRecord, OutputEntry} from '../../cache/local-store.ts';

export interface RemoteBridge {
  /** The action record for a key, if the remote has one and it validates. */
  lookup(key: string): Promise<ActionRecord | undefined>;
  /** Downloads (and verifies) the objects behind these outputs into the local store; false if any is unavailable. */
  fetchObjects(entries: OutputEntry[]): Promise<boolean>;
  /** Uploads the record's objects (HEAD before PUT) and then the record, when uploads are enabled. */
  upload(record: ActionRecord): Promise<void>;
  /** `minimal`: fetch only what requested targets need; `all`: every restored node's outputs. */
  readonly download: 'minimal' | 'all';
}
