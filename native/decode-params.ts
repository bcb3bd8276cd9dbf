/**
 * Deploy post-processing parameters (reference §5, §6) and the two dataset presets. The addon
 * takes this normalised object as is; every field is always present.
 */

/** Everything decode + NMS needs, field for field what native/src/decode.h reads. */
export interface DecodeParams {
  /** pc_range min x, y: BEV cell (0, 0) starts here. */
  pcMin: [number, number];
  /** out_size_factor × voxel_size per axis (0.8 m in every deploy preset). */
  cellSize: [number, number];
  /** post_center_limit_range, inclusive. */
  postCenterMin: [number, number, number];
  postCenterMax: [number, number, number];
  scoreThreshold: number;
  topkPerClass: number;
  maxTopk: number;
  /** Task 0 circle NMS: squared BEV distance that suppresses. */
  circleR2: number;
  /** Task 1 rotated NMS: IoU that suppresses. */
  iouThreshold: number;
  /** Task 1 per-local-class scale on l and w before the IoU. */
  nmsScale: [number, number, number, number, number];
  /** Task 1 candidates entering rotated NMS; 0 = the deploy default of the pipeline the gate
   * detects (split 200, unified 1000). `decode` needs an explicit value. */
  preMax: number;
  postMax: number;
  /** Labels removed from the output (deploy default 7, 8 = bicycle, pedestrian). */
  filterLabels: number[];
}

/** Deploy class names by label (task 0: labels 0–4, task 1: 5–9), as in `--dump-pred` files. */
export const CLASS_NAMES = ['Car', 'Truck', 'Construction_vehicle', 'Bus', 'Trailer', 'Barrier', 'Motorcycle', 'Bicycle', 'Pedestrian', 'Trafficcone'] as const;

/** A label from its id or its class name (case-insensitive), like the deploy `--filter-labels`; NaN if neither. */
export function parseLabel(token: string): number {
  const i = CLASS_NAMES.findIndex((n) => n.toLowerCase() === token.trim().toLowerCase());
  return i >= 0 ? i : /^\d+$/.test(token.trim()) ? Number(token) : NaN;
}

/** Dataset presets of the deploy binaries. */
export type PresetName = 'kitti' | 'v2x';

const common = {
  cellSize: [0.8, 0.8],
  topkPerClass: 500,
  maxTopk: 500,
  circleR2: 4.0,
  iouThreshold: 0.2,
  nmsScale: [1, 1, 1, 2.5, 4.0],
  // Chosen per pipeline by the gate: split 200 (truncates up to 500 candidates), unified 1000.
  preMax: 0,
  postMax: 83,
  filterLabels: [7, 8],
} satisfies Partial<DecodeParams>;

/** The deploy presets (`D/src/pipeline/dataset_preset.cpp`). */
export const presets: Record<PresetName, DecodeParams> = {
  kitti: {
    ...common,
    pcMin: [0, -40],
    postCenterMin: [0, -45, -5],
    postCenterMax: [85, 45, 3],
    scoreThreshold: 0.5,
  },
  v2x: {
    ...common,
    pcMin: [0, -51.2],
    postCenterMin: [0, -51.2, -5],
    postCenterMax: [102.4, 51.2, 3],
    scoreThreshold: 0.1,
  },
};

/** A preset with some fields replaced (CLI `--score-threshold`, `--filter-labels`, tests). */
export function resolveParams(preset: PresetName, overrides: Partial<DecodeParams> = {}): DecodeParams {
  const base = presets[preset];
  return {...base, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined))};
}
