// fast-check arbitraries for every OpenFlow 1.3 message the codec knows: all 30 message
// types, every multipart body in both directions, every action, instruction, OXM field,
// meter band, queue property, HELLO element and table-feature property. Every value they
// produce encodes (numbers within their widths, enumerations the decoder checks within
// range, strings that fit their arrays) and decodes back to an equal object: strings and
// addresses are generated in the codec's canonical text forms.
//
// Sizes are bounded so that even the largest nesting (a FLOW reply of four flows with full
// matches and instruction sets, or four tables with sixteen properties each) stays well under
// the 65535-byte message limit.

import fc from 'fast-check';
import type {
  Action,
  ActionId,
  ActionType,
  Bucket,
  Instruction,
  InstructionId,
  InstructionType,
} from '../src/actions.js';
import type { ErrorMessage, Message, MessageOf, MessageType } from '../src/messages.js';
import type {
  FlowStats,
  GroupDesc,
  GroupStats,
  MeterConfig,
  MeterStats,
  MultipartReply,
  MultipartRequest,
  MultipartType,
  PortStats,
  QueueStats,
  TableStats,
} from '../src/multipart.js';
import {
  OXM_FIELDS,
  type Oxm,
  type OxmBasic,
  type OxmFieldName,
  type OxmKind,
  type OxmOpaque,
  ipv6Str,
} from '../src/oxm.js';
import type {
  HelloElement,
  MeterBand,
  OxmId,
  PacketQueue,
  Port,
  QueueProp,
  TableFeatureProp,
  TableFeatures,
} from '../src/structures.js';

export type Arb<T> = fc.Arbitrary<T>;
type Req<P extends MultipartType> = Extract<MultipartRequest, { mpType: P }>;
type Rep<P extends MultipartType> = Extract<MultipartReply, { mpType: P }>;
type Variant<U, K extends string> = Extract<U, { type: K }>;

// ---------------------------------------------------------------------------------------
// Primitives.

export const u8: Arb<number> = fc.integer({ min: 0, max: 0xff });
export const u16: Arb<number> = fc.integer({ min: 0, max: 0xffff });
export const u24: Arb<number> = fc.integer({ min: 0, max: 0xffffff });
export const u32: Arb<number> = fc.integer({ min: 0, max: 0xffffffff });
export const u64: Arb<bigint> = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const bit = (n: number): Arb<number> => fc.integer({ min: 0, max: 2 ** n - 1 });

/** Byte strings: mostly short, sometimes up to `max` bytes. */
export function bytes(max = 64): Arb<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: Math.min(max, 16) }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: max, size: 'max' }) },
  );
}

/** A byte string whose length is a multiple of `unit` (at most `units` units). */
function bytesIn(unit: number, units: number): Arb<Uint8Array> {
  return fc
    .integer({ min: 0, max: units })
    .chain((k) => fc.uint8Array({ minLength: unit * k, maxLength: unit * k }));
}

/** ASCII text without NUL that fits an n-byte character array with its terminator. */
export function ascii(n: number): Arb<string> {
  const unit = fc.integer({ min: 1, max: 0x7e }).map((c) => String.fromCharCode(c));
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit, maxLength: Math.min(n - 1, 16) }) },
    { weight: 1, arbitrary: fc.string({ unit, maxLength: n - 1, size: 'max' }) },
  );
}

const hex2 = (x: number): string => x.toString(16).padStart(2, '0');
export const arbMac: Arb<string> = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => Array.from(b, hex2).join(':'));
export const arbIpv4: Arb<string> = fc
  .uint8Array({ minLength: 4, maxLength: 4 })
  .map((b) => Array.from(b).join('.'));
/** IPv6 in RFC 5952 form (zero groups are frequent, so the :: compression is exercised). */
export const arbIpv6: Arb<string> = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0xffff), u16), { minLength: 8, maxLength: 8 })
  .map((groups) => {
    const b = new Uint8Array(16);
    groups.forEach((g, i) => {
      b[2 * i] = g >> 8;
      b[2 * i + 1] = g & 0xff;
    });
    return ipv6Str(b, 0);
  });

/** A 32-bit word, often one of the reserved port/group/meter numbers. */
const word: Arb<number> = fc.oneof(
  { weight: 3, arbitrary: u32 },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, 1, 0xffffff00, 0xfffffff8, 0xfffffffc, 0xfffffffd, 0xfffffffe, 0xffffffff),
  },
);

// ---------------------------------------------------------------------------------------
// OXM.

interface KindValues {
  u8: number;
  u16: number;
  u24: number;
  u32: number;
  u64: bigint;
  mac: string;
  ipv4: string;
  ipv6: string;
}

const KIND: { [K in OxmKind]: Arb<KindValues[K]> } = {
  u8,
  u16,
  u24,
  u32,
  u64,
  mac: arbMac,
  ipv4: arbIpv4,
  ipv6: arbIpv6,
};

/** Bit widths of the number kinds (bigint and text kinds are generated at full width). */
const KIND_BITS: Partial<Record<OxmKind, number>> = { u8: 8, u16: 16, u24: 24, u32: 32 };

export const OXM_FIELD_NAMES = Object.keys(OXM_FIELDS) as OxmFieldName[];

/** One basic field: its value (often within the field's significant bits), sometimes a mask. */
function oxmBasic(name: OxmFieldName): Arb<OxmBasic> {
  const def = OXM_FIELDS[name];
  const full = KIND[def.kind] as Arb<unknown>;
  const width = KIND_BITS[def.kind];
  const value: Arb<unknown> = width !== undefined && def.bits < width ? fc.oneof(bit(def.bits), full) : full;
  return fc.record(
    { field: fc.constant(name), value, mask: value },
    { requiredKeys: ['field', 'value'] },
  ) as Arb<OxmBasic>;
}

export const arbOxmBasicByField = Object.fromEntries(OXM_FIELD_NAMES.map((n) => [n, oxmBasic(n)])) as Record<
  OxmFieldName,
  Arb<OxmBasic>
>;
export const arbOxmBasic: Arb<OxmBasic> = fc.oneof(...OXM_FIELD_NAMES.map((n) => arbOxmBasicByField[n]));

/** An OXM of another class (NXM_0, NXM_1, experimenter, anything but 0x8000), kept opaque. */
export const arbOxmOpaque: Arb<OxmOpaque> = fc.record({
  field: fc.constant('OPAQUE'),
  oxmClass: fc.oneof(
    fc.constantFrom(0x0000, 0x0001, 0xffff),
    u16.filter((c) => c !== 0x8000),
  ),
  oxmField: bit(7),
  hasMask: fc.boolean(),
  body: bytes(255),
});

export const arbOxm: Arb<Oxm> = fc.oneof(
  { weight: 6, arbitrary: arbOxmBasic },
  { weight: 1, arbitrary: arbOxmOpaque },
);
export const arbMatch: Arb<Oxm[]> = fc.array(arbOxm, { maxLength: 8 });

// ---------------------------------------------------------------------------------------
// Actions, instructions, buckets.

const experimenterAction: Arb<Variant<Action, 'EXPERIMENTER'>> = fc.record({
  type: fc.constant('EXPERIMENTER'),
  experimenter: u32,
  // The action header is 8 bytes and an action's length a multiple of 8.
  data: bytesIn(8, 8),
});

const ethertype = fc.oneof(fc.constantFrom(0x8100, 0x88a8, 0x8847, 0x8848, 0x88e7), u16);

export const arbActionByType: { [K in ActionType]: Arb<Variant<Action, K>> } = {
  OUTPUT: fc.record({ type: fc.constant('OUTPUT'), port: word, maxLen: u16 }),
  COPY_TTL_OUT: fc.record({ type: fc.constant('COPY_TTL_OUT') }),
  COPY_TTL_IN: fc.record({ type: fc.constant('COPY_TTL_IN') }),
  SET_MPLS_TTL: fc.record({ type: fc.constant('SET_MPLS_TTL'), mplsTtl: u8 }),
  DEC_MPLS_TTL: fc.record({ type: fc.constant('DEC_MPLS_TTL') }),
  PUSH_VLAN: fc.record({ type: fc.constant('PUSH_VLAN'), ethertype }),
  POP_VLAN: fc.record({ type: fc.constant('POP_VLAN') }),
  PUSH_MPLS: fc.record({ type: fc.constant('PUSH_MPLS'), ethertype }),
  POP_MPLS: fc.record({ type: fc.constant('POP_MPLS'), ethertype }),
  SET_QUEUE: fc.record({ type: fc.constant('SET_QUEUE'), queueId: u32 }),
  GROUP: fc.record({ type: fc.constant('GROUP'), groupId: word }),
  SET_NW_TTL: fc.record({ type: fc.constant('SET_NW_TTL'), nwTtl: u8 }),
  DEC_NW_TTL: fc.record({ type: fc.constant('DEC_NW_TTL') }),
  SET_FIELD: fc.record({ type: fc.constant('SET_FIELD'), field: arbOxm }),
  PUSH_PBB: fc.record({ type: fc.constant('PUSH_PBB'), ethertype }),
  POP_PBB: fc.record({ type: fc.constant('POP_PBB') }),
  EXPERIMENTER: experimenterAction,
};
export const ACTION_TYPES = Object.keys(arbActionByType) as ActionType[];
export const arbAction: Arb<Action> = fc.oneof(...ACTION_TYPES.map((t) => arbActionByType[t] as Arb<Action>));
export const arbActions: Arb<Action[]> = fc.array(arbAction, { maxLength: 6 });

export const arbActionId: Arb<ActionId> = fc.oneof(
  fc.constantFrom(...ACTION_TYPES.filter((t) => t !== 'EXPERIMENTER')).map((type) => ({ type }) as ActionId),
  fc.record({ type: fc.constant('EXPERIMENTER'), experimenter: u32, data: bytes(64) }),
);

export const arbInstructionByType: { [K in InstructionType]: Arb<Variant<Instruction, K>> } = {
  GOTO_TABLE: fc.record({ type: fc.constant('GOTO_TABLE'), tableId: u8 }),
  WRITE_METADATA: fc.record({ type: fc.constant('WRITE_METADATA'), metadata: u64, metadataMask: u64 }),
  WRITE_ACTIONS: fc.record({ type: fc.constant('WRITE_ACTIONS'), actions: arbActions }),
  APPLY_ACTIONS: fc.record({ type: fc.constant('APPLY_ACTIONS'), actions: arbActions }),
  CLEAR_ACTIONS: fc.record({ type: fc.constant('CLEAR_ACTIONS') }),
  METER: fc.record({ type: fc.constant('METER'), meterId: word }),
  EXPERIMENTER: fc.record({ type: fc.constant('EXPERIMENTER'), experimenter: u32, data: bytesIn(8, 8) }),
};
export const INSTRUCTION_TYPES = Object.keys(arbInstructionByType) as InstructionType[];
export const arbInstruction: Arb<Instruction> = fc.oneof(
  ...INSTRUCTION_TYPES.map((t) => arbInstructionByType[t] as Arb<Instruction>),
);
export const arbInstructions: Arb<Instruction[]> = fc.array(arbInstruction, { maxLength: 4 });

export const arbInstructionId: Arb<InstructionId> = fc.oneof(
  fc
    .constantFrom(...INSTRUCTION_TYPES.filter((t) => t !== 'EXPERIMENTER'))
    .map((type) => ({ type }) as InstructionId),
  fc.record({ type: fc.constant('EXPERIMENTER'), experimenter: u32, data: bytes(64) }),
);

export const arbBucket: Arb<Bucket> = fc.record({
  weight: u16,
  watchPort: word,
  watchGroup: word,
  actions: arbActions,
});
export const arbBuckets: Arb<Bucket[]> = fc.array(arbBucket, { maxLength: 4 });

// ---------------------------------------------------------------------------------------
// Structures.

export const arbPort: Arb<Port> = fc.record({
  portNo: word,
  hwAddr: arbMac,
  name: ascii(16),
  config: u32,
  state: u32,
  curr: u32,
  advertised: u32,
  supported: u32,
  peer: u32,
  currSpeed: u32,
  maxSpeed: u32,
});

export const arbHelloElementByType: { [K in HelloElement['type']]: Arb<Variant<HelloElement, K>> } = {
  VERSIONBITMAP: fc.record({ type: fc.constant('VERSIONBITMAP'), bitmaps: fc.array(u32, { maxLength: 4 }) }),
  UNKNOWN: fc.record({
    type: fc.constant('UNKNOWN'),
    elementType: u16.filter((t) => t !== 1),
    data: bytes(64),
  }),
};
export const arbHelloElement: Arb<HelloElement> = fc.oneof(
  arbHelloElementByType.VERSIONBITMAP as Arb<HelloElement>,
  arbHelloElementByType.UNKNOWN as Arb<HelloElement>,
);

export const arbMeterBandByType: { [K in MeterBand['type']]: Arb<Variant<MeterBand, K>> } = {
  DROP: fc.record({ type: fc.constant('DROP'), rate: u32, burstSize: u32 }),
  DSCP_REMARK: fc.record({ type: fc.constant('DSCP_REMARK'), rate: u32, burstSize: u32, precLevel: u8 }),
  EXPERIMENTER: fc.record({
    type: fc.constant('EXPERIMENTER'),
    rate: u32,
    burstSize: u32,
    experimenter: u32,
    data: bytes(64),
  }),
};
export const arbMeterBand: Arb<MeterBand> = fc.oneof(
  ...(Object.values(arbMeterBandByType) as Arb<MeterBand>[]),
);
export const arbMeterBands: Arb<MeterBand[]> = fc.array(arbMeterBand, { maxLength: 6 });

export const arbQueuePropByType: { [K in QueueProp['type']]: Arb<Variant<QueueProp, K>> } = {
  MIN_RATE: fc.record({ type: fc.constant('MIN_RATE'), rate: u16 }),
  MAX_RATE: fc.record({ type: fc.constant('MAX_RATE'), rate: u16 }),
  EXPERIMENTER: fc.record({ type: fc.constant('EXPERIMENTER'), experimenter: u32, data: bytes(64) }),
  UNKNOWN: fc.record({
    type: fc.constant('UNKNOWN'),
    property: u16.filter((t) => t !== 1 && t !== 2 && t !== 0xffff),
    data: bytes(64),
  }),
};
export const arbQueueProp: Arb<QueueProp> = fc.oneof(
  ...(Object.values(arbQueuePropByType) as Arb<QueueProp>[]),
);

export const arbPacketQueue: Arb<PacketQueue> = fc.record({
  queueId: u32,
  port: word,
  properties: fc.array(arbQueueProp, { maxLength: 6 }),
});

/** OXM ids: a header, plus an experimenter id exactly when the class is 0xffff. */
export const arbOxmId: Arb<OxmId> = fc.oneof(
  fc.record({
    oxmClass: fc.oneof(
      fc.constant(0x8000),
      u16.filter((c) => c !== 0xffff),
    ),
    oxmField: bit(7),
    hasMask: fc.boolean(),
    length: u8,
  }),
  fc.record({
    oxmClass: fc.constant(0xffff),
    oxmField: bit(7),
    hasMask: fc.boolean(),
    length: u8,
    experimenter: u32,
  }),
);

const ids = <T>(a: Arb<T>): Arb<T[]> => fc.array(a, { maxLength: 8 });

export const arbTableFeaturePropByType: {
  [K in TableFeatureProp['type']]: Arb<Variant<TableFeatureProp, K>>;
} = {
  INSTRUCTIONS: fc.record({ type: fc.constant('INSTRUCTIONS'), instructionIds: ids(arbInstructionId) }),
  INSTRUCTIONS_MISS: fc.record({
    type: fc.constant('INSTRUCTIONS_MISS'),
    instructionIds: ids(arbInstructionId),
  }),
  NEXT_TABLES: fc.record({ type: fc.constant('NEXT_TABLES'), tableIds: fc.array(u8, { maxLength: 32 }) }),
  NEXT_TABLES_MISS: fc.record({
    type: fc.constant('NEXT_TABLES_MISS'),
    tableIds: fc.array(u8, { maxLength: 32 }),
  }),
  WRITE_ACTIONS: fc.record({ type: fc.constant('WRITE_ACTIONS'), actionIds: ids(arbActionId) }),
  WRITE_ACTIONS_MISS: fc.record({ type: fc.constant('WRITE_ACTIONS_MISS'), actionIds: ids(arbActionId) }),
  APPLY_ACTIONS: fc.record({ type: fc.constant('APPLY_ACTIONS'), actionIds: ids(arbActionId) }),
  APPLY_ACTIONS_MISS: fc.record({ type: fc.constant('APPLY_ACTIONS_MISS'), actionIds: ids(arbActionId) }),
  MATCH: fc.record({ type: fc.constant('MATCH'), oxmIds: fc.array(arbOxmId, { maxLength: 16 }) }),
  WILDCARDS: fc.record({ type: fc.constant('WILDCARDS'), oxmIds: fc.array(arbOxmId, { maxLength: 16 }) }),
  WRITE_SETFIELD: fc.record({
    type: fc.constant('WRITE_SETFIELD'),
    oxmIds: fc.array(arbOxmId, { maxLength: 16 }),
  }),
  WRITE_SETFIELD_MISS: fc.record({
    type: fc.constant('WRITE_SETFIELD_MISS'),
    oxmIds: fc.array(arbOxmId, { maxLength: 16 }),
  }),
  APPLY_SETFIELD: fc.record({
    type: fc.constant('APPLY_SETFIELD'),
    oxmIds: fc.array(arbOxmId, { maxLength: 16 }),
  }),
  APPLY_SETFIELD_MISS: fc.record({
    type: fc.constant('APPLY_SETFIELD_MISS'),
    oxmIds: fc.array(arbOxmId, { maxLength: 16 }),
  }),
  EXPERIMENTER: fc.record({
    type: fc.constant('EXPERIMENTER'),
    experimenter: u32,
    expType: u32,
    data: bytes(64),
  }),
  EXPERIMENTER_MISS: fc.record({
    type: fc.constant('EXPERIMENTER_MISS'),
    experimenter: u32,
    expType: u32,
    data: bytes(64),
  }),
};
export const TABLE_FEATURE_PROP_TYPES = Object.keys(arbTableFeaturePropByType) as TableFeatureProp['type'][];
export const arbTableFeatureProp: Arb<TableFeatureProp> = fc.oneof(
  ...TABLE_FEATURE_PROP_TYPES.map((t) => arbTableFeaturePropByType[t] as Arb<TableFeatureProp>),
);

export const arbTableFeatures: Arb<TableFeatures> = fc.record({
  tableId: u8,
  name: ascii(32),
  metadataMatch: u64,
  metadataWrite: u64,
  config: u32,
  maxEntries: u32,
  properties: fc.array(arbTableFeatureProp, { maxLength: 16 }),
});

// Multipart reply entries.

export const arbFlowStats: Arb<FlowStats> = fc.record({
  tableId: u8,
  durationSec: u32,
  durationNsec: u32,
  priority: u16,
  idleTimeout: u16,
  hardTimeout: u16,
  flags: u16,
  cookie: u64,
  packetCount: u64,
  byteCount: u64,
  match: arbMatch,
  instructions: arbInstructions,
});

export const arbTableStats: Arb<TableStats> = fc.record({
  tableId: u8,
  activeCount: u32,
  lookupCount: u64,
  matchedCount: u64,
});

export const arbPortStats: Arb<PortStats> = fc.record({
  portNo: word,
  rxPackets: u64,
  txPackets: u64,
  rxBytes: u64,
  txBytes: u64,
  rxDropped: u64,
  txDropped: u64,
  rxErrors: u64,
  txErrors: u64,
  rxFrameErr: u64,
  rxOverErr: u64,
  rxCrcErr: u64,
  collisions: u64,
  durationSec: u32,
  durationNsec: u32,
});

export const arbQueueStats: Arb<QueueStats> = fc.record({
  portNo: word,
  queueId: u32,
  txBytes: u64,
  txPackets: u64,
  txErrors: u64,
  durationSec: u32,
  durationNsec: u32,
});

const arbCounter = fc.record({ packetCount: u64, byteCount: u64 });

export const arbGroupStats: Arb<GroupStats> = fc.record({
  groupId: word,
  refCount: u32,
  packetCount: u64,
  byteCount: u64,
  durationSec: u32,
  durationNsec: u32,
  bucketStats: fc.array(arbCounter, { maxLength: 8 }),
});

export const arbGroupDesc: Arb<GroupDesc> = fc.record({ groupType: u8, groupId: word, buckets: arbBuckets });

export const arbMeterStats: Arb<MeterStats> = fc.record({
  meterId: word,
  flowCount: u32,
  packetInCount: u64,
  byteInCount: u64,
  durationSec: u32,
  durationNsec: u32,
  bandStats: fc.array(arbCounter, { maxLength: 8 }),
});

export const arbMeterConfig: Arb<MeterConfig> = fc.record({
  flags: u16,
  meterId: word,
  bands: arbMeterBands,
});

// ---------------------------------------------------------------------------------------
// Messages.

const xid = u32;
const u32x2 = fc.tuple(u32, u32).map(([a, b]) => [a, b]);
const u32x4 = fc.tuple(u32, u32, u32, u32).map(([a, b, c, d]) => [a, b, c, d]);
const emptyMessage = <T extends MessageType>(type: T) => fc.record({ type: fc.constant(type), xid });

export const arbErrorNormal: Arb<ErrorMessage> = fc.record({
  type: fc.constant('ERROR'),
  xid,
  errType: fc.oneof(
    fc.integer({ min: 0, max: 13 }),
    u16.filter((t) => t !== 0xffff),
  ),
  code: fc.oneof(fc.integer({ min: 0, max: 15 }), u16),
  data: bytes(128),
});

export const arbErrorExperimenter: Arb<ErrorMessage> = fc.record({
  type: fc.constant('ERROR'),
  xid,
  errType: fc.constant(0xffff),
  code: u16,
  experimenter: u32,
  data: bytes(128),
});

const roleBody = { role: fc.integer({ min: 0, max: 3 }), generationId: u64 };
const asyncBody = { packetInMask: u32x2, portStatusMask: u32x2, flowRemovedMask: u32x2 };

export const arbMessageByType: {
  [T in Exclude<MessageType, 'MULTIPART_REQUEST' | 'MULTIPART_REPLY'>]: Arb<MessageOf<T>>;
} = {
  HELLO: fc.record({
    type: fc.constant('HELLO'),
    version: fc.oneof({ weight: 3, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: u8 }),
    xid,
    elements: fc.array(arbHelloElement, { maxLength: 4 }),
  }),
  ERROR: fc.oneof(arbErrorNormal, arbErrorExperimenter),
  ECHO_REQUEST: fc.record({ type: fc.constant('ECHO_REQUEST'), xid, data: bytes(2048) }),
  ECHO_REPLY: fc.record({ type: fc.constant('ECHO_REPLY'), xid, data: bytes(2048) }),
  EXPERIMENTER: fc.record({
    type: fc.constant('EXPERIMENTER'),
    xid,
    experimenter: u32,
    expType: u32,
    data: bytes(256),
  }),
  FEATURES_REQUEST: emptyMessage('FEATURES_REQUEST'),
  FEATURES_REPLY: fc.record({
    type: fc.constant('FEATURES_REPLY'),
    xid,
    datapathId: u64,
    nBuffers: u32,
    nTables: u8,
    auxiliaryId: u8,
    capabilities: u32,
    reserved: u32,
  }),
  GET_CONFIG_REQUEST: emptyMessage('GET_CONFIG_REQUEST'),
  GET_CONFIG_REPLY: fc.record({ type: fc.constant('GET_CONFIG_REPLY'), xid, flags: u16, missSendLen: u16 }),
  SET_CONFIG: fc.record({ type: fc.constant('SET_CONFIG'), xid, flags: bit(2), missSendLen: u16 }),
  PACKET_IN: fc.record({
    type: fc.constant('PACKET_IN'),
    xid,
    bufferId: word,
    totalLen: u16,
    reason: u8,
    tableId: u8,
    cookie: u64,
    match: arbMatch,
    data: bytes(1500),
  }),
  FLOW_REMOVED: fc.record({
    type: fc.constant('FLOW_REMOVED'),
    xid,
    cookie: u64,
    priority: u16,
    reason: u8,
    tableId: u8,
    durationSec: u32,
    durationNsec: u32,
    idleTimeout: u16,
    hardTimeout: u16,
    packetCount: u64,
    byteCount: u64,
    match: arbMatch,
  }),
  PORT_STATUS: fc.record({ type: fc.constant('PORT_STATUS'), xid, reason: u8, desc: arbPort }),
  PACKET_OUT: fc.record({
    type: fc.constant('PACKET_OUT'),
    xid,
    bufferId: word,
    inPort: word,
    actions: arbActions,
    data: bytes(1500),
  }),
  FLOW_MOD: fc.record({
    type: fc.constant('FLOW_MOD'),
    xid,
    cookie: u64,
    cookieMask: u64,
    tableId: u8,
    command: fc.integer({ min: 0, max: 4 }),
    idleTimeout: u16,
    hardTimeout: u16,
    priority: u16,
    bufferId: word,
    outPort: word,
    outGroup: word,
    flags: bit(5),
    match: arbMatch,
    instructions: arbInstructions,
  }),
  GROUP_MOD: fc.record({
    type: fc.constant('GROUP_MOD'),
    xid,
    command: fc.integer({ min: 0, max: 2 }),
    groupType: fc.integer({ min: 0, max: 3 }),
    groupId: word,
    buckets: arbBuckets,
  }),
  PORT_MOD: fc.record({
    type: fc.constant('PORT_MOD'),
    xid,
    portNo: word,
    hwAddr: arbMac,
    config: u32,
    mask: u32,
    advertise: u32,
  }),
  TABLE_MOD: fc.record({ type: fc.constant('TABLE_MOD'), xid, tableId: u8, config: u32 }),
  BARRIER_REQUEST: emptyMessage('BARRIER_REQUEST'),
  BARRIER_REPLY: emptyMessage('BARRIER_REPLY'),
  QUEUE_GET_CONFIG_REQUEST: fc.record({ type: fc.constant('QUEUE_GET_CONFIG_REQUEST'), xid, port: word }),
  QUEUE_GET_CONFIG_REPLY: fc.record({
    type: fc.constant('QUEUE_GET_CONFIG_REPLY'),
    xid,
    port: word,
    queues: fc.array(arbPacketQueue, { maxLength: 6 }),
  }),
  ROLE_REQUEST: fc.record({ type: fc.constant('ROLE_REQUEST'), xid, ...roleBody }),
  ROLE_REPLY: fc.record({ type: fc.constant('ROLE_REPLY'), xid, ...roleBody }),
  GET_ASYNC_REQUEST: emptyMessage('GET_ASYNC_REQUEST'),
  GET_ASYNC_REPLY: fc.record({ type: fc.constant('GET_ASYNC_REPLY'), xid, ...asyncBody }),
  SET_ASYNC: fc.record({ type: fc.constant('SET_ASYNC'), xid, ...asyncBody }),
  METER_MOD: fc.record({
    type: fc.constant('METER_MOD'),
    xid,
    command: fc.integer({ min: 0, max: 2 }),
    flags: bit(4),
    meterId: word,
    bands: arbMeterBands,
  }),
};

// Multipart messages: the shared head, then the body of each type.

const mpHead = <M extends 'MULTIPART_REQUEST' | 'MULTIPART_REPLY', P extends MultipartType>(
  type: M,
  mpType: P,
) => ({
  type: fc.constant(type),
  xid,
  mpType: fc.constant(mpType),
  flags: fc.oneof(fc.constantFrom(0, 1), u16),
});
const req = <P extends MultipartType>(mp: P) => mpHead('MULTIPART_REQUEST', mp);
const rep = <P extends MultipartType>(mp: P) => mpHead('MULTIPART_REPLY', mp);

const flowStatsRequest = {
  tableId: u8,
  outPort: word,
  outGroup: word,
  cookie: u64,
  cookieMask: u64,
  match: arbMatch,
};

export const arbMultipartRequestByType: { [P in MultipartType]: Arb<Req<P>> } = {
  DESC: fc.record(req('DESC')),
  FLOW: fc.record({ ...req('FLOW'), ...flowStatsRequest }),
  AGGREGATE: fc.record({ ...req('AGGREGATE'), ...flowStatsRequest }),
  TABLE: fc.record(req('TABLE')),
  PORT_STATS: fc.record({ ...req('PORT_STATS'), portNo: word }),
  QUEUE: fc.record({ ...req('QUEUE'), portNo: word, queueId: word }),
  GROUP: fc.record({ ...req('GROUP'), groupId: word }),
  GROUP_DESC: fc.record(req('GROUP_DESC')),
  GROUP_FEATURES: fc.record(req('GROUP_FEATURES')),
  METER: fc.record({ ...req('METER'), meterId: word }),
  METER_CONFIG: fc.record({ ...req('METER_CONFIG'), meterId: word }),
  METER_FEATURES: fc.record(req('METER_FEATURES')),
  TABLE_FEATURES: fc.record({
    ...req('TABLE_FEATURES'),
    tables: fc.array(arbTableFeatures, { maxLength: 3 }),
  }),
  PORT_DESC: fc.record(req('PORT_DESC')),
  EXPERIMENTER: fc.record({ ...req('EXPERIMENTER'), experimenter: u32, expType: u32, data: bytes(256) }),
};

export const arbMultipartReplyByType: { [P in MultipartType]: Arb<Rep<P>> } = {
  DESC: fc.record({
    ...rep('DESC'),
    mfrDesc: ascii(256),
    hwDesc: ascii(256),
    swDesc: ascii(256),
    serialNum: ascii(32),
    dpDesc: ascii(256),
  }),
  FLOW: fc.record({ ...rep('FLOW'), stats: fc.array(arbFlowStats, { maxLength: 4 }) }),
  AGGREGATE: fc.record({ ...rep('AGGREGATE'), packetCount: u64, byteCount: u64, flowCount: u32 }),
  TABLE: fc.record({ ...rep('TABLE'), stats: fc.array(arbTableStats, { maxLength: 16 }) }),
  PORT_STATS: fc.record({ ...rep('PORT_STATS'), stats: fc.array(arbPortStats, { maxLength: 8 }) }),
  QUEUE: fc.record({ ...rep('QUEUE'), stats: fc.array(arbQueueStats, { maxLength: 8 }) }),
  GROUP: fc.record({ ...rep('GROUP'), stats: fc.array(arbGroupStats, { maxLength: 4 }) }),
  GROUP_DESC: fc.record({ ...rep('GROUP_DESC'), groups: fc.array(arbGroupDesc, { maxLength: 4 }) }),
  GROUP_FEATURES: fc.record({
    ...rep('GROUP_FEATURES'),
    types: u32,
    capabilities: u32,
    maxGroups: u32x4,
    actions: u32x4,
  }),
  METER: fc.record({ ...rep('METER'), stats: fc.array(arbMeterStats, { maxLength: 4 }) }),
  METER_CONFIG: fc.record({ ...rep('METER_CONFIG'), configs: fc.array(arbMeterConfig, { maxLength: 4 }) }),
  METER_FEATURES: fc.record({
    ...rep('METER_FEATURES'),
    maxMeter: u32,
    bandTypes: u32,
    capabilities: u32,
    maxBands: u8,
    maxColor: u8,
  }),
  TABLE_FEATURES: fc.record({
    ...rep('TABLE_FEATURES'),
    tables: fc.array(arbTableFeatures, { maxLength: 4 }),
  }),
  PORT_DESC: fc.record({ ...rep('PORT_DESC'), ports: fc.array(arbPort, { maxLength: 8 }) }),
  EXPERIMENTER: fc.record({ ...rep('EXPERIMENTER'), experimenter: u32, expType: u32, data: bytes(256) }),
};

export const MULTIPART_TYPES = Object.keys(arbMultipartRequestByType) as MultipartType[];

/** Every message type (ofp_type 0-29), multiparts as a oneof over their bodies. */
export const arbByType: Record<MessageType, Arb<Message>> = {
  ...(arbMessageByType as Record<
    Exclude<MessageType, 'MULTIPART_REQUEST' | 'MULTIPART_REPLY'>,
    Arb<Message>
  >),
  MULTIPART_REQUEST: fc.oneof(...MULTIPART_TYPES.map((p) => arbMultipartRequestByType[p] as Arb<Message>)),
  MULTIPART_REPLY: fc.oneof(...MULTIPART_TYPES.map((p) => arbMultipartReplyByType[p] as Arb<Message>)),
};
export const MESSAGE_TYPES = Object.keys(arbByType) as MessageType[];

/**
 * Every kind of message, one arbitrary each: the 28 plain types (ERROR split into normal and
 * experimenter errors) and every multipart body in both directions, named like
 * "FLOW_MOD", "ERROR/EXPERIMENTER", "MULTIPART_REPLY/TABLE_FEATURES".
 */
export const arbKinds: Record<string, Arb<Message>> = Object.fromEntries([
  ...(Object.entries(arbMessageByType) as [string, Arb<Message>][]).filter(([k]) => k !== 'ERROR'),
  ['ERROR', arbErrorNormal],
  ['ERROR/EXPERIMENTER', arbErrorExperimenter],
  ...MULTIPART_TYPES.map(
    (p) => [`MULTIPART_REQUEST/${p}`, arbMultipartRequestByType[p] as Arb<Message>] as const,
  ),
  ...MULTIPART_TYPES.map(
    (p) => [`MULTIPART_REPLY/${p}`, arbMultipartReplyByType[p] as Arb<Message>] as const,
  ),
]);
export const KIND_NAMES = Object.keys(arbKinds);

/** Any message: every kind equally likely. */
export const arbMessage: Arb<Message> = fc.oneof(...KIND_NAMES.map((k) => arbKinds[k] as Arb<Message>));

/** The kind name of a message, as keyed in `arbKinds`. */
export function kindOf(m: Message): string {
  if (m.type === 'MULTIPART_REQUEST' || m.type === 'MULTIPART_REPLY') return `${m.type}/${m.mpType}`;
  if (m.type === 'ERROR' && m.errType === 0xffff) return 'ERROR/EXPERIMENTER';
  return m.type;
}

// ---------------------------------------------------------------------------------------
// Comparing decoded objects with generated ones.

/** Lower-case hex of a byte string. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Byte-wise equality of two byte strings (Buffer or Uint8Array alike). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A plain, comparable form of a message: byte strings (Buffer or Uint8Array) become
 * "hex:..." strings, bigints "123n", object keys are sorted and undefined properties dropped
 * (a decoded unmasked OXM has `mask: undefined`, a generated one may lack the key).
 */
export function canonical(v: unknown): unknown {
  if (v instanceof Uint8Array) return `hex:${hex(v)}`;
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}
