/**
 * The pure parts of the slurm executor: launcher wrapping for multi-GPU tools, sbatch flags from
 * a node's resources, the batch script's quoting, and scontrol parsing.
 */
import {spawnSync} from 'node:child_process';
import {test} from 'uvu';
import * as assert from 'uvu/assert';
import type {ExecJob} from '../src/executors/job.ts';
import {batchScript, launcherArgv, sbatchArgs} from '../src/executors/slurm-script.ts';
import {shellQuote} from '../src/shell-quote.ts';
import {parseScontrolJob, signalName} from '../src/executors/slurm-status.ts';

const job: ExecJob = {
  nodeId: 'train/kitti/second',
  runId: 'r42',
  argv: ['/venv/bin/python', 'tools/train.py', 'configs/a b.yaml', "--note=it's"],
  cwd: '/shared/ws',
  env: {PATH: '/venv/bin:/usr/bin', CUDA_VISIBLE_DEVICES: '3', SLURM_JOB_ID: 'x', 'BAD-NAME': 'y', Z: '$(rm -rf /)'},
  logFile: '/shared/ws/.bevbuild/logs/r42.log',
  slurm: {nodes: 1, gpusPerNode: 4, cpusPerTask: 16, memMb: 64000, timeMinutes: 720, partition: 'gpu', account: 'ml', extraArgs: ['--constraint=a100']},
};

test('launcherArgv wraps each tool with its own launcher', () => {
  assert.equal(launcherArgv('torchpack', 4, ['python', 'tools/train.py', 'cfg.yaml']), [
    'torchpack', 'dist-run', '-np', '4', 'python', 'tools/train.py', 'cfg.yaml',
  ]);
  assert.equal(launcherArgv('torchrun', 2, ['/venv/bin/python3.8', 'train.py', '--x']), [
    'torchrun', '--nproc_per_node', '2', 'train.py', '--x',
  ]);
  assert.equal(launcherArgv('torchrun', 2, ['mytool', 'go']), ['torchrun', '--nproc_per_node', '2', '--no-python', 'mytool', 'go']);
  assert.equal(launcherArgv('tao', 2, ['bevfusion', 'train', '-e', '/specs/t.yaml', 'train.num_gpus=1', 'train.num_epochs=3']), [
    'bevfusion', 'train', '-e', '/specs/t.yaml', 'train.num_epochs=3', 'train.num_gpus=2', 'train.gpu_ids=[0,1]',
  ]);
  assert.equal(launcherArgv('tao', 1, ['bevfusion', 'evaluate', '-e', 's.yaml']), [
    'bevfusion', 'evaluate', '-e', 's.yaml', 'evaluate.num_gpus=1', 'evaluate.gpu_ids=[0]',
  ]);
  assert.throws(() => launcherArgv('tao', 2, ['bevfusion', 'inference', '-e', 's.yaml']), /one GPU only/);
  assert.throws(() => launcherArgv('torchrun', 0, ['x']), /positive integer/);
});

test('sbatch flags: one task per node owning all its GPUs, resources, extra args, script last', () => {
  assert.equal(sbatchArgs(job, '/s.sh'), [
    '--parsable', '--job-name', 'bevbuild-r42', '--output', job.logFile, '--open-mode=append', '--chdir', '/shared/ws', '--export=NONE',
    '--nodes=1', '--ntasks-per-node=1', '--gres=gpu:4', '--cpus-per-task=16', '--mem=64000M', '--time=720',
    '--partition=gpu', '--account=ml', '--constraint=a100', '/s.sh',
  ]);
  const bare = sbatchArgs({...job, slurm: undefined, timeoutMs: 90_000}, '/s.sh');
  assert.ok(bare.includes('--time=2'), 'the executor timeout also bounds the SLURM job');
  assert.not.ok(bare.some((a) => a.startsWith('--gres')));
});

test('the batch script quotes argv and env, and leaves SLURM-owned variables alone', () => {
  const s = batchScript(job);
  assert.match(s, /^#!\/bin\/bash\n/);
  assert.not.match(s, /CUDA_VISIBLE_DEVICES|SLURM_JOB_ID|BAD-NAME/);
  assert.match(s, /export Z='\$\(rm -rf \/\)'/);
  assert.match(s, /\nexec \/venv\/bin\/python tools\/train.py 'configs\/a b.yaml' '--note=it'\\''s'\n$/);
  // The shell reads back exactly what was quoted.
  for (const v of ["it's", 'a b', '$(x)', '`y`', '"q"', '', 'é\n\t']) {
    const r = spawnSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(v)}`], {encoding: 'utf8'});
    assert.is(r.stdout, v);
  }
});

test('scontrol output parsing', () => {
  const text = 'JobId=7 JobName=bevbuild-r42 UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:01';
  assert.equal(parseScontrolJob(text), {state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3, signal: 0});
  assert.equal(parseScontrolJob('JobState=CANCELLED Reason=None ExitCode=0:15')?.signal, 15);
  assert.is(parseScontrolJob('slurm_load_jobs error: Invalid job id specified'), undefined);
  assert.is(signalName(9), 'SIGKILL');
  assert.is(signalName(0), undefined);
});

test.run();
