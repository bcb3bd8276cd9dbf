/** Issue 2 acceptance: `watch` rebuilds after a real input edit, and re-analyses after a config edit. */
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
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

test.run();
