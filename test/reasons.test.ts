/** Rebuild reasons: a diff of key records in words a user can act on. */
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {KEY_FORMAT, type KeyRecord} from '../src/engine/action-key.ts';
import {diffKeyRecords as diffAsData, type ReasonNames} from '../src/engine/reasons.ts';
import {reasonText} from '../src/engine/rebuild-reason.ts';
import {canonicalJson} from '../src/engine/canonical-json.ts';

const test = suite('reasons');
/** The reasons in the words users read. */
const diffKeyRecords = (prev: KeyRecord | undefined, next: KeyRecord, names?: ReasonNames) => diffAsData(prev, next, names).map(reasonText);
const base: KeyRecord = {format: KEY_FORMAT, rule: {name: 'r', version: 1}, argv: ['x'], cwd: '', params: {a: 1, nested: {b: [1, 2]}}, env: {}, inputs: {'in.txt': 'a'.repeat(64), '@out/a.bin': 'e'.repeat(64), '@toolchain': 'b'.repeat(64)}, outputs: ['o'], platform: 'linux-x64'};

test('params added, removed and changed are named by their path', () => {
  assert.equal(diffKeyRecords(base, {...base, params: {a: 1, nested: {b: [1, 2]}, added: 2}}), ['param-changed: added']);
  assert.equal(diffKeyRecords(base, {...base, params: {nested: {b: [1, 3]}}}), ['param-changed: a', 'param-changed: nested.b']);
});

test('inputs, toolchains, rule versions and first builds', () => {
  assert.equal(diffKeyRecords(base, {...base, inputs: {...base.inputs, 'in.txt': 'c'.repeat(64)}}), ['input-changed: in.txt']);
  assert.equal(diffKeyRecords(base, {...base, inputs: {...base.inputs, '@toolchain': 'd'.repeat(64)}}, {toolchain: 'env/ov'}), ['env-changed: env/ov']);
  const {'@toolchain': _, ...noWhole} = base.inputs;
  assert.equal(diffKeyRecords(base, {...base, inputs: {...noWhole, '@toolchain[openvino]': 'd'.repeat(64)}}, {toolchain: 'env/ov'}), ['env-changed: env/ov'], 'whole → part of one toolchain is one change');
  const produced = {...base, inputs: {...base.inputs, '@out/a.bin': 'f'.repeat(64)}};
  assert.equal(diffKeyRecords(base, produced, {producerOf: (p) => (p === 'out/a.bin' ? 'a' : undefined)}), ['input-changed: out/a.bin (from a)']);
  assert.equal(diffKeyRecords(base, {...base, rule: {name: 'r', version: 2}}), ['rule-version-changed: 1→2']);
  assert.equal(diffKeyRecords(undefined, base), ['no-record']);
});

test('reasons are data: kind plus what changed, worded only by reasonText', () => {
  const produced = {...base, inputs: {...base.inputs, '@out/a.bin': 'f'.repeat(64), '@toolchain': 'd'.repeat(64)}};
  assert.equal(diffAsData(base, produced, {toolchain: 'env/ov', producerOf: () => 'a'}), [
    {kind: 'input-changed', path: 'out/a.bin', producer: 'a'},
    {kind: 'env-changed', name: 'env/ov', toolchain: true},
  ]);
  assert.is(reasonText({kind: 'env-changed', name: 'env/ov', toolchain: true, changes: ['nncf 3.4.0→3.3.0']}), 'env-changed: env/ov (nncf 3.4.0→3.3.0)');
  assert.is(reasonText({kind: 'output-modified', path: 'deploy/x', moreFiles: 3}), 'output-modified: deploy/x (3 more files)');
  assert.is(reasonText({kind: 'forced'}), 'forced (-B/--force)');
});

test('canonical JSON sorts keys at every level and drops undefined members', () => {
  assert.is(canonicalJson({b: 1, a: {d: undefined, c: [2, {y: 1, x: 0}]}}), '{"a":{"c":[2,{"x":0,"y":1}]},"b":1}');
  assert.throws(() => canonicalJson({x: Number.NaN}), /non-finite/);
  // Keys needing escapes, repeated (quoted once and reused), and a one-key object.
  assert.is(canonicalJson({'"q': 1, é: [{'"q': 2}], a: {'"q': 'x\u2028'}}), '{"\\"q":1,"a":{"\\"q":"x\u2028"},"é":[{"\\"q":2}]}');
});

test.run();
