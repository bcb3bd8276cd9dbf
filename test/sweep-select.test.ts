/**
 * Issue 15 item 2 on the engine, with shell tools (fast): a 2×2 sweep + per-point evaluation + a
 * `select` node feeding a downstream node; adding a point that does not win re-runs exactly that
 * point's training and evaluation and the selection, and downstream stays fresh (the selected
 * files are byte-identical; selection.json is volatile); a point that wins re-runs downstream.
 * Sweep ids work as CLI targets, globs, in status/why/graph and in log file names.
 */
import {readdirSync} from 'node:fs';
import {spawnSync} from 'node:child_process';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {repoRoot} from './util/venv.ts';
import {API, WorkspaceRig, executedIds} from './util/workspace-rig.ts';
import {selectParams} from '../rules/select.ts';

const test = suite('sweep-select');
const SELECT = join(repoRoot, 'rules', 'select.ts');
const SELECT_TOOL = join(repoRoot, 'rules', 'tools', 'select.mjs');

/** A workspace: trains write a "model", evals a recall = lr·ep/10 (capped), select picks by recall. */
function config(extra: string): string {
  return `import {defineConfig, defineRule, matrixPoints, sweep, z} from ${JSON.stringify(API)};
import {candidatesOf, select} from ${JSON.stringify(SELECT)};

const sh = defineRule({
  name: 'test/sh', version: 1,
  params: z.object({script: z.string(), inputs: z.array(z.string()).default([]), outputs: z.array(z.string())}).strict(),
  inputs: (p) => p.inputs,
  outputs: (p) => p.outputs,
  argv: (p, ctx) => ['bash', '-c', p.script, 'sh', ...p.inputs.map(ctx.in), ...p.outputs.map(ctx.out)],
});
const POINTS = [...matrixPoints({lr: [1, 2], ep: [3, 5]}), ${extra}];
const model = (slug: string) => \`work/\${slug}/model.bin\`;
const metrics = (slug: string) => \`metrics/\${slug}.json\`;
const trains = sweep('train/t', POINTS, (p, pt) => sh({script: \`echo "model lr=\${p.lr} ep=\${p.ep}" > "$1"\`, outputs: [model(pt.slug)]}));
const evals = sweep('eval/t', POINTS, (p, pt) => sh({script: \`test -s "$1" && echo '{"eval": {"recall": \${Math.min(1, p.lr * p.ep / 10)}}}' > "$2"\`, inputs: [model(pt.slug)], outputs: [metrics(pt.slug)]}));

export default defineConfig({
  artifacts: [
    ...trains,
    ...evals,
    ['select/t', select({
      candidates: candidatesOf(trains.points, trains.base, (pt) => ({metrics: metrics(pt.slug), files: {'model.bin': model(pt.slug)}})),
      metric: 'eval.recall', direction: 'max', tieBreak: {lowest: 'ep'}, outDir: 'selected/t',
    })],
    ['deploy/t', sh({script: 'cp "$1" "$2"', inputs: ['selected/t/model.bin'], outputs: ['deploy/t/model.bin']})],
  ],
});
`;
}

test('a 2×2 sweep selects by metric; a losing fifth point re-runs one train, one eval and the selection only', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config('')});
  const first = await rig.json(['deploy/t']);
  assert.is(first.code, 0, first.stderr);
  assert.equal(executedIds(first.events), ['deploy/t', 'eval/t@lr=1,ep=3', 'eval/t@lr=1,ep=5', 'eval/t@lr=2,ep=3', 'eval/t@lr=2,ep=5', 'select/t',
    'train/t@lr=1,ep=3', 'train/t@lr=1,ep=5', 'train/t@lr=2,ep=3', 'train/t@lr=2,ep=5']);
  let sel = JSON.parse(rig.read('selected/t/selection.json')) as {winner: {id: string; value: number}; why: string; candidates: {id: string; value: number; rank: number}[]};
  assert.is(sel.winner.id, 'train/t@lr=2,ep=5'); // recall 1.0
  assert.is(sel.candidates.length, 4);
  assert.equal(sel.candidates.map((c) => [c.id, c.value, c.rank]), [['train/t@lr=1,ep=3', 0.3, 4], ['train/t@lr=1,ep=5', 0.5, 3], ['train/t@lr=2,ep=3', 0.6, 2], ['train/t@lr=2,ep=5', 1, 1]]);
  assert.is(rig.read('deploy/t/model.bin'), 'model lr=2 ep=5\n');

  // A fifth point that ties the winner (recall 1.0 capped) but has more epochs: the tie-break keeps the winner.
  rig.write({'bevbuild.config.ts': config('{lr: 3, ep: 7}')});
  const fifth = await rig.json(['deploy/t']);
  assert.is(fifth.code, 0, fifth.stderr);
  assert.equal(executedIds(fifth.events), ['eval/t@lr=3,ep=7', 'select/t', 'train/t@lr=3,ep=7']);
  sel = JSON.parse(rig.read('selected/t/selection.json'));
  assert.is(sel.winner.id, 'train/t@lr=2,ep=5');
  assert.is(sel.candidates.length, 5);
  assert.match(sel.why, 'the highest eval.recall (1), tied with train/t@lr=3,ep=7: lowest ep (5), then first in matrix order');

  // A sixth point that wins: downstream follows.
  rig.write({'bevbuild.config.ts': config('{lr: 3, ep: 7}, {lr: 4, ep: 3}')});
  const sixth = await rig.json(['deploy/t']);
  assert.is(sixth.code, 0, sixth.stderr);
  assert.equal(executedIds(sixth.events), ['deploy/t', 'eval/t@lr=4,ep=3', 'select/t', 'train/t@lr=4,ep=3']);
  assert.is(rig.read('deploy/t/model.bin'), 'model lr=4 ep=3\n');

  // Log files of sweep points keep @ = , out of their names.
  const logs = readdirSync(rig.path('.bevbuild/logs'));
  assert.ok(logs.some((f) => f.startsWith('train__t~lr-4+ep-3.')), logs.join(' '));
  assert.not.ok(logs.some((f) => /[@=,]/.test(f)), logs.join(' '));
}, 120_000));

test('sweep ids as CLI targets: exact, glob, status, why, graph; a sweep base suggests its glob', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config('')});
  const one = await rig.json(['train/t@lr=1,ep=5']);
  assert.is(one.code, 0, one.stderr);
  assert.equal(executedIds(one.events), ['train/t@lr=1,ep=5']);
  const glob = await rig.json(['eval/t@lr=2,*']);
  assert.equal(executedIds(glob.events), ['eval/t@lr=2,ep=3', 'eval/t@lr=2,ep=5', 'train/t@lr=2,ep=3', 'train/t@lr=2,ep=5']);
  const status = await rig.exec(['status', 'train/t@*']);
  assert.is(status.code, 0, status.stderr);
  for (const id of ['train/t@lr=1,ep=3', 'train/t@lr=2,ep=5']) assert.match(status.stdout, id);
  const why = await rig.exec(['why', 'eval/t@lr=1,ep=3']);
  assert.is(why.code, 0, why.stderr);
  assert.match(why.stdout, 'eval/t@lr=1,ep=3');
  const graph = await rig.exec(['graph', 'select/t', '--format', 'json']);
  assert.is(graph.code, 0, graph.stderr);
  const g = JSON.parse(graph.stdout) as {nodes: {id: string}[]};
  assert.is(g.nodes.filter((n) => n.id.startsWith('train/t@')).length, 4);
  const mermaid = await rig.exec(['graph', 'select/t']);
  assert.match(mermaid.stdout, '["train/t@lr=1,ep=3<br/>');
  const base = await rig.exec(['train/t']);
  assert.is(base.code, 2);
  assert.match(base.stderr, '"train/t" is a sweep of 4 points; select them all with "train/t@*"');
}, 120_000));

test('select: min by a JSON pointer; a missing metric fails naming the file and its keys; mismatched candidates are config errors', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'m/a.json': '{"loss": {"val/total": 0.5}}', 'm/b.json': '{"loss": {"val/total": 0.25}}', 'm/c.json': '{"acc": 1}', 'w/a.bin': 'A', 'w/b.bin': 'B', 'w/c.bin': 'C'});
  const cand = (id: string) => ({id, index: id.charCodeAt(0) - 97, params: {}, metrics: {abs: rig.path(`m/${id}.json`), rel: `m/${id}.json`}, files: {'m.bin': {abs: rig.path(`w/${id}.bin`), rel: `w/${id}.bin`}}});
  const run = (metric: string, ids: string[]) => spawnSync(process.execPath, [SELECT_TOOL, '--spec', JSON.stringify({metric, direction: 'min', tieBreak: 'first', candidates: ids.map(cand)}), '--selection', rig.path('out/selection.json'), `m.bin=${rig.path('out/m.bin')}`], {encoding: 'utf8'});
  const ok = run('/loss/val~1total', ['a', 'b']);
  assert.is(ok.status, 0, ok.stderr);
  assert.is(rig.read('out/m.bin'), 'B');
  assert.match(JSON.parse(rig.read('out/selection.json')).why, 'the lowest /loss/val~1total (0.25)');
  const bad = run('loss.val/total', ['a', 'c']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, 'c: m/c.json has no "loss.val/total" (no key "loss"; keys there: acc)');
  const issues = selectParams.safeParse({candidates: [{id: 'a', metrics: 'm/a.json', files: {'x.pth': 'a'}}, {id: 'b', metrics: 'm/b.json', files: {'y.pth': 'b'}}], metric: 'recall', direction: 'max', tieBreak: {lowest: 'ep'}, outDir: 'o'});
  assert.not.ok(issues.success);
  const messages = issues.error!.issues.map((i) => i.message).join('\n');
  assert.match(messages, 'every candidate names the same files (x.pth); b names y.pth');
  assert.match(messages, 'candidate a has no param "ep" to break ties by');
}));

test.run();
