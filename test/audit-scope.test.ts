/**
 * Issue 16 finding 12 / issue 14 item 3: `audit` audits what this workspace built. After a remote
 * build with `--remote-download minimal` the intermediates it never needed are not problems; only a
 * requested target that was never built is. Runs against a real nginx (WebDAV) cache.
 */
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {startNginx} from './util/nginx-rig.ts';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, shConfig, summaryOf} from './util/workspace-rig.ts';

const test = suite('audit-scope');

const config = shConfig(`    a: sh({script: 'echo a > "$1"', outputs: ['out/a.txt']}),
    b: sh({script: 'cat "$1" "$1" > "$2"', inputs: ['out/a.txt'], outputs: ['out/b.txt']}),
    c: sh({script: 'wc -c < "$1" > "$2"', inputs: ['out/b.txt'], outputs: ['out/c.txt']}),
    other: sh({script: 'echo never > "$1"', outputs: ['out/other.txt']}),`);

test('after a minimal remote build, audit (with and without targets) exits 0; a requested never-built target is a problem', withTimeout(async () => {
  const nginx = await startNginx();
  try {
    await using seed = await WorkspaceRig.create();
    seed.write({'bevbuild.config.ts': config});
    assert.is((await seed.exec(['c', '--remote', nginx.url, '--remote-upload'])).code, 0);

    await using clone = await WorkspaceRig.create();
    clone.write({'bevbuild.config.ts': config});
    const r = await clone.json(['c', '--remote', nginx.url]);
    assert.is(r.code, 0, r.stderr);
    assert.is(summaryOf(r.events).restored, 3);
    assert.not.ok(clone.exists('out/a.txt'), 'minimal: the intermediate stays on the server');

    const all = await clone.exec(['audit']);
    assert.is(all.code, 0, all.stdout);
    assert.match(all.stdout, /✔ 1 output\(s\) match their records/);
    const target = await clone.exec(['audit', 'c']);
    assert.is(target.code, 0, target.stdout);
    assert.match(target.stdout, /2 node\(s\) not materialized in this workspace \(nothing to check\)/);
    const json = await clone.json(['audit', 'c']);
    assert.equal(json.events.at(-1), {type: 'audit', checked: 1, problems: 0, repaired: 0, notMaterialized: 2});

    const never = await clone.exec(['audit', 'other']);
    assert.is(never.code, 1);
    assert.match(never.stdout, /never-built\s+other/);
  } finally {
    await nginx.stop();
  }
}, 180_000));

test.run();
