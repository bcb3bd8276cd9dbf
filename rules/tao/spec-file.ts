/**
 * `tao/spec`: writes one generated TAO spec file. The spec is a node of its own so that the file a
 * TAO run reads is a real, inspectable workspace artifact (`bevbuild <id>` then open it) and its
 * content digest keys the run that mounts it. Invalid specs are reported when the config is
 * analysed, with the path of every bad key, before any container starts.
 */
import {defineRule, z} from '../../src/index.ts';
import {buildSpec, specProblems, TAO_ACTIONS, type TaoAction} from '../../schemas/tao/spec-builder.ts';
import type {ExperimentInput} from '../../schemas/tao/experiment.ts';
import type {ConvertInput} from '../../schemas/tao/convert.ts';

const WRITE = 'require("node:fs").writeFileSync(process.argv[1], process.argv[2])';

export const specFileParams = z
  .object({
    action: z.enum(TAO_ACTIONS),
    /** Workspace path of the spec file, e.g. `tao/kitti/specs/train.yaml`. */
    path: z.string().regex(/\.ya?ml$/),
    /** The complete spec input (experiment-spec.ts makes it from the user's part plus the wiring). */
    spec: z.record(z.string(), z.unknown()),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const problem of specProblems(p.action, p.spec)) ctx.addIssue({code: 'custom', path: ['spec', ...problem.path], message: problem.message});
  });

/** The spec text (params are validated before any rule function runs, so a failure here is a bug). */
export function specText(action: TaoAction, spec: Record<string, unknown>): string {
  const r = action === 'convert' ? buildSpec('convert', spec as ConvertInput) : buildSpec(action, spec as ExperimentInput);
  if (!r.ok) throw new Error(`tao/spec: invalid spec passed validation: ${r.error.details?.join('; ')}`);
  return r.value;
}

export const taoSpecFile = defineRule({
  name: 'tao/spec',
  version: 1,
  description: 'A generated TAO 5.5 BEVFusion spec (YAML)',
  params: specFileParams,
  outputs: (p) => [p.path],
  argv: (p, ctx) => ['node', '-e', WRITE, ctx.out(p.path), specText(p.action, p.spec)],
});
