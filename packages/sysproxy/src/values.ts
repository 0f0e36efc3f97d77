// Self-describing values: the arguments and results inside sysproxy frames. Each value is a
// one-byte tag and its payload, big-endian:
//
//   0x00 null
//   0x01 int     8 bytes, two's complement (int64)
//   0x02 bytes   u32 length, then the bytes
//   0x03 string  u32 length, then UTF-8
//   0x04 list    u32 count, then that many values
//
// Marshalling the data itself (paths, write buffers, structures) into the request, rather
// than copying it in on demand as NetBSD's sysproxy does, makes every syscall one round trip.

export type Value = null | number | bigint | Uint8Array | string | Value[];

export const TAG = { NULL: 0, INT: 1, BYTES: 2, STRING: 3, LIST: 4 } as const;

/** Lists nest at most this deep (a bound on recursion for hostile input). */
export const MAX_DEPTH = 8;

/** A body that does not parse as values. */
export class ValueError extends Error {
  override readonly name = 'ValueError';
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** Size of the encoding of `v`. */
export function valueSize(v: Value): number {
  if (v === null) return 1;
  if (typeof v === 'number' || typeof v === 'bigint') return 9;
  if (typeof v === 'string') return 5 + enc.encode(v).length;
  if (v instanceof Uint8Array) return 5 + v.length;
  let n = 5;
  for (const x of v) n += valueSize(x);
  return n;
}

/** Append the encoding of each value; returns the end position. */
export function writeValues(b: Uint8Array, dv: DataView, p: number, values: readonly Value[]): number {
  for (const v of values) p = writeValue(b, dv, p, v);
  return p;
}

function writeValue(b: Uint8Array, dv: DataView, p: number, v: Value): number {
  if (v === null) {
    b[p] = TAG.NULL;
    return p + 1;
  }
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new TypeError(`not an integer: ${v}`);
    if (typeof v === 'bigint' && (v < -(1n << 63n) || v >= 1n << 63n)) throw new TypeError(`outside int64: ${v}`);
    b[p] = TAG.INT;
    dv.setBigInt64(p + 1, BigInt(v));
    return p + 9;
  }
  if (typeof v === 'string') {
    const s = enc.encode(v);
    b[p] = TAG.STRING;
    dv.setUint32(p + 1, s.length);
    b.set(s, p + 5);
    return p + 5 + s.length;
  }
  if (v instanceof Uint8Array) {
    b[p] = TAG.BYTES;
    dv.setUint32(p + 1, v.length);
    b.set(v, p + 5);
    return p + 5 + v.length;
  }
  b[p] = TAG.LIST;
  dv.setUint32(p + 1, v.length);
  return writeValues(b, dv, p + 5, v);
}

/** Encode values into a new buffer. */
export function encodeValues(values: readonly Value[]): Uint8Array {
  let n = 0;
  for (const v of values) n += valueSize(v);
  const b = new Uint8Array(n);
  writeValues(b, new DataView(b.buffer), 0, values);
  return b;
}

/**
 * Decode every value in b[p, end). Ints come back as numbers when they are safe integers,
 * else as bigints. Byte strings are views into `b`.
 */
export function readValues(b: Uint8Array, p: number, end: number): Value[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Value[] = [];
  const r = { p };
  while (r.p < end) out.push(readValue(b, dv, r, end, 0));
  return out;
}

function readValue(b: Uint8Array, dv: DataView, r: { p: number }, end: number, depth: number): Value {
  const p = r.p;
  if (p >= end) throw new ValueError('value missing');
  const tag = b[p];
  switch (tag) {
    case TAG.NULL:
      r.p = p + 1;
      return null;
    case TAG.INT: {
      if (p + 9 > end) throw new ValueError('int truncated');
      const v = dv.getBigInt64(p + 1);
      r.p = p + 9;
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case TAG.BYTES:
    case TAG.STRING: {
      if (p + 5 > end) throw new ValueError('length truncated');
      const n = dv.getUint32(p + 1);
      if (n > end - p - 5) throw new ValueError(`${tag === TAG.BYTES ? 'bytes' : 'string'} of ${n} beyond the frame`);
      const raw = b.subarray(p + 5, p + 5 + n);
      r.p = p + 5 + n;
      if (tag === TAG.BYTES) return raw;
      try {
        return dec.decode(raw);
      } catch {
        throw new ValueError('string is not UTF-8');
      }
    }
    case TAG.LIST: {
      if (depth >= MAX_DEPTH) throw new ValueError(`lists nested deeper than ${MAX_DEPTH}`);
      if (p + 5 > end) throw new ValueError('count truncated');
      const n = dv.getUint32(p + 1);
      // every element takes at least one byte: a count larger than the rest is a lie
      if (n > end - p - 5) throw new ValueError(`list of ${n} beyond the frame`);
      r.p = p + 5;
      const list: Value[] = [];
      for (let i = 0; i < n; i++) list.push(readValue(b, dv, r, end, depth + 1));
      return list;
    }
    default:
      throw new ValueError(`unknown value tag 0x${(tag ?? 0).toString(16)}`);
  }
}
