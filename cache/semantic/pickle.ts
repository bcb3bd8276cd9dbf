/**
 * A pickle reader that never executes anything: it runs the pickle machine's opcodes
 * (https://github.com/python/cpython/blob/main/Lib/pickletools.py) to build a plain tree, where a
 * call such as `numpy.core.multiarray._reconstruct(...)` stays a `{call, args, state}` node. Enough
 * to compare checkpoints (a dict of meta data and named arrays) without Python.
 */

export type PickleValue =
  | null
  | boolean
  | string
  | {t: 'int'; v: bigint}
  | {t: 'float'; v: number}
  | {t: 'bytes'; v: Uint8Array}
  | {t: 'list' | 'tuple' | 'set'; items: PickleValue[]}
  | {t: 'dict'; items: [PickleValue, PickleValue][]}
  | {t: 'global'; name: string}
  | {t: 'call'; fn: PickleValue; args: PickleValue; state?: PickleValue}
  | {t: 'persistent'; id: PickleValue};

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

/** Reads one pickle. Throws on opcodes it does not know (old text protocols' rarities, extension registry). */
export function readPickle(buf: Uint8Array): PickleValue {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dec = new TextDecoder();
  let pos = 0;
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  const take = (n: number) => {
    if (pos + n > buf.length) throw new Error('truncated pickle');
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = () => take(1)[0]!;
  const u32 = () => dv.getUint32((pos += 4) - 4, true);
  const u64 = () => Number(dv.getBigUint64((pos += 8) - 8, true));
  const line = () => {
    const end = buf.indexOf(10, pos);
    if (end < 0) throw new Error('truncated pickle line');
    const s = dec.decode(buf.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new Error('pickle stack underflow');
    return v;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new Error('pickle MARK missing');
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new Error('pickle stack underflow');
    return v;
  };
  const int = (v: bigint): PickleValue => ({t: 'int', v});
  const littleInt = (b: Uint8Array): bigint => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return b.length && b[b.length - 1]! & 0x80 ? v - (1n << BigInt(b.length * 8)) : v;
  };
  const push = (v: PickleValue) => stack.push(v);
  const str = (b: Uint8Array) => dec.decode(b);

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: take(8); break; // FRAME
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break;
      case 0x30: pop(); break;
      case 0x31: popMark(); break;
      case 0x32: push(top()); break;
      case 0x4e: push(null); break;
      case 0x88: push(true); break;
      case 0x89: push(false); break;
      case 0x49: { const s = line(); push(s === '01' ? true : s === '00' ? false : int(BigInt(s))); break; }
      case 0x4a: push(int(BigInt(dv.getInt32((pos += 4) - 4, true)))); break;
      case 0x4b: push(int(BigInt(u8()))); break;
      case 0x4d: push(int(BigInt(dv.getUint16((pos += 2) - 2, true)))); break;
      case 0x4c: push(int(BigInt(line().replace(/L$/, '')))); break;
      case 0x8a: push(int(littleInt(take(u8())))); break;
      case 0x8b: push(int(littleInt(take(u32())))); break;
      case 0x46: push({t: 'float', v: Number(line())}); break;
      case 0x47: push({t: 'float', v: dv.getFloat64((pos += 8) - 8, false)}); break;
      case 0x53: push(line().replace(/^(['"])(.*)\1$/, '$2')); break;
      case 0x54: push({t: 'bytes', v: take(u32())}); break;
      case 0x55: push({t: 'bytes', v: take(u8())}); break;
      case 0x42: push({t: 'bytes', v: take(u32())}); break;
      case 0x43: push({t: 'bytes', v: take(u8())}); break;
      case 0x8e: case 0x96: push({t: 'bytes', v: take(u64())}); break;
      case 0x56: push(line()); break;
      case 0x58: push(str(take(u32()))); break;
      case 0x8c: push(str(take(u8()))); break;
      case 0x8d: push(str(take(u64()))); break;
      case 0x5d: push({t: 'list', items: []}); break;
      case 0x6c: push({t: 'list', items: popMark()}); break;
      case 0x61: { const v = pop(); asSeq(top()).push(v); break; }
      case 0x65: { const vs = popMark(); asSeq(top()).push(...vs); break; }
      case 0x29: push({t: 'tuple', items: []}); break;
      case 0x74: push({t: 'tuple', items: popMark()}); break;
      case 0x85: case 0x86: case 0x87: { const n = op - 0x84; const items = stack.splice(stack.length - n) as PickleValue[]; push({t: 'tuple', items}); break; }
      case 0x7d: push({t: 'dict', items: []}); break;
      case 0x64: { const xs = popMark(); push({t: 'dict', items: pairs(xs)}); break; }
      case 0x73: { const v = pop(); const k = pop(); asDict(top()).push([k, v]); break; }
      case 0x75: { const xs = popMark(); asDict(top()).push(...pairs(xs)); break; }
      case 0x8f: push({t: 'set', items: []}); break;
      case 0x90: { const xs = popMark(); asSeq(top()).push(...xs); break; }
      case 0x91: push({t: 'set', items: popMark()}); break;
      case 0x63: { const mod = line(); push({t: 'global', name: `${mod}.${line()}`}); break; }
      case 0x93: { const name = pop(); const mod = pop(); push({t: 'global', name: `${String(mod)}.${String(name)}`}); break; }
      case 0x52: { const args = pop(); push({t: 'call', fn: pop(), args}); break; }
      case 0x81: { const args = pop(); push({t: 'call', fn: pop(), args}); break; }
      case 0x92: { const kw = pop(); const args = pop(); push({t: 'call', fn: pop(), args: {t: 'tuple', items: [args, kw]}}); break; }
      case 0x62: { const state = pop(); const obj = top(); if (typeof obj === 'object' && obj && obj.t === 'call') obj.state = state; else throw new Error('pickle BUILD on a non-object'); break; }
      case 0x70: memo.set(Number(line()), top()); break;
      case 0x71: memo.set(u8(), top()); break;
      case 0x72: memo.set(u32(), top()); break;
      case 0x94: memo.set(memo.size, top()); break;
      case 0x67: push(got(memo, Number(line()))); break;
      case 0x68: push(got(memo, u8())); break;
      case 0x6a: push(got(memo, u32())); break;
      case 0x50: push({t: 'persistent', id: line()}); break;
      case 0x51: push({t: 'persistent', id: pop()}); break;
      case 0x98: break; // READONLY_BUFFER: the buffer on top stays what it is
      default:
        throw new Error(`unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}

function got(memo: Map<number, PickleValue>, i: number): PickleValue {
  if (!memo.has(i)) throw new Error(`pickle memo ${i} missing`);
  return memo.get(i)!;
}

function pairs(xs: PickleValue[]): [PickleValue, PickleValue][] {
  const out: [PickleValue, PickleValue][] = [];
  for (let i = 0; i + 1 < xs.length; i += 2) out.push([xs[i]!, xs[i + 1]!]);
  return out;
}

function asSeq(v: PickleValue): PickleValue[] {
  if (v && typeof v === 'object' && (v.t === 'list' || v.t === 'set' || v.t === 'tuple')) return v.items;
  throw new Error('pickle APPEND on a non-list');
}

function asDict(v: PickleValue): [PickleValue, PickleValue][] {
  if (v && typeof v === 'object' && v.t === 'dict') return v.items;
  throw new Error('pickle SETITEM on a non-dict');
}
