/**
 * Issue 11 items 1-3 on small synthetic workspaces: every executed node records an in-toto/SLSA v1
 * statement in a DSSE envelope (signed with the writer key), `bevbuild provenance` exports the
 * closure's bundle and `bevbuild verify` checks a deploy dir offline, naming what differs.
 */
import {execFileSync} from 'node:child_process';
import {chmodSync, cpSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {editedLine, statementOf, writeKeyPair} from './util/provenance-keys.ts';
import {withTimeout} from './util/rig-test.ts';
import {WorkspaceRig, shConfig} from './util/workspace-rig.ts';

const test = suite('provenance');

/** mid ← src/a.txt; a gate writing validation.json; deploy dir ← mid + gate. */
const config = shConfig(`    mid: sh({script: 'tr a-z A-Z < "$1" > "$2"', inputs: ['src/a.txt'], outputs: ['out/mid.txt']}),
    gate: sh({script: 'echo \\'{"pass": true, "totals": {"frames": 2, "failed": 0}}\\' > "$2"', inputs: ['out/mid.txt'], outputs: ['build/validation.json']}),
    deploy: sh({script: 'mkdir -p "$3" && cp "$1" "$3/model.bin" && cp "$2" "$3/validation.json"', inputs: ['out/mid.txt', 'build/validation.json'], outputs: ['deploy/d']}),`);

async function builtWorkspace(rig: WorkspaceRig, env: Record<string, string>) {
  rig.write({'bevbuild.config.ts': config, 'src/a.txt': 'hello\n'});
  const r = await rig.exec(['deploy'], env);
  assert.is(r.code, 0, r.stderr + r.stdout);
}

test('a signed build exports a verifiable SLSA bundle; a flipped deploy byte or provenance field fails, named', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const key = writeKeyPair(rig.dir, 'writer');
  await builtWorkspace(rig, {BEVBUILD_SIGNING_KEY_FILE: key.privateFile});
  const exported = await rig.exec(['provenance', 'deploy']);
  assert.is(exported.code, 0, exported.stderr);
  const lines = exported.stdout.trimEnd().split('\n');
  assert.is(lines.length, 3, 'mid, gate, deploy');
  const [mid, gate, deploy] = lines.map(statementOf);
  assert.is(deploy!['_type'], 'https://in-toto.io/Statement/v1');
  assert.is(deploy!['predicateType'], 'https://slsa.dev/provenance/v1');
  const bd = deploy!['predicate'].buildDefinition;
  assert.is(bd.buildType, 'https://bevbuild.dev/provenance/action/v1');
  assert.is(bd.externalParameters.rule, 'test/sh@1');
  assert.ok(bd.externalParameters.argv.includes('$OUT/deploy/d'), 'argv with portable placeholders');
  assert.not.ok(JSON.stringify(deploy).includes(rig.dir), 'no machine path in the statement');
  const names = deploy!['subject'].map((s: {name: string}) => s.name);
  assert.equal(names, ['deploy/d', 'deploy/d/model.bin', 'deploy/d/validation.json']);
  const deps = bd.resolvedDependencies as {name: string; digest?: {sha256: string}}[];
  const midEnvelope = (await import('node:crypto')).createHash('sha256').update(lines[0]!).digest('hex');
  assert.equal(deps.find((d) => d.name === 'provenance:mid')?.digest?.sha256, midEnvelope, "the producer's provenance by digest");
  assert.ok(deps.some((d) => d.name === '@out/mid.txt' && d.digest?.sha256 === mid!['subject'][0].digest.sha256), "the producer's output digest");
  assert.ok(mid!['predicate'].buildDefinition.resolvedDependencies.some((d: {name: string}) => d.name === 'src/a.txt'), 'source inputs with digests');
  const run = deploy!['predicate'].runDetails;
  assert.is(run.builder.id, 'https://bevbuild.dev/builder/local');
  assert.ok(Date.parse(run.metadata.startedOn) <= Date.parse(run.metadata.finishedOn));
  assert.equal(gate!['predicate'].runDetails.byproducts.find((b: {name: string}) => b.name === 'validation')?.annotations.pass, true, 'the verdict is a byproduct');
  assert.ok(JSON.parse(lines[2]!).signatures.length === 1, 'signed');

  rig.write({'bundle.jsonl': exported.stdout});
  const ok = await rig.exec(['verify', 'bundle.jsonl', 'deploy/d', '--trusted-key', key.publicFile]);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /✔ deploy\/d: 2 file\(s\) match/);

  // A copy of the deploy dir with one byte flipped.
  const copy = rig.path('shipped');
  cpSync(rig.path('deploy/d'), copy, {recursive: true});
  chmodSync(join(copy, 'model.bin'), 0o644);
  const bytes = readFileSync(join(copy, 'model.bin'));
  bytes[0] = bytes[0]! ^ 1;
  writeFileSync(join(copy, 'model.bin'), bytes);
  const flipped = await rig.exec(['verify', 'bundle.jsonl', 'shipped', '--trusted-key', key.publicFile]);
  assert.is(flipped.code, 1);
  assert.match(flipped.stdout, /shipped\/model\.bin: sha256 \w+ ≠ signed \w+ \(deploy\/d of deploy\)/);

  // One field of the middle statement changed: its signature breaks and deploy's link to it too.
  rig.write({'bundle.jsonl': [lines[0], editedLine(lines[1]!, (st) => (st['predicate'].buildDefinition.externalParameters.rule = 'test/sh@2')), lines[2]].join('\n')});
  const tampered = await rig.exec(['verify', 'bundle.jsonl', 'deploy/d', '--trusted-key', key.publicFile]);
  assert.is(tampered.code, 1);
  assert.match(tampered.stdout, /bundle line 2 \(gate\): signature: .*payload or its type was changed/);
  assert.match(tampered.stdout, /bundle line 3 \(deploy\): .*cites the provenance of gate/);

  // Another key: nothing is trusted.
  const other = writeKeyPair(rig.dir, 'other');
  rig.write({'bundle.jsonl': exported.stdout});
  const foreign = await rig.exec(['verify', 'bundle.jsonl', 'deploy/d', '--trusted-key', other.publicFile]);
  assert.is(foreign.code, 1);
  assert.match(foreign.stdout, /not a trusted key/);
  const noKey = await rig.exec(['verify', 'bundle.jsonl', 'deploy/d']);
  assert.is(noKey.code, 2, 'no trusted key is a usage error');
}));

test('without a writer key the provenance is an unsigned envelope; verify refuses it', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  await builtWorkspace(rig, {});
  const exported = await rig.exec(['provenance', 'deploy']);
  assert.is(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, /3 of 3 envelopes are unsigned/);
  assert.equal(JSON.parse(exported.stdout.split('\n')[0]!).signatures, []);
  rig.write({'bundle.jsonl': exported.stdout});
  const key = writeKeyPair(rig.dir, 'k');
  const r = await rig.exec(['verify', 'bundle.jsonl', 'deploy/d', '--trusted-key', key.publicFile]);
  assert.is(r.code, 1);
  assert.match(r.stdout, /not signed/);
}));

test('a bad writer key stops the build with exit 2 and is never printed', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config, 'src/a.txt': 'hello\n'});
  const {generateKeyPairSync} = await import('node:crypto');
  const rsa = generateKeyPairSync('rsa', {modulusLength: 1024}).privateKey.export({format: 'pem', type: 'pkcs8'}).toString();
  const r = await rig.exec(['deploy'], {BEVBUILD_SIGNING_KEY: rsa});
  assert.is(r.code, 2);
  assert.match(r.stderr, /BEVBUILD_SIGNING_KEY is a rsa key; expected ed25519/);
  const body = rsa.split('\n')[1]!;
  assert.not.ok((r.stdout + r.stderr).includes(body), 'no key material in the output');
  const garbage = await rig.exec(['deploy'], {BEVBUILD_SIGNING_KEY: `-----BEGIN PRIVATE KEY-----\nsecretsecret\n-----END PRIVATE KEY-----\n`});
  assert.is(garbage.code, 2);
  assert.not.ok((garbage.stdout + garbage.stderr).includes('secretsecret'));
  const missing = await rig.exec(['deploy'], {BEVBUILD_SIGNING_KEY_FILE: 'nope.pem'});
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /cannot read the signing key named by BEVBUILD_SIGNING_KEY_FILE \(nope\.pem\): ENOENT/);
}));

test('the writer key file can come from the config (provenance.signingKeyFile)', withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  const key = writeKeyPair(rig.dir, 'writer');
  rig.write({'bevbuild.config.ts': config.replace('export default defineConfig({', "export default defineConfig({\n  provenance: {signingKeyFile: 'writer.pem'},"), 'src/a.txt': 'hello\n'});
  assert.is((await rig.exec(['mid'])).code, 0);
  const exported = await rig.exec(['provenance', 'mid']);
  assert.is(exported.code, 0, exported.stderr);
  rig.write({'bundle.jsonl': exported.stdout});
  const r = await rig.exec(['verify', 'bundle.jsonl', 'out/mid.txt', '--trusted-key', key.publicFile]);
  assert.is(r.code, 0, r.stdout + r.stderr);
}));

test("inputs in a git work tree carry the repo's commit and whether they differ from it", withTimeout(async () => {
  await using rig = await WorkspaceRig.create();
  rig.write({'bevbuild.config.ts': config, 'src/a.txt': 'hello\n'});
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'safe.directory=*', ...args], {cwd: rig.dir, encoding: 'utf8'}).trim();
  git('init', '-q');
  git('add', 'src/a.txt', 'bevbuild.config.ts');
  git('commit', '-q', '-m', 'c1');
  const commit = git('rev-parse', 'HEAD');
  const gitDep = async () => {
    const r = await rig.exec(['provenance', 'mid']);
    assert.is(r.code, 0, r.stderr);
    return (statementOf(r.stdout.trim())['predicate'].buildDefinition.resolvedDependencies as {name: string; digest: Record<string, string>; annotations: {dirty: boolean; inputs: string[]}}[]).find((d) => d.name.startsWith('git:'));
  };
  assert.is((await rig.exec(['mid'])).code, 0);
  const clean = await gitDep();
  assert.equal(clean?.name, 'git:.');
  assert.equal(clean?.digest, {gitCommit: commit});
  assert.equal(clean?.annotations.dirty, false);
  assert.equal(clean?.annotations.inputs, ['src/a.txt']);
  rig.write({'src/a.txt': 'edited\n'});
  assert.is((await rig.exec(['mid'])).code, 0);
  assert.equal((await gitDep())?.annotations.dirty, true, 'an edited tracked input makes the repo dirty for this action');
}));

test.run();
