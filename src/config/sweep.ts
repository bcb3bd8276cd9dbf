/**
 * Parameter sweeps: one declaration, one artifact per point of a matrix of params.
 *
 *   const trains = sweep('train/kitti/second', {lr: [1e-4, 3e-4], ep: [3, 5]}, (p, pt) =>
 *     train({..., epochs: p.ep, overrides: {'optimizer.lr': p.lr}, runDir: `work_dirs/sweep/${pt.slug}`}));
 *   // → train/kitti/second@lr=1e-4,ep=3, …@lr=1e-4,ep=5, …@lr=3e-4,ep=3, …@lr=3e-4,ep=5
 *
 * A sweep is a list of `[id, declaration]` pairs (spread it into `artifacts`) that also carries its
 * points, so a second sweep over the same points (the evaluation of each checkpoint) and a `select`
 * node (rules/select.ts) can be derived from it. Point ids name the params in declared key order
 * with stable number formatting (src/graph/node-id.ts). Nothing runs at declaration time.
 */
import {z} from 'zod';
import type {ArtifactDecl} from './define-rule.ts';
import {isArtifactDecl} from './define-rule.ts';
import {lazyCallSite} from './call-site.ts';
import {formatParamValue, isValidId, PARAM_NAME_RE, PARAM_VALUE_RE, pointId, pointSlug, type ParamValue} from '../graph/node-id.ts';

export type {ParamValue} from '../graph/node-id.ts';

/** Param name → the values it takes; the points are every combination (first key varies slowest). */
export type Matrix = Readonly<Record<string, readonly ParamValue[]>>;
/** The params of one point. */
export type PointParams<M extends Matrix> = {readonly [K in keyof M]: M[K][number]};

export interface SweepPoint<P = Record<string, ParamValue>> {
  /** The point's params. */
  readonly params: P;
  /** Position in matrix order (0-based): the order `select`'s `first` tie-break uses. */
  readonly index: number;
  /** `k=v,…` in declared key order, e.g. `lr=1e-4,ep=3`. */
  readonly label: string;
  /** The same as a file-name fragment, e.g. `lr-1e-4+ep-3`: use it in the point's output paths. */
  readonly slug: string;
  /** The point's id under another base: `at('eval/kitti/second')` → `eval/kitti/second@lr=1e-4,ep=3`. */
  at(base: string): string;
}

/** The artifacts of a sweep (`[id, declaration]` pairs, ready for `artifacts`) and its points. */
export interface Sweep<P = Record<string, ParamValue>> extends ReadonlyArray<[string, ArtifactDecl]> {
  /** The id every point's id starts with (before `@`). */
  readonly base: string;
  readonly points: ReadonlyArray<SweepPoint<P>>;
  /** The id of each point, in matrix order. */
  readonly ids: readonly string[];
}

/** A value as the config spelled it, for messages (`NaN`, `null`, `"a b"`, `an object`). */
const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v !== null && typeof v === 'object' ? (Array.isArray(v) ? 'an array' : 'an object') : String(v));
const value = z.union([
  z.number().finite(),
  z.boolean(),
  z.string().regex(PARAM_VALUE_RE, 'a string of letters, digits, _ . + - (it becomes part of the artifact id)'),
], {error: (iss) => (iss.code === 'invalid_union' ? `expected a finite number, a boolean or a string of letters, digits, _ . + -; got ${shown(iss.input)}` : undefined)});
const matrixSchema = z
  .record(z.string(), z.array(value).min(1, 'give at least one value'))
  .refine((m) => Object.keys(m).length > 0, 'give at least one param');
const pointsSchema = z.array(z.record(z.string(), value)).min(1, 'give at least one point');

/**
 * The points of a matrix in order (first key varies slowest), or an explicit list of points as
 * they are (`[...matrixPoints({lr: [1e-4, 3e-4], ep: [3, 5]}), {lr: 1e-3, ep: 5}]` adds a fifth).
 */
export function matrixPoints<M extends Matrix>(matrix: M): Array<PointParams<M>> {
  const keys = Object.keys(matrix);
  let out: Array<Record<string, ParamValue>> = [{}];
  for (const k of keys) out = out.flatMap((p) => matrix[k]!.map((v) => ({...p, [k]: v})));
  return out as Array<PointParams<M>>;
}

/**
 * Declares one artifact per point: `make(params, point)` returns the point's declaration, whose id
 * is `base@k=v,…`. `space` is a matrix (param → values) or an explicit list of points with the same
 * keys. Points whose outputs would collide must differ in their paths: use `point.slug`.
 * A malformed matrix throws at config load, naming the sweep and its line.
 */
export function sweep<M extends Matrix>(base: string, space: M, make: (params: PointParams<M>, point: SweepPoint<PointParams<M>>) => ArtifactDecl): Sweep<PointParams<M>>;
export function sweep<P extends Record<string, ParamValue>>(base: string, space: readonly P[], make: (params: P, point: SweepPoint<P>) => ArtifactDecl): Sweep<P>;
export function sweep(base: string, space: Matrix | readonly Record<string, ParamValue>[], make: (params: never, point: never) => ArtifactDecl): Sweep {
  const site = lazyCallSite();
  const problem = (msg: string): never => {
    const s = site();
    throw new Error(`sweep "${base}"${s ? ` (${s.file}:${s.line})` : ''}: ${msg}`);
  };
  if (!isValidId(base) || base.includes('@')) problem('the base id must be a plain artifact id such as train/kitti/second');
  const parsed = Array.isArray(space) ? pointsSchema.safeParse(space) : matrixSchema.safeParse(space);
  if (!parsed.success) problem(parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; '));
  const names = Array.isArray(space) ? space.flatMap((pt) => Object.keys(pt)) : Object.keys(space);
  for (const n of new Set(names)) if (!PARAM_NAME_RE.test(n)) problem(`"${n}": a param name is an identifier (letters, digits, _; not starting with a digit)`);
  const list = (Array.isArray(space) ? space : matrixPoints(space as Matrix)) as Record<string, ParamValue>[];
  const keys = Object.keys(list[0]!);
  const seen = new Map<string, number>();
  const points = list.map((params, index): SweepPoint => {
    const ks = Object.keys(params);
    if (ks.length !== keys.length || ks.some((k, i) => k !== keys[i])) {
      problem(`point ${index} has params [${ks.join(', ')}], expected [${keys.join(', ')}] in that order (every point names the same params)`);
    }
    const pairs = keys.map((k) => [k, params[k]!] as const);
    const label = pairs.map(([k, v]) => `${k}=${formatParamValue(v)}`).join(',');
    const dup = seen.get(label);
    if (dup !== undefined) problem(`points ${dup} and ${index} are the same point (${label})`);
    seen.set(label, index);
    return {params, index, label, slug: pointSlug(pairs), at: (b) => pointId(b, pairs)};
  });
  const entries = points.map((pt): [string, ArtifactDecl] => {
    const decl = (make as (p: unknown, pt: SweepPoint) => unknown)(pt.params, pt);
    if (!isArtifactDecl(decl)) problem(`the callback must return a rule application such as train({...}) for ${pt.label}`);
    return [pt.at(base), decl as ArtifactDecl];
  });
  return Object.assign(entries, {base, points, ids: entries.map(([id]) => id)}) as unknown as Sweep;
}
