/**
 * Git facts for provenance: for inputs that live in a git work tree (a tool repo, the workspace,
 * bevbuild's own checkout), the repo's HEAD commit and whether any of those inputs differ from it.
 * Repo roots are found once per process; HEAD and the modified tracked files once per repo per
 * build (`scope`), so an action costs no process spawn. Only tracked files count: generated data
 * is untracked and not "dirty".
 */
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {dirname, relative} from 'node:path';
import {promisify} from 'node:util';

const run = promisify(execFile);

/** Directory → enclosing work-tree root ('' when none). */
const rootOf = new Map<string, string>();

/** Forgets the work-tree roots found so far (a `git init` may come between two commands of the daemon). */
export function forgetGitRoots(): void {
  rootOf.clear();
}
interface RepoState {
  commit: string;
  uri: string | undefined;
  /** Modified tracked files, relative to the work-tree root. */
  modified: string[];
}
/** Per build scope: work-tree root → its state (undefined: not usable as a git repo). */
const states = new WeakMap<object, Map<string, Promise<RepoState | undefined>>>();

function repoRoot(dir: string): string {
  const seen: string[] = [];
  let d = dir;
  let found = '';
  for (;;) {
    const known = rootOf.get(d);
    if (known !== undefined) {
      found = known;
      break;
    }
    seen.push(d);
    if (existsSync(`${d}/.git`)) {
      found = d;
      break;
    }
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const s of seen) rootOf.set(s, found);
  return found;
}

async function git(root: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run('git', ['-C', root, ...args], {encoding: 'utf8', maxBuffer: 16 << 20})).stdout;
  } catch {
    return undefined; // not a repo after all, git missing, or an unborn HEAD: no git facts
  }
}

/** A remote URL without user info (tokens live there), or undefined. */
function cleanUrl(u: string | undefined): string | undefined {
  const s = u?.trim();
  if (!s) return undefined;
  try {
    const url = new URL(s);
    url.username = '';
    url.password = '';
    return `git+${url.href}`;
  } catch {
    return /^[\w.-]+@[\w.-]+:/.test(s) ? `git+ssh://${s.replace(/^[\w.-]+@/, '').replace(':', '/')}` : undefined; // scp-like
  }
}

export interface GitFacts {
  /** Absolute work-tree root (callers make it portable). */
  root: string;
  commit: string;
  uri: string | undefined;
  dirty: boolean;
  /** The inputs (absolute) that live in this repo. */
  paths: string[];
}

/** HEAD, origin and modified tracked files of a work tree, from two git calls. */
async function repoState(root: string): Promise<RepoState | undefined> {
  const [head, origin, status] = await Promise.all([
    git(root, ['rev-parse', '--verify', '-q', 'HEAD']),
    git(root, ['config', '--get', 'remote.origin.url']),
    git(root, ['status', '--porcelain', '-z', '--untracked-files=no']),
  ]);
  const commit = head?.trim();
  if (!commit || status === undefined) return undefined;
  const modified: string[] = [];
  const parts = status.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const e = parts[i]!;
    if (e.length < 4) continue;
    modified.push(e.slice(3));
    if (e[0] === 'R' || e[0] === 'C') modified.push(parts[++i] ?? ''); // renames list the source next
  }
  return {commit, uri: cleanUrl(origin), modified};
}

/**
 * Groups absolute input paths by git work tree and reports commit + dirty state per tree; `scope`
 * (an object living as long as one build) bounds how long repo states are reused.
 */
export async function gitFacts(absPaths: string[], scope: object): Promise<GitFacts[]> {
  const byRoot = new Map<string, string[]>();
  for (const p of absPaths) {
    const r = repoRoot(existsSync(p) ? p : dirname(p));
    if (!r) continue;
    const list = byRoot.get(r) ?? [];
    list.push(p);
    byRoot.set(r, list);
  }
  let cache = states.get(scope);
  if (!cache) states.set(scope, (cache = new Map()));
  const out: GitFacts[] = [];
  for (const [root, paths] of byRoot) {
    let st = cache.get(root);
    if (!st) cache.set(root, (st = repoState(root)));
    const s = await st;
    if (!s) continue;
    const rel = paths.map((p) => relative(root, p));
    const dirty = s.modified.some((m) => rel.some((r) => r === '' || m === r || m.startsWith(`${r}/`)));
    out.push({root, commit: s.commit, uri: s.uri, dirty, paths});
  }
  return out.sort((a, b) => (a.root < b.root ? -1 : 1));
}
