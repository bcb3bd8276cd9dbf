/**
 * Issue 6 acceptance at engine level, on a real one-node SLURM cluster (slurmctld + slurmd + munged
 * on localhost): a node with `executor: 'slurm'` runs as a SLURM job and its outputs are used
 * downstream; a failing job fails the node with its log tail; Ctrl-C cancels the job.
 */
import {execFileSync} from 'node:child_process';
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {statementOf} from './util/provenance-keys.ts';
import {withTimeout} from './util/rig-test.ts';
import {startSlurm} from './util/slurm-rig.ts';
import {WorkspaceRig, executedIds, shConfig} from './util/workspace-rig.ts';

const test = suite('slurm-build');

const config = (variant: string) => shConfig(
  `    trained: sh({script: ': ${variant}; echo "job $SLURM_JOB_ID on $(hostname)" > "$1"; if [ -f fail ]; then echo "CUDA out of memory" >&2; exit 3; fi; if [ -f slow ]; then touch started; sleep 120; fi', outputs: ['out/ckpt.txt']}),
    exported: sh({script: 'cat "$1" > "$2"; echo exported >> "$2"', inputs: ['out/ckpt.txt'], outputs: ['out/model.txt']}),`,
  `
  executor: (p) => (p.outputs[0] === 'out/ckpt.txt' ? 'slurm' : 'local'),
  slurm: () => ({cpusPerTask: 1, timeMinutes: 5}),`,
);

test('a slurm node runs as a job, feeds a local node; failures show the log tail; Ctrl-C scancels', withTimeout(async () => {
  const slurm = await startSlurm();
  try {
    await using rig = await WorkspaceRig.create();
    rig.write({'bevbuild.config.ts': config('v1')});
    const env = {...slurm.env, BEVBUILD_SLURM_POLL_MS: '300'};
    const r = await rig.json(['exported'], env);
    assert.is(r.code, 0, r.stderr);
    assert.equal(executedIds(r.events), ['exported', 'trained']);
    assert.match(rig.read('out/model.txt'), /^job \d+ on .+\nexported\n$/);
    // Its provenance names the executor: builder id and SLURM job id (issue 11).
    const prov = await rig.exec(['provenance', 'trained'], env);
    assert.is(prov.code, 0, prov.stderr);
    const ran = statementOf(prov.stdout.trim())['predicate'].runDetails;
    assert.is(ran.builder.id, 'https://bevbuild.dev/builder/slurm');
    assert.match(String(ran.byproducts.find((b: {name: string}) => b.name === 'executor').annotations.jobId), /^\d+$/);

    rig.write({fail: '', 'bevbuild.config.ts': config('v2')});
    const f = await rig.json(['exported'], env);
    assert.is(f.code, 1);
    const failed = f.events.find((e) => e['type'] === 'failed')!;
    assert.is(failed['id'], 'trained');
    assert.ok((failed['details'] as string[]).some((l) => l.includes('CUDA out of memory')), JSON.stringify(failed));

    rig.write({slow: '', 'bevbuild.config.ts': config('v3')});
    execFileSync('rm', ['-f', rig.path('fail')]);
    const run = rig.spawn(['trained', '--json'], env);
    for (let i = 0; i < 300 && !rig.exists('started'); i++) await sleep(100);
    assert.ok(rig.exists('started'), 'the job started');
    run.child.kill('SIGINT');
    const c = await run.done;
    assert.is(c.code, 130, c.stderr);
    const queue = execFileSync('squeue', ['-h', '-o', '%i %T'], {env: {...process.env, ...slurm.env}, encoding: 'utf8'}).trim();
    assert.is(queue, '', `no job left in the queue: ${queue}`);
    assert.not.ok(rig.exists('out/ckpt.txt') && rig.read('out/ckpt.txt').includes('slow'), 'nothing recorded');
  } finally {
    await slurm.stop();
  }
}, 240_000));

test('a GPU node run by slurm needs no GPU on the submitting machine (a login node submits GPU jobs)', withTimeout(async () => {
  const slurm = await startSlurm();
  try {
    await using rig = await WorkspaceRig.create();
    // gpu: 1 in the rule's resources; the job itself asks SLURM for none (the rig has no GPUs),
    // so this checks only that the local (empty) gpu pool is not consulted for an off-machine run.
    rig.write({'bevbuild.config.ts': shConfig(
      `    trained: sh({script: 'echo "job $SLURM_JOB_ID" > "$1"', outputs: ['out/ckpt.txt']}),`,
      `
  resources: () => ({cpu: 1, gpu: 1}),
  executor: () => 'slurm',
  slurm: () => ({cpusPerTask: 1, timeMinutes: 5}),`,
    )});
    const r = await rig.json(['trained'], {...slurm.env, BEVBUILD_SLURM_POLL_MS: '300', CUDA_VISIBLE_DEVICES: ''});
    assert.is(r.code, 0, r.stderr);
    assert.equal(executedIds(r.events), ['trained']);
    assert.match(rig.read('out/ckpt.txt'), /^job \d+\n$/);
  } finally {
    await slurm.stop();
  }
}, 240_000));

test.run();
