/**
 * Canonical JSON: object keys sorted recursively, no whitespace. Action keys hash this form, so
 * the same params always give the same key whatever order they were written in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    if (v instanceof Date) return v.toISOString();
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) {
    throw new Error(`Internal error: non-finite number ${v} in keyed data`);
  }
  return v;
}
