// Common structures (section 7.2): ports, HELLO elements, meter bands, queues and their
// properties, and table features with their properties.

import { actionId, instructionId } from './actions.js';
import { type ErrorPair, errPair } from './errors.js';
import {
  type Codec,
  type Infer,
  bytes,
  checkUint,
  fail,
  list,
  mac,
  named,
  nested,
  pad,
  selfLength,
  str,
  struct,
  u16,
  u32,
  u64,
  u8,
  union,
  variant,
} from './layout.js';

/** Numbers one after another to the end of the extent (u8 table ids, u32 version bitmaps). */
function numbers(width: 1 | 4, err: ErrorPair, field: string): Codec<number[]> {
  return {
    name: `u${width * 8}[]`,
    fixed: undefined,
    decode(r, end) {
      if ((end - r.pos) % width !== 0) throw fail(r, err, `u${width * 8}[]: ${end - r.pos} bytes`);
      const out: number[] = [];
      for (let p = r.pos; p < end; p += width) out.push(width === 1 ? r.b[p]! : r.dv.getUint32(p));
      r.pos = end;
      return out;
    },
    size: (v) => v.length * width,
    write(w, v) {
      for (let i = 0; i < v.length; i++) {
        const x = checkUint(v[i], 8 * width, `${field}[${i}]`);
        if (width === 1) w.b[w.pos] = x;
        else w.dv.setUint32(w.pos, x);
        w.pos += width;
      }
    },
  };
}

const BAD_LEN = errPair('BAD_REQUEST', 'BAD_LEN');
const BAD_TYPE = errPair('BAD_REQUEST', 'BAD_TYPE');

/** ofp_port (64 bytes). */
export const port = struct('port', {
  portNo: u32,
  pad0: pad(4),
  hwAddr: mac,
  pad1: pad(2),
  name: str(16),
  config: u32,
  state: u32,
  curr: u32,
  advertised: u32,
  supported: u32,
  peer: u32,
  currSpeed: u32,
  maxSpeed: u32,
});
export type Port = Infer<typeof port>;
export const ports: Codec<Port[]> = list(port);

/** HELLO elements; unknown element types are kept (a switch must ignore them). */
export const helloElement = union(
  'hello_element',
  [variant('VERSIONBITMAP', 1, { len: selfLength(2, 8), bitmaps: nested(numbers(4, BAD_LEN, 'bitmaps')) })] as const,
  {
    minLen: 4,
    lenErr: BAD_LEN,
    unknownErr: BAD_TYPE,
    fallback: struct('hello_element_unknown', {
      type: named('UNKNOWN'),
      elementType: u16,
      len: selfLength(2, 8),
      data: bytes,
    }),
  },
);
export type HelloElement = Infer<typeof helloElement>;

const MM_BAD_BAND = errPair('METER_MOD_FAILED', 'BAD_BAND');
/** Meter bands (ofp_meter_band_*). An unknown band type is METER_MOD_FAILED/BAD_BAND. */
export const meterBand = union(
  'meter_band',
  [
    variant('DROP', 1, { len: selfLength(2), rate: u32, burstSize: u32, pad0: pad(4) }),
    variant('DSCP_REMARK', 2, { len: selfLength(2), rate: u32, burstSize: u32, precLevel: u8, pad0: pad(3) }),
    variant('EXPERIMENTER', 0xffff, { len: selfLength(2), rate: u32, burstSize: u32, experimenter: u32, data: bytes }),
  ] as const,
  { minLen: 4, lenErr: BAD_LEN, unknownErr: MM_BAD_BAND },
);
export type MeterBand = Infer<typeof meterBand>;
export const meterBands: Codec<MeterBand[]> = list(meterBand);

/** Queue properties (ofp_queue_prop_*). */
export const queueProp = union(
  'queue_prop',
  [
    variant('MIN_RATE', 1, { len: selfLength(2), pad0: pad(4), rate: u16, pad1: pad(6) }),
    variant('MAX_RATE', 2, { len: selfLength(2), pad0: pad(4), rate: u16, pad1: pad(6) }),
    variant('EXPERIMENTER', 0xffff, { len: selfLength(2), pad0: pad(4), experimenter: u32, pad1: pad(4), data: bytes }),
  ] as const,
  {
    minLen: 8,
    lenErr: BAD_LEN,
    unknownErr: BAD_TYPE,
    fallback: struct('queue_prop_unknown', {
      type: named('UNKNOWN'),
      property: u16,
      len: selfLength(2),
      pad0: pad(4),
      data: bytes,
    }),
  },
);
export type QueueProp = Infer<typeof queueProp>;

/** ofp_packet_queue. */
export const packetQueue = struct('packet_queue', {
  queueId: u32,
  port: u32,
  len: selfLength(2),
  pad0: pad(6),
  properties: nested(list(queueProp)),
});
export type PacketQueue = Infer<typeof packetQueue>;

/** OXM ids in table-features properties: a header, and an experimenter id for class 0xffff. */
export interface OxmId {
  oxmClass: number;
  oxmField: number;
  hasMask: boolean;
  /** The header's length byte: the payload length the switch supports. */
  length: number;
  experimenter?: number;
}

const TF_LEN = errPair('TABLE_FEATURES_FAILED', 'BAD_LEN');
const TF_TYPE = errPair('TABLE_FEATURES_FAILED', 'BAD_TYPE');

export const oxmIds: Codec<OxmId[]> = {
  name: 'oxm_id[]',
  fixed: undefined,
  decode(r, end) {
    const out: OxmId[] = [];
    while (r.pos < end) {
      const p = r.pos;
      if (p + 4 > end) throw fail(r, TF_LEN, 'oxm_id: truncated');
      const oxmClass = r.dv.getUint16(p);
      const id: OxmId = { oxmClass, oxmField: r.b[p + 2]! >>> 1, hasMask: (r.b[p + 2]! & 1) === 1, length: r.b[p + 3]! };
      r.pos = p + 4;
      if (oxmClass === 0xffff) {
        if (p + 8 > end) throw fail(r, TF_LEN, 'oxm_id: truncated experimenter');
        id.experimenter = r.dv.getUint32(p + 4);
        r.pos = p + 8;
      }
      out.push(id);
    }
    return out;
  },
  size: (v) => v.reduce((n, x) => n + (x.oxmClass === 0xffff ? 8 : 4), 0),
  write(w, v) {
    for (const x of v) {
      w.dv.setUint16(w.pos, checkUint(x.oxmClass, 16, 'oxmIds.oxmClass'));
      w.b[w.pos + 2] = (checkUint(x.oxmField, 7, 'oxmIds.oxmField') << 1) | (x.hasMask ? 1 : 0);
      w.b[w.pos + 3] = checkUint(x.length, 8, 'oxmIds.length');
      w.pos += 4;
      if (x.oxmClass === 0xffff) {
        w.dv.setUint32(w.pos, checkUint(x.experimenter ?? 0, 32, 'oxmIds.experimenter'));
        w.pos += 4;
      }
    }
  },
};

const tf = { lenErr: TF_LEN };
const plen = () => selfLength(2, 8);
const instrProp = <N extends 'INSTRUCTIONS' | 'INSTRUCTIONS_MISS'>(n: N, wire: number) =>
  variant(n, wire, { len: plen(), instructionIds: nested(list(instructionId)) }, tf);
const tablesProp = <N extends 'NEXT_TABLES' | 'NEXT_TABLES_MISS'>(n: N, wire: number) =>
  variant(n, wire, { len: plen(), tableIds: nested(numbers(1, TF_LEN, 'tableIds')) }, tf);
const actionsProp = <N extends 'WRITE_ACTIONS' | 'WRITE_ACTIONS_MISS' | 'APPLY_ACTIONS' | 'APPLY_ACTIONS_MISS'>(
  n: N,
  wire: number,
) => variant(n, wire, { len: plen(), actionIds: nested(list(actionId)) }, tf);
const oxmProp = <
  N extends 'MATCH' | 'WILDCARDS' | 'WRITE_SETFIELD' | 'WRITE_SETFIELD_MISS' | 'APPLY_SETFIELD' | 'APPLY_SETFIELD_MISS',
>(
  n: N,
  wire: number,
) => variant(n, wire, { len: plen(), oxmIds: nested(oxmIds) }, tf);
const expProp = <N extends 'EXPERIMENTER' | 'EXPERIMENTER_MISS'>(n: N, wire: number) =>
  variant(n, wire, { len: plen(), experimenter: u32, expType: u32, data: bytes }, tf);

/** Table-feature properties (ofp_table_feature_prop_*); types 9 and 11 are unassigned. */
export const tableFeatureProp = union(
  'table_feature_prop',
  [
    instrProp('INSTRUCTIONS', 0),
    instrProp('INSTRUCTIONS_MISS', 1),
    tablesProp('NEXT_TABLES', 2),
    tablesProp('NEXT_TABLES_MISS', 3),
    actionsProp('WRITE_ACTIONS', 4),
    actionsProp('WRITE_ACTIONS_MISS', 5),
    actionsProp('APPLY_ACTIONS', 6),
    actionsProp('APPLY_ACTIONS_MISS', 7),
    oxmProp('MATCH', 8),
    oxmProp('WILDCARDS', 10),
    oxmProp('WRITE_SETFIELD', 12),
    oxmProp('WRITE_SETFIELD_MISS', 13),
    oxmProp('APPLY_SETFIELD', 14),
    oxmProp('APPLY_SETFIELD_MISS', 15),
    expProp('EXPERIMENTER', 0xfffe),
    expProp('EXPERIMENTER_MISS', 0xffff),
  ] as const,
  { minLen: 4, lenErr: TF_LEN, unknownErr: TF_TYPE },
);
export type TableFeatureProp = Infer<typeof tableFeatureProp>;

/** ofp_table_features. */
export const tableFeatures = struct(
  'table_features',
  {
    len: selfLength(2),
    tableId: u8,
    pad0: pad(5),
    name: str(32),
    metadataMatch: u64,
    metadataWrite: u64,
    config: u32,
    maxEntries: u32,
    properties: nested(list(tableFeatureProp)),
  },
  tf,
);
export type TableFeatures = Infer<typeof tableFeatures>;
