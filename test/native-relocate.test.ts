/**
 * The native gate as graph nodes in a small workspace (the fixture models, the pinned test venv as
 * the toolchain): issue 10 #4 — the addon carries no path, so a workspace moved to another path
 * (the old one gone) and a clone that restores the addon from the remote cache both run the gate
 * on it; issue 17 — a re-validation with the same verdicts leaves validation.json's bytes alone, so
 * publish is cut off (timings go to timings.json, which nothing downstream reads).
 */
import {cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {absoluteRunpaths} from '../native/build.ts';
import {nativeAddon} from '../rules/native-gate.ts';
import {fixtureModels} from './fixtures/native/fixture-models.ts';
import {startNginx} from './util/nginx-rig.ts';
import {withTimeout} from './util/rig-test.ts';
import {ensureVenv, repoRoot} from './util/venv.ts';
import {API, BEVBUILD, executedIds, summaryOf} from './util/workspace-rig.ts';
import {spawnSync} from 'node:child_process';

const test = suite('native-relocate');

const config = (venv: string) => `import {defineConfig} from ${JSON.stringify(API)};
import {externalPython} from ${JSON.stringify(join(repoRoot, 'rules/env/external-python.ts'))};
import {nativeAddon, validateInt8} from ${JSON.stringify(join(repoRoot, 'rules/native-gate.ts'))};
import {publish} from ${JSON.stringify(join(repoRoot, 'rules/publish.ts'))};

export default defineConfig({
  artifacts: {
    'env/openvino': externalPython({name: 'openvino', prefix: ${JSON.stringify(venv)}}),
    'native/addon': nativeAddon({env: 'env/openvino', outDir: 'build/native'}),
    'validate/fixture': validateInt8({env: 'env/openvino', addonDir: 'build/native', fp32: ['models/unified_fp32.onnx'], int8: ['models/unified_int8.xml'],
      framesDir: 'frames', consts: {indices: 'models/indices.bin'}, preset: 'kitti', maxBoxDiff: 1, minRecall: 0.9, outDir: 'build/validation/fixture'}),
    'deploy/fixture': publish({outDir: 'deploy/fixture', gates: ['build/validation/fixture/validation.json'], files: {'model.xml': 'models/unified_int8.xml'}}),
  },
});
`;

/** A workspace with the fixture models and frames under a fresh temp path. */
function makeWorkspace(venv: string, python: string): string {
  const m = fixtureModels(python);
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-relocate-'));
  for (const f of ['unified_fp32.onnx', 'unified_int8.xml', 'unified_int8.bin', 'indices.bin']) cpSync(m.path(f), join(dir, 'models', f));
  cpSync(m.frames, join(dir, 'frames'), {recursive: true});
  writeFileSync(join(dir, 'bevbuild.config.ts'), config(venv));
  return dir;
}

function bevbuild(dir: string, args: string[]) {
  // No VIRTUAL_ENV/LD_LIBRARY_PATH from the test process: the gate must find OpenVINO through the toolchain.
  const env: Record<string, string | undefined> = {...process.env, CI: '1', NO_COLOR: '1', VIRTUAL_ENV: undefined, LD_LIBRARY_PATH: undefined, OpenVINO_DIR: undefined, OPENVINO_ROOT: undefined};
  const r = spawnSync(process.execPath, [BEVBUILD, ...args, '--json'], {cwd: dir, encoding: 'utf8', env: env as NodeJS.ProcessEnv, maxBuffer: 16 << 20});
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return {code: r.status, events, out: `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`};
}

test('re-validation with the same verdicts does not re-publish; the moved workspace and a remote clone run the gate on their addon', withTimeout(async () => {
  const python = ensureVenv('demo/requirements-openvino.txt');
  const venv = dirname(dirname(python));
  const nginx = await startNginx();
  const a = makeWorkspace(venv, python);
  const b = `${a}-moved`;
  const c = makeWorkspace(venv, python);
  try {
    const first = bevbuild(a, ['deploy/fixture', '--remote', nginx.url, '--remote-upload']);
    assert.is(first.code, 0, first.out);
    const rp = absoluteRunpaths(join(a, 'build/native/bevbuild_native.node'));
    assert.ok(rp.ok && rp.value.length === 0, 'the addon embeds no absolute library path');
    const gate = JSON.parse(readFileSync(join(a, 'build/validation/fixture/validation.json'), 'utf8')) as {pass: boolean; margins: {boxDiff: {margin: number}; recall: {margin: number}}; models: {fp32: {path: string}[]}};
    assert.ok(gate.pass);
    assert.is(gate.margins.boxDiff.margin, 1, 'identical models: a whole box of margin per frame');
    assert.is(gate.models.fp32[0]!.path, 'models/unified_fp32.onnx', 'workspace-relative model paths');
    const json1 = readFileSync(join(a, 'build/validation/fixture/validation.json'), 'utf8');
    const timings1 = readFileSync(join(a, 'build/validation/fixture/timings.json'), 'utf8');

    // Issue 17: a file the gate does not use lands in its frames dir → the gate reruns, same verdicts → no publish.
    writeFileSync(join(a, 'frames', 'notes.txt'), 'not a frame\n');
    const again = bevbuild(a, ['deploy/fixture']);
    assert.is(again.code, 0, again.out);
    assert.equal(executedIds(again.events), ['validate/fixture'], 'the gate reran, publish was cut off');
    assert.is(readFileSync(join(a, 'build/validation/fixture/validation.json'), 'utf8'), json1, 'validation.json is byte-identical');
    assert.is.not(readFileSync(join(a, 'build/validation/fixture/timings.json'), 'utf8'), timings1, 'timings.json is the run-to-run part');

    // Issue 10 #4: move the workspace (the old path is gone), make the gate run again there.
    renameSync(a, b);
    writeFileSync(join(b, 'frames', 'notes.txt'), 'moved\n');
    const moved = bevbuild(b, ['deploy/fixture']);
    assert.is(moved.code, 0, moved.out);
    assert.ok(executedIds(moved.events).includes('validate/fixture'), `the gate ran in the moved workspace: ${executedIds(moved.events).join(', ')}`);
    assert.not.ok(executedIds(moved.events).includes('native/addon'), 'with the addon it moved');
    const audit = spawnSync(process.execPath, [BEVBUILD, 'audit', 'native/addon'], {cwd: b, encoding: 'utf8', env: {...process.env, CI: '1', VIRTUAL_ENV: ''}});
    assert.is(audit.status, 0, `audit loads the moved addon: ${audit.stdout}${audit.stderr}`);
    const unusable = await nativeAddon.spec.audit!({env: 'env/openvino', outDir: 'build/native'}, {root: b, env: {VIRTUAL_ENV: join(b, 'no-such-env')}});
    assert.ok(!unusable.ok && /build\/native does not load: .*libopenvino/.test(unusable.error.message), 'audit names an addon that cannot load here');

    // A clone at another path with an empty store restores the addon and runs its own gate on it.
    writeFileSync(join(c, 'frames', 'notes.txt'), 'clone\n');
    const clone = bevbuild(c, ['deploy/fixture', '--remote', nginx.url]);
    assert.is(clone.code, 0, clone.out);
    const restored = clone.events.filter((e) => e['type'] === 'done' && e['status'] === 'restored').map((e) => e['id']);
    assert.ok(restored.includes('native/addon'), `addon restored from the remote: ${JSON.stringify(summaryOf(clone.events))}`);
    assert.ok(executedIds(clone.events).includes('validate/fixture'), 'the gate ran on the restored addon');
    assert.ok((JSON.parse(readFileSync(join(c, 'build/validation/fixture/validation.json'), 'utf8')) as {pass: boolean}).pass);
  } finally {
    await nginx.stop();
    for (const d of [a, b, c]) rmSync(d, {recursive: true, force: true});
  }
}, 900_000));

test.run();
