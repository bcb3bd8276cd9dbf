/**
 * `bevbuild lineage` (issue 11 item 4): the tree from each deploy file back to data, configs, code
 * commits (with dirty state) and toolchains, as text, JSON and Mermaid; `--uses PATH` in reverse.
 */
import {execFileSync} from 'node:child_process';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {shConfig, WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('lineage');

const config = shConfig(`
    'train/m': sh({script: 'cat "$1" "$2" "$3" > "$4"', inputs: ['data/x.bin', 'configs/a.yaml', 'tools/train.sh'], outputs: ['ckpt/m.pth']}),
    'onnx/m': sh({script: 'cp "$1" "$2"', inputs: ['ckpt/m.pth'], outputs: ['out/m.onnx']}),
    'deploy/m': sh({script: 'mkdir -p "$2" && cp "$1" "$2/model.onnx"', inputs: ['out/m.onnx'], outputs: ['deploy/m']}),
    'other/n': sh({script: 'cp "$1" "$2"', inputs: ['configs/a.yaml'], outputs: ['other/n.txt']}),`);

test('lineage shows each deploy file back to its data, config chain, code commit (dirty) and intermediates; --uses answers in reverse', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config, 'data/x.bin': 'points', 'configs/a.yaml': 'lr: 1\n', 'tools/train.sh': '# v1\n', '.gitignore': '.bevbuild/\n'});
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {cwd: rig.dir, encoding: 'utf8'}).trim();
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'init');
  const commit = git('rev-parse', 'HEAD');
  rig.write({'tools/train.sh': '# v2, not committed\n'});
  const built = await rig.exec(['deploy/m', 'other/n']);
  assert.is(built.code, 0, built.stderr);

  const text = await rig.exec(['lineage', 'deploy/m']);
  assert.is(text.code, 0, text.stderr);
  const out = text.stdout;
  assert.match(out, /file deploy\/m\/model\.onnx +\w+ += out\/m\.onnx \(onnx\/m\)/, out);
  for (const s of ['onnx/m  test/sh@1', 'train/m  test/sh@1', 'data      data/x.bin', 'config    configs/a.yaml', 'code      tools/train.sh', `git       . @ ${commit.slice(0, 12)} (dirty)`, 'output    ckpt/m.pth [checkpoint]', 'output    out/m.onnx [onnx]']) {
    assert.ok(out.includes(s), `missing "${s}" in:\n${out}`);
  }

  const json = JSON.parse((await rig.exec(['lineage', 'deploy/m', '--json'])).stdout) as {nodes: {id: string; sources: {path: string; kind: string}[]; git: {commit: string; dirty: boolean}[]}[]; files: {path: string; from?: {id: string}}[]};
  assert.equal(json.nodes.map((n) => n.id), ['train/m', 'onnx/m', 'deploy/m']);
  const train = json.nodes[0]!;
  assert.equal(train.sources.map((s) => `${s.kind}:${s.path}`).sort(), ['code:tools/train.sh', 'config:configs/a.yaml', 'data:data/x.bin']);
  assert.equal(train.git.map((g) => [g.commit, g.dirty]), [[commit, true]]);
  assert.is(json.files[0]!.from?.id, 'onnx/m');

  const mermaid = (await rig.exec(['lineage', 'deploy/m', '--format', 'mermaid'])).stdout;
  assert.ok(mermaid.startsWith('flowchart LR') && mermaid.includes('data/x.bin') && mermaid.includes('configs/a.yaml'), mermaid);

  const uses = JSON.parse((await rig.exec(['lineage', '--uses', 'data/x.bin', '--json'])).stdout) as {direct: {id: string}[]; tops: {id: string}[]};
  assert.equal(uses.direct.map((d) => d.id), ['train/m']);
  assert.equal(uses.tops.map((t) => t.id), ['deploy/m'], 'the deploy dir built from the data file, and not other/n');
  const cfg = await rig.exec(['lineage', '--uses', 'configs/a.yaml']);
  assert.match(cfg.stdout, 'deploy/m → deploy/m');
  assert.match(cfg.stdout, 'other/n → other/n.txt');
  const usage = await rig.exec(['lineage']);
  assert.is(usage.code, 2);
}));

test.run();
