/**
 * The workspace's memory of its last good build per node: the key, the key record (for `why`
 * and rebuild reasons) and the outputs it left in the workspace. It is only an accelerator and an
 * explanation aid: the store's action records are the source of truth, so a lost or corrupt state
 * file costs re-checks, never wrong results.
 */
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import type {OutputEntry} from '../../cache/local-store.ts';
import type {KeyRecord} from './action-key.ts';

const FORMAT = 1;

export interface NodeStateEntry {
  key: string;
  keyRecord: KeyRecord;
  outputs: OutputEntry[];
  builtAt: string;
  /** Free-form facts worth keeping (toolchain fingerprints, validator totals). */
  meta?: Record<string, unknown> | undefined;
}

export class NodeState {
  readonly #file: string;
  #nodes: Record<string, NodeStateEntry>;
  #dirty = false;

  private constructor(file: string, nodes: Record<string, NodeStateEntry>) {
    this.#file = file;
    this.#nodes = nodes;
  }

  /** Loads `.bevbuild/state/nodes.json`; a missing or unreadable file starts empty. */
  static load(stateDir: string): NodeState {
    const file = join(stateDir, 'nodes.json');
    try {
      // A shallow shape check only: this file is an accelerator (every entry is re-checked against
      // the disk and the store before use), and a full schema pass over thousands of entries would
      // dominate a no-op build.
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as {format?: unknown; nodes?: unknown};
      if (parsed.format === FORMAT && parsed.nodes && typeof parsed.nodes === 'object') {
        const nodes = parsed.nodes as Record<string, NodeStateEntry>;
        if (Object.values(nodes).every((n) => typeof n?.key === 'string' && Array.isArray(n.outputs) && typeof n.keyRecord === 'object')) return new NodeState(file, nodes);
      }
    } catch {
      // missing or corrupt: start empty (the store still has every record)
    }
    return new NodeState(file, {});
  }

  get(id: string): NodeStateEntry | undefined {
    return this.#nodes[id];
  }

  set(id: string, entry: NodeStateEntry): void {
    this.#nodes[id] = entry;
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

  /** Atomic write (temp file + rename), only when something changed. */
  save(): void {
    if (!this.#dirty) return;
    mkdirSync(dirname(this.#file), {recursive: true});
    const tmp = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({format: FORMAT, nodes: this.#nodes}));
    renameSync(tmp, this.#file);
    this.#dirty = false;
  }
}
