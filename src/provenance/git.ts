/**
 * Git facts for provenance: for inputs that live in a git work tree (a tool repo, the workspace,
 * bevbuild's own checkout), the repo's HEAD commit and whether any of those inputs differ from it.
 * Repo roots and commits are looked up once per process; the dirty check runs per action, only
 * for the paths it consumed (tracked files; generated data is untracked and not "dirty").
 */
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {dirname, relative} from 'node:path';
import {promisify} from 'node:util';

const run = promisify(execFile);

/** Directory → enclosing work-tree root ('' when none). */
const rootOf = new Map<string, string>();
const headOf = new Map<string, Promise<{commit: string; uri: string | undefined} | undefined>>();

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

/** Groups absolute input paths by git work tree and reports commit + dirty state per tree. */
export async function gitFacts(absPaths: string[]): Promise<GitFacts[]> {
  const byRoot = new Map<string, string[]>();
  for (const p of absPaths) {
    const r = repoRoot(existsSync(p) ? p : dirname(p));
    if (!r) continue;
    const list = byRoot.get(r) ?? [];
    list.push(p);
    byRoot.set(r, list);
  }
  const out: GitFacts[] = [];
  await Promise.all(
    [...byRoot].map(async ([root, paths]) => {
      let head = headOf.get(root);
      if (!head) {
        head = (async () => {
          const commit = (await git(root, ['rev-parse', '--verify', '-q', 'HEAD']))?.trim();
          if (!commit) return undefined;
          return {commit, uri: cleanUrl(await git(root, ['config', '--get', 'remote.origin.url']))};
        })();
        headOf.set(root, head);
      }
      const h = await head;
      if (!h) return;
      const rel = paths.map((p) => relative(root, p) || '.');
      const status = await git(root, ['status', '--porcelain', '-z', '--untracked-files=no', '--', ...rel]);
      out.push({root, commit: h.commit, uri: h.uri, dirty: status === undefined ? true : status.length > 0, paths});
    }),
  );
  return out.sort((a, b) => (a.root < b.root ? -1 : 1));
}
