/**
 * External environments as env nodes: the files that make their fingerprints, the container-image
 * probe (its parsing on recorded `docker image inspect` output, and a clear failure without an
 * engine), and the venv probe writing interpreter version + distributions.
 */
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {distributionFiles, interpreterFiles, openvinoEnv, openvinoFiles} from '../rules/env/env-files.ts';
import {matchesPin, parseImageInspect, pinnedDigest} from '../rules/env/image-inspect.ts';
import {nodeTool, toolPath} from '../rules/intel/node-tool.ts';
import {prepareIntelFixture} from './fixtures/intel-repo/prepare.ts';
import {withTimeout} from './util/rig-test.ts';

const test = suite('intel-env');
const INSPECT = readFileSync(new URL('./fixtures/intel-repo/docker-image-inspect.json', import.meta.url), 'utf8');
const ID = 'sha256:3f2b7f1c9d0e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b';
const MANIFEST = 'sha256:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b';

test('docker image inspect output parses into the image identity', () => {
  const fp = parseImageInspect(INSPECT);
  assert.ok(fp.ok);
  if (!fp.ok) return;
  assert.equal(fp.value, {id: ID, repoDigests: [`nvcr.io/nvidia/tao/tao-toolkit@${MANIFEST}`], repoTags: ['nvcr.io/nvidia/tao/tao-toolkit:5.5.0-pyt'], created: '2024-08-12T10:11:12.123456789Z', os: 'linux', architecture: 'amd64'});
  assert.ok(matchesPin(fp.value, `nvcr.io/nvidia/tao/tao-toolkit@${MANIFEST}`), 'pinned by manifest digest');
  assert.ok(matchesPin(fp.value, `tao@${ID}`), 'pinned by image id');
  assert.not.ok(matchesPin(fp.value, `tao@sha256:${'0'.repeat(64)}`));
  assert.is(pinnedDigest('tao:5.5.0'), undefined);
  const bad = parseImageInspect('[]');
  assert.ok(!bad.ok && /no image with an "Id"/.test(bad.error.message));
  const notJson = parseImageInspect('Error: No such image: tao');
  assert.ok(!notJson.ok && /not JSON/.test(notJson.error.message));
});

test('without a container engine the probe fails with a clear message', withTimeout(async () => {
  const probe = toolPath(import.meta.url, '../rules/env/tools/inspect-image.ts');
  const [node, ...pre] = nodeTool(probe);
  const r = spawnSync(node!, [...pre, '--engine', 'bevbuild-no-such-engine', '--image', `tao@${ID}`, '--out', '/dev/null'], {encoding: 'utf8'});
  assert.is(r.status, 2);
  assert.match(r.stderr, /no container engine: "bevbuild-no-such-engine" is not on PATH/);
}));

test('fingerprint files of a venv and of an OpenVINO build', withTimeout(async () => {
  await using fx = prepareIntelFixture();
  const bev = join(fx.repo, 'envs/bev');
  const dists = distributionFiles(bev).map((f) => f.slice(bev.length + 1));
  assert.equal(dists, ['lib/python3.8/site-packages/mmcv_full-1.4.0.dist-info/METADATA', 'lib/python3.8/site-packages/onnx-1.12.0.dist-info/METADATA', 'lib/python3.8/site-packages/torch-1.11.0.dist-info/METADATA']);
  const interp = interpreterFiles(bev);
  assert.is(interp[0], join(bev, 'bin/python'));
  assert.ok(interp.includes(join(bev, 'pyvenv.cfg')));
  assert.ok(interp.length === 3, 'the real interpreter behind the symlink is an input too');
  const release = join(fx.repo, 'openvino/bin/intel64/Release');
  assert.equal(openvinoFiles(release).map((f) => f.slice(release.length + 1)), [
    'libopenvino.so.2026.1.0', 'libopenvino_intel_cpu_plugin.so', 'libopenvino_intel_gpu_plugin.so', 'plugins.xml', 'python/openvino/_pyopenvino.cpython-312-x86_64-linux-gnu.so',
  ]);
  assert.equal(openvinoEnv(release), {PYTHONPATH: `${release}/python`, LD_LIBRARY_PATH: release});
}));

test('the venv probe records the interpreter version and distributions', withTimeout(async () => {
  await using fx = prepareIntelFixture();
  const out = join(fx.ws, 'fp.json');
  const r = spawnSync(join(fx.repo, 'envs/spconv/bin/python'), [toolPath(import.meta.url, '../rules/env/tools/python_fingerprint.py'), '--out', out], {encoding: 'utf8'});
  assert.is(r.status, 0, r.stderr);
  assert.ok(existsSync(out));
  const fp = JSON.parse(readFileSync(out, 'utf8')) as {python: string; distributions: Record<string, string>};
  assert.match(fp.python, /^3\.\d+\.\d+$/);
  assert.type(fp.distributions, 'object');
}));

test.run();
