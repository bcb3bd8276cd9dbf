/**
 * Parsing what the deploy binaries print (reference §4.2, §4.3) into a run summary (`run.json`):
 * per-frame box counts keyed by sample id and the `[perf]` numbers.
 *  - `./bevfusion`: `=== Processing sample: <id> ===` … `Detected <K> boxes`. Loader lines of the
 *    prefetch thread interleave, so each `Detected` belongs to the last `Processing sample` header;
 *    warm-up output (`=== Warmup on <id> …`) is ignored. Without headers, the i-th `Detected` pairs
 *    with the i-th sorted sample id — which is wrong as soon as a sample is skipped for a missing
 *    label (pitfall 32), so the headers (or `--dump-pred` files) are preferred.
 *  - `./bevfusion_unified`: `  <id>: <K> boxes`.
 *  - `[perf] k=v ms, …` and `[perf] <group> avg_ms: k=v ms, …` (→ `<group>.<k>`); `n/a` → null.
 */

/** One processed frame. `predBoxes` is the line count of `<pred-dir>/<id>.txt` when dumped. */
export interface FrameCount {
  id: string;
  boxes: number;
  predBoxes?: number;
}

/** What a deploy run produced: the content of `run.json`. */
export interface RunSummary {
  format: 1;
  binary: 'bevfusion' | 'bevfusion_unified';
  precision: 'int8' | 'fp16';
  /** The flags two runs must share to be comparable (argv minus model, precision and output paths). */
  compareFlags: string[];
  frames: FrameCount[];
  perf: Record<string, number | null>;
  warnings: string[];
}

const DETECTED = /^Detected (\d+) boxes$/;
const PROCESSING = /^=== Processing sample: (\S+) ===$/;
const WARMUP = /^=== Warmup\b/;
const UNIFIED_FRAME = /^ {2}(\S+): (\d+) boxes$/;

/** Per-frame counts of `./bevfusion` (Pipeline A). `sortedIds` is only the fallback pairing. */
export function parseSplitFrames(stdout: string, sortedIds: string[] = []): {frames: FrameCount[]; warnings: string[]} {
  const frames: FrameCount[] = [];
  const warnings: string[] = [];
  let current: string | undefined;
  let warmup = false;
  let sawHeader = false;
  const orphans: number[] = [];
  for (const line of stdout.split('\n').map((l) => l.replace(/\r$/, ''))) {
    const p = PROCESSING.exec(line);
    if (p) {
      current = p[1]!;
      warmup = false;
      sawHeader = true;
      continue;
    }
    if (WARMUP.test(line)) {
      warmup = true;
      current = undefined;
      continue;
    }
    const d = DETECTED.exec(line);
    if (!d || warmup) continue;
    if (current !== undefined) {
      frames.push({id: current, boxes: Number(d[1])});
      current = undefined;
    } else orphans.push(Number(d[1]));
  }
  if (!sawHeader && orphans.length) {
    if (orphans.length !== sortedIds.length) warnings.push(`${orphans.length} "Detected" lines but ${sortedIds.length} sample ids: pairing by order is unreliable (a skipped sample shifts it)`);
    orphans.forEach((boxes, i) => frames.push({id: sortedIds[i] ?? `#${i}`, boxes}));
  } else if (orphans.length) warnings.push(`${orphans.length} "Detected" line(s) without a "Processing sample" header were ignored`);
  return {frames, warnings};
}

/** Per-frame counts of `./bevfusion_unified` (Pipeline B). */
export function parseUnifiedFrames(stdout: string): FrameCount[] {
  const frames: FrameCount[] = [];
  for (const line of stdout.split('\n')) {
    const m = UNIFIED_FRAME.exec(line.replace(/\r$/, ''));
    if (m) frames.push({id: m[1]!, boxes: Number(m[2])});
  }
  return frames;
}

/** All `[perf]` numbers; later lines win (a `--repeat` prints one summary). */
export function parsePerf(stdout: string): Record<string, number | null> {
  const perf: Record<string, number | null> = {};
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('[perf] ')) continue;
    let body = line.slice('[perf] '.length);
    let prefix = '';
    const group = /^(\S+) avg_ms: (.*)$/.exec(body);
    if (group) {
      prefix = `${group[1]}.`;
      body = group[2]!;
    }
    for (const m of body.matchAll(/([A-Za-z_+]+)=(-?[\d.]+|n\/a)%?/g)) perf[prefix + m[1]!] = m[2] === 'n/a' ? null : Number(m[2]);
  }
  return perf;
}
