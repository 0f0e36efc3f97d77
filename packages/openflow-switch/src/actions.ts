// Actions: which ones this switch executes, the check a FLOW_MOD or PACKET_OUT passes before
// anything is installed or sent, the action set of the pipeline, and the executor.
//
// Part 1 executes OUTPUT (physical ports, IN_PORT, FLOOD, ALL, CONTROLLER, LOCAL and, from
// PACKET_OUT, TABLE). Every other action type is refused at installation with the error the
// specification names for an unsupported action (BAD_ACTION/BAD_TYPE), never accepted and
// silently ignored; TABLE_FEATURES advertises exactly EXECUTED_ACTIONS, so a controller can
// tell beforehand. Part 2 adds the packet actions (@rumpflow/packet has set-field, push/pop and
// the TTL operations), GROUP and SET_QUEUE: a case in `executeAction`, a name in
// EXECUTED_ACTIONS (and SETTABLE_FIELDS for set-field), and the group/meter look-ups of
// `Resources`.

import {
  type Action,
  type ActionType,
  type Instruction,
  type InstructionType,
  type Match,
  OFPP,
  type OxmFieldName,
  ofpError,
  type OfpError,
} from '@rumpflow/openflow';
import type { Packet } from './packet-context.js';

/** Action types the executor carries out (advertised in TABLE_FEATURES). */
export const EXECUTED_ACTIONS: readonly ActionType[] = ['OUTPUT'];

/** Fields SET_FIELD may write (advertised as WRITE/APPLY_SETFIELD); none in part 1. */
export const SETTABLE_FIELDS: readonly OxmFieldName[] = [];

/** Instruction types the pipeline carries out (METER arrives with meters in part 2). */
export const EXECUTED_INSTRUCTIONS: readonly InstructionType[] = [
  'GOTO_TABLE',
  'WRITE_METADATA',
  'WRITE_ACTIONS',
  'APPLY_ACTIONS',
  'CLEAR_ACTIONS',
];

const executed = new Set<ActionType>(EXECUTED_ACTIONS);

/** Groups and meters an action or instruction may name (none exist until part 2). */
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
}

/** Execute one action on the packet. */
export function executeAction(a: Action, pkt: Packet, host: ActionHost): void {
  switch (a.type) {
    case 'OUTPUT':
      host.output(pkt, a.port, a.maxLen);
      return;
    default:
      // Refused by checkActions before installation: unreachable in part 1.
      return;
  }
}

/** Execute an action list (APPLY_ACTIONS, PACKET_OUT) in order. */
export function executeList(actions: readonly Action[], pkt: Packet, host: ActionHost): void {
  for (let i = 0; i < actions.length; i++) executeAction(actions[i] as Action, pkt, host);
}

// The action set (1.3.5 section 5.10): at most one action of each type (set-field: one per
// field), executed in this order whatever the order they were written in. A GROUP takes
// precedence over OUTPUT.
const SET_ORDER: readonly ActionType[] = [
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

  /** Execute the set at the end of the pipeline. */
  execute(pkt: Packet, host: ActionHost): void {
    if (this.count === 1 && this.fields.size === 0 && this.slots[OUTPUT_AT] !== undefined) {
      executeAction(this.slots[OUTPUT_AT], pkt, host); // the common case: one OUTPUT
      return;
    }
    for (const a of this.list()) executeAction(a, pkt, host);
  }
}
