/**
 * `npm run bench`: every benchmark, one after another (they measure; they never pass or fail).
 * Each prints `name  value  peer/limit  ratio` lines. Run on an idle machine: figures are wall times.
 *   npm run bench [-- <name filter>]
 */
import {spawnSync} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
for (const f of benches) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], {stdio: 'inherit'});
  if (r.status !== 0) console.log(`(${f} exited ${r.status})`);
}
