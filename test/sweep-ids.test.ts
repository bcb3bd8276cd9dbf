/**
 * Issue 15 item 2: sweep point ids — stable formatting, parsing, validation, file names — and the
 * sweep() declaration (matrix order, explicit points, malformed matrices).
 */
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {baseId, formatParamValue, idFileName, isValidId, parseNodeId, pointId, pointSlug} from '../src/graph/node-id.ts';
import {globToRegExp} from '../src/graph/glob.ts';
import {matrixPoints, sweep} from '../src/config/sweep.ts';
import {defineRule, z} from '../src/index.ts';
import {laneOf} from '../src/ui/layout.ts';

const test = suite('sweep-ids');

test('numbers format stably: integers as integers, others in the shorter notation', () => {
  assert.is(formatParamValue(1e-4), '1e-4');
  assert.is(formatParamValue(0.0001), '1e-4'); // however the config spells it
  assert.is(formatParamValue(3e-4), '3e-4');
  assert.is(formatParamValue(2.5e-5), '2.5e-5');
  assert.is(formatParamValue(0.5), '0.5');
  assert.is(formatParamValue(0.003), '3e-3');
  assert.is(formatParamValue(3), '3');
  assert.is(formatParamValue(100000), '100000');
  assert.is(formatParamValue(1.5e22), '1.5e22');
  assert.is(formatParamValue(-0.25), '-0.25');
  assert.is(formatParamValue(true), 'true');
  assert.is(formatParamValue('adamw'), 'adamw');
  assert.throws(() => formatParamValue(Number.NaN), /finite/);
});

test('point ids keep the declared key order and parse back', () => {
  const id = pointId('train/kitti/second', [['lr', 1e-4], ['ep', 3]]);
  assert.is(id, 'train/kitti/second@lr=1e-4,ep=3');
  assert.equal(parseNodeId(id), {base: 'train/kitti/second', point: [['lr', '1e-4'], ['ep', '3']]});
  assert.equal(parseNodeId('deploy/kitti/second'), {base: 'deploy/kitti/second', point: undefined});
  assert.is(baseId(id), 'train/kitti/second');
  assert.is(pointId('t', [['ep', 3], ['lr', 1e-4]]), 't@ep=3,lr=1e-4');
});

test('id validation accepts one sweep point after the last segment, nothing else new', () => {
  for (const ok of ['train/kitti/second', 'train/kitti/second@lr=1e-4,ep=3', 'a@x=1', 'a/b@opt=adam_w,wd=-0.5', 'a@k=v.1+2']) assert.ok(isValidId(ok), ok);
  for (const bad of ['train/kitti/second@', 'a@lr', 'a@lr=', 'a@=1', 'a@1x=2', 'a@x=1,', 'a@x=1@y=2', 'a@x=1/b', 'a@x=a,b', '@x=1', 'a/../b', 'a/..@x=1', 'a b', 'a@x=1=2', 'a@x={1}']) {
    assert.not.ok(isValidId(bad), bad);
  }
});

test('file names of ids keep @ = , out of paths', () => {
  assert.is(idFileName('train/kitti/second'), 'train__kitti__second');
  assert.is(idFileName('train/kitti/second@lr=1e-4,ep=3'), 'train__kitti__second~lr-1e-4+ep-3');
  assert.is(pointSlug([['lr', 1e-4], ['ep', 3]]), 'lr-1e-4+ep-3');
  assert.not.match(idFileName('a/b@x=1,y=2'), /[@=,/%]/);
});

test('a sweep point shares its base\'s lane in the ui', () => {
  assert.is(laneOf('sweep/kitti/second/train@lr=1e-3,ep=2'), 'kitti/second');
  assert.is(laneOf('train/kitti/second@lr=1e-4'), laneOf('train/kitti/second'));
});

test('target globs select sweep points', () => {
  const ids = ['train/kitti/second', 'train/kitti/second@lr=1e-4,ep=3', 'train/kitti/second@lr=3e-4,ep=3', 'eval/kitti/second@lr=1e-4,ep=3'];
  const sel = (g: string) => ids.filter((id) => globToRegExp(g).test(id));
  assert.equal(sel('train/kitti/second@*'), ['train/kitti/second@lr=1e-4,ep=3', 'train/kitti/second@lr=3e-4,ep=3']);
  assert.equal(sel('train/**'), ids.slice(0, 3));
  assert.equal(sel('*/kitti/second@lr=1e-4,*'), ['train/kitti/second@lr=1e-4,ep=3', 'eval/kitti/second@lr=1e-4,ep=3']);
  assert.equal(sel('train/kitti/second@*ep=3'), ids.slice(1, 3));
});

const rule = defineRule({name: 'test/echo', version: 1, params: z.object({out: z.string()}).strict(), outputs: (p) => [p.out], argv: () => ['true']});

test('sweep(): one declaration per point in matrix order (first key slowest), ids, slugs', () => {
  const s = sweep('train/x', {lr: [1e-4, 3e-4], ep: [3, 5]}, (p, pt) => rule({out: `w/${pt.slug}/ep${p.ep}`}));
  assert.equal(s.ids, ['train/x@lr=1e-4,ep=3', 'train/x@lr=1e-4,ep=5', 'train/x@lr=3e-4,ep=3', 'train/x@lr=3e-4,ep=5']);
  assert.equal([...s].map(([id]) => id), s.ids);
  assert.equal(s.points.map((pt) => pt.index), [0, 1, 2, 3]);
  assert.is(s.points[1]!.slug, 'lr-1e-4+ep-5');
  assert.is(s.points[1]!.at('eval/x'), 'eval/x@lr=1e-4,ep=5');
  assert.equal((s[1]![1].params as {out: string}).out, 'w/lr-1e-4+ep-5/ep5');
  // An explicit list: the matrix plus a fifth point, in the order given.
  const five = sweep('train/x', [...matrixPoints({lr: [1e-4, 3e-4], ep: [3, 5]}), {lr: 1e-3, ep: 3}], (_p, pt) => rule({out: pt.slug}));
  assert.is(five.ids[4], 'train/x@lr=1e-3,ep=3');
  assert.is(five.ids.length, 5);
});

test('a malformed sweep throws at declaration, naming the sweep and what is wrong', () => {
  const mk = () => rule({out: 'o'});
  assert.throws(() => sweep('train/x', {lr: []}, mk), /sweep "train\/x".*lr: give at least one value/);
  assert.throws(() => sweep('train/x', {'1x': [1]}, mk), /param name is an identifier/);
  assert.throws(() => sweep('train/x', {opt: ['adam w']}, mk), /letters, digits/);
  assert.throws(() => sweep('train/x', [{lr: 1}, {lr: 1}], mk), /points 0 and 1 are the same point \(lr=1\)/);
  assert.throws(() => sweep('train/x', [{lr: 1, ep: 2}, {ep: 2, lr: 3}], mk), /point 1 has params \[ep, lr\], expected \[lr, ep\]/);
  assert.throws(() => sweep('train/x@a=1', {lr: [1]}, mk), /plain artifact id/);
  assert.throws(() => sweep('train/x', {lr: [1]}, (() => ({})) as never), /must return a rule application/);
  // Equal numbers written differently are the same point.
  assert.throws(() => sweep('train/x', [{lr: 1e-4}, {lr: 0.0001}], mk), /same point \(lr=1e-4\)/);
});

test.run();
