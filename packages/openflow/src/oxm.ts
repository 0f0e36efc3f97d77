// OXM TLVs (OpenFlow 1.3.5 section 7.2.3) and ofp_match. One table, OXM_FIELDS, declares
// every OpenFlow-basic field: its id, value representation, width, whether it may carry a
// mask, its prerequisite, whether set-field may write it and its Open vSwitch name. The
// codec, the validator and the formatter all read this table.

import { ETH_TYPE } from './constants.js';
import { type ErrorPair, errPair } from './errors.js';
import { type Codec, type Reader, RAW, checkU64, checkUint, fail, macPut, macStr, rawOf, setRaw, zeros } from './layout.js';

/** How a field's value is represented in objects. */
export type OxmKind = 'u8' | 'u16' | 'u24' | 'u32' | 'u64' | 'mac' | 'ipv4' | 'ipv6';

type KindValue = {
  u8: number;
  u16: number;
  u24: number;
  u32: number;
  u64: bigint;
  mac: string;
  ipv4: string;
  ipv6: string;
};

const KIND_BYTES: Record<OxmKind, number> = { u8: 1, u16: 2, u24: 3, u32: 4, u64: 8, mac: 6, ipv4: 4, ipv6: 16 };

/** A prerequisite: another field must be present with one of these values (or just present). */
export interface Prereq {
  /** An OxmFieldName (typed as string: the table below defines the names). */
  readonly field: string;
  readonly values?: readonly number[];
  /** VLAN_PCP: VLAN_VID must be present and not OFPVID_NONE. */
  readonly notNone?: boolean;
}

interface FieldDef {
  readonly id: number;
  readonly kind: OxmKind;
  /** Significant bits of the value (values with other bits set are BAD_VALUE). */
  readonly bits: number;
  readonly maskable: boolean;
  readonly settable: boolean;
  /** Alternatives: any one satisfied is enough. */
  readonly prereq?: readonly Prereq[];
  /** Open vSwitch's name. */
  readonly ovs: string;
}

const IP = [{ field: 'ETH_TYPE', values: [ETH_TYPE.IPV4, ETH_TYPE.IPV6] }] as const;
const V4 = [{ field: 'ETH_TYPE', values: [ETH_TYPE.IPV4] }] as const;
const V6 = [{ field: 'ETH_TYPE', values: [ETH_TYPE.IPV6] }] as const;
const ARP = [{ field: 'ETH_TYPE', values: [ETH_TYPE.ARP] }] as const;
const MPLS = [{ field: 'ETH_TYPE', values: [ETH_TYPE.MPLS, ETH_TYPE.MPLS_MCAST] }] as const;
const proto = (n: number) => [{ field: 'IP_PROTO', values: [n] }] as const;

const f = (
  id: number,
  kind: OxmKind,
  bits: number,
  maskable: boolean,
  settable: boolean,
  ovs: string,
  prereq?: readonly Prereq[],
): FieldDef => ({ id, kind, bits, maskable, settable, ovs, ...(prereq ? { prereq } : {}) });

/** Every OpenFlow-basic OXM field (class 0x8000), in id order. */
export const OXM_FIELDS = {
  IN_PORT: f(0, 'u32', 32, false, false, 'in_port'),
  IN_PHY_PORT: f(1, 'u32', 32, false, false, 'in_phy_port', [{ field: 'IN_PORT' }]),
  METADATA: f(2, 'u64', 64, true, false, 'metadata'),
  ETH_DST: f(3, 'mac', 48, true, true, 'eth_dst'),
  ETH_SRC: f(4, 'mac', 48, true, true, 'eth_src'),
  ETH_TYPE: f(5, 'u16', 16, false, true, 'eth_type'),
  VLAN_VID: f(6, 'u16', 13, true, true, 'vlan_vid'),
  VLAN_PCP: f(7, 'u8', 3, false, true, 'vlan_pcp', [{ field: 'VLAN_VID', notNone: true }]),
  IP_DSCP: f(8, 'u8', 6, false, true, 'ip_dscp', IP),
  IP_ECN: f(9, 'u8', 2, false, true, 'nw_ecn', IP),
  IP_PROTO: f(10, 'u8', 8, false, true, 'nw_proto', IP),
  IPV4_SRC: f(11, 'ipv4', 32, true, true, 'nw_src', V4),
  IPV4_DST: f(12, 'ipv4', 32, true, true, 'nw_dst', V4),
  TCP_SRC: f(13, 'u16', 16, false, true, 'tcp_src', proto(6)),
  TCP_DST: f(14, 'u16', 16, false, true, 'tcp_dst', proto(6)),
  UDP_SRC: f(15, 'u16', 16, false, true, 'udp_src', proto(17)),
  UDP_DST: f(16, 'u16', 16, false, true, 'udp_dst', proto(17)),
  SCTP_SRC: f(17, 'u16', 16, false, true, 'sctp_src', proto(132)),
  SCTP_DST: f(18, 'u16', 16, false, true, 'sctp_dst', proto(132)),
  ICMPV4_TYPE: f(19, 'u8', 8, false, true, 'icmp_type', proto(1)),
  ICMPV4_CODE: f(20, 'u8', 8, false, true, 'icmp_code', proto(1)),
  ARP_OP: f(21, 'u16', 16, false, true, 'arp_op', ARP),
  ARP_SPA: f(22, 'ipv4', 32, true, true, 'arp_spa', ARP),
  ARP_TPA: f(23, 'ipv4', 32, true, true, 'arp_tpa', ARP),
  ARP_SHA: f(24, 'mac', 48, true, true, 'arp_sha', ARP),
  ARP_THA: f(25, 'mac', 48, true, true, 'arp_tha', ARP),
  IPV6_SRC: f(26, 'ipv6', 128, true, true, 'ipv6_src', V6),
  IPV6_DST: f(27, 'ipv6', 128, true, true, 'ipv6_dst', V6),
  IPV6_FLABEL: f(28, 'u32', 20, true, true, 'ipv6_label', V6),
  ICMPV6_TYPE: f(29, 'u8', 8, false, true, 'icmpv6_type', proto(58)),
  ICMPV6_CODE: f(30, 'u8', 8, false, true, 'icmpv6_code', proto(58)),
  IPV6_ND_TARGET: f(31, 'ipv6', 128, false, true, 'nd_target', [{ field: 'ICMPV6_TYPE', values: [135, 136] }]),
  IPV6_ND_SLL: f(32, 'mac', 48, false, true, 'nd_sll', [{ field: 'ICMPV6_TYPE', values: [135] }]),
  IPV6_ND_TLL: f(33, 'mac', 48, false, true, 'nd_tll', [{ field: 'ICMPV6_TYPE', values: [136] }]),
  MPLS_LABEL: f(34, 'u32', 20, false, true, 'mpls_label', MPLS),
  MPLS_TC: f(35, 'u8', 3, false, true, 'mpls_tc', MPLS),
  MPLS_BOS: f(36, 'u8', 1, false, true, 'mpls_bos', MPLS),
  PBB_ISID: f(37, 'u24', 24, true, true, 'pbb_isid', [{ field: 'ETH_TYPE', values: [ETH_TYPE.PBB] }]),
  TUNNEL_ID: f(38, 'u64', 64, true, true, 'tunnel_id'),
  IPV6_EXTHDR: f(39, 'u16', 9, true, false, 'ipv6_exthdr', V6),
} as const satisfies Record<string, FieldDef>;

export type OxmFieldName = keyof typeof OXM_FIELDS;
type KindOf<N extends OxmFieldName> = (typeof OXM_FIELDS)[N]['kind'];
export type OxmValue<N extends OxmFieldName> = KindValue[KindOf<N>];

/** An OpenFlow-basic OXM. `mask` is present only for a masked TLV (hasmask=1). */
export type OxmBasic = {
  [N in OxmFieldName]: { field: N; value: OxmValue<N>; mask?: OxmValue<N> | undefined };
}[OxmFieldName];

/** An OXM of another class (NXM, experimenter) or an unknown field, kept as it came. */
export interface OxmOpaque {
  field: 'OPAQUE';
  oxmClass: number;
  oxmField: number;
  hasMask: boolean;
  /** The payload after the 4-byte header (experimenter OXMs: the experimenter id first). */
  body: Uint8Array;
}

export type Oxm = OxmBasic | OxmOpaque;
export type Match = Oxm[];

export const OXM_CLASS = {
  NXM_0: 0x0000,
  NXM_1: 0x0001,
  OPENFLOW_BASIC: 0x8000,
  EXPERIMENTER: 0xffff,
} as const;

export interface OxmFieldInfo extends FieldDef {
  readonly name: OxmFieldName;
  readonly bytes: number;
}

/** Field definitions indexed by OXM field id. */
export const OXM_BY_ID: readonly OxmFieldInfo[] = Object.entries(OXM_FIELDS)
  .map(([name, d]) => ({ ...d, name: name as OxmFieldName, bytes: KIND_BYTES[d.kind] }))
  .sort((a, b) => a.id - b.id);

export function oxmInfo(name: OxmFieldName): OxmFieldInfo {
  return OXM_BY_ID[OXM_FIELDS[name].id] as OxmFieldInfo;
}

// ---------------------------------------------------------------------------------------
// Value readers and writers per kind.

type Read = (b: Uint8Array, dv: DataView, p: number) => unknown;
/** Writes a value of a kind; `what` names the field in the TypeError for a value out of range. */
type Write = (b: Uint8Array, dv: DataView, p: number, v: never, what: string) => void;

export function ipv4Str(b: Uint8Array, p: number): string {
  return `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;
}

/** Write dotted-quad text as 4 bytes. */
export function ipv4Put(b: Uint8Array, p: number, s: string): void {
  let i = 0;
  for (let k = 0; k < 4; k++) {
    if (k > 0) {
      if (s.charCodeAt(i) !== 46) throw new TypeError(`not an IPv4 address: ${s}`);
      i++;
    }
    let n = 0;
    const start = i;
    for (let c = s.charCodeAt(i); c >= 48 && c <= 57 && i - start < 3; c = s.charCodeAt(++i)) n = n * 10 + (c - 48);
    if (i === start || n > 255) throw new TypeError(`not an IPv4 address: ${s}`);
    b[p + k] = n;
  }
  if (i !== s.length) throw new TypeError(`not an IPv4 address: ${s}`);
}

/**
 * IPv6 text as glibc's (and so Open vSwitch's) inet_ntop writes it: lower case, no leading
 * zeros, the first longest run of two or more zero groups compressed to "::" (RFC 5952), and
 * the last 32 bits as a dotted quad for an IPv4-mapped address (::ffff:a.b.c.d) and for an
 * IPv4-compatible one (::a.b.c.d, when exactly the first six groups are zero: not :: or ::1,
 * nor ::ffff, whose seventh group is zero too). ipv6Put reads all of these back.
 */
export function ipv6Str(b: Uint8Array, p: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[p + 2 * i]! << 8) | b[p + 2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
    return `::${bestLen === 5 ? 'ffff:' : ''}${b[p + 12]}.${b[p + 13]}.${b[p + 14]}.${b[p + 15]}`;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export function ipv6Put(b: Uint8Array, p: number, s: string): void {
  const bad = () => new TypeError(`not an IPv6 address: ${s}`);
  let head = s;
  let tail = '';
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    head = s.slice(0, dbl);
    tail = s.slice(dbl + 2);
    if (tail.includes('::')) throw bad();
  }
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    items.forEach((x, i) => {
      if (i === items.length - 1 && x.includes('.')) {
        const t = new Uint8Array(4);
        ipv4Put(t, 0, x);
        out.push((t[0]! << 8) | t[1]!, (t[2]! << 8) | t[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(x)) throw bad();
        out.push(parseInt(x, 16));
      }
    });
    return out;
  };
  const h = parse(head);
  const t = parse(tail);
  const fill = 8 - h.length - t.length;
  if ((dbl < 0 && fill !== 0) || (dbl >= 0 && fill < 1)) throw bad();
  const groups = [...h, ...new Array<number>(dbl >= 0 ? fill : 0).fill(0), ...t];
  groups.forEach((x, i) => {
    b[p + 2 * i] = x >> 8;
    b[p + 2 * i + 1] = x & 0xff;
  });
}

const READ: Record<OxmKind, Read> = {
  u8: (b, _dv, p) => b[p],
  u16: (_b, dv, p) => dv.getUint16(p),
  u24: (b, _dv, p) => (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!,
  u32: (_b, dv, p) => dv.getUint32(p),
  u64: (_b, dv, p) => dv.getBigUint64(p),
  mac: (b, _dv, p) => macStr(b, p),
  ipv4: (b, _dv, p) => ipv4Str(b, p),
  ipv6: (b, _dv, p) => ipv6Str(b, p),
};

const WRITE: Record<OxmKind, Write> = {
  u8: (b, _dv, p, v, what) => void (b[p] = checkUint(v, 8, what)),
  u16: (_b, dv, p, v, what) => dv.setUint16(p, checkUint(v, 16, what)),
  u24: (b, _dv, p, v, what) => {
    const n = checkUint(v, 24, what);
    b[p] = n >>> 16;
    b[p + 1] = (n >>> 8) & 0xff;
    b[p + 2] = n & 0xff;
  },
  u32: (_b, dv, p, v, what) => dv.setUint32(p, checkUint(v, 32, what)),
  u64: (_b, dv, p, v, what) => dv.setBigUint64(p, checkU64(v, what)),
  mac: (b, _dv, p, v) => macPut(b, p, v),
  ipv4: (b, _dv, p, v) => ipv4Put(b, p, v),
  ipv6: (b, _dv, p, v) => ipv6Put(b, p, v),
};

/** The wire bytes of a basic field's value (or mask). */
export function oxmValueBytes<N extends OxmFieldName>(field: N, value: OxmValue<N>): Uint8Array {
  const d = oxmInfo(field);
  const b = new Uint8Array(d.bytes);
  (WRITE[d.kind] as Write)(b, new DataView(b.buffer), 0, value as never, field);
  return b;
}

/**
 * Write a basic field's value (or mask) at the start of `out` (at least 16 bytes; `dv` a
 * DataView of it) and return its width: oxmValueBytes without allocating, for validation.
 */
export function oxmValueInto<N extends OxmFieldName>(field: N, value: OxmValue<N>, out: Uint8Array, dv: DataView): number {
  const d = oxmInfo(field);
  (WRITE[d.kind] as Write)(out, dv, 0, value as never, field);
  return d.bytes;
}

const BY_ID_READ: Read[] = OXM_BY_ID.map((d) => READ[d.kind]);
const BY_ID_WRITE: Write[] = OXM_BY_ID.map((d) => WRITE[d.kind]);

const BAD_MATCH_LEN = errPair('BAD_MATCH', 'BAD_LEN');
const BAD_MATCH_TYPE = errPair('BAD_MATCH', 'BAD_TYPE');
const BAD_FIELD = errPair('BAD_MATCH', 'BAD_FIELD');

/** The OXM TLV codec. `lenErr` lets set-field report BAD_ACTION codes instead. */
export function oxmCodec(lenErr: ErrorPair = BAD_MATCH_LEN, fieldErr: ErrorPair = BAD_FIELD): Codec<Oxm> {
  return {
    name: 'oxm',
    fixed: undefined,
    decode(r: Reader, end: number): Oxm {
      const p = r.pos;
      if (p + 4 > end) throw fail(r, lenErr, 'oxm: truncated header');
      const dv = r.dv;
      const cls = dv.getUint16(p);
      const fh = r.b[p + 2]!;
      const len = r.b[p + 3]!;
      const field = fh >>> 1;
      const hasMask = (fh & 1) === 1;
      if (p + 4 + len > end) throw fail(r, lenErr, `oxm: length ${len} beyond its container`);
      r.pos = p + 4 + len;
      if (cls === OXM_CLASS.OPENFLOW_BASIC) {
        const d = OXM_BY_ID[field];
        if (d === undefined) throw fail(r, fieldErr, `oxm: unknown OpenFlow-basic field ${field}`);
        if (len !== (hasMask ? 2 * d.bytes : d.bytes)) {
          throw fail(r, lenErr, `oxm ${d.name}: length ${len}, expected ${hasMask ? 2 * d.bytes : d.bytes}`);
        }
        const read = BY_ID_READ[field] as Read;
        const value = read(r.b, dv, p + 4);
        const mask = hasMask ? read(r.b, dv, p + 4 + d.bytes) : undefined;
        return { field: d.name, value, mask } as Oxm;
      }
      return { field: 'OPAQUE', oxmClass: cls, oxmField: field, hasMask, body: r.b.subarray(p + 4, p + 4 + len) };
    },
    size(v: Oxm): number {
      if (v.field === 'OPAQUE') return 4 + v.body.length;
      const d = OXM_BY_ID[OXM_FIELDS[v.field].id] as OxmFieldInfo;
      return 4 + (v.mask === undefined ? d.bytes : 2 * d.bytes);
    },
    write(w, v: Oxm): void {
      const p = w.pos;
      const dv = w.dv;
      if (v.field === 'OPAQUE') {
        if (v.body.length > 255) throw new TypeError('oxm: opaque body longer than 255 bytes');
        dv.setUint16(p, checkUint(v.oxmClass, 16, 'oxmClass'));
        w.b[p + 2] = (checkUint(v.oxmField, 7, 'oxmField') << 1) | (v.hasMask ? 1 : 0);
        w.b[p + 3] = v.body.length;
        w.b.set(v.body, p + 4);
        w.pos = p + 4 + v.body.length;
        return;
      }
      const def = OXM_FIELDS[v.field] as FieldDef | undefined;
      if (def === undefined) throw new TypeError(`oxm: unknown field ${String(v.field)}`);
      const d = OXM_BY_ID[def.id] as OxmFieldInfo;
      const masked = v.mask !== undefined;
      dv.setUint16(p, OXM_CLASS.OPENFLOW_BASIC);
      w.b[p + 2] = (d.id << 1) | (masked ? 1 : 0);
      w.b[p + 3] = masked ? 2 * d.bytes : d.bytes;
      const write = BY_ID_WRITE[d.id] as Write;
      write(w.b, dv, p + 4, v.value as never, d.name);
      if (masked) write(w.b, dv, p + 4 + d.bytes, v.mask as never, `${d.name} mask`);
      w.pos = p + 4 + (masked ? 2 * d.bytes : d.bytes);
    },
  };
}

export const oxm: Codec<Oxm> = oxmCodec();

/**
 * ofp_match: type (OFPMT_OXM), length (excluding padding), OXM TLVs, zero padding to 8.
 * Non-zero or missing padding received is kept hidden on the array and sent back.
 */
export const match: Codec<Match> = {
  name: 'match',
  fixed: undefined,
  decode(r, end) {
    const start = r.pos;
    if (start + 4 > end) throw fail(r, BAD_MATCH_LEN, 'match: truncated');
    const type = r.dv.getUint16(start);
    const len = r.dv.getUint16(start + 2);
    if (type !== 1) throw fail(r, BAD_MATCH_TYPE, `match: type ${type} is not OFPMT_OXM`);
    if (len < 4 || start + len > end) throw fail(r, BAD_MATCH_LEN, `match: bad length ${len}`);
    const e = start + len;
    r.pos = start + 4;
    const out: Oxm[] = [];
    while (r.pos < e) out.push(oxm.decode(r, e));
    const padEnd = Math.min(start + ((len + 7) & ~7), end);
    if (padEnd - e !== (8 - (len % 8)) % 8 || !zeros(r.b, e, padEnd)) setRaw(out, { pad$: r.b.slice(e, padEnd) });
    r.pos = padEnd;
    return out;
  },
  size(v) {
    let s = 4;
    for (let i = 0; i < v.length; i++) s += oxm.size(v[i] as Oxm);
    const raw = rawOf(v)?.['pad$'];
    return s + (raw !== undefined ? raw.length : (8 - (s % 8)) % 8);
  },
  write(w, v) {
    const start = w.pos;
    w.dv.setUint16(start, 1);
    w.pos = start + 4;
    for (let i = 0; i < v.length; i++) oxm.write(w, v[i] as Oxm);
    const len = w.pos - start;
    w.dv.setUint16(start + 2, len);
    const raw = (v as { [RAW]?: Record<string, Uint8Array> })[RAW]?.['pad$'];
    if (raw !== undefined) {
      w.b.set(raw, w.pos);
      w.pos += raw.length;
    } else {
      const n = (8 - (len % 8)) % 8;
      w.b.fill(0, w.pos, w.pos + n);
      w.pos += n;
    }
  },
};
