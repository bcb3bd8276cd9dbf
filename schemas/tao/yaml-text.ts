/**
 * Deterministic YAML text for TAO specs: keys sorted at every level (so a spec's bytes — and the
 * action keys of the nodes using it — depend only on its content, never on the order fields were
 * written in), scalar lists in flow style, and decimals instead of exponents: a YAML 1.1 reader
 * takes `1e-4` for a string, which stays a string inside TAO's `Dict[Any,Any]` fields (§7 item 18).
 */
import {Document, isScalar, isSeq, visit} from 'yaml';

export function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeysDeep(o[k])]));
  }
  return v;
}

/** `1e-7` → `0.0000001`, `2.5e+21` → `2500000000000000000000.0`: the same digits, the point moved (no float noise). */
export function decimal(token: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?e([-+]?\d+)$/i.exec(token);
  if (!m) return token;
  const [, sign, int, frac = '', exp] = m;
  const digits = int! + frac;
  const point = int!.length + Number(exp);
  const padded = point <= 0 ? '0'.repeat(1 - point) + digits : digits.padEnd(point, '0');
  const at = Math.max(point, 1);
  const whole = padded.slice(0, at).replace(/^0+(?=\d)/, '');
  const rest = padded.slice(at).replace(/0+$/, '');
  return `${sign}${whole}.${rest || '0'}`;
}

/** An unquoted exponent token in a value position: yaml quotes every *string* that looks like a number, so these are numbers. */
const EXPONENT = /(^|: |- |\[ |, )(-?\d+(?:\.\d+)?e[-+]?\d+)(?=$| ,| ]|,)/gm;

/** YAML text of a plain-data tree, with a header comment. */
export function toYamlText(data: unknown, header: string[]): string {
  const doc = new Document(sortKeysDeep(data));
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i) || isSeq(i))) node.flow = true;
    },
  });
  doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  return doc.toString({lineWidth: 0}).replace(EXPONENT, (_, pre: string, num: string) => `${pre}${decimal(num)}`);
}
