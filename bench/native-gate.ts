/**
 * Benchmark of the native INT8-vs-FP32 gate against the same gate written with the OpenVINO
 * Python API + numpy decode (test/fixtures/native/py_gate.py), on the same frames and models
 * (unified, 128×128 BEV like the v2x preset). Also reports the share of decode + NMS in the
 * native per-frame time (target < 5 %).
 *
 *   node --import tsx bench/native-gate.ts
 *
 * Scenarios: `heavy` has three 3×3×64 convs before the head (a real head's order of compute);
 * `light` is the bare 1×1 selection head, the worst case for the decode share.
 */
import {execFileSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {presets} from '../native/decode-params.ts';
import {validateInt8} from '../native/validate.ts';
import {cachedAddon} from '../test/fixtures/native/build-addon.ts';
import {fixtureModels} from '../test/fixtures/native/fixture-models.ts';
import {ensureVenv} from '../test/util/venv.ts';

const pyGate = fileURLToPath(new URL('../test/fixtures/native/py_gate.py', import.meta.url));
const python = ensureVenv('demo/requirements-openvino.txt');
const addonDir = cachedAddon(python);

function line(name: string, value: string, peer: string, ratio: string): void {
  console.log(`${name.padEnd(34)}  ${value.padStart(12)}  ${peer.padStart(14)}  ${ratio.padStart(8)}`);
}

interface PyResult {
  frames: number;
  seconds: number;
  decode_seconds: number;
  fp32_counts: number[];
  int8_counts: number[];
}

async function scenario(name: string, heavy: number): Promise<void> {
  const m = fixtureModels(python, ['--size', '128', '--frames', '24', '--objects', '12', '--heavy', String(heavy)]);
  const args = {
    addonDir, fp32: [m.path('unified_fp32.onnx')], int8: [m.path('unified_int8.xml')], framesDir: m.frames,
    consts: [{name: 'indices', path: m.indices}], preset: 'v2x' as const,
  };
  // Best of 3 for both sides: the machine has 2 cores and is shared.
  let best = {fps: 0, share: 1, decodeMs: 0, frameMs: 0, counts: [] as number[]};
  for (let i = 0; i < 3; i++) {
    const res = await validateInt8(args);
    if (!res.ok) throw new Error(res.error.message);
    const t = res.value.timings;
    if (t.framesPerSecond > best.fps) {
      const frameMs = (t.loadMs + t.fp32Ms + t.int8Ms + t.decodeMs + t.compareMs) / res.value.result.frames.length;
      best = {fps: t.framesPerSecond, share: t.decodeShare, decodeMs: t.decodeMs / res.value.result.frames.length, frameMs, counts: res.value.result.frames.map((f) => f.fp32Count)};
    }
  }
  let py: PyResult | undefined;
  for (let i = 0; i < 3; i++) {
    const out = execFileSync(python, [pyGate, args.fp32[0]!, args.int8[0]!, m.frames, JSON.stringify({...presets.v2x, preMax: 1000}), `indices=${m.indices}`], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
    const r = JSON.parse(out.trim().split('\n').pop()!) as PyResult;
    if (!py || r.seconds < py.seconds) py = r;
  }
  const pyFps = py!.frames / py!.seconds;
  const agree = JSON.stringify(py!.fp32_counts) === JSON.stringify(best.counts);
  line(`${name}: native gate frames/s`, best.fps.toFixed(2), `python ${pyFps.toFixed(2)}`, `${(best.fps / pyFps).toFixed(2)}x`);
  line(`${name}: native decode+NMS share`, `${(best.share * 100).toFixed(2)} %`, 'limit 5 %', (best.share / 0.05).toFixed(3));
  line(`${name}: native decode+NMS ms/frame`, best.decodeMs.toFixed(3), `of ${best.frameMs.toFixed(2)} ms`, '');
  const pyDecode = (py!.decode_seconds * 1000) / py!.frames;
  line(`${name}: python decode ms/frame`, pyDecode.toFixed(3), `native ${best.decodeMs.toFixed(3)}`, `${(pyDecode / best.decodeMs).toFixed(1)}x`);
  line(`${name}: per-frame counts agree`, agree ? 'yes' : 'NO', 'python', '');
}

console.log(`${'name'.padEnd(34)}  ${'value'.padStart(12)}  ${'peer/limit'.padStart(14)}  ${'ratio'.padStart(8)}`);
await scenario('heavy', 3);
await scenario('light', 0);
