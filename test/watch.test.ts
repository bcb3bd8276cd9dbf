/** Issue 2 acceptance: `watch` rebuilds after a real input edit, and re-analyses after a config edit. */
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {ownWrite} from '../src/commands/watch-command.ts';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, shConfig} from './util/workspace-rig.ts';

const test = suite('watch');

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    if (pred()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('watch rebuilds after an input edit and after a config edit', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const cfg = (suffix: string) => shConfig(`    up: sh({script: 'tr a-z A-Z < "$1" > "$2"${suffix}', inputs: ['src/in.txt'], outputs: ['out/up.txt']}),`);
  rig.write({'bevbuild.config.ts': cfg(''), 'src/in.txt': 'one\n'});
  const w = rig.spawn(['watch', 'up']);
  try {
    await waitFor(() => rig.exists('out/up.txt') && /watching for changes/.test(w.output()), 20_000, 'first build');
    assert.is(rig.read('out/up.txt'), 'ONE\n');
    rig.write({'src/in.txt': 'two\n'});
    await waitFor(() => rig.read('out/up.txt') === 'TWO\n', 20_000, 'rebuild after input edit');
    rig.write({'bevbuild.config.ts': cfg('; echo edited >> "$2"')});
    await waitFor(() => rig.read('out/up.txt') === 'TWO\nedited\n', 20_000, 'rebuild after config edit');
    assert.match(w.output(), /config changed: re-analysed/);
  } finally {
    w.child.kill('SIGINT');
    await w.done;
  }
}, 90_000));

test('watch names the file that changed, and a restore (an edit undone) builds once', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({
    'bevbuild.config.ts': shConfig(`    up: sh({script: 'tr a-z A-Z < "$1" > "$2"', inputs: ['src/in.txt'], outputs: ['out/up.txt']}),`),
    'src/in.txt': 'one\n',
  });
  const w = rig.spawn(['watch', 'up']);
  const builds = () => w.output().match(/\[watch\] .*building/g) ?? [];
  const oks = () => (w.output().match(/\[watch\] ok;/g) ?? []).length;
  try {
    await waitFor(() => oks() === 1, 20_000, 'first build');
    rig.write({'src/in.txt': 'two\n'});
    await waitFor(() => oks() === 2 && rig.read('out/up.txt') === 'TWO\n', 20_000, 'rebuild after input edit');
    rig.write({'src/in.txt': 'one\n'}); // undone: the output is restored from the store
    await waitFor(() => oks() === 3 && rig.read('out/up.txt') === 'ONE\n', 20_000, 'restore');
    assert.match(w.output(), /↺ restore up/);
    // A build the restore triggered by itself would name the files it wrote (temp siblings, out/).
    rig.write({'src/in.txt': 'three\n'});
    await waitFor(() => oks() >= 4 && rig.read('out/up.txt') === 'THREE\n', 20_000, 'rebuild after a third edit');
    const lines = builds();
    assert.equal(lines.slice(1), Array(lines.length - 1).fill('[watch] src/in.txt changed; building'), w.output());
    assert.is(lines.length, 4, w.output());
  } finally {
    w.child.kill('SIGINT');
    await w.done;
  }
}, 90_000));

test('a file the config reads while declaring: watch evaluates the config again when it changes', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  // The config's text never changes, so its compiled module keeps its name: only a fresh import sees tag.txt.
  const config = shConfig(`    up: sh({script: 'echo ' + readFileSync(new URL('./tag.txt', import.meta.url), 'utf8').trim() + ' > "$2"', inputs: ['src/in.txt'], outputs: ['out/up.txt']}),`);
  rig.write({'bevbuild.config.ts': `import {readFileSync} from 'node:fs';\n${config}`, 'tag.txt': 'first\n', 'src/in.txt': 'x\n'});
  const w = rig.spawn(['watch', 'up']);
  try {
    await waitFor(() => rig.exists('out/up.txt') && rig.read('out/up.txt') === 'first\n', 20_000, 'first build');
    rig.write({'tag.txt': 'second\n'});
    await waitFor(() => rig.read('out/up.txt') === 'second\n', 20_000, 'rebuild with the new tag');
  } finally {
    w.child.kill('SIGINT');
    await w.done;
  }
}, 90_000));

test('what bevbuild writes itself is not a change: outputs, their directories, temp siblings', () => {
  const outs = ['out/up.txt', 'deploy/kitti/second'];
  for (const own of ['out/up.txt', 'out', 'deploy', 'deploy/kitti/second/model.xml', 'out/.up.txt.bevbuild-tmp-123-abc', 'src/.x.bevbuild-old-9-z1']) {
    assert.ok(ownWrite(own, outs), own);
  }
  for (const input of ['src/in.txt', 'out2/x', 'deploy/kitti/second.txt', 'bevbuild.config.ts']) assert.not.ok(ownWrite(input, outs), input);
});

test.run();
