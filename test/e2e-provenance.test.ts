/**
 * Issue 11 acceptance on the embedded demo (one build of deploy/kitti/second, ~100 s): the signed
 * provenance bundle of its closure names dataset, config, checkpoint, ONNX, INT8 IR, the native
 * gate's verdict and the toolchains; `bevbuild verify` and the independent PyPI verifier pass on
 * the deploy directory; one flipped deploy byte or provenance field fails both, naming what.
 */
import {spawnSync} from 'node:child_process';
import {chmodSync, cpSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {makeDemoWorkspace} from './util/demo-workspace.ts';
import {verifyBoth} from './util/independent-verifier.ts';
import {editedLine, statementOf, writeKeyPair} from './util/provenance-keys.ts';
import {withTimeout} from './util/rig-test.ts';
import {BEVBUILD} from './util/workspace-rig.ts';

const test = suite('e2e-provenance');

test('provenance of deploy/kitti/second on the demo: bundle, both verifiers, flips named', withTimeout(async () => {
  const ws = makeDemoWorkspace();
  try {
    const key = writeKeyPair(ws.dir, 'ci');
    const run = (args: string[]) => spawnSync(process.execPath, [BEVBUILD, ...args], {cwd: ws.dir, encoding: 'utf8', env: {...process.env, CI: '1', BEVBUILD_SIGNING_KEY_FILE: key.privateFile}, maxBuffer: 64 << 20});
    const built = run(['deploy/kitti/second']);
    assert.is(built.status, 0, built.stderr.slice(-3000));
    const exported = run(['provenance', 'deploy/kitti/second']);
    assert.is(exported.status, 0, exported.stderr);
    writeFileSync(join(ws.dir, 'bundle.jsonl'), exported.stdout);
    const lines = exported.stdout.trimEnd().split('\n');
    const byTarget = new Map(lines.map((l) => [statementOf(l)['predicate'].buildDefinition.externalParameters.target as string, statementOf(l)]));
    for (const id of ['data/kitti/raw', 'data/kitti', 'train/kitti/second', 'onnx/kitti/second', 'int8/kitti/second', 'validate/kitti/second', 'deploy/kitti/second']) {
      assert.ok(byTarget.has(id), `the bundle has ${id}`);
    }
    const validate = byTarget.get('validate/kitti/second')!;
    assert.equal(validate['predicate'].runDetails.byproducts.find((b: {name: string}) => b.name === 'validation')?.annotations.pass, true, 'the gate verdict');
    const int8 = byTarget.get('int8/kitti/second')!['predicate'].buildDefinition.resolvedDependencies as {name: string; annotations?: Record<string, unknown>}[];
    const tc = int8.find((d) => d.name === 'toolchain:env/openvino');
    assert.ok(tc?.annotations?.['distributionsDigest'] && tc.annotations['openvino'] && tc.annotations['openvinoLibraries'], `toolchain fingerprint: ${JSON.stringify(tc)}`);
    const train = byTarget.get('train/kitti/second')!['predicate'].buildDefinition.resolvedDependencies as {name: string}[];
    assert.ok(train.some((d) => d.name.startsWith('configs/') || d.name.includes('/configs/')), 'the config chain is a dependency');

    const dir = 'deploy/data/kitti/second';
    const good = verifyBoth(ws.dir, 'bundle.jsonl', dir, key.publicFile);
    assert.is(good.ours.code, 0, good.ours.out);
    assert.is(good.independent.code, 0, good.independent.out);

    cpSync(join(ws.dir, dir), join(ws.dir, 'shipped'), {recursive: true});
    const xml = join(ws.dir, 'shipped', 'bevfusion_unified_int8.bin');
    chmodSync(xml, 0o644);
    const b = readFileSync(xml);
    b[b.length >> 1] = b[b.length >> 1]! ^ 1;
    writeFileSync(xml, b);
    const byte = verifyBoth(ws.dir, 'bundle.jsonl', 'shipped', key.publicFile);
    assert.is(byte.ours.code, 1);
    assert.match(byte.ours.out, /shipped\/bevfusion_unified_int8\.bin: sha256/);
    assert.is(byte.independent.code, 1);
    assert.match(byte.independent.out, /FAIL bevfusion_unified_int8\.bin: sha256/);

    const last = lines.length - 1;
    const edited = [...lines];
    edited[last] = editedLine(lines[last]!, (st) => (st['predicate'].buildDefinition.externalParameters.params.outDir = 'deploy/data/elsewhere'));
    writeFileSync(join(ws.dir, 'bundle.jsonl'), `${edited.join('\n')}\n`);
    const field = verifyBoth(ws.dir, 'bundle.jsonl', dir, key.publicFile);
    assert.is(field.ours.code, 1);
    assert.match(field.ours.out, new RegExp(`bundle line ${last + 1} \\(deploy/kitti/second\\): signature`));
    assert.is(field.independent.code, 1);
    assert.match(field.independent.out, new RegExp(`FAIL line ${last + 1}: signature`));
  } finally {
    ws.dispose();
  }
}, 1_500_000));

test.run();
