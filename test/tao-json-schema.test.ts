/**
 * Issue 14 #4: the emitted TAO JSON Schemas work in editors. The draft-07 files (what VS Code's
 * YAML extension understands) and the 2020-12 files are each compiled by a validator of their own
 * dialect in strict mode (an unknown keyword such as `prefixItems` under draft-07 is an error), and
 * both accept the golden specs and reject the same broken ones.
 */
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {parse} from 'yaml';
import {SCHEMA_DIALECTS} from '../schemas/tao/emit.ts';
import {repoRoot} from './util/venv.ts';

const test = suite('tao-json-schema');
const require = createRequire(import.meta.url);
const dir = join(repoRoot, 'schemas', 'tao');
const fixtures = join(repoRoot, 'test', 'fixtures', 'tao');

type Validate = ((doc: unknown) => boolean) & {errors?: {instancePath: string; message?: string}[] | null};
interface AjvLike {
  compile(schema: object): Validate;
}
/** Ajv's draft-07 class and its 2020-12 class, by the file suffix of the dialect they validate. */
const validators: Record<keyof typeof SCHEMA_DIALECTS, () => AjvLike> = {
  '.draft-07.schema.json': () => new (require('ajv').default)({strict: true, allErrors: true}),
  '.schema.json': () => new (require('ajv/dist/2020.js').default)({strict: true, allErrors: true}),
};
const dialects = Object.keys(SCHEMA_DIALECTS) as (keyof typeof SCHEMA_DIALECTS)[];

const schemaText = (name: string, suffix: string) => readFileSync(join(dir, `${name}${suffix}`), 'utf8');
const compile = (name: string, suffix: keyof typeof SCHEMA_DIALECTS) => validators[suffix]().compile(JSON.parse(schemaText(name, suffix)) as object);
const spec = (file: string) => parse(readFileSync(join(fixtures, file), 'utf8')) as Record<string, Record<string, unknown>>;

test('the draft-07 files declare draft-07 and use none of 2020-12\'s keywords', () => {
  for (const name of ['experiment', 'convert']) {
    const text = schemaText(name, '.draft-07.schema.json');
    assert.is((JSON.parse(text) as {$schema: string}).$schema, 'http://json-schema.org/draft-07/schema#');
    for (const k of ['"prefixItems"', '"$defs"', '"items": false', '"unevaluatedProperties"', '"unevaluatedItems"', '"dependentSchemas"', '"dependentRequired"', '"$dynamicRef"']) {
      assert.not.ok(text.includes(k), `${name}.draft-07.schema.json uses ${k}`);
    }
    assert.is((JSON.parse(schemaText(name, '.schema.json')) as {$schema: string}).$schema, 'https://json-schema.org/draft/2020-12/schema');
  }
  // The tuple that 2020-12 writes with prefixItems is an items array + additionalItems in draft-07.
  assert.ok(schemaText('experiment', '.schema.json').includes('"prefixItems"'));
  assert.ok(schemaText('experiment', '.draft-07.schema.json').includes('"additionalItems": false'));
});

test('both dialects accept every golden spec (strict compile, own validator)', () => {
  for (const suffix of dialects) {
    const experiment = compile('experiment', suffix);
    for (const f of ['train.yaml', 'evaluate.yaml', 'inference.yaml']) {
      assert.ok(experiment(spec(f)), `${f} against experiment${suffix}: ${JSON.stringify(experiment.errors)}`);
    }
    const convert = compile('convert', suffix);
    assert.ok(convert(spec('convert.yaml')), `convert.yaml against convert${suffix}: ${JSON.stringify(convert.errors)}`);
  }
});

test('both dialects reject the same broken specs, at the same place', () => {
  const train = spec('train.yaml');
  const broken: [string, unknown, string][] = [
    ['a second class in the one-class tuple', {...train, dataset: {...train['dataset'], classes: ['person', 'car']}}, '/dataset/classes'],
    ['another class than the tuple allows', {...train, dataset: {...train['dataset'], classes: ['car']}}, '/dataset/classes/0'],
    ['an unknown top-level key', {...train, trian: {}}, ''],
    ['a wrong type', {...train, dataset: {...train['dataset'], root_dir: 3}}, '/dataset/root_dir'],
  ];
  for (const suffix of dialects) {
    const validate = compile('experiment', suffix);
    for (const [what, doc, at] of broken) {
      assert.not.ok(validate(doc), `${what} passed experiment${suffix}`);
      assert.ok(validate.errors?.some((e) => e.instancePath === at), `${what} (experiment${suffix}): ${JSON.stringify(validate.errors)}`);
    }
  }
});

test.run();
