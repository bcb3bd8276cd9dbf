/**
 * Per-frame comparison of FP32 and INT8 detections. Boxes are matched one to one (same class,
 * BEV centre distance ≤ `MATCH_RADIUS_M`, nearest pairs first); a frame is judged by how many boxes
 * differ — an absolute tolerance, so one box on an 8-box frame costs one box, not 12 % of recall —
 * and the target by the recall of matched boxes over all frames, where one box is < 1 %.
 */
import {BOX_FIELDS, type NativeFrame} from './addon.ts';

/** A decoded box (LiDAR frame, z = bottom). */
export interface Box {
  x: number;
  y: number;
  z: number;
  l: number;
  w: number;
  h: number;
  yaw: number;
  vx: number;
  vy: number;
  score: number;
  label: number;
}

/** Unpacks the addon's flat Float32Array. */
export function unpackBoxes(a: Float32Array): Box[] {
  const out: Box[] = [];
  for (let i = 0; i + BOX_FIELDS <= a.length; i += BOX_FIELDS) {
    out.push({
      x: a[i]!, y: a[i + 1]!, z: a[i + 2]!, l: a[i + 3]!, w: a[i + 4]!, h: a[i + 5]!,
      yaw: a[i + 6]!, vx: a[i + 7]!, vy: a[i + 8]!, score: a[i + 9]!, label: a[i + 10]!,
    });
  }
  return out;
}

/** BEV distance within which an INT8 box matches an FP32 box of the same class. */
export const MATCH_RADIUS_M = 1;

/** A one-to-one matching of reference (FP32) and candidate (INT8) boxes. */
export interface Matching {
  matched: number;
  /** Reference boxes without a match. */
  missed: number;
  /** Candidate boxes without a match. */
  extra: number;
}

/**
 * Matches boxes one to one: every same-class pair within the radius, nearest first (ties by
 * index, so the result is a pure function of the boxes). Greedy nearest-first is the maximum
 * matching whenever same-class boxes are more than twice the radius apart, which task 0's circle
 * NMS (2 m) guarantees; elsewhere it can only under-count matches, i.e. err towards failing.
 */
export function matchBoxes(reference: Box[], candidate: Box[], radius = MATCH_RADIUS_M): Matching {
  const pairs: [number, number, number][] = [];
  reference.forEach((a, i) =>
    candidate.forEach((b, j) => {
      const d2 = (a.x - b.x) ** 2 + (a.y - b.y) ** 2;
      if (a.label === b.label && d2 <= radius * radius) pairs.push([d2, i, j]);
    }),
  );
  pairs.sort((p, q) => p[0] - q[0] || p[1] - q[1] || p[2] - q[2]);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  for (const [, i, j] of pairs) {
    if (usedA.has(i) || usedB.has(j)) continue;
    usedA.add(i);
    usedB.add(j);
  }
  return {matched: usedA.size, missed: reference.length - usedA.size, extra: candidate.length - usedB.size};
}

/** Pass criteria (CLI `--max-box-diff`, `--min-recall`). */
export interface GateCriteria {
  /** Per frame: most boxes that may differ, max(unmatched FP32, unmatched INT8). */
  maxBoxDiff: number;
  /** Over all frames: least share of FP32 boxes with a matched INT8 box. */
  minRecall: number;
}

/** One row of validation.json. Deterministic: no timings (those go to timings.json). */
export interface FrameVerdict {
  id: string;
  fp32Count: number;
  int8Count: number;
  matched: number;
  /** FP32 boxes without an INT8 match. */
  missed: number;
  /** INT8 boxes without an FP32 match. */
  extra: number;
  /** max(missed, extra): how many boxes differ (≥ the count difference). */
  boxDiff: number;
  maxAbsHeatmapDiff: number;
  pass: boolean;
  /** Why the frame fails (absent when it passes). */
  reason?: string;
}

/** Judges one frame against the per-frame criterion. */
export function judgeFrame(f: NativeFrame, c: GateCriteria): FrameVerdict {
  const a = unpackBoxes(f.fp32);
  const b = unpackBoxes(f.int8);
  const m = matchBoxes(a, b);
  const boxDiff = Math.max(m.missed, m.extra);
  const pass = boxDiff <= c.maxBoxDiff;
  return {
    id: f.id,
    fp32Count: a.length,
    int8Count: b.length,
    ...m,
    boxDiff,
    maxAbsHeatmapDiff: f.maxAbsHeatmapDiff,
    pass,
    ...(pass ? {} : {reason: `${boxDiff} boxes differ (${m.missed} FP32 unmatched, ${m.extra} INT8 unmatched) > maxBoxDiff ${c.maxBoxDiff}`}),
  };
}

/** How far a target is from failing, per criterion (positive = passing with room). */
export interface GateMargins {
  boxDiff: {threshold: number; worst: number; worstFrame: string; margin: number};
  /** `boxes`: how many more FP32 boxes could go unmatched before the recall criterion fails. */
  recall: {threshold: number; value: number; margin: number; boxes: number};
}

/** Recall of matched boxes over all frames and the margins of both criteria. */
export function margins(frames: FrameVerdict[], c: GateCriteria): GateMargins {
  const worst = frames.reduce((w, f) => (f.boxDiff > w.boxDiff ? f : w), frames[0]!);
  const fp32 = frames.reduce((s, f) => s + f.fp32Count, 0);
  const matched = frames.reduce((s, f) => s + f.matched, 0);
  const value = fp32 === 0 ? 1 : matched / fp32;
  // Largest k with (matched - k) / fp32 ≥ minRecall; the epsilon keeps 0.9 × 80 = 72 exact.
  const boxes = fp32 === 0 ? 0 : Math.floor(matched - c.minRecall * fp32 + 1e-9);
  return {
    boxDiff: {threshold: c.maxBoxDiff, worst: worst.boxDiff, worstFrame: worst.id, margin: c.maxBoxDiff - worst.boxDiff},
    recall: {threshold: c.minRecall, value, margin: value - c.minRecall, boxes},
  };
}

/** Worst first: most boxes differing, then largest count gap, then largest heatmap gap. */
export function worstFirst(frames: FrameVerdict[]): FrameVerdict[] {
  return [...frames].sort(
    (p, q) =>
      q.boxDiff - p.boxDiff ||
      Math.abs(q.fp32Count - q.int8Count) - Math.abs(p.fp32Count - p.int8Count) ||
      q.maxAbsHeatmapDiff - p.maxAbsHeatmapDiff,
  );
}
