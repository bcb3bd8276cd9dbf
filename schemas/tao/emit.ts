/**
 * Emits the TAO spec schemas as JSON Schema for editors, in two dialects: `<name>.schema.json`
 * (2020-12) and `<name>.draft-07.schema.json` (draft-07: tuples as `items: [...]` +
 * `additionalItems: false`). VS Code's YAML extension (yaml-language-server) flags 2020-12's
 * `prefixItems` / `items: false` as errors on valid files, so point it at the draft-07 files
 * (`# yaml-language-server: $schema=…/experiment.draft-07.schema.json`) to get completion and the
 * same unknown-key / enum errors while hand-editing a spec. They describe the *input* side (what
 * may be written; every field optional, defaults shown). Unlike TAO's generated schemas (§6.2)
 * they are standard JSON Schema, parse with JSON.parse, and close every dataclass
 * (`additionalProperties: false`), as the container does.
 *
 *   node --import tsx schemas/tao/emit.ts          writes the files
 *   node --import tsx schemas/tao/emit.ts --check  exits 1 if a committed file is stale
 */
import {readFileSync, writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {z} from 'zod';
import {convertSchema} from './convert.ts';
import {experimentSchema} from './experiment.ts';

const DIR = fileURLToPath(new URL('.', import.meta.url));

const schemas: Record<string, {schema: z.ZodType; title: string}> = {
  experiment: {schema: experimentSchema, title: 'TAO Toolkit 5.5 BEVFusion experiment spec (bevfusion train|evaluate|inference -e)'},
  convert: {schema: convertSchema, title: 'TAO Toolkit 5.5 BEVFusion dataset convert spec (bevfusion convert -e)'},
};

/** The emitted dialects: file-name suffix → zod's JSON Schema target. */
export const SCHEMA_DIALECTS = {'.schema.json': 'draft-2020-12', '.draft-07.schema.json': 'draft-7'} as const;

/** File name → JSON text, exactly as committed. */
export function emittedSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, {schema, title}] of Object.entries(schemas)) {
    for (const [suffix, target] of Object.entries(SCHEMA_DIALECTS)) {
      const json = z.toJSONSchema(schema, {io: 'input', unrepresentable: 'throw', target});
      out[`${name}${suffix}`] = `${JSON.stringify({...json, title}, null, 2)}\n`;
    }
  }
  return out;
}

/** Names of committed files that differ from what the schemas emit now. */
export function staleSchemaFiles(): string[] {
  return Object.entries(emittedSchemas())
    .filter(([file, text]) => {
      try {
        return readFileSync(`${DIR}${file}`, 'utf8') !== text;
      } catch {
        return true;
      }
    })
    .map(([file]) => file);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const stale = staleSchemaFiles();
    if (stale.length) {
      console.error(`stale: ${stale.join(', ')}; run node --import tsx schemas/tao/emit.ts`);
      process.exit(1);
    }
  } else {
    for (const [file, text] of Object.entries(emittedSchemas())) writeFileSync(`${DIR}${file}`, text);
  }
}
