/**
 * Semantic fingerprints (issue 11 item 6): ONNX, OpenVINO IR and checkpoint digests that ignore
 * what does not change behaviour, and early cutoff on them — an exporter change that alters only
 * ONNX metadata does not re-run quantization, and `why` says "bytes changed, semantics equal".
 */
import {execFileSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {semanticDifference, semanticDigest, type SemanticKind} from '../cache/semantic/semantic-digest.ts';
import {binTensorAt} from '../cache/semantic/openvino-ir.ts';
import {withTimeout} from './util/rig-test.ts';
import {tinyOnnxExporter} from './util/tiny-onnx.ts';
import {API, executedIds, WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('semantic');

const digest = (kind: SemanticKind, p: string) => {
  const d = semanticDigest(kind, p);
  if (!d.ok) throw new Error(d.error.message);
  return d.value;
};

test('ONNX: producer, doc strings and metadata (in any order) do not change the semantic digest; a weight does, and is named', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const make = (name: string, o: Parameters<typeof tinyOnnxExporter>[0]) => {
    rig.write({[`${name}.mjs`]: tinyOnnxExporter(o)});
    execFileSync(process.execPath, [rig.path(`${name}.mjs`), rig.path(`${name}.onnx`)]);
    return rig.path(`${name}.onnx`);
  };
  const a = make('a', {producerVersion: '1.0', doc: 'first', metadata: [['a', '1'], ['b', '2']]});
  const b = make('b', {producerVersion: '2.0', doc: 'second, longer', metadata: [['b', '3'], ['a', '9']]});
  const c = make('c', {producerVersion: '1.0', doc: 'first', weight: 2});
  assert.is.not(rig.read('a.onnx'), rig.read('b.onnx'), 'the bytes differ');
  assert.is(digest('onnx', a), digest('onnx', b));
  assert.is.not(digest('onnx', a), digest('onnx', c));
  assert.equal(semanticDifference('onnx', a, c), {ok: true, value: 'graph.initializer["W"].data'});
  rig.write({'junk.onnx': 'not a model'});
  assert.not.ok(semanticDigest('onnx', rig.path('junk.onnx')).ok, 'a file that is not ONNX has no semantic digest');
}));

test('OpenVINO IR: the model-level rt_info, declaration, name and attribute order are ignored; layers are not', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const layer = (shape: string) => `<layer id="0" name="w" type="Const" version="opset1"><data element_type="f32" shape="${shape}" offset="0" size="16"/><rt_info><attribute name="precise" version="0"/></rt_info><output><port id="0" precision="FP32"><dim>4</dim></port></output></layer>`;
  rig.write({
    'a.xml': `<?xml version="1.0"?>\n<net name="m" version="11">\n\t<layers>\n\t\t${layer('4')}\n\t</layers>\n\t<edges/>\n\t<rt_info><Runtime_version value="2026.4.1"/><nncf><quantization><preset value="mixed"/></quantization></nncf></rt_info>\n</net>\n`,
    'b.xml': `<net version="11" name="other"><layers>${layer('4').replace('element_type="f32" shape="4"', 'shape="4" element_type="f32"')}</layers><edges/><rt_info><Runtime_version value="2027.0"/></rt_info></net>`,
    'c.xml': `<net name="m" version="11"><layers>${layer('2,2')}</layers><edges/></net>`,
  });
  assert.is(digest('openvino-ir', rig.path('a.xml')), digest('openvino-ir', rig.path('b.xml')));
  assert.is.not(digest('openvino-ir', rig.path('a.xml')), digest('openvino-ir', rig.path('c.xml')));
  const d = semanticDifference('openvino-ir', rig.path('a.xml'), rig.path('c.xml'));
  assert.ok(d.ok && d.value?.startsWith('layers[0 "w"]'), JSON.stringify(d));
  assert.is(binTensorAt(rig.read('a.xml'), 5), 'w', 'a .bin byte offset is named by the Const layer holding it');
}));

test('checkpoints (pickle, protocols 2 and 5): dict order and meta timestamps are ignored; weights are not', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const py = (file: string, proto: number, expr: string) =>
    execFileSync('python3', ['-c', `import pickle,sys\nopen(sys.argv[1],'wb').write(pickle.dumps(${expr}, protocol=${proto}))`, rig.path(file)]);
  py('a.pkl', 2, `{'meta': {'time': 1.5, 'config': 'x.yaml'}, 'state_dict': {'w': b'\\x00\\x01', 'b': [1, 2.5]}}`);
  py('b.pkl', 5, `{'state_dict': {'b': [1, 2.5], 'w': b'\\x00\\x01'}, 'meta': {'config': 'x.yaml', 'time': 99.0}}`);
  py('c.pkl', 5, `{'state_dict': {'b': [1, 2.5], 'w': b'\\x00\\x02'}, 'meta': {'config': 'x.yaml'}}`);
  py('d.pkl', 5, `{'state_dict': {'b': [1, 2.5], 'w': b'\\x00\\x01'}, 'meta': {'config': 'y.yaml'}}`);
  assert.is(digest('checkpoint', rig.path('a.pkl')), digest('checkpoint', rig.path('b.pkl')));
  assert.equal(semanticDifference('checkpoint', rig.path('a.pkl'), rig.path('c.pkl')), {ok: true, value: 'state_dict.w'});
  assert.equal(semanticDifference('checkpoint', rig.path('a.pkl'), rig.path('d.pkl')), {ok: true, value: 'meta.config'}, 'meta that loaders act on is kept');
}));

test('config dumps: the run_dir/work_dir a run wrote into is ignored; a changed value is named by line', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'a.yaml': 'model:\n  lr: 1\nrun_dir: "/ws/.bevbuild/runs/r1/out/work_dirs/x"\n',
    'b.yaml': 'model:\n  lr: 1\nrun_dir: "/scratch/.bevbuild/runs/r2/out/work_dirs/x"\n',
    'c.yaml': 'model:\n  lr: 2\nrun_dir: "/ws/.bevbuild/runs/r1/out/work_dirs/x"\n',
  });
  assert.is(digest('config-dump', rig.path('a.yaml')), digest('config-dump', rig.path('b.yaml')));
  assert.equal(semanticDifference('config-dump', rig.path('a.yaml'), rig.path('c.yaml')), {ok: true, value: '[1]'});
}));

const config = `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const exportOnnx = defineRule({
  name: 'test/export', version: 1, params: z.object({}).strict(),
  inputs: () => ['export.mjs'], outputs: () => ['out/model.onnx'], semantic: 'onnx',
  argv: (_p, ctx) => [process.execPath, ctx.in('export.mjs'), ctx.out('out/model.onnx')],
});
const quantize = defineRule({
  name: 'test/quantize', version: 1, params: z.object({}).strict(),
  inputs: () => ['out/model.onnx'], outputs: () => ['out/int8.bin'],
  argv: (_p, ctx) => ['bash', '-c', 'cp "$1" "$2"', 'sh', ctx.in('out/model.onnx'), ctx.out('out/int8.bin')],
});
export default defineConfig({artifacts: {'onnx/m': exportOnnx({}), 'int8/m': quantize({})}});
`;

test('an exporter change that alters only ONNX metadata does not re-run quantization; a weight change does', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config, 'export.mjs': tinyOnnxExporter({producerVersion: '1.0'})});
  let r = await rig.json(['int8/m']);
  assert.equal(executedIds(r.events), ['int8/m', 'onnx/m'], r.stderr);
  const before = rig.read('out/model.onnx');

  writeFileSync(join(rig.dir, 'export.mjs'), tinyOnnxExporter({producerVersion: '1.1', doc: 'now with docs', metadata: [['exported', new Date().toISOString()]]}));
  r = await rig.json(['int8/m']);
  assert.equal(executedIds(r.events), ['onnx/m'], 'only the exporter re-ran');
  assert.is.not(rig.read('out/model.onnx'), before, 'the ONNX bytes changed');
  const why = await rig.exec(['why', 'int8/m']);
  assert.match(why.stdout, 'out/model.onnx (onnx/m): bytes changed, semantics equal');

  writeFileSync(join(rig.dir, 'export.mjs'), tinyOnnxExporter({producerVersion: '1.1', weight: 3}));
  r = await rig.json(['int8/m']);
  assert.equal(executedIds(r.events), ['int8/m', 'onnx/m'], 'a weight change re-runs quantization');
}));

test.run();
