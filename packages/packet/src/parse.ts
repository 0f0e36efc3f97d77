// Parse an Ethernet frame into a FlowKey without allocating: reads go straight to the
// bytes, results go into the caller's key. A malformed or truncated frame yields a partial
// key (`truncated` set, deeper fields zero), never an exception.

import { ETH_TYPE, OFPIEH } from '@rumpflow/openflow';
import { FRAG, type FlowKey } from './key.js';

export const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  SCTP: 132,
} as const;


const u16 = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!;
const u32 = (b: Uint8Array, p: number): number => ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
const mac = (b: Uint8Array, p: number): number => u16(b, p) * 0x100000000 + u32(b, p + 2);

/**
 * Fill `key` from `frame`. Keeps the key's pipeline metadata (inPort, tunnelId, metadata),
 * resets everything else. Returns the key.
 */
export function parseFrame(frame: Uint8Array, key: FlowKey): FlowKey {
  key.resetParsed();
  const b = frame;
  const n = b.length;
  if (n < 14) {
    key.truncated = true;
    if (n >= 6) key.ethDst = mac(b, 0);
    if (n >= 12) key.ethSrc = mac(b, 6);
    return key;
  }
  key.ethDst = mac(b, 0);
  key.ethSrc = mac(b, 6);
  let p = 12;
  let type = u16(b, p);

  // up to two VLAN tags (802.1ad outer, 802.1Q inner); the outermost is the OXM's
  while ((type === ETH_TYPE.VLAN || type === ETH_TYPE.QINQ) && key.vlanDepth < 2) {
    if (p + 6 > n) {
      key.truncated = true;
      return key;
    }
    const tci = u16(b, p + 2);
    if (key.vlanDepth === 0) {
      key.vlanOff = p;
      key.vlanTpid = type;
      key.vlanVid = (tci & 0x0fff) | 0x1000;
      key.vlanPcp = tci >>> 13;
    }
    key.vlanDepth++;
    p += 4;
    type = u16(b, p);
  }
  key.ethTypeOff = p;
  key.ethType = type;
  p += 2;

  switch (type) {
    case ETH_TYPE.IPV4:
      parseIpv4(b, p, key);
      break;
    case ETH_TYPE.IPV6:
      parseIpv6(b, p, key);
      break;
    case ETH_TYPE.ARP:
      parseArp(b, p, key);
      break;
    case ETH_TYPE.MPLS:
    case ETH_TYPE.MPLS_MCAST:
      parseMpls(b, p, key);
      break;
    case ETH_TYPE.PBB:
      if (p + 4 > n) {
        key.truncated = true;
        break;
      }
      key.pbbOff = p;
      key.pbbIsid = ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
      break;
    default:
      break;
  }
  return key;
}

function parseMpls(b: Uint8Array, p: number, key: FlowKey): void {
  if (p + 4 > b.length) {
    key.truncated = true;
    return;
  }
  key.mplsOff = p;
  const top = u32(b, p);
  key.mplsLabel = top >>> 12;
  key.mplsTc = (top >>> 9) & 7;
  key.mplsBos = (top >>> 8) & 1;
  key.mplsTtl = top & 0xff;
  let depth = 1;
  let q = p;
  while ((b[q + 2]! & 1) === 0 && q + 8 <= b.length) {
    q += 4;
    depth++;
  }
  key.mplsDepth = depth;
}

function parseArp(b: Uint8Array, p: number, key: FlowKey): void {
  if (p + 28 > b.length) {
    key.truncated = true;
    return;
  }
  key.l3Off = p;
  // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4
  if (u16(b, p) !== 1 || u16(b, p + 2) !== ETH_TYPE.IPV4 || b[p + 4] !== 6 || b[p + 5] !== 4) return;
  key.arpOp = u16(b, p + 6);
  key.arpSha = mac(b, p + 8);
  key.arpSpa = u32(b, p + 14);
  key.arpTha = mac(b, p + 18);
  key.arpTpa = u32(b, p + 24);
}

function parseIpv4(b: Uint8Array, p: number, key: FlowKey): void {
  if (p + 20 > b.length) {
    key.truncated = true;
    return;
  }
  const ihl = (b[p]! & 0x0f) * 4;
  if (b[p]! >>> 4 !== 4 || ihl < 20 || p + ihl > b.length) {
    key.truncated = true;
    return;
  }
  key.l3Off = p;
  const tos = b[p + 1]!;
  key.ipDscp = tos >>> 2;
  key.ipEcn = tos & 3;
  key.ipTtl = b[p + 8]!;
  key.ipProto = b[p + 9]!;
  key.ipv4Src = u32(b, p + 12);
  key.ipv4Dst = u32(b, p + 16);
  const frag = u16(b, p + 6);
  const offset = frag & 0x1fff;
  const more = (frag & 0x2000) !== 0;
  if (offset !== 0 || more) key.ipFrag = FRAG.ANY | (offset !== 0 ? FRAG.LATER : 0);
  if (offset !== 0) return; // a later fragment carries no transport header
  // the transport header ends at the datagram's end, not at any Ethernet padding
  const total = u16(b, p + 2);
  const end = Math.min(b.length, total >= ihl ? p + total : b.length);
  parseL4(b, p + ihl, end, key, false);
}

function parseIpv6(b: Uint8Array, p: number, key: FlowKey): void {
  if (p + 40 > b.length) {
    key.truncated = true;
    return;
  }
  if (b[p]! >>> 4 !== 6) {
    key.truncated = true;
    return;
  }
  key.l3Off = p;
  const vtf = u32(b, p);
  const tc = (vtf >>> 20) & 0xff;
  key.ipDscp = tc >>> 2;
  key.ipEcn = tc & 3;
  key.ipv6Flabel = vtf & 0xfffff;
  key.ipTtl = b[p + 7]!;
  key.ipv6Src0 = u32(b, p + 8);
  key.ipv6Src1 = u32(b, p + 12);
  key.ipv6Src2 = u32(b, p + 16);
  key.ipv6Src3 = u32(b, p + 20);
  key.ipv6Dst0 = u32(b, p + 24);
  key.ipv6Dst1 = u32(b, p + 28);
  key.ipv6Dst2 = u32(b, p + 32);
  key.ipv6Dst3 = u32(b, p + 36);
  const end = Math.min(b.length, p + 40 + u16(b, p + 4));
  walkIpv6(b, p + 40, b[p + 6]!, end, key);
}

// Preferred order of extension headers (RFC 8200 4.1): HOP, DEST (for the routing header's
// destinations), ROUTER, FRAG, AUTH, ESP, DEST (final). Rank of each; a header ranked below
// its predecessor is out of sequence (OFPIEH_UNSEQ). A destination-options header is the
// first kind when nothing but HOP precedes it, else the final kind; each kind may appear once.
const RANK: Record<number, number> = {
  [IPPROTO.HOPOPTS]: 0,
  [IPPROTO.ROUTING]: 2,
  [IPPROTO.FRAGMENT]: 3,
  [IPPROTO.AH]: 4,
  [IPPROTO.ESP]: 5,
};
const RANK_DEST_FIRST = 1;
const RANK_DEST_FINAL = 6;

/** Walk IPv6 extension headers, setting IPV6_EXTHDR bits and the transport fields. */
function walkIpv6(b: Uint8Array, p: number, next: number, end: number, key: FlowKey): void {
  let bits = 0;
  let rank = -1;
  let first = true;
  let destFinal = false;
  for (;;) {
    let bit = 0;
    switch (next) {
      case IPPROTO.HOPOPTS:
        bit = OFPIEH.HOP;
        if (!first) bits |= OFPIEH.UNSEQ;
        break;
      case IPPROTO.DSTOPTS:
        bit = OFPIEH.DEST;
        break;
      case IPPROTO.ROUTING:
        bit = OFPIEH.ROUTER;
        break;
      case IPPROTO.FRAGMENT:
        bit = OFPIEH.FRAG;
        break;
      case IPPROTO.AH:
        bit = OFPIEH.AUTH;
        break;
      case IPPROTO.ESP:
        bit = OFPIEH.ESP;
        break;
      case IPPROTO.NONE:
        key.ipv6Exthdr = bits | OFPIEH.NONEXT;
        key.ipProto = next;
        return;
      default:
        key.ipv6Exthdr = bits;
        key.ipProto = next;
        parseL4(b, p, end, key, true);
        return;
    }
    if (bit === OFPIEH.DEST) {
      if (!destFinal && rank <= RANK[IPPROTO.HOPOPTS]!) {
        rank = RANK_DEST_FIRST;
      } else {
        if (destFinal) bits |= OFPIEH.UNREP;
        destFinal = true;
        rank = RANK_DEST_FINAL;
      }
    } else {
      if ((bits & bit) !== 0) bits |= OFPIEH.UNREP;
      const r = RANK[next]!;
      if (r < rank) bits |= OFPIEH.UNSEQ;
      rank = r;
    }
    bits |= bit;
    first = false;
    if (next === IPPROTO.ESP) {
      // the rest is encrypted
      key.ipv6Exthdr = bits;
      key.ipProto = next;
      return;
    }
    if (p + 8 > end) {
      key.ipv6Exthdr = bits;
      key.ipProto = next;
      key.truncated = true;
      return;
    }
    const nh = b[p]!;
    let len: number;
    if (next === IPPROTO.FRAGMENT) {
      len = 8;
      const off = u16(b, p + 2);
      key.ipFrag = FRAG.ANY | ((off & 0xfff8) !== 0 ? FRAG.LATER : 0);
      if ((off & 0xfff8) !== 0) {
        key.ipv6Exthdr = bits;
        key.ipProto = nh;
        return;
      }
    } else if (next === IPPROTO.AH) {
      len = (b[p + 1]! + 2) * 4;
    } else {
      len = (b[p + 1]! + 1) * 8;
    }
    p += len;
    next = nh;
    if (p > end) {
      key.ipv6Exthdr = bits;
      key.ipProto = next;
      key.truncated = true;
      return;
    }
  }
}

function parseL4(b: Uint8Array, p: number, end: number, key: FlowKey, v6: boolean): void {
  const proto = key.ipProto;
  if (proto === IPPROTO.TCP) {
    if (p + 20 > end) return void (key.truncated = true);
    key.l4Off = p;
    key.tpSrc = u16(b, p);
    key.tpDst = u16(b, p + 2);
    key.tcpFlags = u16(b, p + 12) & 0x0fff;
  } else if (proto === IPPROTO.UDP || proto === IPPROTO.SCTP) {
    if (p + 8 > end) return void (key.truncated = true);
    key.l4Off = p;
    key.tpSrc = u16(b, p);
    key.tpDst = u16(b, p + 2);
  } else if ((proto === IPPROTO.ICMP && !v6) || (proto === IPPROTO.ICMPV6 && v6)) {
    if (p + 4 > end) return void (key.truncated = true);
    key.l4Off = p;
    key.icmpType = b[p]!;
    key.icmpCode = b[p + 1]!;
    if (v6 && (key.icmpType === 135 || key.icmpType === 136) && key.icmpCode === 0) parseNd(b, p, end, key);
  }
}

/** Neighbour solicitation (135) / advertisement (136): target and link-layer option. */
function parseNd(b: Uint8Array, p: number, end: number, key: FlowKey): void {
  if (p + 24 > end) return void (key.truncated = true);
  key.ndTarget0 = u32(b, p + 8);
  key.ndTarget1 = u32(b, p + 12);
  key.ndTarget2 = u32(b, p + 16);
  key.ndTarget3 = u32(b, p + 20);
  const want = key.icmpType === 135 ? 1 : 2; // source / target link-layer address
  let q = p + 24;
  while (q + 8 <= end) {
    const len = b[q + 1]! * 8;
    if (len === 0 || q + len > end) return;
    if (b[q] === want && len === 8) {
      key.ndOptOff = q;
      if (want === 1) key.ndSll = mac(b, q + 2);
      else key.ndTll = mac(b, q + 2);
      return;
    }
    q += len;
  }
}
