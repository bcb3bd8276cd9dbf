/**
 * What each TAO action must leave behind for its run to count (reference §3.5 `artifactsOk`, §4,
 * §5): the status lines alone are not enough — a success line can precede a crash that lost files,
 * and the train KPI line does not prove the checkpoint exists.
 */
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';

export interface ArtifactReport {
  problems: string[];
  /** train: epochs whose `epoch_E.pth` exists. */
  savedEpochs?: number[];
  /** evaluate: the flat TAO3D metrics dict. */
  metrics?: Record<string, number>;
  /** inference: number of prediction files. */
  predictions?: number;
}

const nonEmptyFile = (p: string) => existsSync(p) && statSync(p).isFile() && statSync(p).size > 0;

/** `epoch_<num_epochs>.pth` (mmengine names them unpadded; there is no latest/best file, §4.1). */
export function trainArtifacts(dir: string, numEpochs: number): ArtifactReport {
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const savedEpochs = names.flatMap((n) => /^epoch_(\d+)\.pth$/.exec(n)?.[1] ?? []).map(Number).sort((a, b) => a - b);
  const want = `epoch_${numEpochs}.pth`;
  return {problems: nonEmptyFile(join(dir, want)) ? [] : [`${want} missing (saved: ${savedEpochs.map((e) => `epoch_${e}.pth`).join(', ') || 'none'})`], savedEpochs};
}

const METRIC = /^TAO3D metric\/pred_instances_3d\/TAO3D\/\w+_(3D|BEV|2D)_AP(11|40)_/;

/** The mmengine test-metric dump `<ts>/<ts>.json` with TAO3D keys (§4.2): status.json has no KPI for evaluate. */
export function evaluateArtifacts(dir: string): ArtifactReport {
  const runs = existsSync(dir) ? readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n) && existsSync(join(dir, n, `${n}.json`))).sort() : [];
  const last = runs.at(-1);
  if (!last) return {problems: ['no metrics dump <YYYYMMDD_HHMMSS>/<YYYYMMDD_HHMMSS>.json']};
  const metrics: Record<string, number> = {};
  // mmengine appends one JSON object per line; the test epoch's dict holds the metrics.
  for (const line of readFileSync(join(dir, last, `${last}.json`), 'utf8').split('\n')) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(line) as Record<string, unknown>)) if (METRIC.test(k) && typeof v === 'number') metrics[k] = v;
    } catch {
      // not a JSON line
    }
  }
  return Object.keys(metrics).length ? {problems: [], metrics} : {problems: [`${last}/${last}.json has no TAO3D AP metrics`]};
}

/** `preds/<frame>.json`, one per frame (§4.3); `expectedFrames` when the split is known. */
export function inferenceArtifacts(dir: string, expectedFrames: number | undefined): ArtifactReport {
  const preds = join(dir, 'preds');
  const n = existsSync(preds) ? readdirSync(preds).filter((f) => f.endsWith('.json')).length : 0;
  if (n === 0) return {problems: ['no preds/*.json'], predictions: 0};
  if (expectedFrames !== undefined && n !== expectedFrames) return {problems: [`preds/ has ${n} files, expected ${expectedFrames} (one per frame)`], predictions: n};
  return {problems: [], predictions: n};
}

/** KITTI ids of an ImageSets split file (ints, one per line), 6-digit zero-padded as the converter expects (§5). */
export function splitIds(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((id) => id.padStart(6, '0'));
}

/** The info pkls and a reduced cloud per train/val id (§5, mode training). */
export function convertArtifacts(root: string, prefix: string, ids: string[]): ArtifactReport {
  const problems = ['train', 'val', 'trainval'].map((s) => `${prefix}_infos_${s}.pkl`).filter((f) => !nonEmptyFile(join(root, f))).map((f) => `${f} missing`);
  const reduced = join(root, 'training', 'velodyne_reduced');
  const missing = ids.filter((id) => !existsSync(join(reduced, `${id}.bin`)));
  if (missing.length) problems.push(`training/velodyne_reduced lacks ${missing.length} of ${ids.length} clouds (first: ${missing[0]}.bin)`);
  return {problems};
}
