/**
 * TAO 5.5 `status.json` and the run verdict (reference §3). The exit code of `docker run` is not
 * evidence of anything — 5.5 exits 0 after `Execution status: FAIL` (§3.4) — so the verdict comes
 * from the status lines, the wrapper's `Execution status:` line, a crash signal in the log and the
 * action's expected artifacts, per the algorithm of §3.5.
 */
import {constants} from 'node:os';

export type StatusKind = 'SUCCESS' | 'FAILURE' | 'STARTED' | 'RUNNING' | 'SKIPPED';

/** One JSON line of status.json (extra keys such as `mode`, `epoch`, `AP11` vary by action). */
export interface StatusLine {
  status: StatusKind;
  message?: string;
  kpi?: Record<string, number>;
  mode?: string;
  epoch?: number;
  [k: string]: unknown;
}

/**
 * Parses JSON Lines, skipping what does not parse: a run killed mid-write leaves a torn last line
 * (§7 item 9). `fromByte` skips lines of earlier runs of an append-only file.
 */
export function parseStatusLines(text: string, fromByte = 0): StatusLine[] {
  const out: StatusLine[] = [];
  for (const raw of Buffer.from(text).subarray(fromByte).toString('utf8').split('\n')) {
    if (!raw.trim()) continue;
    try {
      const v = JSON.parse(raw) as unknown;
      if (v && typeof v === 'object' && typeof (v as StatusLine).status === 'string') out.push(v as StatusLine);
    } catch {
      // a torn line
    }
  }
  return out;
}

export type VerdictKind = 'succeeded' | 'succeeded-with-teardown-crash' | 'failed-config' | 'failed-partial' | 'failed';

export interface Verdict {
  kind: VerdictKind;
  /** One sentence for users: what happened and what to look at. */
  summary: string;
  wrapper: 'PASS' | 'FAIL' | undefined;
  signal: string | undefined;
  /** The last FAILURE line's message, if any. */
  failure: string | undefined;
}

export interface VerdictInput {
  lines: StatusLine[];
  /** stdout + stderr of the run. */
  log: string;
  /** Problems with the expected artifacts (empty: all present and sane). */
  artifactProblems: string[];
  /** For train: epochs whose `epoch_E.pth` exists (a failed run's last usable checkpoint). */
  savedEpochs?: number[];
}

const isSuccessLine = (l: StatusLine) => l.status === 'SUCCESS' || (l.status === 'RUNNING' && /finished successfully\.?$/.test(l.message ?? ''));
const CONFIG_ERROR = /ConfigKeyError|ConfigTypeError|ValidationError|MissingMandatoryValue|ConfigAttributeError|Key '[^']+' not in '\w+'/;

/** The signal that killed a torchrun child: `Signal 11 (SIGSEGV) received…`, else `exitcode : -11`. */
export function crashSignal(log: string): string | undefined {
  const named = /Signal \d+ \((SIG\w+)\)/.exec(log)?.[1];
  if (named) return named;
  const n = /exitcode\s*:\s*-(\d+)/.exec(log)?.[1];
  if (n === undefined) return undefined;
  return Object.entries(constants.signals).find(([, num]) => num === Number(n))?.[0] ?? `signal ${n}`;
}

/** §3.5, in order. Success needs a success line not followed by a FAILURE, and sound artifacts. */
export function decideVerdict(v: VerdictInput): Verdict {
  const successAt = v.lines.findLastIndex(isSuccessLine);
  const failureAt = v.lines.findLastIndex((l) => l.status === 'FAILURE');
  const wrapper = /Execution status: (PASS|FAIL)/.exec([...v.log.matchAll(/Execution status: (?:PASS|FAIL)/g)].at(-1)?.[0] ?? '')?.[1] as Verdict['wrapper'];
  const signal = crashSignal(v.log);
  const failure = failureAt >= 0 ? v.lines[failureAt]!.message : undefined;
  const base = {wrapper, signal, failure};
  const artifactsOk = v.artifactProblems.length === 0;
  const succeeded = successAt >= 0 && failureAt < successAt;
  if (succeeded && artifactsOk && wrapper !== 'FAIL') return {kind: 'succeeded', summary: 'finished successfully', ...base};
  if (succeeded && artifactsOk) {
    return {kind: 'succeeded-with-teardown-crash', summary: `finished successfully and wrote every artifact, then crashed at teardown${signal ? ` (${signal})` : ''}; outputs accepted (reference §3.3: numba-CUDA rotated IoU)`, ...base};
  }
  if (v.lines.length === 0) {
    const cfg = CONFIG_ERROR.exec(v.log)?.[0];
    return {kind: 'failed-config', summary: cfg ? `the spec was rejected before the run started (${cfg}); see the log` : 'the tool wrote no status line: it failed before starting (spec rejected, image or mount problem); see the log', ...base};
  }
  const why = failure !== undefined ? `FAILURE: ${failure}` : succeeded ? `artifacts incomplete: ${v.artifactProblems.join('; ')}` : `no success line${signal ? `, crashed (${signal})` : ''}`;
  const saved = v.savedEpochs ?? [];
  if (!succeeded && saved.length) {
    return {kind: 'failed-partial', summary: `${why}; the last checkpoint written is epoch_${Math.max(...saved)}.pth (not promoted)`, ...base};
  }
  return {kind: 'failed', summary: why, ...base};
}

/** `{epoch: AP11}` from the train lines with `mode: "val"` (§3.5): epoch E validates `epoch_E.pth`. */
export function apPerEpoch(lines: StatusLine[], metric = 'AP11'): Record<number, number> {
  const out: Record<number, number> = {};
  for (const l of lines) if (l.mode === 'val' && typeof l.epoch === 'number' && typeof l[metric] === 'number') out[l.epoch] = l[metric] as number;
  return out;
}
