/**
 * Artifact ids. A plain id is path-like (`train/kitti/second`); a sweep point appends its params,
 * in declared order, after `@`: `train/kitti/second@lr=1e-4,ep=3`. This module owns the grammar
 * (validation, formatting, parsing) and the file-name form of an id, so every place that checks,
 * prints or stores ids agrees on it.
 */

/** One path segment of a plain id: letters, digits, `_ . + -`. */
const SEGMENT = '[A-Za-z0-9_.+-]+';
/** A sweep param name: an identifier (so `k=v` pairs stay unambiguous). */
export const PARAM_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A formatted param value: no `/ @ = ,` (they delimit the id), no glob characters. */
export const PARAM_VALUE_RE = /^[A-Za-z0-9_.+-]+$/;
const POINT = `[A-Za-z_][A-Za-z0-9_]*=${SEGMENT}(?:,[A-Za-z_][A-Za-z0-9_]*=${SEGMENT})*`;
const ID_RE = new RegExp(`^${SEGMENT}(?:/${SEGMENT})*(?:@${POINT})?$`);
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|@|$)/;

/** What a valid id looks like, for diagnostics. */
export const ID_RULE = 'artifact ids are path-like: segments of letters, digits, _ . + - separated by / (no `.` or `..` segments), optionally followed by a sweep point `@name=value,…` (e.g. train/kitti/second@lr=1e-4,ep=3)';

export function isValidId(id: string): boolean {
  return ID_RE.test(id) && !DOT_SEGMENT.test(id);
}

/** A sweep param value as declared in a config. */
export type ParamValue = number | string | boolean;

/**
 * The stable text of a param value in an id. Integers print as integers (`3`); other numbers in
 * the shorter of plain and exponent notation, exponent without `+` (`1e-4`, `0.5`, `2.5e-5`), so
 * the same number always gives the same id whatever way it was written in the config.
 */
export function formatParamValue(v: ParamValue): string {
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) throw new Error(`sweep values must be finite numbers, got ${v}`);
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
  const plain = String(v);
  const exp = v.toExponential().replace('e+', 'e');
  return exp.length < plain.length ? exp : plain;
}

/** `base@k=v,…` for the point's params in the given order. */
export function pointId(base: string, params: ReadonlyArray<readonly [string, ParamValue]>): string {
  return `${base}@${params.map(([k, v]) => `${k}=${formatParamValue(v)}`).join(',')}`;
}

/** Splits an id into its base and its sweep point (`undefined` for a plain id). Values stay text. */
export function parseNodeId(id: string): {base: string; point: Array<[string, string]> | undefined} {
  const at = id.indexOf('@');
  if (at < 0) return {base: id, point: undefined};
  const point = id
    .slice(at + 1)
    .split(',')
    .map((kv): [string, string] => {
      const eq = kv.indexOf('=');
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    });
  return {base: id.slice(0, at), point};
}

/** The id without its sweep point: `train/kitti/second` for `train/kitti/second@lr=1e-4`. */
export function baseId(id: string): string {
  const at = id.indexOf('@');
  return at < 0 ? id : id.slice(0, at);
}

/**
 * A sweep point as a file-name fragment: `lr-1e-4+ep-3` for `lr=1e-4,ep=3`. `@ = ,` stay out of
 * paths: `,` and `=` are list and assignment syntax for many tools (sbatch options, Make, shells),
 * and `%`-escapes would be SLURM's `--output` patterns.
 */
export function pointSlug(params: ReadonlyArray<readonly [string, ParamValue | string]>): string {
  return params.map(([k, v]) => `${k}-${typeof v === 'string' ? v : formatParamValue(v)}`).join('+');
}

/** An id as one file name (logs): `/` → `__`, a sweep point → `~` + its slug. */
export function idFileName(id: string): string {
  const {base, point} = parseNodeId(id);
  const flat = base.replaceAll('/', '__');
  return point ? `${flat}~${pointSlug(point)}` : flat;
}
