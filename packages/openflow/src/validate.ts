// validate(): what a switch must refuse although the message is well formed. decode() has
// already checked lengths, alignment, enumerations and flag bits; this checks meaning —
// OXM masks, prerequisites, duplicates and value widths, set-field rules and prerequisites,
// ports, group and meter ids, goto-table order, meter flag combinations — and names the ERROR
// type and code of OpenFlow 1.3.5 for each. It also refuses what decode() accepts only so that
// encode(decode(b)) is b: experimenter bodies that break 64-bit alignment, and set-field
// padding that is not the prescribed zeros.

import type { Action, Instruction } from './actions.js';
import { ETH_TYPE, OFPFC, OFPG, OFPGT, OFPM, OFPMF, OFPP, OFPTT, OFPVID } from './constants.js';
import { type CodeName as Code, ERROR_DATA_LEN, type ErrorTypeName, OFPET, OfpError, errorCode } from './errors.js';
import { rawOf } from './layout.js';
import { type FlowMod, type Message, encode } from './messages.js';
import { type Match, type Oxm, type OxmBasic, type OxmFieldName, type OXM_FIELDS, type Prereq, oxm, oxmInfo, oxmValueInto } from './oxm.js';

class Invalid {
  constructor(
    readonly type: ErrorTypeName,
    readonly code: string,
    readonly what: string,
  ) {}
}

function bad<T extends ErrorTypeName>(type: T, code: Code<T>, what: string): Invalid {
  return new Invalid(type, code, what);
}

/**
 * Check a decoded (or hand-built) message. Returns undefined when a switch should accept it,
 * else the OfpError to answer with. `bytes`, when given, are the message as received (for
 * the ERROR's data); otherwise the message is encoded to produce them.
 */
export function validate(m: Message, bytes?: Uint8Array): OfpError | undefined {
  const problem = check(m);
  if (problem === undefined) return undefined;
  let data: Uint8Array;
  try {
    data = (bytes ?? encode(m)).slice(0, ERROR_DATA_LEN);
  } catch {
    data = new Uint8Array(0);
  }
  const code = errorCode(problem.type, problem.code as Code<typeof problem.type>);
  return new OfpError(OFPET[problem.type], code, problem.what, data);
}


function check(m: Message): Invalid | undefined {
  switch (m.type) {
    case 'FLOW_MOD': {
      const adds = m.command <= OFPFC.MODIFY_STRICT;
      if (m.tableId === OFPTT.ALL && adds) return bad('FLOW_MOD_FAILED', 'BAD_TABLE_ID', 'table 0xff (ALL) in an add or modify');
      return (
        checkMatch(m.match) ??
        checkInstructions(m.instructions, adds ? m.tableId : undefined) ??
        (adds ? checkSetFieldPrereqs(m) : undefined)
      );
    }
    case 'PACKET_OUT': {
      const p = m.inPort;
      if (p === 0 || (p > OFPP.MAX && p !== OFPP.CONTROLLER && p !== OFPP.LOCAL && p !== OFPP.ANY)) {
        return bad('BAD_REQUEST', 'BAD_PORT', `packet-out in_port ${portName(p)}`);
      }
      return checkActions(m.actions, true);
    }
    case 'GROUP_MOD':
      return checkGroupMod(m);
    case 'METER_MOD':
      return checkMeterMod(m);
    case 'PORT_MOD': {
      if (m.portNo === 0 || (m.portNo > OFPP.MAX && m.portNo !== OFPP.LOCAL)) return bad('PORT_MOD_FAILED', 'BAD_PORT', `port ${portName(m.portNo)}`);
      if ((m.config | m.mask) & ~0x65) return bad('PORT_MOD_FAILED', 'BAD_CONFIG', 'unknown port config bits');
      if (m.advertise & ~0xffff) return bad('PORT_MOD_FAILED', 'BAD_ADVERTISE', 'unknown port feature bits');
      return undefined;
    }
    case 'TABLE_MOD':
      if (m.config & ~3) return bad('TABLE_MOD_FAILED', 'BAD_CONFIG', 'unknown table config bits');
      return undefined;
    case 'MULTIPART_REQUEST':
      if (m.mpType === 'FLOW' || m.mpType === 'AGGREGATE') return checkMatch(m.match);
      return undefined;
    default:
      return undefined;
  }
}

function portName(p: number): string {
  const e = Object.entries(OFPP).find(([, v]) => v === p);
  return e ? e[0] : String(p);
}

// Scratch space for a masked field's value and mask bytes (the widest field is 16 bytes).
const valueBytes = new Uint8Array(16);
const valueView = new DataView(valueBytes.buffer);
const maskBytes = new Uint8Array(16);
const maskView = new DataView(maskBytes.buffer);

/** Check an OXM match: masks, widths, wildcards, duplicates, prerequisites. */
function checkMatch(match: Match): Invalid | undefined {
  const seen = new Map<string, OxmBasic>();
  for (const o of match) {
    if (o.field === 'OPAQUE') continue;
    const info = oxmInfo(o.field);
    if (seen.has(o.field)) return bad('BAD_MATCH', 'DUP_FIELD', `${o.field} twice`);
    seen.set(o.field, o);
    if (o.mask !== undefined && !info.maskable) return bad('BAD_MATCH', 'BAD_MASK', `${o.field} cannot be masked`);
    if (!fitsWidth(o, info.bits)) return bad('BAD_MATCH', 'BAD_VALUE', `${o.field} value wider than ${info.bits} bits`);
    if (o.mask !== undefined) {
      const n = oxmValueInto(o.field, o.value, valueBytes, valueView);
      oxmValueInto(o.field, o.mask, maskBytes, maskView);
      for (let i = 0; i < n; i++) {
        if ((valueBytes[i]! & ~maskBytes[i]!) !== 0) return bad('BAD_MATCH', 'BAD_WILDCARDS', `${o.field} value has bits outside its mask`);
      }
    }
  }
  for (const o of seen.values()) {
    const info = oxmInfo(o.field);
    if (!info.prereq) continue;
    const met = info.prereq.some((pr) => prereqHolds(pr, seen.get(pr.field)));
    if (!met) return bad('BAD_MATCH', 'BAD_PREREQ', `${o.field} without its prerequisite ${describePrereq(o.field)}`);
  }
  return undefined;
}

/** Whether `dep` (the prerequisite's field as matched or set, if at all) satisfies `pr`. */
function prereqHolds(pr: Prereq, dep: OxmBasic | undefined): boolean {
  if (dep === undefined) return false;
  if (pr.notNone) return !(dep.mask === undefined && dep.value === OFPVID.NONE);
  if (pr.values === undefined) return true;
  return dep.mask === undefined && pr.values.includes(dep.value as number);
}

function describePrereq(field: keyof typeof OXM_FIELDS): string {
  const p = oxmInfo(field).prereq ?? [];
  return p
    .map((x) => (x.values ? `${x.field}=${x.values.map((v) => `0x${v.toString(16)}`).join('|')}` : x.notNone ? `${x.field}!=NONE` : x.field))
    .join(' or ');
}

function fitsWidth(o: OxmBasic, bits: number): boolean {
  if (typeof o.value === 'number') {
    if (bits >= 32) return true;
    return o.value < 2 ** bits && (o.mask === undefined || (o.mask as number) < 2 ** bits);
  }
  return true;
}

function checkInstructions(list: Instruction[], tableId: number | undefined): Invalid | undefined {
  const types = new Set<string>();
  for (const ins of list) {
    if (types.has(ins.type)) return bad('BAD_INSTRUCTION', 'UNSUP_INST', `${ins.type} twice in one instruction set`);
    types.add(ins.type);
    switch (ins.type) {
      case 'GOTO_TABLE':
        if (ins.tableId > OFPTT.MAX) return bad('BAD_INSTRUCTION', 'BAD_TABLE_ID', `goto_table ${ins.tableId}`);
        if (tableId !== undefined && ins.tableId <= tableId) {
          return bad('BAD_INSTRUCTION', 'BAD_TABLE_ID', `goto_table ${ins.tableId} from table ${tableId} (must go forward)`);
        }
        break;
      case 'WRITE_ACTIONS':
      case 'APPLY_ACTIONS': {
        const p = checkActions(ins.actions, false);
        if (p) return p;
        break;
      }
      case 'METER':
        if (ins.meterId === 0 || (ins.meterId > OFPM.MAX && ins.meterId !== OFPM.SLOWPATH && ins.meterId !== OFPM.CONTROLLER)) {
          return bad('METER_MOD_FAILED', 'INVALID_METER', `meter ${ins.meterId}`);
        }
        break;
      case 'EXPERIMENTER':
        // 8-byte header, then the body: "len" is a multiple of 8 (instructions are 64-bit aligned)
        if (ins.data.length % 8 !== 0) {
          return bad('BAD_INSTRUCTION', 'BAD_LEN', `experimenter instruction of ${8 + ins.data.length} bytes, not a multiple of 8`);
        }
        break;
      default:
        break;
    }
  }
  return undefined;
}

const OUTPUT_RESERVED = new Set<number>([OFPP.IN_PORT, OFPP.NORMAL, OFPP.FLOOD, OFPP.ALL, OFPP.CONTROLLER, OFPP.LOCAL]);

/** Check actions; TABLE as an output port is valid only in PACKET_OUT. */
function checkActions(list: Action[], packetOut: boolean): Invalid | undefined {
  for (const a of list) {
    switch (a.type) {
      case 'OUTPUT':
        if (a.port === 0 || (a.port > OFPP.MAX && !OUTPUT_RESERVED.has(a.port) && !(packetOut && a.port === OFPP.TABLE))) {
          return bad('BAD_ACTION', 'BAD_OUT_PORT', `output to ${portName(a.port)}`);
        }
        break;
      case 'GROUP':
        if (a.groupId > OFPG.MAX) return bad('BAD_ACTION', 'BAD_OUT_GROUP', `group ${a.groupId}`);
        break;
      case 'PUSH_VLAN':
        if (a.ethertype !== ETH_TYPE.VLAN && a.ethertype !== ETH_TYPE.QINQ) return bad('BAD_ACTION', 'BAD_ARGUMENT', `push_vlan ethertype 0x${a.ethertype.toString(16)}`);
        break;
      case 'PUSH_MPLS':
        if (a.ethertype !== ETH_TYPE.MPLS && a.ethertype !== ETH_TYPE.MPLS_MCAST) return bad('BAD_ACTION', 'BAD_ARGUMENT', `push_mpls ethertype 0x${a.ethertype.toString(16)}`);
        break;
      case 'PUSH_PBB':
        if (a.ethertype !== ETH_TYPE.PBB) return bad('BAD_ACTION', 'BAD_ARGUMENT', `push_pbb ethertype 0x${a.ethertype.toString(16)}`);
        break;
      case 'SET_FIELD': {
        const p = checkSetFieldPadding(a) ?? checkSetField(a.field);
        if (p) return p;
        break;
      }
      case 'EXPERIMENTER':
        // 8-byte header, then the body: "Length is a multiple of 8"
        if (a.data.length % 8 !== 0) return bad('BAD_ACTION', 'BAD_LEN', `experimenter action of ${8 + a.data.length} bytes, not a multiple of 8`);
        break;
      default:
        break;
    }
  }
  return undefined;
}

/**
 * A set-field action is its 4-byte header, the OXM, then "exactly ((oxm_len + 4) + 7)/8*8 -
 * (oxm_len + 4) bytes of all-zero bytes". decode() keeps any other padding received (hidden,
 * so that encode(decode(b)) is b); here it is refused: padding of another size is a length
 * problem (BAD_SET_LEN), padding of the right size that is not zero a bad argument
 * (BAD_SET_ARGUMENT, as Open vSwitch answers).
 */
function checkSetFieldPadding(a: Extract<Action, { type: 'SET_FIELD' }>): Invalid | undefined {
  const raw = rawOf(a)?.['alignPad'];
  if (raw === undefined) return undefined;
  const used = 4 + oxm.size(a.field);
  const want = (8 - (used % 8)) % 8;
  if (raw.length !== want) return bad('BAD_ACTION', 'BAD_SET_LEN', `set_field of ${used + raw.length} bytes (${raw.length} bytes of padding, not ${want})`);
  if (raw.some((x) => x !== 0)) return bad('BAD_ACTION', 'BAD_SET_ARGUMENT', 'set_field padding is not zero');
  return undefined;
}

function checkSetField(o: Oxm): Invalid | undefined {
  if (o.field === 'OPAQUE') return bad('BAD_ACTION', 'BAD_SET_TYPE', `set_field of OXM class 0x${o.oxmClass.toString(16)} field ${o.oxmField}`);
  const info = oxmInfo(o.field);
  if (!info.settable) return bad('BAD_ACTION', 'BAD_SET_TYPE', `${o.field} cannot be set`);
  if (o.mask !== undefined) return bad('BAD_ACTION', 'BAD_SET_ARGUMENT', `set_field ${o.field} with a mask`);
  if (!fitsWidth(o, info.bits)) return bad('BAD_ACTION', 'BAD_SET_ARGUMENT', `set_field ${o.field} value wider than ${info.bits} bits`);
  return undefined;
}

/**
 * Set-field prerequisites (1.3.5 §7.2.5: "The OXM prerequisites corresponding to the field to
 * be set must be included in the flow entry, otherwise an error must be generated"): each
 * SET_FIELD in the flow's APPLY_ACTIONS and WRITE_ACTIONS needs its field's prerequisites,
 * all the way down (TCP_DST: IP_PROTO=6, which needs ETH_TYPE IPv4 or IPv6), established by the
 * match or by the actions the packet has been through by then: PUSH_VLAN establishes a VLAN
 * tag, PUSH_MPLS/POP_MPLS/PUSH_PBB their ethertype, a set-field its value; POP_VLAN and
 * POP_PBB make the tag and the ethertype unknown. Apply-actions run in list order, before the
 * action set; the action set runs its pushes and pops before its set-fields (§5.10), whatever
 * the order they were written in. Unmet: BAD_ACTION/MATCH_INCONSISTENT ("Action can't apply for
 * this match, or Set-Field missing prerequisite").
 */
function checkSetFieldPrereqs(m: FlowMod): Invalid | undefined {
  const state = new Map<OxmFieldName, OxmBasic>();
  for (const o of m.match) if (o.field !== 'OPAQUE') state.set(o.field, o);
  const apply = m.instructions.find((i) => i.type === 'APPLY_ACTIONS');
  const write = m.instructions.find((i) => i.type === 'WRITE_ACTIONS');
  for (const a of apply?.actions ?? []) {
    const p = setFieldPrereq(a, state, 'apply');
    if (p) return p;
    actOn(state, a);
  }
  const set = write?.actions ?? [];
  for (const a of set) if (a.type !== 'SET_FIELD') actOn(state, a);
  for (const a of set) {
    const p = setFieldPrereq(a, state, 'write');
    if (p) return p;
  }
  return undefined;
}

function setFieldPrereq(a: Action, state: ReadonlyMap<OxmFieldName, OxmBasic>, where: string): Invalid | undefined {
  if (a.type !== 'SET_FIELD' || a.field.field === 'OPAQUE') return undefined;
  if (established(a.field.field, state)) return undefined;
  return bad(
    'BAD_ACTION',
    'MATCH_INCONSISTENT',
    `${where}-actions set_field ${a.field.field} without its prerequisite ${describePrereq(a.field.field)} in the match or earlier actions`,
  );
}

/** Whether the prerequisites of `field`, and theirs, hold in `state`. */
function established(field: OxmFieldName, state: ReadonlyMap<OxmFieldName, OxmBasic>, depth = 0): boolean {
  const prereq = oxmInfo(field).prereq;
  if (!prereq) return true;
  if (depth > 4) return false;
  return prereq.some((pr) => prereqHolds(pr, state.get(pr.field as OxmFieldName)) && established(pr.field as OxmFieldName, state, depth + 1));
}

/** What an action does to the fields known of the packet. */
function actOn(state: Map<OxmFieldName, OxmBasic>, a: Action): void {
  switch (a.type) {
    case 'PUSH_VLAN':
      state.set('VLAN_VID', { field: 'VLAN_VID', value: OFPVID.PRESENT, mask: OFPVID.PRESENT });
      break;
    case 'POP_VLAN':
      state.delete('VLAN_VID');
      state.delete('VLAN_PCP');
      break;
    case 'PUSH_MPLS':
    case 'POP_MPLS':
    case 'PUSH_PBB':
      state.set('ETH_TYPE', { field: 'ETH_TYPE', value: a.ethertype });
      break;
    case 'POP_PBB':
      state.delete('ETH_TYPE');
      break;
    case 'SET_FIELD':
      if (a.field.field !== 'OPAQUE') state.set(a.field.field, a.field);
      break;
    default:
      break;
  }
}

function checkGroupMod(m: Extract<Message, { type: 'GROUP_MOD' }>): Invalid | undefined {
  const del = m.command === 2;
  if (m.groupId > OFPG.MAX && !(del && m.groupId === OFPG.ALL)) return bad('GROUP_MOD_FAILED', 'INVALID_GROUP', `group id ${m.groupId}`);
  if (del) return undefined;
  if (m.groupType === OFPGT.INDIRECT && m.buckets.length !== 1) {
    return bad('GROUP_MOD_FAILED', 'BAD_BUCKET', `an indirect group has exactly one bucket, not ${m.buckets.length}`);
  }
  for (const b of m.buckets) {
    if (m.groupType !== OFPGT.SELECT && b.weight !== 0) return bad('GROUP_MOD_FAILED', 'BAD_BUCKET', 'bucket weight outside a select group');
    if (m.groupType === OFPGT.FF && b.watchPort === OFPP.ANY && b.watchGroup === OFPG.ANY) {
      return bad('GROUP_MOD_FAILED', 'BAD_WATCH', 'fast-failover bucket watches neither a port nor a group');
    }
    const p = checkActions(b.actions, false);
    if (p) return p;
  }
  return undefined;
}

function checkMeterMod(m: Extract<Message, { type: 'METER_MOD' }>): Invalid | undefined {
  const del = m.command === 2;
  const id = m.meterId;
  if (id === 0 || (id > OFPM.MAX && id !== OFPM.SLOWPATH && id !== OFPM.CONTROLLER && !(del && id === OFPM.ALL))) {
    return bad('METER_MOD_FAILED', 'INVALID_METER', `meter id ${id}`);
  }
  if ((m.flags & OFPMF.KBPS) !== 0 && (m.flags & OFPMF.PKTPS) !== 0) return bad('METER_MOD_FAILED', 'BAD_FLAGS', 'both KBPS and PKTPS');
  for (const b of m.bands) {
    // 16-byte header, then the body; bands are 64-bit aligned like every OpenFlow structure.
    // METER_MOD_FAILED has no length code: BAD_REQUEST/BAD_LEN, as decode (and Open vSwitch)
    // answer other band length problems.
    if (b.type === 'EXPERIMENTER' && b.data.length % 8 !== 0) {
      return bad('BAD_REQUEST', 'BAD_LEN', `experimenter meter band of ${16 + b.data.length} bytes, not a multiple of 8`);
    }
  }
  if (del) return undefined;
  for (const b of m.bands) {
    if (b.rate === 0) return bad('METER_MOD_FAILED', 'BAD_RATE', 'band rate 0');
    if (b.type === 'DSCP_REMARK' && b.precLevel > 63) return bad('METER_MOD_FAILED', 'BAD_BAND_VALUE', `prec_level ${b.precLevel}`);
  }
  return undefined;
}
