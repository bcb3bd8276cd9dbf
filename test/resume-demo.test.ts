/**
 * Issue 15 item 1 acceptance on the demo trainer (5 epochs, deterministic): a training node
 * interrupted during its 3rd epoch — Ctrl-C (SIGINT) to bevbuild, or `kill -9` of bevbuild (its
 * supervisor then SIGKILLs the tool; only the staged epoch_1/2.pth survive, and the next build's
 * run-dir sweep keeps them) — resumes at epoch 3 on the next build, and its final checkpoint is
 * byte-identical to an uninterrupted run's. A changed action key never resumes another key's state;
 * `clean` removes kept partial runs and says how much.
 */
import {rmSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {withTimeout} from './util/rig-test.ts';
import {makeTrainWorkspace, partials, RUN_DIR, sha256, stagedFile, startBevbuild, trainLogs, waitFor} from './util/demo-train-workspace.ts';

const test = suite('resume-demo');
const RESUMED = /continuing at epoch 3\/5/;

test('interrupted by SIGINT or kill -9 in epoch 3, training resumes at epoch 3 and ends bit-identical', withTimeout(async () => {
  const ws = makeTrainWorkspace();
  const ckpt = join(ws.dir, RUN_DIR, 'epoch_5.pth');
  /** Forgets the train node's result, so the next build runs it again under the same key. */
  const forget = async () => {
    const c = await startBevbuild(ws.dir, ['clean', 'train']).done;
    assert.is(c.code, 0, c.out);
    rmSync(join(ws.dir, '.bevbuild/cache'), {recursive: true, force: true});
  };
  const interrupt = async (kill: (pid: number) => void) => {
    const run = startBevbuild(ws.dir, ['train']);
    await waitFor(() => stagedFile(ws.dir, 'epoch_2.pth'), 'epoch_2.pth in staging');
    kill(run.child.pid!);
    return run.done;
  };
  try {
    const ref = await startBevbuild(ws.dir, ['train']).done;
    assert.is(ref.code, 0, ref.out);
    const want = sha256(ckpt);
    assert.not.match(trainLogs(ws.dir).at(-1)!, /resuming/);

    // Ctrl-C: bevbuild stops the tool (SIGTERM to its group), which stops at a step boundary.
    await forget();
    const stopped = await interrupt((pid) => process.kill(pid, 'SIGINT'));
    assert.is(stopped.code, 130, stopped.out);
    assert.match(stopped.out, /partial run kept in \.bevbuild\/partial\/[0-9a-f]{64}: the next build of the same action key resumes from epoch_2\.pth/);
    assert.equal(Object.values(partials(ws.dir)), ['epoch_2.pth']);
    const resumed = await startBevbuild(ws.dir, ['train']).done;
    assert.is(resumed.code, 0, resumed.out);
    assert.match(trainLogs(ws.dir).at(-1)!, RESUMED);
    assert.is(sha256(ckpt), want, 'resumed after SIGINT: same bytes as the uninterrupted run');
    assert.equal(partials(ws.dir), {}, 'a finished run leaves no partial state');

    // kill -9: nothing of bevbuild runs again; the next build's sweep keeps the dead run's state.
    await forget();
    const killed = await interrupt((pid) => process.kill(pid, 'SIGKILL'));
    assert.is(killed.signal, 'SIGKILL');
    assert.equal(partials(ws.dir), {}, 'nothing is kept until a build finds the leftover');
    const after = await startBevbuild(ws.dir, ['train']).done;
    assert.is(after.code, 0, after.out);
    assert.match(trainLogs(ws.dir).at(-1)!, RESUMED);
    assert.is(sha256(ckpt), want, 'resumed after kill -9: same bytes as the uninterrupted run');

    // A changed key (6 epochs) starts from scratch beside the kept state of the 5-epoch key.
    await forget();
    await interrupt((pid) => process.kill(pid, 'SIGINT'));
    const kept = Object.keys(partials(ws.dir));
    assert.is(kept.length, 1);
    const other = await startBevbuild(ws.dir, ['train'], {EPOCHS: '6'}).done;
    assert.is(other.code, 0, other.out);
    const log = trainLogs(ws.dir).at(-1)!;
    assert.not.match(log, /resuming/);
    assert.match(log, /epoch 1\/6/);
    assert.equal(Object.keys(partials(ws.dir)), kept, 'the other key\'s state is left alone');
    const cleaned = await startBevbuild(ws.dir, ['clean', 'train']).done;
    assert.match(cleaned.out, /removed 1 partial run\(s\) \(\d+\.\d MiB\)/);
    assert.equal(partials(ws.dir), {});
  } finally {
    ws.dispose();
  }
}, 400_000));

test.run();
