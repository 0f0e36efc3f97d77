// Request bodies of Ryu's ofctl_rest turned into OpenFlow messages, with Ryu's defaults
// (ofctl_v1_3.mod_flow_entry, mod_group_entry, mod_meter_entry, mod_port_behavior,
// set_role, send_experimenter, get_flow_stats).

import {
  OFPFC,
  OFPG,
  OFPGT,
  OFPMF,
  OFPP,
  OFPTT,
  OFP_NO_BUFFER,
  type MeterBand,
  type Port,
  type UnsentMessage,
} from '@rumpflow/openflow';
import { actionListFromRyu, bytesFromUser, instructionsFromRyu } from './actions.js';
import {
  RyuValueError,
  bufferFromUser,
  groupFromUser,
  meterFromUser,
  opt,
  portFromUser,
  roleFromUser,
  strToInt,
  tableFromUser,
  uint,
  uint64,
} from './ints.js';
import { matchFromRyu, type RyuMatch } from './match.js';

type Body = Record<string, unknown>;
type Msg<T extends UnsentMessage['type']> = Extract<UnsentMessage, { type: T }>;

export const FLOW_COMMANDS = {
  add: OFPFC.ADD,
  modify: OFPFC.MODIFY,
  modify_strict: OFPFC.MODIFY_STRICT,
  delete: OFPFC.DELETE,
  delete_strict: OFPFC.DELETE_STRICT,
} as const;
export const GROUP_COMMANDS = { add: 0, modify: 1, delete: 2 } as const;
export const METER_COMMANDS = { add: 0, modify: 1, delete: 2 } as const;

const u16 = (what: string) => (v: unknown) => uint(v, 16, what);
const u64 = (what: string) => (v: unknown) => uint64(v, what);

/** mod_flow_entry: a FLOW_MOD (table 0 and priority 0 unless given, as in Ryu). */
export function flowModFromRyu(flow: Body, command: number): Msg<'FLOW_MOD'> {
  return {
    type: 'FLOW_MOD',
    cookie: opt(flow['cookie'], 0n, u64('cookie')),
    cookieMask: opt(flow['cookie_mask'], 0n, u64('cookie_mask')),
    tableId: opt(flow['table_id'], 0, (v) => tableFromUser(v)),
    command,
    idleTimeout: opt(flow['idle_timeout'], 0, u16('idle_timeout')),
    hardTimeout: opt(flow['hard_timeout'], 0, u16('hard_timeout')),
    priority: opt(flow['priority'], 0, u16('priority')),
    bufferId: opt(flow['buffer_id'], OFP_NO_BUFFER, (v) => bufferFromUser(v)),
    outPort: opt(flow['out_port'], OFPP.ANY, (v) => portFromUser(v, 'out_port')),
    outGroup: opt(flow['out_group'], OFPG.ANY, (v) => groupFromUser(v, 'out_group')),
    flags: opt(flow['flags'], 0, u16('flags')),
    match: matchFromRyu(flow['match'] as RyuMatch | undefined),
    instructions: instructionsFromRyu(flow['actions']),
  };
}

/** DELETE /stats/flowentry/clear: every flow of every table. */
export function clearFlows(): Msg<'FLOW_MOD'> {
  return flowModFromRyu({ table_id: OFPTT.ALL }, OFPFC.DELETE);
}

/** The selection of a FLOW or AGGREGATE stats request (get_flow_stats), and Ryu's priority filter. */
export function flowStatsRequestFromRyu(flow: Body | undefined): {
  body: {
    tableId: number;
    outPort: number;
    outGroup: number;
    cookie: bigint;
    cookieMask: bigint;
    match: ReturnType<typeof matchFromRyu>;
  };
  flags: number;
  priority: number | undefined;
} {
  const f = flow ?? {};
  const p = f['priority'];
  const priority = p === undefined || p === null ? undefined : Number(strToInt(p, 'priority'));
  return {
    body: {
      tableId: opt(f['table_id'], OFPTT.ALL, (v) => tableFromUser(v)),
      outPort: opt(f['out_port'], OFPP.ANY, (v) => portFromUser(v, 'out_port')),
      outGroup: opt(f['out_group'], OFPG.ANY, (v) => groupFromUser(v, 'out_group')),
      cookie: opt(f['cookie'], 0n, u64('cookie')),
      cookieMask: opt(f['cookie_mask'], 0n, u64('cookie_mask')),
      match: matchFromRyu(f['match'] as RyuMatch | undefined),
    },
    flags: opt(f['flags'], 0, u16('flags')),
    priority: priority !== undefined && priority >= 0 ? priority : undefined,
  };
}

const GROUP_TYPES: Readonly<Record<string, number>> = OFPGT;

/** mod_group_entry: a GROUP_MOD. */
export function groupModFromRyu(group: Body, command: number): Msg<'GROUP_MOD'> {
  const typeName = group['type'] ?? 'ALL';
  const groupType =
    typeof typeName === 'string' && Object.hasOwn(GROUP_TYPES, typeName.toUpperCase())
      ? GROUP_TYPES[typeName.toUpperCase()]
      : undefined;
  if (groupType === undefined)
    throw new RyuValueError(`unknown group type ${JSON.stringify(typeName)} (ALL, SELECT, INDIRECT, FF)`);
  const buckets = group['buckets'] ?? [];
  if (!Array.isArray(buckets)) throw new RyuValueError('buckets: expected a list');
  return {
    type: 'GROUP_MOD',
    command,
    groupType,
    groupId: opt(group['group_id'], 0, (v) => groupFromUser(v)),
    buckets: (buckets as Body[]).map((b, i) => ({
      weight: opt(b['weight'], 0, u16(`buckets[${i}].weight`)),
      watchPort: opt(b['watch_port'], OFPP.ANY, (v) => portFromUser(v, `buckets[${i}].watch_port`)),
      watchGroup: opt(b['watch_group'], OFPG.ANY, (v) => groupFromUser(v, `buckets[${i}].watch_group`)),
      actions: actionListFromRyu(b['actions'], `buckets[${i}].actions`),
    })),
  };
}

const METER_FLAGS: Readonly<Record<string, number>> = OFPMF;

/** mod_meter_entry: a METER_MOD. */
export function meterModFromRyu(meter: Body, command: number): Msg<'METER_MOD'> {
  let flags = 0;
  const given = meter['flags'];
  for (const f of given === undefined || given === null ? [] : Array.isArray(given) ? given : [given]) {
    const bit =
      typeof f === 'string' && Object.hasOwn(METER_FLAGS, f.toUpperCase())
        ? METER_FLAGS[f.toUpperCase()]
        : undefined;
    if (bit === undefined)
      throw new RyuValueError(`unknown meter flag ${JSON.stringify(f)} (KBPS, PKTPS, BURST, STATS)`);
    flags |= bit;
  }
  const bands = meter['bands'] ?? [];
  if (!Array.isArray(bands)) throw new RyuValueError('bands: expected a list');
  return {
    type: 'METER_MOD',
    command,
    flags,
    meterId: opt(meter['meter_id'], 0, (v) => meterFromUser(v)),
    bands: (bands as Body[]).map((b, i): MeterBand => {
      const what = `bands[${i}]`;
      const rate = opt(b['rate'], 0, (v) => uint(v, 32, `${what}.rate`));
      const burstSize = opt(b['burst_size'], 0, (v) => uint(v, 32, `${what}.burst_size`));
      switch (typeof b['type'] === 'string' ? b['type'].toUpperCase() : b['type']) {
        case 'DROP':
          return { type: 'DROP', rate, burstSize };
        case 'DSCP_REMARK':
          return {
            type: 'DSCP_REMARK',
            rate,
            burstSize,
            precLevel: opt(b['prec_level'], 0, (v) => uint(v, 8, `${what}.prec_level`)),
          };
        case 'EXPERIMENTER':
          return {
            type: 'EXPERIMENTER',
            rate,
            burstSize,
            experimenter: opt(b['experimenter'], 0, (v) => uint(v, 32, `${what}.experimenter`)),
            data: new Uint8Array(0),
          };
        default:
          throw new RyuValueError(
            `${what}: unknown band type ${JSON.stringify(b['type'])} (DROP, DSCP_REMARK, EXPERIMENTER)`,
          );
      }
    }),
  };
}

/** mod_port_behavior: a PORT_MOD; hw_addr and advertise default to what the switch said of the port. */
export function portModFromRyu(body: Body, port: Port | undefined): Msg<'PORT_MOD'> {
  const portNo = portFromUser(body['port_no'], 'port_no');
  return {
    type: 'PORT_MOD',
    portNo,
    hwAddr: opt(body['hw_addr'], port?.hwAddr ?? '00:00:00:00:00:00', (v) => {
      if (typeof v !== 'string' || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(v))
        throw new RyuValueError(`hw_addr: ${JSON.stringify(v)} is not a MAC address`);
      return v.toLowerCase();
    }),
    config: opt(body['config'], 0, (v) => uint(v, 32, 'config')),
    mask: opt(body['mask'], 0, (v) => uint(v, 32, 'mask')),
    advertise: opt(body['advertise'], port?.advertised ?? 0, (v) => uint(v, 32, 'advertise')),
  };
}

/** set_role: a ROLE_REQUEST (role EQUAL and generation 0 unless given). */
export function roleRequestFromRyu(body: Body): Msg<'ROLE_REQUEST'> {
  return {
    type: 'ROLE_REQUEST',
    role: opt(body['role'], 1, (v) => roleFromUser(v)),
    generationId: opt(body['generation_id'], 0n, u64('generation_id')),
  };
}

/** send_experimenter: an EXPERIMENTER message (data as ascii unless data_type says base64 or hex). */
export function experimenterFromRyu(body: Body): Msg<'EXPERIMENTER'> {
  return {
    type: 'EXPERIMENTER',
    experimenter: opt(body['experimenter'], 0, (v) => uint(v, 32, 'experimenter')),
    expType: opt(body['exp_type'], 0, (v) => uint(v, 32, 'exp_type')),
    data: bytesFromUser(body['data'], body['data_type'], 'experimenter'),
  };
}

/** POST /stats/sendpacket: a PACKET_OUT (data base64 unless data_type says hex or ascii). */
export function packetOutFromRyu(body: Body): Msg<'PACKET_OUT'> {
  const bufferId = opt(body['buffer_id'], OFP_NO_BUFFER, (v) => bufferFromUser(v));
  const data = bytesFromUser(body['data'], body['data_type'], 'sendpacket', 'base64');
  if (bufferId === OFP_NO_BUFFER && data.length === 0)
    throw new RyuValueError('sendpacket: needs data (or a buffer_id)');
  return {
    type: 'PACKET_OUT',
    bufferId,
    inPort: opt(body['in_port'], OFPP.CONTROLLER, (v) => portFromUser(v, 'in_port')),
    actions: actionListFromRyu(body['actions']),
    data: bufferId === OFP_NO_BUFFER ? data : new Uint8Array(0),
  };
}
