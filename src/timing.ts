/**
 * `BEVBUILD_TIMING=1` prints where a command's time went (process start, module loading, config,
 * analysis, build) to stderr. Cheap enough to leave in: a no-op build is a hot path worth watching.
 */
const enabled = process.env['BEVBUILD_TIMING'] === '1';
// Not read unless enabled: the first touch of the `performance` global loads node:perf_hooks (~4 ms).
let last = enabled ? performance.now() : 0;

/** Prints the time since the previous mark under `phase` (only with BEVBUILD_TIMING=1). */
export function mark(phase: string): void {
  if (!enabled) return;
  const now = performance.now();
  process.stderr.write(`[timing] ${phase.padEnd(22)} +${(now - last).toFixed(1).padStart(6)} ms  (at ${now.toFixed(1)} ms)\n`);
  last = now;
}

/** Starts the next mark's interval now: the daemon calls it as each request begins. */
export function restartTiming(): void {
  if (enabled) last = performance.now();
}
