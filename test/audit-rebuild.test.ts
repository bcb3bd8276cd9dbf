/**
 * `bevbuild audit --rebuild` (issue 11 item 5): re-runs a closure in a scratch workspace ignoring
 * the cache and compares outputs byte for byte, then by meaning, naming the first difference; a
 * rule declared nondeterministic passes when its declared semantic outputs mean the same.
 */
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {tinyOnnxExporter} from './util/tiny-onnx.ts';
import {API, WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('audit-rebuild');

const config = `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const sh = defineRule({
  name: 'test/sh', version: 1,
  params: z.object({script: z.string(), inputs: z.array(z.string()), outputs: z.array(z.string())}).strict(),
  inputs: (p) => p.inputs, outputs: (p) => p.outputs,
  argv: (p, ctx) => ['bash', '-c', p.script, 'sh', ...p.inputs.map(ctx.in), ...p.outputs.map(ctx.out)],
  env: () => ({XML: '<net name="m" version="11"><layers><layer id="0" name="head.weight" type="Const" version="opset1"><data element_type="f32" shape="4" offset="0" size="16"/></layer></layers><edges/></net>'}),
});
const stampedExport = defineRule({
  name: 'test/stamped-export', version: 1, params: z.object({}).strict(),
  inputs: () => ['export.mjs', 'data/ckpt.bin'], outputs: () => ['out/model.onnx'],
  semantic: 'onnx', nondeterministic: 'the exporter stamps the export time into metadata_props',
  argv: (_p, ctx) => [process.execPath, ctx.in('export.mjs'), ctx.out('out/model.onnx')],
});
const undeclaredExport = defineRule({
  name: 'test/undeclared-export', version: 1, params: z.object({}).strict(),
  inputs: () => ['export.mjs'], outputs: () => ['out/plain.onnx'],
  argv: (_p, ctx) => [process.execPath, ctx.in('export.mjs'), ctx.out('out/plain.onnx')],
});
export default defineConfig({artifacts: {
  'data/ckpt': sh({script: 'cp "$1" "$2" && mkdir -p "$3" && cp "$1" "$3/w.bin" && echo fixed > "$3/meta.txt"', inputs: ['src.txt'], outputs: ['data/ckpt.bin', 'data/dir']}),
  'onnx/m': stampedExport({}),
  'onnx/plain': undeclaredExport({}),
  'ir/m': sh({script: 'printf %s "$XML" > "$2" && head -c 8 "$1" > "$3" && head -c 8 /dev/urandom >> "$3"', inputs: ['src.txt'], outputs: ['out/ir.xml', 'out/ir.bin']}),
  'noisy/m': sh({script: 'cat "$1" > "$2" && head -c 16 /dev/urandom >> "$2"', inputs: ['out/model.onnx'], outputs: ['out/noisy.bin']}),
}});
`;

async function workspace(rig: WorkspaceRig) {
  const stamp = `new Date().toISOString() + process.hrtime.bigint()`;
  const exporter = tinyOnnxExporter({producerVersion: '1.0'}).replace("writeFileSync(process.argv[2], model);", `writeFileSync(process.argv[2], Buffer.concat([model, msg(14, str(1, 'exported'), str(2, String(${stamp})))]));`);
  rig.write({'bevbuild.config.ts': config, 'src.txt': 'weights', 'export.mjs': exporter});
  const built = await rig.exec(['noisy/m', 'onnx/plain', 'ir/m']);
  assert.is(built.code, 0, built.stderr);
}

test('deterministic nodes are byte-identical, a declared nondeterministic exporter is equal in meaning, a noisy node is named with its first differing byte', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  await workspace(rig);
  const r = await rig.json(['audit', '--rebuild', 'noisy/m']);
  assert.is(r.code, 1, r.stderr);
  const byId = Object.fromEntries(r.events.filter((e) => e['type'] === 'audit-rebuild-node').map((e) => [e['id'], e]));
  assert.is(byId['data/ckpt']!['status'], 'reproducible');
  assert.is(byId['onnx/m']!['status'], 'reproducible-semantically');
  assert.is(byId['noisy/m']!['status'], 'not-reproducible');
  const noisy = (byId['noisy/m']!['files'] as {path: string; detail: string}[])[0]!;
  assert.is(noisy.path, 'out/noisy.bin');
  assert.match(noisy.detail, /bytes differ from offset \d+/);
  const summary = r.events.find((e) => e['type'] === 'audit-rebuild')!;
  assert.equal([summary['rerun'], summary['reproducible'], summary['semantically'], summary['notReproducible']], [3, 1, 1, 1]);
  assert.not.ok(rig.exists('.bevbuild/audit-'), 'the scratch workspace is removed');
  const ir = await rig.json(['audit', '--rebuild', 'ir/m']);
  const irNode = ir.events.find((e) => e['type'] === 'audit-rebuild-node')!;
  const [binDiff] = irNode['files'] as {path: string; status: string; detail: string}[];
  assert.equal([binDiff!.path, binDiff!.status], ['out/ir.bin', 'different']);
  assert.match(binDiff!.detail, /^bytes differ from offset \d+ \(weights of constant "head\.weight"\)$/, 'an IR weight difference names the constant');
}));

test('--nodes re-runs only the matching nodes (the rest come from the store); an undeclared semantic-only difference gets a hint; sources edited since the build are named, not blamed on the tool', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  await workspace(rig);
  const only = await rig.exec(['audit', '--rebuild', 'noisy/m', '--nodes', 'onnx/*']);
  assert.is(only.code, 0, only.stdout + only.stderr);
  assert.match(only.stdout, '≈ reproducible (semantics)   onnx/m — declared nondeterministic: the exporter stamps the export time');
  assert.match(only.stderr, '· recorded  data/ckpt');
  assert.not.match(only.stdout, 'noisy/m');
  const plain = await rig.exec(['audit', '--rebuild', 'onnx/plain']);
  assert.is(plain.code, 1);
  assert.match(plain.stdout, '✘ not reproducible           onnx/plain');
  assert.match(plain.stdout, /out\/plain\.onnx: semantic-equal — bytes differ from offset \d+; semantically equal as onnx \(kind guessed/);
  assert.match(plain.stdout, 'hint: bytes differ but every difference means the same');
  rig.write({'src.txt': 'edited after the build'});
  const drift = await rig.exec(['audit', '--rebuild', 'onnx/m']);
  assert.is(drift.code, 1);
  assert.match(drift.stdout, '? sources changed since      data/ckpt');
  assert.match(drift.stdout, 'the rerun read other sources than the recorded build (input-changed: src.txt)');
  const usage = await rig.exec(['audit', '--rebuild']);
  assert.is(usage.code, 2);
}));

test.run();
