// Multipart replies as Ryu's ofctl_v1_3 prints them (get_flow_stats, get_port_stats, ...):
// snake_case keys, reserved numbers by name, flags as lists of names. 64-bit counters and
// cookies stay bigint (written with every digit by stringifyJson).

import {
  OFPAT,
  OFPGFC,
  OFPGT,
  OFPIT,
  OFPMBT,
  OFPMF,
  OXM_BY_ID,
  type FlowStats,
  type GroupDesc,
  type GroupStats,
  type MeterConfig,
  type MeterStats,
  type MultipartReply,
  type PacketQueue,
  type Port,
  type PortStats,
  type QueueStats,
  type TableFeatures,
  type TableStats,
  flowStats,
  groupStats,
  meterStats,
} from '@rumpflow/openflow';
import { actionToRyu, instructionsToRyu } from './actions.js';
import { groupToUser, meterToUser, portToUser, queueToUser, roleToUser, tableToUser } from './ints.js';
import { matchToRyu, ryuNameOf } from './match.js';

type Reply<P extends MultipartReply['mpType']> = Extract<MultipartReply, { mpType: P }>;
type Json = Record<string, unknown>;

/** The names of the bits set in `bits`, in the order of `table`. */
function bitNames(bits: number, table: Readonly<Record<string, number>>, shift = false): string[] {
  return Object.entries(table)
    .filter(([, v]) => (shift ? (bits >>> v) & 1 : bits & v))
    .map(([k]) => k);
}

export function descToRyu(d: Reply<'DESC'>): Json {
  return {
    mfr_desc: d.mfrDesc,
    hw_desc: d.hwDesc,
    sw_desc: d.swDesc,
    serial_num: d.serialNum,
    dp_desc: d.dpDesc,
  };
}

export function flowStatsToRyu(s: FlowStats): Json {
  return {
    priority: s.priority,
    cookie: s.cookie,
    idle_timeout: s.idleTimeout,
    hard_timeout: s.hardTimeout,
    byte_count: s.byteCount,
    duration_sec: s.durationSec,
    duration_nsec: s.durationNsec,
    packet_count: s.packetCount,
    length: flowStats.size(s),
    flags: s.flags,
    actions: instructionsToRyu(s.instructions),
    match: matchToRyu(s.match),
    table_id: tableToUser(s.tableId),
  };
}

export function aggregateToRyu(a: Reply<'AGGREGATE'>): Json {
  return { packet_count: a.packetCount, byte_count: a.byteCount, flow_count: a.flowCount };
}

export function tableStatsToRyu(t: TableStats): Json {
  return {
    active_count: t.activeCount,
    lookup_count: t.lookupCount,
    matched_count: t.matchedCount,
    table_id: tableToUser(t.tableId),
  };
}

export function portStatsToRyu(s: PortStats): Json {
  return {
    rx_packets: s.rxPackets,
    tx_packets: s.txPackets,
    rx_bytes: s.rxBytes,
    tx_bytes: s.txBytes,
    rx_dropped: s.rxDropped,
    tx_dropped: s.txDropped,
    rx_errors: s.rxErrors,
    tx_errors: s.txErrors,
    rx_frame_err: s.rxFrameErr,
    rx_over_err: s.rxOverErr,
    rx_crc_err: s.rxCrcErr,
    collisions: s.collisions,
    duration_sec: s.durationSec,
    duration_nsec: s.durationNsec,
    port_no: portToUser(s.portNo),
  };
}

export function portDescToRyu(p: Port): Json {
  return {
    hw_addr: p.hwAddr,
    name: p.name,
    config: p.config,
    state: p.state,
    curr: p.curr,
    advertised: p.advertised,
    supported: p.supported,
    peer: p.peer,
    curr_speed: p.currSpeed,
    max_speed: p.maxSpeed,
    port_no: portToUser(p.portNo),
  };
}

export function queueStatsToRyu(q: QueueStats): Json {
  return {
    duration_nsec: q.durationNsec,
    duration_sec: q.durationSec,
    port_no: q.portNo,
    queue_id: q.queueId,
    tx_bytes: q.txBytes,
    tx_errors: q.txErrors,
    tx_packets: q.txPackets,
  };
}

export function queueConfigToRyu(port: number, queues: readonly PacketQueue[]): Json {
  return {
    queues: queues.map((q) => ({
      properties: q.properties.map((p) => {
        if (p.type === 'MIN_RATE' || p.type === 'MAX_RATE') return { property: p.type, rate: p.rate };
        if (p.type === 'EXPERIMENTER')
          return { property: 'EXPERIMENTER', experimenter: p.experimenter, data: p.data };
        return { property: 'UNKNOWN' };
      }),
      port: portToUser(q.port),
      queue_id: queueToUser(q.queueId),
    })),
    port: portToUser(port),
  };
}

export function groupStatsToRyu(g: GroupStats): Json {
  return {
    length: groupStats.size(g),
    ref_count: g.refCount,
    packet_count: g.packetCount,
    byte_count: g.byteCount,
    duration_sec: g.durationSec,
    duration_nsec: g.durationNsec,
    bucket_stats: g.bucketStats.map((b) => ({ packet_count: b.packetCount, byte_count: b.byteCount })),
    group_id: groupToUser(g.groupId),
  };
}

const GROUP_TYPES = OFPGT as Readonly<Record<string, number>>;
const groupTypeName = (t: number): string | number =>
  Object.entries(GROUP_TYPES).find(([, v]) => v === t)?.[0] ?? t;

export function groupDescToRyu(d: GroupDesc): Json {
  return {
    buckets: d.buckets.map((b) => ({
      weight: b.weight,
      watch_port: b.watchPort,
      watch_group: b.watchGroup,
      actions: b.actions.map(actionToRyu),
    })),
    group_id: groupToUser(d.groupId),
    type: groupTypeName(d.groupType),
  };
}

/** The action types Ryu names in group features (OFPAT minus EXPERIMENTER). */
const GROUP_ACTIONS = Object.fromEntries(Object.entries(OFPAT).filter(([k]) => k !== 'EXPERIMENTER'));

export function groupFeaturesToRyu(f: Reply<'GROUP_FEATURES'>): Json {
  const types = Object.entries(GROUP_TYPES);
  return {
    types: bitNames(f.types, GROUP_TYPES, true),
    capabilities: bitNames(f.capabilities, OFPGFC),
    max_groups: types.map(([k, v]) => ({ [k]: f.maxGroups[v] ?? 0 })),
    actions: types.map(([k, v]) => ({ [k]: bitNames(f.actions[v] ?? 0, GROUP_ACTIONS, true) })),
  };
}

export function meterStatsToRyu(m: MeterStats): Json {
  return {
    len: meterStats.size(m),
    flow_count: m.flowCount,
    packet_in_count: m.packetInCount,
    byte_in_count: m.byteInCount,
    duration_sec: m.durationSec,
    duration_nsec: m.durationNsec,
    band_stats: m.bandStats.map((b) => ({ packet_band_count: b.packetCount, byte_band_count: b.byteCount })),
    meter_id: meterToUser(m.meterId),
  };
}

const BAND_TYPES = { DROP: OFPMBT.DROP, DSCP_REMARK: OFPMBT.DSCP_REMARK } as const;

export function meterFeaturesToRyu(f: Reply<'METER_FEATURES'>): Json {
  return {
    max_meter: f.maxMeter,
    band_types: bitNames(f.bandTypes, BAND_TYPES, true),
    capabilities: bitNames(f.capabilities, OFPMF),
    max_bands: f.maxBands,
    max_color: f.maxColor,
  };
}

export function meterConfigToRyu(c: MeterConfig): Json {
  return {
    flags: bitNames(c.flags, OFPMF),
    bands: c.bands.map((b) => {
      const out: Json = { rate: b.rate, burst_size: b.burstSize, type: b.type };
      if (b.type === 'DSCP_REMARK') out['prec_level'] = b.precLevel;
      if (b.type === 'EXPERIMENTER') out['experimenter'] = b.experimenter;
      return out;
    }),
    meter_id: meterToUser(c.meterId),
  };
}

const INSTRUCTION_NUMBERS = OFPIT as Readonly<Record<string, number>>;
const ACTION_NUMBERS = OFPAT as Readonly<Record<string, number>>;

export function tableFeaturesToRyu(t: TableFeatures): Json {
  return {
    name: t.name,
    metadata_match: t.metadataMatch,
    metadata_write: t.metadataWrite,
    config: t.config,
    max_entries: t.maxEntries,
    properties: t.properties.map((p) => {
      const out: Json = { type: p.type };
      if ('instructionIds' in p)
        out['instruction_ids'] = p.instructionIds.map((i) => ({
          len: 'data' in i ? 8 + i.data.length : 4,
          type: INSTRUCTION_NUMBERS[i.type],
        }));
      if ('tableIds' in p) out['table_ids'] = p.tableIds;
      if ('actionIds' in p)
        out['action_ids'] = p.actionIds.map((a) => ({
          len: 'data' in a ? 8 + a.data.length : 4,
          type: ACTION_NUMBERS[a.type],
        }));
      if ('oxmIds' in p) {
        out['oxm_ids'] = p.oxmIds.map((o) => ({
          hasmask: o.hasMask,
          length: o.length,
          type: oxmIdName(o.oxmClass, o.oxmField),
        }));
      }
      return out;
    }),
    table_id: tableToUser(t.tableId),
  };
}

/** Ryu's name of an OXM id in table features; cached (a switch lists thousands). */
const oxmIdNames = new Map<number, string>();
function oxmIdName(oxmClass: number, field: number): string {
  const key = oxmClass * 256 + field;
  let name = oxmIdNames.get(key);
  if (name === undefined) {
    const f = oxmClass === 0x8000 ? OXM_BY_ID[field] : undefined;
    name = f !== undefined ? ryuNameOf(f.name) : `field_${oxmClass.toString(16)}_${field}`;
    oxmIdNames.set(key, name);
  }
  return name;
}

export function roleToRyu(r: { role: number; generationId: bigint }): Json {
  return { generation_id: r.generationId, role: roleToUser(r.role) };
}
