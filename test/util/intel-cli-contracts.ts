/**
 * Machine-readable descriptions of the real CLIs of Intel's Intermediate Fusion tools and deploy
 * binaries, written from the reference (intel-intermediate-fusion.md §3 argparse tables, §4 usage
 * strings of the WD snapshot). Contract tests run every Intel rule's argv for the example workspace
 * through them: a flag the real tool does not have, a missing required flag, a value outside
 * `choices` or a wrong number of positionals fails before any real run would.
 *
 * Built on the generic checker (test/util/cli-contract.ts); Intel's tools need four additions,
 * handled here around it: `nargs: '+'` lists (argparse), torchpack `overrides` (train.py and
 * inference_vis.py hand unknown `--a.b VALUE` pairs to the config), mutually `exclusive` groups,
 * and `rejected` flags the tool has but refuses (WD's `--fp32`).
 */
import {parseArgv, type CliDesc, type FlagDesc} from './cli-contract.ts';

/** An Intel CLI: the generic description plus argparse/torchpack specifics. */
export interface IntelContract extends CliDesc {
  /** Script path relative to the training dir, `-m <module>`, or the binary name. */
  program: string;
  /** Flags taking one or more values (`nargs='+'`). */
  nargsPlus?: readonly string[];
  /** Unknown `--key VALUE` pairs are torchpack config overrides (every one must carry a value). */
  overrides?: boolean;
  exclusive?: readonly (readonly string[])[];
  /** Flags the tool knows but refuses, with why. */
  rejected?: Readonly<Record<string, string>>;
}

const v = (extra: Partial<FlagDesc> = {}): FlagDesc => ({takesValue: true, ...extra});
const b = (extra: Partial<FlagDesc> = {}): FlagDesc => ({takesValue: false, ...extra});
const isFlag = (t: string | undefined) => t !== undefined && /^-[A-Za-z-]/.test(t);

/** Checks `args` (the tokens after the program) against a contract; returns the problems. */
export function checkArgv(c: IntelContract, args: readonly string[]): string[] {
  const problems: string[] = [];
  const known = new Set(Object.entries(c.flags).flatMap(([n, f]) => [n, ...(f.aliases ?? [])]));
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const tok = args[i]!;
    const flag = tok.split('=')[0]!;
    if (isFlag(tok) && !known.has(flag) && c.overrides && /^--[A-Za-z_][\w.]*$/.test(flag)) {
      if (tok.includes('=')) continue;
      if (isFlag(args[i + 1]) || args[i + 1] === undefined) problems.push(`config override ${flag} has no value`);
      else i++;
      continue;
    }
    kept.push(tok);
    if (c.nargsPlus?.includes(flag) && !tok.includes('=')) {
      if (args[i + 1] !== undefined && !isFlag(args[i + 1])) kept.push(args[++i]!);
      while (args[i + 1] !== undefined && !isFlag(args[i + 1])) i++; // further list values
    }
  }
  const parsed = parseArgv({...c, program: c.program.slice(c.program.lastIndexOf('/') + 1)}, [c.program, ...kept]);
  problems.push(...parsed.problems);
  for (const [flag, why] of Object.entries(c.rejected ?? {})) if (parsed.flags.has(flag)) problems.push(`${flag}: ${why}`);
  for (const group of c.exclusive ?? []) {
    const used = group.filter((f) => parsed.flags.has(f));
    if (used.length > 1) problems.push(`${used.join(' and ')} are mutually exclusive`);
  }
  return problems;
}

const ppCommon = {'--config': v(), '--ckpt': v()};
const quantizeStage = (name: string): IntelContract => ({
  program: `export/pointpillars/quantize_${name}.py`,
  positionals: {min: 0, max: 0},
  flags: {...ppCommon, '--onnx': v(), '--out': v(), '--num-samples': v(), '--split': v({choices: ['val', 'train']})},
});

/** Contracts by program (a script path relative to the training dir, a module, or a binary name). */
export const INTEL_CONTRACTS: Record<string, IntelContract> = Object.fromEntries(
  [
    {program: 'tools/train.py', positionals: {min: 1, max: 1}, overrides: true, flags: {'--run-dir': v(), '--no-dist': b()}},
    {
      program: 'tools/inference_vis.py',
      positionals: {min: 2, max: 2},
      overrides: true,
      nargsPlus: ['--bbox-classes'],
      flags: {'--split': v({choices: ['train', 'val']}), '--mode': v({choices: ['gt', 'pred']}), '--bbox-classes': v(), '--bbox-score': v(), '--map-score': v(), '--out-dir': v()},
    },
    {program: 'tools/convert_kitti_to_v2x_format.py', positionals: {min: 0, max: 0}, flags: {'--src-root': v(), '--dst-root': v()}},
    {program: 'tools/create_data.py', positionals: {min: 1, max: 1, choices: {0: ['kitti']}}, flags: {'--root-path': v(), '--out-dir': v(), '--extra-tag': v(), '--with-plane': b()}},
    {program: '-m scripts.data_converter.dair2kitti', positionals: {min: 0, max: 0}, flags: {'--source-root': v(), '--target-root': v(), '--split-path': v(), '--temp-root': v()}},
    {
      program: 'export/precompute_geometry.py',
      positionals: {min: 2, max: 2},
      flags: {'--from-dataset': b(), '--data-path': v(), '--split': v({choices: ['train', 'val']}), '--sample-idx': v(), '--output-dir': v({aliases: ['-o']})},
      exclusive: [['--from-dataset', '--data-path']],
    },
    {
      program: 'export/export_unified_onnx.py',
      positionals: {min: 2, max: 2},
      flags: {'--output': v({aliases: ['-o']}), '--batch-size': v(), '--output-bound': v(), '--geometry-dir': v({required: true})},
    },
    {program: 'export/dump_voxels.py', positionals: {min: 2, max: 2}, flags: {'--output-dir': v({aliases: ['-o']}), '--num-frames': v(), '--split': v({choices: ['train', 'val', 'test']})}},
    {
      program: 'export/quantize_unified.py',
      positionals: {min: 0, max: 0},
      flags: {
        '--stage': v({choices: ['pseudo-gt', 'pseudo-gt-chunk', 'quantize', 'all']}),
        '--smoke': b(), '--config': v(), '--n-calib': v(), '--n-val': v(), '--max-drop': v(), '--device': v(),
        '--model-fp32': v(), '--output': v(), '--geo-dir': v(), '--calib-dir': v(), '--pseudo-gt-cache': v(),
        '--chunk-size': v(), '--ranking-subset-size': v(), '--max-restore-iters': v(), '--plain-ptq': b(),
        '--preset': v({choices: ['performance', 'mixed']}), '--extra-ignored-names': v(), '--extra-ignored-patterns': v(),
        '--activation-range': v({choices: ['minmax', 'mean_minmax', 'median_minmax', 'mean_no_outliers', 'mean_quantile', 'histogram']}),
        '--quantile-outlier-prob': v(), '--chunk-fids': v(), '--chunk-output': v(),
      },
    },
    {program: 'export/pointpillars/export_all.py', positionals: {min: 0, max: 0}, flags: {...ppCommon, '--out-dir': v(), '--python': v()}},
    {program: 'export/pointpillars/export-lidar.py', positionals: {min: 0, max: 0}, flags: {...ppCommon, '--output': v({aliases: ['-o']}), '--split': v({choices: ['val', 'train', 'test']}), '--opset': v(), '--fixed-v': v()}},
    {program: 'export/pointpillars/quantize_all.py', positionals: {min: 0, max: 0}, flags: {...ppCommon, '--onnx-dir': v(), '--out-dir': v(), '--num-samples': v(), '--python': v()}},
    ...['camera_backbone', 'lidar_pfe', 'fuser', 'head'].map(quantizeStage),
    {
      program: 'bevfusion',
      positionals: {min: 1, max: 1},
      flags: {
        '--preset': v({choices: ['v2x', 'dair-v2x', 'V2X', 'kitti', 'KITTI', 'kitti360', 'KITTI360']}), '--model-dir': v(), '--device': v(), '--num-samples': v(), '--repeat': v(),
        '--vis': b(), '--save-image': b(), '--save-video': b(), '--display': b(), '--util': b(), '--dump-pred': b({aliases: ['--acc']}), '--pred-dir': v(), '--vis-dir': v(),
        '--int8': b(), '--fp16': b(), '--int8-camera': b(), '--int8-pfe': b(), '--int8-fuser': b(), '--int8-head': b(),
        '--bbox-score': v(), '--filter-labels': v(), '--no-filter': b(), '--calib-resync': v({choices: ['auto', 'always', 'off']}),
        '--fp32': b(),
      },
      rejected: {'--fp32': 'WD aborts: "--fp32 was renamed to --fp16 for bevfusion" (pitfall 24)'},
    },
    {
      program: 'bevfusion_unified',
      positionals: {min: 1, max: 1},
      flags: {
        '--preset': v({choices: ['v2x', 'dair-v2x', 'V2X', 'kitti', 'KITTI', 'kitti360', 'KITTI360']}), '--model': v({aliases: ['--onnx']}), '--fp16': b(),
        '--vis': b({aliases: ['--visualize']}), '--save-image': b(), '--save-video': b(), '--display': b(), '--util': b(), '--repeat': v(), '--num-samples': v(),
        '--dump-pred': b({aliases: ['--acc']}), '--pred-dir': v(), '--vis-dir': v(), '--recompute-camera-metas': b(), '--cache-camera-metas': b(),
        '--bbox-score': v(), '--filter-labels': v(), '--no-filter': b(),
      },
    },
  ].map((c: IntelContract) => [c.program, c]),
);

/** Interpreter flags that may precede the script (`python -u script.py`). */
const PY_FLAGS = new Set(['-u', '-B', '-E', '-s']);

/**
 * Splits a resolved argv into the Intel program it runs and that program's arguments: a Python
 * tool (`<python> [-u] <script> …` or `<python> -m <module> …`, optionally behind
 * `torchpack dist-run -np N`), or a deploy binary behind the run wrapper (`… -- <binary> …`).
 */
export function splitProgram(argv: readonly string[]): {program: string; args: string[]} | undefined {
  const dash = argv.indexOf('--');
  // The config guard (pitfall 1) runs the tool after `--`.
  if (dash >= 0 && argv.slice(0, dash).some((a) => a.endsWith('guard-config.ts'))) return splitProgram(argv.slice(dash + 1));
  // create-data-kitti's view mode: bash -c VIEW create-data-view <root> <view> <python> <script> <tag> runs
  // `<python> <script> kitti --root-path <view> --out-dir <view> --extra-tag <tag>`.
  if (argv[0] === 'bash' && argv[3] === 'create-data-view') {
    return {program: argv[7]!, args: ['kitti', '--root-path', argv[5]!, '--out-dir', argv[5]!, '--extra-tag', argv[8]!]};
  }
  if (dash >= 0 && argv.slice(0, dash).some((a) => a.endsWith('run-binary.ts'))) {
    const bin = argv[dash + 1];
    return bin ? {program: bin.slice(bin.lastIndexOf('/') + 1), args: argv.slice(dash + 2)} : undefined;
  }
  let i = argv[1] === 'dist-run' ? argv.indexOf('-np') + 2 : 0;
  i++; // the interpreter
  while (PY_FLAGS.has(argv[i] ?? '')) i++;
  if (argv[i] === '-m') return {program: `-m ${argv[i + 1]}`, args: argv.slice(i + 2)};
  const script = argv[i];
  return script && script.endsWith('.py') ? {program: script, args: argv.slice(i + 1)} : undefined;
}
