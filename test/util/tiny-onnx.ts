/**
 * The source of a tiny ONNX exporter, as a Node script a test workspace runs as its "export tool":
 * it writes a one-MatMul model in the protobuf wire format by hand (no onnx package needed), with
 * the producer name/version, doc string and metadata given, so tests can change only metadata.
 */
export function tinyOnnxExporter(o: {producerVersion: string; doc?: string; weight?: number; metadata?: [string, string][]}): string {
  return `// tiny ONNX exporter (test tool)
import {writeFileSync} from 'node:fs';
const varint = (n) => { const b = []; while (n > 127) { b.push((n & 127) | 128); n = Math.floor(n / 128); } b.push(n); return Buffer.from(b); };
const tag = (no, wire) => varint(no * 8 + wire);
const bytes = (no, buf) => Buffer.concat([tag(no, 2), varint(buf.length), buf]);
const str = (no, s) => bytes(no, Buffer.from(s));
const int = (no, n) => Buffer.concat([tag(no, 0), varint(n)]);
const msg = (no, ...parts) => bytes(no, Buffer.concat(parts));
const w = Buffer.alloc(16); for (let i = 0; i < 4; i++) w.writeFloatLE(${o.weight ?? 1}, i * 4);
const model = Buffer.concat([
  int(1, 8),
  str(2, 'tiny-exporter'), str(3, ${JSON.stringify(o.producerVersion)}),
  str(6, ${JSON.stringify(o.doc ?? '')}),
  msg(7,
    msg(1, str(1, 'x'), str(1, 'W'), str(2, 'y'), str(3, 'mm'), str(4, 'MatMul'), str(6, ${JSON.stringify(o.doc ?? '')})),
    str(2, 'graph'),
    msg(5, int(1, 2), int(1, 2), int(2, 1), str(8, 'W'), bytes(9, w)),
    msg(11, str(1, 'x')),
    msg(12, str(1, 'y')),
  ),
  msg(8, int(2, 17)),
  ${(o.metadata ?? []).map(([k, v]) => `msg(14, str(1, ${JSON.stringify(k)}), str(2, ${JSON.stringify(v)}))`).join(', ')}
]);
writeFileSync(process.argv[2], model);
`;
}
