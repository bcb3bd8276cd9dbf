/**
 * Issue 11 item 2 against a real nginx (WebDAV) remote cache: provenance travels with records
 * (envelope in /cas/, referenced from the /ac/ record); readers holding trusted keys use records a
 * trusted key signed, and ignore — one warning, build continues locally — unsigned, foreign-signed
 * and tampered ones.
 */
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {createHash} from 'node:crypto';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {startNginx, type NginxRig} from './util/nginx-rig.ts';
import {editedLine, writeKeyPair} from './util/provenance-keys.ts';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, shConfig, summaryOf} from './util/workspace-rig.ts';

const test = suite('provenance-remote');

const config = (salt: string) => shConfig(`    a: sh({script: 'echo ${salt} > "$1"', outputs: ['out/a.txt']}),
    b: sh({script: 'mkdir -p "$2" && cp "$1" "$2/a" && echo b > "$2/b"', inputs: ['out/a.txt'], outputs: ['out/b']}),`);

/** Builds `b` in a fresh workspace and uploads it, signed with `env`'s key (if any). */
async function upload(nginx: NginxRig, salt: string, env: Record<string, string>): Promise<void> {
  await using w = await WorkspaceRig.create();
  w.write({'bevbuild.config.ts': config(salt)});
  const r = await w.exec(['b', '--remote', nginx.url, '--remote-upload'], env);
  assert.is(r.code, 0, r.stderr);
}

/**
 * Builds `b` in a fresh workspace reading the remote with `trusted` keys (a file for
 * BEVBUILD_TRUSTED_KEYS, or `{config}`: PEM text in provenance.trustedKeys); returns summary + warnings.
 */
async function read(nginx: NginxRig, salt: string, trusted: string | {config: string}) {
  await using w = await WorkspaceRig.create();
  const cfg = typeof trusted === 'string' ? config(salt) : config(salt).replace('export default defineConfig({', `export default defineConfig({\n  provenance: {trustedKeys: [${JSON.stringify(trusted.config)}]},`);
  w.write({'bevbuild.config.ts': cfg});
  const r = await w.json(['b', '--remote', nginx.url], typeof trusted === 'string' ? {BEVBUILD_TRUSTED_KEYS: trusted} : {});
  assert.is(r.code, 0, r.stderr);
  const warnings = r.events.filter((e) => e['type'] === 'warning').map((e) => String(e['message']));
  const bundle = summaryOf(r.events).restored === 2 ? await w.exec(['provenance', 'b']) : undefined;
  return {summary: summaryOf(r.events), warnings, bundle};
}

test('a trusted signature is used; unsigned and foreign-signed records are ignored with one warning', withTimeout(async () => {
  const nginx = await startNginx();
  try {
    await using keys = await WorkspaceRig.create();
    const ci = writeKeyPair(keys.dir, 'ci');
    const stranger = writeKeyPair(keys.dir, 'stranger');
    await upload(nginx, 'signed', {BEVBUILD_SIGNING_KEY: ci.privatePem});
    await upload(nginx, 'unsigned', {});
    await upload(nginx, 'foreign', {BEVBUILD_SIGNING_KEY_FILE: stranger.privateFile});
    assert.ok(nginx.accessLog().filter((l) => /"PUT \/cas\//.test(l)).length >= 6, 'envelopes uploaded to /cas/');

    const trusted = await read(nginx, 'signed', ci.publicFile);
    assert.equal(trusted.summary.executed, 0, 'restored from the remote');
    assert.equal(trusted.warnings, []);
    assert.is(trusted.bundle?.code, 0, `the restored provenance is in the local store: ${trusted.bundle?.stderr}`);
    assert.is(trusted.bundle?.stdout.trim().split('\n').length, 2);

    const unsigned = await read(nginx, 'unsigned', ci.publicFile);
    assert.equal(unsigned.summary.executed, 2, 'built locally');
    assert.is(unsigned.warnings.length, 1, unsigned.warnings.join('\n'));
    assert.match(unsigned.warnings[0]!, /ignoring the record of a \(it is unsigned\); building locally/);

    const foreign = await read(nginx, 'foreign', {config: readFileSync(ci.publicFile, 'utf8')});
    assert.equal(foreign.summary.executed, 2);
    assert.is(foreign.warnings.length, 1, foreign.warnings.join('\n'));
    assert.match(foreign.warnings[0]!, /ignoring the record of a \(signed by \w+, which is not a trusted key\)/);

    // A private key given as trusted: the remote is not used at all (one warning), the build goes on.
    const misconfigured = await read(nginx, 'signed', ci.privateFile);
    assert.equal(misconfigured.summary.executed, 2);
    assert.equal(misconfigured.warnings.length, 1);
    assert.match(misconfigured.warnings[0]!, /remote cache not used: .* is a private key; give readers only the public key/);
    assert.not.ok(misconfigured.warnings[0]!.includes(ci.privatePem.split('\n')[1]!), 'no key material in the warning');

    // A reader without trusted keys uses any record (integrity by digest only, as before).
    const open = await read(nginx, 'foreign', '');
    assert.equal(open.summary.executed, 0);
  } finally {
    await nginx.stop();
  }
}));

test('a tampered signed record is rejected: changed output digest, or a re-written envelope', withTimeout(async () => {
  const nginx = await startNginx();
  try {
    await using keys = await WorkspaceRig.create();
    const ci = writeKeyPair(keys.dir, 'ci');
    await upload(nginx, 'one', {BEVBUILD_SIGNING_KEY: ci.privatePem});
    await upload(nginx, 'two', {BEVBUILD_SIGNING_KEY: ci.privatePem});
    const acDir = join(nginx.dataDir, 'ac');
    const records = (await import('node:fs')).readdirSync(acDir).map((k) => ({k, rec: JSON.parse(readFileSync(join(acDir, k), 'utf8')) as Record<string, any>}));
    const recOf = (salt: string) => records.find((r) => r.rec['nodeId'] === 'a' && readFileSync(join(nginx.dataDir, 'cas', r.rec['outputs'][0].digest), 'utf8').trim() === salt)!;

    // 1. The record of "one" claims other bytes (those of "two", present in the CAS): its signed subject disagrees.
    const one = recOf('one');
    const two = recOf('two');
    writeFileSync(join(acDir, one.k), JSON.stringify({...one.rec, outputs: [{...one.rec['outputs'][0], digest: two.rec['outputs'][0].digest}]}));
    const swapped = await read(nginx, 'one', ci.publicFile);
    assert.equal(swapped.summary.executed, 1, 'a is built locally (b, keyed on the same bytes, is still restored)');
    assert.is(swapped.warnings.length, 1, swapped.warnings.join('\n'));
    assert.match(swapped.warnings[0]!, /its signed provenance disagrees with the record: output out\/a.txt: digest/);

    // 2. The envelope of "two" re-written to name the other bytes, stored under its new digest: the signature breaks.
    const line = readFileSync(join(nginx.dataDir, 'cas', two.rec['provenance'].digest), 'utf8');
    const forged = editedLine(line, (st) => (st['subject'][0].digest.sha256 = one.rec['outputs'][0].digest));
    const digest = createHash('sha256').update(forged).digest('hex');
    writeFileSync(join(nginx.dataDir, 'cas', digest), forged);
    writeFileSync(join(acDir, two.k), JSON.stringify({...two.rec, outputs: [{...two.rec['outputs'][0], digest: one.rec['outputs'][0].digest}], provenance: {digest, size: Buffer.byteLength(forged)}}));
    const rewritten = await read(nginx, 'two', ci.publicFile);
    assert.equal(rewritten.summary.executed, 1);
    assert.is(rewritten.warnings.length, 1, rewritten.warnings.join('\n'));
    assert.match(rewritten.warnings[0]!, /does not verify: the payload or its type was changed after signing/);
  } finally {
    await nginx.stop();
  }
}));

test.run();
