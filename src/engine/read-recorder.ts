/**
 * What a build reads by path while it declares and plans, for the no-op stamp (noop-stamp.ts): every
 * path handed to node:fs (sync, callback and promise forms), and how it was read. node:fs is
 * patched process-wide for as long as the recorder is active, then restored by `restore()`.
 *
 * The kind of a read matters because a digest does not cover everything: a file's content digest
 * covers reading it and whether it exists, but not its mtime; a directory's manifest covers its
 * regular files, not its empty subdirectories or timestamps (cache/tree.ts). Some reads cannot be
 * followed at all and make the declaration `impure` (no stamp is written): a program, a worker
 * thread (whose node:fs is its own) started while the config loads.
 */
import childProcess from 'node:child_process';
import fs from 'node:fs';
import {syncBuiltinESMExports} from 'node:module';
import {isAbsolute, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import workerThreads from 'node:worker_threads';

/** How a path was read: bits, a path read several ways has several. */
export const READ = {content: 1, exists: 2, meta: 4} as const;

/** node:fs functions that take a path first, by what they tell about it (sync, callback and promise forms). */
const KINDS: Record<string, number> = {
  readFile: READ.content, open: READ.content, openAsBlob: READ.content, copyFile: READ.content,
  exists: READ.exists,
  // access() answers with the mode bits (X_OK, W_OK), not only whether the path is there.
  access: READ.exists | READ.meta,
  stat: READ.meta, lstat: READ.meta, statfs: READ.meta, readdir: READ.meta, opendir: READ.meta,
  realpath: READ.meta, readlink: READ.meta, cp: READ.meta,
};
/**
 * node:fs functions that change the disk (first argument a path or, for copies and renames, the
 * second too): a declaration that writes has effects a kept declaration would not repeat.
 */
const WRITES = ['writeFile', 'appendFile', 'mkdir', 'mkdtemp', 'rm', 'rmdir', 'unlink', 'rename', 'copyFile', 'cp', 'symlink', 'link',
  'truncate', 'chmod', 'chown', 'lchown', 'utimes', 'lutimes', 'createWriteStream'];

/** child_process functions: a program run while the config loads may declare differently next time. */
const SPAWNS = ['spawnSync', 'execSync', 'execFileSync', 'spawn', 'exec', 'execFile', 'fork'] as const;

type AnyFn = (...a: unknown[]) => unknown;

/** The absolute path a node:fs path argument names, or undefined (a file descriptor). */
function pathOf(p: unknown): string | undefined {
  if (typeof p === 'string') return isAbsolute(p) ? p : resolve(p);
  if (p instanceof Uint8Array) return resolve(Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString());
  if (p instanceof URL && p.protocol === 'file:') return fileURLToPath(p);
  return undefined;
}

/** Whether `open`'s flags (a string like 'w', 'a+', or O_* bits) may change the file. */
function writes(flags: unknown): boolean {
  if (typeof flags === 'string') return /[wa+]/.test(flags);
  if (typeof flags === 'number') return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND)) !== 0;
  return false;
}

/** Whether node:fs options ask for a recursive listing (`readdir(p, {recursive: true})`). */
const isRecursive = (o: unknown) => typeof o === 'object' && o !== null && (o as {recursive?: unknown}).recursive === true;

/** Recorders not yet restored, newest last (they nest: each wraps what the previous one put in place). */
const recording = new Set<ReadRecorder>();

/**
 * Tells every active recorder about reads made earlier (by a declaration the daemon kept instead of
 * evaluating the config again, declaration-memo.ts), as if they had happened now.
 */
export function replayReads(seen: ReadonlyMap<string, number>): void {
  for (const r of recording) for (const [p, kind] of seen) r.seen.set(p, (r.seen.get(p) ?? 0) | kind);
}

/** Runs `step` with every active recorder quiet: checks of bevbuild's own that are not reads of the build. */
export function unrecorded<T>(step: () => T): T {
  const was = [...recording].map((r) => [r, r.quiet] as const);
  for (const [r] of was) r.quiet = true;
  try {
    return step();
  } finally {
    for (const [r, q] of was) r.quiet = q;
  }
}

export class ReadRecorder {
  /** Absolute path → READ bits. */
  readonly seen = new Map<string, number>();
  /** Set when a program or worker was started while `declaring`. */
  impure = false;
  /** True until the graph is analysed: the phase in which a program run makes the answer unprovable. */
  declaring = true;
  /** While set (the stat memo's own walk, see noop-stamp.ts), reads are not recorded. */
  quiet = false;
  /** Set when node:fs changed the disk (WRITES, or `open` for writing) while `declaring` and not `quiet`. */
  wrote = false;
  readonly #restores: (() => void)[] = [];
  readonly #listDir: (p: string, o: {withFileTypes: true}) => fs.Dirent[];

  constructor() {
    this.#listDir = fs.readdirSync as never;
    for (const [name, kind] of Object.entries(KINDS)) {
      this.#wrap(fs as never, `${name}Sync`, kind);
      this.#wrap(fs as never, name, kind);
      this.#wrap(fs.promises as never, name, kind);
    }
    this.#wrap(fs.realpathSync as never, 'native', READ.meta);
    for (const name of WRITES) {
      for (const [target, n] of [[fs, `${name}Sync`], [fs, name], [fs.promises, name]] as const) {
        this.#replace(target as never, n, (orig) => this.#effect(orig));
      }
    }
    this.#wrap(fs.realpath as never, 'native', READ.meta);
    const cp = childProcess as unknown as Record<string, AnyFn>;
    for (const name of SPAWNS) {
      this.#replace(cp, name, (orig) => this.#impureWhileDeclaring(orig));
      // promisify(execFile) uses the function under promisify.custom, made from the original.
      const custom = (cp[name] as unknown as Record<symbol, AnyFn | undefined>)?.[promisify.custom];
      if (custom) this.#replace(cp[name] as unknown as Record<symbol, unknown>, promisify.custom as never, (orig) => this.#impureWhileDeclaring(orig));
    }
    const wt = workerThreads as unknown as Record<string, unknown>;
    const Worker = wt['Worker'] as new (...a: unknown[]) => object;
    const recorder = this;
    this.#replace(wt, 'Worker', () => class extends Worker {
      constructor(...a: unknown[]) {
        if (recorder.declaring) recorder.impure = true;
        super(...a);
      }
    }, false);
    syncBuiltinESMExports();
    recording.add(this);
  }

  /** Puts node:fs, child_process and worker_threads back (a nested recorder must be restored first). */
  restore(): void {
    for (const undo of this.#restores.splice(0).reverse()) undo();
    syncBuiltinESMExports();
    recording.delete(this);
  }

  #note(p: unknown, kind: number): void {
    const abs = pathOf(p);
    if (abs !== undefined) this.seen.set(abs, (this.seen.get(abs) ?? 0) | kind);
  }

  /**
   * A recursive listing tells about every directory below: each one is noted as listed (found by a
   * walk of our own, so that a file added three levels down changes a recorded stamp).
   */
  #noteTree(p: unknown): void {
    const walk = (dir: string) => {
      this.#note(dir, READ.meta);
      let entries: fs.Dirent[];
      try {
        entries = this.#listDir(dir, {withFileTypes: true});
      } catch {
        return;
      }
      for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
    };
    const abs = pathOf(p);
    if (abs !== undefined) walk(abs);
  }

  /** Replaces `target[name]` by `make(original)` until `restore()`; `copyOwn` keeps the original's own properties. */
  #replace(target: Record<PropertyKey, unknown>, name: PropertyKey, make: (orig: AnyFn) => unknown, copyOwn = true): void {
    const orig = target[name] as AnyFn | undefined;
    if (typeof orig !== 'function') return; // not in this Node version
    const replacement = make(orig);
    // realpathSync.native, execFile's promisify.custom (not enumerable): a wrapper must still have them.
    if (copyOwn) {
      const own = Object.getOwnPropertyDescriptors(orig) as Record<PropertyKey, PropertyDescriptor>;
      for (const key of ['length', 'name', 'prototype', 'arguments', 'caller']) delete own[key];
      // Node makes some of them read-only; the copies must stay replaceable (promisify.custom below).
      for (const key of Reflect.ownKeys(own)) {
        const d = own[key as never] as PropertyDescriptor;
        d.configurable = true;
        if ('value' in d) d.writable = true;
      }
      Object.defineProperties(replacement, own);
    }
    target[name] = replacement;
    this.#restores.push(() => (target[name] = orig));
  }

  #wrap(target: Record<string, unknown>, name: string, kind: number): void {
    const recorder = this;
    const lists = name.startsWith('readdir') || name.startsWith('opendir'); // once, not per call
    const opens = name.startsWith('open') && name !== 'openAsBlob';
    this.#replace(target, name, (orig) => function (this: unknown, p: unknown, ...rest: unknown[]) {
      if (!recorder.quiet) {
        recorder.#note(p, kind);
        if (lists && isRecursive(rest[0])) recorder.#noteTree(p);
        if (opens && recorder.declaring && writes(rest[0])) recorder.wrote = true;
        // readFile(p, {flag: 'a+'}) creates (or truncates, 'w+') what it reads.
        if (name.startsWith('readFile') && recorder.declaring && writes((rest[0] as {flag?: unknown} | undefined)?.flag)) recorder.wrote = true;
      }
      return orig.call(this, p, ...rest);
    });
  }

  #effect(orig: AnyFn): AnyFn {
    const recorder = this;
    return function (this: unknown, ...a: unknown[]) {
      if (recorder.declaring && !recorder.quiet) recorder.wrote = true;
      return orig.apply(this, a);
    };
  }

  #impureWhileDeclaring(orig: AnyFn): AnyFn {
    const recorder = this;
    return function (this: unknown, ...a: unknown[]) {
      if (recorder.declaring) recorder.impure = true;
      return orig.apply(this, a);
    };
  }
}
