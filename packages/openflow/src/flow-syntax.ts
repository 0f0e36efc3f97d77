// Open vSwitch's flow syntax for OpenFlow 1.3, both ways: parseFlow reads the text
// `ovs-ofctl -O OpenFlow13 add-flow / mod-flows / del-flows` takes (ovs-fields(7),
// ovs-actions(7)) into a FlowSpec whose match and instructions are the codec's own objects,
// flowModFrom makes the FLOW_MOD, formatFlowSpec writes the text back.
//
// It follows ovs-ofctl: the same tokenizer (key=value or key:value pairs split on commas
// and white space, parentheses nesting), field names and aliases, protocol shorthands,
// number bases, instruction order, and the match and action prerequisites. The match comes
// out in the order Open vSwitch encodes it, so the bytes equal those ovs-ofctl sends.
// Where ovs-ofctl would silently drop or change part of a flow (a field without its
// prerequisite, a value too wide for its field, a repeated field, a PCP without a VLAN,
// a mask on a field OpenFlow 1.3 cannot mask, table 255 in an add, a Nicira encoding
// where OpenFlow 1.3 has none) parseFlow refuses instead, with a FlowSyntaxError naming
// the token. It also reads what the codec's formatter prints beyond Open vSwitch's syntax
// (pbb_isid, in_phy_port, ipv6_exthdr, push_pbb, pop_pbb, copy_ttl_in/out, an explicit
// apply_actions(...)), so formatFlowSpec's text always reads back.

import type { Action, ActionType, Instruction } from './actions.js';
import { ETH_TYPE, OFPCML, OFPFC, OFPFF, OFPG, OFPM, OFPP, OFPTT, OFP_NO_BUFFER } from './constants.js';
import { formatInstructions, formatMatch, formatPort } from './format.js';
import { macStr } from './layout.js';
import type { FlowMod } from './messages.js';
import {
  type OxmBasic,
  type OxmFieldName,
  type OxmKind,
  type Prereq,
  OXM_FIELDS,
  ipv4Put,
  ipv4Str,
  ipv6Put,
  ipv6Str,
  oxmValueBytes,
} from './oxm.js';

// ---------------------------------------------------------------------------------------
// The result and its errors.

/** A flow as parsed: the FLOW_MOD's fields but its command, buffer id and xid. */
export interface FlowSpec {
  /** Default 0; OFPTT.ALL (255) for the delete commands. */
  tableId: number;
  /** Default 32768. */
  priority: number;
  cookie: bigint;
  /** Present when the text gave `cookie=V/M` (modify and delete select flows by cookie). */
  cookieMask?: bigint;
  idleTimeout: number;
  hardTimeout: number;
  /** OFPFF bits: send_flow_rem, check_overlap, reset_counts, no_packet_counts, no_byte_counts. */
  flags: number;
  /** Deletes only: `out_port=` (default OFPP.ANY). */
  outPort?: number;
  /** Deletes only: `out_group=` (default OFPG.ANY). */
  outGroup?: number;
  /** The match, prerequisites first, in Open vSwitch's encoding order. */
  match: OxmBasic[];
  instructions: Instruction[];
}

/** OFPFC.ADD ... OFPFC.DELETE_STRICT. */
export type FlowModCommand = (typeof OFPFC)[keyof typeof OFPFC];

/** A flow text parseFlow refuses: `token` is the offending part of the text. */
export class FlowSyntaxError extends Error {
  override readonly name = 'FlowSyntaxError';

  constructor(
    readonly token: string,
    readonly reason: string,
  ) {
    super(`${token}: ${reason}`);
  }
}

function fail(token: string, reason: string): never {
  throw new FlowSyntaxError(token, reason);
}

/** A table's own entry for a word of the text (never Object.prototype's "constructor" ...). */
function lookup<T>(table: Readonly<Record<string, T>>, word: string): T | undefined {
  return Object.hasOwn(table, word) ? table[word] : undefined;
}

// ---------------------------------------------------------------------------------------
// Tokens: Open vSwitch's ofputil_parse_key_value.

interface Pair {
  readonly key: string;
  /** undefined for a bare word ("tcp", "drop", "send_flow_rem"). */
  readonly value: string | undefined;
  /** The pair as written, for error messages. */
  readonly token: string;
}

const DELIMITERS = ', \t\r\n';
const KEY_END = ':=(' + DELIMITERS;

/** The end of a value starting at i: the first delimiter outside parentheses. */
function valueEnd(s: string, i: number, delimiters: string): number {
  while (i < s.length && !delimiters.includes(s[i]!)) {
    if (s[i] !== '(') {
      i++;
      continue;
    }
    const open = i;
    for (let level = 0; ; i++) {
      if (i >= s.length) fail(s.slice(open), 'unbalanced parentheses');
      if (s[i] === '(') level++;
      else if (s[i] === ')' && --level === 0) break;
    }
    i++;
  }
  return i;
}

/** `key=value`, `key:value`, `key(value)` and bare `key`, separated by commas or white space. */
function pairs(s: string): Pair[] {
  const out: Pair[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && DELIMITERS.includes(s[i]!)) i++;
    if (i >= s.length) return out;
    const start = i;
    while (i < s.length && !KEY_END.includes(s[i]!)) i++;
    const key = s.slice(start, i);
    const delimiter = s[i];
    if (delimiter !== ':' && delimiter !== '=' && delimiter !== '(') {
      out.push({ key, value: undefined, token: key });
      continue;
    }
    const from = i + 1;
    i = valueEnd(s, from, delimiter === '(' ? ')' : DELIMITERS);
    if (delimiter === '(' && s[i] !== ')') fail(s.slice(start), 'unbalanced parentheses');
    out.push({ key, value: s.slice(from, i), token: s.slice(start, delimiter === '(' ? i + 1 : i) });
    if (i < s.length) i++;
  }
}

/** Everything after `actions=` is the action list (Open vSwitch's ofp_extract_actions). */
function splitActions(text: string): { match: string; actions: string | undefined } {
  const at = text.indexOf('action');
  if (at < 0) return { match: text, actions: undefined };
  const eq = text.indexOf('=', at);
  if (eq < 0) fail(text.slice(at), "actions must be followed by '='");
  return { match: text.slice(0, at), actions: text.slice(eq + 1) };
}

// ---------------------------------------------------------------------------------------
// Numbers, ports and field values.

const U64_MAX = 0xffffffffffffffffn;

/**
 * C's strtoull with base 0, as Open vSwitch reads most numbers: 0x hex, a leading 0 octal,
 * else decimal. `negative` allows `-N` (two's complement, strtoull's reading), for cookies.
 */
function cNumber(text: string, token: string, max: bigint, negative = false): bigint {
  const m = /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m || (m[1] && !negative)) fail(token, `${text || '(empty)'} is not a number`);
  const digits = m[2]!;
  let n = /^0[0-7]/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  if (m[1]) n = (U64_MAX + 1n - n) & U64_MAX;
  if (n > max) fail(token, `${text} is out of range (at most ${max})`);
  return n;
}

const int = (text: string, token: string, max: number): number => Number(cNumber(text, token, BigInt(max)));

/** Table numbers and port numbers are decimal only. */
function decimal(text: string, token: string, max: number): number {
  if (!/^[0-9]+$/.test(text)) fail(token, `${text || '(empty)'} is not a decimal number`);
  const n = Number(text);
  if (n > max) fail(token, `${text} is out of range (at most ${max})`);
  return n;
}

function required(value: string | undefined, token: string, what: string): string {
  if (value === undefined || value === '') fail(token, `missing ${what}`);
  return value;
}

const PORTS: ReadonlyMap<string, number> = new Map([
  ...Object.entries(OFPP)
    .filter(([name]) => name !== 'MAX')
    .map(([name, port]) => [name.toLowerCase(), port] as const),
  ['none', OFPP.ANY],
]);

/** A port: its number (decimal) or a reserved port's name, in any case. */
function parsePort(text: string, token: string): number {
  const named = PORTS.get(text.toLowerCase());
  if (named !== undefined) return named;
  if (!/^[0-9]+$/.test(text))
    fail(token, `${text || '(empty)'} is not a port (a number, LOCAL, CONTROLLER, IN_PORT ...)`);
  return decimal(text, token, 0xffffffff);
}

type Value = number | bigint | string;

interface Masked {
  readonly value: Value;
  readonly mask?: Value;
}

const MAC = /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/;

/** The text of one value of a kind, read into the codec's representation. */
const READ_KIND: Record<OxmKind, (text: string, token: string, bits: number) => Value> = {
  u8: (t, token, bits) => int(t, token, 2 ** bits - 1),
  u16: (t, token, bits) => int(t, token, 2 ** bits - 1),
  u24: (t, token, bits) => int(t, token, 2 ** bits - 1),
  u32: (t, token, bits) => int(t, token, 2 ** bits - 1),
  u64: (t, token) => cNumber(t, token, U64_MAX),
  mac: (t, token) => {
    if (!MAC.test(t)) fail(token, `${t} is not an Ethernet address`);
    return t
      .split(':')
      .map((x) => x.padStart(2, '0').toLowerCase())
      .join(':');
  },
  ipv4: (t, token) => addressText(t, token, 4),
  ipv6: (t, token) => addressText(t, token, 16),
};

/** An IPv4 or IPv6 address in its canonical text. */
function addressText(text: string, token: string, bytes: 4 | 16): string {
  const b = new Uint8Array(bytes);
  try {
    (bytes === 4 ? ipv4Put : ipv6Put)(b, 0, text);
  } catch {
    fail(token, `${text} is not an IPv${bytes === 4 ? 4 : 6} address`);
  }
  return bytes === 4 ? ipv4Str(b, 0) : ipv6Str(b, 0);
}

/** `/N` after an IP address: a prefix length as a mask. */
function prefixMask(text: string, token: string, bytes: 4 | 16): string {
  const bits = 8 * bytes;
  const n = Number(text);
  if (n > bits) fail(token, `${text}: IPv${bytes === 4 ? 4 : 6} prefix length not between 0 and ${bits}`);
  const b = new Uint8Array(bytes).map((_x, i) => 0xff & (0xff00 >> Math.min(8, Math.max(0, n - 8 * i))));
  return bytes === 4 ? ipv4Str(b, 0) : ipv6Str(b, 0);
}

function readMask(field: OxmFieldName, text: string, token: string): Value {
  const { kind, bits } = OXM_FIELDS[field];
  if ((kind === 'ipv4' || kind === 'ipv6') && /^[0-9]+$/.test(text))
    return prefixMask(text, token, kind === 'ipv4' ? 4 : 16);
  return READ_KIND[kind](text, token, bits);
}

const bytesOf = (field: OxmFieldName, v: Value): Uint8Array => oxmValueBytes(field, v as never);

function valueOfBytes(kind: OxmKind, b: Uint8Array): string {
  return kind === 'mac' ? macStr(b, 0) : kind === 'ipv4' ? ipv4Str(b, 0) : ipv6Str(b, 0);
}

/**
 * value/mask as Open vSwitch keeps them: value bits outside the mask cleared, an all-ones
 * mask is an exact match, an all-zeros mask no match at all (undefined).
 */
function normalize(field: OxmFieldName, value: Value, mask: Value): Masked | undefined {
  const { kind, bits } = OXM_FIELDS[field];
  if (typeof value === 'bigint' && typeof mask === 'bigint') {
    if (mask === 0n) return undefined;
    return mask === U64_MAX ? { value: value & mask } : { value: value & mask, mask };
  }
  if (typeof value === 'number' && typeof mask === 'number') {
    if (mask === 0) return undefined;
    const v = Number(BigInt(value) & BigInt(mask));
    return mask === 2 ** bits - 1 ? { value: v } : { value: v, mask };
  }
  const v = bytesOf(field, value);
  const m = bytesOf(field, mask);
  if (m.every((x) => x === 0)) return undefined;
  const masked = valueOfBytes(
    kind,
    v.map((x, i) => x & m[i]!),
  );
  return m.every((x) => x === 0xff) ? { value: masked } : { value: masked, mask: valueOfBytes(kind, m) };
}

/** A field's value, `value/mask` where the field may carry a mask; undefined matches anything. */
function readField(field: OxmFieldName, text: string, token: string, maskable: boolean): Masked | undefined {
  const { kind, bits, ovs } = OXM_FIELDS[field];
  const slash = text.indexOf('/');
  const valueText = slash < 0 ? text : text.slice(0, slash);
  const value =
    field === 'IN_PORT' || field === 'IN_PHY_PORT'
      ? parsePort(valueText, token)
      : READ_KIND[kind](valueText, token, bits);
  if (slash < 0) return { value };
  if (!maskable) fail(token, `${ovs} cannot be masked in OpenFlow 1.3`);
  return normalize(field, value, readMask(field, text.slice(slash + 1), token));
}

// ---------------------------------------------------------------------------------------
// Field names: OXM_FIELDS' Open vSwitch names and their aliases.

/** dl_type and nw_proto as far as they are known: what tp_src, nw_src ... mean depends on them. */
interface Protocol {
  readonly ethType: number | undefined;
  readonly ipProto: number | undefined;
}

type Target = OxmFieldName | ((p: Protocol) => OxmFieldName | undefined);

interface FieldKey {
  readonly target: Target;
  /** What a key whose target cannot pick a field needs ("tcp, udp, sctp, icmp or icmp6"). */
  readonly needs?: string;
  /** nw_tos: the ToS byte, whose DSCP bits the OXM holds shifted down by 2. */
  readonly tos?: true;
  /** Match keys are resolved in stages: dl_type (0), then nw_proto (1), then the rest (2). */
  readonly stage: 0 | 1 | 2;
}

const IPV4 = ETH_TYPE.IPV4;
const IPV6 = ETH_TYPE.IPV6;
const isIp = (p: Protocol): boolean => p.ethType === IPV4 || p.ethType === IPV6;
const isArp = (p: Protocol): boolean => p.ethType === ETH_TYPE.ARP || p.ethType === ETH_TYPE.RARP;

/** nw_src, nw_dst and nw_proto mean the ARP fields in an ARP flow. */
const arpOr =
  (arp: OxmFieldName, ip: OxmFieldName): Target =>
  (p) =>
    isArp(p) ? arp : ip;

const PORT_FIELDS: Readonly<Record<number, readonly [OxmFieldName, OxmFieldName]>> = {
  6: ['TCP_SRC', 'TCP_DST'],
  17: ['UDP_SRC', 'UDP_DST'],
  132: ['SCTP_SRC', 'SCTP_DST'],
};

/** tp_src/tp_dst (and the ICMP type and code, which Open vSwitch keeps in the same place). */
function transport(slot: 0 | 1, ports: boolean, icmp: boolean): Target {
  return (p) => {
    if (icmp && p.ethType === IPV4 && p.ipProto === 1) return slot ? 'ICMPV4_CODE' : 'ICMPV4_TYPE';
    if (icmp && p.ethType === IPV6 && p.ipProto === 58) return slot ? 'ICMPV6_CODE' : 'ICMPV6_TYPE';
    return ports && isIp(p) && p.ipProto !== undefined ? PORT_FIELDS[p.ipProto]?.[slot] : undefined;
  };
}

const L4 = 'tcp, udp, sctp, icmp or icmp6 (or their IPv6 forms)';
const L4_PORTS = 'tcp, udp or sctp (or their IPv6 forms)';
const key = (target: Target, stage: 0 | 1 | 2 = 2): FieldKey => ({ target, stage });

/** Names of fields, in matches and in set_field; the VLAN words of matches are VLAN_KEYS. */
const FIELD_KEYS: Readonly<Record<string, FieldKey>> = {
  ...Object.fromEntries(
    (Object.keys(OXM_FIELDS) as OxmFieldName[]).map((n) => [
      OXM_FIELDS[n].ovs,
      key(n, n === 'ETH_TYPE' ? 0 : n === 'IP_PROTO' ? 1 : 2),
    ]),
  ),
  dl_src: key('ETH_SRC'),
  dl_dst: key('ETH_DST'),
  dl_type: key('ETH_TYPE', 0),
  nw_src: key(arpOr('ARP_SPA', 'IPV4_SRC')),
  ip_src: key(arpOr('ARP_SPA', 'IPV4_SRC')),
  nw_dst: key(arpOr('ARP_TPA', 'IPV4_DST')),
  ip_dst: key(arpOr('ARP_TPA', 'IPV4_DST')),
  nw_proto: key(arpOr('ARP_OP', 'IP_PROTO'), 1),
  ip_proto: key(arpOr('ARP_OP', 'IP_PROTO'), 1),
  ip_ecn: key('IP_ECN'),
  nw_tos: { target: 'IP_DSCP', tos: true, stage: 2 },
  tun_id: key('TUNNEL_ID'),
  tp_src: { ...key(transport(0, true, true)), needs: L4 },
  tp_dst: { ...key(transport(1, true, true)), needs: L4 },
  icmp_type: { ...key(transport(0, false, true)), needs: 'icmp or icmp6' },
  icmp_code: { ...key(transport(1, false, true)), needs: 'icmp or icmp6' },
};

function resolve(name: string, k: FieldKey, p: Protocol, token: string): OxmFieldName {
  const field = typeof k.target === 'string' ? k.target : k.target(p);
  return field ?? fail(token, `${name} requires ${k.needs ?? 'a protocol'}`);
}

/** A field's value as written after `name=`, nw_tos's ToS byte turned into the DSCP. */
function readKeyValue(
  k: FieldKey,
  field: OxmFieldName,
  text: string,
  token: string,
  maskable: boolean,
): Masked | undefined {
  if (!k.tos) return readField(field, text, token, maskable);
  const tos = int(text, token, 0xff);
  if (tos % 4 !== 0) fail(token, `${tos} is not a valid ToS: its low 2 bits are the ECN (use nw_ecn)`);
  return { value: tos >> 2 };
}

// ---------------------------------------------------------------------------------------
// Matches.

/** Protocol words: `tcp` is dl_type=0x0800,nw_proto=6. */
const SHORTHANDS: Readonly<Record<string, Partial<Protocol>>> = {
  eth: {},
  ip: { ethType: IPV4 },
  ipv4: { ethType: IPV4 },
  ip4: { ethType: IPV4 },
  ipv6: { ethType: IPV6 },
  ip6: { ethType: IPV6 },
  icmp: { ethType: IPV4, ipProto: 1 },
  icmp6: { ethType: IPV6, ipProto: 58 },
  tcp: { ethType: IPV4, ipProto: 6 },
  tcp6: { ethType: IPV6, ipProto: 6 },
  udp: { ethType: IPV4, ipProto: 17 },
  udp6: { ethType: IPV6, ipProto: 17 },
  sctp: { ethType: IPV4, ipProto: 132 },
  sctp6: { ethType: IPV6, ipProto: 132 },
  arp: { ethType: ETH_TYPE.ARP },
  rarp: { ethType: ETH_TYPE.RARP },
  mpls: { ethType: ETH_TYPE.MPLS },
  mplsm: { ethType: ETH_TYPE.MPLS_MCAST },
};

/** The order in which Open vSwitch encodes OXMs (nx_put_raw): prerequisites come first. */
export const FLOW_MATCH_ORDER = [
  'IN_PORT',
  'IN_PHY_PORT',
  'ETH_SRC',
  'ETH_DST',
  'ETH_TYPE',
  'VLAN_VID',
  'VLAN_PCP',
  'MPLS_TC',
  'MPLS_BOS',
  'MPLS_LABEL',
  'PBB_ISID',
  'IPV4_SRC',
  'IPV4_DST',
  'IPV6_SRC',
  'IPV6_DST',
  'IP_DSCP',
  'IP_ECN',
  'IPV6_FLABEL',
  'IPV6_EXTHDR',
  'IP_PROTO',
  'TCP_SRC',
  'TCP_DST',
  'UDP_SRC',
  'UDP_DST',
  'SCTP_SRC',
  'SCTP_DST',
  'ICMPV4_TYPE',
  'ICMPV4_CODE',
  'ICMPV6_TYPE',
  'ICMPV6_CODE',
  'IPV6_ND_TARGET',
  'IPV6_ND_SLL',
  'IPV6_ND_TLL',
  'ARP_OP',
  'ARP_SPA',
  'ARP_TPA',
  'ARP_SHA',
  'ARP_THA',
  'TUNNEL_ID',
  'METADATA',
] as const satisfies readonly OxmFieldName[];
const RANK = new Map<OxmFieldName, number>(FLOW_MATCH_ORDER.map((n, i) => [n, i]));

/** The 802.1Q TCI bits a VLAN word matches, as Open vSwitch models them. */
interface Tci {
  readonly tci: number;
  readonly mask: number;
}

/** A VLAN word's TCI, and the bits it decides (the PCP words also imply the present bit). */
interface VlanBits extends Tci {
  readonly owns: number;
}

const VID_CFI = 0x1fff;
const CFI = 0x1000;
const PCP = 0xe000;

function maskedInt(text: string, token: string, bits: number): VlanBits {
  const [v = '', m] = text.split('/');
  const mask = m === undefined ? bits : int(m, token, bits);
  return { tci: int(v, token, bits) & mask, mask, owns: bits };
}

function pcpTci(text: string, token: string): VlanBits {
  return { tci: (int(text, token, 7) << 13) | CFI, mask: PCP | CFI, owns: PCP };
}

/** The VLAN words of matches (Open vSwitch's match_set_dl_vlan, _dl_vlan_pcp, _vlan_vid ...). */
const VLAN_KEYS: Readonly<Record<string, (text: string, token: string) => VlanBits>> = {
  vlan_tci: (t, token) => maskedInt(t, token, 0xffff),
  vlan_vid: (t, token) => maskedInt(t, token, VID_CFI),
  dl_vlan: (t, token) => {
    const vid = int(t, token, 0xffff);
    if (vid === 0xffff) return { tci: 0, mask: 0xffff, owns: 0xffff };
    if (vid > 0xfff) fail(token, `${t} is not a VLAN id (0 to 4095, or 0xffff for no VLAN)`);
    return { tci: CFI | vid, mask: VID_CFI, owns: VID_CFI };
  },
  dl_vlan_pcp: pcpTci,
  vlan_pcp: pcpTci,
};

interface Entry {
  /** undefined for a field given with an all-zeros mask: it matches anything. */
  readonly oxm: OxmBasic | undefined;
  readonly token: string;
  /** Set by a protocol word (tcp ...) rather than by the field's own key. */
  readonly implied: boolean;
}

const sameOxm = (a: OxmBasic, b: OxmBasic): boolean =>
  String(a.value) === String(b.value) && String(a.mask) === String(b.mask);
const oxmOf = (field: OxmFieldName, m: Masked): OxmBasic =>
  (m.mask === undefined ? { field, value: m.value } : { field, value: m.value, mask: m.mask }) as OxmBasic;

/** The fields of a match being built, by name, with the tokens that set them. */
class MatchFields {
  readonly entries = new Map<OxmFieldName, Entry>();

  set(field: OxmFieldName, value: Masked | undefined, token: string, implied = false): void {
    const oxm = value && oxmOf(field, value);
    const had = this.entries.get(field);
    if (had === undefined) {
      this.entries.set(field, { oxm, token, implied });
      return;
    }
    if (!had.implied && !implied) fail(token, `duplicate field (also given as ${had.token})`);
    if (!had.oxm || !oxm || !sameOxm(had.oxm, oxm)) fail(token, `conflicts with ${had.token}`);
    if (had.implied) this.entries.set(field, { oxm, token, implied });
  }

  exact(field: OxmFieldName): number | undefined {
    const o = this.entries.get(field)?.oxm;
    return o && o.mask === undefined && typeof o.value === 'number' ? o.value : undefined;
  }

  protocol(): Protocol {
    return { ethType: this.exact('ETH_TYPE'), ipProto: this.exact('IP_PROTO') };
  }
}

interface VlanWord {
  readonly bits: VlanBits;
  readonly token: string;
}

/**
 * The TCI the VLAN words match together. Words may combine where they decide different
 * bits (dl_vlan with dl_vlan_pcp); two that decide the same bits (vlan_tci with dl_vlan)
 * are a duplicate, and words that disagree on a bit they share conflict.
 */
function combineTci(words: readonly VlanWord[]): Tci {
  let tci = 0;
  let mask = 0;
  words.forEach((w, i) => {
    const before = words.slice(0, i);
    const same = before.find((o) => (o.bits.owns & w.bits.owns) !== 0);
    if (same) fail(w.token, `duplicate VLAN match (also given as ${same.token})`);
    const other = before.find((o) => ((o.bits.tci ^ w.bits.tci) & o.bits.mask & w.bits.mask) !== 0);
    if (other) fail(w.token, `conflicts with ${other.token}`);
    tci |= w.bits.tci;
    mask |= w.bits.mask;
  });
  return { tci, mask };
}

/**
 * VLAN_VID and VLAN_PCP for the TCI, as Open vSwitch encodes it for OpenFlow 1.3. A PCP
 * match needs the VLAN-present bit (0x1000) matched as 1, or as 0 with nothing else set
 * (no VLAN, as vlan_tci=0); other PCP matches, and matches on part of the PCP, have no
 * OpenFlow 1.3 form.
 */
function vlanFields(words: readonly VlanWord[], fields: MatchFields): void {
  if (words.length === 0) return;
  const token = words.map((w) => w.token).join(',');
  const { tci, mask } = combineTci(words);
  const pcpMask = mask & PCP;
  if (pcpMask !== 0 && pcpMask !== PCP) fail(token, 'OpenFlow 1.3 cannot match part of the VLAN PCP');
  const present = (mask & tci & CFI) !== 0;
  const none = (mask & CFI) !== 0 && tci === 0;
  if (pcpMask !== 0 && !present && !none) {
    fail(token, 'OpenFlow 1.3 matches a VLAN PCP only together with a VLAN (the 0x1000 bit of vlan_tci)');
  }
  if ((mask & VID_CFI) !== 0) {
    fields.set(
      'VLAN_VID',
      (mask & VID_CFI) === VID_CFI
        ? { value: tci & VID_CFI }
        : { value: tci & VID_CFI, mask: mask & VID_CFI },
      token,
    );
  }
  if (pcpMask !== 0 && present) fields.set('VLAN_PCP', { value: (tci >> 13) & 7 }, token);
}

const ETH_WORDS: Readonly<Record<number, string>> = {
  [ETH_TYPE.IPV4]: 'ip',
  [ETH_TYPE.IPV6]: 'ipv6',
  [ETH_TYPE.ARP]: 'arp',
  [ETH_TYPE.MPLS]: 'mpls',
  [ETH_TYPE.MPLS_MCAST]: 'mplsm',
};
const PROTO_WORDS: Readonly<Record<number, string>> = {
  1: 'icmp',
  6: 'tcp or tcp6',
  17: 'udp or udp6',
  58: 'icmp6',
  132: 'sctp or sctp6',
};

function describePrereq(p: Prereq): string {
  const field = p.field as OxmFieldName;
  if (p.notNone) return 'a VLAN (dl_vlan, or the 0x1000 bit of vlan_tci)';
  if (p.values === undefined) return OXM_FIELDS[field].ovs;
  const word = (v: number): string =>
    field === 'ETH_TYPE'
      ? (ETH_WORDS[v] ?? `dl_type=0x${v.toString(16).padStart(4, '0')}`)
      : field === 'IP_PROTO'
        ? (PROTO_WORDS[v] ?? `nw_proto=${v}`)
        : `${OXM_FIELDS[field].ovs}=${v}`;
  return p.values.map(word).join(' or ');
}

const describePrereqs = (field: OxmFieldName): string =>
  (OXM_FIELDS[field].prereq ?? []).map(describePrereq).join(' or ');

/** Whether a prerequisite holds, given the exact values known and whether a VLAN is there. */
function prereqMet(p: Prereq, exact: (f: OxmFieldName) => number | undefined, vlan: boolean): boolean {
  if (p.notNone) return vlan;
  const v = exact(p.field as OxmFieldName);
  return v !== undefined && (p.values === undefined || p.values.includes(v));
}

const tokenKey = (token: string): string => /^[^:=(]*/.exec(token)?.[0] ?? token;

const ND_FIELDS = new Set<OxmFieldName>(['IPV6_ND_TARGET', 'IPV6_ND_SLL', 'IPV6_ND_TLL']);

function checkMatchPrereqs(fields: MatchFields): void {
  const vid = fields.entries.get('VLAN_VID')?.oxm;
  const vlan = vid !== undefined && (Number(vid.value) & Number(vid.mask ?? CFI) & CFI) !== 0;
  for (const [field, e] of fields.entries) {
    if (e.oxm === undefined) continue;
    const alternatives = OXM_FIELDS[field].prereq;
    if (alternatives && !alternatives.some((p) => prereqMet(p, (f) => fields.exact(f), vlan))) {
      fail(e.token, `${tokenKey(e.token)} requires ${describePrereqs(field)}`);
    }
    // Neighbor discovery messages have code 0; Open vSwitch drops ND fields otherwise.
    if (ND_FIELDS.has(field) && (fields.exact('ICMPV6_CODE') ?? 0) !== 0) {
      fail(e.token, `${tokenKey(e.token)} requires icmp_code=0 (neighbor discovery)`);
    }
  }
}

interface MatchWord {
  readonly name: string;
  readonly key: FieldKey;
  readonly value: string;
  readonly token: string;
}

/** The match of the field words, protocol words and VLAN words, in encoding order. */
function buildMatch(
  words: readonly MatchWord[],
  shorthands: readonly Pair[],
  vlan: readonly VlanWord[],
): OxmBasic[] {
  const fields = new MatchFields();
  for (const s of shorthands) {
    const p = lookup(SHORTHANDS, s.key) ?? {};
    if (p.ethType !== undefined) fields.set('ETH_TYPE', { value: p.ethType }, s.token, true);
    if (p.ipProto !== undefined) fields.set('IP_PROTO', { value: p.ipProto }, s.token, true);
  }
  for (const stage of [0, 1, 2] as const) {
    for (const w of words.filter((x) => x.key.stage === stage)) {
      const field = resolve(w.name, w.key, fields.protocol(), w.token);
      fields.set(field, readKeyValue(w.key, field, w.value, w.token, OXM_FIELDS[field].maskable), w.token);
    }
  }
  vlanFields(vlan, fields);
  checkMatchPrereqs(fields);
  return [...fields.entries.values()]
    .flatMap((e) => (e.oxm ? [e.oxm] : []))
    .sort((a, b) => RANK.get(a.field)! - RANK.get(b.field)!);
}

// ---------------------------------------------------------------------------------------
// Actions: what each leaves the packet as, so that set_field and the TTL actions can be
// checked the way Open vSwitch checks them (ofpacts_check).

interface PacketState {
  /** Exact values of numeric fields known from the match or set since. */
  readonly values: Map<OxmFieldName, number>;
  vlan: boolean;
}

function stateOf(match: readonly OxmBasic[]): PacketState {
  const values = new Map<OxmFieldName, number>();
  for (const o of match)
    if (o.mask === undefined && typeof o.value === 'number') values.set(o.field, o.value);
  const vid = match.find((o) => o.field === 'VLAN_VID');
  return { values, vlan: vid !== undefined && (Number(vid.value) & Number(vid.mask ?? CFI) & CFI) !== 0 };
}

const protocolOf = (s: PacketState): Protocol => ({
  ethType: s.values.get('ETH_TYPE'),
  ipProto: s.values.get('IP_PROTO'),
});

/** Fields a new Ethernet type leaves as they were: the packet's metadata. */
const NOT_IN_PACKET = new Set<OxmFieldName>(['IN_PORT', 'IN_PHY_PORT', 'METADATA', 'TUNNEL_ID']);

/** A new outer Ethernet type (push_mpls, pop_mpls): what was known of the headers is gone. */
function setEthType(s: PacketState, ethType: number): void {
  for (const f of [...s.values.keys()]) if (!NOT_IN_PACKET.has(f)) s.values.delete(f);
  s.values.set('ETH_TYPE', ethType);
}

const IP_FLOW = { test: (s: PacketState) => isIp(protocolOf(s)), needs: 'an IP flow (ip or ipv6)' };
const MPLS_FLOW = {
  test: (s: PacketState) => s.values.get('ETH_TYPE') === ETH_TYPE.MPLS || s.values.get('ETH_TYPE') === ETH_TYPE.MPLS_MCAST,
  needs: 'an MPLS flow (mpls, mplsm or push_mpls)',
};
const VLAN_FLOW = { test: (s: PacketState) => s.vlan, needs: 'a VLAN (dl_vlan in the match, or push_vlan)' };

const ACTION_NEEDS: Partial<Record<ActionType, { test: (s: PacketState) => boolean; needs: string }>> = {
  DEC_NW_TTL: IP_FLOW,
  SET_NW_TTL: IP_FLOW,
  DEC_MPLS_TTL: MPLS_FLOW,
  SET_MPLS_TTL: MPLS_FLOW,
  POP_MPLS: MPLS_FLOW,
  POP_VLAN: VLAN_FLOW,
};

/** Check an action against what the packet is at that point, then apply it. */
function track(s: PacketState, a: Action, token: string): void {
  const need = ACTION_NEEDS[a.type];
  if (need && !need.test(s)) fail(token, `needs ${need.needs}`);
  switch (a.type) {
    case 'PUSH_VLAN':
      s.vlan = true;
      break;
    case 'POP_VLAN':
      s.vlan = false;
      break;
    case 'PUSH_MPLS':
    case 'POP_MPLS':
      setEthType(s, a.ethertype);
      break;
    case 'SET_FIELD': {
      if (a.field.field === 'OPAQUE') break;
      const field = a.field.field;
      const name = OXM_FIELDS[field].ovs;
      if ((field === 'VLAN_VID' || field === 'VLAN_PCP') && !s.vlan)
        fail(token, `set_field ${name} needs ${VLAN_FLOW.needs}`);
      const alternatives = OXM_FIELDS[field].prereq;
      if (alternatives && !alternatives.some((p) => prereqMet(p, (f) => s.values.get(f), s.vlan))) {
        fail(token, `set_field ${name} requires ${describePrereqs(field)}`);
      }
      if (typeof a.field.value === 'number') s.values.set(field, a.field.value);
      break;
    }
    default:
      break;
  }
}

interface ActionContext {
  readonly token: string;
  readonly state: PacketState;
  readonly out: Action[];
}

function emit(c: ActionContext, ...actions: Action[]): void {
  for (const a of actions) {
    track(c.state, a, c.token);
    c.out.push(a);
  }
}

const VALID_OUTPUT = new Set<number>([
  OFPP.IN_PORT,
  OFPP.NORMAL,
  OFPP.FLOOD,
  OFPP.ALL,
  OFPP.CONTROLLER,
  OFPP.LOCAL,
]);

function output(port: number, token: string): Action {
  if (port === 0 || (port >= OFPP.MAX && !VALID_OUTPUT.has(port))) {
    fail(token, `${formatPort(port)} is not a port a flow can output to`);
  }
  return { type: 'OUTPUT', port, maxLen: port === OFPP.CONTROLLER ? OFPCML.NO_BUFFER : 0 };
}

/** `controller`, `controller:N`, `controller(max_len=N)`. */
function controller(arg: string | undefined, token: string): Action {
  if (arg === undefined) return { type: 'OUTPUT', port: OFPP.CONTROLLER, maxLen: OFPCML.NO_BUFFER };
  const maxLen = arg.startsWith('max_len=') ? arg.slice('max_len='.length) : arg;
  if (/[=,]/.test(maxLen))
    fail(token, 'OpenFlow 1.3 controller takes only max_len (the other options are Open vSwitch extensions)');
  return { type: 'OUTPUT', port: OFPP.CONTROLLER, maxLen: int(maxLen, token, 0xffff) };
}

/**
 * Field names set_field takes. Each names one field whatever the flow (unlike in matches,
 * where tp_src, nw_src and icmp_type depend on the protocol). Not nw_tos: Open vSwitch
 * writes that as a Nicira field; OpenFlow 1.3's own is ip_dscp, which mod_nw_tos writes.
 */
const SET_FIELD_KEYS: Readonly<Record<string, FieldKey>> = {
  ...Object.fromEntries(Object.entries(FIELD_KEYS).filter(([, k]) => typeof k.target === 'string' && !k.tos)),
  nw_src: key('IPV4_SRC'),
  ip_src: key('IPV4_SRC'),
  nw_dst: key('IPV4_DST'),
  ip_dst: key('IPV4_DST'),
  nw_proto: key('IP_PROTO'),
  ip_proto: key('IP_PROTO'),
  tp_src: key('TCP_SRC'),
  tp_dst: key('TCP_DST'),
  icmp_type: key('ICMPV4_TYPE'),
  icmp_code: key('ICMPV4_CODE'),
};

/** set_field's `value->field`: one field, no mask, writable in OpenFlow 1.3. */
function setField(
  arg: string,
  c: ActionContext,
  keys: Readonly<Record<string, FieldKey>> = SET_FIELD_KEYS,
): Action {
  const arrow = arg.indexOf('->');
  if (arrow < 0) fail(c.token, 'set_field needs value->field');
  const name = arg.slice(arrow + 2);
  const k =
    lookup(keys, name) ??
    fail(
      c.token,
      `${name} is not an OpenFlow 1.3 field set_field can write${name === 'nw_tos' ? ' (use ip_dscp, or mod_nw_tos)' : ''}`,
    );
  const field = resolve(name, k, protocolOf(c.state), c.token);
  if (!OXM_FIELDS[field].settable)
    fail(c.token, `${OXM_FIELDS[field].ovs} is read-only: OpenFlow 1.3 set_field cannot write it`);
  const value = readKeyValue(k, field, arg.slice(0, arrow), c.token, true);
  if (value === undefined || value.mask !== undefined)
    fail(c.token, 'OpenFlow 1.3 set_field cannot write a masked value');
  return { type: 'SET_FIELD', field: oxmOf(field, value) };
}

/** mod_nw_src:V and friends are set_field:V-> these fields. */
const MOD_KEYS: Readonly<Record<string, FieldKey>> = {
  mod_dl_src: key('ETH_SRC'),
  mod_dl_dst: key('ETH_DST'),
  mod_nw_src: key('IPV4_SRC'),
  mod_nw_dst: key('IPV4_DST'),
  mod_nw_tos: { target: 'IP_DSCP', tos: true, stage: 2 },
  mod_nw_ecn: key('IP_ECN'),
  mod_tp_src: { ...key(transport(0, true, false)), needs: L4_PORTS },
  mod_tp_dst: { ...key(transport(1, true, false)), needs: L4_PORTS },
};

/** mod_vlan_vid and mod_vlan_pcp push an 802.1Q header first where the packet has none. */
function modVlan(field: 'VLAN_VID' | 'VLAN_PCP', value: number, c: ActionContext): void {
  if (!c.state.vlan) emit(c, { type: 'PUSH_VLAN', ethertype: ETH_TYPE.VLAN });
  emit(c, { type: 'SET_FIELD', field: { field, value } });
}

function ethertype(arg: string | undefined, token: string, allowed?: readonly number[]): number {
  const e = int(required(arg, token, 'ethertype'), token, 0xffff);
  if (allowed && !allowed.includes(e))
    fail(token, `0x${e.toString(16)} is not one of ${allowed.map((x) => `0x${x.toString(16)}`).join(', ')}`);
  return e;
}

type ActionParser = (arg: string | undefined, c: ActionContext) => void;

const noArg =
  (a: Action): ActionParser =>
  (arg, c) => {
    if (arg !== undefined) fail(c.token, 'takes no argument');
    emit(c, a);
  };
const toPort = (port: number): ActionParser => noArg({ type: 'OUTPUT', port, maxLen: 0 });
const ttl =
  (type: 'SET_NW_TTL' | 'SET_MPLS_TTL'): ActionParser =>
  (arg, c) => {
    const n = int(required(arg, c.token, 'TTL'), c.token, 0xff);
    emit(c, type === 'SET_NW_TTL' ? { type, nwTtl: n } : { type, mplsTtl: n });
  };

/** Every action, by its Open vSwitch name (case-insensitive, as ovs-ofctl reads them). */
const ACTIONS: Readonly<Record<string, ActionParser>> = {
  output: (arg, c) => emit(c, output(parsePort(required(arg, c.token, 'port'), c.token), c.token)),
  controller: (arg, c) => emit(c, controller(arg, c.token)),
  in_port: toPort(OFPP.IN_PORT),
  normal: toPort(OFPP.NORMAL),
  flood: toPort(OFPP.FLOOD),
  all: toPort(OFPP.ALL),
  local: toPort(OFPP.LOCAL),
  set_field: (arg, c) => emit(c, setField(required(arg, c.token, 'value->field'), c)),
  ...Object.fromEntries(
    Object.entries(MOD_KEYS).map(([name, k]): [string, ActionParser] => [
      name,
      (arg, c) => emit(c, setField(`${required(arg, c.token, 'value')}->${name}`, c, { [name]: k })),
    ]),
  ),
  mod_vlan_vid: (arg, c) =>
    modVlan('VLAN_VID', CFI | int(required(arg, c.token, 'VLAN id'), c.token, 0xfff), c),
  mod_vlan_pcp: (arg, c) => modVlan('VLAN_PCP', int(required(arg, c.token, 'VLAN PCP'), c.token, 7), c),
  push_vlan: (arg, c) => emit(c, { type: 'PUSH_VLAN', ethertype: ethertype(arg, c.token, [ETH_TYPE.VLAN, ETH_TYPE.QINQ]) }),
  pop_vlan: noArg({ type: 'POP_VLAN' }),
  strip_vlan: noArg({ type: 'POP_VLAN' }),
  push_mpls: (arg, c) => emit(c, { type: 'PUSH_MPLS', ethertype: ethertype(arg, c.token, [ETH_TYPE.MPLS, ETH_TYPE.MPLS_MCAST]) }),
  pop_mpls: (arg, c) => emit(c, { type: 'POP_MPLS', ethertype: ethertype(arg, c.token) }),
  push_pbb: (arg, c) => emit(c, { type: 'PUSH_PBB', ethertype: ethertype(arg, c.token, [ETH_TYPE.PBB]) }),
  pop_pbb: noArg({ type: 'POP_PBB' }),
  dec_ttl: noArg({ type: 'DEC_NW_TTL' }),
  set_nw_ttl: ttl('SET_NW_TTL'),
  mod_nw_ttl: ttl('SET_NW_TTL'),
  dec_mpls_ttl: noArg({ type: 'DEC_MPLS_TTL' }),
  set_mpls_ttl: ttl('SET_MPLS_TTL'),
  copy_ttl_out: noArg({ type: 'COPY_TTL_OUT' }),
  copy_ttl_in: noArg({ type: 'COPY_TTL_IN' }),
  set_queue: (arg, c) =>
    emit(c, { type: 'SET_QUEUE', queueId: int(required(arg, c.token, 'queue id'), c.token, 0xffffffff) }),
  group: (arg, c) =>
    emit(c, { type: 'GROUP', groupId: int(required(arg, c.token, 'group id'), c.token, OFPG.MAX) }),
};

/** One action; a bare port number or port name outputs to it. */
function parseAction(p: Pair, state: PacketState, out: Action[]): void {
  const c: ActionContext = { token: p.token, state, out };
  const parser = lookup(ACTIONS, p.key.toLowerCase());
  if (parser) return parser(p.value, c);
  if (p.value === undefined && (PORTS.has(p.key.toLowerCase()) || /^[0-9]+$/.test(p.key))) {
    return emit(c, output(parsePort(p.key, p.token), p.token));
  }
  fail(p.token, `unknown action ${p.key}`);
}

const isDrop = (p: Pair): boolean => p.key.toLowerCase() === 'drop';

/** A list of actions (inside write_actions or apply_actions, or actions= itself). */
function parseActionList(list: readonly Pair[], state: PacketState): Action[] {
  const out: Action[] = [];
  if (list.some(isDrop)) {
    if (list.length > 1)
      fail(
        list.map((p) => p.token).join(','),
        '"drop" must not be accompanied by any other action or instruction',
      );
    return out;
  }
  for (const p of list) parseAction(p, state, out);
  return out;
}

// ---------------------------------------------------------------------------------------
// Instructions, in the order OpenFlow 1.3 executes them (and ovs-ofctl requires).

type InstructionName = Exclude<Instruction['type'], 'EXPERIMENTER'>;
const INSTRUCTION_NAMES = {
  METER: 'meter',
  APPLY_ACTIONS: 'apply_actions',
  CLEAR_ACTIONS: 'clear_actions',
  WRITE_ACTIONS: 'write_actions',
  WRITE_METADATA: 'write_metadata',
  GOTO_TABLE: 'goto_table',
} as const satisfies Record<InstructionName, string>;
const INSTRUCTION_ORDER = Object.keys(INSTRUCTION_NAMES) as InstructionName[];

interface InstructionContext {
  readonly token: string;
  readonly state: PacketState;
  /** The flow's table: goto_table must go to a later one. */
  readonly tableId: number;
}

type InstructionParser = (arg: string | undefined, c: InstructionContext) => Instruction;

function meterId(arg: string | undefined, token: string): number {
  const id = int(required(arg, token, 'meter id'), token, 0xffffffff);
  if (id === 0 || (id > OFPM.MAX && id !== OFPM.SLOWPATH && id !== OFPM.CONTROLLER))
    fail(token, `${id} is not a meter id`);
  return id;
}

function gotoTable(arg: string | undefined, c: InstructionContext): number {
  const t = decimal(required(arg, c.token, 'table'), c.token, OFPTT.MAX);
  if (t <= c.tableId) fail(c.token, `a flow in table ${c.tableId} can only go to a later table`);
  return t;
}

function writeMetadata(arg: string | undefined, token: string): Instruction {
  const [v = '', m] = required(arg, token, 'metadata').split('/');
  return {
    type: 'WRITE_METADATA',
    metadata: cNumber(v, token, U64_MAX),
    metadataMask: m === undefined ? U64_MAX : cNumber(m, token, U64_MAX),
  };
}

/** The nested actions of write_actions(...) and apply_actions(...): "()" or "(drop)" is none. */
const nested = (arg: string | undefined, state: PacketState): Action[] =>
  parseActionList(pairs(arg ?? ''), state);

const INSTRUCTIONS: Readonly<Record<string, InstructionParser>> = {
  meter: (arg, c) => ({ type: 'METER', meterId: meterId(arg, c.token) }),
  apply_actions: (arg, c) => ({ type: 'APPLY_ACTIONS', actions: nested(arg, c.state) }),
  clear_actions: (arg, c) =>
    arg === undefined ? { type: 'CLEAR_ACTIONS' } : fail(c.token, 'takes no argument'),
  // Write-actions run after the apply-actions: check them against what those leave.
  write_actions: (arg, c) => ({
    type: 'WRITE_ACTIONS',
    actions: nested(arg, { values: new Map(c.state.values), vlan: c.state.vlan }),
  }),
  write_metadata: (arg, c) => writeMetadata(arg, c.token),
  goto_table: (arg, c) => ({ type: 'GOTO_TABLE', tableId: gotoTable(arg, c) }),
};

/**
 * actions=...: instructions in their execution order; a run of plain actions is the
 * apply-actions. "drop" alone is no instructions at all.
 */
function parseInstructions(text: string, state: PacketState, tableId: number): Instruction[] {
  const list = pairs(text);
  const out: Instruction[] = [];
  if (list.some(isDrop)) {
    parseActionList(list, state);
    return out;
  }
  let implicit: Action[] | undefined;
  for (const p of list) {
    const parser = lookup(INSTRUCTIONS, p.key.toLowerCase());
    if (parser) {
      placeInstruction(out, parser(p.value, { token: p.token, state, tableId }), p.token);
      implicit = undefined;
      continue;
    }
    if (implicit === undefined) {
      const apply: Instruction = { type: 'APPLY_ACTIONS', actions: [] };
      placeInstruction(out, apply, p.token);
      implicit = apply.actions;
    }
    parseAction(p, state, implicit);
  }
  return out;
}

function placeInstruction(out: Instruction[], ins: Instruction, token: string): void {
  const last = out.at(-1);
  const rank = (i: Instruction) => INSTRUCTION_ORDER.indexOf(i.type as InstructionName);
  if (last && rank(ins) < rank(last)) {
    fail(
      token,
      `invalid instruction ordering: ${INSTRUCTION_NAMES[ins.type as InstructionName]} must appear before ${INSTRUCTION_NAMES[last.type as InstructionName]}`,
    );
  }
  if (last && rank(ins) === rank(last))
    fail(token, `duplicate ${INSTRUCTION_NAMES[ins.type as InstructionName]} instruction`);
  out.push(ins);
}

// ---------------------------------------------------------------------------------------
// The flow's own words: table, priority, cookie, timeouts, flags, out_port, out_group.

/** "an add", "a delete_strict" ... for messages. */
const COMMAND_NAMES = ['an add', 'a modify', 'a modify_strict', 'a delete', 'a delete_strict'] as const;

/** What each command takes (Open vSwitch's parse_ofp_str__). */
interface CommandRules {
  readonly actions: boolean;
  readonly priority: boolean;
  /** Timeouts and flags. */
  readonly settings: boolean;
  readonly outPort: boolean;
  /** An add sets the cookie; modify and delete select flows by cookie/mask. */
  readonly cookie: 'set' | 'select';
}

const ADDS: CommandRules = { actions: true, priority: true, settings: true, outPort: false, cookie: 'set' };
const MODIFIES: CommandRules = { ...ADDS, cookie: 'select' };
const RULES: Readonly<Record<FlowModCommand, CommandRules>> = {
  [OFPFC.ADD]: ADDS,
  [OFPFC.MODIFY]: MODIFIES,
  [OFPFC.MODIFY_STRICT]: MODIFIES,
  [OFPFC.DELETE]: { actions: false, priority: false, settings: false, outPort: true, cookie: 'select' },
  [OFPFC.DELETE_STRICT]: { actions: false, priority: true, settings: false, outPort: true, cookie: 'select' },
};

const isDelete = (command: FlowModCommand): boolean =>
  command === OFPFC.DELETE || command === OFPFC.DELETE_STRICT;

const FLOW_FLAGS: Readonly<Record<string, number>> = {
  send_flow_rem: OFPFF.SEND_FLOW_REM,
  check_overlap: OFPFF.CHECK_OVERLAP,
  reset_counts: OFPFF.RESET_COUNTS,
  no_packet_counts: OFPFF.NO_PKT_COUNTS,
  no_byte_counts: OFPFF.NO_BYT_COUNTS,
};

/** What dump-flows prints besides the flow; ignored so its lines can be read back. */
const STATISTICS = new Set(['duration', 'n_packets', 'n_bytes', 'idle_age', 'hard_age']);

interface Keyword {
  /** Which rule of the command allows it. */
  readonly allowed: (r: CommandRules) => boolean;
  readonly apply: (spec: FlowSpec, value: string, token: string, command: FlowModCommand) => void;
}

function cookie(spec: FlowSpec, value: string, token: string, command: FlowModCommand): void {
  const [v = '', m] = value.split('/');
  spec.cookie = cNumber(v, token, U64_MAX, true);
  if (RULES[command].cookie === 'set') {
    if (m !== undefined) fail(token, 'flow additions cannot use a cookie mask');
    return;
  }
  if (m === undefined) {
    fail(
      token,
      `${COMMAND_NAMES[command]} selects flows by cookie: give a mask (cookie=${v}/-1); OpenFlow 1.3 cannot change a flow's cookie`,
    );
  }
  spec.cookieMask = cNumber(m, token, U64_MAX, true);
}

function table(spec: FlowSpec, value: string, token: string, command: FlowModCommand): void {
  spec.tableId = decimal(value, token, isDelete(command) ? OFPTT.ALL : OFPTT.MAX);
}

const KEYWORDS: Readonly<Record<string, Keyword>> = {
  table: { allowed: () => true, apply: table },
  priority: { allowed: (r) => r.priority, apply: (s, v, t) => void (s.priority = int(v, t, 0xffff)) },
  cookie: { allowed: () => true, apply: cookie },
  idle_timeout: { allowed: (r) => r.settings, apply: (s, v, t) => void (s.idleTimeout = int(v, t, 0xffff)) },
  hard_timeout: { allowed: (r) => r.settings, apply: (s, v, t) => void (s.hardTimeout = int(v, t, 0xffff)) },
  out_port: { allowed: (r) => r.outPort, apply: (s, v, t) => void (s.outPort = parsePort(v, t)) },
  out_group: { allowed: (r) => r.outPort, apply: (s, v, t) => void (s.outGroup = int(v, t, 0xffffffff)) },
};

/** The words before actions=, sorted into the flow's own, protocol, VLAN and field words. */
interface FlowWords {
  readonly fields: MatchWord[];
  readonly shorthands: Pair[];
  readonly vlan: VlanWord[];
}

function readWord(p: Pair, spec: FlowSpec, command: FlowModCommand, words: FlowWords): void {
  const rules = RULES[command];
  const what = `${p.key} is not allowed in ${COMMAND_NAMES[command]}`;
  if (STATISTICS.has(p.key)) return;
  const flag = lookup(FLOW_FLAGS, p.key);
  if (flag !== undefined) {
    if (!rules.settings) fail(p.token, what);
    if (p.value !== undefined) fail(p.token, `${p.key} takes no value`);
    spec.flags |= flag;
    return;
  }
  if (lookup(SHORTHANDS, p.key)) {
    if (p.value !== undefined) fail(p.token, `${p.key} takes no value`);
    words.shorthands.push(p);
    return;
  }
  const keyword = lookup(KEYWORDS, p.key);
  const vlan = lookup(VLAN_KEYS, p.key);
  const field = lookup(FIELD_KEYS, p.key);
  if (keyword === undefined && vlan === undefined && field === undefined) {
    fail(
      p.token,
      p.key === 'importance' ? 'importance is OpenFlow 1.4 or later' : `unknown keyword ${p.key}`,
    );
  }
  const value = required(p.value, p.token, `value for ${p.key}`);
  if (keyword) {
    if (!keyword.allowed(rules)) fail(p.token, what);
    keyword.apply(spec, value, p.token, command);
  } else if (vlan) {
    words.vlan.push({ bits: vlan(value, p.token), token: p.token });
  } else if (field) {
    words.fields.push({ name: p.key, key: field, value, token: p.token });
  }
}

// ---------------------------------------------------------------------------------------
// The entry points.

/**
 * Parse a flow in Open vSwitch's syntax as `ovs-ofctl -O OpenFlow13` reads it for
 * add-flow (the default), mod-flows or del-flows (command OFPFC.MODIFY, OFPFC.DELETE, the
 * _STRICT forms with --strict). Throws FlowSyntaxError naming the offending token.
 */
export function parseFlow(text: string, command: FlowModCommand = OFPFC.ADD): FlowSpec {
  const rules = lookup(RULES, String(command)) ?? fail(String(command), 'not a flow-mod command');
  const spec: FlowSpec = {
    tableId: isDelete(command) ? OFPTT.ALL : 0,
    priority: 0x8000,
    cookie: 0n,
    idleTimeout: 0,
    hardTimeout: 0,
    flags: 0,
    match: [],
    instructions: [],
  };
  const parts = rules.actions ? splitActions(text) : { match: text, actions: undefined };
  const words: FlowWords = { fields: [], shorthands: [], vlan: [] };
  for (const p of pairs(parts.match)) readWord(p, spec, command, words);
  spec.match = buildMatch(words.fields, words.shorthands, words.vlan);
  if (rules.actions) {
    if (parts.actions === undefined)
      fail(text.trim(), `${COMMAND_NAMES[command]} must give actions= (actions=drop for none)`);
    spec.instructions = parseInstructions(parts.actions, stateOf(spec.match), spec.tableId);
  }
  return spec;
}

/** The FLOW_MOD (without its xid) for a parsed flow. */
export function flowModFrom(spec: FlowSpec, command: FlowModCommand = OFPFC.ADD): Omit<FlowMod, 'xid'> {
  return {
    type: 'FLOW_MOD',
    cookie: spec.cookie,
    cookieMask: spec.cookieMask ?? 0n,
    tableId: spec.tableId,
    command,
    idleTimeout: spec.idleTimeout,
    hardTimeout: spec.hardTimeout,
    priority: spec.priority,
    bufferId: OFP_NO_BUFFER,
    outPort: spec.outPort ?? OFPP.ANY,
    outGroup: spec.outGroup ?? OFPG.ANY,
    flags: spec.flags,
    match: spec.match,
    instructions: isDelete(command) ? [] : spec.instructions,
  };
}

const hex = (n: bigint): string => `0x${n.toString(16)}`;

/**
 * The flow as text parseFlow(text, command) reads back to the same spec:
 * `table=1,cookie=0x5,idle_timeout=60,send_flow_rem,priority=10,tcp,in_port=1 actions=output:2`.
 */
export function formatFlowSpec(spec: FlowSpec, command: FlowModCommand = OFPFC.ADD): string {
  const rules = RULES[command];
  const words = [
    spec.tableId !== (isDelete(command) ? OFPTT.ALL : 0) && `table=${spec.tableId}`,
    spec.cookieMask !== undefined
      ? `cookie=${hex(spec.cookie)}/${hex(spec.cookieMask)}`
      : spec.cookie !== 0n && `cookie=${hex(spec.cookie)}`,
    spec.idleTimeout !== 0 && `idle_timeout=${spec.idleTimeout}`,
    spec.hardTimeout !== 0 && `hard_timeout=${spec.hardTimeout}`,
    spec.outPort !== undefined && `out_port=${formatPort(spec.outPort)}`,
    spec.outGroup !== undefined && `out_group=${spec.outGroup}`,
    ...Object.entries(FLOW_FLAGS).map(([name, bit]) => (spec.flags & bit) !== 0 && name),
    formatMatch(spec.match, rules.priority ? spec.priority : undefined),
  ].filter((w): w is string => typeof w === 'string' && w !== '');
  const head = words.join(',');
  if (!rules.actions) return head;
  const actions = `actions=${formatInstructions(spec.instructions)}`;
  return head === '' ? actions : `${head} ${actions}`;
}
