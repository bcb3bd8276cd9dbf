/**
 * What every rule for Intel's Intermediate Fusion training tools shares (reference
 * intel-intermediate-fusion.md §1–§3): the tools run with cwd = the training dir `T` of the repo
 * (`repo` here), in a toolchain (bevEnv or spconvEnv), and read a torchpack config whose whole
 * `default.yaml` chain is an input. The demo toolchain in `demo/training` has the same layout, so
 * the same rules drive both; only these params differ.
 */
import {existsSync} from 'node:fs';
import {dirname, isAbsolute, join, relative, resolve} from 'node:path';
import {fail, ok, z, type Result} from '../../src/index.ts';
import {nodeTool, toolPath} from './node-tool.ts';

export const repoParams = {
  /** The training dir `T` of the repo (workspace-relative or absolute): the tools' cwd. */
  repo: z.string().min(1),
  /** Artifact id of the toolchain the tool runs in (bevEnv for data/train/export, spconvEnv for quantize_unified). */
  env: z.string().min(1),
  /**
   * The repo's own code the tools import (globs such as `<repo>/mmdet3d/**\/*.py`): an implicit
   * input of every tool (§9.5), so a model-code edit re-runs what it affects.
   */
  code: z.array(z.string()).default([]),
};

/**
 * CUDA devices a bevEnv tool gets. Every training/export/dump/Pipeline-A quantize script calls
 * `.cuda()` (reference §1.1) and dies with "No CUDA GPUs are available" when the engine hides the
 * GPUs, so the safe default is 1. Only a CPU-only toolchain (the embedded demo's) says 0.
 */
export const cudaParams = {
  gpus: z.number().int().nonnegative().default(1),
};

/** The `resources` of a CUDA tool: its GPUs and one cpu slot. */
export const cudaResources = (p: {gpus: number}) => ({cpu: 1, gpu: p.gpus});

/** Params of every tool that loads a model: its leaf config, the exact checkpoint, the dataset files it reads. */
export const modelParams = {
  ...repoParams,
  ...cudaParams,
  /** Leaf config relative to the repo (the tools' cwd). */
  config: z.string(),
  /** The exact `epoch_N.pth` (workspace path) the tool loads. */
  checkpoint: z.string(),
  /** Dataset files the tool reads through the config (infos .pkl, sensor dirs). */
  data: z.array(z.string()).default([]),
};

/**
 * Inputs of a model-loading tool: the repo code, the script(s), the whole config chain, the
 * checkpoint and the data — the implicit edges of §9.5 made explicit.
 */
export function modelToolInputs(
  p: {repo: string; code: string[]; config: string; checkpoint: string; data: string[]},
  scripts: string[],
  root: string,
): string[] {
  return [...p.code, ...scripts.map((s) => inRepo(p.repo, s)), ...configChain(p.repo, p.config, root), p.checkpoint, ...p.data];
}

/** A path given relative to the repo (`configs/…`, `tools/train.py`) as seen from the workspace. */
export function inRepo(repo: string, p: string): string {
  return isAbsolute(p) ? p : join(repo, p);
}

/**
 * The torchpack chain of a leaf config (§2.1): the leaf and every `default.yaml` of its directory
 * and ancestors up to the repo, root-first merge order reversed here (leaf first). Files that do not
 * exist are skipped by torchpack, so only existing ones are inputs — a chain file created later is
 * picked up at the next analysis. Editing any of them re-keys exactly the nodes using this leaf.
 */
export function configChain(repo: string, leaf: string, workspaceRoot: string): string[] {
  const out = [inRepo(repo, leaf)];
  const repoAbs = resolve(workspaceRoot, repo);
  let dir = dirname(resolve(repoAbs, leaf));
  // Up to and including the repo itself: torchpack also reads `./default.yaml` of the cwd (= the
  // repo), so a stray one there is inherited by every config (pitfall 6) and must key them.
  while (dir.startsWith(repoAbs)) {
    const d = join(dir, 'default.yaml');
    if (existsSync(d) && d !== resolve(repoAbs, leaf)) out.push(relativeOrAbs(workspaceRoot, d));
    if (dir === repoAbs) break;
    dir = dirname(dir);
  }
  return out;
}

function relativeOrAbs(root: string, p: string): string {
  const r = relative(root, p);
  return r.startsWith('..') ? p : r;
}

/** `--a.b.c VALUE` pairs for tools that take torchpack overrides (train.py, inference_vis.py; §2.3). */
export function overrideArgs(overrides: Record<string, string | number | boolean>): string[] {
  return Object.keys(overrides)
    .sort()
    .flatMap((k) => [`--${k}`, String(overrides[k])]);
}

/**
 * Pitfall 2: every export/quantize script loads checkpoints with `strict=False`, so a config that
 * does not match the checkpoint only *warns* and leaves weights random. Fail the node instead.
 * `encoders.camera.vtransform.cx` is the one key the real exporters legitimately miss.
 */
export function checkNoMissingKeys(log: string): Result<void> {
  const lines = log.split('\n');
  const bad = lines.filter((l) => /missing keys|size mismatch|unexpected key/i.test(l) && !/vtransform\.cx\b/.test(l) && !/missing keys[^:]*:\s*(\[\]|none)?\s*$/i.test(l));
  if (bad.length) {
    return fail('checkpoint-mismatch', 'the checkpoint does not match the config (strict=False load reported missing/unexpected keys); the exported model would have random weights', {details: bad.slice(0, 10)});
  }
  return ok(undefined);
}

export const splitSchema = z.enum(['train', 'val']);

/** The config guard wrapper (an input of every node using it). */
export const GUARD = toolPath(import.meta.url, './tools/guard-config.ts');
export const BEVPOOL_KEY = 'model.encoders.camera.vtransform.use_bevpool';

/**
 * Pitfall 1: Pipeline B needs a bevpoolv2-trained checkpoint, and the unified exporter emits
 * BevPoolV2 whatever the checkpoint is. Argv prefix that runs the tool only if `src` resolves
 * `use_bevpool` to `bevpoolv2` (unset means V2XTransform's default, bevpoolv1): `config` — the chain
 * as torchpack resolves it from the tool's cwd (before training); `resolved` — the merged
 * `configs.yaml` train.py dumped next to the checkpoint (before export).
 */
export function bevpoolV2Guard(src: {config: string} | {resolved: string}): string[] {
  const fix = 'Pipeline B trains the …/resnet34/bevpoolv2.yaml leaf (or an intel/config-override of it), which sets use_bevpool: bevpoolv2 and depth_threshold: 0; retrain with it';
  return [...nodeTool(GUARD), ...('config' in src ? ['--config', src.config] : ['--resolved', src.resolved]), '--key', BEVPOOL_KEY, '--expect', 'bevpoolv2', '--unset', 'bevpoolv1', '--fix', fix, '--'];
}
