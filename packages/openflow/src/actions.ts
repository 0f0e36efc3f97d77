// Actions (section 7.2.5) and instructions (section 7.2.4), declared once each.

import { errPair } from './errors.js';
import {
  type Codec,
  type Infer,
  alignPad,
  bytes,
  list,
  nested,
  pad,
  selfLength,
  struct,
  u16,
  u32,
  u64,
  u8,
  union,
  variant,
} from './layout.js';
import { oxmCodec } from './oxm.js';

const A_LEN = errPair('BAD_ACTION', 'BAD_LEN');
const A_TYPE = errPair('BAD_ACTION', 'BAD_TYPE');
const A_SET_LEN = errPair('BAD_ACTION', 'BAD_SET_LEN');
const A_SET_TYPE = errPair('BAD_ACTION', 'BAD_SET_TYPE');
const I_LEN = errPair('BAD_INSTRUCTION', 'BAD_LEN');
const I_TYPE = errPair('BAD_INSTRUCTION', 'UNKNOWN_INST');

const a = { lenErr: A_LEN };
const len = selfLength(2);

/** Action type numbers (ofp_action_type). */
export const OFPAT = {
  OUTPUT: 0,
  COPY_TTL_OUT: 11,
  COPY_TTL_IN: 12,
  SET_MPLS_TTL: 15,
  DEC_MPLS_TTL: 16,
  PUSH_VLAN: 17,
  POP_VLAN: 18,
  PUSH_MPLS: 19,
  POP_MPLS: 20,
  SET_QUEUE: 21,
  GROUP: 22,
  SET_NW_TTL: 23,
  DEC_NW_TTL: 24,
  SET_FIELD: 25,
  PUSH_PBB: 26,
  POP_PBB: 27,
  EXPERIMENTER: 0xffff,
} as const;
export type ActionType = keyof typeof OFPAT;

const empty = <N extends Exclude<ActionType, 'EXPERIMENTER'>>(name: N) => variant(name, OFPAT[name], { len, pad0: pad(4) }, a);
const ethertype = <N extends 'PUSH_VLAN' | 'PUSH_MPLS' | 'POP_MPLS' | 'PUSH_PBB'>(name: N) =>
  variant(name, OFPAT[name], { len, ethertype: u16, pad0: pad(2) }, a);

export const actionVariants = [
  variant('OUTPUT', 0, { len, port: u32, maxLen: u16, pad0: pad(6) }, a),
  empty('COPY_TTL_OUT'),
  empty('COPY_TTL_IN'),
  variant('SET_MPLS_TTL', 15, { len, mplsTtl: u8, pad0: pad(3) }, a),
  empty('DEC_MPLS_TTL'),
  ethertype('PUSH_VLAN'),
  empty('POP_VLAN'),
  ethertype('PUSH_MPLS'),
  ethertype('POP_MPLS'),
  variant('SET_QUEUE', 21, { len, queueId: u32 }, a),
  variant('GROUP', 22, { len, groupId: u32 }, a),
  variant('SET_NW_TTL', 23, { len, nwTtl: u8, pad0: pad(3) }, a),
  empty('DEC_NW_TTL'),
  variant('SET_FIELD', 25, { len, field: nested(oxmCodec(A_SET_LEN, A_SET_TYPE)), alignPad: alignPad(8) }, a),
  ethertype('PUSH_PBB'),
  empty('POP_PBB'),
  variant('EXPERIMENTER', 0xffff, { len, experimenter: u32, data: bytes }, a),
] as const;

/** One action; `type` names it. Experimenter actions keep their body opaque. */
export const action = union('action', actionVariants, { minLen: 4, lenErr: A_LEN, unknownErr: A_TYPE });
export type Action = Infer<typeof action>;
export const actions: Codec<Action[]> = list(action);

/**
 * Action ids in table-features properties: type and length, experimenter id when 0xffff.
 * Some switches (Open vSwitch) pad standard ids to 8 bytes; that padding round-trips.
 */
export const actionId = union(
  'action_id',
  [
    ...(Object.entries(OFPAT) as [ActionType, number][])
      .filter(([n]) => n !== 'EXPERIMENTER')
      .map(([n, v]) => variant(n, v, { len, alignPad: alignPad(4) }, a)),
    variant('EXPERIMENTER', 0xffff, { len, experimenter: u32, data: bytes }, a),
  ] as const,
  { minLen: 4, lenErr: A_LEN, unknownErr: A_TYPE },
);
export type ActionId = Infer<typeof actionId>;

/** Instruction type numbers (ofp_instruction_type). */
export const OFPIT = {
  GOTO_TABLE: 1,
  WRITE_METADATA: 2,
  WRITE_ACTIONS: 3,
  APPLY_ACTIONS: 4,
  CLEAR_ACTIONS: 5,
  METER: 6,
  EXPERIMENTER: 0xffff,
} as const;
export type InstructionType = keyof typeof OFPIT;

const i = { lenErr: I_LEN };
export const instruction = union(
  'instruction',
  [
    variant('GOTO_TABLE', 1, { len, tableId: u8, pad0: pad(3) }, i),
    variant('WRITE_METADATA', 2, { len, pad0: pad(4), metadata: u64, metadataMask: u64 }, i),
    variant('WRITE_ACTIONS', 3, { len, pad0: pad(4), actions: nested(actions) }, i),
    variant('APPLY_ACTIONS', 4, { len, pad0: pad(4), actions: nested(actions) }, i),
    variant('CLEAR_ACTIONS', 5, { len, pad0: pad(4) }, i),
    variant('METER', 6, { len, meterId: u32 }, i),
    variant('EXPERIMENTER', 0xffff, { len, experimenter: u32, data: bytes }, i),
  ] as const,
  { minLen: 4, lenErr: I_LEN, unknownErr: I_TYPE },
);
export type Instruction = Infer<typeof instruction>;
export const instructions: Codec<Instruction[]> = list(instruction);

/** Instruction ids in table-features properties. */
export const instructionId = union(
  'instruction_id',
  [
    ...(Object.entries(OFPIT) as [InstructionType, number][])
      .filter(([n]) => n !== 'EXPERIMENTER')
      .map(([n, v]) => variant(n, v, { len, alignPad: alignPad(4) }, i)),
    variant('EXPERIMENTER', 0xffff, { len, experimenter: u32, data: bytes }, i),
  ] as const,
  { minLen: 4, lenErr: I_LEN, unknownErr: I_TYPE },
);
export type InstructionId = Infer<typeof instructionId>;

/** ofp_bucket: a group's bucket with its actions. */
export const bucket = struct(
  'bucket',
  { len, weight: u16, watchPort: u32, watchGroup: u32, pad0: pad(4), actions: nested(actions) },
  { lenErr: errPair('GROUP_MOD_FAILED', 'BAD_BUCKET') },
);
export type Bucket = Infer<typeof bucket>;
export const buckets: Codec<Bucket[]> = list(bucket);
