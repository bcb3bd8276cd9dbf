/**
 * Remote-cache transfer benchmark (not a test). A 1 GiB object moves through a real nginx
 * WebDAV server on localhost, once with `HttpRemoteCache` and once with `curl`, and the
 * wall-time ratio is printed as `name  value  peer  ratio` lines:
 *   1. download: fetchObject (streams to a temp file, sha256 while streaming, verify, rename)
 *      vs `curl -o` (no verification) — target ratio ≤ 1.3 (sha256 of 1 GiB is ~0.5–0.9 s here)
 *   2. upload: putObject (HEAD, then streamed PUT hashed on the fly) vs `curl -T` — target ≤ 1.3
 * `--runs N` alternating rounds (default 3). The file lives in a temp dir (BEVBUILD_BENCH_DIR) and is deleted.
 * Usage: node --import tsx bench/remote.ts [--size-mib N] [--runs N]
 */
import {execFileSync} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {closeSync, mkdtempSync, openSync, rmSync, writeSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {HttpRemoteCache} from '../cache/remote-http.ts';
import {startNginx} from '../test/util/nginx-rig.ts';

const MiB = 1024 ** 2;
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const size = arg('--size-mib', 1024) * MiB;
const runs = arg('--runs', 3);

function line(name: string, value: string, peer: string, ratio: string): void {
  console.log(`${name.padEnd(36)}  ${value.padStart(12)}  ${peer.padStart(16)}  ${ratio}`);
}

/** Writes `size` bytes (a random 64 MiB block repeated) and returns their sha256. */
function writeObject(path: string): string {
  const block = randomBytes(Math.min(size, 64 * MiB));
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  for (let left = size; left > 0; left -= block.length) {
    const part = block.subarray(0, Math.min(left, block.length));
    writeSync(fd, part);
    hash.update(part);
  }
  closeSync(fd);
  return hash.digest('hex');
}

/**
 * Runs peer and ours alternately `runs` times (so both see the same background load on a shared
 * machine) and returns the best time of each and the median of the per-round ratios.
 */
async function compare(
  peer: () => void,
  ours: () => Promise<void>,
  reset: () => void,
): Promise<{peer: number; ours: number; ratio: number}> {
  const p: number[] = [];
  const o: number[] = [];
  const time = async (fn: () => Promise<void> | void) => {
    reset();
    const t = performance.now();
    await fn();
    return (performance.now() - t) / 1000;
  };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      p.push(await time(peer));
      o.push(await time(ours));
    } else {
      o.push(await time(ours));
      p.push(await time(peer));
    }
  }
  const ratios = o.map((x, i) => x / p[i]!).sort((a, b) => a - b);
  return {peer: Math.min(...p), ours: Math.min(...o), ratio: ratios[Math.floor(ratios.length / 2)]!};
}

const work = mkdtempSync(join(process.env['BEVBUILD_BENCH_DIR'] ?? tmpdir(), 'bevbuild-bench-remote-'));
const nginx = await startNginx();
const cache = new HttpRemoteCache({url: nginx.url, upload: true, timeoutMs: 30_000, retries: 0, log: console.error});
try {
  const src = join(work, 'object');
  const digest = writeObject(src);
  const url = `${nginx.url}/cas/${digest}`;
  const curl = (...args: string[]) => execFileSync('curl', ['-sS', '-f', ...args], {stdio: ['ignore', 'ignore', 'inherit']});
  // DELETE answers 404 when the object is absent (first run): not an error here.
  const remove = () => void execFileSync('curl', ['-sS', '-o', '/dev/null', '-X', 'DELETE', url]);
  const label = `${size / MiB} MiB`;

  // Upload: delete the object before each run so both tools really send it.
  const up = await compare(
    () => void curl('-T', src, url),
    async () => {
      const r = await cache.putObject(digest, src);
      if (!r.ok || !r.value.uploaded) throw new Error(`putObject: ${JSON.stringify(r)}`);
    },
    remove,
  );
  curl('-T', src, url); // leave it on the server for the downloads

  const dest = join(work, 'down');
  const down = await compare(
    () => void curl('-o', dest, url),
    async () => {
      const r = await cache.fetchObject(digest, dest, {size});
      if (!r.ok) throw new Error(`fetchObject: ${r.error.message}`);
    },
    () => rmSync(dest, {force: true}),
  );

  const mbps = (s: number) => `${(size / MiB / s).toFixed(0)} MiB/s`;
  console.log(`# ${label} object via nginx on localhost; ${runs} alternating rounds; times are best-of, ratio = median of per-round ours/curl (lower is better)`);
  line(`download ${label} fetchObject (s)`, down.ours.toFixed(3), `curl ${down.peer.toFixed(3)}`, down.ratio.toFixed(2));
  line(`upload ${label} putObject (s)`, up.ours.toFixed(3), `curl -T ${up.peer.toFixed(3)}`, up.ratio.toFixed(2));
  line('download throughput (best)', mbps(down.ours), mbps(down.peer), (down.peer / down.ours).toFixed(2));
  line('upload throughput (best)', mbps(up.ours), mbps(up.peer), (up.peer / up.ours).toFixed(2));
  // Streaming means memory stays flat however big the object is.
  line('peak RSS of this process (MiB)', (process.resourceUsage().maxRSS / 1024).toFixed(0), `object ${size / MiB}`, (process.resourceUsage().maxRSS * 1024 / size).toFixed(2));
} finally {
  cache.close();
  await nginx.stop();
  rmSync(work, {recursive: true, force: true});
}
