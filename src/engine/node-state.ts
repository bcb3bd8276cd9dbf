/**
 * The workspace's memory of its last good build per node: the key and the outputs it left in the
 * workspace (`nodes.json`, read on every build), and the key record behind that key
 * (`key-records.json`, read only when some node is stale and its rebuild reasons are wanted).
 * Keeping the big records out of the hot file keeps a no-op build's parse and GC small.
 *
 * It is only an accelerator and an explanation aid: the store's action records are the source of
 * truth, so a lost or corrupt state file costs re-checks, never wrong results.
 */
import {mkdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {writeFileAtomicSync} from '../../cache/fs-util.ts';
import type {OutputEntry} from '../../cache/local-store.ts';
import {statStamp} from '../../cache/stat-memo.ts';
import type {KeyRecord} from './action-key.ts';
import {RACY_MS} from './path-stamp.ts';

const FORMAT = 2;

export interface NodeStateEntry {
  key: string;
  outputs: OutputEntry[];
  builtAt: string;
  /** Free-form facts worth keeping (toolchain fingerprints, validator totals). */
  meta?: Record<string, unknown> | undefined;
}

export class NodeState {
  readonly #dir: string;
  #nodes: Record<string, NodeStateEntry>;
  /** Loaded on first use. */
  #records: Record<string, KeyRecord> | undefined;
  #dirty = false;

  private constructor(dir: string, nodes: Record<string, NodeStateEntry>) {
    this.#dir = dir;
    this.#nodes = nodes;
  }

  /** Loads `.bevbuild/state/nodes.json`; a missing, old or unreadable file starts empty. */
  static load(stateDir: string): NodeState {
    // A shallow shape check only: every entry is re-checked against the disk and the store before
    // use, and a full schema pass over thousands of entries would dominate a no-op build.
    const parsed = readJson(join(stateDir, 'nodes.json'));
    if (parsed?.['format'] === FORMAT && parsed['nodes'] && typeof parsed['nodes'] === 'object') {
      // A copy of the map (not of its entries, which are replaced, never changed): a kept parse stays as read.
      const nodes = {...(parsed['nodes'] as Record<string, NodeStateEntry>)};
      if (Object.values(nodes).every((n) => typeof n?.key === 'string' && Array.isArray(n.outputs))) return new NodeState(stateDir, nodes);
    }
    return new NodeState(stateDir, {});
  }

  get(id: string): NodeStateEntry | undefined {
    return this.#nodes[id];
  }

  /** The key record of the node's last good build, when it is still the one `get(id).key` names. */
  keyRecord(id: string): KeyRecord | undefined {
    if (!this.#records) {
      const parsed = readJson(join(this.#dir, 'key-records.json'));
      this.#records = parsed?.['format'] === FORMAT && parsed['records'] && typeof parsed['records'] === 'object' ? {...(parsed['records'] as Record<string, KeyRecord>)} : {};
    }
    return this.#records[id];
  }

  set(id: string, entry: NodeStateEntry & {keyRecord: KeyRecord}): void {
    const {keyRecord, ...rest} = entry;
    this.keyRecord(id); // make sure the records are loaded before one is replaced
    this.#records![id] = keyRecord;
    this.#nodes[id] = rest;
    this.#dirty = true;
  }

  delete(id: string): void {
    if (this.#nodes[id]) {
      delete this.#nodes[id];
      this.#dirty = true;
    }
  }

  ids(): string[] {
    return Object.keys(this.#nodes);
  }

  /** Atomic writes (temp file + rename), only when something changed. */
  save(): void {
    if (!this.#dirty) return;
    mkdirSync(this.#dir, {recursive: true});
    // Records first: a crash between the two writes leaves records newer than nodes, which only
    // costs a reason ("key-changed") never a wrong freshness answer.
    if (this.#records) writeFileAtomicSync(join(this.#dir, 'key-records.json'), JSON.stringify({format: FORMAT, records: this.#records}));
    writeFileAtomicSync(join(this.#dir, 'nodes.json'), JSON.stringify({format: FORMAT, nodes: this.#nodes}));
    this.#dirty = false;
  }
}

/** Parsed state files kept by a long-lived process (the daemon), by path, with the stamp they were read at. */
let keptFiles: Map<string, {stamp: string; value: Record<string, unknown> | undefined}> | undefined;

/**
 * From now on, `nodes.json` and `key-records.json` are parsed again only when their stamp changed
 * (every write of ours renames a new file into place); the daemon calls this once.
 */
export function keepStateOpen(): void {
  keptFiles ??= new Map();
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!keptFiles) return parseJson(file);
  const st = statSync(file, {throwIfNoEntry: false});
  const stamp = st ? statStamp(st) : 'missing';
  const kept = keptFiles.get(file);
  if (st && kept?.stamp === stamp) return kept.value;
  keptFiles.delete(file);
  const value = parseJson(file);
  // Not a file written within the racy window: another write in the same tick could keep its stamp.
  if (st && Date.now() - Math.max(st.mtimeMs, st.ctimeMs) > RACY_MS) keptFiles.set(file, {stamp, value});
  return value;
}

function parseJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // missing or corrupt: start empty (the store still has every record)
  }
}

