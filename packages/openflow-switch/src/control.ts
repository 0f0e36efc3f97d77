// Controller-to-switch messages, one handler each (multipart requests: stats.ts). A handler
// either answers on the channel or throws: an OfpError (type, code; the channel adds the first
// 64 bytes of the request) or a FlowModError from the flow tables. Messages reach the
// handlers decoded and validated, and a SLAVE's state-changing messages never reach them.
//
// GROUP_MOD and METER_MOD go to the group and meter tables (groups.ts, meters.ts); the flow
// entries a delete takes with it are reported as FLOW_REMOVED (reason GROUP_DELETE for groups,
// DELETE for meters: 1.3 has no meter reason).

import {
  OFP_NO_BUFFER,
  OFPC,
  OFPC_FRAG,
  OFPCR_ROLE,
  OFPFC,
  OFPG,
  OFPP,
  OFPTT,
  type Message,
  type MessageOf,
  ofpError,
} from '@rumpflow/openflow';
import { DEFAULT_QUEUE, checkActions, checkInstructions, checkMatch, executeList } from './actions.js';
import { checkConsistency } from './consistency.js';
import type { Channel } from './channel.js';
import type { Datapath } from './datapath.js';
import type { Packet } from './packet-context.js';
import { PORT_CONFIG_BITS } from './ports.js';
import { checkFlowStatsFit, handleMultipart } from './stats.js';

/** OFPC_* capabilities this switch reports: flow, table, port, group and queue statistics. */
export const CAPABILITIES =
  OFPC.FLOW_STATS | OFPC.TABLE_STATS | OFPC.PORT_STATS | OFPC.GROUP_STATS | OFPC.QUEUE_STATS;

export function handleMessage(dp: Datapath, ch: Channel, m: Message): void {
  switch (m.type) {
    case 'ECHO_REQUEST':
      ch.sendMessage({ type: 'ECHO_REPLY', data: m.data }, m.xid);
      return;
    case 'ECHO_REPLY':
    case 'ERROR':
    case 'HELLO':
      return; // answers to nothing this switch asked; an ERROR from a controller is only logged by transports
    case 'EXPERIMENTER':
      throw ofpError('BAD_REQUEST', 'BAD_EXPERIMENTER', `experimenter 0x${m.experimenter.toString(16)}`);
    case 'FEATURES_REQUEST':
      ch.sendMessage(
        {
          type: 'FEATURES_REPLY',
          datapathId: dp.datapathId,
          nBuffers: dp.nBuffers,
          nTables: dp.nTables,
          auxiliaryId: 0,
          capabilities: CAPABILITIES,
          reserved: 0,
        },
        m.xid,
      );
      return;
    case 'GET_CONFIG_REQUEST':
      ch.sendMessage({ type: 'GET_CONFIG_REPLY', flags: dp.fragFlags, missSendLen: ch.missSendLen }, m.xid);
      return;
    case 'SET_CONFIG':
      setConfig(dp, ch, m);
      return;
    case 'BARRIER_REQUEST':
      // Messages are handled in order and completely: everything before is done.
      ch.sendMessage({ type: 'BARRIER_REPLY' }, m.xid);
      return;
    case 'ROLE_REQUEST':
      roleRequest(dp, ch, m);
      return;
    case 'GET_ASYNC_REQUEST': {
      const a = ch.asyncConfig;
      ch.sendMessage(
        {
          type: 'GET_ASYNC_REPLY',
          packetInMask: [...a.packetInMask],
          portStatusMask: [...a.portStatusMask],
          flowRemovedMask: [...a.flowRemovedMask],
        },
        m.xid,
      );
      return;
    }
    case 'SET_ASYNC':
      ch.asyncConfig = {
        packetInMask: [m.packetInMask[0] ?? 0, m.packetInMask[1] ?? 0],
        portStatusMask: [m.portStatusMask[0] ?? 0, m.portStatusMask[1] ?? 0],
        flowRemovedMask: [m.flowRemovedMask[0] ?? 0, m.flowRemovedMask[1] ?? 0],
      };
      return;
    case 'QUEUE_GET_CONFIG_REQUEST': {
      // Every port has one queue, DEFAULT_QUEUE (0), without rate properties (ports.ts).
      const p = m.port === OFPP.ANY ? undefined : dp.port(m.port);
      if (m.port !== OFPP.ANY && (m.port > OFPP.MAX || p === undefined)) {
        throw ofpError('QUEUE_OP_FAILED', 'BAD_PORT', `port ${m.port} does not exist`);
      }
      const queues = (p === undefined ? dp.ports : [p]).map((q) => ({
        queueId: DEFAULT_QUEUE,
        port: q.portNo,
        properties: [],
      }));
      ch.sendMessage({ type: 'QUEUE_GET_CONFIG_REPLY', port: m.port, queues }, m.xid);
      return;
    }
    case 'FLOW_MOD':
      flowMod(dp, m);
      return;
    case 'PACKET_OUT':
      packetOut(dp, m);
      return;
    case 'PORT_MOD':
      portMod(dp, m);
      return;
    case 'TABLE_MOD':
      if (m.tableId !== OFPTT.ALL && m.tableId >= dp.nTables)
        throw ofpError('TABLE_MOD_FAILED', 'BAD_TABLE', `no table ${m.tableId}`);
      // 1.3 defines no table configuration; the bits 0..1 are deprecated (1.1/1.2 miss behaviour).
      if (m.config !== 0)
        throw ofpError(
          'TABLE_MOD_FAILED',
          'BAD_CONFIG',
          `table config 0x${m.config.toString(16)}: table-miss behaviour is set by table-miss flow entries`,
        );
      return;
    case 'GROUP_MOD':
      dp.flowRemoved(dp.groups.apply(m, dp.flows, (actions) => checkActions(actions, dp)));
      return;
    case 'METER_MOD':
      dp.flowRemoved(dp.meters.apply(m, dp.flows));
      return;
    case 'MULTIPART_REQUEST':
      handleMultipart(dp, ch, m);
      return;
    default:
      // Switch-to-controller messages (FEATURES_REPLY, PACKET_IN, ...): not requests.
      throw ofpError('BAD_REQUEST', 'BAD_TYPE', `${m.type} is not a controller-to-switch message`);
  }
}

function setConfig(dp: Datapath, ch: Channel, m: MessageOf<'SET_CONFIG'>): void {
  const frag = m.flags & OFPC_FRAG.MASK;
  if (frag === OFPC_FRAG.REASM)
    throw ofpError('SWITCH_CONFIG_FAILED', 'BAD_FLAGS', 'IP reassembly is not supported');
  // Fragment handling is the switch's; miss_send_len is the channel's own (as in Open vSwitch).
  if (frag !== dp.fragFlags) {
    if (ch.role === OFPCR_ROLE.SLAVE)
      throw ofpError('BAD_REQUEST', 'IS_SLAVE', 'a slave cannot change fragment handling');
    dp.fragFlags = frag;
  }
  ch.missSendLen = m.missSendLen;
}

function roleRequest(dp: Datapath, ch: Channel, m: MessageOf<'ROLE_REQUEST'>): void {
  if (m.role !== OFPCR_ROLE.NOCHANGE) {
    if ((m.role === OFPCR_ROLE.MASTER || m.role === OFPCR_ROLE.SLAVE) && !dp.election.admit(m.generationId)) {
      throw ofpError(
        'ROLE_REQUEST_FAILED',
        'STALE',
        `generation_id ${m.generationId} is older than ${dp.election.generationId}`,
      );
    }
    if (m.role === OFPCR_ROLE.MASTER) {
      for (const other of dp.channels)
        if (other !== ch && other.role === OFPCR_ROLE.MASTER) other.role = OFPCR_ROLE.SLAVE;
    }
    ch.role = m.role as typeof ch.role;
  }
  ch.sendMessage({ type: 'ROLE_REPLY', role: ch.role, generationId: dp.election.generationId }, m.xid);
}

function flowMod(dp: Datapath, m: MessageOf<'FLOW_MOD'>): void {
  const adds = m.command <= OFPFC.MODIFY_STRICT;
  const bad =
    checkMatch(m.match) ??
    (adds ? (checkInstructions(m.instructions, dp) ?? checkConsistency(m.match, m.instructions)) : undefined);
  if (bad) throw bad;
  if (adds) {
    // ADD writes the FLOW_MOD's match; MODIFY keeps each entry's own (a superset of those it changes)
    const tooBig = checkFlowStatsFit(m.instructions, () =>
      m.command === OFPFC.ADD
        ? [m.match]
        : dp.flows
            .select({
              tableId: m.tableId,
              match: m.match,
              outPort: OFPP.ANY,
              outGroup: OFPG.ANY,
              cookie: m.cookie,
              cookieMask: m.cookieMask,
            })
            .map((e) => e.oxms),
    );
    if (tooBig) throw tooBig;
  }
  dp.flowRemoved(dp.flows.apply(m));
  // A buffer_id makes ADD/MODIFY "a FLOW_MOD then a PACKET_OUT to OFPP_TABLE" (1.3.5 section
  // 7.3.4.2): the entry is in place first, then the buffered packet runs through the tables.
  // An unknown id is reported after the entry went in; DELETE ignores buffer_id.
  if (m.bufferId !== OFP_NO_BUFFER && adds) dp.runBuffered(dp.takeBuffer(m.bufferId));
}

function packetOut(dp: Datapath, m: MessageOf<'PACKET_OUT'>): void {
  const bad = checkActions(m.actions, dp);
  if (bad) throw bad;
  const run = (pkt: Packet): void => void executeList(m.actions, pkt, dp);
  if (m.bufferId !== OFP_NO_BUFFER) {
    // the buffered packet, with the PACKET_OUT's in_port; data means nothing then
    const b = dp.takeBuffer(m.bufferId);
    dp.packetOut(b.frame, m.inPort, run, b.tunnelId);
    return;
  }
  if (m.actions.length > 0 && m.data.length < 14)
    throw ofpError('BAD_REQUEST', 'BAD_PACKET', `${m.data.length} bytes are no Ethernet frame`);
  dp.packetOut(m.data, m.inPort, run);
}

function portMod(dp: Datapath, m: MessageOf<'PORT_MOD'>): void {
  const p = dp.port(m.portNo);
  if (p === undefined) throw ofpError('PORT_MOD_FAILED', 'BAD_PORT', `port ${m.portNo} does not exist`);
  if (m.hwAddr.toLowerCase() !== p.hwAddr)
    throw ofpError(
      'PORT_MOD_FAILED',
      'BAD_HW_ADDR',
      `port ${m.portNo} has address ${p.hwAddr}, not ${m.hwAddr}`,
    );
  if (m.advertise !== 0 && (m.advertise & ~p.supported) !== 0) {
    throw ofpError(
      'PORT_MOD_FAILED',
      'BAD_ADVERTISE',
      `port ${m.portNo} supports 0x${p.supported.toString(16)}`,
    );
  }
  const other = (m.config | m.mask) & ~PORT_CONFIG_BITS;
  if (other !== 0)
    throw ofpError(
      'PORT_MOD_FAILED',
      'BAD_CONFIG',
      `config bits 0x${other.toString(16)}: OpenFlow 1.3 ports have PORT_DOWN, NO_RECV, NO_FWD, NO_PACKET_IN`,
    );
  const config = (p.config & ~m.mask) | (m.config & m.mask);
  dp.modifyPort(p.portNo, { config, advertised: m.advertise !== 0 ? m.advertise : p.advertised });
}
