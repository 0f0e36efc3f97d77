// validate(): what a switch must refuse although the message is well formed. decode() has
// already checked lengths, alignment, enumerations and flag bits; this checks meaning —
// OXM masks, prerequisites, duplicates and value widths, set-field rules, ports, group and
// meter ids, goto-table order, meter flag combinations — and names the ERROR type and code
// of OpenFlow 1.3.5 for each.

import type { Action, Instruction } from './actions.js';
import { OFPG, OFPM, OFPMF, OFPP, OFPTT, OFPVID, OFPGT } from './constants.js';
import { ERROR_DATA_LEN, type ErrorTypeName, OFPET, OfpError, errorCode, type ERROR_CODES } from './errors.js';
import { type Message, encode } from './messages.js';
import { type Match, type Oxm, type OxmBasic, type OXM_FIELDS, oxmInfo, oxmValueBytes } from './oxm.js';

type Code<T extends ErrorTypeName> = (typeof ERROR_CODES)[T][number];

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
      if (m.tableId === OFPTT.ALL && m.command <= 2) return bad('FLOW_MOD_FAILED', 'BAD_TABLE_ID', 'table 0xff (ALL) in an add or modify');
      return checkMatch(m.match) ?? checkInstructions(m.instructions, m.command <= 2 ? m.tableId : undefined);
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
      const v = oxmValueBytes(o.field, o.value);
      const k = oxmValueBytes(o.field, o.mask);
      for (let i = 0; i < v.length; i++) {
        if ((v[i]! & ~k[i]!) !== 0) return bad('BAD_MATCH', 'BAD_WILDCARDS', `${o.field} value has bits outside its mask`);
      }
    }
  }
  for (const o of seen.values()) {
    const info = oxmInfo(o.field);
    if (!info.prereq) continue;
    const met = info.prereq.some((pr) => {
      const dep = seen.get(pr.field);
      if (dep === undefined) return false;
      if (pr.notNone) return !(dep.mask === undefined && dep.value === OFPVID.NONE);
      if (pr.values === undefined) return true;
      return dep.mask === undefined && pr.values.includes(dep.value as number);
    });
    if (!met) return bad('BAD_MATCH', 'BAD_PREREQ', `${o.field} without its prerequisite ${describePrereq(o.field)}`);
  }
  return undefined;
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
        if (a.ethertype !== 0x8100 && a.ethertype !== 0x88a8) return bad('BAD_ACTION', 'BAD_ARGUMENT', `push_vlan ethertype 0x${a.ethertype.toString(16)}`);
        break;
      case 'PUSH_MPLS':
        if (a.ethertype !== 0x8847 && a.ethertype !== 0x8848) return bad('BAD_ACTION', 'BAD_ARGUMENT', `push_mpls ethertype 0x${a.ethertype.toString(16)}`);
        break;
      case 'PUSH_PBB':
        if (a.ethertype !== 0x88e7) return bad('BAD_ACTION', 'BAD_ARGUMENT', `push_pbb ethertype 0x${a.ethertype.toString(16)}`);
        break;
      case 'SET_FIELD': {
        const p = checkSetField(a.field);
        if (p) return p;
        break;
      }
      default:
        break;
    }
  }
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
  if (del) return undefined;
  for (const b of m.bands) {
    if (b.rate === 0) return bad('METER_MOD_FAILED', 'BAD_RATE', 'band rate 0');
    if (b.type === 'DSCP_REMARK' && b.precLevel > 63) return bad('METER_MOD_FAILED', 'BAD_BAND_VALUE', `prec_level ${b.precLevel}`);
  }
  return undefined;
}
