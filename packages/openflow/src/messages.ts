// Every OpenFlow 1.3 message (types 0-29), declared once each, and the top-level
// decode/encode. A message object is { type: 'NAME', xid, ...body }.

import { actions, buckets, instructions } from './actions.js';
import { OFPET, errPair } from './errors.js';
import {
  type Codec,
  type Infer,
  type Spec,
  bytes,
  checkUint,
  constant,
  fail,
  flags,
  lengthOf,
  list,
  mac,
  nested,
  oneOf,
  pad,
  readerOf,
  selfLength,
  sizedBy,
  struct,
  tag,
  u16,
  u32,
  u32s,
  u64,
  u8,
  union,
  writerOf,
} from './layout.js';
import { type MultipartReply, type MultipartRequest, multipartReply, multipartRequest } from './multipart.js';
import { match } from './oxm.js';
import { helloElement, meterBands, packetQueue, port } from './structures.js';

/** Message types (ofp_type). */
export const OFPT = {
  HELLO: 0,
  ERROR: 1,
  ECHO_REQUEST: 2,
  ECHO_REPLY: 3,
  EXPERIMENTER: 4,
  FEATURES_REQUEST: 5,
  FEATURES_REPLY: 6,
  GET_CONFIG_REQUEST: 7,
  GET_CONFIG_REPLY: 8,
  SET_CONFIG: 9,
  PACKET_IN: 10,
  FLOW_REMOVED: 11,
  PORT_STATUS: 12,
  PACKET_OUT: 13,
  FLOW_MOD: 14,
  GROUP_MOD: 15,
  PORT_MOD: 16,
  TABLE_MOD: 17,
  MULTIPART_REQUEST: 18,
  MULTIPART_REPLY: 19,
  BARRIER_REQUEST: 20,
  BARRIER_REPLY: 21,
  QUEUE_GET_CONFIG_REQUEST: 22,
  QUEUE_GET_CONFIG_REPLY: 23,
  ROLE_REQUEST: 24,
  ROLE_REPLY: 25,
  GET_ASYNC_REQUEST: 26,
  GET_ASYNC_REPLY: 27,
  SET_ASYNC: 28,
  METER_MOD: 29,
} as const;
export type MessageType = keyof typeof OFPT;

/** The wire version this codec speaks. */
export const OFP_VERSION = 0x04;
export const OFP_HEADER_LEN = 8;
export const OFP_MAX_MESSAGE_LEN = 0xffff;

const BAD_VERSION = errPair('BAD_REQUEST', 'BAD_VERSION');
const BAD_TYPE = errPair('BAD_REQUEST', 'BAD_TYPE');
const BAD_LEN = errPair('BAD_REQUEST', 'BAD_LEN');

/** A message: the header (version 4, its type, derived length, xid) then `body`. */
function message<N extends MessageType, S extends Spec>(name: N, body: S) {
  return [
    OFPT[name],
    struct(name, {
      version: constant(1, OFP_VERSION, BAD_VERSION, 'unsupported version'),
      type: tag(name, OFPT[name], 1),
      len: selfLength(2),
      xid: u32,
      ...body,
    }),
  ] as const;
}

const configFlags = flags(2, 0x3, errPair('SWITCH_CONFIG_FAILED', 'BAD_FLAGS'));
const asyncBody = { packetInMask: u32s(2), portStatusMask: u32s(2), flowRemovedMask: u32s(2) };
const roleBody = { role: oneOf(4, [0, 1, 2, 3], errPair('ROLE_REQUEST_FAILED', 'BAD_ROLE'), 'unknown role'), pad0: pad(4), generationId: u64 };

/** HELLO keeps the version it was sent with (version negotiation reads it). */
const hello = [
  OFPT.HELLO,
  struct('HELLO', {
    version: u8,
    type: tag('HELLO', OFPT.HELLO, 1),
    len: selfLength(2),
    xid: u32,
    elements: nested(list(helloElement)),
  }),
] as const;

/** An ERROR; for experimenter errors (errType 0xffff) `code` is exp_type and `experimenter` is set. */
export interface ErrorMessage {
  type: 'ERROR';
  xid: number;
  errType: number;
  code: number;
  experimenter?: number;
  /** At least the first 64 bytes of the failed request, or an ASCII text for HELLO_FAILED. */
  data: Uint8Array;
}

const errorCodec: Codec<ErrorMessage> = {
  name: 'ERROR',
  fixed: undefined,
  decode(r, end) {
    const p = r.pos;
    if (p + 12 > end) throw fail(r, BAD_LEN, 'ERROR: truncated');
    if (r.b[p] !== OFP_VERSION) throw fail(r, BAD_VERSION, `ERROR: unsupported version ${r.b[p]}`);
    const errType = r.dv.getUint16(p + 8);
    const code = r.dv.getUint16(p + 10);
    const xid = r.dv.getUint32(p + 4);
    if (errType === OFPET.EXPERIMENTER) {
      if (p + 16 > end) throw fail(r, BAD_LEN, 'ERROR: truncated experimenter error');
      r.pos = end;
      return { type: 'ERROR', xid, errType, code, experimenter: r.dv.getUint32(p + 12), data: r.b.subarray(p + 16, end) };
    }
    r.pos = end;
    return { type: 'ERROR', xid, errType, code, data: r.b.subarray(p + 12, end) };
  },
  size: (v) => (v.errType === OFPET.EXPERIMENTER ? 16 : 12) + v.data.length,
  write(w, v) {
    const p = w.pos;
    const n = (v.errType === OFPET.EXPERIMENTER ? 16 : 12) + v.data.length;
    w.b[p] = OFP_VERSION;
    w.b[p + 1] = OFPT.ERROR;
    w.dv.setUint16(p + 2, n);
    w.dv.setUint32(p + 4, checkUint(v.xid, 32, 'xid'));
    w.dv.setUint16(p + 8, checkUint(v.errType, 16, 'errType'));
    w.dv.setUint16(p + 10, checkUint(v.code, 16, 'code'));
    if (v.errType === OFPET.EXPERIMENTER) w.dv.setUint32(p + 12, checkUint(v.experimenter ?? 0, 32, 'experimenter'));
    w.b.set(v.data, p + n - v.data.length);
    w.pos = p + n;
  },
};

const packetIn = message('PACKET_IN', {
  bufferId: u32,
  totalLen: u16,
  reason: u8,
  tableId: u8,
  cookie: u64,
  match: nested(match),
  pad0: pad(2),
  data: bytes,
});

const flowMod = message('FLOW_MOD', {
  cookie: u64,
  cookieMask: u64,
  tableId: u8,
  command: oneOf(1, [0, 1, 2, 3, 4], errPair('FLOW_MOD_FAILED', 'BAD_COMMAND'), 'unknown command'),
  idleTimeout: u16,
  hardTimeout: u16,
  priority: u16,
  bufferId: u32,
  outPort: u32,
  outGroup: u32,
  flags: flags(2, 0x1f, errPair('FLOW_MOD_FAILED', 'BAD_FLAGS')),
  pad0: pad(2),
  match: nested(match),
  instructions: nested(instructions),
});

const structMessages = [
  hello,
  message('ECHO_REQUEST', { data: bytes }),
  message('ECHO_REPLY', { data: bytes }),
  message('EXPERIMENTER', { experimenter: u32, expType: u32, data: bytes }),
  message('FEATURES_REQUEST', {}),
  message('FEATURES_REPLY', {
    datapathId: u64,
    nBuffers: u32,
    nTables: u8,
    auxiliaryId: u8,
    pad0: pad(2),
    capabilities: u32,
    reserved: u32,
  }),
  message('GET_CONFIG_REQUEST', {}),
  message('GET_CONFIG_REPLY', { flags: u16, missSendLen: u16 }),
  message('SET_CONFIG', { flags: configFlags, missSendLen: u16 }),
  packetIn,
  message('FLOW_REMOVED', {
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
    match: nested(match),
  }),
  message('PORT_STATUS', { reason: u8, pad0: pad(7), desc: nested(port) }),
  message('PACKET_OUT', {
    bufferId: u32,
    inPort: u32,
    actionsLen: lengthOf(2),
    pad0: pad(6),
    actions: sizedBy(actions, 'actionsLen'),
    data: bytes,
  }),
  flowMod,
  message('GROUP_MOD', {
    command: oneOf(2, [0, 1, 2], errPair('GROUP_MOD_FAILED', 'BAD_COMMAND'), 'unknown command'),
    groupType: oneOf(1, [0, 1, 2, 3], errPair('GROUP_MOD_FAILED', 'BAD_TYPE'), 'unknown group type'),
    pad0: pad(1),
    groupId: u32,
    buckets: nested(buckets),
  }),
  message('PORT_MOD', {
    portNo: u32,
    pad0: pad(4),
    hwAddr: mac,
    pad1: pad(2),
    config: u32,
    mask: u32,
    advertise: u32,
    pad2: pad(4),
  }),
  message('TABLE_MOD', { tableId: u8, pad0: pad(3), config: u32 }),
  message('BARRIER_REQUEST', {}),
  message('BARRIER_REPLY', {}),
  message('QUEUE_GET_CONFIG_REQUEST', { port: u32, pad0: pad(4) }),
  message('QUEUE_GET_CONFIG_REPLY', { port: u32, pad0: pad(4), queues: nested(list(packetQueue)) }),
  message('ROLE_REQUEST', roleBody),
  message('ROLE_REPLY', roleBody),
  message('GET_ASYNC_REQUEST', {}),
  message('GET_ASYNC_REPLY', asyncBody),
  message('SET_ASYNC', asyncBody),
  message('METER_MOD', {
    command: oneOf(2, [0, 1, 2], errPair('METER_MOD_FAILED', 'BAD_COMMAND'), 'unknown command'),
    flags: flags(2, 0xf, errPair('METER_MOD_FAILED', 'BAD_FLAGS')),
    meterId: u32,
    bands: nested(meterBands),
  }),
] as const;

type StructMessage = Infer<(typeof structMessages)[number][1]>;

/** Any OpenFlow 1.3 message, discriminated by `type` (and `mpType` for multiparts). */
export type Message = StructMessage | ErrorMessage | MultipartRequest | MultipartReply;
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A message still to be given an xid by whoever sends it. */
export type UnsentMessage = DistributiveOmit<Message, 'xid'>;

export type PacketIn = MessageOf<'PACKET_IN'>;
export type FlowMod = MessageOf<'FLOW_MOD'>;
export type PacketOut = MessageOf<'PACKET_OUT'>;
export type Hello = MessageOf<'HELLO'>;
export type FeaturesReply = MessageOf<'FEATURES_REPLY'>;
export type FlowRemoved = MessageOf<'FLOW_REMOVED'>;
export type PortStatus = MessageOf<'PORT_STATUS'>;
export type GroupMod = MessageOf<'GROUP_MOD'>;
export type MeterMod = MessageOf<'METER_MOD'>;
export type PortMod = MessageOf<'PORT_MOD'>;

/** The message codec: a union on the header's type byte. */
export const messageCodec: Codec<Message> = union(
  'message',
  [...structMessages, [OFPT.ERROR, errorCodec], [OFPT.MULTIPART_REQUEST, multipartRequest], [OFPT.MULTIPART_REPLY, multipartReply]] as const,
  { tagAt: 1, tagBytes: 1, minLen: OFP_HEADER_LEN, lenErr: BAD_LEN, unknownErr: BAD_TYPE },
) as Codec<Message>;

/** The header of a message, readable without decoding the body. */
export interface Header {
  version: number;
  type: number;
  length: number;
  xid: number;
}

export function readHeader(b: Uint8Array): Header {
  if (b.length < OFP_HEADER_LEN) throw fail(readerOf(b), BAD_LEN, `message of ${b.length} bytes has no header`);
  return { version: b[0]!, type: b[1]!, length: (b[2]! << 8) | b[3]!, xid: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0 };
}

/**
 * Decode exactly one whole message. Checks structure (lengths, alignment, enumerations,
 * flag bits) and throws an OfpError naming the ERROR type and code to answer with.
 */
export function decode(b: Uint8Array): Message {
  const r = readerOf(b);
  if (b.length < OFP_HEADER_LEN) throw fail(r, BAD_LEN, `message of ${b.length} bytes has no header`);
  const len = (b[2]! << 8) | b[3]!;
  if (len !== b.length) throw fail(r, BAD_LEN, `header length ${len} but ${b.length} bytes`);
  if (b[0] !== OFP_VERSION && b[1] !== OFPT.HELLO) throw fail(r, BAD_VERSION, `unsupported version ${b[0]}`);
  return messageCodec.decode(r, b.length);
}

/** Encode a message; `encode(decode(b))` equals `b` for every message decode accepts. */
export function encode(m: Message): Uint8Array {
  const n = messageCodec.size(m);
  if (n > OFP_MAX_MESSAGE_LEN) throw new RangeError(`${m.type}: ${n} bytes exceed the 65535-byte message limit`);
  const b = Buffer.allocUnsafe(n);
  const w = writerOf(b);
  messageCodec.write(w, m);
  if (w.pos !== n) throw new Error(`${m.type}: wrote ${w.pos} of ${n} bytes`);
  return b;
}
