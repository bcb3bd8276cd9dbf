/**
 * `select`: picks one point of a sweep by a metric the points wrote, and materialises the winner's
 * artifacts under its own output paths, so downstream depends on the select node like on a single
 * node. `selection.json` beside them lists every candidate, its metric and rank, the winner and why.
 *
 * Early cutoff: the chosen files are copies of the winner's outputs, byte for byte, and
 * `selection.json` is declared `volatile` (a report: dependents key on its presence, not its bytes).
 * So adding a point re-runs that point and the selection, and nothing downstream unless the winner
 * changed (DESIGN.md decision 1).
 */
import {fileURLToPath} from 'node:url';
import {defineRule, z, type ParamValue, type SweepPoint} from '../src/index.ts';

const SELECT = fileURLToPath(new URL('./tools/select.mjs', import.meta.url));

const paramValue = z.union([z.number(), z.string(), z.boolean()]);
const fileName = z.string().regex(/^[^/]+$/, 'a plain file name').refine((n) => n !== 'selection.json', 'selection.json is the report of the select node');

const candidate = z
  .object({
    /** The point's artifact id (for the report). */
    id: z.string().min(1),
    /** The point's params (the report; tie-breaks by param read them). */
    params: z.record(z.string(), paramValue).default({}),
    /** Workspace path of the JSON file holding the point's metric. */
    metrics: z.string().min(1),
    /** Output name under `outDir` → workspace path of the point's artifact (a file or directory). */
    files: z.record(fileName, z.string().min(1)),
  })
  .strict();

export const selectParams = z
  .object({
    candidates: z.array(candidate).min(1, 'a select node needs at least one candidate'),
    /** Where the metric is in each metric file: a dot path (`recall`, `eval.AP11`) or a JSON pointer (`/Car_3d/AP11@0.70`). */
    metric: z.string().min(1),
    /** `max` for recall/AP, `min` for a loss. */
    direction: z.enum(['max', 'min']),
    /** Among equal metrics: the first in matrix order, or the lowest/highest value of a param (then the first). */
    tieBreak: z.union([z.literal('first'), z.object({lowest: z.string()}).strict(), z.object({highest: z.string()}).strict()]).default('first'),
    /** Directory of the chosen files and `selection.json`. */
    outDir: z.string().min(1),
  })
  .strict()
  .superRefine((p, ctx) => {
    const names = Object.keys(p.candidates[0]?.files ?? {}).sort().join(',');
    if (!names) ctx.addIssue({code: 'custom', path: ['candidates', 0, 'files'], message: 'name at least one file to materialise for the winner'});
    p.candidates.forEach((c, i) => {
      if (Object.keys(c.files).sort().join(',') !== names) ctx.addIssue({code: 'custom', path: ['candidates', i, 'files'], message: `every candidate names the same files (${names}); ${c.id} names ${Object.keys(c.files).sort().join(',')}`});
      if (p.candidates.findIndex((d) => d.id === c.id) !== i) ctx.addIssue({code: 'custom', path: ['candidates', i, 'id'], message: `candidate ${c.id} is listed twice`});
      const tb = typeof p.tieBreak === 'object' ? ('lowest' in p.tieBreak ? p.tieBreak.lowest : p.tieBreak.highest) : undefined;
      if (tb !== undefined && !(tb in c.params)) ctx.addIssue({code: 'custom', path: ['tieBreak'], message: `candidate ${c.id} has no param "${tb}" to break ties by (its params: ${Object.keys(c.params).join(', ') || 'none'})`});
    });
  });

export const select = defineRule({
  name: 'select',
  version: 1,
  description: 'Pick a sweep point by a metric; materialise its artifacts + selection.json',
  params: selectParams,
  inputs: (p) => [...p.candidates.flatMap((c) => [c.metrics, ...Object.values(c.files)]), SELECT],
  outputs: (p) => [...Object.keys(p.candidates[0]!.files).sort().map((n) => `${p.outDir}/${n}`), `${p.outDir}/selection.json`],
  semantic: (p) => ({[`${p.outDir}/selection.json`]: 'volatile'}),
  argv: (p, ctx) => {
    const spec = {
      metric: p.metric,
      direction: p.direction,
      tieBreak: p.tieBreak,
      candidates: p.candidates.map((c, index) => ({
        id: c.id,
        index,
        params: c.params,
        metrics: {abs: ctx.in(c.metrics), rel: c.metrics},
        files: Object.fromEntries(Object.entries(c.files).map(([n, f]) => [n, {abs: ctx.in(f), rel: f}])),
      })),
    };
    const names = Object.keys(p.candidates[0]!.files).sort();
    return ['node', SELECT, '--spec', JSON.stringify(spec), '--selection', ctx.out(`${p.outDir}/selection.json`), ...names.map((n) => `${n}=${ctx.out(`${p.outDir}/${n}`)}`)];
  },
});

/**
 * The `candidates` of a select node from a sweep's points: `id` under `base` (the sweep whose
 * outputs are chosen), the point's params, and its metric file and files from `of(point)`.
 */
export function candidatesOf<P extends Record<string, ParamValue>>(
  points: ReadonlyArray<SweepPoint<P>>,
  base: string,
  of: (point: SweepPoint<P>) => {metrics: string; files: Record<string, string>},
): z.input<typeof candidate>[] {
  return points.map((pt) => ({id: pt.at(base), params: {...pt.params}, ...of(pt)}));
}
