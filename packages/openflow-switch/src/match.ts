// Matches as the classifier sees them: a fixed layout of 32-bit words ("slots") covering
// every OXM field, a mask and a value per slot. An OXM list compiles to a CompiledMatch once,
// when the flow is installed; a packet's FlowKey is read into the same layout once per
// lookup (into a reused array). Wider fields take several slots: MAC addresses two (16 + 32
// bits), metadata and tunnel id two, IPv6 addresses four.
//
// TCP, UDP and SCTP ports share the tp slots and ICMPv4/ICMPv6 type and code share theirs:
// a flow matching TCP_DST must also match IP_PROTO=6 (OXM prerequisites, which validate()
// enforces), so the shared slot is never ambiguous.

import { type Match, type OxmBasic, type OxmFieldName, ipv4Put, ipv6Put, macPut } from '@rumpflow/openflow';
import type { FlowKey } from '@rumpflow/packet';

/** Slot indices. */
export const S = {
  IN_PORT: 0,
  IN_PHY_PORT: 1,
  METADATA_HI: 2,
  METADATA_LO: 3,
  ETH_DST_HI: 4,
  ETH_DST_LO: 5,
  ETH_SRC_HI: 6,
  ETH_SRC_LO: 7,
  ETH_TYPE: 8,
  VLAN_VID: 9,
  VLAN_PCP: 10,
  IP_DSCP: 11,
  IP_ECN: 12,
  IP_PROTO: 13,
  IPV4_SRC: 14,
  IPV4_DST: 15,
  TP_SRC: 16,
  TP_DST: 17,
  ICMP_TYPE: 18,
  ICMP_CODE: 19,
  ARP_OP: 20,
  ARP_SPA: 21,
  ARP_TPA: 22,
  ARP_SHA_HI: 23,
  ARP_SHA_LO: 24,
  ARP_THA_HI: 25,
  ARP_THA_LO: 26,
  IPV6_SRC: 27, // 27..30
  IPV6_DST: 31, // 31..34
  IPV6_FLABEL: 35,
  ND_TARGET: 36, // 36..39
  ND_SLL_HI: 40,
  ND_SLL_LO: 41,
  ND_TLL_HI: 42,
  ND_TLL_LO: 43,
  MPLS_LABEL: 44,
  MPLS_TC: 45,
  MPLS_BOS: 46,
  PBB_ISID: 47,
  TUNNEL_ID_HI: 48,
  TUNNEL_ID_LO: 49,
  IPV6_EXTHDR: 50,
} as const;
export const SLOTS = 51;

/** First slot and number of slots of each OXM field. */
const FIELD_SLOTS: Record<OxmFieldName, readonly [first: number, count: number]> = {
  IN_PORT: [S.IN_PORT, 1],
  IN_PHY_PORT: [S.IN_PHY_PORT, 1],
  METADATA: [S.METADATA_HI, 2],
  ETH_DST: [S.ETH_DST_HI, 2],
  ETH_SRC: [S.ETH_SRC_HI, 2],
  ETH_TYPE: [S.ETH_TYPE, 1],
  VLAN_VID: [S.VLAN_VID, 1],
  VLAN_PCP: [S.VLAN_PCP, 1],
  IP_DSCP: [S.IP_DSCP, 1],
  IP_ECN: [S.IP_ECN, 1],
  IP_PROTO: [S.IP_PROTO, 1],
  IPV4_SRC: [S.IPV4_SRC, 1],
  IPV4_DST: [S.IPV4_DST, 1],
  TCP_SRC: [S.TP_SRC, 1],
  TCP_DST: [S.TP_DST, 1],
  UDP_SRC: [S.TP_SRC, 1],
  UDP_DST: [S.TP_DST, 1],
  SCTP_SRC: [S.TP_SRC, 1],
  SCTP_DST: [S.TP_DST, 1],
  ICMPV4_TYPE: [S.ICMP_TYPE, 1],
  ICMPV4_CODE: [S.ICMP_CODE, 1],
  ARP_OP: [S.ARP_OP, 1],
  ARP_SPA: [S.ARP_SPA, 1],
  ARP_TPA: [S.ARP_TPA, 1],
  ARP_SHA: [S.ARP_SHA_HI, 2],
  ARP_THA: [S.ARP_THA_HI, 2],
  IPV6_SRC: [S.IPV6_SRC, 4],
  IPV6_DST: [S.IPV6_DST, 4],
  IPV6_FLABEL: [S.IPV6_FLABEL, 1],
  ICMPV6_TYPE: [S.ICMP_TYPE, 1],
  ICMPV6_CODE: [S.ICMP_CODE, 1],
  IPV6_ND_TARGET: [S.ND_TARGET, 4],
  IPV6_ND_SLL: [S.ND_SLL_HI, 2],
  IPV6_ND_TLL: [S.ND_TLL_HI, 2],
  MPLS_LABEL: [S.MPLS_LABEL, 1],
  MPLS_TC: [S.MPLS_TC, 1],
  MPLS_BOS: [S.MPLS_BOS, 1],
  PBB_ISID: [S.PBB_ISID, 1],
  TUNNEL_ID: [S.TUNNEL_ID_HI, 2],
  IPV6_EXTHDR: [S.IPV6_EXTHDR, 1],
};

/** A match compiled to slots: mask and value (value & mask == value). */
export interface CompiledMatch {
  readonly mask: Uint32Array;
  readonly value: Uint32Array;
  /** Slots whose mask is not zero, ascending. */
  readonly used: readonly number[];
}

/** The field's value (or mask) as bytes, then as big-endian 32-bit words right-aligned in `count` slots. */
function toWords(o: OxmBasic, which: 'value' | 'mask', count: number): number[] {
  const v = o[which];
  const bytes = new Uint8Array(count * 4);
  const width = fieldBytes(o.field);
  const at = count * 4 - width;
  if (typeof v === 'number') {
    for (let i = 0; i < width; i++) bytes[at + i] = Math.floor(v / 2 ** (8 * (width - 1 - i))) & 0xff;
  } else if (typeof v === 'bigint') {
    for (let i = 0; i < width; i++) bytes[at + i] = Number((v >> BigInt(8 * (width - 1 - i))) & 0xffn);
  } else if (typeof v === 'string') {
    if (width === 6) macPut(bytes, at, v);
    else if (width === 4) ipv4Put(bytes, at, v);
    else ipv6Put(bytes, at, v);
  }
  const words: number[] = [];
  for (let i = 0; i < count; i++) words.push(((bytes[4 * i]! << 24) | (bytes[4 * i + 1]! << 16) | (bytes[4 * i + 2]! << 8) | bytes[4 * i + 3]!) >>> 0);
  return words;
}

const BYTES: Partial<Record<OxmFieldName, number>> = {
  IN_PORT: 4,
  IN_PHY_PORT: 4,
  METADATA: 8,
  ETH_DST: 6,
  ETH_SRC: 6,
  ETH_TYPE: 2,
  VLAN_VID: 2,
  IPV4_SRC: 4,
  IPV4_DST: 4,
  TCP_SRC: 2,
  TCP_DST: 2,
  UDP_SRC: 2,
  UDP_DST: 2,
  SCTP_SRC: 2,
  SCTP_DST: 2,
  ARP_OP: 2,
  ARP_SPA: 4,
  ARP_TPA: 4,
  ARP_SHA: 6,
  ARP_THA: 6,
  IPV6_SRC: 16,
  IPV6_DST: 16,
  IPV6_FLABEL: 4,
  IPV6_ND_TARGET: 16,
  IPV6_ND_SLL: 6,
  IPV6_ND_TLL: 6,
  MPLS_LABEL: 4,
  PBB_ISID: 3,
  TUNNEL_ID: 8,
  IPV6_EXTHDR: 2,
};
const fieldBytes = (f: OxmFieldName): number => BYTES[f] ?? 1;

/** Compile a validated OXM match (opaque OXMs are not matchable here and are refused by the caller). */
export function compileMatch(match: Match): CompiledMatch {
  const mask = new Uint32Array(SLOTS);
  const value = new Uint32Array(SLOTS);
  for (const o of match) {
    if (o.field === 'OPAQUE') continue;
    const [first, count] = FIELD_SLOTS[o.field];
    const v = toWords(o, 'value', count);
    const m = o.mask === undefined ? fullMask(o.field, count) : toWords(o, 'mask', count);
    for (let i = 0; i < count; i++) {
      mask[first + i] = m[i] as number;
      value[first + i] = (v[i] as number) & (m[i] as number);
    }
  }
  const used: number[] = [];
  for (let i = 0; i < SLOTS; i++) if (mask[i] !== 0) used.push(i);
  return { mask, value, used };
}

function fullMask(field: OxmFieldName, count: number): number[] {
  const width = fieldBytes(field);
  const words: number[] = [];
  for (let i = 0; i < count; i++) {
    let w = 0;
    for (let b = 0; b < 4; b++) w = (w << 8) | (4 * i + b >= count * 4 - width ? 0xff : 0);
    words.push(w >>> 0);
  }
  return words;
}

const hi16 = (mac: number): number => Math.floor(mac / 0x100000000);
const lo32 = (mac: number): number => mac >>> 0;

// 64-bit fields are bigints in the key; splitting one allocates, so the last split of each is
// remembered (metadata is usually 0, the tunnel id constant per port).
let metaSeen = 0n;
let metaHi = 0;
let metaLo = 0;
let tunSeen = 0n;
let tunHi = 0;
let tunLo = 0;

/** Read a packet's key into the slot layout (no allocation: `out` is reused). */
export function keySlots(k: FlowKey, out: Uint32Array): Uint32Array {
  out[S.IN_PORT] = k.inPort;
  out[S.IN_PHY_PORT] = k.inPhyPort;
  if (k.metadata !== metaSeen) {
    metaSeen = k.metadata;
    metaHi = Number(k.metadata >> 32n);
    metaLo = Number(k.metadata & 0xffffffffn);
  }
  out[S.METADATA_HI] = metaHi;
  out[S.METADATA_LO] = metaLo;
  out[S.ETH_DST_HI] = hi16(k.ethDst);
  out[S.ETH_DST_LO] = lo32(k.ethDst);
  out[S.ETH_SRC_HI] = hi16(k.ethSrc);
  out[S.ETH_SRC_LO] = lo32(k.ethSrc);
  out[S.ETH_TYPE] = k.ethType;
  out[S.VLAN_VID] = k.vlanVid;
  out[S.VLAN_PCP] = k.vlanPcp;
  out[S.IP_DSCP] = k.ipDscp;
  out[S.IP_ECN] = k.ipEcn;
  out[S.IP_PROTO] = k.ipProto;
  out[S.IPV4_SRC] = k.ipv4Src;
  out[S.IPV4_DST] = k.ipv4Dst;
  out[S.TP_SRC] = k.tpSrc;
  out[S.TP_DST] = k.tpDst;
  out[S.ICMP_TYPE] = k.icmpType;
  out[S.ICMP_CODE] = k.icmpCode;
  out[S.ARP_OP] = k.arpOp;
  out[S.ARP_SPA] = k.arpSpa;
  out[S.ARP_TPA] = k.arpTpa;
  out[S.ARP_SHA_HI] = hi16(k.arpSha);
  out[S.ARP_SHA_LO] = lo32(k.arpSha);
  out[S.ARP_THA_HI] = hi16(k.arpTha);
  out[S.ARP_THA_LO] = lo32(k.arpTha);
  out[S.IPV6_SRC] = k.ipv6Src0;
  out[S.IPV6_SRC + 1] = k.ipv6Src1;
  out[S.IPV6_SRC + 2] = k.ipv6Src2;
  out[S.IPV6_SRC + 3] = k.ipv6Src3;
  out[S.IPV6_DST] = k.ipv6Dst0;
  out[S.IPV6_DST + 1] = k.ipv6Dst1;
  out[S.IPV6_DST + 2] = k.ipv6Dst2;
  out[S.IPV6_DST + 3] = k.ipv6Dst3;
  out[S.IPV6_FLABEL] = k.ipv6Flabel;
  out[S.ND_TARGET] = k.ndTarget0;
  out[S.ND_TARGET + 1] = k.ndTarget1;
  out[S.ND_TARGET + 2] = k.ndTarget2;
  out[S.ND_TARGET + 3] = k.ndTarget3;
  out[S.ND_SLL_HI] = hi16(k.ndSll);
  out[S.ND_SLL_LO] = lo32(k.ndSll);
  out[S.ND_TLL_HI] = hi16(k.ndTll);
  out[S.ND_TLL_LO] = lo32(k.ndTll);
  out[S.MPLS_LABEL] = k.mplsLabel;
  out[S.MPLS_TC] = k.mplsTc;
  out[S.MPLS_BOS] = k.mplsBos;
  out[S.PBB_ISID] = k.pbbIsid;
  if (k.tunnelId !== tunSeen) {
    tunSeen = k.tunnelId;
    tunHi = Number(k.tunnelId >> 32n);
    tunLo = Number(k.tunnelId & 0xffffffffn);
  }
  out[S.TUNNEL_ID_HI] = tunHi;
  out[S.TUNNEL_ID_LO] = tunLo;
  out[S.IPV6_EXTHDR] = k.ipv6Exthdr;
  return out;
}

/** Does a packet (as slots) match? */
export function matches(m: CompiledMatch, slots: Uint32Array): boolean {
  const u = m.used;
  for (let i = 0; i < u.length; i++) {
    const s = u[i] as number;
    if (((slots[s] as number) & (m.mask[s] as number)) >>> 0 !== m.value[s]) return false;
  }
  return true;
}

/** Same mask and value (strict FLOW_MOD identity, besides priority). */
export function sameMatch(a: CompiledMatch, b: CompiledMatch): boolean {
  for (let s = 0; s < SLOTS; s++) if (a.mask[s] !== b.mask[s] || a.value[s] !== b.value[s]) return false;
  return true;
}

/**
 * Is `rule` at least as specific as `filter` and in agreement with it? The test of
 * non-strict MODIFY/DELETE and of flow statistics requests.
 */
export function covers(filter: CompiledMatch, rule: CompiledMatch): boolean {
  for (const s of filter.used) {
    const fm = filter.mask[s] as number;
    if (((rule.mask[s] as number) & fm) >>> 0 !== fm) return false;
    if (((rule.value[s] as number) & fm) >>> 0 !== filter.value[s]) return false;
  }
  return true;
}

/** Could one packet match both? (CHECK_OVERLAP between entries of equal priority.) */
export function overlaps(a: CompiledMatch, b: CompiledMatch): boolean {
  for (let s = 0; s < SLOTS; s++) {
    const both = ((a.mask[s] as number) & (b.mask[s] as number)) >>> 0;
    if (both !== 0 && (((a.value[s] as number) ^ (b.value[s] as number)) & both) >>> 0 !== 0) return false;
  }
  return true;
}

/** A key identifying a mask (the subtable a match belongs to). */
export function maskKey(m: CompiledMatch): string {
  return m.used.map((s) => `${s}:${m.mask[s]}`).join(',');
}
