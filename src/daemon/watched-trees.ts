/**
 * Directory listings the daemon keeps between commands, each kept true by inotify: digesting a
 * 30,000-file input directory then costs no stat call for the files nothing touched, only for the
 * paths an event named. The stat memo (cache/stat-memo.ts) asks through the TreeLister interface.
 *
 * When a listing may be trusted, and why:
 *  - Every fs.watch of this process shares libuv's one inotify descriptor, whose events are read
 *    and handed to their callbacks in the kernel's order. `sync` creates a cookie file in a watched
 *    directory of the daemon's own and waits for its event: every event queued before the cookie
 *    has then reached its callback, so a listing with no event pending is as fresh as a walk now.
 *  - The kernel drops events when its queue (fs.inotify.max_queued_events) overflows, and libuv
 *    does not report that. Overflowing takes that many events queued unread, all of which are
 *    delivered before the drop; so fewer than half of them delivered since the last sync proves
 *    that none were lost. More, or no cookie within a second: every listing is walked afresh.
 *    Events still queued for a watch that is closed would be dropped by libuv uncounted, so a
 *    watch no longer needed is retired, not closed: it keeps counting until the next cookie has
 *    been seen, and only then closes (what is queued for it after that instant goes uncounted;
 *    the half-queue margin is for that).
 *  - inotify sees what happens through the watched directories. Not trusted, so walked every
 *    time as before: a tree holding a symlink (its target may change elsewhere), a file with
 *    another hard link (written through the other name, no event here), a directory of another
 *    filesystem (a mount), a tree on a filesystem that is not local (NFS, FUSE, 9p, SMB: changes
 *    made by other machines raise no event), and a tree of more than MAX_DIRS directories.
 *  - Not seen, as by the file watchers of Bazel, Buck2 and Watchman: writes through a shared
 *    writable mmap; a hard link made to a listed file from outside the tree after it was listed,
 *    then written through that name; a filesystem mounted inside the tree after it was listed.
 *    `BEVBUILD_DAEMON_WATCH=0` (or no daemon) walks every file.
 */
import {lstatSync, mkdirSync, readdirSync, rmSync, statfsSync, watch, writeFileSync, readFileSync, type FSWatcher, type Stats} from 'node:fs';
import {basename, join} from 'node:path';
import {walkTree} from '../../cache/tree.ts';
import type {TreeLister} from '../../cache/stat-memo.ts';

/** statfs magic numbers of local filesystems, whose every change raises inotify events here. */
const LOCAL_FS = new Set([0xef53 /* ext2/3/4 */, 0x58465342 /* xfs */, 0x9123683e /* btrfs */, 0x01021994 /* tmpfs */, 0x794c7630 /* overlayfs */, 0x2fc12fc1 /* zfs */, 0xf2f52010 /* f2fs */]);
const MAX_DIRS = 20_000;
/** Listings kept at once; the least recently used one is dropped (its watches closed). */
const MAX_TREES = 16;
const COOKIE_WAIT_MS = 1000;

interface Tree {
  root: string;
  /** The root's "dev:ino": a directory renamed into its place is another tree. */
  id: string;
  /** The root's device: a directory of another one is a mount, whose changes raise no event here. */
  dev: number;
  /** Watched directory → its watch. */
  dirs: Map<string, FSWatcher>;
  /** File → its path under the root and its stat at the last look. */
  files: Map<string, {rel: string; st: Stats}>;
  /** Paths an event named since the last look, or 'all' (look at everything again). */
  dirty: Set<string> | 'all';
}

/** Thrown inside a walk when the tree cannot be trusted to inotify (see the module comment). */
class Untrusted extends Error {}

/** The daemon's watched listings; `close` releases every watch. */
export class WatchedTrees implements TreeLister {
  readonly #trees = new Map<string, Tree>();
  readonly #cookieDir: string;
  readonly #cookieWatch: FSWatcher;
  readonly #waiting = new Map<string, () => void>();
  readonly #overflowAt: number;
  #events = 0;
  /** Watches no longer needed, still counting events until the next sync's cookie. */
  #retired: FSWatcher[] = [];
  #cookies = 0;

  /** Cookies go to `cookieDir`, a directory of the daemon's own (made here). */
  constructor(cookieDir: string) {
    this.#cookieDir = cookieDir;
    rmSync(cookieDir, {recursive: true, force: true});
    mkdirSync(cookieDir, {recursive: true, mode: 0o700});
    this.#cookieWatch = watch(cookieDir, (_type, name) => {
      this.#events++;
      if (name) this.#waiting.get(name.toString())?.();
    });
    let queued = 16384;
    try {
      queued = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8')) || queued;
    } catch {
      // the kernel default
    }
    this.#overflowAt = Math.floor(queued / 2);
  }

  /** Waits until every event queued before now has been seen (see the module comment). */
  async sync(): Promise<void> {
    if (this.#trees.size === 0) return;
    const name = `c${++this.#cookies}`;
    const seen = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), COOKIE_WAIT_MS);
      this.#waiting.set(name, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    let ok = false;
    try {
      writeFileSync(join(this.#cookieDir, name), '');
      ok = await seen;
    } catch {
      ok = false;
    } finally {
      this.#waiting.delete(name);
      rmSync(join(this.#cookieDir, name), {force: true});
    }
    if (!ok || this.#events >= this.#overflowAt) for (const t of this.#trees.values()) t.dirty = 'all';
    this.#events = 0;
    if (ok) for (const w of this.#retired.splice(0)) w.close();
  }

  /** Lists `absDir` as cache/tree.ts's walkTree does, from the kept listing where it is still true. */
  walk(absDir: string, onFile: (rel: string, abs: string, st: Stats, viaLink: boolean) => void): void {
    let tree = this.#trees.get(absDir);
    try {
      // The root has no watched parent to say it was replaced: one lstat tells.
      const st = lstatSync(absDir, {throwIfNoEntry: false});
      if (tree && (!st || `${st.dev}:${st.ino}` !== tree.id)) tree.dirty = 'all';
      if (!tree || tree.dirty === 'all') tree = this.#fresh(absDir, tree);
      else if (tree.dirty.size > 0) this.#patch(tree);
    } catch {
      // Untrusted, or no watch to be had (fs.inotify.max_user_watches), or the tree cannot be read:
      // walkTree lists it as without a daemon, and throws what it throws there.
      this.#drop(absDir);
      return walkTree(absDir, onFile);
    }
    // Most recently used last: the first one is the one to drop.
    this.#trees.delete(absDir);
    this.#trees.set(absDir, tree);
    for (const [abs, f] of tree.files) onFile(f.rel, abs, f.st, false);
  }

  /** Releases every watch. */
  close(): void {
    for (const root of [...this.#trees.keys()]) this.#drop(root);
    for (const w of this.#retired.splice(0)) w.close();
    this.#cookieWatch.close();
    rmSync(this.#cookieDir, {recursive: true, force: true});
  }

  #fresh(root: string, old: Tree | undefined): Tree {
    if (old) this.#drop(root);
    if (!LOCAL_FS.has(statfsSync(root).type)) throw new Untrusted();
    const st = lstatSync(root);
    if (!st.isDirectory()) throw new Untrusted(); // a symlink to a directory, say
    const tree: Tree = {root, id: `${st.dev}:${st.ino}`, dev: st.dev, dirs: new Map(), files: new Map(), dirty: new Set()};
    this.#trees.set(root, tree);
    while (this.#trees.size > MAX_TREES) this.#drop(this.#trees.keys().next().value!);
    this.#addDir(tree, root);
    return tree;
  }

  /** Watches `dir` (before listing it: nothing created meanwhile goes unseen), then lists it. */
  #addDir(tree: Tree, dir: string): void {
    if (tree.dirs.size >= MAX_DIRS) throw new Untrusted();
    const w: FSWatcher = watch(dir, (_type, name) => {
      this.#events++;
      if (tree.dirty === 'all' || tree.dirs.get(dir) !== w) return; // retired: counting only
      // null, or the watched root's own name (libuv names a directory's own removal or move by
      // its basename): the root itself changed, and nothing watches it from above.
      if (name === null || (dir === tree.root && name.toString() === basename(dir))) tree.dirty = 'all';
      else tree.dirty.add(`${dir}/${name.toString()}`);
    });
    w.on('error', () => (tree.dirty = 'all'));
    tree.dirs.set(dir, w);
    for (const name of readdirSync(dir)) this.#look(tree, `${dir}/${name}`);
  }

  /** Brings one path under the root up to date: a file's stat, a new directory's listing, a removal. */
  #look(tree: Tree, abs: string): void {
    const st = lstatSync(abs, {throwIfNoEntry: false});
    if (st?.isSymbolicLink()) throw new Untrusted();
    if (st && st.dev !== tree.dev) throw new Untrusted(); // a mount inside the tree
    // An event named it: whatever is there now is listed afresh, even a directory of the same
    // inode number (a removed directory's number is reused at once by a new one).
    this.#forgetDir(tree, abs);
    if (st?.isFile()) {
      if (st.nlink > 1) throw new Untrusted();
      tree.files.set(abs, {rel: abs.slice(tree.root.length + 1), st});
    } else {
      tree.files.delete(abs); // gone, or a FIFO or socket (not content, as walkTree says)
      if (st?.isDirectory()) this.#addDir(tree, abs);
    }
  }

  #patch(tree: Tree): void {
    const dirty = tree.dirty as Set<string>;
    tree.dirty = new Set();
    for (const abs of dirty) this.#look(tree, abs);
  }

  /** Stops watching `dir` and everything under it, and forgets its files (it was removed or replaced). */
  #forgetDir(tree: Tree, dir: string): void {
    if (!tree.dirs.has(dir)) return;
    const prefix = `${dir}/`;
    for (const [d, w] of tree.dirs) {
      if (d === dir || d.startsWith(prefix)) {
        this.#retired.push(w);
        tree.dirs.delete(d);
      }
    }
    for (const f of tree.files.keys()) if (f.startsWith(prefix)) tree.files.delete(f);
  }

  #drop(root: string): void {
    const tree = this.#trees.get(root);
    if (!tree) return;
    this.#retired.push(...tree.dirs.values());
    tree.dirs.clear();
    this.#trees.delete(root);
  }
}
