// Multipart request and reply bodies (section 7.3.5). Each multipart message is declared as
// a whole: the OpenFlow header, the multipart header (type, flags) and the body, so objects
// are flat: { type: 'MULTIPART_REPLY', xid, mpType: 'FLOW', flags, stats: [...] }.

import { buckets, instructions } from './actions.js';
import { errPair } from './errors.js';
import {
  type Codec,
  type Infer,
  type Simplify,
  type Spec,
  type StructType,
  bytes,
  constant,
  list,
  nested,
  pad,
  selfLength,
  str,
  struct,
  tag,
  u16,
  u32,
  u32s,
  u64,
  u8,
  union,
} from './layout.js';
import { match } from './oxm.js';
import { meterBands, ports, tableFeatures } from './structures.js';

/** Multipart types (ofp_multipart_type). */
export const OFPMP = {
  DESC: 0,
  FLOW: 1,
  AGGREGATE: 2,
  TABLE: 3,
  PORT_STATS: 4,
  QUEUE: 5,
  GROUP: 6,
  GROUP_DESC: 7,
  GROUP_FEATURES: 8,
  METER: 9,
  METER_CONFIG: 10,
  METER_FEATURES: 11,
  TABLE_FEATURES: 12,
  PORT_DESC: 13,
  EXPERIMENTER: 0xffff,
} as const;
export type MultipartType = keyof typeof OFPMP;

const BAD_VERSION = errPair('BAD_REQUEST', 'BAD_VERSION');
const BAD_MULTIPART = errPair('BAD_REQUEST', 'BAD_MULTIPART');
const BAD_LEN = errPair('BAD_REQUEST', 'BAD_LEN');

// Reply entries.
export const flowStats = struct('flow_stats', {
  len: selfLength(2),
  tableId: u8,
  pad0: pad(1),
  durationSec: u32,
  durationNsec: u32,
  priority: u16,
  idleTimeout: u16,
  hardTimeout: u16,
  flags: u16,
  pad1: pad(4),
  cookie: u64,
  packetCount: u64,
  byteCount: u64,
  match: nested(match),
  instructions: nested(instructions),
});
export type FlowStats = Infer<typeof flowStats>;

export const tableStats = struct('table_stats', {
  tableId: u8,
  pad0: pad(3),
  activeCount: u32,
  lookupCount: u64,
  matchedCount: u64,
});
export type TableStats = Infer<typeof tableStats>;

export const portStats = struct('port_stats', {
  portNo: u32,
  pad0: pad(4),
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
export type PortStats = Infer<typeof portStats>;

export const queueStats = struct('queue_stats', {
  portNo: u32,
  queueId: u32,
  txBytes: u64,
  txPackets: u64,
  txErrors: u64,
  durationSec: u32,
  durationNsec: u32,
});
export type QueueStats = Infer<typeof queueStats>;

const counter = struct('counter', { packetCount: u64, byteCount: u64 });

export const groupStats = struct('group_stats', {
  len: selfLength(2),
  pad0: pad(2),
  groupId: u32,
  refCount: u32,
  pad1: pad(4),
  packetCount: u64,
  byteCount: u64,
  durationSec: u32,
  durationNsec: u32,
  bucketStats: nested(list(counter)),
});
export type GroupStats = Infer<typeof groupStats>;

export const groupDesc = struct('group_desc', {
  len: selfLength(2),
  groupType: u8,
  pad0: pad(1),
  groupId: u32,
  buckets: nested(buckets),
});
export type GroupDesc = Infer<typeof groupDesc>;

export const meterStats = struct('meter_stats', {
  meterId: u32,
  len: selfLength(2),
  pad0: pad(6),
  flowCount: u32,
  packetInCount: u64,
  byteInCount: u64,
  durationSec: u32,
  durationNsec: u32,
  bandStats: nested(list(counter)),
});
export type MeterStats = Infer<typeof meterStats>;

export const meterConfig = struct('meter_config', {
  len: selfLength(2),
  flags: u16,
  meterId: u32,
  bands: nested(meterBands),
});
export type MeterConfig = Infer<typeof meterConfig>;

const flowStatsRequest = {
  tableId: u8,
  pad1: pad(3),
  outPort: u32,
  outGroup: u32,
  pad2: pad(4),
  cookie: u64,
  cookieMask: u64,
  match: nested(match),
} satisfies Spec;

const experimenterBody = { experimenter: u32, expType: u32, data: bytes } satisfies Spec;

const requestBodies = {
  DESC: {},
  FLOW: flowStatsRequest,
  AGGREGATE: flowStatsRequest,
  TABLE: {},
  PORT_STATS: { portNo: u32, pad1: pad(4) },
  QUEUE: { portNo: u32, queueId: u32 },
  GROUP: { groupId: u32, pad1: pad(4) },
  GROUP_DESC: {},
  GROUP_FEATURES: {},
  METER: { meterId: u32, pad1: pad(4) },
  METER_CONFIG: { meterId: u32, pad1: pad(4) },
  METER_FEATURES: {},
  TABLE_FEATURES: { tables: nested(list(tableFeatures)) },
  PORT_DESC: {},
  EXPERIMENTER: experimenterBody,
} as const satisfies Record<MultipartType, Spec>;

const replyBodies = {
  DESC: { mfrDesc: str(256), hwDesc: str(256), swDesc: str(256), serialNum: str(32), dpDesc: str(256) },
  FLOW: { stats: nested(list(flowStats)) },
  AGGREGATE: { packetCount: u64, byteCount: u64, flowCount: u32, pad1: pad(4) },
  TABLE: { stats: nested(list(tableStats)) },
  PORT_STATS: { stats: nested(list(portStats)) },
  QUEUE: { stats: nested(list(queueStats)) },
  GROUP: { stats: nested(list(groupStats)) },
  GROUP_DESC: { groups: nested(list(groupDesc)) },
  GROUP_FEATURES: { types: u32, capabilities: u32, maxGroups: u32s(4), actions: u32s(4) },
  METER: { stats: nested(list(meterStats)) },
  METER_CONFIG: { configs: nested(list(meterConfig)) },
  METER_FEATURES: { maxMeter: u32, bandTypes: u32, capabilities: u32, maxBands: u8, maxColor: u8, pad1: pad(2) },
  TABLE_FEATURES: { tables: nested(list(tableFeatures)) },
  PORT_DESC: { ports: nested(ports) },
  EXPERIMENTER: experimenterBody,
} as const satisfies Record<MultipartType, Spec>;

type Bodies = Record<MultipartType, Spec>;

/** The 16-byte head every multipart message shares, then its body. */
function multipartMessage<M extends 'MULTIPART_REQUEST' | 'MULTIPART_REPLY', P extends MultipartType, S extends Spec>(
  msgType: M,
  wire: number,
  mp: P,
  body: S,
) {
  return struct(mp, {
    version: constant(1, 4, BAD_VERSION, 'version'),
    type: tag(msgType, wire, 1),
    len: selfLength(2),
    xid: u32,
    mpType: tag(mp, OFPMP[mp], 2),
    flags: u16,
    pad0: pad(4),
    ...body,
  });
}

type MultipartOf<M extends string, B extends Bodies> = {
  [P in MultipartType]: Simplify<{ type: M; xid: number; mpType: P; flags: number } & StructType<B[P]>>;
}[MultipartType];

export type MultipartRequest = MultipartOf<'MULTIPART_REQUEST', typeof requestBodies>;
export type MultipartReply = MultipartOf<'MULTIPART_REPLY', typeof replyBodies>;

function multipartUnion<M extends 'MULTIPART_REQUEST' | 'MULTIPART_REPLY', T>(
  msgType: M,
  wire: number,
  bodies: Bodies,
): Codec<T> {
  const variants = (Object.keys(OFPMP) as MultipartType[]).map(
    (mp) => [OFPMP[mp], multipartMessage(msgType, wire, mp, bodies[mp])] as const,
  );
  const u = union(msgType, variants, {
    tagAt: 8,
    minLen: 16,
    lenErr: BAD_LEN,
    unknownErr: BAD_MULTIPART,
    nameKey: 'mpType',
  });
  return u as unknown as Codec<T>;
}

export const multipartRequest: Codec<MultipartRequest> = multipartUnion('MULTIPART_REQUEST', 18, requestBodies);
export const multipartReply: Codec<MultipartReply> = multipartUnion('MULTIPART_REPLY', 19, replyBodies);

/** OFPMPF_REQ_MORE / OFPMPF_REPLY_MORE. */
export const OFPMPF_MORE = 1;
