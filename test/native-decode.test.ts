/**
 * The addon's C++ decode + NMS equals the independent TS reference (test/fixtures/native/
 * reference-decode.ts) box for box on thousands of random head outputs.
 */
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {BOX_FIELDS, loadAddon, type NativeAddon} from '../native/addon.ts';
import {unpackBoxes, type Box} from '../native/compare.ts';
import {resolveParams} from '../native/decode-params.ts';
import {cachedAddon} from './fixtures/native/build-addon.ts';
import {randomCase} from './fixtures/native/random-heads.ts';
import {referenceDecode, refRotatedIou} from './fixtures/native/reference-decode.ts';
import {withTimeout} from './util/rig-test.ts';
import {ensureVenv} from './util/venv.ts';

const test = suite('native-decode');
const CASES = Number(process.env['BEVBUILD_DECODE_CASES'] ?? 3000);

let addon: NativeAddon | undefined;
function getAddon(): NativeAddon {
  if (!addon) {
    const res = loadAddon(cachedAddon(ensureVenv('demo/requirements-openvino.txt')));
    if (!res.ok) throw new Error(res.error.message);
    addon = res.value;
  }
  return addon;
}

function sameBoxes(got: Box[], want: Box[], ctx: string): void {
  assert.is(got.length, want.length, `${ctx}: box count`);
  got.forEach((g, i) => {
    const w = want[i]!;
    for (const k of Object.keys(w) as (keyof Box)[]) {
      const tol = k === 'label' || k === 'score' ? 0 : 1e-5 * Math.max(1, Math.abs(w[k]));
      if (Math.abs(g[k] - w[k]) > tol) assert.unreachable(`${ctx}: box ${i} field ${k}: native ${g[k]} vs reference ${w[k]}`);
    }
  });
}

test('decode matches the reference on random heads (ties, overlaps, range borders)', withTimeout(async () => {
  const a = getAddon();
  let boxes = 0, nonEmpty = 0;
  for (let seed = 1; seed <= CASES; seed++) {
    const {tasks, params} = randomCase(seed);
    const got = unpackBoxes(a.decode(tasks, params));
    sameBoxes(got, referenceDecode(tasks, params), `seed ${seed}`);
    boxes += got.length;
    if (got.length) nonEmpty++;
  }
  // The generator must actually produce detections, or the comparison proves nothing.
  assert.ok(nonEmpty > CASES * 0.8, `only ${nonEmpty}/${CASES} cases had boxes`);
  assert.ok(boxes > CASES * 5, `only ${boxes} boxes in ${CASES} cases`);
}, 600_000));

test('boxes exactly on the post-centre border are kept, just outside are dropped', withTimeout(async () => {
  const a = getAddon();
  const h = 4, w = 4, hw = h * w;
  const zeros = (n: number): Float32Array => new Float32Array(n);
  const hm = new Float32Array(5 * hw).fill(-10);
  hm[0 * hw + 1 * w + 1] = 5; // class 0 at row 1, col 1
  hm[1 * hw + 3 * w + 3] = 5; // class 1 at row 3, col 3
  const task0 = {classes: 5, h, w, heatmap: hm, reg: zeros(2 * hw), height: zeros(hw), dim: zeros(3 * hw), rot: zeros(2 * hw), vel: zeros(2 * hw)};
  const task1 = {...task0, heatmap: new Float32Array(5 * hw).fill(-10)};
  const x1 = Math.fround(1 * 0.8), x3 = Math.fround(3 * 0.8);
  const params = resolveParams('kitti', {pcMin: [0, 0], postCenterMin: [x1, x1, 0], postCenterMax: [x3, x3, 0], preMax: 1000});
  assert.is(unpackBoxes(a.decode([task0, task1], params)).length, 2);
  const tighter = resolveParams('kitti', {pcMin: [0, 0], postCenterMin: [x1, x1, 0], postCenterMax: [x3 - 1e-4, x3, 0], preMax: 1000});
  assert.is(unpackBoxes(a.decode([task0, task1], tighter)).length, 1);
}));

test('rotated IoU of the reference agrees with known values', () => {
  assert.ok(Math.abs(refRotatedIou([0, 0, 2, 2, 0], [0, 0, 2, 2, 0]) - 1) < 1e-12);
  assert.ok(Math.abs(refRotatedIou([0, 0, 2, 2, 0], [1, 0, 2, 2, 0]) - 1 / 3) < 1e-12);
  // A square and itself rotated 45°: intersection is a regular octagon, area 8(√2−1).
  const oct = 8 * (Math.SQRT2 - 1);
  assert.ok(Math.abs(refRotatedIou([0, 0, 2, 2, 0], [0, 0, 2, 2, Math.PI / 4]) - oct / (8 - oct)) < 1e-9);
  assert.is(refRotatedIou([0, 0, 1, 1, 0], [5, 5, 1, 1, 0.3]), 0);
});

test('decode rejects malformed arguments with a TypeError', withTimeout(async () => {
  const a = getAddon();
  const params = resolveParams('v2x', {preMax: 1000});
  assert.throws(() => a.decode([], resolveParams('v2x')), /preMax > 0/);
  assert.throws(() => a.decode([{classes: 5, h: 2, w: 2, heatmap: new Float32Array(3)} as never], params), /Float32Array|floats/);
  assert.throws(() => (a.decode as unknown as (x: unknown) => unknown)(42), /decode\(tasks/);
  assert.is(BOX_FIELDS, 11);
}));

test.run();
