/**
 * Issue 15 item 1, SLURM side without a cluster: a resumable job is submitted with `--requeue` and
 * `--signal=B:USR1@<s>`, and its batch script — run here by bash with SLURM's variables set by hand —
 * picks the same checkpoint as the engine (`lastCheckpoint`), restarts with the rule's resume
 * arguments (quoting intact), passes USR1 on to the tool and exits with the tool's status.
 */
import {spawn, spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {lastCheckpoint, type CheckpointNaming} from '../src/engine/resume.ts';
import type {ExecJob} from '../src/executors/job.ts';
import {batchScript, sbatchArgs} from '../src/executors/slurm-script.ts';
import {withTimeout} from './util/rig-test.ts';

const test = suite('resume-slurm-script');
const NAMING: CheckpointNaming = {prefix: 'epoch_', suffix: '.pth', pointer: 'latest.pth'};

function jobIn(dir: string, argv: string[], baseArgv = argv): ExecJob {
  return {
    nodeId: 'train', runId: 'r1', argv, cwd: dir, env: {PATH: process.env['PATH']!}, logFile: join(dir, 'log'),
    resume: {stateDir: join(dir, 'state'), checkpoint: NAMING, baseArgv, args: (c) => ['--resume_from', c.path, `name=it's ${c.name}`], signalSeconds: 45},
  };
}

function runScript(dir: string, job: ExecJob, env: Record<string, string>): {code: number | null; out: string} {
  const script = join(dir, 'job.sh');
  writeFileSync(script, batchScript(job));
  chmodSync(script, 0o700);
  const r = spawnSync('/bin/bash', [script], {env: {PATH: process.env['PATH']!, ...env}, encoding: 'utf8'});
  return {code: r.status, out: r.stdout + r.stderr};
}

test('sbatch flags: --requeue and the USR1 warning for the batch shell', () => {
  const args = sbatchArgs(jobIn('/w', ['tool']), '/w/job.sh');
  assert.ok(args.includes('--requeue'));
  assert.ok(args.includes('--signal=B:USR1@45'));
  assert.is(args.at(-1), '/w/job.sh');
  const plain = sbatchArgs({...jobIn('/w', ['tool']), resume: undefined}, '/w/job.sh');
  assert.not.ok(plain.some((a) => a === '--requeue' || a.startsWith('--signal')));
});

test('a restarted job resumes from the checkpoint the engine would pick, with the rule\'s arguments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-slurm-resume-'));
  try {
    const state = join(dir, 'state');
    spawnSync('mkdir', [state]);
    const tool = ['printf', '[%s]\\n', 'train.py', 'a b'];
    const job = jobIn(dir, [...tool, '--first-start-args'], tool);
    // First start: the argv as given (the engine already appended resume args when it restored state).
    assert.match(runScript(dir, job, {}).out, /\[train.py\]\n\[a b\]\n\[--first-start-args\]\n$/);
    // A restart without any checkpoint starts over with the base argv.
    const none = runScript(dir, job, {SLURM_RESTART_COUNT: '1', SLURM_JOB_ID: '7'});
    assert.match(none.out, /no complete checkpoint yet, starting over\n\[train.py\]\n\[a b\]\n$/);
    const cases: [Record<string, string>, Record<string, string>][] = [
      [{'epoch_1.pth': 'x', 'epoch_2.pth': 'x', 'epoch_10.pth': 'x', 'epoch_x.pth': '', 'epoch_3.pth.tmp9': ''}, {}],
      [{}, {'latest.pth': 'epoch_2.pth'}], // mmcv's pointer names the complete one: epoch_10 may be cut short
      [{'latest.pth': 'binary copy\u0000\u0001'}, {}],
    ];
    for (const [files, links] of cases) {
      for (const [f, t] of Object.entries(files)) writeFileSync(join(state, f), t);
      for (const [f, t] of Object.entries(links)) symlinkSync(t, join(state, f));
      const want = lastCheckpoint(state, NAMING)!;
      const r = runScript(dir, job, {SLURM_RESTART_COUNT: '2', SLURM_JOB_ID: '7'});
      assert.is(r.code, 0, r.out);
      assert.ok(r.out.includes(`SLURM job 7 restarted (restart 2): resuming from ${want.name}\n[train.py]\n[a b]\n[--resume_from]\n[${want.path}]\n[name=it's ${want.name}]\n`), r.out);
      rmSync(join(state, 'latest.pth'), {force: true});
    }
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test('USR1 to the batch shell reaches the tool; the script exits with the tool\'s status', withTimeout(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-slurm-resume-'));
  try {
    const tool = join(dir, 'tool.sh');
    writeFileSync(tool, `#!/bin/bash\ntrap 'echo got-usr1 > "${dir}/got"; exit 138' USR1\ntouch "${dir}/started"\nwhile :; do sleep 0.1; done\n`);
    chmodSync(tool, 0o755);
    const script = join(dir, 'job.sh');
    writeFileSync(script, batchScript(jobIn(dir, [tool])));
    const child = spawn('/bin/bash', [script], {env: {PATH: process.env['PATH']!, SLURM_JOB_ID: '7'}, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    while (!existsSync(join(dir, 'started'))) await sleep(50);
    child.kill('SIGUSR1'); // what --signal=B:USR1 does: only the batch shell is signalled
    assert.is(await done, 138, out);
    assert.is(readFileSync(join(dir, 'got'), 'utf8'), 'got-usr1\n');
    assert.match(out, /no new checkpoint since this start \(none\); not requeueing/);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}, 30_000));

test.run();
