/**
 * Issue 17: a node is keyed on the part of its toolchain it uses. With the real python-venv and
 * native-gate rules, an NNCF-only pin bump changes the quantizer's key but not the native addon's
 * (it links only the OpenVINO runtime); an OpenVINO bump changes both. Then a real build with a
 * small pinned venv: the whole-env node reruns, the part-keyed node does not, and the plan shows
 * the pin diff on the env node itself.
 */
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {closure} from '../src/graph/graph.ts';
import {actionKey} from '../src/engine/action-key.ts';
import {keyRecordOf} from '../src/engine/input-digests.ts';
import {openWorkspace} from '../src/engine/open-workspace.ts';
import {diffKeyRecords} from '../src/engine/reasons.ts';
import {reasonText} from '../src/engine/rebuild-reason.ts';
import {withTimeout} from './util/rig-test.ts';
import {repoRoot} from './util/venv.ts';
import {API, WorkspaceRig, executedIds} from './util/workspace-rig.ts';

const test = suite('toolchain-parts');

const RULES = join(repoRoot, 'rules');

/** A quantizer stand-in: runs in the whole env (NNCF, OpenVINO, numpy… all matter to it). */
const quantizeRule = `const quantize = defineRule({
  name: 'test/quantize',
  version: 1,
  params: z.object({env: z.string(), out: z.string()}).strict(),
  toolchain: (p) => p.env,
  outputs: (p) => [p.out],
  argv: (p, ctx) => [ctx.python(), '-c', 'import sys, importlib.metadata as m; open(sys.argv[1], "w").write(m.version("tabulate"))', ctx.out(p.out)],
});`;

/** Keys of the given nodes, computed as a build would (toolchains first), without running anything. */
async function keysOf(root: string, ids: string[]) {
  const ws = await openWorkspace(root, {log: () => {}, close: () => {}});
  if (!ws.ok) throw new Error(JSON.stringify(ws.error));
  const keys = new Map<string, string>();
  const records = new Map<string, Awaited<ReturnType<typeof keyRecordOf>>>();
  for (const id of closure(ws.value.graph, ids)) {
    const r = await keyRecordOf(ws.value, ws.value.graph.nodes.get(id)!, () => undefined, (t) => keys.get(t));
    records.set(id, r);
    keys.set(id, actionKey(r));
  }
  return {keys, records};
}

test('with the real rules, an NNCF-only bump re-keys the quantizer, not the native addon', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  mkdirSync(rig.path('req'));
  copyFileSync(join(repoRoot, 'demo/requirements-openvino.txt'), rig.path('req/openvino.txt'));
  rig.write({'bevbuild.config.ts': `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
import {pythonVenv} from ${JSON.stringify(join(RULES, 'python-venv.ts'))};
import {nativeAddon} from ${JSON.stringify(join(RULES, 'native-gate.ts'))};
${quantizeRule}
export default defineConfig({artifacts: {
  'env/openvino': pythonVenv({name: 'openvino', requirements: 'req/openvino.txt'}),
  'native/addon': nativeAddon({env: 'env/openvino', outDir: 'build/native'}),
  'int8/kitti': quantize({env: 'env/openvino', out: 'out/int8.txt'}),
}});
`});
  const ids = ['native/addon', 'int8/kitti'];
  const before = await keysOf(rig.dir, ids);
  assert.ok(Object.keys(before.records.get('native/addon')!.inputs).includes('@toolchain[openvino]'), 'the addon keys on the openvino part');
  assert.ok(Object.keys(before.records.get('int8/kitti')!.inputs).includes('@toolchain'), 'the quantizer keys on the whole env');

  const req = rig.path('req/openvino.txt');
  const original = readFileSync(req, 'utf8');
  writeFileSync(req, original.replace(/^nncf==.*$/m, 'nncf==3.3.0'));
  const nncf = await keysOf(rig.dir, ids);
  assert.is(nncf.keys.get('native/addon'), before.keys.get('native/addon'), 'the addon is untouched by an NNCF bump');
  assert.is.not(nncf.keys.get('int8/kitti'), before.keys.get('int8/kitti'));
  assert.equal(diffKeyRecords(before.records.get('int8/kitti'), nncf.records.get('int8/kitti')!, {toolchain: 'env/openvino'}).map(reasonText), ['env-changed: env/openvino']);

  writeFileSync(req, original.replace(/^openvino==.*$/m, 'openvino==2026.4.0'));
  const ov = await keysOf(rig.dir, ids);
  assert.is.not(ov.keys.get('native/addon'), before.keys.get('native/addon'), 'an OpenVINO bump rebuilds the addon');
  assert.is.not(ov.keys.get('int8/kitti'), before.keys.get('int8/kitti'));

  // A requirements file pip may resolve differently (a range) cannot be split: the whole env is keyed.
  writeFileSync(req, `${original}scipy>=1\n`);
  const loose = await keysOf(rig.dir, ids);
  assert.ok(Object.keys(loose.records.get('native/addon')!.inputs).includes('@toolchain'));
}));

test('a real venv: a pin bump outside the part reruns the whole-env node only, with the pin diff on the env node', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'req/env.txt': 'mdurl==0.1.2\ntabulate==0.10.0\n',
    'bevbuild.config.ts': `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
import {pythonVenv} from ${JSON.stringify(join(RULES, 'python-venv.ts'))};
${quantizeRule}
/** Uses only the mdurl distribution of the env (as the addon uses only OpenVINO). */
const partUser = defineRule({
  name: 'test/part-user',
  version: 1,
  params: z.object({env: z.string(), out: z.string()}).strict(),
  toolchain: (p) => p.env,
  toolchainUses: () => ['mdurl'],
  outputs: (p) => [p.out],
  argv: (p, ctx) => [ctx.python(), '-c', 'import sys, mdurl; open(sys.argv[1], "w").write(mdurl.__name__)', ctx.out(p.out)],
});
export default defineConfig({artifacts: {
  'env/py': pythonVenv({name: 'py', requirements: 'req/env.txt'}),
  'addon': partUser({env: 'env/py', out: 'out/addon.txt'}),
  'int8': quantize({env: 'env/py', out: 'out/int8.txt'}),
}});
`,
  });
  let r = await rig.json(['addon', 'int8']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(executedIds(r.events), ['addon', 'env/py', 'int8']);
  assert.is(rig.read('out/int8.txt'), '0.10.0');

  rig.write({'req/env.txt': 'mdurl==0.1.2\ntabulate==0.9.0\n'});
  const plan = await rig.json(['addon', 'int8', '--dry-run']);
  const byId = new Map(plan.events.filter((e) => e['type'] === 'plan').map((e) => [e['id'], e]));
  assert.is(byId.get('addon')!['action'], 'fresh');
  assert.equal(byId.get('int8')!['reasons'], ['env-changed: env/py (tabulate 0.10.0→0.9.0)']);
  assert.equal(byId.get('env/py')!['reasons'], ['input-changed: req/env.txt (tabulate 0.10.0→0.9.0)'], 'the pin diff is on the env node itself');

  r = await rig.json(['addon', 'int8']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(executedIds(r.events), ['env/py', 'int8']);
  assert.is(rig.read('out/int8.txt'), '0.9.0');
}, 600_000));

test.run();
