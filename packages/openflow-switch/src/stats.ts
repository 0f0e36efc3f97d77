// Multipart requests (1.3.5 section 7.3.5) with true figures, and replies split on entry
// boundaries: each reply message stays within Datapath.maxReplyLen (below 65535 bytes), every
// part but the last has OFPMPF_REPLY_MORE.
//
// - DESC; FLOW and AGGREGATE (table, out_port, out_group, cookie/mask and match filters, as
//   non-strict FLOW_MOD selects entries); TABLE (active, lookup and matched counts of every
//   table); TABLE_FEATURES (table-features.ts); PORT_DESC; PORT_STATS (the datapath's
//   counters); QUEUE (each port's one queue, 0, with the port's transmit counters).
// - AGGREGATE follows Open vSwitch where an entry does not count (NO_PKT_COUNTS /
//   NO_BYT_COUNTS): the sum is then unknown and reported as all ones.
// - GROUP, GROUP_DESC, GROUP_FEATURES (groups.ts); METER, METER_CONFIG, METER_FEATURES
//   (meters.ts): true counters, ref_count and flow_count from the flow tables.
// - A request split with REQ_MORE: TABLE_FEATURES (setting features) is refused with
//   TABLE_FEATURES_FAILED/EPERM like any other setting; every other request has a fixed body
//   that cannot continue in another message, so REQ_MORE there is BAD_REQUEST/BAD_MULTIPART.
// - EXPERIMENTER: BAD_REQUEST/BAD_EXPERIMENTER.

import {
  type Codec,
  type FlowStats,
  type Instruction,
  type Match,
  type OfpError,
  OFPMPF_MORE,
  OFPP,
  OFPQ_ALL,
  OFPTT,
  type MultipartReply,
  type MultipartRequest,
  type Port,
  type PortStats,
  type TableFeatures,
  type TableStats,
  flowStats,
  groupDesc as groupDescCodec,
  groupStats as groupStatsCodec,
  meterConfig as meterConfigCodec,
  meterStats as meterStatsCodec,
  ofpError,
  port as portCodec,
  portStats,
  queueStats as queueStatsCodec,
  tableFeatures as tableFeaturesCodec,
  tableStats,
} from '@rumpflow/openflow';
import { DEFAULT_QUEUE, EXECUTED_ACTIONS, checkMatch } from './actions.js';
import type { Channel } from './channel.js';
import type { Datapath } from './datapath.js';
import { type FlowEntry, type FlowFilter, reportedCounts } from './flow-table.js';
import { featuresOf } from './table-features.js';

/** OpenFlow header plus multipart header. */
const MP_HEADER = 16;
/**
 * The largest entry a multipart reply can carry: a reply of that one entry is 65535 bytes. A
 * FLOW_MOD or GROUP_MOD close to the message limit stores an entry bigger than this (a flow
 * stats entry is 16 bytes longer than its FLOW_MOD, a group desc 8 longer than its GROUP_MOD
 * less its header): those are refused at installation (control.ts, groups.ts), since their
 * statistics could never be sent.
 */
export const MAX_REPLY_ENTRY = 0xffff - MP_HEADER;
/** More than any match can take (validate() refuses a field twice; every field with a mask is under 600 bytes). */
const MATCH_BOUND = 1024;

/** Bytes of a FLOW stats entry with this match and these instructions. */
function flowStatsSize(match: Match, instructions: readonly Instruction[]): number {
  return flowStats.size({
    tableId: 0,
    durationSec: 0,
    durationNsec: 0,
    priority: 0,
    idleTimeout: 0,
    hardTimeout: 0,
    flags: 0,
    cookie: 0n,
    packetCount: 0n,
    byteCount: 0n,
    match,
    instructions: [...instructions],
  });
}

/**
 * BAD_REQUEST/BAD_LEN when an entry installed or modified by this FLOW_MOD could not be
 * reported in a FLOW stats reply. `matches` lists the matches of the entries it would write
 * (only asked for when the instructions are big enough for it to matter).
 */
export function checkFlowStatsFit(
  instructions: readonly Instruction[],
  matches: () => readonly Match[],
): OfpError | undefined {
  // Cheap first: up to 1024 standard actions (at most 24 bytes each; experimenter actions and
  // fields excepted) are far below the limit.
  let actions = 0;
  for (const i of instructions) {
    if (i.type === 'EXPERIMENTER') actions = Infinity;
    else if (i.type === 'APPLY_ACTIONS' || i.type === 'WRITE_ACTIONS')
      for (const a of i.actions)
        actions +=
          a.type === 'EXPERIMENTER' || (a.type === 'SET_FIELD' && a.field.field === 'OPAQUE') ? Infinity : 1;
  }
  if (actions <= 1024) return undefined;
  if (flowStatsSize([], instructions) + MATCH_BOUND <= MAX_REPLY_ENTRY) return undefined;
  for (const match of matches()) {
    const n = flowStatsSize(match, instructions);
    if (n > MAX_REPLY_ENTRY)
      return ofpError(
        'BAD_REQUEST',
        'BAD_LEN',
        `the flow entry would take ${n} bytes in a FLOW stats reply: at most ${MAX_REPLY_ENTRY}`,
      );
  }
  return undefined;
}
const ALL_ONES = 0xffffffffffffffffn;

type ReplyOf<P extends MultipartReply['mpType']> = Extract<MultipartReply, { mpType: P }>;
type Body<P extends MultipartReply['mpType']> = Omit<ReplyOf<P>, 'type' | 'xid' | 'mpType' | 'flags'>;

function single<P extends MultipartReply['mpType']>(
  ch: Channel,
  xid: number,
  mpType: P,
  body: Body<P>,
): void {
  ch.sendMessage({ type: 'MULTIPART_REPLY', mpType, flags: 0, ...body } as unknown as MultipartReply, xid);
}

/** The field of a reply body that is its list of entries (stats, ports, groups, ...). */
type ListField<P extends MultipartReply['mpType']> = {
  [K in keyof Body<P>]-?: Body<P>[K] extends readonly unknown[] ? K : never;
}[keyof Body<P>];
type EntryOf<
  P extends MultipartReply['mpType'],
  K extends keyof Body<P>,
> = Body<P>[K] extends readonly (infer T)[] ? T : never;

/**
 * Send `entries` as `mpType` replies, the list in the body's `field`, in as many replies as
 * needed, each within the datapath's limit.
 */
function split<P extends MultipartReply['mpType'], K extends ListField<P>>(
  dp: Datapath,
  ch: Channel,
  xid: number,
  mpType: P,
  field: K,
  entries: readonly EntryOf<P, K>[],
  codec: Codec<EntryOf<P, K>>,
): void {
  const send = (part: EntryOf<P, K>[], flags: number): void =>
    ch.sendMessage(
      { type: 'MULTIPART_REPLY', mpType, flags, [field]: part } as unknown as MultipartReply,
      xid,
    );
  let part: EntryOf<P, K>[] = [];
  let size = MP_HEADER;
  for (const e of entries) {
    const n = codec.size(e);
    // Refused at installation (MAX_REPLY_ENTRY); never let one reach encode(), which would throw.
    if (n > MAX_REPLY_ENTRY) continue;
    if (part.length > 0 && size + n > dp.maxReplyLen) {
      send(part, OFPMPF_MORE);
      part = [];
      size = MP_HEADER;
    }
    part.push(e);
    size += n;
  }
  send(part, 0);
}

export function handleMultipart(dp: Datapath, ch: Channel, m: MultipartRequest): void {
  if (m.mpType === 'TABLE_FEATURES' && (m.tables.length > 0 || (m.flags & OFPMPF_MORE) !== 0)) {
    throw ofpError('TABLE_FEATURES_FAILED', 'EPERM', 'the pipeline cannot be reconfigured');
  }
  if (m.mpType === 'EXPERIMENTER')
    throw ofpError('BAD_REQUEST', 'BAD_EXPERIMENTER', `experimenter 0x${m.experimenter.toString(16)}`);
  if ((m.flags & OFPMPF_MORE) !== 0)
    throw ofpError('BAD_REQUEST', 'BAD_MULTIPART', `${m.mpType} requests cannot continue in another message`);
  const xid = m.xid;
  switch (m.mpType) {
    case 'DESC':
      single(ch, xid, 'DESC', { ...dp.description });
      return;
    case 'FLOW': {
      const entries = select(dp, m).map((e) => flowStatsOf(dp, e));
      split(dp, ch, xid, 'FLOW', 'stats', entries, flowStats);
      return;
    }
    case 'AGGREGATE': {
      let packets = 0n;
      let bytes = 0n;
      let unknownPackets = false;
      let unknownBytes = false;
      const entries = select(dp, m);
      for (const e of entries) {
        const c = reportedCounts(e);
        if (c.packetCount === ALL_ONES) unknownPackets = true;
        else packets += c.packetCount;
        if (c.byteCount === ALL_ONES) unknownBytes = true;
        else bytes += c.byteCount;
      }
      single(ch, xid, 'AGGREGATE', {
        packetCount: unknownPackets ? ALL_ONES : packets & ALL_ONES,
        byteCount: unknownBytes ? ALL_ONES : bytes & ALL_ONES,
        flowCount: entries.length,
      });
      return;
    }
    case 'TABLE': {
      const stats: TableStats[] = dp.flows.tables.map((t) => ({
        tableId: t.tableId,
        activeCount: t.activeCount,
        lookupCount: BigInt(t.lookupCount),
        matchedCount: BigInt(t.matchedCount),
      }));
      split(dp, ch, xid, 'TABLE', 'stats', stats, tableStats);
      return;
    }
    case 'TABLE_FEATURES': {
      const tables: TableFeatures[] = dp.flows.tables.map((t) => featuresOf(t, dp.nTables));
      split(dp, ch, xid, 'TABLE_FEATURES', 'tables', tables, tableFeaturesCodec);
      return;
    }
    case 'PORT_DESC': {
      const ports: Port[] = dp.ports.map((p) => p.describe());
      split(dp, ch, xid, 'PORT_DESC', 'ports', ports, portCodec);
      return;
    }
    case 'PORT_STATS': {
      const now = dp.now();
      let stats: PortStats[];
      if (m.portNo === OFPP.ANY) stats = dp.ports.map((p) => p.stats(now));
      else {
        const p = dp.port(m.portNo);
        if (p === undefined) throw ofpError('BAD_REQUEST', 'BAD_PORT', `port ${m.portNo} does not exist`);
        stats = [p.stats(now)];
      }
      split(dp, ch, xid, 'PORT_STATS', 'stats', stats, portStats);
      return;
    }
    case 'QUEUE': {
      const p = m.portNo === OFPP.ANY ? undefined : dp.port(m.portNo);
      if (m.portNo !== OFPP.ANY && p === undefined)
        throw ofpError('QUEUE_OP_FAILED', 'BAD_PORT', `port ${m.portNo} does not exist`);
      if (m.queueId !== OFPQ_ALL && m.queueId !== DEFAULT_QUEUE)
        throw ofpError(
          'QUEUE_OP_FAILED',
          'BAD_QUEUE',
          `queue ${m.queueId} does not exist (ports have queue 0 only)`,
        );
      const now = dp.now();
      const stats = (p === undefined ? dp.ports : [p]).map((q) => q.queueStats(now));
      split(dp, ch, xid, 'QUEUE', 'stats', stats, queueStatsCodec);
      return;
    }
    case 'GROUP':
      split(dp, ch, xid, 'GROUP', 'stats', dp.groups.stats(m.groupId, dp.flows), groupStatsCodec);
      return;
    case 'GROUP_DESC':
      split(dp, ch, xid, 'GROUP_DESC', 'groups', dp.groups.desc(), groupDescCodec);
      return;
    case 'GROUP_FEATURES':
      single(ch, xid, 'GROUP_FEATURES', dp.groups.features(EXECUTED_ACTIONS));
      return;
    case 'METER':
      split(dp, ch, xid, 'METER', 'stats', dp.meters.stats(m.meterId, dp.flows), meterStatsCodec);
      return;
    case 'METER_CONFIG':
      split(dp, ch, xid, 'METER_CONFIG', 'configs', dp.meters.config(m.meterId), meterConfigCodec);
      return;
    case 'METER_FEATURES':
      single(ch, xid, 'METER_FEATURES', dp.meters.features());
      return;
  }
}

/** Entries a FLOW or AGGREGATE request selects; a table that does not exist is BAD_TABLE_ID. */
function select(dp: Datapath, m: Extract<MultipartRequest, { mpType: 'FLOW' | 'AGGREGATE' }>): FlowEntry[] {
  if (m.tableId !== OFPTT.ALL && m.tableId >= dp.nTables)
    throw ofpError('BAD_REQUEST', 'BAD_TABLE_ID', `no table ${m.tableId}`);
  const bad = checkMatch(m.match);
  if (bad) throw bad;
  const filter: FlowFilter = {
    tableId: m.tableId,
    match: m.match,
    outPort: m.outPort,
    outGroup: m.outGroup,
    cookie: m.cookie,
    cookieMask: m.cookieMask,
  };
  return dp.flows.select(filter);
}

function flowStatsOf(dp: Datapath, e: FlowEntry): FlowStats {
  const d = dp.flows.duration(e);
  return {
    tableId: e.tableId,
    durationSec: d.sec,
    durationNsec: d.nsec,
    priority: e.priority,
    idleTimeout: e.idleTimeout,
    hardTimeout: e.hardTimeout,
    flags: e.flags,
    cookie: e.cookie,
    ...reportedCounts(e),
    match: e.oxms,
    instructions: e.instructions,
  };
}
