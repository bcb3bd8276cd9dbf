/**
 * The semantic view of an ONNX model: what decides how it computes, without what only describes it.
 * Kept: IR version, opset imports, graph nodes in order (name, op, domain, inputs, outputs,
 * attributes by name), initializers by name (dims, type, a digest of their data), graph inputs and
 * outputs with their types, functions and training info. Dropped: producer name/version, model
 * domain/version, doc strings, metadata_props, graph name and `value_info` (shape-inference hints a
 * newer exporter may add or drop). Node names stay: tools downstream select nodes by name (NNCF's
 * IgnoredScope), so a renamed node can change what quantization does.
 *
 * Field numbers: onnx/onnx.proto3 (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto, TypeProto).
 */
import {hashBytes} from '../digest.ts';
import {int, ints, messages, readFields, str, strings, type WireField} from './protobuf.ts';
import type {View} from './view.ts';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const one = (fields: WireField[], no: number): WireField | undefined => fields.findLast((f) => f.no === no);

/** Parses an ONNX model file's bytes into its semantic view. Throws WireFormatError on bytes that are not protobuf. */
export function onnxView(bytes: Uint8Array): View {
  const m = readFields(bytes);
  const graph = messages(m, 7)[0];
  if (!graph) throw new Error('not an ONNX model: no graph (ModelProto field 7)');
  const opset: Record<string, string> = {};
  for (const o of messages(m, 8)) {
    const f = readFields(o);
    opset[one(f, 1) ? str(one(f, 1)!) : ''] = int(f, 2) ?? '0';
  }
  return {
    irVersion: int(m, 1) ?? '0',
    opset,
    graph: graphView(graph),
    functions: messages(m, 25).map(hashBytes),
    trainingInfo: messages(m, 20).map(hashBytes),
  };
}

function graphView(bytes: Uint8Array): View {
  const g = readFields(bytes);
  const initializer: Record<string, View> = {};
  for (const t of messages(g, 5)) {
    const f = readFields(t);
    initializer[strings(f, 8).at(-1) ?? ''] = tensorView(f);
  }
  return {
    node: messages(g, 1).map(nodeView),
    initializer,
    sparseInitializer: messages(g, 15).map(hashBytes),
    input: messages(g, 11).map(valueInfoView),
    output: messages(g, 12).map(valueInfoView),
    quantizationAnnotation: messages(g, 14).map(hashBytes),
  };
}

function nodeView(bytes: Uint8Array): View {
  const n = readFields(bytes);
  const attribute: Record<string, View> = {};
  for (const a of messages(n, 5)) {
    const f = readFields(a);
    attribute[strings(f, 1).at(-1) ?? ''] = attributeView(f);
  }
  return {
    name: strings(n, 3).at(-1) ?? '',
    opType: strings(n, 4).at(-1) ?? '',
    domain: strings(n, 7).at(-1) ?? '',
    overload: strings(n, 8).at(-1) ?? '',
    input: strings(n, 1),
    output: strings(n, 2),
    attribute,
  };
}

function attributeView(f: WireField[]): View {
  const v: Record<string, View> = {type: int(f, 20) ?? '0'};
  const ref = strings(f, 21).at(-1);
  if (ref) v['ref'] = ref;
  const fl = one(f, 2);
  if (fl && fl.wire === 5) v['f'] = hex(fl.bytes);
  if (int(f, 3) !== undefined) v['i'] = int(f, 3)!;
  if (one(f, 4)) v['s'] = str(one(f, 4)!);
  const t = messages(f, 5)[0];
  if (t) v['t'] = tensorView(readFields(t));
  const g = messages(f, 6)[0];
  if (g) v['g'] = graphView(g);
  const floats = f.filter((x) => x.no === 7).map((x) => hex((x as {bytes: Uint8Array}).bytes)).join('');
  if (floats) v['floats'] = floats;
  const is = ints(f, 8);
  if (is.length) v['ints'] = is;
  const ss = strings(f, 9);
  if (ss.length) v['strings'] = ss;
  const ts = messages(f, 10);
  if (ts.length) v['tensors'] = ts.map((x) => tensorView(readFields(x)));
  const gs = messages(f, 11);
  if (gs.length) v['graphs'] = gs.map(graphView);
  for (const [no, name] of [[22, 'sparseTensor'], [23, 'sparseTensors'], [14, 'typeProto'], [15, 'typeProtos']] as const) {
    const raw = messages(f, no);
    if (raw.length) v[name] = raw.map(hashBytes);
  }
  return v;
}

/**
 * A tensor: dims, element type and a digest of its data. `float_data`/`double_data` are packed
 * little-endian exactly like `raw_data`, so both spellings of the same floats give the same digest.
 */
function tensorView(f: WireField[]): View {
  const v: Record<string, View> = {dims: ints(f, 1), dataType: int(f, 2) ?? '0'};
  const raw = messages(f, 9)[0] ?? concat(messages(f, 4)) ?? concat(messages(f, 10));
  if (raw) v['data'] = hashBytes(raw);
  for (const [no, name] of [[5, 'int32Data'], [7, 'int64Data'], [11, 'uint64Data']] as const) {
    const xs = ints(f, no, no !== 11);
    if (xs.length) v[name] = hashBytes(xs.join(','));
  }
  const s = messages(f, 6);
  if (s.length) v['stringData'] = hashBytes(s.map(hex).join(','));
  if (int(f, 14) === '1') v['external'] = messages(f, 13).map((kv) => {
    const e = readFields(kv);
    return `${strings(e, 1).at(-1)}=${strings(e, 2).at(-1)}`;
  });
  if (messages(f, 3).length) v['segment'] = messages(f, 3).map(hex);
  return v;
}

function valueInfoView(bytes: Uint8Array): View {
  const f = readFields(bytes);
  const type = messages(f, 2)[0];
  return {name: strings(f, 1).at(-1) ?? '', type: type ? typeView(type) : ''};
}

/** Tensor types as `elem[d0,d1,…]` (readable in a diff); other types by digest. */
function typeView(bytes: Uint8Array): View {
  const t = readFields(bytes);
  const tensor = messages(t, 1)[0];
  if (!tensor) return hashBytes(bytes);
  const tf = readFields(tensor);
  const shape = messages(tf, 2)[0];
  const dims = shape
    ? messages(readFields(shape), 1).map((d) => {
        const df = readFields(d);
        return int(df, 1) ?? strings(df, 2).at(-1) ?? '?';
      })
    : undefined;
  return `${int(tf, 1) ?? '0'}${dims ? `[${dims.join(',')}]` : ''}`;
}

function concat(parts: Uint8Array[]): Uint8Array | undefined {
  if (!parts.length) return undefined;
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}
