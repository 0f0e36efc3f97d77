// Checksums: the Internet checksum (RFC 1071) over byte ranges, the IPv4/IPv6 pseudo-header
// sums of TCP, UDP and ICMPv6, incremental updates after a field changes (RFC 1624), and
// CRC32c (RFC 3309, as SCTP uses it, RFC 9260 appendix A).
//
// Conventions: a "sum" is the ones'-complement sum of 16-bit big-endian words folded to 16
// bits (not complemented); a "checksum" is its complement, the value stored in a header.
// Words are counted from the start of each range, so every range must begin at an even
// distance from the start of the checksummed data (true of every header field we touch).

/** Fold a sum of 16-bit words into 16 bits with end-around carry. */
export function fold(sum: number): number {
  // plain arithmetic, not >>> 16: a sum over a jumbo frame may pass 2^32
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** Ones'-complement sum of b[start, end), continuing from `initial` (an odd last byte is padded with zero). */
export function onesSum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let s = initial;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return fold(s);
}

/** The Internet checksum of b[start, end), continuing from the sum `initial`. */
export function checksum(b: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesSum(b, start, end, initial) & 0xffff;
}

/** Sum of the IPv4 pseudo header (RFC 793/768): source, destination, protocol, transport length. */
export function pseudoSumV4(src: number, dst: number, proto: number, length: number): number {
  return fold((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + (length & 0xffff));
}

/**
 * Sum of the IPv6 pseudo header (RFC 8200 8.1): the source and destination addresses (the
 * 32 bytes at `addrOff`, as in an IPv6 header at addrOff - 8), the 32-bit upper-layer length
 * and the next-header value.
 */
export function pseudoSumV6(b: Uint8Array, addrOff: number, proto: number, length: number): number {
  return fold(onesSum(b, addrOff, addrOff + 32) + Math.floor(length / 0x10000) + (length & 0xffff) + proto);
}

// ---------------------------------------------------------------------------------------
// Incremental update, RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). Works whichever of the two
// zero representations the old checksum used, and keeps a wrong checksum wrong.

/** The two 16-bit halves of a 32-bit value, added. */
const halves = (x: number): number => ((x >>> 16) & 0xffff) + (x & 0xffff);

/** The checksum after one 16-bit word of the covered data changes from `old` to `neu`. */
export function csumReplace16(hc: number, old: number, neu: number): number {
  return ~fold((~hc & 0xffff) + (~old & 0xffff) + (neu & 0xffff)) & 0xffff;
}

/** The checksum after a 32-bit value (two aligned words) changes. */
export function csumReplace32(hc: number, old: number, neu: number): number {
  return ~fold((~hc & 0xffff) + halves(~old) + halves(neu)) & 0xffff;
}

/** The checksum after a 48-bit value (a MAC address as a number, three aligned words) changes. */
export function csumReplace48(hc: number, old: number, neu: number): number {
  const c = csumReplace16(hc, Math.floor(old / 0x100000000), Math.floor(neu / 0x100000000));
  return csumReplace32(c, old >>> 0, neu >>> 0);
}

/** The checksum after a 128-bit value (four 32-bit words, most significant first) changes. */
export function csumReplace128(
  hc: number,
  o0: number,
  o1: number,
  o2: number,
  o3: number,
  n0: number,
  n1: number,
  n2: number,
  n3: number,
): number {
  const s = (~hc & 0xffff) + halves(~o0) + halves(~o1) + halves(~o2) + halves(~o3);
  return ~fold(s + halves(n0) + halves(n1) + halves(n2) + halves(n3)) & 0xffff;
}

/**
 * UDP's rule (RFC 768, RFC 8200 8.1): a computed checksum of 0 is transmitted as 0xffff,
 * since 0 in the field means "no checksum" (allowed over IPv4 only).
 */
export function udpChecksumOut(c: number): number {
  return c === 0 ? 0xffff : c;
}

// ---------------------------------------------------------------------------------------
// CRC32c (Castagnoli, reflected polynomial 0x82f63b78), table-driven; the table is built
// once when the module loads.

const CRC32C_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32c of b[start, end); pass a previous result as `crc` to continue over another range. */
export function crc32c(b: Uint8Array, start: number, end: number, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = CRC32C_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const ZERO4 = new Uint8Array(4);

/**
 * The SCTP checksum of the packet b[l4Off, end), computed as if its checksum field (bytes
 * 8..11) were zero, without touching it.
 */
export function sctpChecksum(b: Uint8Array, l4Off: number, end: number): number {
  let c = crc32c(b, l4Off, l4Off + 8);
  c = crc32c(ZERO4, 0, 4, c);
  return crc32c(b, l4Off + 12, end, c);
}

/** SCTP stores the CRC32c least significant byte first (RFC 9260 appendix A, as Linux does). */
export function readSctpChecksum(b: Uint8Array, l4Off: number): number {
  return (b[l4Off + 8]! | (b[l4Off + 9]! << 8) | (b[l4Off + 10]! << 16) | (b[l4Off + 11]! << 24)) >>> 0;
}

export function writeSctpChecksum(b: Uint8Array, l4Off: number, crc: number): void {
  b[l4Off + 8] = crc & 0xff;
  b[l4Off + 9] = (crc >>> 8) & 0xff;
  b[l4Off + 10] = (crc >>> 16) & 0xff;
  b[l4Off + 11] = crc >>> 24;
}
