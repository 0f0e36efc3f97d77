// Matches as the classifier sees them: a fixed layout of 32-bit words ("slots") covering
// every OXM field, a mask and a value per slot. An OXM list compiles to a CompiledMatch once,
// when the flow is installed; a packet's FlowKey is read into the same layout once per
// lookup (into a reused array). Wider fields take several slots: MAC addresses two (16 + 32
// bits), metadata and tunnel id two, IPv6 addresses four.
//
// TCP, UDP and SCTP ports share the tp slots and ICMPv4/ICMPv6 type and code share theirs:
// a flow matching TCP_DST must also match IP_PROTO=6 (OXM prerequisites, which validate()
// enforces), so the shared slot is never ambiguous.

import { type Match, type OxmFieldName, ipv4Put, ipv6Put, macPut } from '@rumpflow/openflow';
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

/**
 * A match compiled to slots. `used` lists the slots the match tests (ascending); `mask` and
 * `value` hold, for each of them, the mask and the masked value, as signed 32-bit integers
 * (what JavaScript's bitwise operators yield, and small integers to V8: a rule's values are one
 * plain array, no boxed numbers). Matches with the same mask share one `used`/`mask` pair and
 * its `key` (interned), which is also their subtable's key.
 */
export interface CompiledMatch {
  readonly used: Uint8Array;
  readonly mask: Int32Array;
  readonly value: readonly number[];
  readonly key: string;
}

interface MaskShape {
  readonly used: Uint8Array;
  readonly mask: Int32Array;
  readonly key: string;
}

/** Interned mask shapes by a hash of the mask; bounded (a switch sees few distinct masks). */
const SHAPES = new Map<number, MaskShape[]>();
const MAX_SHAPES = 4096;
let shapeCount = 0;

const scratchMask = new Uint32Array(SLOTS);
const scratchValue = new Uint32Array(SLOTS);
const scratchBytes = new Uint8Array(16);

/** Put a field value (or mask) into `out` at its slots, right-aligned, big-endian words. */
function putWords(field: OxmFieldName, v: unknown, out: Uint32Array): void {
  const [first, count] = FIELD_SLOTS[field];
  const width = fieldBytes(field);
  if (typeof v === 'number') {
    if (count === 1) out[first] = v >>> 0;
    else {
      out[first] = Math.floor(v / 0x100000000) >>> 0;
      out[first + 1] = v >>> 0;
    }
    return;
  }
  if (typeof v === 'bigint') {
    out[first] = Number((v >> 32n) & 0xffffffffn);
    out[first + 1] = Number(v & 0xffffffffn);
    return;
  }
  const b = scratchBytes;
  b.fill(0);
  const at = count * 4 - width;
  if (width === 6) macPut(b, at, v as string);
  else if (width === 4) ipv4Put(b, at, v as string);
  else ipv6Put(b, at, v as string);
  for (let i = 0; i < count; i++) out[first + i] = ((b[4 * i]! << 24) | (b[4 * i + 1]! << 16) | (b[4 * i + 2]! << 8) | b[4 * i + 3]!) >>> 0;
}

/** The all-ones mask of a field. */
function putFullMask(field: OxmFieldName, out: Uint32Array): void {
  const [first, count] = FIELD_SLOTS[field];
  const width = fieldBytes(field);
  for (let i = 0; i < count; i++) {
    let w = 0;
    for (let b = 0; b < 4; b++) w = (w << 8) | (4 * i + b >= count * 4 - width ? 0xff : 0);
    out[first + i] = w >>> 0;
  }
}

/** Compile a validated OXM match (opaque OXMs are not matchable here and are refused by the caller). */
export function compileMatch(match: Match): CompiledMatch {
  scratchMask.fill(0);
  scratchValue.fill(0);
  for (const o of match) {
    if (o.field === 'OPAQUE') continue;
    putWords(o.field, o.value, scratchValue);
    if (o.mask === undefined) putFullMask(o.field, scratchMask);
    else putWords(o.field, o.mask, scratchMask);
  }
  let n = 0;
  let h = 0x811c9dc5;
  for (let slot = 0; slot < SLOTS; slot++) {
    const m = scratchMask[slot] as number;
    if (m === 0) continue;
    n++;
    h = Math.imul(h ^ slot, 0x01000193);
    h = Math.imul(h ^ m, 0x01000193);
  }
  const shape = shapeOf(h | 0, n);
  const value: number[] = []; // packed, not holey: no hole checks on the lookup path
  for (let i = 0; i < n; i++) value.push((scratchValue[shape.used[i] as number] as number) & (shape.mask[i] as number));
  return { used: shape.used, mask: shape.mask, value, key: shape.key };
}

/** The interned shape of the mask in scratchMask (n slots set, hash h), made if new. */
function shapeOf(h: number, n: number): MaskShape {
  const candidates = SHAPES.get(h);
  if (candidates) {
    for (const c of candidates) {
      if (c.used.length !== n) continue;
      let same = true;
      for (let i = 0; i < n && same; i++) same = ((scratchMask[c.used[i] as number] as number) | 0) === c.mask[i];
      if (same) return c;
    }
  }
  const used = new Uint8Array(n);
  const mask = new Int32Array(n);
  let key = '';
  for (let slot = 0, i = 0; slot < SLOTS; slot++) {
    if (scratchMask[slot] === 0) continue;
    used[i] = slot;
    mask[i++] = scratchMask[slot] as number;
    key += `${slot}:${scratchMask[slot]},`;
  }
  const shape = { used, mask, key };
  if (shapeCount < MAX_SHAPES) {
    shapeCount++;
    if (candidates) candidates.push(shape);
    else SHAPES.set(h, [shape]);
  }
  return shape;
}


const hi16 = (mac: number): number => Math.floor(mac / 0x100000000);
const lo32 = (mac: number): number => mac >>> 0;

/**
 * The two 32-bit halves of a 64-bit key field. The key holds it as a bigint and splitting one
 * allocates, so the last split is remembered (metadata is usually 0, the tunnel id constant
 * per port): the lookup path then allocates nothing.
 */
class U64Halves {
  private seen = 0n;
  hi = 0;
  lo = 0;
  of(v: bigint): this {
    if (v !== this.seen) {
      this.seen = v;
      this.hi = Number(v >> 32n);
      this.lo = Number(v & 0xffffffffn);
    }
    return this;
  }
}
const metadataHalves = new U64Halves();
const tunnelHalves = new U64Halves();

/** Read a packet's key into the slot layout (no allocation: `out` is reused). */
export function keySlots(k: FlowKey, out: Uint32Array): Uint32Array {
  out[S.IN_PORT] = k.inPort;
  out[S.IN_PHY_PORT] = k.inPhyPort;
  const meta = metadataHalves.of(k.metadata);
  out[S.METADATA_HI] = meta.hi;
  out[S.METADATA_LO] = meta.lo;
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
  const tun = tunnelHalves.of(k.tunnelId);
  out[S.TUNNEL_ID_HI] = tun.hi;
  out[S.TUNNEL_ID_LO] = tun.lo;
  out[S.IPV6_EXTHDR] = k.ipv6Exthdr;
  return out;
}

/** Does a packet (as slots) match? */
export function matches(m: CompiledMatch, slots: Uint32Array): boolean {
  const u = m.used;
  const mask = m.mask;
  const value = m.value;
  for (let i = 0; i < u.length; i++) {
    if (((slots[u[i] as number] as number) & (mask[i] as number)) !== value[i]) return false;
  }
  return true;
}

/** Same mask and value (strict FLOW_MOD identity, besides priority). */
export function sameMatch(a: CompiledMatch, b: CompiledMatch): boolean {
  if (a.key !== b.key) return false;
  for (let i = 0; i < a.value.length; i++) if (a.value[i] !== b.value[i]) return false;
  return true;
}

/** Spread a compiled match over all slots (for the relations below, not on the lookup path). */
function spread(m: CompiledMatch, mask: Int32Array, value: Int32Array): void {
  mask.fill(0);
  value.fill(0);
  for (let i = 0; i < m.used.length; i++) {
    mask[m.used[i] as number] = m.mask[i] as number;
    value[m.used[i] as number] = m.value[i] as number;
  }
}

const am = new Int32Array(SLOTS);
const av = new Int32Array(SLOTS);

/**
 * Is `rule` at least as specific as `filter` and in agreement with it? The test of
 * non-strict MODIFY/DELETE and of flow statistics requests.
 */
export function covers(filter: CompiledMatch, rule: CompiledMatch): boolean {
  spread(rule, am, av);
  for (let i = 0; i < filter.used.length; i++) {
    const s = filter.used[i] as number;
    const fm = filter.mask[i] as number;
    if (((am[s] as number) & fm) !== fm) return false;
    if (((av[s] as number) & fm) !== filter.value[i]) return false;
  }
  return true;
}

/** Could one packet match both? (CHECK_OVERLAP between entries of equal priority.) */
export function overlaps(a: CompiledMatch, b: CompiledMatch): boolean {
  spread(a, am, av);
  for (let i = 0; i < b.used.length; i++) {
    const s = b.used[i] as number;
    const both = (am[s] as number) & (b.mask[i] as number);
    if (both !== 0 && (((av[s] as number) ^ (b.value[i] as number)) & both) !== 0) return false;
  }
  return true;
}

/** A key identifying a mask (the subtable a match belongs to). */
export function maskKey(m: CompiledMatch): string {
  return m.key;
}
