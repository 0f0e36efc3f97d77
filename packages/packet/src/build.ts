// Frame constructors for tests and the host simulator. Each returns a new Buffer holding a
// complete Ethernet frame (no FCS) with correct length fields and checksums: the frame is
// laid out, parsed, and fillChecksums() computes every checksum from scratch. An MPLS stack
// is spliced in after the checksums are filled (the parser does not look below MPLS).
//
// Addresses are text as people write them: "aa:bb:cc:dd:ee:ff", "10.0.0.1", "fe80::1".

import { ETH_TYPE } from '@rumpflow/openflow';
import { ipv6ToWords, putIpv4, putIpv6, putMacString, putU16, putU32 } from './addr.js';
import { fillChecksums } from './frame-checksum.js';
import { FlowKey } from './key.js';
import { IPPROTO, parseFrame } from './parse.js';

// ---------------------------------------------------------------------------------------
// Options

export interface VlanTag {
  vid: number;
  pcp?: number;
  dei?: boolean;
  /** Default 0x8100; in a two-tag stack the outer tag defaults to 0x88a8. */
  tpid?: number;
}

export interface MplsEntry {
  label: number;
  tc?: number;
  /** Default 64. */
  ttl?: number;
}

export interface L2Options {
  srcMac: string;
  dstMac: string;
  /** A VID, a tag, or a stack of tags outermost first. */
  vlan?: number | VlanTag | readonly VlanTag[];
  /** An MPLS label stack, outermost first, between the Ethernet/VLAN header and the packet. */
  mpls?: readonly MplsEntry[];
  /** The ethertype announcing the MPLS stack (default 0x8847). */
  mplsEthType?: number;
  /** Pad with zeros to at least this length (60 is Ethernet's minimum without the FCS). */
  padTo?: number;
}

export interface IpOptions {
  src: string;
  dst: string;
  /** IPv4 TTL or IPv6 hop limit (default 64). */
  ttl?: number;
  dscp?: number;
  ecn?: number;
}

export interface Ipv4Options extends IpOptions {
  /** Identification (default 0). */
  ipId?: number;
  /** Don't fragment. */
  df?: boolean;
  /** More fragments. */
  mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  /** IPv4 options, padded to a multiple of 4 bytes. */
  ipOptions?: Uint8Array;
}

/** An IPv6 extension header; the builder fills in next-header and length fields. */
export type Ipv6Ext =
  | { type: 'hop' | 'dest'; options?: Uint8Array }
  | { type: 'routing'; routingType?: number; segmentsLeft?: number; data?: Uint8Array }
  | { type: 'fragment'; offset?: number; more?: boolean; id?: number }
  | { type: 'ah'; spi?: number; seq?: number; icv?: Uint8Array }
  /** ESP ends the visible chain: what follows it (further headers, the payload) is its data. */
  | { type: 'esp'; spi?: number; seq?: number };

export interface Ipv6Options extends IpOptions {
  flowLabel?: number;
  /** Extension headers in order, between the IPv6 header and the upper-layer header. */
  ext?: readonly Ipv6Ext[];
}

/** IP options for builders that do both versions: IPv6 when `ipv6` is set or `src` has a colon. */
export type AnyIpOptions = Ipv4Options & Ipv6Options & { ipv6?: boolean };

export const TCP_FLAGS = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  NS: 0x100,
} as const;

const EMPTY = new Uint8Array(0);
const KEY = new FlowKey();

// ---------------------------------------------------------------------------------------
// Layers

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

function vlanStack(v: L2Options['vlan']): VlanTag[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return [{ vid: v }];
  if (!Array.isArray(v)) return [v as VlanTag];
  const tags = v as readonly VlanTag[];
  return tags.map((t, i) => ({
    ...t,
    tpid: t.tpid ?? (tags.length > 1 && i === 0 ? ETH_TYPE.QINQ : ETH_TYPE.VLAN),
  }));
}

/** An MPLS label stack entry as a 32-bit number. */
export function mplsLse(label: number, tc: number, bos: boolean, ttl: number): number {
  return ((label & 0xfffff) * 4096 + ((tc & 7) << 9) + (bos ? 0x100 : 0) + (ttl & 0xff)) >>> 0;
}

/** Ethernet (+ VLAN tags) around `l3`, checksums filled, then MPLS spliced in and padding added. */
export function buildEthernet(l2: L2Options, ethType: number, l3: Uint8Array): Buffer {
  const tags = vlanStack(l2.vlan);
  const typeOff = 12 + 4 * tags.length;
  let b = Buffer.alloc(typeOff + 2 + l3.length);
  putMacString(b, 0, l2.dstMac);
  putMacString(b, 6, l2.srcMac);
  tags.forEach((t, i) => {
    putU16(b, 12 + 4 * i, t.tpid ?? ETH_TYPE.VLAN);
    putU16(b, 14 + 4 * i, ((t.pcp ?? 0) << 13) | (t.dei ? 0x1000 : 0) | (t.vid & 0x0fff));
  });
  putU16(b, typeOff, ethType);
  b.set(l3, typeOff + 2);
  fillChecksums(b, parseFrame(b, KEY));
  const mpls = l2.mpls ?? [];
  if (mpls.length > 0) {
    const stack = Buffer.alloc(4 * mpls.length);
    mpls.forEach((e, i) =>
      putU32(stack, 4 * i, mplsLse(e.label, e.tc ?? 0, i === mpls.length - 1, e.ttl ?? 64)),
    );
    const head = Buffer.from(b.subarray(0, typeOff + 2));
    putU16(head, typeOff, l2.mplsEthType ?? ETH_TYPE.MPLS);
    b = Buffer.concat([head, stack, b.subarray(typeOff + 2)]);
  }
  return padFrame(b, l2.padTo ?? 0);
}

/** The frame, or a zero-padded copy of it at least `length` bytes long. */
export function padFrame(frame: Buffer, length: number): Buffer {
  if (frame.length >= length) return frame;
  const out = Buffer.alloc(length);
  out.set(frame);
  return out;
}

/** An IPv4 packet (header checksum left to fillChecksums). */
export function ipv4Packet(o: Ipv4Options, proto: number, payload: Uint8Array): Uint8Array {
  const opts = o.ipOptions ?? EMPTY;
  const ihl = 20 + Math.ceil(opts.length / 4) * 4;
  const b = new Uint8Array(ihl + payload.length);
  b[0] = 0x40 | (ihl / 4);
  b[1] = ((o.dscp ?? 0) << 2) | ((o.ecn ?? 0) & 3);
  putU16(b, 2, b.length);
  putU16(b, 4, o.ipId ?? 0);
  putU16(b, 6, (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (((o.fragOffset ?? 0) / 8) & 0x1fff));
  b[8] = o.ttl ?? 64;
  b[9] = proto;
  putIpv4(b, 12, o.src);
  putIpv4(b, 16, o.dst);
  b.set(opts, 20);
  b.set(payload, ihl);
  return b;
}

/** Options of a hop-by-hop or destination-options header, padded with Pad1/PadN to 8n - 2 bytes. */
function padOptions(opts: Uint8Array): Uint8Array {
  const total = Math.ceil((opts.length + 2) / 8) * 8;
  const pad = total - 2 - opts.length;
  const out = new Uint8Array(total - 2);
  out.set(opts);
  if (pad === 1)
    out[opts.length] = 0; // Pad1
  else if (pad > 1) {
    out[opts.length] = 1; // PadN
    out[opts.length + 1] = pad - 2;
  }
  return out;
}

const EXT_PROTO: Record<Ipv6Ext['type'], number> = {
  hop: IPPROTO.HOPOPTS,
  dest: IPPROTO.DSTOPTS,
  routing: IPPROTO.ROUTING,
  fragment: IPPROTO.FRAGMENT,
  ah: IPPROTO.AH,
  esp: IPPROTO.ESP,
};

/** One extension header announcing `next`, followed by `rest`. */
function extHeader(e: Ipv6Ext, next: number, rest: Uint8Array): Uint8Array {
  let h: Uint8Array;
  switch (e.type) {
    case 'hop':
    case 'dest': {
      const body = padOptions(e.options ?? EMPTY);
      h = new Uint8Array(2 + body.length);
      h.set(body, 2);
      h[1] = h.length / 8 - 1;
      break;
    }
    case 'routing': {
      const data = e.data ?? EMPTY;
      h = new Uint8Array(8 + Math.ceil(data.length / 8) * 8);
      h[1] = h.length / 8 - 1;
      h[2] = e.routingType ?? 0;
      h[3] = e.segmentsLeft ?? 0;
      h.set(data, 8);
      break;
    }
    case 'fragment':
      h = new Uint8Array(8);
      putU16(h, 2, ((e.offset ?? 0) & 0xfff8) | (e.more ? 1 : 0));
      putU32(h, 4, e.id ?? 0);
      break;
    case 'ah': {
      const icv = e.icv ?? new Uint8Array(12);
      h = new Uint8Array(Math.ceil((12 + icv.length) / 8) * 8);
      h[1] = h.length / 4 - 2;
      putU32(h, 4, e.spi ?? 0x100);
      putU32(h, 8, e.seq ?? 1);
      h.set(icv, 12);
      break;
    }
    case 'esp':
      h = new Uint8Array(8);
      putU32(h, 0, e.spi ?? 0x200);
      putU32(h, 4, e.seq ?? 1);
      return concat(h, rest);
  }
  h[0] = next;
  return concat(h, rest);
}

/** An IPv6 packet with its extension headers. */
export function ipv6Packet(o: Ipv6Options, nextHeader: number, payload: Uint8Array): Uint8Array {
  let next = nextHeader;
  let body = payload;
  const ext = o.ext ?? [];
  for (let i = ext.length - 1; i >= 0; i--) {
    const e = ext[i]!;
    body = extHeader(e, next, body);
    next = EXT_PROTO[e.type];
  }
  const b = new Uint8Array(40 + body.length);
  const tc = ((o.dscp ?? 0) << 2) | ((o.ecn ?? 0) & 3);
  putU32(b, 0, (0x60000000 | (tc << 20) | ((o.flowLabel ?? 0) & 0xfffff)) >>> 0);
  putU16(b, 4, body.length);
  b[6] = next;
  b[7] = o.ttl ?? 64;
  putIpv6(b, 8, o.src);
  putIpv6(b, 24, o.dst);
  b.set(body, 40);
  return b;
}

const isV6 = (o: AnyIpOptions): boolean => o.ipv6 ?? o.src.includes(':');

/** A frame carrying `payload` as protocol `proto` over IPv4 or IPv6. */
function ipFrame(o: L2Options & AnyIpOptions, proto: number, payload: Uint8Array): Buffer {
  return isV6(o)
    ? buildEthernet(o, ETH_TYPE.IPV6, ipv6Packet(o, proto, payload))
    : buildEthernet(o, ETH_TYPE.IPV4, ipv4Packet(o, proto, payload));
}

// ---------------------------------------------------------------------------------------
// Frames

/** An IPv4 frame with a raw payload (e.g. a later fragment); the header checksum is filled. */
export function buildIpv4(o: L2Options & Ipv4Options & { proto: number; payload?: Uint8Array }): Buffer {
  return buildEthernet(o, ETH_TYPE.IPV4, ipv4Packet(o, o.proto, o.payload ?? EMPTY));
}

/** An IPv6 frame; `payload` is the upper-layer data after the extension headers. */
export function buildIpv6(o: L2Options & Ipv6Options & { nextHeader: number; payload?: Uint8Array }): Buffer {
  return buildEthernet(o, ETH_TYPE.IPV6, ipv6Packet(o, o.nextHeader, o.payload ?? EMPTY));
}

export interface ArpOptions extends Omit<L2Options, 'dstMac' | 'mpls' | 'mplsEthType'> {
  op: 'request' | 'reply' | number;
  /** Default: broadcast for a request, `tha` for a reply. */
  dstMac?: string;
  sha: string;
  spa: string;
  /** Default 00:00:00:00:00:00. */
  tha?: string;
  tpa: string;
}

/** An Ethernet/IPv4 ARP packet (RFC 826). */
export function buildArp(o: ArpOptions): Buffer {
  const op = o.op === 'request' ? 1 : o.op === 'reply' ? 2 : o.op;
  const tha = o.tha ?? '00:00:00:00:00:00';
  const b = new Uint8Array(28);
  putU16(b, 0, 1);
  putU16(b, 2, ETH_TYPE.IPV4);
  b[4] = 6;
  b[5] = 4;
  putU16(b, 6, op);
  putMacString(b, 8, o.sha);
  putIpv4(b, 14, o.spa);
  putMacString(b, 18, tha);
  putIpv4(b, 24, o.tpa);
  const dstMac = o.dstMac ?? (op === 1 ? 'ff:ff:ff:ff:ff:ff' : tha);
  return buildEthernet({ ...o, dstMac }, ETH_TYPE.ARP, b);
}

export interface EchoOptions extends L2Options, IpOptions {
  type: 'request' | 'reply';
  id: number;
  seq: number;
  payload?: Uint8Array;
}

function echo(type: number, o: EchoOptions): Uint8Array {
  const payload = o.payload ?? EMPTY;
  const b = new Uint8Array(8 + payload.length);
  b[0] = type;
  putU16(b, 4, o.id);
  putU16(b, 6, o.seq);
  b.set(payload, 8);
  return b;
}

/** An ICMP echo request (type 8) or reply (type 0) over IPv4. */
export function buildIcmpEcho(o: EchoOptions & Ipv4Options): Buffer {
  return buildEthernet(o, ETH_TYPE.IPV4, ipv4Packet(o, IPPROTO.ICMP, echo(o.type === 'request' ? 8 : 0, o)));
}

/** An ICMPv6 echo request (128) or reply (129). */
export function buildIcmpv6Echo(o: EchoOptions & Ipv6Options): Buffer {
  return buildEthernet(
    o,
    ETH_TYPE.IPV6,
    ipv6Packet(o, IPPROTO.ICMPV6, echo(o.type === 'request' ? 128 : 129, o)),
  );
}

/** Any ICMP (v4) message: type, code and the body after the checksum. */
export function buildIcmp(
  o: L2Options & Ipv4Options & { type: number; code?: number; body?: Uint8Array },
): Buffer {
  const body = o.body ?? new Uint8Array(4);
  const b = new Uint8Array(4 + body.length);
  b[0] = o.type;
  b[1] = o.code ?? 0;
  b.set(body, 4);
  return buildEthernet(o, ETH_TYPE.IPV4, ipv4Packet(o, IPPROTO.ICMP, b));
}

/** Any ICMPv6 message: type, code and the body after the checksum. */
export function buildIcmpv6(
  o: L2Options & Ipv6Options & { type: number; code?: number; body?: Uint8Array },
): Buffer {
  const body = o.body ?? new Uint8Array(4);
  const b = new Uint8Array(4 + body.length);
  b[0] = o.type;
  b[1] = o.code ?? 0;
  b.set(body, 4);
  return buildEthernet(o, ETH_TYPE.IPV6, ipv6Packet(o, IPPROTO.ICMPV6, b));
}

export interface UdpOptions extends L2Options, AnyIpOptions {
  srcPort: number;
  dstPort: number;
  payload?: Uint8Array;
  /** Over IPv4, send checksum 0 ("none"). */
  noChecksum?: boolean;
}

/** A UDP datagram over IPv4 or IPv6. */
export function buildUdp(o: UdpOptions): Buffer {
  const payload = o.payload ?? EMPTY;
  const b = new Uint8Array(8 + payload.length);
  putU16(b, 0, o.srcPort);
  putU16(b, 2, o.dstPort);
  putU16(b, 4, b.length);
  b.set(payload, 8);
  const f = ipFrame(o, IPPROTO.UDP, b);
  if (o.noChecksum && !isV6(o) && parseFrame(f, KEY).l4Off >= 0) f.fill(0, KEY.l4Off + 6, KEY.l4Off + 8);
  return f;
}

export interface TcpOptions extends L2Options, AnyIpOptions {
  srcPort: number;
  dstPort: number;
  /** TCP_FLAGS bits (NS is bit 8). */
  flags: number;
  seq: number;
  ack: number;
  window?: number;
  urgent?: number;
  /** TCP options, padded with zeros (end of options) to a multiple of 4 bytes. */
  tcpOptions?: Uint8Array;
  payload?: Uint8Array;
}

/** A TCP segment over IPv4 or IPv6. */
export function buildTcp(o: TcpOptions): Buffer {
  const payload = o.payload ?? EMPTY;
  const opts = o.tcpOptions ?? EMPTY;
  const hlen = 20 + Math.ceil(opts.length / 4) * 4;
  const b = new Uint8Array(hlen + payload.length);
  putU16(b, 0, o.srcPort);
  putU16(b, 2, o.dstPort);
  putU32(b, 4, o.seq >>> 0);
  putU32(b, 8, o.ack >>> 0);
  b[12] = ((hlen / 4) << 4) | ((o.flags >>> 8) & 1);
  b[13] = o.flags & 0xff;
  putU16(b, 14, o.window ?? 0xffff);
  putU16(b, 18, o.urgent ?? 0);
  b.set(opts, 20);
  b.set(payload, hlen);
  return ipFrame(o, IPPROTO.TCP, b);
}

export interface SctpOptions extends L2Options, AnyIpOptions {
  srcPort: number;
  dstPort: number;
  /** Verification tag (default 1). */
  vtag?: number;
  /** Raw chunks; by default one DATA chunk carrying `payload`. */
  chunks?: Uint8Array;
  payload?: Uint8Array;
}

/** An SCTP packet over IPv4 or IPv6, with its CRC32c. */
export function buildSctp(o: SctpOptions): Buffer {
  let chunks = o.chunks;
  if (chunks === undefined) {
    const data = o.payload ?? new TextEncoder().encode('ping');
    chunks = new Uint8Array(16 + Math.ceil(data.length / 4) * 4);
    chunks[0] = 0; // DATA
    chunks[1] = 0x03; // B and E: an unfragmented message
    putU16(chunks, 2, 16 + data.length);
    putU32(chunks, 4, 1); // TSN
    chunks.set(data, 16);
  }
  const b = new Uint8Array(12 + chunks.length);
  putU16(b, 0, o.srcPort);
  putU16(b, 2, o.dstPort);
  putU32(b, 4, o.vtag ?? 1);
  b.set(chunks, 12);
  return ipFrame(o, IPPROTO.SCTP, b);
}

/** A neighbour-discovery message body: flags word, target, and a link-layer address option. */
function nd(type: number, flags: number, target: string, optType: number, mac: string | null): Uint8Array {
  const b = new Uint8Array(24 + (mac === null ? 0 : 8));
  b[0] = type;
  b[4] = flags;
  putIpv6(b, 8, target);
  if (mac !== null) {
    b[24] = optType;
    b[25] = 1; // length in units of 8 bytes
    putMacString(b, 26, mac);
  }
  return b;
}

/** The solicited-node multicast address (RFC 4291 2.7.1) of `target` and its MAC (RFC 2464 7). */
export function solicitedNode(target: string): { ip: string; mac: string } {
  const low = ipv6ToWords(target)[3] & 0xffffff;
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  const [a, b, c] = [low >>> 16, (low >>> 8) & 0xff, low & 0xff];
  return { ip: `ff02::1:ff${hex(a)}:${hex(b)}${hex(c)}`, mac: `33:33:ff:${hex(a)}:${hex(b)}:${hex(c)}` };
}

export interface NdSolicitOptions extends Omit<L2Options, 'dstMac'>, Omit<Ipv6Options, 'dst'> {
  /** Default: the target's solicited-node multicast MAC. */
  dstMac?: string;
  /** Default: the target's solicited-node multicast address. */
  dst?: string;
  target: string;
  /** Source link-layer address option: default srcMac; null for none (as in DAD). */
  sll?: string | null;
}

/** An ICMPv6 neighbour solicitation (type 135, RFC 4861 4.3), hop limit 255. */
export function buildNdSolicit(o: NdSolicitOptions): Buffer {
  const sn = solicitedNode(o.target);
  const body = nd(135, 0, o.target, 1, o.sll === undefined ? o.srcMac : o.sll);
  const ip = { ...o, dst: o.dst ?? sn.ip, ttl: o.ttl ?? 255 };
  return buildEthernet(
    { ...o, dstMac: o.dstMac ?? sn.mac },
    ETH_TYPE.IPV6,
    ipv6Packet(ip, IPPROTO.ICMPV6, body),
  );
}

export interface NdAdvertOptions extends Omit<L2Options, 'dstMac'>, Omit<Ipv6Options, 'dst'> {
  /** Default 33:33:00:00:00:01 (all nodes). */
  dstMac?: string;
  /** Default ff02::1. */
  dst?: string;
  target: string;
  /** Target link-layer address option: default srcMac; null for none. */
  tll?: string | null;
  router?: boolean;
  solicited?: boolean;
  /** Default true. */
  override?: boolean;
}

/** An ICMPv6 neighbour advertisement (type 136, RFC 4861 4.4), hop limit 255. */
export function buildNdAdvert(o: NdAdvertOptions): Buffer {
  const flags = (o.router ? 0x80 : 0) | (o.solicited ? 0x40 : 0) | ((o.override ?? true) ? 0x20 : 0);
  const body = nd(136, flags, o.target, 2, o.tll === undefined ? o.srcMac : o.tll);
  const ip = { ...o, dst: o.dst ?? 'ff02::1', ttl: o.ttl ?? 255 };
  return buildEthernet(
    { ...o, dstMac: o.dstMac ?? '33:33:00:00:00:01' },
    ETH_TYPE.IPV6,
    ipv6Packet(ip, IPPROTO.ICMPV6, body),
  );
}

export interface PbbOptions {
  /** Backbone destination and source (B-DA, B-SA). */
  bDst: string;
  bSrc: string;
  /** Backbone VLAN tag(s) before the I-TAG. */
  bVlan?: L2Options['vlan'];
  isid: number;
  /** I-PCP (default 0). */
  pcp?: number;
  /** The customer frame (C-DA, C-SA, its tags, its payload). */
  inner: Uint8Array;
}

/** An 802.1ah (PBB) frame: B-DA, B-SA, [B-TAG], 0x88e7, I-TAG, customer frame. */
export function buildPbb(o: PbbOptions): Buffer {
  const itag = new Uint8Array(4);
  putU32(itag, 0, ((((o.pcp ?? 0) & 7) << 29) | (o.isid & 0xffffff)) >>> 0);
  return buildEthernet(
    { srcMac: o.bSrc, dstMac: o.bDst, ...(o.bVlan === undefined ? {} : { vlan: o.bVlan }) },
    ETH_TYPE.PBB,
    concat(itag, o.inner),
  );
}
