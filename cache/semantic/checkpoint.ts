/**
 * The semantic view of a checkpoint: a plain pickle (`{"meta": …, "state_dict": {name: array}}`,
 * the demo's and mmcv's older format) or a PyTorch zip archive (`archive/data.pkl` + one file per
 * storage under `archive/data/`, stored uncompressed). Kept: every array (by the digest of its
 * bytes, with dtype and shape) and every meta value that can change what a loader does. Dropped:
 * dict order, and under a `meta` dict the bookkeeping keys that record when/where/by whom it was
 * written (`time`, `timestamp`, `date`, `created`, `host`, `hostname`, `user`, `duration`…).
 */
import {hashBytes} from '../digest.ts';
import {readPickle, type PickleValue} from './pickle.ts';
import type {View} from './view.ts';

const VOLATILE = /^(time|timestamp|date|datetime|created|created_at|saved_at|host|hostname|user|duration|elapsed|seconds)$/i;

/** Parses checkpoint bytes into a semantic view (throws if they are neither a pickle nor a torch zip). */
export function checkpointView(bytes: Uint8Array): View {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    const files = readStoredZip(bytes);
    const pkl = [...files.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
    if (!pkl) throw new Error('a zip without data.pkl is not a PyTorch checkpoint');
    const prefix = pkl.slice(0, -'data.pkl'.length);
    const storage = (key: string) => {
      const data = files.get(`${prefix}data/${key}`);
      if (!data) throw new Error(`storage ${key} missing from the archive`);
      return hashBytes(data);
    };
    return toView(readPickle(files.get(pkl)!), false, storage);
  }
  return toView(readPickle(bytes), false, () => {
    throw new Error('persistent ids outside a torch archive');
  });
}

function toView(v: PickleValue, inMeta: boolean, storage: (key: string) => string): View {
  if (v === null) return '#none';
  if (typeof v === 'boolean') return v ? '#true' : '#false';
  if (typeof v === 'string') return v;
  const rec = (x: PickleValue, meta = inMeta) => toView(x, meta, storage);
  switch (v.t) {
    case 'int':
      return `#int ${v.v}`;
    case 'float':
      return `#float ${Object.is(v.v, -0) ? '-0' : String(v.v)}`;
    case 'bytes':
      return `#bytes ${hashBytes(v.v)}`;
    case 'list':
    case 'tuple':
      return v.items.map((x) => rec(x));
    case 'set':
      return v.items.map((x) => rec(x)).sort();
    case 'global':
      return `#global ${v.name}`;
    case 'persistent': {
      // torch: ('storage', storage_type, key, location, numel) — the location (cpu/cuda:0) is where it was saved, not what it is.
      const id = v.id;
      if (id && typeof id === 'object' && id.t === 'tuple' && id.items[0] === 'storage' && typeof id.items[2] === 'string') {
        return {storage: storage(id.items[2]), type: rec(id.items[1]!), numel: rec(id.items[4] ?? null)};
      }
      return {persistent: rec(id)};
    }
    case 'call': {
      const asBytes = protocol2Bytes(v);
      if (asBytes) return `#bytes ${hashBytes(asBytes)}`;
      return {call: rec(v.fn), args: rec(v.args), ...(v.state !== undefined ? {state: rec(v.state)} : {})};
    }
    case 'dict': {
      if (!v.items.every(([k]) => typeof k === 'string')) return v.items.map(([k, x]) => [rec(k), rec(x)]);
      const out: Record<string, View> = {};
      for (const [k, x] of v.items as [string, PickleValue][]) {
        if (inMeta && VOLATILE.test(k)) continue;
        out[k] = rec(x, inMeta || k === 'meta');
      }
      return out;
    }
  }
}

/** Protocols < 3 spell `bytes` as `_codecs.encode(str, 'latin1')`: the same bytes as protocol 3+'s BINBYTES. */
function protocol2Bytes(v: Extract<PickleValue, {t: 'call'}>): Uint8Array | undefined {
  const fn = v.fn;
  if (!fn || typeof fn !== 'object' || fn.t !== 'global' || v.args === null || typeof v.args !== 'object' || v.args.t !== 'tuple') return undefined;
  const [s, enc] = v.args.items;
  if (fn.name === '_codecs.encode' && typeof s === 'string' && enc === 'latin1') return Buffer.from(s, 'latin1');
  if ((fn.name === '__builtin__.bytes' || fn.name === 'builtins.bytes') && v.args.items.length === 0) return new Uint8Array();
  return undefined;
}

/** The members of a zip archive stored without compression (what `torch.save` writes). */
function readStoredZip(buf: Uint8Array): Map<string, Uint8Array> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('zip end-of-central-directory record not found');
  const count = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  if (p === 0xffffffff) throw new Error('zip64 archives are not read (checkpoint > 4 GiB)');
  const dec = new TextDecoder();
  const files = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    if (dv.getUint32(p, true) !== 0x02014b50) throw new Error('bad zip central directory');
    const method = dv.getUint16(p + 10, true);
    const size = dv.getUint32(p + 20, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const local = dv.getUint32(p + 42, true);
    const name = dec.decode(buf.subarray(p + 46, p + 46 + nameLen));
    if (method !== 0) throw new Error(`zip member ${name} is compressed (method ${method})`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    files.set(name, buf.subarray(start, start + size));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}
