/**
 * Minimal globbing for inputs (`data/**\/*.bin`) and target selection (`deploy/**`): `**` matches
 * any number of path segments, `*` and `?` stay within one segment, `{a,b}` alternates, `[kv]`,
 * `[a-z]` and `[!x]` (or `[^x]`) match one character of a class (never `/`); an unclosed `[` is literal.
 * Node 20 has no fs.glob, and a dependency for this little is not worth its weight.
 */
import {readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';

export function isGlob(s: string): boolean {
  return /[*?{[]/.test(s);
}

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more whole segments; a trailing `**` matches the rest.
      if (glob[i + 2] === '/') {
        src += '(?:[^/]+/)*';
        i += 2;
      } else {
        src += '.*';
        i += 1;
      }
    } else if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) src += '\\{';
      else {
        src += `(?:${glob.slice(i + 1, end).split(',').map(escape).join('|')})`;
        i = end;
      }
    } else if (c === '[') {
      const cls = bracketClass(glob, i);
      if (cls) {
        src += cls.src;
        i = cls.end;
      } else src += '\\[';
    } else src += escape(c);
  }
  re = new RegExp(`^${src}$`);
  cache.set(glob, re);
  return re;
}

/** `[…]` starting at `i` as a RegExp class that never matches `/`; undefined when it is not closed. */
function bracketClass(glob: string, i: number): {src: string; end: number} | undefined {
  let j = i + 1;
  const negated = glob[j] === '!' || glob[j] === '^';
  if (negated) j++;
  const start = j;
  if (glob[j] === ']') j++; // a leading `]` is a member, as in POSIX
  while (j < glob.length && glob[j] !== ']') j++;
  if (j >= glob.length) return undefined;
  const body = glob.slice(start, j).replace(/[\\\]^]/g, '\\$&');
  return {src: negated ? `[^/${body}]` : `(?!/)[${body}]`, end: j};
}

function escape(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** The directory part before the first segment with a wildcard (`data/kitti` for `data/kitti/**\/*.bin`). */
export function globBase(glob: string): string {
  const segs = glob.split('/');
  const i = segs.findIndex((s) => isGlob(s));
  return segs.slice(0, i < 0 ? segs.length : i).join('/');
}

/**
 * Files matching `glob` (sorted): workspace-relative for a relative glob, absolute for an absolute
 * one (e.g. a repo outside the workspace). Dot-directories are skipped. `limit` stops the walk early.
 */
export function expandGlob(root: string, glob: string, limit = Infinity): string[] {
  if (glob.startsWith('/')) return expandGlob('/', glob.slice(1), limit).map((p) => `/${p}`);
  const re = globToRegExp(glob);
  const base = globBase(glob);
  const out: string[] = [];
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch {
      return;
    }
    for (const name of names) {
      if (out.length >= limit) return; // enough to answer "does it match anything?"
      if (name.startsWith('.')) continue;
      const childRel = rel ? `${rel}/${name}` : name;
      let isDir = false;
      try {
        isDir = statSync(join(root, childRel)).isDirectory();
      } catch {
        continue;
      }
      if (isDir) walk(childRel);
      else if (re.test(childRel)) out.push(childRel);
    }
  };
  walk(base);
  return out.sort();
}
