/**
 * A minimal reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/):
 * enough to walk the few ONNX messages a semantic fingerprint needs, without a schema compiler or
 * a runtime dependency. Fields come back in file order with their raw payloads; callers decode
 * what they know and ignore the rest (unknown fields are how newer ONNX versions stay readable).
 */

/** One field occurrence. `varint` values are bigints (int64 fields may use all 64 bits). */
export type WireField =
  | {no: number; wire: 0; value: bigint}
  | {no: number; wire: 1; bytes: Uint8Array /* 8 bytes, little-endian */}
  | {no: number; wire: 2; bytes: Uint8Array}
  | {no: number; wire: 5; bytes: Uint8Array /* 4 bytes, little-endian */};

/** Thrown for bytes that are not a protobuf message (truncated, bad wire type): a bug-free caller turns it into a Result. */
export class WireFormatError extends Error {}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new WireFormatError('truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [BigInt.asUintN(64, result), pos];
    shift += 7n;
  }
  throw new WireFormatError('varint longer than 10 bytes');
}

/** Splits a message into its fields, in order. */
export function readFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (no === 0) throw new WireFormatError('field number 0');
    if (wire === 0) {
      const [value, p2] = readVarint(buf, pos);
      pos = p2;
      out.push({no, wire, value});
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > buf.length) throw new WireFormatError('truncated fixed-width field');
      out.push({no, wire, bytes: buf.subarray(pos, pos + n)});
      pos += n;
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new WireFormatError(`field ${no}: length ${len} runs past the end of the message`);
      out.push({no, wire, bytes: buf.subarray(p2, end)});
      pos = end;
    } else {
      throw new WireFormatError(`unsupported wire type ${wire} (field ${no})`);
    }
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', {fatal: false});

/** The string value of a length-delimited field. */
export const str = (f: WireField): string => (f.wire === 2 ? utf8.decode(f.bytes) : '');

/** The integer values of a repeated (packed or not) varint field, as decimal strings (int64-safe). */
export function ints(fields: WireField[], no: number, signed = true): string[] {
  const out: string[] = [];
  for (const f of fields) {
    if (f.no !== no) continue;
    if (f.wire === 0) out.push(String(signed ? BigInt.asIntN(64, f.value) : f.value));
    else if (f.wire === 2) {
      let pos = 0;
      while (pos < f.bytes.length) {
        const [v, p] = readVarint(f.bytes, pos);
        pos = p;
        out.push(String(signed ? BigInt.asIntN(64, v) : v));
      }
    }
  }
  return out;
}

/** The last value of a singular varint field (proto3 semantics), or undefined. */
export function int(fields: WireField[], no: number): string | undefined {
  const all = ints(fields, no);
  return all.length ? all[all.length - 1] : undefined;
}

/** The string values of a repeated string field. */
export const strings = (fields: WireField[], no: number): string[] => fields.filter((f) => f.no === no && f.wire === 2).map(str);

/** The payloads of a repeated message (or bytes) field. */
export const messages = (fields: WireField[], no: number): Uint8Array[] =>
  fields.filter((f): f is Extract<WireField, {wire: 2}> => f.no === no && f.wire === 2).map((f) => f.bytes);
