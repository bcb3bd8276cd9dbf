/**
 * Dry runs of a resumable node (issue 15 review): `status`, `why` and `-n` (text and --json) say
 * when a stale node would resume from its kept partial run, and say nothing of one that
 * `restorePartial` would discard. A shell tool writes two checkpoints and fails; its next run resumes.
 */
import {truncateSync} from 'node:fs';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {shConfig, WorkspaceRig} from './util/workspace-rig.ts';
import {partials} from './util/demo-train-workspace.ts';
import {withTimeout} from './util/rig-test.ts';

const test = suite('resume-plan');

const RESUME = `
  resume: () => ({dir: 'work', checkpoint: {prefix: 'epoch_', suffix: '.pth'}, args: (c) => ['--resume', c.path]}),`;
// Fails after epoch 2 unless resumed ($2 is then --resume).
const SCRIPT = 'd=$(dirname "$1"); mkdir -p "$d"; if [ "$2" = --resume ]; then echo done > "$1"; exit 0; fi; head -c 3000 /dev/zero > "$d/epoch_1.pth"; head -c 3000 /dev/zero > "$d/epoch_2.pth"; exit 1';

test('status, why and -n name the checkpoint a stale node resumes from; a damaged kept run is not announced', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': shConfig(`    train: sh({script: ${JSON.stringify(SCRIPT)}, outputs: ['work/final.pth']}),`, RESUME)});
  assert.is((await rig.exec(['build', 'train'])).code, 1, 'the first run fails after epoch 2');
  const [key] = Object.keys(partials(rig.dir));
  assert.ok(key, 'a partial run is kept');
  const announce = /will resume from epoch_2\.pth \(kept partial run, 0\.0 MiB\)/;

  const status = await rig.exec(['status']);
  assert.match(status.stdout, /▶ stale {3}train {2}no-record; will resume from epoch_2\.pth \(kept partial run, 0\.0 MiB\)/);
  assert.match((await rig.exec(['why', 'train'])).stdout, new RegExp(`train: would run — no-record; ${announce.source}`));
  const dry = await rig.exec(['build', '-n', 'train']);
  assert.match(dry.stdout + dry.stderr, /run +train {2}\(no-record; will resume from epoch_2\.pth/);
  const json = await rig.json(['status']);
  const plan = json.events.find((e) => e['type'] === 'plan' && e['id'] === 'train')!;
  const resume = plan['resume'] as {checkpoint: string; bytes: number};
  assert.is(resume.checkpoint, 'epoch_2.pth');
  assert.ok(resume.bytes > 6000 && resume.bytes < 7000, `the kept run's size: both checkpoints and info.json (${resume.bytes})`);
  assert.equal(partials(rig.dir), {[key]: 'epoch_2.pth'}, 'a dry run leaves the kept run in place');

  truncateSync(rig.path(`.bevbuild/partial/${key}/state/epoch_2.pth`), 10); // restorePartial would discard it
  for (const args of [['status'], ['why', 'train'], ['build', '-n', 'train']]) {
    const r = await rig.exec(args);
    assert.not.match(r.stdout + r.stderr, /will resume/, `${args.join(' ')}: a run that would be discarded is not announced`);
  }
  assert.not.ok('resume' in (await rig.json(['status'])).events.find((e) => e['id'] === 'train')!);
}));

test.run();
