/**
 * The project's test command (`npm test`). Runs every `test/**\/*.test.ts` uvu suite in its own
 * Node process (uvu has no isolation between files and swallows hook errors), sums the results
 * and ends with the plain line `N passed, N failed, N skipped` that CI reads.
 *
 * Before the first suite starts it makes what the selected suites need (test/util/prereqs.ts): the
 * Debian servers (nginx, slurm-wlm, munge) and the pinned test venv, skipping what is there. A
 * prerequisite that cannot be made fails the suites needing it with one message; the rest still run.
 *
 * Usage: npm test [-- <substring filter>...]
 *   BEVBUILD_TEST_JOBS=N   run N files at once (default 1: the e2e suites use both cores)
 */
import {spawn} from 'node:child_process';
import {readdirSync, statSync} from 'node:fs';
import {join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {ensureBrowser, ensureServers, needsOf, prepareVenv, type Needs, type Prepared} from './util/prereqs.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
  /** uvu's FAIL lines (suite and test title), repeated at the end where CI's tail shows them. */
  failures: string[];
}

/** Runs one suite file; a crash or a missing uvu summary counts as one failure. */
function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: {...process.env, NO_COLOR: '1', FORCE_COLOR: '0'},
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    child.on('close', (code) => {
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const ms = Date.now() - started;
      const rel = relative(root, file);
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        console.log(`✘ ${rel}: exited ${code} without a uvu summary (counted as 1 failure)`);
        resolve({file: rel, passed: 0, failed: 1, skipped: 0, ms, failures: [`exited ${code} without a uvu summary`]});
        return;
      }
      let failed = total - passed - skipped;
      const failures = [...out.matchAll(/^\s*FAIL\s+(.+)$/gm)].map((m) => m[1]!.trim());
      if (code !== 0 && failed === 0) {
        failed = 1; // a crash after the summary still fails
        failures.push(`exited ${code} after its summary`);
      }
      resolve({file: rel, passed, failed, skipped, ms, failures});
    });
  });
}

const files = findTests(join(root, 'test')).filter(
  (f) => filters.length === 0 || filters.some((s) => f.includes(s)),
);

// Prerequisites, once, before any suite (their install time is outside every test's timeout).
const needs = new Map(files.map((f) => [f, needsOf(f)]));
const prepared = new Map<keyof Needs, Prepared>();
const steps: [keyof Needs, string, () => Prepared][] = [
  ['servers', 'nginx, slurm-wlm, munge', ensureServers],
  ['venv', 'the pinned Python test venv', prepareVenv],
  ['browser', "Debian's chromium (headless, for the ui suites)", ensureBrowser],
];
for (const [need, what, make] of steps) {
  if (![...needs.values()].some((n) => n[need])) continue;
  console.log(`\n▶ preparing ${what}`);
  const p = make();
  prepared.set(need, p);
  if (!p.ok) console.log(`✘ ${p.message}`);
}
/** The message of the first prerequisite of `file` that could not be made, if any. */
function unmet(file: string): string | undefined {
  for (const [need, p] of prepared) if (needs.get(file)?.[need] && !p.ok) return `needs ${need}, which could not be made (above)`;
  return undefined;
}

const jobs = Math.max(1, Number(process.env['BEVBUILD_TEST_JOBS'] ?? 1));
const results: FileResult[] = [];
let next = 0;
await Promise.all(
  Array.from({length: jobs}, async () => {
    while (next < files.length) {
      const file = files[next++]!;
      const rel = relative(root, file);
      const why = unmet(file);
      if (why) {
        console.log(`\n✘ ${rel}: not run, ${why} (counted as 1 failure)`);
        results.push({file: rel, passed: 0, failed: 1, skipped: 0, ms: 0, failures: [`not run: ${why}`]});
        continue;
      }
      console.log(`\n▶ ${rel}`);
      results.push(await runFile(file));
    }
  }),
);

console.log('\nper file:');
for (const p of prepared.values()) if (!p.ok) console.log(`  ✘ prerequisite: ${p.message}`);
for (const r of results.sort((a, b) => a.file.localeCompare(b.file))) {
  console.log(
    `  ${r.failed ? '✘' : '✔'} ${r.file.padEnd(40)} ${r.passed} passed, ${r.failed} failed` +
      `${r.skipped ? `, ${r.skipped} skipped` : ''}  (${(r.ms / 1000).toFixed(1)} s)`,
  );
}
// The failures once more, last: a CI log is often read from its tail.
const failing = results.filter((r) => r.failed);
if (failing.length) console.log('\nfailed:');
for (const r of failing) {
  console.log(`  ✘ ${r.file}`);
  for (const f of r.failures) console.log(`      ${f}`);
}
const sum = (k: 'passed' | 'failed' | 'skipped') => results.reduce((a, r) => a + r[k], 0);
const skipped = sum('skipped');
console.log(`${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = sum('failed') > 0 || files.length === 0 ? 1 : 0;
