/**
 * Publishes artifacts into a deploy directory (`deploy/data/<preset>/<pipeline>/`) under the file
 * names the deploy binaries load. The validation gate's `validation.json` is a declared input, so
 * a deploy directory exists only for models whose INT8 detections matched FP32.
 */
import {fileURLToPath} from 'node:url';
import {defineRule, z} from '../src/index.ts';

const PUBLISH = fileURLToPath(new URL('./tools/publish.mjs', import.meta.url));

export const publish = defineRule({
  name: 'publish',
  version: 1,
  description: 'Copy gated artifacts into a deploy directory with the names the binaries load',
  params: z
    .object({
      outDir: z.string(),
      /** Deploy file name → workspace path of the artifact. */
      files: z.record(z.string().regex(/^[^/]+$/, 'a plain file name'), z.string()),
      /** Validation results that must exist (and so must have passed) before publishing. */
      gates: z.array(z.string()).default([]),
    })
    .strict(),
  inputs: (p) => [...Object.values(p.files), ...p.gates, PUBLISH],
  outputs: (p) => [p.outDir],
  argv: (p, ctx) => ['node', PUBLISH, '--out', ctx.out(p.outDir), ...Object.keys(p.files).sort().map((name) => `${name}=${ctx.in(p.files[name]!)}`)],
});
