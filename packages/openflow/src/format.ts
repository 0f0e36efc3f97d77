// One-line text for every message, in the style of `ovs-ofctl ofp-print`, for logs and CLIs.
// The header reads as Open vSwitch prints it ("OFPT_FLOW_MOD (OF1.3) (xid=0x2):",
// "OFPST_FLOW reply (OF1.3) (xid=0x4):"), matches and actions use Open vSwitch's field names
// and action syntax. Where Open vSwitch breaks its output into lines, entries of a list are
// joined with " | " and other line breaks become a space. Payloads print as their length.

import type { Action, Bucket, Instruction } from './actions.js';
import { OFPAT } from './actions.js';
import {
  ETH_TYPE,
  OFPC,
  OFPFF,
  OFPG,
  OFPM,
  OFPMF,
  OFPP,
  OFPPC,
  OFPPF,
  OFPPS,
  OFPQ_ALL,
  OFPTT,
  OFP_NO_BUFFER,
} from './constants.js';
import { OFPET, ofpErrorCodeName } from './errors.js';
import { type ErrorMessage, type Message, OFPT, decode, readHeader } from './messages.js';
import type {
  FlowStats,
  GroupDesc,
  GroupStats,
  MeterConfig,
  MeterStats,
  MultipartReply,
  MultipartRequest,
  PortStats,
  QueueStats,
  TableStats,
} from './multipart.js';
import { OFPMP } from './multipart.js';
import {
  type Match,
  type Oxm,
  type OxmBasic,
  type OxmFieldName,
  type OxmOpaque,
  OXM_BY_ID,
  OXM_CLASS,
  OXM_FIELDS,
  ipv4Put,
  ipv6Put,
} from './oxm.js';
import type {
  HelloElement,
  MeterBand,
  OxmId,
  PacketQueue,
  Port,
  QueueProp,
  TableFeatureProp,
  TableFeatures,
} from './structures.js';

// ---------------------------------------------------------------------------------------
// Small helpers.

const U64_MAX = 0xffffffffffffffffn;
const U32_MAX = 0xffffffff;
/** ofp_flow_mod priority Open vSwitch leaves out of a printed match. */
const DEFAULT_PRIORITY = 0x8000;

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const hexPad = (n: number | bigint, digits: number): string => `0x${n.toString(16).padStart(digits, '0')}`;
const bytesHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
/** A 64-bit counter; all ones means "not available" and prints as "?". */
const count = (n: bigint): string => (n === U64_MAX ? '?' : n.toString());
const compact = (parts: readonly (string | undefined | false)[]): string[] =>
  parts.filter((p): p is string => typeof p === 'string' && p !== '');
const words = (...parts: (string | undefined | false)[]): string => compact(parts).join(' ');
const entries = (parts: readonly string[]): string => parts.join(' | ');

/** Text from the wire with control characters escaped, so it cannot break the line. */
function printable(s: string): string {
  return Array.from(s, (c) => {
    const n = c.codePointAt(0) ?? 0;
    return n < 0x20 || n === 0x7f || n === 0x2028 || n === 0x2029
      ? `\\x${n.toString(16).padStart(2, '0')}`
      : c;
  }).join('');
}

/** Open vSwitch's ofp_print_duration: whole seconds, milliseconds, or every significant digit. */
function duration(sec: number, nsec: number): string {
  if (nsec === 0) return `${sec}s`;
  if (nsec % 1_000_000 === 0) return `${sec}.${String(nsec / 1_000_000).padStart(3, '0')}s`;
  return `${sec}.${String(nsec).padStart(9, '0').replace(/0+$/, '')}s`;
}

type BitTable = readonly (readonly [bit: number, name: string])[];

const bitTable = (o: Readonly<Record<string, number>>, rename: (k: string) => string = (k) => k): BitTable =>
  Object.entries(o).map(([k, v]) => [v, rename(k)] as const);

/**
 * Names of the bits set in `value`, unknown bits as hex unless `known` (then they are left
 * out, as Open vSwitch drops them on decode); "0" for none, as Open vSwitch prints it.
 */
function bitNames(value: number, table: BitTable, known = false): string {
  const out: string[] = [];
  let rest = value >>> 0;
  for (const [bit, name] of table) {
    if ((rest & bit) !== 0) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (!known) for (let i = 0; i < 32; i++) if (((rest >>> i) & 1) !== 0) out.push(hex(2 ** i));
  return out.length > 0 ? out.join(' ') : '0';
}

/** A printer per variant of a union discriminated by K. */
type Printers<U, K extends keyof U> = { [T in U[K] & string]: (v: Extract<U, Record<K, T>>) => string };

function dispatch<U, K extends keyof U>(
  key: K,
  table: Printers<U, K>,
  fallback: (v: U) => string,
): (v: U) => string {
  const byName = table as unknown as Readonly<Partial<Record<string, (v: U) => string>>>;
  return (v) => (byName[String(v[key])] ?? fallback)(v);
}

const reverse = (o: Readonly<Record<string, number>>): ReadonlyMap<number, string> =>
  new Map(Object.entries(o).map(([k, v]) => [v, k]));

// ---------------------------------------------------------------------------------------
// Numbers with names: ports, groups, meters, queues, experimenters.

const PORT_NAMES = new Map<number, string>(
  Object.entries(OFPP)
    .filter(([k]) => k !== 'MAX')
    .map(([k, v]) => [v, k]),
);

/** A port number as Open vSwitch prints it: the reserved ports by name (LOCAL, CONTROLLER ...). */
export function formatPort(port: number): string {
  return PORT_NAMES.get(port) ?? String(port);
}

const GROUP_NAMES = new Map<number, string>([
  [OFPG.ALL, 'ALL'],
  [OFPG.ANY, 'ANY'],
]);
const formatGroup = (id: number): string => GROUP_NAMES.get(id) ?? String(id);

const METER_NAMES = new Map<number, string>([
  [OFPM.SLOWPATH, 'slowpath'],
  [OFPM.CONTROLLER, 'controller'],
  [OFPM.ALL, 'all'],
]);
const formatMeter = (id: number, sep: '=' | ':'): string => `meter${sep}${METER_NAMES.get(id) ?? String(id)}`;

const formatQueue = (id: number): string => (id === OFPQ_ALL ? 'ALL' : String(id));

const VENDORS = new Map<number, string>([
  [0x00002320, 'NX'],
  [0x4f4e4600, 'ONF'],
  [0x005c16c7, 'BSN'],
]);
function vendor(id: number): string {
  const name = VENDORS.get(id);
  return name === undefined ? hexPad(id, 8) : `${hexPad(id, 8)} (${name})`;
}

function experimenterText(e: { experimenter: number; expType: number; data: Uint8Array }): string {
  return `experimenter=${vendor(e.experimenter)} exp_type=${e.expType} data_len=${e.data.length}`;
}

// ---------------------------------------------------------------------------------------
// Matches.

/** Open vSwitch's match names, in the order its match_format prints them. */
const MATCH_NAMES = {
  TUNNEL_ID: 'tun_id',
  METADATA: 'metadata',
  IN_PORT: 'in_port',
  IN_PHY_PORT: 'in_phy_port',
  VLAN_VID: 'dl_vlan',
  VLAN_PCP: 'dl_vlan_pcp',
  ETH_SRC: 'dl_src',
  ETH_DST: 'dl_dst',
  ETH_TYPE: 'dl_type',
  IPV6_SRC: 'ipv6_src',
  IPV6_DST: 'ipv6_dst',
  IPV6_FLABEL: 'ipv6_label',
  ARP_SPA: 'arp_spa',
  ARP_TPA: 'arp_tpa',
  IPV4_SRC: 'nw_src',
  IPV4_DST: 'nw_dst',
  IP_PROTO: 'nw_proto',
  ARP_OP: 'arp_op',
  ARP_SHA: 'arp_sha',
  ARP_THA: 'arp_tha',
  IP_DSCP: 'nw_tos',
  IP_ECN: 'nw_ecn',
  MPLS_LABEL: 'mpls_label',
  MPLS_TC: 'mpls_tc',
  MPLS_BOS: 'mpls_bos',
  ICMPV4_TYPE: 'icmp_type',
  ICMPV4_CODE: 'icmp_code',
  ICMPV6_TYPE: 'icmp_type',
  ICMPV6_CODE: 'icmp_code',
  IPV6_ND_TARGET: 'nd_target',
  IPV6_ND_SLL: 'nd_sll',
  IPV6_ND_TLL: 'nd_tll',
  TCP_SRC: 'tp_src',
  TCP_DST: 'tp_dst',
  UDP_SRC: 'tp_src',
  UDP_DST: 'tp_dst',
  SCTP_SRC: 'tp_src',
  SCTP_DST: 'tp_dst',
  PBB_ISID: 'pbb_isid',
  IPV6_EXTHDR: 'ipv6_exthdr',
} as const satisfies Record<OxmFieldName, string>;
const MATCH_ORDER = Object.keys(MATCH_NAMES) as OxmFieldName[];

/** Field names set_field prints (Open vSwitch's canonical names; the OXM table has the rest). */
const SET_FIELD_NAMES: Partial<Record<OxmFieldName, string>> = {
  IPV4_SRC: 'ip_src',
  IPV4_DST: 'ip_dst',
  TUNNEL_ID: 'tun_id',
};

const HEX_FIELDS: ReadonlySet<OxmFieldName> = new Set<OxmFieldName>([
  'ETH_TYPE',
  'IPV6_FLABEL',
  'IPV6_EXTHDR',
]);

function intText(field: OxmFieldName, value: number, mask: number | undefined): string {
  const m = mask === undefined || mask === 2 ** OXM_FIELDS[field].bits - 1 ? undefined : mask;
  const masked = m === undefined ? '' : `/${hex(m)}`;
  if (field === 'IN_PORT' || field === 'IN_PHY_PORT') return formatPort(value) + masked;
  if (m !== undefined) return `${hex(value)}${masked}`;
  if (field === 'ETH_TYPE') return hexPad(value, 4);
  return HEX_FIELDS.has(field) ? hex(value) : String(value);
}

/** Leading one bits of a contiguous mask, or undefined if the mask is not a prefix. */
function prefixLength(mask: Uint8Array): number | undefined {
  let n = 0;
  let i = 0;
  while (i < mask.length && mask[i] === 0xff) i++;
  n = 8 * i;
  if (i < mask.length) {
    const ones = [0x00, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe].indexOf(mask[i]!);
    if (ones < 0) return undefined;
    n += ones;
    i++;
  }
  return mask.subarray(i).every((x) => x === 0) ? n : undefined;
}

function addrText(field: OxmFieldName, value: string, mask: string | undefined): string {
  if (mask === undefined) return value;
  const kind = OXM_FIELDS[field].kind;
  if (kind !== 'ipv4' && kind !== 'ipv6') return /^(ff:){5}ff$/i.test(mask) ? value : `${value}/${mask}`;
  const b = new Uint8Array(kind === 'ipv4' ? 4 : 16);
  (kind === 'ipv4' ? ipv4Put : ipv6Put)(b, 0, mask);
  const len = prefixLength(b);
  if (len === 8 * b.length) return value;
  return `${value}/${len ?? mask}`;
}

/** A basic OXM's value (and mask) as Open vSwitch writes it: CIDR prefixes, port names, hex. */
function oxmValueText(o: OxmBasic): string {
  const { value, mask } = o;
  if (typeof value === 'number') return intText(o.field, value, typeof mask === 'number' ? mask : undefined);
  if (typeof value === 'bigint')
    return hex(value) + (typeof mask === 'bigint' && mask !== U64_MAX ? `/${hex(mask)}` : '');
  return addrText(o.field, value, typeof mask === 'string' ? mask : undefined);
}

/** An OXM of another class (NXM, experimenter) or an unknown field: its ids and raw value. */
function opaqueName(oxmClass: number, oxmField: number, experimenter?: number): string {
  if (oxmClass === OXM_CLASS.NXM_0 || oxmClass === OXM_CLASS.NXM_1) return `nxm${oxmClass}_${oxmField}`;
  if (oxmClass === OXM_CLASS.EXPERIMENTER) return `exp_${hexPad(experimenter ?? 0, 8)}_${oxmField}`;
  if (oxmClass === OXM_CLASS.OPENFLOW_BASIC) return `oxm_${oxmField}`;
  return `oxm_${hexPad(oxmClass, 4)}_${oxmField}`;
}

function opaqueText(o: OxmOpaque): string {
  const exp = o.oxmClass === OXM_CLASS.EXPERIMENTER && o.body.length >= 4;
  const id = exp ? new DataView(o.body.buffer, o.body.byteOffset, 4).getUint32(0) : undefined;
  const body = exp ? o.body.subarray(4) : o.body;
  const half = body.length >> 1;
  const value = o.hasMask
    ? `0x${bytesHex(body.subarray(0, half))}/0x${bytesHex(body.subarray(half))}`
    : `0x${bytesHex(body)}`;
  return `${opaqueName(o.oxmClass, o.oxmField, id)}=${value}`;
}

const IPV4_PROTOS: Readonly<Record<number, string>> = {
  1: 'icmp',
  2: 'igmp',
  6: 'tcp',
  17: 'udp',
  132: 'sctp',
};
const IPV6_PROTOS: Readonly<Record<number, string>> = { 6: 'tcp6', 17: 'udp6', 58: 'icmp6', 132: 'sctp6' };
const ETH_SHORTHANDS: Readonly<Record<number, string>> = {
  [ETH_TYPE.ARP]: 'arp',
  [ETH_TYPE.RARP]: 'rarp',
  [ETH_TYPE.MPLS]: 'mpls',
  [ETH_TYPE.MPLS_MCAST]: 'mplsm',
};

type Fields = ReadonlyMap<OxmFieldName, OxmBasic>;

/** The protocol word standing for dl_type (and nw_proto), and which of the two it covers. */
interface Shorthand {
  word?: string;
  type: boolean;
  proto: boolean;
}

const IP_SHORTHANDS: Readonly<Record<number, readonly [string, Readonly<Record<number, string>>]>> = {
  [ETH_TYPE.IPV4]: ['ip', IPV4_PROTOS],
  [ETH_TYPE.IPV6]: ['ipv6', IPV6_PROTOS],
};

function numberOf(fields: Fields, name: OxmFieldName): number | undefined {
  const v = fields.get(name)?.value;
  return typeof v === 'number' ? v : undefined;
}

/** The word Open vSwitch writes for dl_type (and nw_proto): "ip", "tcp6", "arp" ... */
function shorthand(fields: Fields): Shorthand {
  const type = numberOf(fields, 'ETH_TYPE');
  const ip = type === undefined ? undefined : IP_SHORTHANDS[type];
  if (ip) {
    const proto = numberOf(fields, 'IP_PROTO');
    const named = proto === undefined ? undefined : ip[1][proto];
    return { word: named ?? ip[0], type: true, proto: named !== undefined };
  }
  const word = type === undefined ? undefined : ETH_SHORTHANDS[type];
  return word === undefined ? { type: false, proto: false } : { word, type: true, proto: false };
}

/** VLAN_VID and VLAN_PCP as Open vSwitch's 802.1Q TCI: dl_vlan/dl_vlan_pcp or vlan_tci=v/m. */
function vlanText(fields: Fields): string | undefined {
  const vid = fields.get('VLAN_VID');
  const pcp = fields.get('VLAN_PCP');
  if (!vid && !pcp) return undefined;
  let tci = 0;
  let mask = 0;
  if (vid && typeof vid.value === 'number') {
    const m = (typeof vid.mask === 'number' ? vid.mask : 0x1fff) & 0x1fff;
    tci |= vid.value & m;
    mask |= m;
  }
  if (pcp && typeof pcp.value === 'number') {
    tci |= ((pcp.value & 7) << 13) | 0x1000;
    mask |= 0xf000;
  }
  const vidMask = mask & 0x0fff;
  const pcpMask = mask & 0xe000;
  const present = (mask & tci & 0x1000) !== 0;
  if (
    present &&
    (vidMask === 0 || vidMask === 0xfff) &&
    (pcpMask === 0 || pcpMask === 0xe000) &&
    vidMask + pcpMask > 0
  ) {
    return compact([
      vidMask !== 0 && `dl_vlan=${tci & 0xfff}`,
      pcpMask !== 0 && `dl_vlan_pcp=${tci >>> 13}`,
    ]).join(',');
  }
  return mask === 0xffff ? `vlan_tci=${hexPad(tci, 4)}` : `vlan_tci=${hexPad(tci, 4)}/${hexPad(mask, 4)}`;
}

/** ipv6_label as Open vSwitch's match_format writes it: five hex digits, the mask likewise. */
function flowLabelText(value: number, mask: number | undefined): string {
  const full = 2 ** OXM_FIELDS.IPV6_FLABEL.bits - 1;
  return mask === undefined || mask === full ? hexPad(value, 5) : `${hexPad(value, 5)}/${hexPad(mask, 5)}`;
}

function matchField(o: OxmBasic, fields: Fields, short: Shorthand): string | undefined {
  switch (o.field) {
    case 'VLAN_VID':
      return vlanText(fields);
    case 'VLAN_PCP':
      return fields.has('VLAN_VID') ? undefined : vlanText(fields);
    case 'ETH_TYPE':
      return short.type ? undefined : `dl_type=${oxmValueText(o)}`;
    case 'IP_PROTO':
      return short.proto ? undefined : `nw_proto=${oxmValueText(o)}`;
    case 'IP_DSCP':
      return `nw_tos=${Number(o.value) << 2}`;
    case 'IPV6_FLABEL':
      return `ipv6_label=${flowLabelText(o.value as number, o.mask as number | undefined)}`;
    default:
      return `${MATCH_NAMES[o.field]}=${oxmValueText(o)}`;
  }
}

/**
 * A match as Open vSwitch prints it: `priority=N,` (when given and not 32768), a protocol
 * shorthand (ip, tcp, arp ...), then the fields in Open vSwitch's order and names, comma
 * separated; empty for an empty match. Fields of other classes print as name=0xhex.
 */
export function formatMatch(match: Match, priority?: number): string {
  const fields = new Map<OxmFieldName, OxmBasic>();
  const extra: Oxm[] = [];
  for (const o of match) {
    if (o.field !== 'OPAQUE' && !fields.has(o.field)) fields.set(o.field, o);
    else extra.push(o);
  }
  const short = shorthand(fields);
  const parts: (string | undefined)[] = [
    priority !== undefined && priority !== DEFAULT_PRIORITY ? `priority=${priority}` : undefined,
    short.word,
  ];
  for (const name of MATCH_ORDER) {
    const o = fields.get(name);
    if (o) parts.push(matchField(o, fields, short));
  }
  // Repeated fields (invalid, but decodable) and other classes, as they came.
  for (const o of extra)
    parts.push(o.field === 'OPAQUE' ? opaqueText(o) : `${MATCH_NAMES[o.field]}=${oxmValueText(o)}`);
  return compact(parts).join(',');
}

// ---------------------------------------------------------------------------------------
// Actions and instructions.

function setFieldText(o: Oxm): string {
  if (o.field === 'OPAQUE') return `set_field:${opaqueText(o).replace('=', '->')}`;
  return `set_field:${oxmValueText(o)}->${SET_FIELD_NAMES[o.field] ?? OXM_FIELDS[o.field].ovs}`;
}

function outputText(port: number, maxLen: number): string {
  if (port === OFPP.CONTROLLER) return `CONTROLLER:${maxLen}`;
  return port < OFPP.MAX ? `output:${port}` : PORT_NAMES.has(port) ? formatPort(port) : `output:${port}`;
}

const experimenterCall = (e: { experimenter: number; data: Uint8Array }): string =>
  `experimenter(${compact([hexPad(e.experimenter, 8), e.data.length > 0 && `data=0x${bytesHex(e.data)}`]).join(',')})`;

const actionText = dispatch<Action, 'type'>(
  'type',
  {
    OUTPUT: (a) => outputText(a.port, a.maxLen),
    COPY_TTL_OUT: () => 'copy_ttl_out',
    COPY_TTL_IN: () => 'copy_ttl_in',
    SET_MPLS_TTL: (a) => `set_mpls_ttl(${a.mplsTtl})`,
    DEC_MPLS_TTL: () => 'dec_mpls_ttl',
    PUSH_VLAN: (a) => `push_vlan:${hexPad(a.ethertype, 4)}`,
    POP_VLAN: () => 'pop_vlan',
    PUSH_MPLS: (a) => `push_mpls:${hexPad(a.ethertype, 4)}`,
    POP_MPLS: (a) => `pop_mpls:${hexPad(a.ethertype, 4)}`,
    SET_QUEUE: (a) => `set_queue:${a.queueId}`,
    GROUP: (a) => `group:${a.groupId}`,
    SET_NW_TTL: (a) => `mod_nw_ttl:${a.nwTtl}`,
    DEC_NW_TTL: () => 'dec_ttl',
    SET_FIELD: (a) => setFieldText(a.field),
    PUSH_PBB: (a) => `push_pbb:${hexPad(a.ethertype, 4)}`,
    POP_PBB: () => 'pop_pbb',
    EXPERIMENTER: (a) => experimenterCall(a),
  },
  (a) => `unknown_action:${String(a.type)}`,
);

/** Actions in Open vSwitch syntax, comma separated; "drop" for none. */
export function formatActions(actions: readonly Action[]): string {
  return actions.length > 0 ? actions.map(actionText).join(',') : 'drop';
}

const instructionText = dispatch<Instruction, 'type'>(
  'type',
  {
    GOTO_TABLE: (i) => `goto_table:${i.tableId}`,
    WRITE_METADATA: (i) =>
      `write_metadata:${hex(i.metadata)}${i.metadataMask === U64_MAX ? '' : `/${hex(i.metadataMask)}`}`,
    WRITE_ACTIONS: (i) => `write_actions(${formatActions(i.actions)})`,
    APPLY_ACTIONS: (i) => i.actions.map(actionText).join(','),
    CLEAR_ACTIONS: () => 'clear_actions',
    METER: (i) => `meter:${i.meterId}`,
    EXPERIMENTER: (i) => experimenterCall(i),
  },
  (i) => `unknown_instruction:${String(i.type)}`,
);

/**
 * Instructions the way Open vSwitch prints a flow's actions: apply-actions inline, the
 * others as meter:N, clear_actions, write_actions(...), write_metadata:V/M, goto_table:N.
 */
export function formatInstructions(instructions: readonly Instruction[]): string {
  const parts = compact(instructions.map(instructionText));
  return parts.length > 0 ? parts.join(',') : 'drop';
}

// ---------------------------------------------------------------------------------------
// Structures: ports, buckets and groups, meters, queues, table features.

const PORT_FEATURE_NAMES: Readonly<Record<string, string>> = {
  AUTONEG: 'AUTO_NEG',
  PAUSE: 'AUTO_PAUSE',
  PAUSE_ASYM: 'AUTO_PAUSE_ASYM',
};
const PORT_FEATURES = bitTable(OFPPF, (k) => PORT_FEATURE_NAMES[k] ?? k.replace('_', '-'));
const PORT_CONFIG = bitTable(OFPPC);
const PORT_STATE = bitTable(OFPPS);

function portText(p: Port): string {
  const features = (label: string, bits: number) =>
    bits !== 0 && `${label}: ${bitNames(bits, PORT_FEATURES)}`;
  return words(
    `${formatPort(p.portNo)}(${printable(p.name)}): addr:${p.hwAddr}`,
    `config: ${bitNames(p.config, PORT_CONFIG)}`,
    `state: ${bitNames(p.state, PORT_STATE)}`,
    features('current', p.curr),
    features('advertised', p.advertised),
    features('supported', p.supported),
    features('peer', p.peer),
    `speed: ${Math.floor(p.currSpeed / 1000)} Mbps now, ${Math.floor(p.maxSpeed / 1000)} Mbps max`,
  );
}

const GROUP_TYPES = ['all', 'select', 'indirect', 'ff'];

function bucketText(b: Bucket, groupType: number): string {
  const defaultWeight = groupType === 1 ? 1 : 0;
  return compact([
    b.weight !== defaultWeight && `weight:${b.weight}`,
    b.watchPort !== OFPP.ANY && `watch_port:${formatPort(b.watchPort)}`,
    b.watchGroup !== OFPG.ANY && `watch_group:${b.watchGroup}`,
    `actions=${formatActions(b.actions)}`,
  ]).join(',');
}

function groupText(groupId: number, groupType: number, buckets: readonly Bucket[]): string {
  return compact([
    `group_id=${formatGroup(groupId)}`,
    `type=${GROUP_TYPES[groupType] ?? groupType}`,
    ...buckets.map((b) => `bucket=${bucketText(b, groupType)}`),
  ]).join(',');
}

const METER_FLAGS = bitTable(OFPMF, (k) => k.toLowerCase());
const METER_BAND_TYPES: BitTable = [
  [1 << 1, 'drop'],
  [1 << 2, 'dscp_remark'],
];

function bandText(b: MeterBand, flags: number): string {
  const burst = (flags & OFPMF.BURST) !== 0 && `burst_size=${b.burstSize}`;
  switch (b.type) {
    case 'DROP':
      return words(`type=drop rate=${b.rate}`, burst);
    case 'DSCP_REMARK':
      return words(`type=dscp_remark rate=${b.rate}`, burst, `prec_level=${b.precLevel}`);
    default:
      return words(`type=experimenter rate=${b.rate}`, burst, `experimenter=${vendor(b.experimenter)}`);
  }
}

/** "meter=1 kbps burst bands= type=drop rate=65536 burst_size=1280" (ofp_print_meter_config). */
function meterConfigText(c: Pick<MeterConfig, 'meterId' | 'flags' | 'bands'>): string {
  return words(
    formatMeter(c.meterId, '='),
    c.flags !== 0 && bitNames(c.flags, METER_FLAGS),
    'bands=',
    ...c.bands.map((b) => bandText(b, c.flags)),
  );
}

/** Open vSwitch's print_queue_rate: tenths of a percent; 0xffff means "no setting". */
function queueRate(name: string, rate: number): string | undefined {
  if (rate <= 1000) return `${name}:${Math.floor(rate / 10)}.${rate % 10}%`;
  return rate < 0xffff ? `${name}:(disabled)` : undefined;
}

const queuePropText = dispatch<QueueProp, 'type'>(
  'type',
  {
    MIN_RATE: (p) => queueRate('min_rate', p.rate) ?? '',
    MAX_RATE: (p) => queueRate('max_rate', p.rate) ?? '',
    EXPERIMENTER: (p) => `experimenter=${vendor(p.experimenter)} data_len=${p.data.length}`,
    UNKNOWN: (p) => `property=${p.property} data_len=${p.data.length}`,
  },
  (p) => `property=${String(p.type)}`,
);

function queueText(q: PacketQueue, port: number): string {
  return words(
    `queue ${formatQueue(q.queueId)}:`,
    q.port !== port && `port=${formatPort(q.port)}`,
    ...q.properties.map(queuePropText),
  );
}

// Table features: property lists of names.

/** Action and instruction names as Open vSwitch lists them in features. */
const ACTION_FEATURE_NAMES: Readonly<Record<string, string>> = {
  OUTPUT: 'output',
  COPY_TTL_OUT: 'copy_ttl_out',
  COPY_TTL_IN: 'copy_ttl_in',
  SET_MPLS_TTL: 'set_mpls_ttl',
  DEC_MPLS_TTL: 'dec_mpls_ttl',
  PUSH_VLAN: 'push_vlan',
  POP_VLAN: 'pop_vlan',
  PUSH_MPLS: 'push_mpls',
  POP_MPLS: 'pop_mpls',
  SET_QUEUE: 'set_queue',
  GROUP: 'group',
  SET_NW_TTL: 'mod_nw_ttl',
  DEC_NW_TTL: 'dec_ttl',
  SET_FIELD: 'set_field',
  PUSH_PBB: 'push_pbb',
  POP_PBB: 'pop_pbb',
};
const ACTION_BITS: BitTable = Object.entries(OFPAT)
  .filter(([, v]) => v < 32)
  .map(([k, v]) => [2 ** v, ACTION_FEATURE_NAMES[k] ?? k.toLowerCase()] as const);

/** Type names of a list of action or instruction ids; experimenter ids with their experimenter. */
function idNames(
  ids: readonly ({ type: string } | { type: 'EXPERIMENTER'; experimenter: number })[],
): string {
  const names = ids.map((id) =>
    'experimenter' in id
      ? `experimenter(${hexPad(id.experimenter, 8)})`
      : (ACTION_FEATURE_NAMES[id.type] ?? id.type.toLowerCase()),
  );
  return names.length > 0 ? names.join(' ') : 'none';
}

function oxmIdNames(ids: readonly OxmId[]): string {
  const names = ids.map((id) => {
    const basic = id.oxmClass === OXM_CLASS.OPENFLOW_BASIC ? OXM_BY_ID[id.oxmField] : undefined;
    return basic ? basic.ovs : opaqueName(id.oxmClass, id.oxmField, id.experimenter);
  });
  return names.length > 0 ? names.join(' ') : 'none';
}

/** Table ids as ranges: "1-253", "0 2-4". */
function tableRanges(ids: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    out.push(j > i ? `${ids[i]}-${ids[j]}` : String(ids[i]));
    i = j + 1;
  }
  return out.length > 0 ? out.join(' ') : 'none';
}

function tablePropText(p: TableFeatureProp): string {
  const label = p.type.toLowerCase();
  if ('instructionIds' in p) return `${label}: ${idNames(p.instructionIds)}`;
  if ('actionIds' in p) return `${label}: ${idNames(p.actionIds)}`;
  if ('tableIds' in p) return `${label}: ${tableRanges(p.tableIds)}`;
  if ('oxmIds' in p) return `${label}: ${oxmIdNames(p.oxmIds)}`;
  return `${label}: ${experimenterText(p)}`;
}

function tableFeaturesText(t: TableFeatures): string {
  return compact([
    words(
      `table ${t.tableId} ("${printable(t.name)}"):`,
      `metadata: match=${hex(t.metadataMatch)} write=${hex(t.metadataWrite)}`,
      t.config !== 0 && `config=${hex(t.config)}`,
      `max_entries=${t.maxEntries}`,
    ),
    ...t.properties.map(tablePropText),
  ]).join(', ');
}

// ---------------------------------------------------------------------------------------
// Multipart bodies.

function flowStatsRequestText(m: Extract<MultipartRequest, { mpType: 'FLOW' | 'AGGREGATE' }>): string {
  return words(
    m.tableId !== OFPTT.ALL && `table=${m.tableId}`,
    m.outPort !== OFPP.ANY && `out_port=${formatPort(m.outPort)}`,
    m.outGroup !== OFPG.ANY && `out_group=${formatGroup(m.outGroup)}`,
    m.cookieMask !== 0n && `cookie=${hex(m.cookie)}/${hex(m.cookieMask)}`,
    formatMatch(m.match),
  );
}

const FLOW_FLAGS: BitTable = [
  [OFPFF.SEND_FLOW_REM, 'send_flow_rem'],
  [OFPFF.CHECK_OVERLAP, 'check_overlap'],
  [OFPFF.RESET_COUNTS, 'reset_counts'],
  [OFPFF.NO_PKT_COUNTS, 'no_packet_counts'],
  [OFPFF.NO_BYT_COUNTS, 'no_byte_counts'],
];
const flowFlags = (flags: number): string | false => flags !== 0 && bitNames(flags, FLOW_FLAGS);

/** Options of formatFlowStats. */
export interface FlowStatsFormatOptions {
  /** false: leave out duration and counters, as `ovs-ofctl --no-stats dump-flows` does. */
  readonly stats?: boolean;
}

/**
 * One flow of a FLOW multipart reply exactly as `ovs-ofctl -O OpenFlow13 dump-flows` prints
 * its line, leading space included: ` cookie=0x0, duration=1.5s, table=0, n_packets=3,
 * n_bytes=180, idle_timeout=60, send_flow_rem priority=1,in_port=1 actions=output:2`
 * (Open vSwitch's ofputil_flow_stats_format).
 */
export function formatFlowStats(f: FlowStats, opts: FlowStatsFormatOptions = {}): string {
  const stats = opts.stats ?? true;
  const head = compact([
    (stats || f.cookie !== 0n) && `cookie=${hex(f.cookie)}`,
    stats && `duration=${duration(f.durationSec, f.durationNsec)}`,
    (stats || f.tableId !== 0) && `table=${f.tableId}`,
    stats && `n_packets=${count(f.packetCount)}`,
    stats && `n_bytes=${count(f.byteCount)}`,
    f.idleTimeout !== 0 && `idle_timeout=${f.idleTimeout}`,
    f.hardTimeout !== 0 && `hard_timeout=${f.hardTimeout}`,
  ]).map((p) => `${p}, `);
  // Flags and the match are each followed by a space; an empty match adds nothing.
  const flags = flowFlags(f.flags);
  const match = formatMatch(f.match, f.priority);
  return ` ${head.join('')}${flags ? `${flags} ` : ''}${match ? `${match} ` : ''}actions=${formatInstructions(f.instructions)}`;
}

const tableStatsText = (t: TableStats): string =>
  `table ${t.tableId}: active=${t.activeCount}, lookup=${count(t.lookupCount)}, matched=${count(t.matchedCount)}`;

function portStatsText(s: PortStats): string {
  const rx = [
    `pkts=${count(s.rxPackets)}`,
    `bytes=${count(s.rxBytes)}`,
    `drop=${count(s.rxDropped)}`,
    `errs=${count(s.rxErrors)}`,
    `frame=${count(s.rxFrameErr)}`,
    `over=${count(s.rxOverErr)}`,
    `crc=${count(s.rxCrcErr)}`,
  ];
  const tx = [
    `pkts=${count(s.txPackets)}`,
    `bytes=${count(s.txBytes)}`,
    `drop=${count(s.txDropped)}`,
    `errs=${count(s.txErrors)}`,
    `coll=${count(s.collisions)}`,
  ];
  return words(
    `port ${formatPort(s.portNo)}: rx ${rx.join(', ')}`,
    `tx ${tx.join(', ')}`,
    s.durationSec !== U32_MAX && `duration=${duration(s.durationSec, s.durationNsec)}`,
  );
}

function queueStatsText(q: QueueStats): string {
  const d = q.durationSec === U32_MAX ? '?' : duration(q.durationSec, q.durationNsec);
  return `port ${formatPort(q.portNo)} queue ${formatQueue(q.queueId)}: bytes=${count(q.txBytes)}, pkts=${count(q.txPackets)}, errors=${count(q.txErrors)}, duration=${d}`;
}

function groupStatsText(g: GroupStats): string {
  return compact([
    `group_id=${g.groupId}`,
    g.durationSec !== U32_MAX && `duration=${duration(g.durationSec, g.durationNsec)}`,
    `ref_count=${g.refCount}`,
    `packet_count=${g.packetCount}`,
    `byte_count=${g.byteCount}`,
    ...g.bucketStats.map((b, i) => `bucket${i}:packet_count=${b.packetCount},byte_count=${b.byteCount}`),
  ]).join(',');
}

const groupDescText = (g: GroupDesc): string => groupText(g.groupId, g.groupType, g.buckets);

function meterStatsText(s: MeterStats): string {
  return words(
    formatMeter(s.meterId, ':'),
    `flow_count:${s.flowCount}`,
    `packet_in_count:${s.packetInCount}`,
    `byte_in_count:${s.byteInCount}`,
    `duration:${duration(s.durationSec, s.durationNsec)}`,
    'bands:',
    ...s.bandStats.map((b, i) => `${i}: packet_count:${b.packetCount} byte_count:${b.byteCount}`),
  );
}

function groupFeaturesText(m: Extract<MultipartReply, { mpType: 'GROUP_FEATURES' }>): string {
  const perType = GROUP_TYPES.map((name, i) =>
    ((m.types >>> i) & 1) !== 0
      ? `${name} group: max_groups=${hex(m.maxGroups[i] ?? 0)} actions: ${bitNames(m.actions[i] ?? 0, ACTION_BITS)}`
      : undefined,
  );
  return words(`Group table: Types: ${hex(m.types)} Capabilities: ${hex(m.capabilities)}`, ...perType);
}

function meterFeaturesText(m: Extract<MultipartReply, { mpType: 'METER_FEATURES' }>): string {
  return words(
    `max_meter:${m.maxMeter} max_bands:${m.maxBands} max_color:${m.maxColor}`,
    `band_types: ${bitNames(m.bandTypes, METER_BAND_TYPES)}`,
    `capabilities: ${bitNames(m.capabilities, METER_FLAGS)}`,
  );
}

const requestText = dispatch<MultipartRequest, 'mpType'>(
  'mpType',
  {
    DESC: () => '',
    FLOW: flowStatsRequestText,
    AGGREGATE: flowStatsRequestText,
    TABLE: () => '',
    PORT_STATS: (m) => `port_no=${formatPort(m.portNo)}`,
    QUEUE: (m) => `port=${formatPort(m.portNo)} queue=${formatQueue(m.queueId)}`,
    GROUP: (m) => `group_id=${formatGroup(m.groupId)}`,
    GROUP_DESC: () => '',
    GROUP_FEATURES: () => '',
    METER: (m) => formatMeter(m.meterId, '='),
    METER_CONFIG: (m) => formatMeter(m.meterId, '='),
    METER_FEATURES: () => '',
    TABLE_FEATURES: (m) => entries(m.tables.map(tableFeaturesText)),
    PORT_DESC: () => '',
    EXPERIMENTER: experimenterText,
  },
  (m) => `unknown multipart ${String(m.mpType)}`,
);

const replyText = dispatch<MultipartReply, 'mpType'>(
  'mpType',
  {
    DESC: (m) =>
      entries([
        `Manufacturer: ${printable(m.mfrDesc)}`,
        `Hardware: ${printable(m.hwDesc)}`,
        `Software: ${printable(m.swDesc)}`,
        `Serial Num: ${printable(m.serialNum)}`,
        `DP Description: ${printable(m.dpDesc)}`,
      ]),
    FLOW: (m) => entries(m.stats.map((f) => formatFlowStats(f).trimStart())),
    AGGREGATE: (m) =>
      `packet_count=${count(m.packetCount)} byte_count=${count(m.byteCount)} flow_count=${m.flowCount}`,
    TABLE: (m) => entries(m.stats.map(tableStatsText)),
    PORT_STATS: (m) => entries([`${m.stats.length} ports`, ...m.stats.map(portStatsText)]),
    QUEUE: (m) => entries([`${m.stats.length} queues`, ...m.stats.map(queueStatsText)]),
    GROUP: (m) => entries(m.stats.map(groupStatsText)),
    GROUP_DESC: (m) => entries(m.groups.map(groupDescText)),
    GROUP_FEATURES: groupFeaturesText,
    METER: (m) => entries(m.stats.map(meterStatsText)),
    METER_CONFIG: (m) => entries(m.configs.map(meterConfigText)),
    METER_FEATURES: meterFeaturesText,
    TABLE_FEATURES: (m) => entries(m.tables.map(tableFeaturesText)),
    PORT_DESC: (m) => entries(m.ports.map(portText)),
    EXPERIMENTER: experimenterText,
  },
  (m) => `unknown multipart ${String(m.mpType)}`,
);

/** Open vSwitch's ofp_print_stats: " flags=[more]" and any other bits. */
function multipartFlags(flags: number): string | undefined {
  if (flags === 0) return undefined;
  const rest = flags & ~1;
  return `flags=${(flags & 1) !== 0 ? '[more]' : ''}${rest !== 0 ? `[***unknown flags ${hexPad(rest, 4)}***]` : ''}`;
}

// ---------------------------------------------------------------------------------------
// Message bodies.

/** Experimenter errors Open vSwitch names, by "experimenter:exp_type". */
const EXPERIMENTER_ERRORS: ReadonlyMap<string, string> = new Map([[`${0x4f4e4600}:2600`, 'OFPBIC_DUP_INST']]);

function errorName(m: ErrorMessage): string {
  if (m.errType === OFPET.EXPERIMENTER) {
    const exp = m.experimenter ?? 0;
    return (
      EXPERIMENTER_ERRORS.get(`${exp}:${m.code}`) ??
      `OFPET_EXPERIMENTER experimenter=${vendor(exp)} exp_type=${m.code}`
    );
  }
  return ofpErrorCodeName(m.errType, m.code) ?? `type=${m.errType} code=${m.code}`;
}

const MESSAGE_NAMES = reverse(OFPT);
const MULTIPART_NAMES = reverse(OFPMP);
const VERSIONS: Readonly<Record<number, string>> = {
  1: 'OF1.0',
  2: 'OF1.1',
  3: 'OF1.2',
  4: 'OF1.3',
  5: 'OF1.4',
  6: 'OF1.5',
};

/** "OFPT_FLOW_MOD", or for multiparts "OFPST_FLOW request" (Open vSwitch calls PORT_STATS PORT). */
function messageName(type: string, mpType?: string): string {
  if (type !== 'MULTIPART_REQUEST' && type !== 'MULTIPART_REPLY') return `OFPT_${type}`;
  const mp = mpType === 'PORT_STATS' ? 'PORT' : (mpType ?? '?');
  return `OFPST_${mp} ${type === 'MULTIPART_REQUEST' ? 'request' : 'reply'}`;
}

function headerText(name: string, version: number, xid: number): string {
  return `${name} (${VERSIONS[version] ?? `OF 0x${version.toString(16).padStart(2, '0')}`}) (xid=${hex(xid >>> 0)}):`;
}

/** The header of a message that does not decode (an ERROR's truncated copy of a request). */
function rawHeaderText(data: Uint8Array): string {
  const h = readHeader(data);
  const type = MESSAGE_NAMES.get(h.type) ?? `type${h.type}`;
  const mp = data.length >= 10 ? MULTIPART_NAMES.get((data[8]! << 8) | data[9]!) : undefined;
  return `${headerText(messageName(type, mp), h.version, h.xid)} (truncated)`;
}

/** The failed request an ERROR carries: its length, then the message itself if it decodes. */
function errorData(m: ErrorMessage): string {
  if (m.errType === OFPET.HELLO_FAILED)
    return `"${printable(String.fromCharCode(...m.data.subarray(0, 256)))}"`;
  if (m.data.length === 0) return '';
  if (m.data.length < 8) return `data_len=${m.data.length}`;
  let inner: string;
  try {
    inner = formatMessage(decode(m.data));
  } catch {
    inner = rawHeaderText(m.data);
  }
  return `data_len=${m.data.length} [${inner}]`;
}

function helloElementText(e: HelloElement): string {
  if (e.type !== 'VERSIONBITMAP') return `element type=${e.elementType} data_len=${e.data.length}`;
  const versions: string[] = [];
  e.bitmaps.forEach((word, w) => {
    for (let i = 0; i < 32; i++) if (((word >>> i) & 1) !== 0) versions.push(hexPad(32 * w + i, 2));
  });
  return `version bitmap: ${versions.join(', ')}`;
}

const FRAGS = ['normal', 'drop', 'reassemble', 'nx-match'];
function switchConfigText(m: { flags: number; missSendLen: number }): string {
  return words(
    `frags=${FRAGS[m.flags & 3]}`,
    (m.flags & ~3) !== 0 && `flags=${hex(m.flags)}`,
    `miss_send_len=${m.missSendLen}`,
  );
}

const CAPABILITIES = bitTable(OFPC);
const PACKET_IN_REASONS = ['no_match', 'action', 'invalid_ttl'];
const FLOW_REMOVED_REASONS = ['idle', 'hard', 'delete', 'group_delete'];
const PORT_REASONS = ['add', 'delete', 'modify'];
const PORT_STATUS_REASONS = ['ADD', 'DEL', 'MOD'];
const reasonName = (names: readonly string[], n: number): string => names[n] ?? String(n);

const FLOW_MOD_COMMANDS = ['ADD', 'MOD', 'MOD_STRICT', 'DEL', 'DEL_STRICT'];
const MOD_COMMANDS = ['ADD', 'MOD', 'DEL'];
const command = (names: readonly string[], n: number): string => names[n] ?? `cmd:${n}`;

const ROLES = ['nochange', 'equal', 'primary', 'secondary'];

/** The known reasons enabled in one async mask (Open vSwitch ignores the others); "(off)" for none. */
function reasonMask(mask: number, names: readonly string[]): string {
  const on = names.filter((_name, i) => ((mask >>> i) & 1) !== 0);
  return on.length > 0 ? on.join(' ') : '(off)';
}

function asyncText(m: {
  packetInMask: number[];
  portStatusMask: number[];
  flowRemovedMask: number[];
}): string {
  return entries(
    ['primary', 'secondary'].map((role, i) =>
      words(
        `${role}:`,
        `PACKET_IN: ${reasonMask(m.packetInMask[i] ?? 0, PACKET_IN_REASONS)}`,
        `PORT_STATUS: ${reasonMask(m.portStatusMask[i] ?? 0, PORT_REASONS)}`,
        `FLOW_REMOVED: ${reasonMask(m.flowRemovedMask[i] ?? 0, FLOW_REMOVED_REASONS)}`,
      ),
    ),
  );
}

function roleText(m: { type: 'ROLE_REQUEST' | 'ROLE_REPLY'; role: number; generationId: bigint }): string {
  // Open vSwitch shows the generation id where it is meaningful: requests to become primary
  // or secondary, and replies that carry one.
  const shown = m.type === 'ROLE_REQUEST' ? m.role >= 2 : m.generationId !== U64_MAX;
  return words(`role=${reasonName(ROLES, m.role)}`, shown && `generation_id=${m.generationId}`);
}

const bodyText = dispatch<Message, 'type'>(
  'type',
  {
    HELLO: (m) => words(...m.elements.map(helloElementText)),
    ERROR: (m) => words(errorName(m), errorData(m)),
    ECHO_REQUEST: (m) => `${m.data.length} bytes of payload`,
    ECHO_REPLY: (m) => `${m.data.length} bytes of payload`,
    EXPERIMENTER: experimenterText,
    FEATURES_REQUEST: () => '',
    FEATURES_REPLY: (m) =>
      words(
        `dpid:${m.datapathId.toString(16).padStart(16, '0')}`,
        `n_tables:${m.nTables}, n_buffers:${m.nBuffers}${m.auxiliaryId !== 0 ? `, auxiliary_id:${m.auxiliaryId}` : ''}`,
        `capabilities: ${bitNames(m.capabilities, CAPABILITIES, true)}`,
      ),
    GET_CONFIG_REQUEST: () => '',
    GET_CONFIG_REPLY: switchConfigText,
    SET_CONFIG: switchConfigText,
    PACKET_IN: (m) =>
      words(
        m.tableId !== 0 && `table_id=${m.tableId}`,
        m.cookie !== U64_MAX && `cookie=${hex(m.cookie)}`,
        `total_len=${m.totalLen}`,
        formatMatch(m.match),
        `(via ${reasonName(PACKET_IN_REASONS, m.reason)})`,
        `data_len=${m.data.length}`,
        m.bufferId === OFP_NO_BUFFER ? '(unbuffered)' : `buffer=${hexPad(m.bufferId, 8)}`,
      ),
    FLOW_REMOVED: (m) =>
      words(
        formatMatch(m.match, m.priority),
        `reason=${reasonName(FLOW_REMOVED_REASONS, m.reason)}`,
        m.tableId !== OFPTT.ALL && `table_id=${m.tableId}`,
        m.cookie !== 0n && `cookie:${hex(m.cookie)}`,
        `duration${duration(m.durationSec, m.durationNsec)}`,
        `idle${m.idleTimeout}`,
        m.hardTimeout !== 0 && `hard${m.hardTimeout}`,
        `pkts${m.packetCount} bytes${m.byteCount}`,
      ),
    PORT_STATUS: (m) => `${reasonName(PORT_STATUS_REASONS, m.reason)}: ${portText(m.desc)}`,
    PACKET_OUT: (m) =>
      words(
        `in_port=${formatPort(m.inPort)}`,
        `actions=${formatActions(m.actions)}`,
        m.bufferId === OFP_NO_BUFFER ? `data_len=${m.data.length}` : `buffer=${hexPad(m.bufferId, 8)}`,
      ),
    FLOW_MOD: (m) =>
      words(
        command(FLOW_MOD_COMMANDS, m.command),
        m.tableId !== 0 && `table:${m.tableId}`,
        formatMatch(m.match, m.priority),
        // An ADD sets the cookie; the other commands select flows by cookie/mask.
        m.command === 0
          ? m.cookie !== 0n && `cookie:${hex(m.cookie)}`
          : m.cookieMask !== 0n && `cookie:${hex(m.cookie)}/${hex(m.cookieMask)}`,
        m.idleTimeout !== 0 && `idle:${m.idleTimeout}`,
        m.hardTimeout !== 0 && `hard:${m.hardTimeout}`,
        m.bufferId !== OFP_NO_BUFFER && `buf:${hex(m.bufferId)}`,
        m.outPort !== OFPP.ANY && `out_port:${formatPort(m.outPort)}`,
        m.outGroup !== OFPG.ANY && `out_group:${formatGroup(m.outGroup)}`,
        flowFlags(m.flags),
        `actions=${formatInstructions(m.instructions)}`,
      ),
    GROUP_MOD: (m) => `${command(MOD_COMMANDS, m.command)} ${groupText(m.groupId, m.groupType, m.buckets)}`,
    PORT_MOD: (m) =>
      words(
        `port: ${formatPort(m.portNo)}: addr:${m.hwAddr}`,
        `config: ${bitNames(m.config, PORT_CONFIG)}`,
        `mask: ${bitNames(m.mask, PORT_CONFIG)}`,
        `advertise: ${m.advertise !== 0 ? bitNames(m.advertise, PORT_FEATURES) : 'UNCHANGED'}`,
      ),
    TABLE_MOD: (m) =>
      words(
        `table_id=${m.tableId === OFPTT.ALL ? 'ALL' : m.tableId}`,
        m.config !== 0 && `config=${hex(m.config)}`,
      ),
    MULTIPART_REQUEST: (m) => words(multipartFlags(m.flags), requestText(m)),
    MULTIPART_REPLY: (m) => words(multipartFlags(m.flags), replyText(m)),
    BARRIER_REQUEST: () => '',
    BARRIER_REPLY: () => '',
    QUEUE_GET_CONFIG_REQUEST: (m) => `port=${formatPort(m.port)}`,
    QUEUE_GET_CONFIG_REPLY: (m) =>
      entries([`port=${formatPort(m.port)}`, ...m.queues.map((q) => queueText(q, m.port))]),
    ROLE_REQUEST: roleText,
    ROLE_REPLY: roleText,
    GET_ASYNC_REQUEST: () => '',
    GET_ASYNC_REPLY: asyncText,
    SET_ASYNC: asyncText,
    METER_MOD: (m) => `${command(MOD_COMMANDS, m.command)} ${meterConfigText(m)}`,
  },
  (m) => `***unknown message type ${String(m.type)}***`,
);

/**
 * One line describing a message, as `ovs-ofctl ofp-print` would print it with its line
 * breaks folded, e.g. `OFPT_FLOW_MOD (OF1.3) (xid=0x2): ADD table:1 priority=100,in_port=1
 * actions=output:2`. Never throws: a hand-built object the printers cannot read prints its
 * header and a note instead of its body.
 */
export function formatMessage(m: Message): string {
  const mpType = 'mpType' in m ? m.mpType : undefined;
  const head = headerText(messageName(m.type, mpType), m.type === 'HELLO' ? m.version : 4, m.xid);
  let body: string;
  try {
    body = bodyText(m);
  } catch (e) {
    body = `***unprintable: ${e instanceof Error ? e.message : String(e)}***`;
  }
  return (body === '' ? head : `${head} ${body}`).replace(/[\r\n\u2028\u2029]+/g, ' ');
}
