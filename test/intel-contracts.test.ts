/**
 * Contract tests: the argv every Intel rule generates for the example workspace (on the fixture
 * repo) is accepted by a machine-readable description of that tool's real CLI
 * (test/util/intel-cli-contracts.ts, written from the reference), and the params-level guards
 * refuse what the tools would silently get wrong.
 */
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {loadConfig} from '../src/config/load-config.ts';
import {placeholderContext} from '../src/engine/action-key.ts';
import {analyze} from '../src/graph/analyze.ts';
import type {GraphNode} from '../src/graph/graph.ts';
import {containerImage} from '../rules/env/container-image.ts';
import {checkNoMissingKeys} from '../rules/intel/common.ts';
import {exportUnifiedOnnx} from '../rules/intel/export-unified-onnx.ts';
import {ppQuantizeStage} from '../rules/intel/pointpillars/quantize-stage.ts';
import {publishIntel} from '../rules/intel/publish.ts';
import {bevfusionUnifiedRun} from '../rules/deploy/bevfusion-unified.ts';
import {prepareIntelFixture} from './fixtures/intel-repo/prepare.ts';
import {checkArgv, INTEL_CONTRACTS, splitProgram} from './util/intel-cli-contracts.ts';
import {withTimeout} from './util/rig-test.ts';

const test = suite('intel-contracts');

/** Rules whose tool is bevbuild's own helper (no Intel CLI to match). */
const OWN_TOOLS = new Set(['env/external-python', 'env/openvino-root', 'intel/config-override', 'intel/publish', 'deploy/compare-counts', 'intel/import-probe']);

async function exampleNodes(): Promise<{nodes: GraphNode[]; dispose: () => Promise<void>}> {
  const fx = prepareIntelFixture();
  Object.assign(process.env, fx.env);
  const loaded = await loadConfig(fx.ws);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const graph = analyze(fx.ws, loaded.value.file, loaded.value.spec);
  if (!graph.ok) throw new Error(graph.error.map((d) => `${d.nodeId}: ${d.message}`).join('\n'));
  return {nodes: [...graph.value.nodes.values()], dispose: () => fx[Symbol.asyncDispose]()};
}

test('every Intel tool argv of the example is accepted by the real CLI', withTimeout(async () => {
  const {nodes, dispose} = await exampleNodes();
  try {
    const checked = new Set<string>();
    const problems: string[] = [];
    for (const node of nodes) {
      const argv = node.rule.argv(node.params, placeholderContext(node));
      if (OWN_TOOLS.has(node.rule.name)) continue;
      const prog = splitProgram(argv);
      const contract = prog && INTEL_CONTRACTS[prog.program];
      if (!prog || !contract) {
        problems.push(`${node.id}: no contract for ${JSON.stringify(argv.slice(0, 4))}`);
        continue;
      }
      checked.add(prog.program);
      for (const p of checkArgv(contract, prog.args)) problems.push(`${node.id} (${prog.program}): ${p}`);
    }
    assert.equal(problems, []);
    // Every tool the example uses was checked (create_data.py too: KITTI raw → infos is a node, issue 9 #6).
    const expected = Object.keys(INTEL_CONTRACTS).sort();
    assert.equal([...checked].sort(), expected);
  } finally {
    await dispose();
  }
}, 60_000));

test('the checker rejects what the real CLIs reject', () => {
  const c = INTEL_CONTRACTS;
  assert.match(checkArgv(c['bevfusion']!, ['ds', '--fp32']).join(), /renamed to --fp16/);
  assert.match(checkArgv(c['bevfusion_unified']!, ['ds', '--device', 'GPU']).join(), /unknown flag --device/);
  assert.match(checkArgv(c['export/export_unified_onnx.py']!, ['cfg', 'ckpt', '-o', 'x.onnx']).join(), /missing required flag --geometry-dir/);
  assert.match(checkArgv(c['export/export_unified_onnx.py']!, ['cfg', 'ckpt', '--geometry-dir', 'g', '--fp16']).join(), /unknown flag --fp16/);
  assert.match(checkArgv(c['export/quantize_unified.py']!, ['--stage', 'calibrate']).join(), /expected one of/);
  assert.match(checkArgv(c['export/precompute_geometry.py']!, ['cfg', 'ckpt', '--from-dataset', '--data-path', 'x']).join(), /mutually exclusive/);
  assert.match(checkArgv(c['tools/train.py']!, ['cfg', '--max_epochs']).join(), /has no value/);
  assert.equal(checkArgv(c['tools/train.py']!, ['cfg', '--no-dist', '--max_epochs', '2', '--a.b=3']), []);
  assert.match(checkArgv(c['export/dump_voxels.py']!, ['cfg']).join(), /expected 2 positional\(s\), got 1/);
  assert.equal(checkArgv(c['tools/inference_vis.py']!, ['cfg', 'ck', '--bbox-classes', '0', '1', '--mode', 'pred']), []);
});

test('params guards refuse silent traps', () => {
  const issues = (r: {spec: {params: {safeParse(v: unknown): {success: boolean; error?: {issues: {message: string}[]}}}}}, params: unknown) => {
    const res = r.spec.params.safeParse(params);
    return res.success ? '' : res.error!.issues.map((i) => i.message).join('; ');
  };
  const repo = {repo: '/r/training', env: 'env/bev'};
  // pitfall 14/15: the PFE stage must quantize the static V=7000 export
  assert.match(issues(ppQuantizeStage, {...repo, stage: 'lidar_pfe', config: 'c.yaml', checkpoint: 'e.pth', onnx: 'x/lidar_pfe.onnx', out: 'x/quantized_lidar_pfe.xml'}), /lidar_pfe_v7000\.onnx/);
  // pitfall 1 is guarded on config *content* (test/intel-guards.test.ts); the export still needs an exact epoch_N.pth
  assert.match(issues(exportUnifiedOnnx, {...repo, config: 'configs/Kitti/x/resnet34/bevpoolv2.bevbuild.yaml', checkpoint: 'w/latest.pth', geometryDir: 'g', output: 'o.onnx'}), /exact epoch_N\.pth/);
  assert.equal(issues(exportUnifiedOnnx, {...repo, config: 'configs/Kitti/x/resnet34/bevpoolv2.bevbuild.yaml', checkpoint: 'w/epoch_2.pth', geometryDir: 'g', output: 'o.onnx'}), '');
  // §7 layout: a publish dir must match the preset's deploy data dir
  assert.match(issues(publishIntel, {pipeline: 'second', preset: 'v2x', outDir: 'deploy/data/kitti/second', int8Xml: 'a.xml', fp32Onnx: 'a.onnx'}), /v2xfusion\/second/);
  // INT8 runs load the IR, FP16 runs the ONNX
  assert.match(issues(bevfusionUnifiedRun, {binary: 'b', dataset: 'd', preset: 'kitti', precision: 'fp16', model: 'm.xml', outDir: 'o'}), /fp16 runs the ONNX/);
  // a container image must be pinned by digest
  assert.match(issues(containerImage, {name: 'tao', image: 'nvcr.io/nvidia/tao/tao-toolkit:5.5.0-pyt'}), /pin the image by digest/);
  // pitfall 2: a strict=False load that reports missing keys fails the node; vtransform.cx is expected
  assert.not.ok(checkNoMissingKeys('load checkpoint\nmissing keys in source state_dict: encoders.lidar.backbone.conv0.weight\n').ok);
  assert.ok(checkNoMissingKeys('missing keys in source state_dict: encoders.camera.vtransform.cx\n').ok);
});

test.run();
