/**
 * Resumable nodes (issue 15): a rule whose tool can continue an interrupted run declares how
 * (`RuleSpec.resume`). When such a node's run ends without success — the tool failed or was
 * killed, a timeout, Ctrl-C, a SLURM time limit, or bevbuild itself was killed (the next build's
 * run-dir sweep finds the leftover) — the staging copy of its state directory (the tool's run dir
 * with its `epoch_N.pth` files) is kept as `.bevbuild/partial/<actionKey>/state`, never recorded.
 * The next run of the *same* key moves it back into staging and adds the tool's resume arguments
 * for the last complete checkpoint; any other key never sees it. `clean` and `cache prune` sweep
 * partial runs (with a size report).
 */
import {existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {basename, dirname, join, normalize, relative} from 'node:path';
import {checkpointDigest, noteDigest, readDigest} from './checkpoint-digest.ts';

/** Beside a kept run's info.json: the stamp of its checkpoint when last read in full (checkpoint-digest.ts). */
const VERIFIED = 'verified.json';

/** How a tool's checkpoints are named and which one is complete. */
export interface CheckpointNaming {
  /** Checkpoints are `<prefix><N><suffix>` (mmcv/mmengine: `epoch_` … `.pth`); the newest is the largest N. */
  prefix: string;
  suffix: string;
  /**
   * A file the tool writes only after a checkpoint is complete, naming it: a symlink to it (mmcv's
   * `latest.pth`) or a small text file holding its path (mmengine's `last_checkpoint`). When it
   * names a checkpoint, that one is used; otherwise (absent, or a copy) the newest checkpoint.
   */
  pointer?: string;
}

/** The last complete checkpoint of a state directory. */
export interface Checkpoint {
  /** Absolute path (on this machine). */
  path: string;
  /** File name inside the state directory. */
  name: string;
}

/** A rule's resume declaration (`RuleSpec.resume`). */
export interface ResumeSpec {
  /**
   * Workspace-relative directory holding declared outputs where the tool keeps its run state (the
   * run dir it is given): its staging copy is what an interrupted run leaves for the next one.
   */
  dir: string;
  checkpoint: CheckpointNaming;
  /**
   * Arguments appended to the tool's argv to resume from `ckpt` (never part of the action key).
   * Build them from `ckpt` by concatenation only: a SLURM batch script fills them in when SLURM
   * restarts the job (slurm-resume.ts).
   */
  args: (ckpt: Checkpoint) => string[];
  /**
   * SLURM: how many seconds before the time limit the tool gets SIGUSR1 to save and stop (default
   * 120; SLURM may send it up to 60 s earlier). Make it longer than an epoch's checkpoint takes.
   */
  signalSeconds?: number;
}

/** What a run of a resumable node needs to keep its state if it is interrupted. */
export interface ResumeKeep {
  /** Action key the state belongs to. */
  key: string;
  nodeId: string;
  /** Absolute staging path of the state directory. */
  stateDir: string;
  /** `.bevbuild/partial/<key>` */
  keepAt: string;
  checkpoint: CheckpointNaming;
}

interface PartialInfo {
  nodeId: string;
  key: string;
  checkpoint: string;
  keptAt: string;
  /** Size and sha256 of `checkpoint` when kept: a resume only starts from those very bytes. */
  size: number;
  sha256: string;
}

/** A kept partial run could not be resumed and was discarded: why (a sentence), for the log and the reporter. */
export interface DiscardedPartial {
  discarded: string;
}

/**
 * A `ResumeKeep` read back from a dead run's `owner.json` (bytes a crash or an editor left): only
 * when every field has its type, the key is a plain name, `keepAt` is exactly `<partialDir>/<key>`
 * and `stateDir` lies inside `runDir` — anything else (`partial/..`, `../..`) would make the sweep
 * delete or move directories outside them.
 */
export function parseResumeKeep(x: unknown, runDir: string, partialDir: string): ResumeKeep | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const r = x as Record<string, unknown>;
  const c = r['checkpoint'] as Record<string, unknown> | null | undefined;
  const str = (v: unknown): v is string => typeof v === 'string';
  if (!str(r['key']) || !/^[A-Za-z0-9_-]{1,128}$/.test(r['key']) || !str(r['nodeId']) || !str(r['stateDir']) || !str(r['keepAt'])) return undefined;
  if (r['keepAt'] !== join(partialDir, r['key'])) return undefined;
  if (normalize(r['stateDir']) !== r['stateDir'] || !r['stateDir'].startsWith(`${runDir}/`)) return undefined;
  if (typeof c !== 'object' || c === null || !str(c['prefix']) || !str(c['suffix']) || (c['pointer'] !== undefined && !str(c['pointer']))) return undefined;
  const checkpoint: CheckpointNaming = {prefix: c['prefix'], suffix: c['suffix'], ...(str(c['pointer']) ? {pointer: c['pointer']} : {})};
  return {key: r['key'], nodeId: r['nodeId'], stateDir: r['stateDir'], keepAt: r['keepAt'], checkpoint};
}

/** `.bevbuild/partial` of a workspace's state dir. */
export const partialRoot = (bevbuildDir: string) => join(bevbuildDir, 'partial');

const CHECKPOINT_TEXT_MAX = 4096;

/** The last complete checkpoint in `dir` (see `CheckpointNaming`), if any. */
export function lastCheckpoint(dir: string, naming: CheckpointNaming): Checkpoint | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const number = (n: string) => {
    if (!n.startsWith(naming.prefix) || !n.endsWith(naming.suffix)) return undefined;
    const mid = n.slice(naming.prefix.length, n.length - naming.suffix.length);
    return /^\d+$/.test(mid) ? Number(mid) : undefined;
  };
  const named = naming.pointer ? pointerTarget(join(dir, naming.pointer)) : undefined;
  if (named !== undefined && number(named) !== undefined && names.includes(named)) return {path: join(dir, named), name: named};
  let best: [number, string] | undefined;
  for (const n of names) {
    const k = number(n);
    if (k !== undefined && (!best || k > best[0])) best = [k, n];
  }
  return best ? {path: join(dir, best[1]), name: best[1]} : undefined;
}

/** The file name a pointer names: a symlink's target, or a short text file's path. */
function pointerTarget(file: string): string | undefined {
  try {
    const st = lstatSync(file);
    if (st.isSymbolicLink()) return basename(readlinkSync(file));
    if (!st.isFile() || st.size > CHECKPOINT_TEXT_MAX) return undefined;
    const text = readFileSync(file, 'utf8').trim();
    return /^[^\0\n]+$/.test(text) ? basename(text) : undefined; // a binary copy (the demo's latest.pth) names nothing
  } catch {
    return undefined;
  }
}

/**
 * Moves a kept partial run of `keep.key` back into staging. Returns its last complete checkpoint,
 * or undefined when nothing is kept. A kept run is bytes on disk that anything may have touched
 * since: unless `info.json` is sound, names this key and the last complete checkpoint, and that
 * file still has the size and sha256 it had when kept, the run is discarded (the tool would resume
 * from garbage, fail, and be kept again, forever) and the reason returned instead.
 */
export function restorePartial(keep: ResumeKeep): Checkpoint | DiscardedPartial | undefined {
  const state = join(keep.keepAt, 'state');
  if (!existsSync(state)) return undefined;
  const problem = partialProblem(keep, state);
  if (problem) {
    rmSync(keep.keepAt, {recursive: true, force: true});
    return {discarded: problem};
  }
  rmSync(keep.stateDir, {recursive: true, force: true});
  mkdirSync(dirname(keep.stateDir), {recursive: true});
  renameSync(state, keep.stateDir);
  rmSync(keep.keepAt, {recursive: true, force: true});
  return lastCheckpoint(keep.stateDir, keep.checkpoint);
}

/** What a kept partial run would give the next run of its key: its last complete checkpoint and the kept run's size. */
export interface KeptPartial {
  checkpoint: string;
  bytes: number;
}

/**
 * Read only (plan, `status`, `why`): what the next run of `keep.key` would resume from, or why its
 * kept partial run would be discarded — the very checks `restorePartial` makes — or undefined when
 * none is kept.
 */
export function inspectPartial(keep: Pick<ResumeKeep, 'key' | 'keepAt' | 'checkpoint'>): KeptPartial | DiscardedPartial | undefined {
  const state = join(keep.keepAt, 'state');
  if (!existsSync(state)) return undefined;
  const problem = partialProblem(keep, state);
  if (problem) return {discarded: problem};
  return {checkpoint: lastCheckpoint(state, keep.checkpoint)!.name, bytes: treeBytes(keep.keepAt)};
}

/** Why the kept run in `state` must not be resumed, or undefined when it may. */
function partialProblem(keep: Pick<ResumeKeep, 'key' | 'keepAt' | 'checkpoint'>, state: string): string | undefined {
  if (!lstatSync(state).isDirectory()) return 'its state is not a directory';
  const ckpt = lastCheckpoint(state, keep.checkpoint);
  if (!ckpt) return 'it holds no complete checkpoint';
  let info: Partial<PartialInfo>;
  try {
    const file = join(keep.keepAt, 'info.json');
    if (lstatSync(file).size > CHECKPOINT_TEXT_MAX) return 'its info.json is too large';
    info = JSON.parse(readFileSync(file, 'utf8')) as Partial<PartialInfo>;
    if (typeof info !== 'object' || info === null) return 'its info.json is not an object';
  } catch (e) {
    return `its info.json is missing or unreadable (${(e as Error).message.split('\n')[0]})`;
  }
  if (info.key !== keep.key) return 'its info.json names another action key';
  if (info.checkpoint !== ckpt.name) return `its info.json names ${String(info.checkpoint)}, but the last complete checkpoint is ${ckpt.name}`;
  if (typeof info.size !== 'number' || typeof info.sha256 !== 'string') return `its info.json records no size and sha256 of ${ckpt.name} (kept by an older bevbuild)`;
  const now = checkpointDigest(ckpt.path, join(keep.keepAt, VERIFIED));
  if (!now || now.size !== info.size || now.sha256 !== info.sha256) {
    return `${ckpt.name} changed since it was kept (${now ? `${now.size} bytes` : 'unreadable'}; kept: ${info.size} bytes, sha256 ${info.sha256.slice(0, 12)})`;
  }
  return undefined;
}

/**
 * Keeps the staging state of an interrupted run for the next run of the same key, if it holds a
 * complete checkpoint (a run that died before its first one has nothing worth resuming). Returns
 * that checkpoint's name. Replaces an older kept state of the key: the new one is at least as far.
 */
export function keepPartial(keep: ResumeKeep): string | undefined {
  const ckpt = lastCheckpoint(keep.stateDir, keep.checkpoint);
  const read = ckpt && readDigest(ckpt.path);
  if (!ckpt || !read) return undefined;
  const {stamp, ...digest} = read;
  rmSync(keep.keepAt, {recursive: true, force: true});
  mkdirSync(keep.keepAt, {recursive: true});
  // info.json first (whole, by rename), then the state: a bevbuild killed in between leaves either
  // no state here (the run dir still has it; the next sweep keeps it again) or a complete pair,
  // never a state without the info that restorePartial requires.
  const info: PartialInfo = {nodeId: keep.nodeId, key: keep.key, checkpoint: ckpt.name, keptAt: new Date().toISOString(), ...digest};
  writeFileSync(join(keep.keepAt, 'info.json.tmp'), JSON.stringify(info));
  renameSync(join(keep.keepAt, 'info.json.tmp'), join(keep.keepAt, 'info.json'));
  renameSync(keep.stateDir, join(keep.keepAt, 'state'));
  // Moving the directory changes nothing of the file's stamp: the next status need not read it again.
  noteDigest(join(keep.keepAt, VERIFIED), join(keep.keepAt, 'state', relative(keep.stateDir, ckpt.path)), read);
  return ckpt.name;
}

/** A kept partial run, for `clean` and `cache prune`. */
export interface PartialRun {
  dir: string;
  key: string;
  nodeId: string | undefined;
  keptAt: string;
  bytes: number;
  /** The checkpoint its info.json names (what a resume would start from), if readable. */
  checkpoint: string | undefined;
}

/** Every kept partial run of a workspace. */
export function listPartials(bevbuildDir: string): PartialRun[] {
  const root = partialRoot(bevbuildDir);
  let keys: string[];
  try {
    keys = readdirSync(root);
  } catch {
    return [];
  }
  return keys.map((key) => {
    const dir = join(root, key);
    let info: Partial<PartialInfo> = {};
    try {
      info = JSON.parse(readFileSync(join(dir, 'info.json'), 'utf8')) as PartialInfo;
    } catch {
      // kept without info (killed while keeping): still swept
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {dir, key, nodeId: str(info.nodeId), keptAt: String(info.keptAt ?? ''), bytes: treeBytes(dir), checkpoint: str(info.checkpoint)};
  });
}

/** `train/x@lr=1e-4 (key 3f2a…, epoch_2.pth, 12.0 MiB)`: a partial run as `clean` and `cache prune` list it. */
export const partialText = (p: PartialRun): string =>
  `${p.nodeId ?? '(node unknown)'} (key ${p.key.slice(0, 12)}…${p.checkpoint ? `, ${p.checkpoint}` : ''}, ${mib(p.bytes)})`;

/**
 * Removes the partial runs `drop` selects; returns how many and their size. `cache prune` drops
 * superseded ones (an older key of a node that has a newer partial run, or unreadable ones);
 * `clean` those of the cleaned nodes.
 */
export function sweepPartials(
  bevbuildDir: string,
  drop: (p: PartialRun, all: PartialRun[]) => boolean,
  all: PartialRun[] = listPartials(bevbuildDir), // a listing the caller already made
): {removed: number; bytes: number; runs: PartialRun[]} {
  const runs: PartialRun[] = [];
  let bytes = 0;
  for (const p of all) {
    if (!drop(p, all)) continue;
    rmSync(p.dir, {recursive: true, force: true});
    runs.push(p);
    bytes += p.bytes;
  }
  return {removed: runs.length, bytes, runs};
}

/** `cache prune`'s rule: a partial run is stale once a newer one of the same node exists (its key changed). */
export function superseded(p: PartialRun, all: PartialRun[]): boolean {
  if (p.nodeId === undefined) return true;
  return all.some((q) => q !== p && q.nodeId === p.nodeId && q.keptAt > p.keptAt);
}

/**
 * `cache prune`'s rule when the config could be planned: a partial run is dropped when no node has
 * its key any more — its node is gone (a removed sweep point) or now has another key (a changed
 * param). A run of a key some node has now is never dropped, whatever its info.json says; nor any
 * run of a node the plan could not key (a dependency runs first: its key may yet be the kept one).
 * `nodes`: the config's node ids; `keys`: node id → its current action key.
 */
export function orphaned(nodes: ReadonlySet<string>, keys: ReadonlyMap<string, string>): (p: PartialRun) => boolean {
  const current = new Set(keys.values());
  return (p) => !current.has(p.key) && (p.nodeId === undefined || !nodes.has(p.nodeId) || keys.has(p.nodeId));
}

function treeBytes(path: string): number {
  try {
    const st = lstatSync(path);
    if (!st.isDirectory()) return st.size;
    return readdirSync(path).reduce((n, c) => n + treeBytes(join(path, c)), 0);
  } catch {
    return 0;
  }
}

/** `1.2 MiB` */
export const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

