// Addresses as the flow key holds them (numbers) and as people write them (text), and the
// byte-level readers and writers the rest of the package uses. IPv4 and IPv6 text goes
// through @rumpflow/openflow's parsers, so OXM values and frames agree on the syntax.

import { ipv4Put, ipv6Put, ipv6Str } from '@rumpflow/openflow';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 48-bit number -> "aa:bb:cc:dd:ee:ff". */
export function macToString(n: number): string {
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  return `${HEX[hi >>> 8]}:${HEX[hi & 0xff]}:${HEX[lo >>> 24]}:${HEX[(lo >>> 16) & 0xff]}:${HEX[(lo >>> 8) & 0xff]}:${HEX[lo & 0xff]}`;
}

/** "aa:bb:cc:dd:ee:ff" -> 48-bit number. */
export function macFromString(s: string): number {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((x) => !/^[0-9a-fA-F]{1,2}$/.test(x)))
    throw new TypeError(`not a MAC address: ${s}`);
  return parts.reduce((n, x) => n * 256 + parseInt(x, 16), 0);
}

/** 32-bit number -> dotted quad. */
export function ipv4ToString(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** Dotted quad -> 32-bit number. */
export function ipv4FromString(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) throw new TypeError(`not an IPv4 address: ${s}`);
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** Write a 48-bit number as 6 bytes. */
export function putMac(b: Uint8Array, p: number, n: number): void {
  const hi = Math.floor(n / 0x100000000);
  b[p] = hi >>> 8;
  b[p + 1] = hi & 0xff;
  putU32(b, p + 2, n >>> 0);
}

export function putU32(b: Uint8Array, p: number, n: number): void {
  b[p] = n >>> 24;
  b[p + 1] = (n >>> 16) & 0xff;
  b[p + 2] = (n >>> 8) & 0xff;
  b[p + 3] = n & 0xff;
}

export function putU16(b: Uint8Array, p: number, n: number): void {
  b[p] = (n >>> 8) & 0xff;
  b[p + 1] = n & 0xff;
}

/** Read a big-endian 16-bit value. */
export function getU16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

/** Read a big-endian 32-bit value (unsigned). */
export function getU32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Read 6 bytes as a 48-bit number. */
export function getMac(b: Uint8Array, p: number): number {
  return getU16(b, p) * 0x100000000 + getU32(b, p + 2);
}

/** IPv6 addresses are held in a key as four 32-bit words, most significant first. */
export type Ipv6Words = [number, number, number, number];

const scratch16 = new Uint8Array(16);

/** IPv6 text (any RFC 4291 form, incl. an embedded dotted quad) -> four 32-bit words. */
export function ipv6ToWords(s: string): Ipv6Words {
  ipv6Put(scratch16, 0, s);
  return [getU32(scratch16, 0), getU32(scratch16, 4), getU32(scratch16, 8), getU32(scratch16, 12)];
}

/** Four 32-bit words -> IPv6 text in RFC 5952's canonical form. */
export function ipv6FromWords(w0: number, w1: number, w2: number, w3: number): string {
  putU32(scratch16, 0, w0);
  putU32(scratch16, 4, w1);
  putU32(scratch16, 8, w2);
  putU32(scratch16, 12, w3);
  return ipv6Str(scratch16, 0);
}

/** Write IPv6 text as 16 bytes. */
export function putIpv6(b: Uint8Array, p: number, s: string): void {
  ipv6Put(b, p, s);
}

/** Write dotted-quad text as 4 bytes. */
export function putIpv4(b: Uint8Array, p: number, s: string): void {
  ipv4Put(b, p, s);
}

/** Write "aa:bb:cc:dd:ee:ff" as 6 bytes. */
export function putMacString(b: Uint8Array, p: number, s: string): void {
  putMac(b, p, macFromString(s));
}
