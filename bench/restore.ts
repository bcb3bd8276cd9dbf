/**
 * Restore benchmark (not a test): a 1 GiB output restored from the store with `materialize`, beside
 * `cp` and `ln` of the same file. Prints `name  value  peer/limit  ratio` lines.
 *   - link mode with a warm stat memo: verification is one lstat, then a hardlink (ext4: no reflink)
 *   - copy mode with a warm memo: verification + a full copy
 *   - link mode without a memo: every byte re-hashed before linking (the safe cold path)
 * Usage: node --import tsx bench/restore.ts [--quick]   (BEVBUILD_BENCH_DIR: where to put the files)
 */
import {execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync} from 'node:fs';
import {availableParallelism, loadavg, tmpdir} from 'node:os';
import {join} from 'node:path';
import {closeHashPool} from '../cache/digest.ts';
import {LocalStore, type OutputEntry} from '../cache/local-store.ts';
import {StatMemo} from '../cache/stat-memo.ts';

const quick = process.argv.includes('--quick');
const MiB = 1024 ** 2;
const size = quick ? 256 * MiB : 1024 * MiB;
const work = mkdtempSync(join(process.env['BEVBUILD_BENCH_DIR'] ?? tmpdir(), 'bevbuild-bench-restore-'));

function line(name: string, value: string, peer: string, ratio: string): void {
  console.log(`${name.padEnd(44)}  ${value.padStart(12)}  ${peer.padStart(22)}  ${ratio}`);
}

function timeCmd(cmd: string, args: string[]): number {
  const t = performance.now();
  execFileSync(cmd, args);
  return performance.now() - t;
}

try {
  console.log(`# load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${availableParallelism()} cores; ${size / MiB} MiB output`);
  const src = join(work, 'model.bin');
  const block = randomBytes(64 * MiB);
  const fd = openSync(src, 'w');
  for (let left = size; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(left, block.length));
  closeSync(fd);
  const store = new LocalStore(join(work, 'cache'));
  const put = await store.putFile(src, {move: true});
  const obj = store.objectPath(put.digest);
  readFileSync(obj); // page cache
  const entry: OutputEntry = {path: 'deploy/model.bin', kind: 'file', digest: put.digest, size: put.size};
  // A fresh destination per round: unlinking a previous hardlink would change the object's ctime,
  // and a changed object is re-hashed before use (a write through a link changes ctime too).
  let round = 0;
  const memo = await StatMemo.open(join(work, 'state'), {racyWindowMs: 0});
  await memo.digestPaths([obj]); // warm

  // A second instance, as in a later bevbuild process: the one that stored the object would skip
  // re-verifying what it has just hashed itself.
  const later = new LocalStore(join(work, 'cache'));
  const restore = (mode: 'link' | 'copy', withMemo: boolean) => async (): Promise<number> => {
    const dest = join(work, 'deploy', `model-${round++}.bin`);
    const t = performance.now();
    const r = await later.materialize(entry, dest, withMemo ? {mode, memo} : {mode});
    const ms = performance.now() - t;
    if (!r.ok) throw new Error(r.error.message);
    return ms;
  };
  // Interleaved rounds, so writeback and other load hit every contender alike; medians.
  const runs: Record<'cp' | 'ln' | 'linkWarm' | 'copyWarm' | 'linkCold', number[]> = {cp: [], ln: [], linkWarm: [], copyWarm: [], linkCold: []};
  for (let round = 0; round < (quick ? 3 : 5); round++) {
    rmSync(join(work, 'cp.bin'), {force: true});
    runs.cp.push(timeCmd('cp', [obj, join(work, 'cp.bin')]));
    rmSync(join(work, 'cp.bin'), {force: true});
    await memo.digestPaths([obj]); // untimed: linking without a memo (linkCold, ln) changed its ctime
    runs.copyWarm.push(await restore('copy', true)());
    rmSync(join(work, 'ln.bin'), {force: true});
    runs.ln.push(timeCmd('ln', [obj, join(work, 'ln.bin')]));
    await memo.digestPaths([obj]);
    runs.linkWarm.push(await restore('link', true)());
    runs.linkCold.push(await restore('link', false)());
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [cp, ln, linkWarm, copyWarm, linkCold] = [med(runs.cp), med(runs.ln), med(runs.linkWarm), med(runs.copyWarm), med(runs.linkCold)];
  line('materialize link, warm memo (hardlink)', `${linkWarm.toFixed(1)} ms`, `ln ${ln.toFixed(1)} ms`, `${(linkWarm / ln).toFixed(2)}× ln (ln's time includes spawning it)`);
  line('materialize copy, warm memo', `${copyWarm.toFixed(0)} ms`, `cp ${cp.toFixed(0)} ms`, `${(copyWarm / cp).toFixed(2)}× cp`);
  line('materialize link, no memo (re-hash + link)', `${linkCold.toFixed(0)} ms`, `cp ${cp.toFixed(0)} ms`, `${(linkCold / cp).toFixed(2)}× cp`);
  const s = memo.stats;
  console.log(`# memo: ${s.hits} hits, ${s.misses} misses (the untimed re-warms after foreign links; a restore that links re-stamps the object)`);
} finally {
  await closeHashPool();
  rmSync(work, {recursive: true, force: true});
}
