// In-place set-field rewrites (OpenFlow 1.3.5 OFPAT_SET_FIELD) for every settable field.
// Each function takes the frame and the FlowKey parsed from it, changes the header bytes,
// updates every checksum that covers them, and updates the key to match; it returns false,
// changing nothing, when the frame lacks the header (TCP_DST on a UDP frame, VLAN_PCP on an
// untagged frame). The frame's length never changes here (see encap.ts for push/pop).
//
// Checksums are updated incrementally (RFC 1624), so a wrong checksum stays exactly as
// wrong as it was, as in Open vSwitch: the IPv4 header checksum, TCP/UDP/ICMPv6 checksums
// over the pseudo header when an address changes, UDP's "0 means none" over IPv4 and "0 is
// sent as 0xffff". SCTP's CRC32c cannot be updated incrementally: it is recomputed over the
// packet before and after the change and the stored value is adjusted by the difference
// (again as Open vSwitch does), which is exact for every unfragmented packet.
//
// Values are plain numbers here (MACs as 48-bit numbers, IPv4 as 32-bit, IPv6 as four
// 32-bit words, as in the key); setField() takes OXM-style values (strings for addresses).

import { ETH_TYPE, type OxmFieldName, type OxmValue } from '@rumpflow/openflow';
import {
  type Ipv6Words,
  getMac,
  getU16,
  getU32,
  ipv4FromString,
  ipv6ToWords,
  macFromString,
  putMac,
  putU16,
  putU32,
} from './addr.js';
import {
  csumReplace128,
  csumReplace16,
  csumReplace32,
  csumReplace48,
  readSctpChecksum,
  sctpChecksum,
  udpChecksumOut,
  writeSctpChecksum,
} from './checksum.js';
import { hasIpv4, hasIpv6, ipv6Chain, l3End, pseudoChecksumOff } from './frame-checksum.js';
import type { FlowKey } from './key.js';
import { IPPROTO, parseFrame } from './parse.js';

// ---------------------------------------------------------------------------------------
// Checksum plumbing

/** Replace a 16-bit word covered by the 16-bit checksum at `off`. */
function fix16(frame: Uint8Array, off: number, old: number, neu: number): void {
  putU16(frame, off, csumReplace16(getU16(frame, off), old, neu));
}

/** An IPv4 UDP checksum of 0 means "none" and must stay 0. */
function l4Unchecked(frame: Uint8Array, key: FlowKey, off: number): boolean {
  return key.ipProto === IPPROTO.UDP && key.ethType === ETH_TYPE.IPV4 && getU16(frame, off) === 0;
}

/** Store a transport checksum, applying UDP's "computed 0 is sent as 0xffff". */
function storeL4(frame: Uint8Array, key: FlowKey, off: number, c: number): void {
  putU16(frame, off, key.ipProto === IPPROTO.UDP ? udpChecksumOut(c) : c);
}

/** A 32-bit value in the pseudo header changed (an IPv4 address). */
function pseudo32(frame: Uint8Array, key: FlowKey, old: number, neu: number): void {
  const off = pseudoChecksumOff(key);
  if (off < 0 || l4Unchecked(frame, key, off)) return;
  storeL4(frame, key, off, csumReplace32(getU16(frame, off), old, neu));
}

/** A routing header with segments left: the pseudo header then uses its final address, not the IPv6 destination. */
function routingPending(frame: Uint8Array, key: FlowKey): boolean {
  if ((key.ipv6Exthdr & 32) === 0) return false; // OFPIEH_ROUTER
  const rh = ipv6Chain(frame, key, IPPROTO.ROUTING);
  return rh >= 0 && frame[rh + 3] !== 0;
}

// ---------------------------------------------------------------------------------------
// Ethernet, VLAN

export function setEthDst(frame: Uint8Array, key: FlowKey, mac: number): boolean {
  if (frame.length < 14) return false;
  putMac(frame, 0, mac);
  key.ethDst = mac;
  return true;
}

export function setEthSrc(frame: Uint8Array, key: FlowKey, mac: number): boolean {
  if (frame.length < 14) return false;
  putMac(frame, 6, mac);
  key.ethSrc = mac;
  return true;
}

/** Rewrite the ethertype after the tags (the OXM ETH_TYPE); the frame is re-parsed into the key. */
export function setEthType(frame: Uint8Array, key: FlowKey, type: number): boolean {
  if (frame.length < key.ethTypeOff + 2) return false;
  putU16(frame, key.ethTypeOff, type);
  parseFrame(frame, key);
  return true;
}

/** VID of the outermost tag; `vid` may carry OFPVID_PRESENT (0x1000), which is ignored. */
export function setVlanVid(frame: Uint8Array, key: FlowKey, vid: number): boolean {
  if (key.vlanOff < 0) return false;
  const p = key.vlanOff + 2;
  putU16(frame, p, (getU16(frame, p) & 0xf000) | (vid & 0x0fff));
  key.vlanVid = (vid & 0x0fff) | 0x1000;
  return true;
}

export function setVlanPcp(frame: Uint8Array, key: FlowKey, pcp: number): boolean {
  if (key.vlanOff < 0) return false;
  const p = key.vlanOff + 2;
  putU16(frame, p, (getU16(frame, p) & 0x1fff) | ((pcp & 7) << 13));
  key.vlanPcp = pcp & 7;
  return true;
}

// ---------------------------------------------------------------------------------------
// IP (both versions)

/** Write the IPv4 TOS byte or IPv6 traffic class. */
function setTrafficClass(frame: Uint8Array, key: FlowKey, tc: number): void {
  const p = key.l3Off;
  if (key.ethType === ETH_TYPE.IPV4) {
    const old = getU16(frame, p);
    frame[p + 1] = tc;
    fix16(frame, p + 10, old, getU16(frame, p));
  } else {
    frame[p] = (frame[p]! & 0xf0) | (tc >>> 4);
    frame[p + 1] = (frame[p + 1]! & 0x0f) | ((tc & 0x0f) << 4);
  }
}

export function setIpDscp(frame: Uint8Array, key: FlowKey, dscp: number): boolean {
  if (!hasIpv4(key) && !hasIpv6(key)) return false;
  setTrafficClass(frame, key, ((dscp & 0x3f) << 2) | key.ipEcn);
  key.ipDscp = dscp & 0x3f;
  return true;
}

export function setIpEcn(frame: Uint8Array, key: FlowKey, ecn: number): boolean {
  if (!hasIpv4(key) && !hasIpv6(key)) return false;
  setTrafficClass(frame, key, (key.ipDscp << 2) | (ecn & 3));
  key.ipEcn = ecn & 3;
  return true;
}

/**
 * Rewrite the protocol (IPv4) or the last next-header field of the IPv6 header chain. The
 * transport header is then read as the new protocol: the frame is re-parsed into the key,
 * and no transport checksum is touched (there is no meaningful old one to update).
 */
export function setIpProto(frame: Uint8Array, key: FlowKey, proto: number): boolean {
  if (hasIpv4(key)) {
    const p = key.l3Off;
    const old = getU16(frame, p + 8);
    frame[p + 9] = proto;
    fix16(frame, p + 10, old, getU16(frame, p + 8));
  } else if (hasIpv6(key)) {
    frame[ipv6Chain(frame, key, -1)] = proto;
  } else {
    return false;
  }
  parseFrame(frame, key);
  return true;
}

// ---------------------------------------------------------------------------------------
// IPv4

function setIpv4Addr(frame: Uint8Array, key: FlowKey, at: number, addr: number): void {
  const p = key.l3Off + at;
  const old = getU32(frame, p);
  putU32(frame, p, addr);
  putU16(frame, key.l3Off + 10, csumReplace32(getU16(frame, key.l3Off + 10), old, addr));
  pseudo32(frame, key, old, addr);
}

export function setIpv4Src(frame: Uint8Array, key: FlowKey, addr: number): boolean {
  if (!hasIpv4(key)) return false;
  setIpv4Addr(frame, key, 12, addr >>> 0);
  key.ipv4Src = addr >>> 0;
  return true;
}

export function setIpv4Dst(frame: Uint8Array, key: FlowKey, addr: number): boolean {
  if (!hasIpv4(key)) return false;
  setIpv4Addr(frame, key, 16, addr >>> 0);
  key.ipv4Dst = addr >>> 0;
  return true;
}

// ---------------------------------------------------------------------------------------
// IPv6

/** Write four words at p; adjust the transport checksum at csumOff (if >= 0) for the change. */
function put128(
  frame: Uint8Array,
  key: FlowKey,
  p: number,
  csumOff: number,
  a0: number,
  a1: number,
  a2: number,
  a3: number,
): void {
  const o0 = getU32(frame, p);
  const o1 = getU32(frame, p + 4);
  const o2 = getU32(frame, p + 8);
  const o3 = getU32(frame, p + 12);
  putU32(frame, p, a0);
  putU32(frame, p + 4, a1);
  putU32(frame, p + 8, a2);
  putU32(frame, p + 12, a3);
  if (csumOff < 0 || l4Unchecked(frame, key, csumOff)) return;
  storeL4(frame, key, csumOff, csumReplace128(getU16(frame, csumOff), o0, o1, o2, o3, a0, a1, a2, a3));
}

function setIpv6Addr(
  frame: Uint8Array,
  key: FlowKey,
  at: number,
  a0: number,
  a1: number,
  a2: number,
  a3: number,
): void {
  const pending = at === 24 && routingPending(frame, key);
  put128(frame, key, key.l3Off + at, pending ? -1 : pseudoChecksumOff(key), a0, a1, a2, a3);
}

export function setIpv6Src(
  frame: Uint8Array,
  key: FlowKey,
  a0: number,
  a1: number,
  a2: number,
  a3: number,
): boolean {
  if (!hasIpv6(key)) return false;
  setIpv6Addr(frame, key, 8, a0 >>> 0, a1 >>> 0, a2 >>> 0, a3 >>> 0);
  key.ipv6Src0 = a0 >>> 0;
  key.ipv6Src1 = a1 >>> 0;
  key.ipv6Src2 = a2 >>> 0;
  key.ipv6Src3 = a3 >>> 0;
  return true;
}

/** The destination; transport checksums are left alone while a routing header has segments left. */
export function setIpv6Dst(
  frame: Uint8Array,
  key: FlowKey,
  a0: number,
  a1: number,
  a2: number,
  a3: number,
): boolean {
  if (!hasIpv6(key)) return false;
  setIpv6Addr(frame, key, 24, a0 >>> 0, a1 >>> 0, a2 >>> 0, a3 >>> 0);
  key.ipv6Dst0 = a0 >>> 0;
  key.ipv6Dst1 = a1 >>> 0;
  key.ipv6Dst2 = a2 >>> 0;
  key.ipv6Dst3 = a3 >>> 0;
  return true;
}

export function setIpv6Flabel(frame: Uint8Array, key: FlowKey, label: number): boolean {
  if (!hasIpv6(key)) return false;
  const p = key.l3Off;
  putU32(frame, p, ((getU32(frame, p) & 0xfff00000) | (label & 0xfffff)) >>> 0);
  key.ipv6Flabel = label & 0xfffff;
  return true;
}

// ---------------------------------------------------------------------------------------
// Transport ports

function setPort(frame: Uint8Array, key: FlowKey, proto: number, at: 0 | 2, port: number): boolean {
  if (key.ipProto !== proto || key.l4Off < 0 || (!hasIpv4(key) && !hasIpv6(key))) return false;
  port &= 0xffff;
  const p = key.l4Off + at;
  if (proto === IPPROTO.SCTP) {
    const s = key.l4Off;
    const end = l3End(frame, key);
    if (end - s >= 12) {
      const stored = readSctpChecksum(frame, s);
      const before = sctpChecksum(frame, s, end);
      putU16(frame, p, port);
      writeSctpChecksum(frame, s, (stored ^ before ^ sctpChecksum(frame, s, end)) >>> 0);
    } else {
      putU16(frame, p, port);
    }
  } else {
    const old = getU16(frame, p);
    const off = pseudoChecksumOff(key);
    putU16(frame, p, port);
    if (!l4Unchecked(frame, key, off)) storeL4(frame, key, off, csumReplace16(getU16(frame, off), old, port));
  }
  if (at === 0) key.tpSrc = port;
  else key.tpDst = port;
  return true;
}

export const setTcpSrc = (frame: Uint8Array, key: FlowKey, port: number): boolean =>
  setPort(frame, key, IPPROTO.TCP, 0, port);
export const setTcpDst = (frame: Uint8Array, key: FlowKey, port: number): boolean =>
  setPort(frame, key, IPPROTO.TCP, 2, port);
export const setUdpSrc = (frame: Uint8Array, key: FlowKey, port: number): boolean =>
  setPort(frame, key, IPPROTO.UDP, 0, port);
export const setUdpDst = (frame: Uint8Array, key: FlowKey, port: number): boolean =>
  setPort(frame, key, IPPROTO.UDP, 2, port);
export const setSctpSrc = (frame: Uint8Array, key: FlowKey, port: number): boolean =>
  setPort(frame, key, IPPROTO.SCTP, 0, port);
export const setSctpDst = (frame: Uint8Array, key: FlowKey, port: number): boolean =>
  setPort(frame, key, IPPROTO.SCTP, 2, port);

// ---------------------------------------------------------------------------------------
// ICMP, ICMPv6, neighbour discovery

const hasIcmp4 = (key: FlowKey): boolean => hasIpv4(key) && key.ipProto === IPPROTO.ICMP && key.l4Off >= 0;
const hasIcmp6 = (key: FlowKey): boolean => hasIpv6(key) && key.ipProto === IPPROTO.ICMPV6 && key.l4Off >= 0;
const isNd = (type: number, code: number): boolean => (type === 135 || type === 136) && code === 0;

/** Write the type (at = 0) or code (at = 1) byte; both ICMP checksums cover that word. */
function setIcmpByte(frame: Uint8Array, key: FlowKey, at: 0 | 1, v: number): void {
  const p = key.l4Off;
  const old = getU16(frame, p);
  frame[p + at] = v;
  fix16(frame, p + 2, old, getU16(frame, p));
}

export function setIcmpv4Type(frame: Uint8Array, key: FlowKey, type: number): boolean {
  if (!hasIcmp4(key)) return false;
  setIcmpByte(frame, key, 0, type & 0xff);
  key.icmpType = type & 0xff;
  return true;
}

export function setIcmpv4Code(frame: Uint8Array, key: FlowKey, code: number): boolean {
  if (!hasIcmp4(key)) return false;
  setIcmpByte(frame, key, 1, code & 0xff);
  key.icmpCode = code & 0xff;
  return true;
}

/** ICMPv6 type or code; when the message becomes or stops being ND, the frame is re-parsed. */
function setIcmp6Byte(frame: Uint8Array, key: FlowKey, at: 0 | 1, v: number): boolean {
  if (!hasIcmp6(key)) return false;
  const wasNd = isNd(key.icmpType, key.icmpCode);
  setIcmpByte(frame, key, at, v & 0xff);
  if (at === 0) key.icmpType = v & 0xff;
  else key.icmpCode = v & 0xff;
  if (wasNd || isNd(key.icmpType, key.icmpCode)) parseFrame(frame, key);
  return true;
}

export const setIcmpv6Type = (frame: Uint8Array, key: FlowKey, type: number): boolean =>
  setIcmp6Byte(frame, key, 0, type);
export const setIcmpv6Code = (frame: Uint8Array, key: FlowKey, code: number): boolean =>
  setIcmp6Byte(frame, key, 1, code);

export function setNdTarget(
  frame: Uint8Array,
  key: FlowKey,
  a0: number,
  a1: number,
  a2: number,
  a3: number,
): boolean {
  if (!hasIcmp6(key) || !isNd(key.icmpType, key.icmpCode) || key.l4Off + 24 > l3End(frame, key)) return false;
  put128(frame, key, key.l4Off + 8, key.l4Off + 2, a0 >>> 0, a1 >>> 0, a2 >>> 0, a3 >>> 0);
  key.ndTarget0 = a0 >>> 0;
  key.ndTarget1 = a1 >>> 0;
  key.ndTarget2 = a2 >>> 0;
  key.ndTarget3 = a3 >>> 0;
  return true;
}

/** The link-layer address in the ND option the parser found (SLL in a solicitation, TLL in an advertisement). */
function setNdLl(frame: Uint8Array, key: FlowKey, type: number, mac: number): boolean {
  if (!hasIcmp6(key) || key.icmpType !== type || key.ndOptOff < 0) return false;
  const p = key.ndOptOff + 2;
  const old = getMac(frame, p);
  putMac(frame, p, mac);
  putU16(frame, key.l4Off + 2, csumReplace48(getU16(frame, key.l4Off + 2), old, mac));
  if (type === 135) key.ndSll = mac;
  else key.ndTll = mac;
  return true;
}

export const setNdSll = (frame: Uint8Array, key: FlowKey, mac: number): boolean =>
  setNdLl(frame, key, 135, mac);
export const setNdTll = (frame: Uint8Array, key: FlowKey, mac: number): boolean =>
  setNdLl(frame, key, 136, mac);

// ---------------------------------------------------------------------------------------
// ARP

/** An Ethernet/IPv4 ARP packet, the only kind the parser fills fields for. */
function hasArp(frame: Uint8Array, key: FlowKey): boolean {
  const p = key.l3Off;
  return (
    key.ethType === ETH_TYPE.ARP &&
    p >= 0 &&
    getU16(frame, p) === 1 &&
    getU16(frame, p + 2) === ETH_TYPE.IPV4 &&
    frame[p + 4] === 6 &&
    frame[p + 5] === 4
  );
}

export function setArpOp(frame: Uint8Array, key: FlowKey, op: number): boolean {
  if (!hasArp(frame, key)) return false;
  putU16(frame, key.l3Off + 6, op & 0xffff);
  key.arpOp = op & 0xffff;
  return true;
}

export function setArpSha(frame: Uint8Array, key: FlowKey, mac: number): boolean {
  if (!hasArp(frame, key)) return false;
  putMac(frame, key.l3Off + 8, mac);
  key.arpSha = mac;
  return true;
}

export function setArpSpa(frame: Uint8Array, key: FlowKey, addr: number): boolean {
  if (!hasArp(frame, key)) return false;
  putU32(frame, key.l3Off + 14, addr >>> 0);
  key.arpSpa = addr >>> 0;
  return true;
}

export function setArpTha(frame: Uint8Array, key: FlowKey, mac: number): boolean {
  if (!hasArp(frame, key)) return false;
  putMac(frame, key.l3Off + 18, mac);
  key.arpTha = mac;
  return true;
}

export function setArpTpa(frame: Uint8Array, key: FlowKey, addr: number): boolean {
  if (!hasArp(frame, key)) return false;
  putU32(frame, key.l3Off + 24, addr >>> 0);
  key.arpTpa = addr >>> 0;
  return true;
}

// ---------------------------------------------------------------------------------------
// MPLS (top of stack), PBB

function setLse(frame: Uint8Array, key: FlowKey, keep: number, bits: number): boolean {
  if (key.mplsOff < 0) return false;
  putU32(frame, key.mplsOff, ((getU32(frame, key.mplsOff) & keep) | bits) >>> 0);
  return true;
}

export function setMplsLabel(frame: Uint8Array, key: FlowKey, label: number): boolean {
  if (!setLse(frame, key, 0xfff, (label & 0xfffff) * 4096)) return false;
  key.mplsLabel = label & 0xfffff;
  return true;
}

export function setMplsTc(frame: Uint8Array, key: FlowKey, tc: number): boolean {
  if (!setLse(frame, key, ~0xe00, (tc & 7) << 9)) return false;
  key.mplsTc = tc & 7;
  return true;
}

/** The bottom-of-stack bit of the top entry; the stack depth changes with it, so the frame is re-parsed. */
export function setMplsBos(frame: Uint8Array, key: FlowKey, bos: number): boolean {
  if (!setLse(frame, key, ~0x100, (bos & 1) << 8)) return false;
  parseFrame(frame, key);
  return true;
}

export function setPbbIsid(frame: Uint8Array, key: FlowKey, isid: number): boolean {
  if (key.pbbOff < 0) return false;
  const p = key.pbbOff;
  frame[p + 1] = (isid >>> 16) & 0xff;
  frame[p + 2] = (isid >>> 8) & 0xff;
  frame[p + 3] = isid & 0xff;
  key.pbbIsid = isid & 0xffffff;
  return true;
}

// ---------------------------------------------------------------------------------------
// The OXM entry point

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));
const macOf = (v: unknown): number => (typeof v === 'string' ? macFromString(v) : num(v));
const ipv4Of = (v: unknown): number => (typeof v === 'string' ? ipv4FromString(v) : num(v) >>> 0);
/** IPv6 text, or four words as the key holds them. */
const ipv6Of = (v: unknown): Ipv6Words => (typeof v === 'string' ? ipv6ToWords(v) : (v as Ipv6Words));

/**
 * Apply one set-field: `value` as in @rumpflow/openflow's OXM objects (numbers; strings for
 * MAC, IPv4 and IPv6 addresses; bigint for TUNNEL_ID). Bits beyond the field's width are
 * ignored. Returns false when the frame lacks the field's header, and for fields set-field
 * cannot write (IN_PORT, IN_PHY_PORT, METADATA, IPV6_EXTHDR). TUNNEL_ID is pipeline metadata:
 * only the key changes.
 */
export function setField<N extends OxmFieldName>(
  frame: Uint8Array,
  key: FlowKey,
  field: N,
  value: OxmValue<N>,
): boolean {
  const v: unknown = value;
  switch (field as OxmFieldName) {
    case 'ETH_DST':
      return setEthDst(frame, key, macOf(v));
    case 'ETH_SRC':
      return setEthSrc(frame, key, macOf(v));
    case 'ETH_TYPE':
      return setEthType(frame, key, num(v) & 0xffff);
    case 'VLAN_VID':
      return setVlanVid(frame, key, num(v));
    case 'VLAN_PCP':
      return setVlanPcp(frame, key, num(v));
    case 'IP_DSCP':
      return setIpDscp(frame, key, num(v));
    case 'IP_ECN':
      return setIpEcn(frame, key, num(v));
    case 'IP_PROTO':
      return setIpProto(frame, key, num(v) & 0xff);
    case 'IPV4_SRC':
      return setIpv4Src(frame, key, ipv4Of(v));
    case 'IPV4_DST':
      return setIpv4Dst(frame, key, ipv4Of(v));
    case 'TCP_SRC':
      return setTcpSrc(frame, key, num(v));
    case 'TCP_DST':
      return setTcpDst(frame, key, num(v));
    case 'UDP_SRC':
      return setUdpSrc(frame, key, num(v));
    case 'UDP_DST':
      return setUdpDst(frame, key, num(v));
    case 'SCTP_SRC':
      return setSctpSrc(frame, key, num(v));
    case 'SCTP_DST':
      return setSctpDst(frame, key, num(v));
    case 'ICMPV4_TYPE':
      return setIcmpv4Type(frame, key, num(v));
    case 'ICMPV4_CODE':
      return setIcmpv4Code(frame, key, num(v));
    case 'ARP_OP':
      return setArpOp(frame, key, num(v));
    case 'ARP_SPA':
      return setArpSpa(frame, key, ipv4Of(v));
    case 'ARP_TPA':
      return setArpTpa(frame, key, ipv4Of(v));
    case 'ARP_SHA':
      return setArpSha(frame, key, macOf(v));
    case 'ARP_THA':
      return setArpTha(frame, key, macOf(v));
    case 'IPV6_SRC':
      return setIpv6Src(frame, key, ...ipv6Of(v));
    case 'IPV6_DST':
      return setIpv6Dst(frame, key, ...ipv6Of(v));
    case 'IPV6_FLABEL':
      return setIpv6Flabel(frame, key, num(v));
    case 'ICMPV6_TYPE':
      return setIcmpv6Type(frame, key, num(v));
    case 'ICMPV6_CODE':
      return setIcmpv6Code(frame, key, num(v));
    case 'IPV6_ND_TARGET':
      return setNdTarget(frame, key, ...ipv6Of(v));
    case 'IPV6_ND_SLL':
      return setNdSll(frame, key, macOf(v));
    case 'IPV6_ND_TLL':
      return setNdTll(frame, key, macOf(v));
    case 'MPLS_LABEL':
      return setMplsLabel(frame, key, num(v));
    case 'MPLS_TC':
      return setMplsTc(frame, key, num(v));
    case 'MPLS_BOS':
      return setMplsBos(frame, key, num(v));
    case 'PBB_ISID':
      return setPbbIsid(frame, key, num(v));
    case 'TUNNEL_ID':
      key.tunnelId = BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(num(v)));
      return true;
    case 'IN_PORT':
    case 'IN_PHY_PORT':
    case 'METADATA':
    case 'IPV6_EXTHDR':
      return false;
  }
}
