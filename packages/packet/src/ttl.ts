// TTL actions (OpenFlow 1.3.5 OFPAT_DEC_NW_TTL, SET_NW_TTL, DEC_MPLS_TTL, SET_MPLS_TTL,
// COPY_TTL_OUT, COPY_TTL_IN), in place, keeping the IPv4 header checksum right and the key
// in step. The IP header below an MPLS stack is not in the key (the parser stops at MPLS):
// the copy actions find it after the bottom entry by its version nibble, as ofsoftswitch13
// does. IP-in-IP (copying between two IP headers) is not supported.

import { getU16, getU32, putU16 } from './addr.js';
import { csumReplace16 } from './checksum.js';
import { hasIpv4, hasIpv6 } from './frame-checksum.js';
import type { FlowKey } from './key.js';

/** The decrement would take the TTL to 0 (it was 0 or 1): drop, or send as OFPR_INVALID_TTL. Nothing was changed. */
export const TTL_INVALID = -1;
/** The frame has no such header (no IP for the NW actions, no MPLS for the MPLS ones). Nothing was changed. */
export const TTL_ABSENT = -2;

/** Write an IPv4 TTL (at p + 8, fixing the header checksum) or an IPv6 hop limit (at p + 7). */
function putIpTtl(frame: Uint8Array, p: number, v4: boolean, ttl: number): void {
  if (!v4) {
    frame[p + 7] = ttl;
    return;
  }
  const old = getU16(frame, p + 8);
  frame[p + 8] = ttl;
  putU16(frame, p + 10, csumReplace16(getU16(frame, p + 10), old, getU16(frame, p + 8)));
}

/** Decrement the IPv4 TTL or IPv6 hop limit. Returns the new TTL, TTL_INVALID or TTL_ABSENT. */
export function decNwTtl(frame: Uint8Array, key: FlowKey): number {
  const v4 = hasIpv4(key);
  if (!v4 && !hasIpv6(key)) return TTL_ABSENT;
  const ttl = frame[key.l3Off + (v4 ? 8 : 7)]!;
  if (ttl <= 1) return TTL_INVALID;
  putIpTtl(frame, key.l3Off, v4, ttl - 1);
  key.ipTtl = ttl - 1;
  return ttl - 1;
}

export function setNwTtl(frame: Uint8Array, key: FlowKey, ttl: number): boolean {
  const v4 = hasIpv4(key);
  if (!v4 && !hasIpv6(key)) return false;
  putIpTtl(frame, key.l3Off, v4, ttl & 0xff);
  key.ipTtl = ttl & 0xff;
  return true;
}

/** Decrement the top MPLS TTL. Returns the new TTL, TTL_INVALID or TTL_ABSENT. */
export function decMplsTtl(frame: Uint8Array, key: FlowKey): number {
  if (key.mplsOff < 0) return TTL_ABSENT;
  const ttl = frame[key.mplsOff + 3]!;
  if (ttl <= 1) return TTL_INVALID;
  frame[key.mplsOff + 3] = ttl - 1;
  key.mplsTtl = ttl - 1;
  return ttl - 1;
}

export function setMplsTtl(frame: Uint8Array, key: FlowKey, ttl: number): boolean {
  if (key.mplsOff < 0) return false;
  frame[key.mplsOff + 3] = ttl & 0xff;
  key.mplsTtl = ttl & 0xff;
  return true;
}

/**
 * Where the TTL next-to-outermost lives below the top MPLS entry: the next entry's TTL byte,
 * or the IP header after a bottom-of-stack top entry. Returns its offset and kind, or null.
 */
function inner(frame: Uint8Array, key: FlowKey): { off: number; kind: 'mpls' | 'ipv4' | 'ipv6' } | null {
  const top = key.mplsOff;
  if (top < 0 || top + 4 > frame.length) return null;
  const p = top + 4;
  if ((getU32(frame, top) & 0x100) === 0) return p + 4 <= frame.length ? { off: p + 3, kind: 'mpls' } : null;
  const version = (frame[p] ?? 0) >>> 4;
  if (version === 4 && p + 20 <= frame.length) return { off: p, kind: 'ipv4' };
  if (version === 6 && p + 40 <= frame.length) return { off: p, kind: 'ipv6' };
  return null;
}

/** Copy the TTL outwards: next MPLS entry -> top entry, or IP (below a one-entry stack) -> top entry. */
export function copyTtlOut(frame: Uint8Array, key: FlowKey): boolean {
  const at = inner(frame, key);
  if (at === null) return false;
  const ttl = frame[at.kind === 'mpls' ? at.off : at.off + (at.kind === 'ipv4' ? 8 : 7)]!;
  frame[key.mplsOff + 3] = ttl;
  key.mplsTtl = ttl;
  return true;
}

/** Copy the TTL inwards: top entry -> next MPLS entry, or -> the IP header after the bottom of stack. */
export function copyTtlIn(frame: Uint8Array, key: FlowKey): boolean {
  const at = inner(frame, key);
  if (at === null) return false;
  const ttl = frame[key.mplsOff + 3]!;
  if (at.kind === 'mpls') frame[at.off] = ttl;
  else putIpTtl(frame, at.off, at.kind === 'ipv4', ttl);
  return true;
}
