// Checksums of a parsed frame as a whole: where they live, computing all of them from
// scratch (the builders use this) and verifying them (a host receiving frames uses this).
// The key must come from parsing this very frame.

import { ETH_TYPE } from '@rumpflow/openflow';
import { getU16 } from './addr.js';
import {
  checksum,
  onesSum,
  pseudoSumV4,
  pseudoSumV6,
  readSctpChecksum,
  sctpChecksum,
  udpChecksumOut,
  writeSctpChecksum,
} from './checksum.js';
import { FRAG, type FlowKey } from './key.js';
import { IPPROTO } from './parse.js';

/** The frame carries an IPv4 header the parser accepted. */
export const hasIpv4 = (key: FlowKey): boolean => key.ethType === ETH_TYPE.IPV4 && key.l3Off >= 0;
/** The frame carries an IPv6 header the parser accepted. */
export const hasIpv6 = (key: FlowKey): boolean => key.ethType === ETH_TYPE.IPV6 && key.l3Off >= 0;

/** End of the IP datagram (its length field, clipped to the frame: Ethernet padding excluded). */
export function l3End(frame: Uint8Array, key: FlowKey): number {
  if (hasIpv4(key)) return Math.min(frame.length, key.l3Off + getU16(frame, key.l3Off + 2));
  if (hasIpv6(key)) return Math.min(frame.length, key.l3Off + 40 + getU16(frame, key.l3Off + 4));
  return frame.length;
}

/**
 * Walk an IPv6 header chain as the parser does. Returns the offset of the first extension
 * header of type `find`, or -1; with find = -1, the offset of the next-header byte that holds
 * the final protocol (the key's ipProto) instead.
 */
export function ipv6Chain(frame: Uint8Array, key: FlowKey, find: number): number {
  const end = l3End(frame, key);
  let off = key.l3Off + 6;
  let p = key.l3Off + 40;
  let next = frame[off]!;
  for (;;) {
    const ext =
      next === IPPROTO.HOPOPTS ||
      next === IPPROTO.ROUTING ||
      next === IPPROTO.FRAGMENT ||
      next === IPPROTO.AH ||
      next === IPPROTO.DSTOPTS;
    if (!ext || p + 8 > end) return find < 0 ? off : -1;
    if (next === find) return p;
    off = p;
    if (next === IPPROTO.FRAGMENT) {
      if ((getU16(frame, p + 2) & 0xfff8) !== 0) return find < 0 ? off : -1; // a later fragment
      p += 8;
    } else {
      p += next === IPPROTO.AH ? (frame[p + 1]! + 2) * 4 : (frame[p + 1]! + 1) * 8;
    }
    next = frame[off]!;
    if (p > end) return find < 0 ? off : -1;
  }
}

/**
 * Offset of the transport checksum that covers the IP pseudo header (TCP, UDP, ICMPv6), or
 * -1. SCTP's CRC and ICMPv4's checksum do not cover it.
 */
export function pseudoChecksumOff(key: FlowKey): number {
  if (key.l4Off < 0) return -1;
  switch (key.ipProto) {
    case IPPROTO.TCP:
      return key.l4Off + 16;
    case IPPROTO.UDP:
      return key.l4Off + 6;
    case IPPROTO.ICMPV6:
      return key.ethType === ETH_TYPE.IPV6 ? key.l4Off + 2 : -1;
    default:
      return -1;
  }
}

/** A fragment holding part of a datagram (an IPv6 atomic fragment, offset 0 and M 0, holds all of it). */
function partial(frame: Uint8Array, key: FlowKey): boolean {
  if ((key.ipFrag & FRAG.ANY) === 0) return false;
  if (key.ethType === ETH_TYPE.IPV4) return true;
  const fh = ipv6Chain(frame, key, IPPROTO.FRAGMENT);
  return fh < 0 || (getU16(frame, fh + 2) & 0xfff9) !== 0;
}

/** The pseudo-header sum for a transport segment of `length` bytes. */
function pseudoSum(frame: Uint8Array, key: FlowKey, length: number): number {
  return key.ethType === ETH_TYPE.IPV4
    ? pseudoSumV4(key.ipv4Src, key.ipv4Dst, key.ipProto, length)
    : pseudoSumV6(frame, key.l3Off + 8, key.ipProto, length);
}

/**
 * Compute every checksum the frame carries, from scratch: the IPv4 header checksum and the
 * TCP/UDP/ICMP/ICMPv6 checksum or SCTP CRC32c. Fragments keep their transport checksum (it
 * covers the whole datagram, which one fragment does not have; IPv6 atomic fragments are
 * whole datagrams). An IPv6 routing header's
 * final destination is not looked for: the pseudo header uses the IPv6 destination field.
 */
export function fillChecksums(frame: Uint8Array, key: FlowKey): void {
  if (hasIpv4(key)) {
    const p = key.l3Off;
    const ihl = (frame[p]! & 0x0f) * 4;
    frame[p + 10] = frame[p + 11] = 0;
    const c = checksum(frame, p, p + ihl);
    frame[p + 10] = c >>> 8;
    frame[p + 11] = c & 0xff;
  }
  if (key.l4Off < 0 || partial(frame, key)) return;
  const start = key.l4Off;
  const end = l3End(frame, key);
  let off: number;
  let c: number;
  if (key.ipProto === IPPROTO.SCTP) {
    if (end - start >= 12) writeSctpChecksum(frame, start, sctpChecksum(frame, start, end));
    return;
  }
  if (key.ipProto === IPPROTO.ICMP && key.ethType === ETH_TYPE.IPV4) {
    off = start + 2;
    frame[off] = frame[off + 1] = 0;
    c = checksum(frame, start, end);
  } else {
    off = pseudoChecksumOff(key);
    if (off < 0) return;
    frame[off] = frame[off + 1] = 0;
    c = checksum(frame, start, end, pseudoSum(frame, key, end - start));
    if (key.ipProto === IPPROTO.UDP) c = udpChecksumOut(c);
  }
  frame[off] = c >>> 8;
  frame[off + 1] = c & 0xff;
}

/**
 * Whether every checksum the frame carries verifies (RFC 1071: the sum over the covered
 * data, checksum included, is 0xffff). A UDP-over-IPv4 checksum of 0 ("none") verifies;
 * fragments' transport checksums are not checked.
 */
export function checksumsValid(frame: Uint8Array, key: FlowKey): boolean {
  if (hasIpv4(key)) {
    const p = key.l3Off;
    if (onesSum(frame, p, p + (frame[p]! & 0x0f) * 4) !== 0xffff) return false;
  }
  if (key.l4Off < 0 || partial(frame, key)) return true;
  const start = key.l4Off;
  const end = l3End(frame, key);
  if (key.ipProto === IPPROTO.SCTP)
    return end - start >= 12 && readSctpChecksum(frame, start) === sctpChecksum(frame, start, end);
  if (key.ipProto === IPPROTO.ICMP && key.ethType === ETH_TYPE.IPV4)
    return onesSum(frame, start, end) === 0xffff;
  const off = pseudoChecksumOff(key);
  if (off < 0) return true;
  if (key.ipProto === IPPROTO.UDP && key.ethType === ETH_TYPE.IPV4 && getU16(frame, off) === 0) return true;
  return onesSum(frame, start, end, pseudoSum(frame, key, end - start)) === 0xffff;
}
