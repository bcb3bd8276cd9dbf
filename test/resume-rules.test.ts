/**
 * Issue 15 item 1: which checkpoint a kept run resumes from (a pointer the tool writes after a
 * complete save wins over the newest-numbered file, which a kill may have cut short), and the
 * resume arguments of the Intel and TAO train rules (torchpack `--resume_from PATH`; TAO 5.5 spec
 * keys `train.resume=true` + the exact in-container path, still a valid `bevfusion` command line).
 */
import {existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import type {RunContext} from '../src/index.ts';
import {lastCheckpoint, listPartials, superseded, sweepPartials, type CheckpointNaming} from '../src/engine/resume.ts';
import {train} from '../rules/intel/train.ts';
import {taoBevfusionChain} from '../rules/tao/chain.ts';
import {checkArgv} from './util/cli-contract.ts';
import {taoDockerRun} from './fixtures/tao/cli.ts';
import {repoRoot} from './util/venv.ts';

const test = suite('resume-rules');
const EPOCHS: CheckpointNaming = {prefix: 'epoch_', suffix: '.pth'};

function dirWith(files: Record<string, string>, links: Record<string, string> = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'bevbuild-resume-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  for (const [f, target] of Object.entries(links)) symlinkSync(target, join(d, f));
  return d;
}

test('the newest epoch by number, unless a pointer names a complete one', () => {
  const d = dirWith({'epoch_9.pth': 'x', 'epoch_10.pth': 'x', 'epoch_10.pth.tmp1': '', 'epoch_x.pth': '', 'configs.yaml': ''});
  try {
    assert.is(lastCheckpoint(d, EPOCHS)?.name, 'epoch_10.pth');
    assert.is(lastCheckpoint(d, EPOCHS)?.path, join(d, 'epoch_10.pth'));
    // mmcv: latest.pth -> epoch_9.pth while epoch_10.pth was being written when the run died
    symlinkSync('epoch_9.pth', join(d, 'latest.pth'));
    assert.is(lastCheckpoint(d, {...EPOCHS, pointer: 'latest.pth'})?.name, 'epoch_9.pth');
    // mmengine: last_checkpoint holds the absolute (in-container) path
    writeFileSync(join(d, 'last_checkpoint'), '/results/train/epoch_9.pth');
    assert.is(lastCheckpoint(d, {...EPOCHS, pointer: 'last_checkpoint'})?.name, 'epoch_9.pth');
    // a pointer naming a file that is not there, or a binary copy (the demo's latest.pth): newest by number
    writeFileSync(join(d, 'last_checkpoint'), '/results/train/epoch_11.pth');
    assert.is(lastCheckpoint(d, {...EPOCHS, pointer: 'last_checkpoint'})?.name, 'epoch_10.pth');
    writeFileSync(join(d, 'copy.pth'), Buffer.alloc(8192, 1));
    assert.is(lastCheckpoint(d, {...EPOCHS, pointer: 'copy.pth'})?.name, 'epoch_10.pth');
  } finally {
    rmSync(d, {recursive: true, force: true});
  }
  assert.is(lastCheckpoint('/nonexistent-bevbuild-dir', EPOCHS), undefined);
  const empty = dirWith({'configs.yaml': ''});
  assert.is(lastCheckpoint(empty, EPOCHS), undefined);
  rmSync(empty, {recursive: true, force: true});
});

test('cache prune drops partial runs superseded by a newer one of the same node (another key), with their size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-partials-'));
  try {
    const keep = (key: string, nodeId: string | undefined, keptAt: string) => {
      mkdirSync(join(dir, 'partial', key, 'state'), {recursive: true});
      writeFileSync(join(dir, 'partial', key, 'state', 'epoch_1.pth'), Buffer.alloc(1000));
      if (nodeId) writeFileSync(join(dir, 'partial', key, 'info.json'), JSON.stringify({nodeId, key, checkpoint: 'epoch_1.pth', keptAt}));
    };
    keep('a1', 'train/a', '2026-01-01T00:00:00.000Z');
    keep('a2', 'train/a', '2026-01-02T00:00:00.000Z');
    keep('b1', 'train/b', '2026-01-01T00:00:00.000Z');
    keep('x', undefined, '');
    assert.is(listPartials(dir).length, 4);
    const r = sweepPartials(dir, superseded);
    assert.is(r.removed, 2);
    assert.ok(r.bytes >= 2000, String(r.bytes));
    assert.equal(listPartials(dir).map((p) => p.key).sort(), ['a2', 'b1']);
    assert.not.ok(existsSync(join(dir, 'partial', 'a1')));
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

const ctx: RunContext = {
  root: '/ws',
  in: (p) => (p.startsWith('/') ? p : `/ws/${p}`),
  out: (p) => `/ws/.bevbuild/runs/r1/out/${p}`,
  outDir: (d) => `/ws/.bevbuild/runs/r1/out/${d}`,
  tmp: '/ws/.bevbuild/runs/r1/tmp',
  python: () => '/env/bin/python',
  gpus: ['0'],
};

test('intel/train resumes from its run dir with the torchpack override --resume_from PATH', () => {
  const decl = train({repo: 'training', env: 'env/bev', config: 'configs/a.yaml', runDir: 'training/work_dirs/a', epochs: 5});
  const p = decl.rule.spec.params.parse(decl.params);
  const r = decl.rule.spec.resume!(p)!;
  assert.is(r.dir, 'training/work_dirs/a');
  assert.equal(r.checkpoint, {prefix: 'epoch_', suffix: '.pth', pointer: 'latest.pth'});
  const ckpt = {path: `${ctx.outDir(r.dir)}/epoch_2.pth`, name: 'epoch_2.pth'};
  assert.equal(r.args(ckpt), ['--resume_from', ckpt.path]);
  const argv = [...decl.rule.spec.argv(p, ctx), ...r.args(ckpt)];
  assert.equal(argv.slice(-4), ['--max_epochs', '5', '--resume_from', ckpt.path]);
});

test('tao/train resumes with train.resume=true and the exact in-container checkpoint path', () => {
  const chain = taoBevfusionChain({base: 'tao/kitti', dir: 'results', kittiRoot: join(repoRoot, 'test', 'fixtures', 'tao', 'kitti'), gpus: 1, user: '1000:1000', spec: {train: {num_epochs: 3}}});
  const decl = chain['tao/kitti/train']!;
  const p = decl.rule.spec.params.parse(decl.params);
  const r = decl.rule.spec.resume!(p)!;
  assert.equal(r.checkpoint, {prefix: 'epoch_', suffix: '.pth', pointer: 'last_checkpoint'});
  const args = r.args({path: `${ctx.outDir(r.dir)}/epoch_2.pth`, name: 'epoch_2.pth'});
  assert.equal(args, ['train.resume=true', 'train.resume_training_checkpoint_path=/results/train/epoch_2.pth']);
  // The results mount is the state dir, so the path is where the container sees the kept file.
  const argv = [...decl.rule.spec.argv(p, ctx), ...args];
  assert.ok(argv.includes(`${ctx.outDir(r.dir)}:/results/train`), argv.join(' '));
  assert.equal(checkArgv(taoDockerRun, argv), []);
});

test.run();
