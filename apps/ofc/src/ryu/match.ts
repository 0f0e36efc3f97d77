// Matches in Ryu's ofctl JSON (ofctl_v1_3.to_match / match_to_str), both ways.
//
// In: { "in_port": 1, "dl_dst": "00:00:00:00:00:02", "nw_dst": "10.0.0.0/8", ... } with
// Ryu's field names (the OXM names in lower case) and its old aliases (dl_*, nw_*, tp_*);
// masks as "value/mask" (or a prefix length for addresses); dl_vlan/vlan_vid as a VID
// (OFPVID_PRESENT added) when decimal, raw when hex. The OXMs come out in field-id order,
// which puts every prerequisite first; missing prerequisites are left for the switch to
// refuse (BAD_MATCH/BAD_PREREQ), as with Ryu.
//
// Out: the flow-stats form: old names where Ryu prints them (dl_src, nw_dst, tp_src, ...),
// masked values as "value/mask", dl_vlan as the VID text, in_port by reserved name.

import {
  OFPVID,
  OXM_FIELDS,
  type Match,
  type OxmBasic,
  type OxmFieldName,
  ipv4Put,
  ipv4Str,
  ipv6Put,
  ipv6Str,
} from '@rumpflow/openflow';
import { RyuValueError, portFromUser, portToUser, strToInt, uint, uint64 } from './ints.js';

/** A match as JSON: field name to value. */
export type RyuMatch = Record<string, unknown>;

const ALIASES: Readonly<Record<string, string>> = {
  dl_dst: 'eth_dst',
  dl_src: 'eth_src',
  dl_type: 'eth_type',
  dl_vlan: 'vlan_vid',
  nw_src: 'ipv4_src',
  nw_dst: 'ipv4_dst',
  nw_proto: 'ip_proto',
};

const OUT_NAMES: Readonly<Record<string, string>> = {
  eth_src: 'dl_src',
  eth_dst: 'dl_dst',
  eth_type: 'dl_type',
  vlan_vid: 'dl_vlan',
  ipv4_src: 'nw_src',
  ipv4_dst: 'nw_dst',
  ip_proto: 'nw_proto',
  tcp_src: 'tp_src',
  tcp_dst: 'tp_dst',
  udp_src: 'tp_src',
  udp_dst: 'tp_dst',
};

/** The OXM field of a Ryu name (in_port, eth_dst, icmpv4_type, ipv6_nd_target, ...). */
export function oxmFieldOf(ryuName: string): OxmFieldName | undefined {
  const up = (ALIASES[ryuName] ?? ryuName).toUpperCase();
  return Object.hasOwn(OXM_FIELDS, up) ? (up as OxmFieldName) : undefined;
}

/** Ryu's name of an OXM field. */
export function ryuNameOf(field: OxmFieldName): string {
  return field.toLowerCase();
}

const MAC = /^[0-9a-fA-F]{1,2}([:-][0-9a-fA-F]{1,2}){5}$/;

function mac(v: unknown, what: string): string {
  if (typeof v !== 'string' || !MAC.test(v))
    throw new RyuValueError(`${what}: ${JSON.stringify(v)} is not a MAC address`);
  return v
    .split(/[:-]/)
    .map((x) => x.padStart(2, '0').toLowerCase())
    .join(':');
}

function ipv4(v: string, what: string): string {
  const b = new Uint8Array(4);
  try {
    ipv4Put(b, 0, v);
  } catch {
    throw new RyuValueError(`${what}: "${v}" is not an IPv4 address`);
  }
  return ipv4Str(b, 0);
}

function ipv6(v: string, what: string): string {
  const b = new Uint8Array(16);
  try {
    ipv6Put(b, 0, v);
  } catch {
    throw new RyuValueError(`${what}: "${v}" is not an IPv6 address`);
  }
  return ipv6Str(b, 0);
}

function prefixMask(len: number, bytes: number): Uint8Array {
  const b = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++)
    b[i] = len >= 8 * (i + 1) ? 0xff : len <= 8 * i ? 0 : (0xff << (8 - (len - 8 * i))) & 0xff;
  return b;
}

/** "addr", "addr/len" or "addr/mask" (IPv4 or IPv6). */
function ipValue(v: unknown, v6: boolean, what: string): { value: string; mask?: string } {
  if (typeof v !== 'string')
    throw new RyuValueError(`${what}: ${JSON.stringify(v)} is not an ${v6 ? 'IPv6' : 'IPv4'} address`);
  const slash = v.indexOf('/');
  const parse = v6 ? ipv6 : ipv4;
  if (slash < 0) return { value: parse(v, what) };
  const value = parse(v.slice(0, slash), what);
  const m = v.slice(slash + 1);
  if (/^\d+$/.test(m)) {
    const len = Number(m);
    if (len > (v6 ? 128 : 32)) throw new RyuValueError(`${what}: prefix length ${len} is too long`);
    const b = prefixMask(len, v6 ? 16 : 4);
    return { value, mask: v6 ? ipv6Str(b, 0) : ipv4Str(b, 0) };
  }
  return { value, mask: parse(m, what) };
}

/** "value" or "value/mask", for the maskable integer fields. */
function maskedInt(v: unknown, what: string): { value: bigint; mask?: bigint } {
  if (typeof v === 'string' && v.includes('/')) {
    const [a, b] = v.split('/');
    return { value: strToInt(a, what), mask: strToInt(b, what) };
  }
  return { value: strToInt(v, what) };
}

/** Ryu's to_match_vid: a decimal VID gets OFPVID_PRESENT; hex text and masks are raw. */
function vlanVid(v: unknown, what: string): { value: bigint; mask?: bigint } {
  if (typeof v === 'number' || typeof v === 'bigint')
    return { value: strToInt(v, what) | BigInt(OFPVID.PRESENT) };
  if (typeof v === 'string') {
    if (v.includes('/')) return maskedInt(v, what);
    if (/^\d+$/.test(v.trim())) return { value: strToInt(v, what) | BigInt(OFPVID.PRESENT) };
    return { value: strToInt(v, what) };
  }
  throw new RyuValueError(`${what}: ${JSON.stringify(v)} is not a VLAN id`);
}

function fits(n: bigint, bytes: number, what: string): bigint {
  if (n < 0n || n >= 1n << BigInt(8 * bytes))
    throw new RyuValueError(`${what}: ${n} does not fit in ${8 * bytes} bits`);
  return n;
}

/** One OXM from a Ryu field name (already unaliased) and its JSON value. */
export function oxmFromRyu(name: string, v: unknown): OxmBasic {
  const field = oxmFieldOf(name);
  if (field === undefined) throw new RyuValueError(`unknown match field "${name}"`);
  const def = OXM_FIELDS[field];
  const what = `match field ${name}`;
  if (field === 'IN_PORT') return { field, value: portFromUser(v, what) };
  switch (def.kind) {
    case 'mac': {
      if (typeof v === 'string' && v.includes('/')) {
        const [a, b] = v.split('/');
        return { field, value: mac(a, what), mask: mac(b, what) } as OxmBasic;
      }
      return { field, value: mac(v, what) } as OxmBasic;
    }
    case 'ipv4':
    case 'ipv6': {
      const r = ipValue(v, def.kind === 'ipv6', what);
      return (
        r.mask === undefined ? { field, value: r.value } : { field, value: r.value, mask: r.mask }
      ) as OxmBasic;
    }
    case 'u64': {
      const r = maskedInt(v, what);
      const value = fits(r.value, 8, what);
      return (
        r.mask === undefined ? { field, value } : { field, value, mask: fits(r.mask, 8, what) }
      ) as OxmBasic;
    }
    default: {
      const bytes = { u8: 1, u16: 2, u24: 3, u32: 4 }[def.kind];
      const r =
        field === 'VLAN_VID'
          ? vlanVid(v, what)
          : def.maskable
            ? maskedInt(v, what)
            : { value: strToInt(v, what) };
      const value = Number(fits(r.value, bytes, what));
      if (r.mask === undefined) return { field, value } as OxmBasic;
      return { field, value, mask: Number(fits(r.mask, bytes, what)) } as OxmBasic;
    }
  }
}

/** A match from Ryu's JSON, OXMs in field-id order. */
export function matchFromRyu(attrs: RyuMatch | undefined | null): OxmBasic[] {
  if (attrs === undefined || attrs === null) return [];
  if (typeof attrs !== 'object' || Array.isArray(attrs)) throw new RyuValueError('match: expected an object');
  const a: RyuMatch = { ...attrs };
  const ethType = a['eth_type'] ?? a['dl_type'];
  // Ryu: nw_src/nw_dst of an ARP match are the ARP addresses
  if (ethType !== undefined && strToInt(ethType, 'match field eth_type') === 0x0806n) {
    if ('nw_src' in a && !('arp_spa' in a)) {
      a['arp_spa'] = a['nw_src'];
      delete a['nw_src'];
    }
    if ('nw_dst' in a && !('arp_tpa' in a)) {
      a['arp_tpa'] = a['nw_dst'];
      delete a['nw_dst'];
    }
  }
  const out = new Map<OxmFieldName, OxmBasic>();
  for (const [key, value] of Object.entries(a)) {
    let name = ALIASES[key] ?? key;
    if (name === 'tp_src' || name === 'tp_dst') {
      const proto = a['ip_proto'] ?? a['nw_proto'];
      const p = proto === undefined ? undefined : uint(proto, 8, 'match field ip_proto');
      const l4 = p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 132 ? 'sctp' : undefined;
      if (l4 === undefined)
        throw new RyuValueError(`match field ${name}: needs nw_proto 6 (TCP), 17 (UDP) or 132 (SCTP)`);
      name = `${l4}${name.slice(2)}`;
    }
    const oxm = oxmFromRyu(name, value);
    if (out.has(oxm.field)) throw new RyuValueError(`match field ${name} given twice (${key})`);
    out.set(oxm.field, oxm);
  }
  return [...out.values()].sort((x, y) => OXM_FIELDS[x.field].id - OXM_FIELDS[y.field].id);
}

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** Ryu's match_to_str: the match of a flow entry as JSON. */
export function matchToRyu(match: Match): RyuMatch {
  const out: RyuMatch = {};
  for (const o of match) {
    if (o.field === 'OPAQUE') {
      const key = `oxm_${o.oxmClass.toString(16).padStart(4, '0')}_${o.oxmField}`;
      if (!(key in out)) out[key] = Buffer.from(o.body).toString('hex');
      continue;
    }
    const name = ryuNameOf(o.field);
    const key = OUT_NAMES[name] ?? name;
    let value: unknown;
    if (o.field === 'VLAN_VID') {
      const v = o.value as number;
      if (o.mask !== undefined) value = `${hex4(v)}/${hex4(o.mask as number)}`;
      else value = (v & OFPVID.PRESENT) !== 0 ? String(v & ~OFPVID.PRESENT) : hex4(v);
    } else if (o.field === 'IN_PORT') {
      value = portToUser(o.value as number);
    } else {
      value = o.mask !== undefined ? `${String(o.value)}/${String(o.mask)}` : o.value;
    }
    if (!(key in out)) out[key] = value;
  }
  return out;
}

/** A settable field's value for SET_FIELD, as Ryu passes it: raw (vlan_vid with its present bit). */
export function setFieldValue(name: string, v: unknown): OxmBasic {
  const field = oxmFieldOf(name);
  if (field === undefined) throw new RyuValueError(`SET_FIELD: unknown field "${name}"`);
  const what = `SET_FIELD ${name}`;
  const def = OXM_FIELDS[field];
  switch (def.kind) {
    case 'mac':
      return { field, value: mac(v, what) } as OxmBasic;
    case 'ipv4':
    case 'ipv6':
      if (typeof v !== 'string') throw new RyuValueError(`${what}: ${JSON.stringify(v)} is not an address`);
      return { field, value: def.kind === 'ipv4' ? ipv4(v, what) : ipv6(v, what) } as OxmBasic;
    case 'u64':
      return { field, value: uint64(v, what) } as OxmBasic;
    default: {
      const bytes = { u8: 1, u16: 2, u24: 3, u32: 4 }[def.kind];
      return { field, value: Number(fits(strToInt(v, what), bytes, what)) } as OxmBasic;
    }
  }
}
