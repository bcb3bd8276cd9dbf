/**
 * Key-neutral SLURM settings (issue 15 review): `defineConfig({slurm: {defaults, nodes}})` sets a
 * node's sbatch time limit, partition, CPUs… without touching its params (its action key). Changing
 * them leaves the node fresh; its next submission carries them. Precedence: defaults < the rule's
 * `slurm(p)` and `resume.signalSeconds` < matching `nodes` globs in order. Bad settings exit 2.
 */
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {defineConfig} from '../src/config/define-config.ts';
import {defineRule} from '../src/config/define-rule.ts';
import type {SlurmConfig} from '../src/executors/slurm-config.ts';
import {sbatchArgs} from '../src/executors/slurm-script.ts';
import {analyze} from '../src/graph/analyze.ts';
import {z} from 'zod';
import {shConfig, summaryOf, WorkspaceRig} from './util/workspace-rig.ts';
import {withTimeout} from './util/rig-test.ts';

const test = suite('slurm-config');

const train = defineRule({
  name: 'test/train',
  version: 1,
  params: z.object({out: z.string()}).strict(),
  outputs: (p) => [`${p.out}/epoch_2.pth`],
  argv: () => ['true'],
  executor: () => 'slurm',
  slurm: () => ({gpusPerNode: 1, cpusPerTask: 8, extraArgs: ['--constraint=a100']}),
  resume: (p) => ({dir: p.out, checkpoint: {prefix: 'epoch_', suffix: '.pth'}, args: (c) => ['--resume_from', c.path], signalSeconds: 300}),
});

function graph(slurm: unknown) {
  const root = mkdtempSync(join(tmpdir(), 'h8-slurm-cfg-'));
  try {
    return analyze(root, join(root, 'bevbuild.config.ts'), defineConfig({artifacts: {'train/kitti@lr=1e-4': train({out: 'a'}), 'train/v2x': train({out: 'b'}), 'export/kitti': train({out: 'c'})}, slurm: slurm as SlurmConfig}));
  } finally {
    rmSync(root, {recursive: true, force: true});
  }
}

const sbatch = (slurm: object) => sbatchArgs({nodeId: 'n', runId: 'r', argv: ['true'], cwd: '/w', env: {}, logFile: '/w/l', slurm, resume: {stateDir: '/w/s', checkpoint: {prefix: 'epoch_', suffix: '.pth'}, baseArgv: ['true'], args: () => []}}, '/w/job.sh');

test('defaults < the rule < node globs in order; extraArgs add up; the sbatch flags follow', () => {
  const g = graph({
    defaults: {partition: 'gpu', account: 'ml', timeMinutes: 60, cpusPerTask: 2},
    nodes: {'train/**': {timeMinutes: 2880, extraArgs: ['--qos=long']}, 'train/v2x': {timeMinutes: 100, signalSeconds: 600, cpusPerTask: 16}},
  });
  if (!g.ok) throw new Error(JSON.stringify(g.error));
  const slurm = (id: string) => g.value.nodes.get(id)!.slurm;
  assert.equal(slurm('export/kitti'), {partition: 'gpu', account: 'ml', timeMinutes: 60, cpusPerTask: 8, gpusPerNode: 1, extraArgs: ['--constraint=a100'], signalSeconds: 300});
  assert.equal(slurm('train/kitti@lr=1e-4'), {partition: 'gpu', account: 'ml', timeMinutes: 2880, cpusPerTask: 8, gpusPerNode: 1, extraArgs: ['--constraint=a100', '--qos=long'], signalSeconds: 300});
  assert.equal(slurm('train/v2x'), {partition: 'gpu', account: 'ml', timeMinutes: 100, cpusPerTask: 16, gpusPerNode: 1, extraArgs: ['--constraint=a100', '--qos=long'], signalSeconds: 600});
  const args = sbatch(slurm('train/v2x')!);
  for (const a of ['--time=100', '--partition=gpu', '--account=ml', '--cpus-per-task=16', '--signal=B:USR1@600', '--qos=long']) assert.ok(args.includes(a), `${a} in ${args.join(' ')}`);
  assert.ok(sbatch(slurm('export/kitti')!).includes('--signal=B:USR1@300'), 'the rule\'s resume.signalSeconds without a config override');
});

test('bad settings are config errors with the field and what is expected; a glob matching nothing too', () => {
  const g = graph({defaults: {timeMinutes: '2d', partion: 'x'}, nodes: {'trian/**': {timeMinutes: 10}}, node: {}});
  assert.not.ok(g.ok);
  const text = g.ok ? '' : g.error.map((d) => `${d.code} ${(d.path ?? []).join('.')}: ${d.message}`).join('\n');
  assert.match(text, /invalid-config slurm\.defaults\.timeMinutes: .*expected number/);
  assert.match(text, /invalid-config slurm: Unrecognized key: "node" \(known: defaults, nodes; settings: nodes, gpusPerNode, cpusPerTask, memMb, timeMinutes/);
  assert.match(text, /slurm\.defaults: Unrecognized key: "partion"/);
  const typo = graph({nodes: {'trian/**': {timeMinutes: 10}}});
  assert.match(typo.ok ? '' : typo.error[0]!.message, /matches no artifact id/);
});

test('changing only the config\'s slurm settings leaves the node fresh; a bad one exits 2', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const config = (slurm: string) => shConfig(`    'train/a': sh({script: 'echo ok > "$1"', outputs: ['out/a']}),`, `
  slurm: () => ({cpusPerTask: 8}),`).replace(/\n {2}\},\n\}\);\n$/, `\n  },\n  slurm: ${slurm},\n});\n`);
  rig.write({'bevbuild.config.ts': config(`{defaults: {timeMinutes: 60}, nodes: {'train/**': {timeMinutes: 120}}}`)});
  assert.is(summaryOf((await rig.json(['build', 'train/a'])).events).executed, 1);
  rig.write({'bevbuild.config.ts': config(`{defaults: {timeMinutes: 60, partition: 'long'}, nodes: {'train/**': {timeMinutes: 2880, signalSeconds: 300, cpusPerTask: 4}}}`)});
  const again = summaryOf((await rig.json(['build', 'train/a'])).events);
  assert.equal([again.executed, again.fresh], [0, 1], 'not rebuilt: the settings are not in the action key');
  rig.write({'bevbuild.config.ts': config(`{nodes: {'train/**': {timeMinutes: -5}}}`)});
  const bad = await rig.exec(['status']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /error\[invalid-config\] slurm\.nodes\["train\/\*\*"\]\.timeMinutes: Too small: expected number to be >0/);
}));

test.run();
