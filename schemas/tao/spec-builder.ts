/**
 * `buildSpec(action, params)`: validated, complete, deterministic TAO 5.5 spec text. Params are
 * what a user would write (every field optional); the result has every default written out, so
 * the container's own (KITTI-wrong, §6.3 item 5) defaults never apply and the file is a faithful,
 * golden-testable record of the run. Invalid params are a `Failure` listing every problem with the
 * path of its key — expected, since specs come from users.
 */
import type {z} from 'zod';
import {fail, ok, type Result} from '../../src/result.ts';
import {convertSchema, type ConvertInput} from './convert.ts';
import {experimentSchema, type ExperimentInput} from './experiment.ts';
import {actionProblems, type ExperimentAction, type SpecProblem} from './requirements.ts';
import {toYamlText} from './yaml-text.ts';

export type TaoAction = 'convert' | ExperimentAction;
export const TAO_ACTIONS = ['convert', 'train', 'evaluate', 'inference'] as const;

/** The image the specs are written for (reference §0, §6.2 `container_image`). */
export const TAO_IMAGE = 'nvcr.io/nvidia/tao/tao-toolkit:5.5.0-pyt';

const header = (action: TaoAction) => [
  `TAO Toolkit 5.5 BEVFusion ${action} spec (${TAO_IMAGE}), written by bevbuild.`,
  'Generated: edit the bevbuild config, not this file. Keys are sorted; every default is explicit.',
];

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '') || '(root)';
}

function problemsOf(issues: readonly z.core.$ZodIssue[]): SpecProblem[] {
  return issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({path: [...i.path, k] as SpecProblem['path'], message: `unknown key: TAO 5.5 rejects it (Key '${k}' not in the dataclass)`}))
      : [{path: i.path as SpecProblem['path'], message: i.message}],
  );
}

function invalid(action: TaoAction, problems: SpecProblem[]) {
  return fail('tao-spec-invalid', `the TAO 5.5 ${action} spec has ${problems.length} problem(s)`, {details: problems.map((p) => `${formatPath(p.path)}: ${p.message}`)});
}

/** Problems of `params` as a spec for `action` (empty when valid): for rule params' own validation. */
export function specProblems(action: TaoAction, params: unknown): SpecProblem[] {
  if (action === 'convert') {
    const r = convertSchema.safeParse(params ?? {});
    return r.success ? [] : problemsOf(r.error.issues);
  }
  const r = experimentSchema.safeParse(params ?? {});
  return r.success ? actionProblems(action, r.data) : problemsOf(r.error.issues);
}

/** The spec YAML for `action`, or every problem that would make TAO fail (or silently misbehave). */
export function buildSpec(action: 'convert', params: ConvertInput): Result<string>;
export function buildSpec(action: ExperimentAction, params: ExperimentInput): Result<string>;
export function buildSpec(action: TaoAction, params: ConvertInput | ExperimentInput): Result<string> {
  const problems = specProblems(action, params);
  if (problems.length) return invalid(action, problems);
  const data = action === 'convert' ? convertSchema.parse(params ?? {}) : experimentSchema.parse(params ?? {});
  return ok(toYamlText(data, header(action)));
}
