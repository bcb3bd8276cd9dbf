/** Issue 2: GPU devices handed out via CUDA_VISIBLE_DEVICES, per-rule timeouts, the env allowlist. */
import {readFileSync} from 'node:fs';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {API, WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('engine-resources');

const config = `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
const job = defineRule({
  name: 'test/job', version: 1,
  params: z.object({script: z.string(), out: z.string(), gpu: z.number().default(0), timeoutMs: z.number().optional()}).strict(),
  outputs: (p) => [p.out],
  resources: (p) => ({gpu: p.gpu}),
  timeoutMs: (p) => p.timeoutMs,
  env: () => ({DECLARED: 'yes'}),
  argv: (p, ctx) => ['bash', '-c', p.script, 'sh', ctx.out(p.out)],
});
export default defineConfig({
  pools: {gpu: ['3', '5']},
  artifacts: {
    g1: job({script: 'echo "$CUDA_VISIBLE_DEVICES" > "$1"; sleep 0.3', out: 'out/g1', gpu: 1}),
    g2: job({script: 'echo "$CUDA_VISIBLE_DEVICES" > "$1"; sleep 0.3', out: 'out/g2', gpu: 2}),
    g0: job({script: 'echo "[$CUDA_VISIBLE_DEVICES]" > "$1"', out: 'out/g0'}),
    greedy: job({script: 'echo x > "$1"', out: 'out/greedy', gpu: 4}),
    slow: job({script: 'sleep 30; echo x > "$1"', out: 'out/slow', timeoutMs: 500}),
    env: job({script: 'echo "secret=[$SECRET_TOKEN] declared=[$DECLARED] home=[\${HOME:+set}]" > "$1"', out: 'out/env'}),
  },
});
`;

test('GPU requests get concrete device ids; an impossible request fails clearly', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const r = await rig.json(['g1', 'g2', 'g0', '-j', '4']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(['3', '5'].includes(rig.read('out/g1').trim()));
  assert.equal(rig.read('out/g2').trim().split(',').sort(), ['3', '5']);
  assert.is(rig.read('out/g0').trim(), '[]', 'CPU nodes see no GPU');
  const g = await rig.json(['greedy']);
  assert.is(g.code, 2, 'refused at plan time (issue 9), before anything runs');
  assert.match(String(g.events.find((e) => e['type'] === 'diagnostic')!['message']), /needs a CUDA GPU \(up to 4\) but the gpu pool has 2/);
}));

test('a per-rule timeout kills the tool and records nothing', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const r = await rig.json(['slow']);
  assert.is(r.code, 1);
  const failed = r.events.find((e) => e['type'] === 'failed')!;
  assert.is(failed['reason'], 'timeout');
  assert.is(failed['message'], 'timed out after 1 s and was killed');
  assert.equal(failed['cause'], {kind: 'timeout', by: 'bevbuild', limitMs: 500}, '--json: the executor\'s failure as data too');
  assert.match(readFileSync(String(failed['logFile']), 'utf8'), /argv: bash -c 'sleep 30/, 'a failure after the tool started points at its log');
  assert.not.ok(rig.exists('out/slow'));
}));

test('tools see allow-listed and declared variables only', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config});
  const r = await rig.json(['env'], {SECRET_TOKEN: 'hunter2'});
  assert.is(r.code, 0, r.stderr);
  assert.is(rig.read('out/env').trim(), 'secret=[] declared=[yes] home=[set]');
}));

test('pools.cpu bounds concurrency when -j is not given', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const serial = config
    .replace("pools: {gpu: ['3', '5']},", "pools: {cpu: 1, gpu: ['3', '5']},")
    .replace("    g0: job(", `    s1: job({script: 'if mkdir lock 2>/dev/null; then sleep 0.4; rmdir lock; echo alone > "$1"; else echo overlap > "$1"; fi', out: 'out/s1'}),
    s2: job({script: 'if mkdir lock 2>/dev/null; then sleep 0.4; rmdir lock; echo alone > "$1"; else echo overlap > "$1"; fi', out: 'out/s2'}),
    g0: job(`);
  rig.write({'bevbuild.config.ts': serial});
  const r = await rig.json(['s1', 's2']);
  assert.is(r.code, 0, r.stderr);
  assert.is(rig.read('out/s1').trim() + rig.read('out/s2').trim(), 'alonealone');
}));

test.run();
