/**
 * `tools/train.py <config> --run-dir DIR [--no-dist] [--key value…]` (reference §3.1). Hands over
 * an **exact** `epoch_N.pth` (never `latest.pth`, a moving symlink), keyed by the exact leaf
 * config and its whole default.yaml chain (pitfall 1: a bevpoolv1 checkpoint is not a bevpoolv2 one).
 * Multi-GPU runs use `torchpack dist-run -np N` (with validation); single process uses `--no-dist`.
 * Resumable: an interrupted run continues from its last complete `epoch_N.pth` with the torchpack
 * override `--resume_from PATH` (mmcv's `resume_from`: epoch, iteration, optimizer state).
 */
import {DEFAULT_EXECUTOR, defineRule, executorParam, z} from '../../src/index.ts';
import {bevpoolV2Guard, configChain, GUARD, inRepo, overrideArgs, repoParams} from './common.ts';

export const trainParams = z
  .object({
    ...repoParams,
    /** Leaf config relative to the repo, e.g. `configs/Kitti/det/centerhead/secfpn/camera+lidar/resnet34/bevpoolv2.yaml`. */
    config: z.string().regex(/\.yaml$/),
    /** Workspace-relative run dir, e.g. `<repo>/work_dirs/Kitti/bevpoolv2`: one per (pipeline, dataset). */
    runDir: z.string(),
    /** Train this many epochs (`--max_epochs`) and hand over `epoch_<epochs>.pth`. */
    epochs: z.number().int().positive(),
    /** Extra torchpack overrides (`--a.b value`); they are params, so they key the checkpoint. */
    overrides: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    /** Dataset files the config reads (infos .pkl, sensor dirs): declared so a data change retrains. */
    data: z.array(z.string()).default([]),
    /** Other implicit inputs, e.g. the pretrained `model/resnet34-333f7ec4.pth`. */
    extraInputs: z.array(z.string()).default([]),
    /** 1 = one GPU, `--no-dist` (default: train.py needs CUDA); N > 1 = `torchpack dist-run -np N`; 0 only for a CPU-only toolchain (the demo). */
    gpus: z.number().int().nonnegative().default(1),
    /** Pipeline B: refuse to train unless the resolved chain sets `use_bevpool: bevpoolv2` (pitfall 1). */
    bevpoolV2: z.boolean().default(false),
    torchpack: z.string().default('torchpack'),
    executor: executorParam.default(DEFAULT_EXECUTOR),
  })
  .strict();

export const train = defineRule({
  name: 'intel/train',
  version: 1,
  description: 'tools/train.py → exact epoch_N.pth',
  params: trainParams,
  toolchain: (p) => p.env,
  inputs: (p, ctx) => [...p.code, inRepo(p.repo, 'tools/train.py'), ...configChain(p.repo, p.config, ctx.root), ...p.data, ...p.extraInputs, ...(p.bevpoolV2 ? [GUARD] : [])],
  outputs: (p) => [`${p.runDir}/epoch_${p.epochs}.pth`, `${p.runDir}/configs.yaml`],
  semantic: (p) => ({[`${p.runDir}/epoch_${p.epochs}.pth`]: 'checkpoint', [`${p.runDir}/configs.yaml`]: 'config-dump'}),
  nondeterministic: 'configs.yaml records run_dir, the per-run staging path train.py wrote into',
  cwd: (p) => p.repo,
  resources: (p) => ({cpu: 2, gpu: p.gpus}),
  executor: (p) => p.executor,
  slurm: (p) => ({gpusPerNode: p.gpus, cpusPerTask: 8}),
  // mmcv writes epoch_N.pth, then points latest.pth (a symlink) at it: that one is complete.
  resume: (p) => ({dir: p.runDir, checkpoint: {prefix: 'epoch_', suffix: '.pth', pointer: 'latest.pth'}, args: (ckpt) => ['--resume_from', ckpt.path]}),
  argv: (p, ctx) => {
    const runDir = ctx.outDir(p.runDir);
    const tool = [ctx.python(), 'tools/train.py', p.config, '--run-dir', runDir];
    const overrides = overrideArgs({...p.overrides, max_epochs: p.epochs});
    const guard = p.bevpoolV2 ? bevpoolV2Guard({config: p.config}) : [];
    return p.gpus > 1 ? [...guard, p.torchpack, 'dist-run', '-np', String(p.gpus), ...tool, ...overrides] : [...guard, ...tool, '--no-dist', ...overrides];
  },
});
