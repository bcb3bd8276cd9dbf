/**
 * What bevbuild hands to SLURM: a self-contained batch script (the node's command, cwd and
 * environment, nothing that needs the graph on the compute node) and the `sbatch` flags for
 * the node's resources. Pure functions, so they are unit-tested without a cluster.
 */
import {basename} from 'node:path';
import type {ExecJob} from './job.ts';
import {shellQuote} from '../shell-quote.ts';
import {resumeSbatchArgs, resumeScriptLines} from './slurm-resume.ts';


/**
 * Variables SLURM sets inside the allocation and bevbuild must not override: the local GPU
 * pool's `CUDA_VISIBLE_DEVICES` means nothing on a compute node, where SLURM assigns devices.
 */
const SLURM_OWNED = /^(SLURM_|SBATCH_|CUDA_VISIBLE_DEVICES$|GPU_DEVICE_ORDINAL$)/;

/**
 * The batch script for `job`. It is submitted with `--export=NONE`, so the job sees exactly
 * `job.env` (plus SLURM's own variables), not the submitting shell's environment.
 */
export function batchScript(job: ExecJob): string {
  if (job.argv.length === 0) throw new Error(`batchScript: empty argv for ${job.nodeId}`);
  const lines = ['#!/bin/bash', `# bevbuild ${job.nodeId} (run ${job.runId})`];
  // Steps started inside the job (srun, mpirun via torchpack) inherit this environment rather
  // than sbatch's --export=NONE.
  lines.push('export SLURM_EXPORT_ENV=ALL');
  for (const [k, v] of Object.entries(job.env).sort(([a], [b]) => a.localeCompare(b))) {
    if (SLURM_OWNED.test(k)) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) continue; // not expressible in a shell; no tool reads such names
    lines.push(`export ${k}=${shellQuote(v)}`);
  }
  lines.push(`cd ${shellQuote(job.cwd)} || exit 97`);
  if (job.resume) lines.push(...resumeScriptLines(job.argv, job.resume)); // the tool as a child: signals, requeue, resume
  else lines.push(`exec ${job.argv.map(shellQuote).join(' ')}`);
  return lines.join('\n') + '\n';
}

/** The `sbatch` argv (without the program) that submits `scriptPath` for `job`. */
export function sbatchArgs(job: ExecJob, scriptPath: string): string[] {
  const s = job.slurm ?? {};
  const args = [
    '--parsable',
    '--job-name',
    `bevbuild-${job.runId}`,
    '--output',
    job.logFile,
    '--open-mode=append', // the log starts with bevbuild's command header (run-node.ts)
    '--chdir',
    job.cwd,
    '--export=NONE',
  ];
  if (s.nodes !== undefined) args.push(`--nodes=${s.nodes}`);
  // One task per node that owns all of the node's GPUs: torchrun/torchpack spawn the per-GPU
  // workers themselves (deriving tasks from GPUs ran the script once per GPU in Snakemake #316).
  args.push('--ntasks-per-node=1');
  if (s.gpusPerNode) args.push(`--gres=gpu:${s.gpusPerNode}`);
  if (s.cpusPerTask !== undefined) args.push(`--cpus-per-task=${s.cpusPerTask}`);
  if (s.memMb !== undefined) args.push(`--mem=${s.memMb}M`);
  const minutes = s.timeMinutes ?? (job.timeoutMs !== undefined ? Math.ceil(job.timeoutMs / 60_000) : undefined);
  if (minutes !== undefined) args.push(`--time=${minutes}`);
  if (s.partition) args.push(`--partition=${s.partition}`);
  if (s.account) args.push(`--account=${s.account}`);
  if (job.resume) args.push(...resumeSbatchArgs(s.signalSeconds !== undefined ? {...job.resume, signalSeconds: s.signalSeconds} : job.resume));
  args.push(...(s.extraArgs ?? []), scriptPath);
  return args;
}

/** Multi-GPU launchers used by the wrapped training tools. */
export type LauncherKind = 'torchpack' | 'torchrun' | 'tao';

const TAO_SUBTASKS = new Set(['convert', 'train', 'evaluate', 'inference']);

/**
 * Wraps a tool's argv with the launcher it needs to use `nGpus` GPUs on one node:
 * - `torchpack`: `torchpack dist-run -np N <argv>` (Intel BEVFusion's tools/train.py, MPI based);
 * - `torchrun`: `torchrun --nproc_per_node N <script> …`; a leading `python` is dropped (torchrun
 *   runs the interpreter itself), other programs get `--no-python`;
 * - `tao`: TAO 5.5 runs torchrun inside its entrypoint, so the count goes in as Hydra overrides
 *   `<subtask>.num_gpus=N` and `<subtask>.gpu_ids=[0..N-1]` (replacing any given). Only `train`
 *   is multi-GPU: TAO's evaluate/inference hard-code cuda:0 and convert uses one GPU.
 * Throws on impossible requests (a rule bug, not a runtime condition).
 */
export function launcherArgv(kind: LauncherKind, nGpus: number, argv: string[]): string[] {
  if (!Number.isInteger(nGpus) || nGpus < 1) throw new Error(`launcherArgv: nGpus must be a positive integer, got ${nGpus}`);
  if (argv.length === 0) throw new Error('launcherArgv: empty argv');
  switch (kind) {
    case 'torchpack':
      return ['torchpack', 'dist-run', '-np', String(nGpus), ...argv];
    case 'torchrun': {
      const base = ['torchrun', '--nproc_per_node', String(nGpus)];
      if (/^python(\d+(\.\d+)*)?$/.test(basename(argv[0]!))) return [...base, ...argv.slice(1)];
      return [...base, '--no-python', ...argv];
    }
    case 'tao': {
      const i = argv.findIndex((a) => TAO_SUBTASKS.has(a));
      if (i < 0) throw new Error(`launcherArgv: no TAO subtask (convert|train|evaluate|inference) in ${argv.join(' ')}`);
      const subtask = argv[i]!;
      if (subtask !== 'train' && nGpus > 1) {
        throw new Error(`launcherArgv: TAO bevfusion ${subtask} runs on one GPU only (asked for ${nGpus})`);
      }
      // TAO's entrypoint looks for `num_gpus=`/`gpu_ids=` anywhere in the overrides (substring match).
      const kept = argv.filter((a, j) => j <= i || !/(num_gpus|gpu_ids)=/.test(a));
      const ids = Array.from({length: nGpus}, (_, k) => k).join(',');
      return [...kept, `${subtask}.num_gpus=${nGpus}`, `${subtask}.gpu_ids=[${ids}]`];
    }
  }
}
