// Actions and instructions in Ryu's ofctl JSON (ofctl_utils.to_action, ofctl_v1_3.to_actions
// and actions_to_str), both ways.
//
// In: a list of dicts, { "type": "OUTPUT", "port": 2 }, { "type": "SET_FIELD", "field":
// "vlan_vid", "value": 4102 }, and the instruction-like entries GOTO_TABLE, WRITE_METADATA,
// METER, WRITE_ACTIONS (with its own "actions"), CLEAR_ACTIONS. The plain actions make one
// APPLY_ACTIONS instruction; the instructions come out in the order the specification
// executes them (meter, apply, clear, write, write-metadata, goto).
//
// Out: Ryu's strings, "OUTPUT:2", "SET_FIELD: {eth_dst:00:00:00:00:00:01}", "GOTO_TABLE:1",
// { "WRITE_ACTIONS": [...] }, ...

import type { Action, Instruction } from '@rumpflow/openflow';
import { OFPCML, OFPP } from '@rumpflow/openflow';
import {
  RyuValueError,
  cmlFromUser,
  groupFromUser,
  groupToUser,
  meterFromUser,
  meterToUser,
  opt,
  portFromUser,
  portToUser,
  queueFromUser,
  queueToUser,
  tableFromUser,
  tableToUser,
  uint,
  uint64,
} from './ints.js';
import { ryuNameOf, setFieldValue } from './match.js';

/** One action or instruction as JSON. */
export type RyuAction = Record<string, unknown>;

const NO_ARGS = ['COPY_TTL_OUT', 'COPY_TTL_IN', 'DEC_MPLS_TTL', 'POP_VLAN', 'DEC_NW_TTL', 'POP_PBB'] as const;
const ETHERTYPE = ['PUSH_VLAN', 'PUSH_MPLS', 'POP_MPLS', 'PUSH_PBB'] as const;
const INSTRUCTIONS = ['GOTO_TABLE', 'WRITE_METADATA', 'METER', 'WRITE_ACTIONS', 'CLEAR_ACTIONS'] as const;

/** Bytes given as text: data_type "ascii" (the default), "base64" or "hex". */
export function bytesFromUser(
  data: unknown,
  dataType: unknown,
  what: string,
  dflt: 'ascii' | 'base64' = 'ascii',
): Uint8Array {
  const t = dataType ?? dflt;
  if (data === undefined || data === null) return new Uint8Array(0);
  if (typeof data !== 'string') throw new RyuValueError(`${what}: data must be a string`);
  switch (t) {
    case 'ascii':
      if ([...data].some((ch) => ch.charCodeAt(0) > 0x7f))
        throw new RyuValueError(`${what}: data is not ASCII`);
      return new Uint8Array(Buffer.from(data, 'latin1'));
    case 'base64':
      if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(data)) throw new RyuValueError(`${what}: data is not base64`);
      return new Uint8Array(Buffer.from(data, 'base64'));
    case 'hex': {
      const h = data.replace(/[\s:]/g, '');
      if (!/^([0-9a-fA-F]{2})*$/.test(h)) throw new RyuValueError(`${what}: data is not hex`);
      return new Uint8Array(Buffer.from(h, 'hex'));
    }
    default:
      throw new RyuValueError(`${what}: unknown data_type ${JSON.stringify(t)} (ascii, base64, hex)`);
  }
}

function typeOf(a: unknown, what: string): string {
  if (typeof a !== 'object' || a === null || Array.isArray(a))
    throw new RyuValueError(`${what}: expected an object with a "type"`);
  const t = (a as RyuAction)['type'];
  if (typeof t !== 'string') throw new RyuValueError(`${what}: missing "type"`);
  return t.toUpperCase();
}

/** One plain action (Ryu's to_action); undefined for the instruction-like types. */
export function actionFromRyu(a: RyuAction, what = 'action'): Action | undefined {
  const t = typeOf(a, what);
  const w = `${what} ${t}`;
  if ((NO_ARGS as readonly string[]).includes(t)) return { type: t as (typeof NO_ARGS)[number] };
  if ((ETHERTYPE as readonly string[]).includes(t)) {
    if (a['ethertype'] === undefined) throw new RyuValueError(`${w}: needs "ethertype"`);
    return { type: t as (typeof ETHERTYPE)[number], ethertype: uint(a['ethertype'], 16, `${w} ethertype`) };
  }
  switch (t) {
    case 'OUTPUT':
      return {
        type: 'OUTPUT',
        port: opt(a['port'], OFPP.ANY, (v) => portFromUser(v, `${w} port`)),
        maxLen: opt(a['max_len'], OFPCML.MAX, (v) => cmlFromUser(v, `${w} max_len`)),
      };
    case 'SET_MPLS_TTL':
      return { type: 'SET_MPLS_TTL', mplsTtl: uint(a['mpls_ttl'], 8, `${w} mpls_ttl`) };
    case 'SET_QUEUE':
      return { type: 'SET_QUEUE', queueId: queueFromUser(a['queue_id'], `${w} queue_id`) };
    case 'GROUP':
      return { type: 'GROUP', groupId: groupFromUser(a['group_id'], `${w} group_id`) };
    case 'SET_NW_TTL':
      return { type: 'SET_NW_TTL', nwTtl: uint(a['nw_ttl'], 8, `${w} nw_ttl`) };
    case 'SET_FIELD': {
      const field = a['field'];
      if (typeof field !== 'string') throw new RyuValueError(`${w}: needs "field" and "value"`);
      return { type: 'SET_FIELD', field: setFieldValue(field, a['value']) };
    }
    case 'EXPERIMENTER': {
      const data = bytesFromUser(a['data'], a['data_type'], w);
      // the action is 8 bytes of header and experimenter id, then data, padded to 8 by the sender
      if ((8 + data.length) % 8 !== 0)
        throw new RyuValueError(`${w}: data must make the action a multiple of 8 bytes (give 8n bytes)`);
      return { type: 'EXPERIMENTER', experimenter: uint(a['experimenter'], 32, `${w} experimenter`), data };
    }
    default:
      if ((INSTRUCTIONS as readonly string[]).includes(t)) return undefined;
      throw new RyuValueError(`${what}: unknown action type "${t}"`);
  }
}

/** Actions only (group buckets, PACKET_OUT): instruction-like types are refused. */
export function actionListFromRyu(list: unknown, what = 'actions'): Action[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new RyuValueError(`${what}: expected a list`);
  return list.map((a, i) => {
    const act = actionFromRyu(a as RyuAction, `${what}[${i}]`);
    if (act === undefined)
      throw new RyuValueError(`${what}[${i}]: ${typeOf(a, what)} is an instruction, not an action`);
    return act;
  });
}

const INSTRUCTION_ORDER: Record<Instruction['type'], number> = {
  METER: 0,
  APPLY_ACTIONS: 1,
  CLEAR_ACTIONS: 2,
  WRITE_ACTIONS: 3,
  WRITE_METADATA: 4,
  GOTO_TABLE: 5,
  EXPERIMENTER: 6,
};

/** The instructions of a flow from Ryu's "actions" list (ofctl_v1_3.to_actions). */
export function instructionsFromRyu(list: unknown): Instruction[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new RyuValueError('actions: expected a list');
  const apply: Action[] = [];
  const inst: Instruction[] = [];
  const once = (type: Instruction['type'], what: string): void => {
    if (inst.some((i) => i.type === type)) throw new RyuValueError(`${what}: ${type} given twice`);
  };
  list.forEach((a, i) => {
    const what = `actions[${i}]`;
    const act = actionFromRyu(a as RyuAction, what);
    if (act !== undefined) {
      apply.push(act);
      return;
    }
    const d = a as RyuAction;
    const t = typeOf(d, what);
    once(t as Instruction['type'], what);
    switch (t) {
      case 'WRITE_ACTIONS':
        inst.push({ type: 'WRITE_ACTIONS', actions: actionListFromRyu(d['actions'], `${what}.actions`) });
        break;
      case 'CLEAR_ACTIONS':
        inst.push({ type: 'CLEAR_ACTIONS' });
        break;
      case 'GOTO_TABLE':
        inst.push({ type: 'GOTO_TABLE', tableId: tableFromUser(d['table_id'], `${what} table_id`) });
        break;
      case 'WRITE_METADATA':
        inst.push({
          type: 'WRITE_METADATA',
          metadata: uint64(d['metadata'], `${what} metadata`),
          metadataMask: opt(d['metadata_mask'], 0xffffffffffffffffn, (v) =>
            uint64(v, `${what} metadata_mask`),
          ),
        });
        break;
      case 'METER':
        inst.push({ type: 'METER', meterId: meterFromUser(d['meter_id'], `${what} meter_id`) });
        break;
    }
  });
  if (apply.length > 0) inst.push({ type: 'APPLY_ACTIONS', actions: apply });
  return inst.sort((x, y) => INSTRUCTION_ORDER[x.type] - INSTRUCTION_ORDER[y.type]);
}

/** Ryu's action_to_str. */
export function actionToRyu(a: Action): string {
  switch (a.type) {
    case 'OUTPUT':
      return `OUTPUT:${portToUser(a.port)}`;
    case 'SET_MPLS_TTL':
      return `SET_MPLS_TTL:${a.mplsTtl}`;
    case 'PUSH_VLAN':
    case 'PUSH_MPLS':
    case 'POP_MPLS':
    case 'PUSH_PBB':
      return `${a.type}:${a.ethertype}`;
    case 'SET_QUEUE':
      return `SET_QUEUE:${queueToUser(a.queueId)}`;
    case 'GROUP':
      return `GROUP:${groupToUser(a.groupId)}`;
    case 'SET_NW_TTL':
      return `SET_NW_TTL:${a.nwTtl}`;
    case 'SET_FIELD': {
      const f = a.field;
      if (f.field === 'OPAQUE')
        return `SET_FIELD: {oxm_${f.oxmClass.toString(16).padStart(4, '0')}_${f.oxmField}:${Buffer.from(f.body).toString('hex')}}`;
      return `SET_FIELD: {${ryuNameOf(f.field)}:${String(f.value)}}`;
    }
    case 'EXPERIMENTER':
      return `EXPERIMENTER: {experimenter:${a.experimenter}, data:${Buffer.from(a.data).toString('base64')}}`;
    default:
      return a.type;
  }
}

/** Ryu's actions_to_str: a flow's instructions as the "actions" list. */
export function instructionsToRyu(
  instructions: readonly Instruction[],
): (string | Record<string, string[]>)[] {
  const out: (string | Record<string, string[]>)[] = [];
  for (const i of instructions) {
    switch (i.type) {
      case 'APPLY_ACTIONS':
        out.push(...i.actions.map(actionToRyu));
        break;
      case 'WRITE_ACTIONS':
        if (i.actions.length > 0) out.push({ WRITE_ACTIONS: i.actions.map(actionToRyu) });
        break;
      case 'CLEAR_ACTIONS':
        out.push('CLEAR_ACTIONS');
        break;
      case 'GOTO_TABLE':
        out.push(`GOTO_TABLE:${tableToUser(i.tableId)}`);
        break;
      case 'WRITE_METADATA':
        out.push(
          i.metadataMask !== 0n
            ? `WRITE_METADATA:0x${i.metadata.toString(16)}/0x${i.metadataMask.toString(16)}`
            : `WRITE_METADATA:0x${i.metadata.toString(16)}`,
        );
        break;
      case 'METER':
        out.push(`METER:${meterToUser(i.meterId)}`);
        break;
      default:
        break; // Ryu leaves experimenter instructions out
    }
  }
  return out;
}
