/**
 * The store's repair log, `<store>/repairs.jsonl`: one line per corrupt object the store found and
 * dropped or replaced (issue 16 findings 3 and 9). Builds append; `bevbuild audit` reports the
 * entries and clears the log, so users learn that their store was repaired and why.
 */
import {appendFile, readFile, rename, rm} from 'node:fs/promises';
import {join} from 'node:path';

/** One repair. */
export interface StoreRepair {
  at: string;
  digest: string;
  /** `replaced`: a fresh, verified copy took its place; `dropped`: deleted, its node rebuilds. */
  action: 'replaced' | 'dropped';
  /** What noticed it: `store` (re-storing a fresh output), `restore`, `audit`. */
  by: 'store' | 'restore' | 'audit';
}

const FILE = 'repairs.jsonl';

/** Appends one entry (best effort: a read-only store still works, it just cannot tell). */
export async function logRepair(storeRoot: string, r: Omit<StoreRepair, 'at'>): Promise<void> {
  await appendFile(join(storeRoot, FILE), `${JSON.stringify({at: new Date().toISOString(), ...r})}\n`).catch(() => {});
}

/** Reads and clears the log (renamed away first, so entries appended meanwhile are kept). */
export async function takeRepairs(storeRoot: string): Promise<StoreRepair[]> {
  const taken = join(storeRoot, `${FILE}.${process.pid}.taking`);
  try {
    await rename(join(storeRoot, FILE), taken);
  } catch {
    return [];
  }
  const text = await readFile(taken, 'utf8').catch(() => '');
  await rm(taken, {force: true});
  const out: StoreRepair[] = [];
  for (const line of text.split('\n')) {
    try {
      if (line) out.push(JSON.parse(line) as StoreRepair);
    } catch {
      // a torn line from a crash mid-append: skip it
    }
  }
  return out;
}
