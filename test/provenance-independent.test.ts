/**
 * Issue 11 item 3: a provenance bundle verifies with an independent implementation from PyPI
 * (securesystemslib's DSSE verifier, in-toto-attestation's Statement and SLSA v1 schemas), not only
 * with bevbuild's; a flipped deploy byte or provenance field fails both, and both name what.
 */
import {chmodSync, cpSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {verifyBoth} from './util/independent-verifier.ts';
import {editedLine, writeKeyPair} from './util/provenance-keys.ts';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, shConfig} from './util/workspace-rig.ts';

const test = suite('provenance-independent');

const config = shConfig(`    model: sh({script: 'head -c 4096 /dev/urandom > "$1"', outputs: ['out/model.bin']}),
    deploy: sh({script: 'mkdir -p "$2" && cp "$1" "$2/model.bin" && echo "{}" > "$2/config.json"', inputs: ['out/model.bin'], outputs: ['deploy/d']}),`);

test('the bundle verifies with securesystemslib + in-toto-attestation and with bevbuild; flips fail both, named', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const key = writeKeyPair(rig.dir, 'ci');
  rig.write({'bevbuild.config.ts': config});
  assert.is((await rig.exec(['deploy'], {BEVBUILD_SIGNING_KEY_FILE: key.privateFile})).code, 0);
  const exported = await rig.exec(['provenance', 'deploy']);
  assert.is(exported.code, 0, exported.stderr);
  rig.write({'bundle.jsonl': exported.stdout});

  const good = verifyBoth(rig.dir, 'bundle.jsonl', 'deploy/d', key.publicFile);
  assert.is(good.independent.code, 0, good.independent.out);
  assert.match(good.independent.out, /^OK 2 envelopes verified/);
  assert.is(good.ours.code, 0, good.ours.out);

  cpSync(rig.path('deploy/d'), rig.path('shipped'), {recursive: true});
  const model = join(rig.path('shipped'), 'model.bin');
  chmodSync(model, 0o644);
  const b = readFileSync(model);
  b[100] = b[100]! ^ 0x10;
  writeFileSync(model, b);
  const byte = verifyBoth(rig.dir, 'bundle.jsonl', 'shipped', key.publicFile);
  assert.is(byte.independent.code, 1);
  assert.match(byte.independent.out, /FAIL model\.bin: sha256 \w+ != signed \w+/);
  assert.is(byte.ours.code, 1);
  assert.match(byte.ours.out, /shipped\/model\.bin: sha256 \w+ ≠ signed/);

  const [first, second] = exported.stdout.trimEnd().split('\n') as [string, string];
  rig.write({'bundle.jsonl': `${first}\n${editedLine(second, (st) => (st['predicate'].runDetails.builder.id = 'https://example.com/another-builder'))}\n`});
  const field = verifyBoth(rig.dir, 'bundle.jsonl', 'deploy/d', key.publicFile);
  assert.is(field.independent.code, 1);
  assert.match(field.independent.out, /FAIL line 2: signature/);
  assert.is(field.ours.code, 1);
  assert.match(field.ours.out, /bundle line 2 \(deploy\): signature: .*changed after signing/);
}, 600_000)); // the first run pip-installs the verifier's pinned venv

test.run();
