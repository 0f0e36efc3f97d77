// Addresses as the flow key holds them (numbers) and as people write them (text), and the
// byte-level readers and writers the rest of the package uses. All text goes through
// @rumpflow/openflow's byte-level parsers and formatters (macPut/macStr, ipv4Put/ipv4Str,
// ipv6Put/ipv6Str): one syntax for OXM values and frames, and no second parser here.

import { ipv4Put, ipv4Str, ipv6Put, ipv6Str, macPut, macStr } from '@rumpflow/openflow';

const scratch6 = new Uint8Array(6);
const scratch4 = new Uint8Array(4);

/** 48-bit number -> "aa:bb:cc:dd:ee:ff". */
export function macToString(n: number): string {
  putMac(scratch6, 0, n);
  return macStr(scratch6, 0);
}

/** "aa:bb:cc:dd:ee:ff" (one or two hex digits a byte) -> 48-bit number. */
export function macFromString(s: string): number {
  macPut(scratch6, 0, s);
  return getMac(scratch6, 0);
}

/** 32-bit number -> dotted quad. */
export function ipv4ToString(n: number): string {
  putU32(scratch4, 0, n);
  return ipv4Str(scratch4, 0);
}

/** Dotted quad -> 32-bit number. */
export function ipv4FromString(s: string): number {
  ipv4Put(scratch4, 0, s);
  return getU32(scratch4, 0);
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
  macPut(b, p, s);
}
