// An independent checker for the tests, sharing no code with src/: it walks a frame with a
// DataView, checks Internet checksums with the "sum modulo 0xffff" formulation of RFC 1071
// (instead of src's fold with end-around carry) over explicitly built pseudo headers, and
// computes CRC32c bit by bit (instead of src's table).

export interface Verdict {
  /** The IPv4 header checksum verifies (undefined: no IPv4 header). */
  ipv4?: boolean;
  /** The transport checksum verifies (undefined: none found or a fragment). */
  l4?: boolean;
  /** Which transport checksum was checked. */
  kind?: 'tcp' | 'udp' | 'udp-none' | 'icmp' | 'icmpv6' | 'sctp';
}

/** RFC 1071: the data (checksum included) verifies when its ones'-complement sum is 0xffff. */
export function sumVerifies(bytes: readonly number[] | Uint8Array): boolean {
  let total = 0;
  for (let i = 0; i < bytes.length; i += 2) total += bytes[i]! * 256 + (bytes[i + 1] ?? 0);
  return total !== 0 && total % 0xffff === 0;
}

/** The checksum to store for `bytes` (its checksum field zero), by the modulo formulation. */
export function naiveChecksum(bytes: readonly number[] | Uint8Array): number {
  let total = 0;
  for (let i = 0; i < bytes.length; i += 2) total += bytes[i]! * 256 + (bytes[i + 1] ?? 0);
  const sum = total === 0 ? 0 : total % 0xffff || 0xffff;
  return 0xffff - sum;
}

/** CRC32c, one bit at a time. */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const x of bytes) {
    crc ^= x;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const EXT = new Set([0, 43, 44, 51, 60]);

function l4Verdict(
  f: Uint8Array,
  l4: number,
  end: number,
  proto: number,
  pseudo: (len: number) => number[],
  v6: boolean,
): Verdict {
  const seg = Array.from(f.subarray(l4, end));
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  switch (proto) {
    case 6:
      return { l4: sumVerifies([...pseudo(seg.length), ...seg]), kind: 'tcp' };
    case 17:
      if (!v6 && dv.getUint16(l4 + 6) === 0) return { l4: true, kind: 'udp-none' };
      return { l4: sumVerifies([...pseudo(seg.length), ...seg]), kind: 'udp' };
    case 1:
      return v6 ? {} : { l4: sumVerifies(seg), kind: 'icmp' };
    case 58:
      return v6 ? { l4: sumVerifies([...pseudo(seg.length), ...seg]), kind: 'icmpv6' } : {};
    case 132: {
      const copy = new Uint8Array(seg);
      const stored = dv.getUint32(l4 + 8, true);
      copy.fill(0, 8, 12);
      return { l4: crc32cBitwise(copy) === stored, kind: 'sctp' };
    }
    default:
      return {};
  }
}

/** Check every checksum of an Ethernet frame (VLAN tags and an MPLS stack are walked over). */
export function verifyFrame(f: Uint8Array): Verdict {
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  let p = 12;
  let type = dv.getUint16(p);
  while (type === 0x8100 || type === 0x88a8) {
    p += 4;
    type = dv.getUint16(p);
  }
  p += 2;
  if (type === 0x8847 || type === 0x8848) {
    while ((f[p + 2]! & 1) === 0) p += 4;
    p += 4;
    type = f[p]! >> 4 === 4 ? 0x0800 : f[p]! >> 4 === 6 ? 0x86dd : 0;
  }
  if (type === 0x0800) {
    const ihl = (f[p]! & 15) * 4;
    const header = Array.from(f.subarray(p, p + ihl));
    const verdict: Verdict = { ipv4: sumVerifies(header) };
    const frag = dv.getUint16(p + 6);
    if ((frag & 0x3fff) !== 0) return verdict;
    const end = p + dv.getUint16(p + 2);
    const src = header.slice(12, 16);
    const dst = header.slice(16, 20);
    const pseudo = (len: number) => [...src, ...dst, 0, f[p + 9]!, len >> 8, len & 255];
    return { ...verdict, ...l4Verdict(f, p + ihl, end, f[p + 9]!, pseudo, false) };
  }
  if (type === 0x86dd) {
    const end = p + 40 + dv.getUint16(p + 4);
    const addrs = Array.from(f.subarray(p + 8, p + 40));
    let next = f[p + 6]!;
    let q = p + 40;
    while (EXT.has(next)) {
      if (next === 44 && (dv.getUint16(q + 2) & 0xfff9) !== 0) return {}; // a fragment
      const len = next === 51 ? (f[q + 1]! + 2) * 4 : next === 44 ? 8 : (f[q + 1]! + 1) * 8;
      next = f[q]!;
      q += len;
    }
    const pseudo = (len: number) => [
      ...addrs,
      len >>> 24,
      (len >> 16) & 255,
      (len >> 8) & 255,
      len & 255,
      0,
      0,
      0,
      next,
    ];
    return l4Verdict(f, q, end, next, pseudo, true);
  }
  return {};
}

/** Every checksum present verifies. */
export function allValid(f: Uint8Array): boolean {
  const v = verifyFrame(f);
  return v.ipv4 !== false && v.l4 !== false;
}
