/**
 * A kept checkpoint is read in full once per version of the file (src/engine/checkpoint-digest.ts):
 * `status` with a multi-GB kept run must not hash it at every call, and no write may slip through.
 */
import {createHash} from 'node:crypto';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {checkpointDigest} from '../src/engine/checkpoint-digest.ts';

const test = suite('checkpoint-digest');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('noted after one read; the note stands for that version only, and only for that path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-ckpt-'));
  try {
    const ckpt = join(dir, 'epoch_2.pth');
    const note = join(dir, 'verified.json');
    writeFileSync(ckpt, 'weights-1');
    // Just written: racy, so read but not noted.
    assert.equal(checkpointDigest(ckpt, note), {size: 9, sha256: sha('weights-1')});
    assert.throws(() => readFileSync(note));
    await sleep(1100);
    assert.is(checkpointDigest(ckpt, note)?.sha256, sha('weights-1'));
    const noted = JSON.parse(readFileSync(note, 'utf8')) as {sha256: string};
    assert.is(noted.sha256, sha('weights-1'));
    // Proof that a noted version is not read again: a note edited to another digest is believed…
    writeFileSync(note, JSON.stringify({...noted, sha256: sha('other')}));
    assert.is(checkpointDigest(ckpt, note)?.sha256, sha('other'));
    // …but not for another path,
    assert.is(checkpointDigest(ckpt, join(dir, 'missing-note.json'))?.sha256, sha('weights-1'));
    writeFileSync(join(dir, 'other.json'), JSON.stringify({...noted, path: join(dir, 'epoch_1.pth'), sha256: sha('other')}));
    assert.is(checkpointDigest(ckpt, join(dir, 'other.json'))?.sha256, sha('weights-1'));
    // …nor after a same-size write that puts the mtime back (the ctime moves),
    writeFileSync(note, JSON.stringify({...noted, sha256: sha('other')}));
    const ns = statSync(ckpt, {bigint: true}).mtimeNs.toString();
    writeFileSync(ckpt, 'weights-2');
    execFileSync('touch', ['-m', '-d', `@${ns.slice(0, -9)}.${ns.slice(-9)}`, ckpt]);
    assert.is(checkpointDigest(ckpt, note)?.sha256, sha('weights-2'));
    // …nor when the note is not a note.
    for (const bad of ['', 'null', '[]', '{"path":1}', JSON.stringify({...noted, sha256: 'not-hex'}), 'x'.repeat(70_000)]) {
      writeFileSync(note, bad);
      assert.is(checkpointDigest(ckpt, note)?.sha256, sha('weights-2'), bad.slice(0, 20));
    }
    assert.is(checkpointDigest(join(dir, 'gone.pth'), note), undefined);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.run();
