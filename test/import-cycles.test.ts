/**
 * Modules import each other in one direction only (issue 14 #5: the record/manifest parsing used to
 * form a `local-store ↔ store-prune ↔ schemas/record` cycle; `result.ts` once reached back into the
 * engine for a type). Follows every relative import, type-only ones included, from every module of
 * the product: `src/`, `cache/`, `schemas/`, `rules/`, `native/`.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {repoRoot} from './util/venv.ts';

const test = suite('import-cycles');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+\.ts)['"]|import\(\s*['"](\.[^'"]+\.ts)['"]\s*\)/g;

/** Relative `.ts` imports of a module, resolved to absolute paths. */
function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => resolve(dirname(file), (m[1] ?? m[2])!)).filter((f) => existsSync(f));
}

/** One import cycle reachable from `roots` (as repo-relative paths), or undefined. */
function findCycle(roots: string[]): string[] | undefined {
  const done = new Set<string>();
  const trail: string[] = [];
  const visit = (f: string): string[] | undefined => {
    const at = trail.indexOf(f);
    if (at !== -1) return [...trail.slice(at), f];
    if (done.has(f)) return undefined;
    trail.push(f);
    for (const d of importsOf(f)) {
      const c = visit(d);
      if (c) return c;
    }
    trail.pop();
    done.add(f);
    return undefined;
  };
  for (const r of roots) {
    const c = visit(r);
    if (c) return c.map((f) => relative(repoRoot, f));
  }
  return undefined;
}

test('no import cycle among the product\'s modules', () => {
  const roots = ['src', 'cache', 'schemas', 'rules', 'native'].flatMap((d) => readdirSync(join(repoRoot, d), {recursive: true, encoding: 'utf8'}).filter((f) => f.endsWith('.ts')).map((f) => join(repoRoot, d, f)));
  assert.ok(roots.length > 100, 'found the modules');
  const cycle = findCycle(roots);
  assert.is(cycle, undefined, `import cycle: ${cycle?.join(' → ')}`);
});

test.run();
