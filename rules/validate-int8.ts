/**
 * Argv for the native INT8-vs-FP32 gate (native/validate-cli.ts). The rule wiring (inputs,
 * outputs, fingerprint) is the lead's; this only turns rule params into the CLI's flags.
 */
import {createRequire} from 'node:module';
import {fileURLToPath, pathToFileURL} from 'node:url';

/** Params of the validate-int8 rule. */
export interface ValidateInt8Params {
  /** Directory with bevbuild_native.node (the native build artifact's output). */
  addonDir: string;
  /** FP32 chain (Pipeline A: fuser, head; Pipeline B: the unified model). */
  fp32: string[];
  /** INT8 chain, same stages. */
  int8: string[];
  framesDir: string;
  preset: 'kitti' | 'v2x';
  /** Constant inputs, e.g. {indices: 'geometry/indices.bin'}. */
  consts?: Record<string, string>;
  device?: string;
  scoreThreshold?: number;
  /** Labels removed from the output; [] disables the filter (deploy default 7, 8). */
  filterLabels?: number[];
  /** Per frame: most boxes that may differ (unmatched FP32 or INT8 boxes); default 0. */
  maxBoxDiff?: number;
  /** Over all frames: least share of FP32 boxes matched by an INT8 box; default 0. */
  minRecall?: number;
  outDir: string;
}

const cli = fileURLToPath(new URL('../native/validate-cli.ts', import.meta.url));
/** tsx's loader by absolute URL: a bare `--import tsx` resolves from the cwd, which may be anywhere. */
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

/** Full argv (node first) that runs the gate; exit 0 pass, 1 frames fail, 2 bad input. */
export function validatorArgv(p: ValidateInt8Params): string[] {
  const argv = [process.execPath, '--import', tsx, cli, '--addon', p.addonDir, '--fp32', p.fp32.join(','), '--int8', p.int8.join(','), '--frames', p.framesDir, '--preset', p.preset];
  // Sorted so the argv (and anything keyed by it) does not depend on object key order.
  for (const [name, file] of Object.entries(p.consts ?? {}).sort(([a], [b]) => a.localeCompare(b))) argv.push('--const', `${name}=${file}`);
  if (p.device) argv.push('--device', p.device);
  if (p.scoreThreshold !== undefined) argv.push('--score-threshold', String(p.scoreThreshold));
  if (p.filterLabels) argv.push('--filter-labels', p.filterLabels.length ? p.filterLabels.join(',') : 'none');
  if (p.maxBoxDiff !== undefined) argv.push('--max-box-diff', String(p.maxBoxDiff));
  if (p.minRecall !== undefined) argv.push('--min-recall', String(p.minRecall));
  argv.push('--out', p.outDir);
  return argv;
}
