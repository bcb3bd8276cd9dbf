/**
 * Per-frame comparison of FP32 and INT8 detections: counts, recall (an FP32 box is covered when
 * an INT8 box of the same class lies within 1 m in BEV) and the pass/fail verdict.
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

/** BEV distance within which an INT8 box covers an FP32 box of the same class. */
export const MATCH_RADIUS_M = 1;

/** Share of reference boxes covered by a candidate box; 1 when there is nothing to cover. */
export function recall(reference: Box[], candidate: Box[]): number {
  if (reference.length === 0) return 1;
  const r2 = MATCH_RADIUS_M * MATCH_RADIUS_M;
  const covered = reference.filter((a) =>
    candidate.some((b) => b.label === a.label && (a.x - b.x) ** 2 + (a.y - b.y) ** 2 <= r2),
  ).length;
  return covered / reference.length;
}

/** Pass criteria (CLI `--max-count-diff`, `--min-recall`). */
export interface GateCriteria {
  maxCountDiff: number;
  minRecall: number;
}

/** One row of validation.json. */
export interface FrameVerdict {
  id: string;
  fp32Count: number;
  int8Count: number;
  recall: number;
  maxAbsHeatmapDiff: number;
  pass: boolean;
  timingsMs: {load: number; fp32: number; int8: number; decode: number; compare: number};
}

/** Judges one frame. */
export function judgeFrame(f: NativeFrame, c: GateCriteria): FrameVerdict {
  const a = unpackBoxes(f.fp32);
  const b = unpackBoxes(f.int8);
  const r = recall(a, b);
  return {
    id: f.id,
    fp32Count: a.length,
    int8Count: b.length,
    recall: r,
    maxAbsHeatmapDiff: f.maxAbsHeatmapDiff,
    pass: Math.abs(a.length - b.length) <= c.maxCountDiff && r >= c.minRecall,
    timingsMs: {load: f.loadMs, fp32: f.fp32Ms, int8: f.int8Ms, decode: f.decodeMs, compare: f.compareMs},
  };
}

/** Worst first: largest count gap, then lowest recall, then largest heatmap gap. */
export function worstFirst(frames: FrameVerdict[]): FrameVerdict[] {
  return [...frames].sort(
    (p, q) =>
      Math.abs(q.fp32Count - q.int8Count) - Math.abs(p.fp32Count - p.int8Count) ||
      p.recall - q.recall ||
      q.maxAbsHeatmapDiff - p.maxAbsHeatmapDiff,
  );
}
