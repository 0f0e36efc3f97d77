// Actions: which ones this switch executes, the check a FLOW_MOD or PACKET_OUT passes before
// anything is installed or sent, the executor, and the pipeline's action set.
//
// Every OpenFlow 1.3 action but EXPERIMENTER is executed on the frame itself: OUTPUT (through
// the datapath), SET_FIELD for every settable field, PUSH/POP of VLAN tags (0x8100, 0x88a8),
// MPLS entries and PBB service tags, the TTL actions, SET_QUEUE and GROUP. Rewrites keep
// every checksum right (@rumpflow/packet updates them incrementally) and keep the packet's
// FlowKey in step, so later actions and later tables see the rewritten packet; a push or pop
// changes the frame's length and replaces the frame, which is then parsed again.
//
// Placement of a pushed header follows 1.3.5 section 5.12.1 ("the outermost valid location
// for that tag") and Open vSwitch: a VLAN tag goes right after the MAC addresses, an MPLS
// entry after the Ethernet header AND any VLAN tags (the label stack sits between layer 2 and
// layer 3, where OVS's datapaths insert it; OpenFlow 1.3.0's "MPLS before VLAN" ordering was
// dropped again by later 1.3 revisions), a PBB header in front of the whole customer frame.
//
// An action whose header is absent at run time (POP_VLAN on an untagged packet reached
// through WRITE_ACTIONS or PACKET_OUT, SET_FIELD TCP_DST on UDP) does nothing, as in Open
// vSwitch; the flow entries that could know better are refused at installation
// (consistency.ts). DEC_NW_TTL / DEC_MPLS_TTL on a TTL of 0 or 1 stop the packet: it goes to
// the controllers as a PACKET_IN with reason INVALID_TTL (if their async masks ask for it)
// and is dropped, together with the rest of the list, the action set and later tables.
//
// SET_QUEUE: every port has exactly one queue, queue 0 (ports.ts); SET_QUEUE naming another
// queue is refused at installation with BAD_ACTION/BAD_QUEUE.

import {
  type Action,
  type ActionType,
  type Instruction,
  type InstructionType,
  type Match,
  OFPP,
  OXM_BY_ID,
  type OxmFieldName,
  type OxmValue,
  ofpError,
  type OfpError,
} from '@rumpflow/openflow';
import {
  TTL_INVALID,
  copyTtlIn,
  copyTtlOut,
  decMplsTtl,
  decNwTtl,
  popMpls,
  popPbb,
  popVlan,
  pushMpls,
  pushPbb,
  pushVlan,
  setField,
  setMplsTtl,
  setNwTtl,
} from '@rumpflow/packet';
import type { Packet } from './packet-context.js';

/** Action types the executor carries out (advertised in TABLE_FEATURES). */
export const EXECUTED_ACTIONS: readonly ActionType[] = [
  'OUTPUT',
  'COPY_TTL_OUT',
  'COPY_TTL_IN',
  'SET_MPLS_TTL',
  'DEC_MPLS_TTL',
  'PUSH_VLAN',
  'POP_VLAN',
  'PUSH_MPLS',
  'POP_MPLS',
  'SET_QUEUE',
  'GROUP',
  'SET_NW_TTL',
  'DEC_NW_TTL',
  'SET_FIELD',
  'PUSH_PBB',
  'POP_PBB',
];

/** Fields SET_FIELD may write (advertised as WRITE/APPLY_SETFIELD): every settable OXM field. */
export const SETTABLE_FIELDS: readonly OxmFieldName[] = OXM_BY_ID.filter((f) => f.settable).map(
  (f) => f.name,
);

/** Instruction types the pipeline carries out. */
export const EXECUTED_INSTRUCTIONS: readonly InstructionType[] = [
  'GOTO_TABLE',
  'WRITE_METADATA',
  'WRITE_ACTIONS',
  'APPLY_ACTIONS',
  'CLEAR_ACTIONS',
  'METER',
];

const executed = new Set<ActionType>(EXECUTED_ACTIONS);

/** The queue every port has, the only one SET_QUEUE may name. */
export const DEFAULT_QUEUE = 0;

/** Groups and meters an action or instruction may name. */
export interface Resources {
  groupExists(groupId: number): boolean;
  meterExists(meterId: number): boolean;
}

/** Reserved ports an OUTPUT may name; NORMAL (a legacy pipeline) is not one of them here. */
const OUTPUT_RESERVED = new Set<number>([
  OFPP.IN_PORT,
  OFPP.TABLE,
  OFPP.FLOOD,
  OFPP.ALL,
  OFPP.CONTROLLER,
  OFPP.LOCAL,
]);

/**
 * Refuse actions this switch cannot execute (after validate(), which has checked meaning: port
 * ranges, TABLE outside PACKET_OUT, set-field rules). Returns the error to answer with.
 */
export function checkActions(actions: readonly Action[], res: Resources): OfpError | undefined {
  for (const a of actions) {
    if (a.type === 'EXPERIMENTER')
      return ofpError(
        'BAD_ACTION',
        'BAD_EXPERIMENTER',
        `experimenter action 0x${a.experimenter.toString(16)}`,
      );
    if (a.type === 'GROUP') {
      if (!res.groupExists(a.groupId))
        return ofpError('BAD_ACTION', 'BAD_OUT_GROUP', `group ${a.groupId} does not exist`);
      continue;
    }
    if (!executed.has(a.type)) return ofpError('BAD_ACTION', 'BAD_TYPE', `${a.type} is not supported`);
    if (a.type === 'OUTPUT' && a.port > OFPP.MAX && !OUTPUT_RESERVED.has(a.port)) {
      return ofpError(
        'BAD_ACTION',
        'BAD_OUT_PORT',
        `output to reserved port 0x${a.port.toString(16)} is not supported`,
      );
    }
    if (a.type === 'SET_QUEUE' && a.queueId !== DEFAULT_QUEUE)
      return ofpError(
        'BAD_ACTION',
        'BAD_QUEUE',
        `queue ${a.queueId} does not exist (ports have queue 0 only)`,
      );
  }
  return undefined;
}

/** Refuse instructions (and the actions inside them) this switch cannot execute. */
export function checkInstructions(
  instructions: readonly Instruction[],
  res: Resources,
): OfpError | undefined {
  for (const i of instructions) {
    switch (i.type) {
      case 'APPLY_ACTIONS':
      case 'WRITE_ACTIONS': {
        const e = checkActions(i.actions, res);
        if (e) return e;
        break;
      }
      case 'METER':
        if (!res.meterExists(i.meterId))
          return ofpError('METER_MOD_FAILED', 'UNKNOWN_METER', `meter ${i.meterId} does not exist`);
        break;
      case 'EXPERIMENTER':
        return ofpError(
          'BAD_INSTRUCTION',
          'BAD_EXPERIMENTER',
          `experimenter instruction 0x${i.experimenter.toString(16)}`,
        );
      default:
        break;
    }
  }
  return undefined;
}

/** Refuse matches on fields this switch does not know (OXMs of other classes). */
export function checkMatch(match: Match): OfpError | undefined {
  for (const o of match) {
    if (o.field === 'OPAQUE')
      return ofpError(
        'BAD_MATCH',
        'BAD_FIELD',
        `OXM class 0x${o.oxmClass.toString(16)} field ${o.oxmField} is not supported`,
      );
  }
  return undefined;
}

/** What executing actions needs from the datapath. */
export interface ActionHost {
  /** OUTPUT to `port` (a port number or a reserved port); `maxLen` for CONTROLLER. */
  output(pkt: Packet, port: number, maxLen: number): void;
  /** GROUP: run the group's buckets (each on its own copy of the packet, see executeOnCopy). */
  group(pkt: Packet, groupId: number): void;
  /** The METER instruction, before apply-actions: false when the meter drops the packet. */
  meter(pkt: Packet, meterId: number): boolean;
  /**
   * Run `actions` on an independent copy of the packet (frame bytes, key, pipeline fields,
   * in_port, queue; not the action set), leaving `pkt` as it was: a group bucket.
   */
  executeOnCopy(pkt: Packet, actions: readonly Action[]): void;
  /** A TTL decrement found 0 or 1: PACKET_IN INVALID_TTL where asked for; the packet is then dropped. */
  invalidTtl(pkt: Packet): void;
}

/** Replace the frame after a push or pop (null: nothing to pop) and parse it again. */
function replace(pkt: Packet, frame: Uint8Array | null): void {
  if (frame !== null) pkt.setFrame(frame);
}

/**
 * Execute one action on the packet. Returns false when the packet is gone (an invalid TTL):
 * the caller stops, skipping the rest of its list, the action set and later tables.
 */
export function executeAction(a: Action, pkt: Packet, host: ActionHost): boolean {
  switch (a.type) {
    case 'OUTPUT':
      host.output(pkt, a.port, a.maxLen);
      return true;
    case 'GROUP':
      host.group(pkt, a.groupId);
      return true;
    case 'SET_QUEUE':
      pkt.queueId = a.queueId;
      return true;
    case 'SET_FIELD': {
      const o = a.field;
      if (o.field !== 'OPAQUE') setField(pkt.frame, pkt.key, o.field, o.value as OxmValue<typeof o.field>);
      return true;
    }
    case 'PUSH_VLAN':
      replace(pkt, pushVlan(pkt.frame, pkt.key, a.ethertype));
      return true;
    case 'POP_VLAN':
      replace(pkt, popVlan(pkt.frame, pkt.key));
      return true;
    case 'PUSH_MPLS':
      replace(pkt, pushMpls(pkt.frame, pkt.key, a.ethertype));
      return true;
    case 'POP_MPLS':
      replace(pkt, popMpls(pkt.frame, pkt.key, a.ethertype));
      return true;
    case 'PUSH_PBB':
      replace(pkt, pushPbb(pkt.frame, pkt.key));
      return true;
    case 'POP_PBB':
      replace(pkt, popPbb(pkt.frame, pkt.key));
      return true;
    case 'SET_MPLS_TTL':
      setMplsTtl(pkt.frame, pkt.key, a.mplsTtl);
      return true;
    case 'SET_NW_TTL':
      setNwTtl(pkt.frame, pkt.key, a.nwTtl);
      return true;
    case 'DEC_MPLS_TTL':
      if (decMplsTtl(pkt.frame, pkt.key) !== TTL_INVALID) return true;
      host.invalidTtl(pkt);
      return false;
    case 'DEC_NW_TTL':
      if (decNwTtl(pkt.frame, pkt.key) !== TTL_INVALID) return true;
      host.invalidTtl(pkt);
      return false;
    case 'COPY_TTL_OUT':
      copyTtlOut(pkt.frame, pkt.key);
      return true;
    case 'COPY_TTL_IN':
      copyTtlIn(pkt.frame, pkt.key);
      return true;
    case 'EXPERIMENTER':
      return true; // refused by checkActions before installation
  }
}

/**
 * Execute an action list (APPLY_ACTIONS, PACKET_OUT, a group bucket) in order. Returns false
 * when the packet was dropped on the way (an invalid TTL).
 */
export function executeList(actions: readonly Action[], pkt: Packet, host: ActionHost): boolean {
  for (let i = 0; i < actions.length; i++) if (!executeAction(actions[i] as Action, pkt, host)) return false;
  return true;
}

// The action set (1.3.5 section 5.10): at most one action of each type (set-field: one per
// field), executed in this order whatever the order they were written in. A GROUP takes
// precedence over OUTPUT.
export const SET_ORDER: readonly ActionType[] = [
  'COPY_TTL_IN',
  'POP_VLAN',
  'POP_MPLS',
  'POP_PBB',
  'PUSH_MPLS',
  'PUSH_PBB',
  'PUSH_VLAN',
  'COPY_TTL_OUT',
  'DEC_MPLS_TTL',
  'DEC_NW_TTL',
  'SET_MPLS_TTL',
  'SET_NW_TTL',
  'SET_FIELD',
  'SET_QUEUE',
  'GROUP',
  'OUTPUT',
];
const POSITION = new Map<ActionType, number>(SET_ORDER.map((t, i) => [t, i]));
const SET_FIELD_AT = POSITION.get('SET_FIELD') as number;
const GROUP_AT = POSITION.get('GROUP') as number;
const OUTPUT_AT = POSITION.get('OUTPUT') as number;

/** `actions` in action-set order, as WRITE_ACTIONS would leave them in an empty set. */
export function inSetOrder(actions: readonly Action[]): Action[] {
  const s = new ActionSet();
  s.write(actions);
  return s.list();
}

export class ActionSet {
  private readonly slots: (Action | undefined)[] = new Array<Action | undefined>(SET_ORDER.length).fill(
    undefined,
  );
  /** SET_FIELD actions by field. */
  private readonly fields = new Map<string, Action>();
  private count = 0;

  get size(): number {
    return this.count + this.fields.size;
  }

  clear(): void {
    if (this.count > 0) {
      this.slots.fill(undefined);
      this.count = 0;
    }
    if (this.fields.size > 0) this.fields.clear();
  }

  /** WRITE_ACTIONS: merge, replacing actions of the same type (set-field: of the same field). */
  write(actions: readonly Action[]): void {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i] as Action;
      if (a.type === 'SET_FIELD') {
        this.fields.set(
          a.field.field === 'OPAQUE' ? `opaque:${a.field.oxmClass}:${a.field.oxmField}` : a.field.field,
          a,
        );
        continue;
      }
      const at = POSITION.get(a.type);
      if (at === undefined) continue;
      if (this.slots[at] === undefined) this.count++;
      this.slots[at] = a;
    }
  }

  /** The actions in execution order (for tests and tracing). */
  list(): Action[] {
    const out: Action[] = [];
    for (let i = 0; i < SET_ORDER.length; i++) {
      if (i === SET_FIELD_AT) out.push(...this.fields.values());
      const a = this.slots[i];
      if (a !== undefined && !(i === OUTPUT_AT && this.slots[GROUP_AT] !== undefined)) out.push(a);
    }
    return out;
  }

  /** Execute the set at the end of the pipeline (stopping if the packet is dropped). */
  execute(pkt: Packet, host: ActionHost): void {
    if (this.count === 1 && this.fields.size === 0 && this.slots[OUTPUT_AT] !== undefined) {
      executeAction(this.slots[OUTPUT_AT], pkt, host); // the common case: one OUTPUT
      return;
    }
    // list()'s order, without building the list
    const grouped = this.slots[GROUP_AT] !== undefined;
    for (let i = 0; i < SET_ORDER.length; i++) {
      if (i === SET_FIELD_AT && this.fields.size > 0)
        for (const f of this.fields.values()) if (!executeAction(f, pkt, host)) return;
      const a = this.slots[i];
      if (a === undefined || (i === OUTPUT_AT && grouped)) continue;
      if (!executeAction(a, pkt, host)) return;
    }
  }
}
