/**
 * Issue 16 finding 11: a toolchain rebuild that pip cannot resolve must not cost the working env.
 * The new venv is built while the old one waits beside it; on failure the old one (and its
 * fingerprint marker) is put back, so reverting the pin makes the env node fresh again.
 * Offline: the requirements use `--no-index`, so pip fails fast and needs no package index.
 */
import {existsSync, readdirSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from '../util/rig-test.ts';
import {API, WorkspaceRig, executedIds} from '../util/workspace-rig.ts';
import {repoRoot} from '../util/venv.ts';

const test = suite('faults/venv-swap');

const config = `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};
import {pythonVenv} from ${JSON.stringify(join(repoRoot, 'rules', 'python-venv.ts'))};

const usePython = defineRule({
  name: 'test/use-python',
  version: 1,
  params: z.object({env: z.string()}).strict(),
  inputs: () => [],
  outputs: () => ['out/prefix.txt'],
  toolchain: (p) => p.env,
  argv: (p, ctx) => [ctx.python(), '-c', 'import sys; open(sys.argv[1], "w").write(sys.prefix)', ctx.out('out/prefix.txt')],
});

export default defineConfig({
  artifacts: {
    'env/t': pythonVenv({name: 't', requirements: 'requirements.txt'}),
    use: usePython({env: 'env/t'}),
  },
});
`;

test('an unresolvable pin fails the env rebuild but keeps the working env; reverting makes it fresh', withTimeout(async () => {
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': config, 'requirements.txt': '--no-index\n'});
  const first = await w.json(['use']);
  assert.is(first.code, 0, first.stderr + JSON.stringify(first.events));
  assert.equal(executedIds(first.events), ['env/t', 'use']);
  const marker = w.read('.bevbuild/envs/t/bevbuild-env.json');

  w.write({'requirements.txt': '--no-index\nbevbuild-no-such-distribution==1.0\n'});
  const broken = await w.json(['use']);
  assert.is(broken.code, 1, 'the env rebuild fails');
  assert.ok(broken.events.some((e) => e['type'] === 'failed' && e['id'] === 'env/t'));
  assert.ok(existsSync(w.path('.bevbuild/envs/t/bin/python')), 'the working env is still there');
  assert.is(w.read('.bevbuild/envs/t/bevbuild-env.json'), marker, 'with its fingerprint');
  assert.equal(readdirSync(w.path('.bevbuild/envs')), ['t'], 'nothing left beside it');

  w.write({'requirements.txt': '--no-index\n'});
  const status = await w.exec(['status', '--json']);
  const plan = status.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as {id: string; action: string});
  assert.equal(plan.find((e) => e.id === 'env/t')?.action, 'fresh', status.stdout);
  const again = await w.json(['use']);
  assert.is(again.code, 0);
  assert.equal(executedIds(again.events), [], 'reverting the pin rebuilds nothing');
}, 300_000));

test.run();
