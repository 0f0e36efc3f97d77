// Hand-built OpenFlow 1.3 messages: at least one of every message type (0-29) and of every
// multipart type in both directions, with realistic contents. Used to check the codec's
// output against an independent dissector (Wireshark's openflow_v4, see tshark.test.ts).
//
// `expectedFields(m)` derives, from the message object alone (never from encoded bytes),
// the openflow_v4 field values tshark must show for it.

import type { Action, Bucket, Instruction } from '../src/actions.js';
import { OFPAT } from '../src/actions.js';
import { OFPET } from '../src/errors.js';
import type { Message } from '../src/messages.js';
import { encode } from '../src/messages.js';
import type { Match, Oxm, OxmFieldName } from '../src/oxm.js';
import { OXM_FIELDS } from '../src/oxm.js';
import type { MeterBand, Port, QueueProp, TableFeatures } from '../src/structures.js';

// ---------------------------------------------------------------------------------------
// Building blocks

const ETH_IPV4 = 0x0800;
const ETH_ARP = 0x0806;
const ETH_VLAN = 0x8100;
const OFPP_CONTROLLER = 0xfffffffd;
const OFPP_ANY = 0xffffffff;
const OFPP_LOCAL = 0xfffffffe;
const OFPG_ANY = 0xffffffff;
const OFP_NO_BUFFER = 0xffffffff;
const OFPCML_NO_BUFFER = 0xffff;
const OFPVID_PRESENT = 0x1000;
const NICIRA = 0x00002320;
const ONF = 0x4f4e4600;

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

function checksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2 === 1) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** A 60-byte Ethernet frame (no FCS): an ARP request who-has 10.0.0.2 tell 10.0.0.1, padded. */
export const ARP_FRAME: Uint8Array = (() => {
  const b = new Uint8Array(60);
  b.set(hex('ffffffffffff 00163e000001 0806'), 0);
  // htype 1, ptype 0x0800, hlen 6, plen 4, op 1 (request)
  b.set(hex('0001 0800 06 04 0001'), 14);
  b.set(hex('00163e000001 0a000001 000000000000 0a000002'), 22);
  return b; // bytes 42..59 are Ethernet padding
})();

/** A 60-byte Ethernet frame (no FCS): an ICMP echo reply 10.0.0.2 -> 10.0.0.1 with 18 bytes of data. */
export const ICMP_FRAME: Uint8Array = (() => {
  const b = new Uint8Array(60);
  b.set(hex('00163e000001 00163e000002 0800'), 0);
  const ip = hex('4500 002e 1c46 4000 40 01 0000 0a000002 0a000001'); // total length 46
  const ipSum = checksum(ip);
  ip[10] = ipSum >> 8;
  ip[11] = ipSum & 0xff;
  b.set(ip, 14);
  const icmp = new Uint8Array(26);
  icmp.set(hex('00 00 0000 4d2a 0001'), 0); // echo reply, id 0x4d2a, seq 1
  for (let i = 8; i < 26; i++) icmp[i] = 0x61 + (i - 8); // "abcdefghijklmnopqr"
  const icmpSum = checksum(icmp);
  icmp[2] = icmpSum >> 8;
  icmp[3] = icmpSum & 0xff;
  b.set(icmp, 34);
  return b;
})();

const tcpFlowMatch: Match = [
  { field: 'IN_PORT', value: 3 },
  { field: 'ETH_DST', value: '00:16:3e:00:00:00', mask: 'ff:ff:ff:ff:ff:00' },
  { field: 'ETH_SRC', value: '00:16:3e:00:00:01' },
  { field: 'ETH_TYPE', value: ETH_IPV4 },
  { field: 'VLAN_VID', value: OFPVID_PRESENT | 100 },
  { field: 'IP_PROTO', value: 6 },
  { field: 'IPV4_SRC', value: '10.0.0.0', mask: '255.255.255.0' },
  { field: 'IPV4_DST', value: '192.168.1.20' },
  { field: 'TCP_SRC', value: 49152 },
  { field: 'TCP_DST', value: 443 },
];

const flowModInstructions: Instruction[] = [
  { type: 'METER', meterId: 7 },
  {
    type: 'APPLY_ACTIONS',
    actions: [
      { type: 'SET_FIELD', field: { field: 'ETH_DST', value: '00:16:3e:00:00:99' } },
      { type: 'SET_FIELD', field: { field: 'IPV4_DST', value: '192.168.1.99' } },
      { type: 'PUSH_VLAN', ethertype: ETH_VLAN },
      { type: 'SET_FIELD', field: { field: 'VLAN_VID', value: OFPVID_PRESENT | 200 } },
      { type: 'DEC_NW_TTL' },
      { type: 'OUTPUT', port: 5, maxLen: 0 },
      { type: 'OUTPUT', port: OFPP_CONTROLLER, maxLen: OFPCML_NO_BUFFER },
    ],
  },
  {
    type: 'WRITE_ACTIONS',
    actions: [
      { type: 'SET_QUEUE', queueId: 2 },
      { type: 'GROUP', groupId: 42 },
    ],
  },
  { type: 'WRITE_METADATA', metadata: 0x0000_0000_cafe_0001n, metadataMask: 0x0000_0000_ffff_ffffn },
  { type: 'GOTO_TABLE', tableId: 2 },
];

const buckets: Bucket[] = [
  {
    weight: 60,
    watchPort: OFPP_ANY,
    watchGroup: OFPG_ANY,
    actions: [
      { type: 'SET_FIELD', field: { field: 'ETH_SRC', value: '00:16:3e:aa:00:01' } },
      { type: 'OUTPUT', port: 1, maxLen: 0 },
    ],
  },
  {
    weight: 40,
    watchPort: OFPP_ANY,
    watchGroup: OFPG_ANY,
    actions: [{ type: 'POP_VLAN' }, { type: 'OUTPUT', port: 2, maxLen: 0 }],
  },
];

const meterBands: MeterBand[] = [
  { type: 'DROP', rate: 10000, burstSize: 1000 },
  { type: 'DSCP_REMARK', rate: 5000, burstSize: 500, precLevel: 1 },
];

const port1: Port = {
  portNo: 1,
  hwAddr: '00:16:3e:10:00:01',
  name: 'eth1',
  config: 0,
  state: 4, // LIVE
  curr: (1 << 5) | (1 << 11) | (1 << 13), // 1GB_FD, COPPER, AUTONEG
  advertised: (1 << 5) | (1 << 13),
  supported: (1 << 3) | (1 << 5) | (1 << 13),
  peer: 1 << 5,
  currSpeed: 1_000_000,
  maxSpeed: 1_000_000,
};

const port2: Port = {
  portNo: 2,
  hwAddr: '00:16:3e:10:00:02',
  name: 'eth2',
  config: 1, // PORT_DOWN
  state: 1, // LINK_DOWN
  curr: 0,
  advertised: 0,
  supported: (1 << 6) | (1 << 12), // 10GB_FD, FIBER
  peer: 0,
  currSpeed: 0,
  maxSpeed: 10_000_000,
};

const portLocal: Port = {
  ...port1,
  portNo: OFPP_LOCAL,
  hwAddr: '00:16:3e:10:00:fe',
  name: 'br0',
  curr: 0,
  advertised: 0,
  supported: 0,
  peer: 0,
  currSpeed: 0,
  maxSpeed: 0,
};

const queueProps: QueueProp[] = [
  { type: 'MIN_RATE', rate: 100 },
  { type: 'MAX_RATE', rate: 800 },
];

const oxmId = (field: keyof typeof OXM_FIELDS, hasMask = false, length = 0) => ({
  oxmClass: 0x8000,
  oxmField: OXM_FIELDS[field].id,
  hasMask,
  length,
});

const table0: TableFeatures = {
  tableId: 0,
  name: 'classifier',
  metadataMatch: 0xffffffffffffffffn,
  metadataWrite: 0xffffffffffffffffn,
  config: 0,
  maxEntries: 4096,
  properties: [
    {
      type: 'INSTRUCTIONS',
      instructionIds: [
        { type: 'GOTO_TABLE' },
        { type: 'WRITE_METADATA' },
        { type: 'WRITE_ACTIONS' },
        { type: 'APPLY_ACTIONS' },
        { type: 'CLEAR_ACTIONS' },
        { type: 'METER' },
      ],
    },
    { type: 'NEXT_TABLES', tableIds: [1, 2, 3] },
    { type: 'WRITE_ACTIONS', actionIds: [{ type: 'OUTPUT' }, { type: 'GROUP' }, { type: 'SET_QUEUE' }] },
    {
      type: 'APPLY_ACTIONS',
      actionIds: [{ type: 'OUTPUT' }, { type: 'PUSH_VLAN' }, { type: 'POP_VLAN' }, { type: 'SET_FIELD' }],
    },
    {
      type: 'MATCH',
      oxmIds: [
        oxmId('IN_PORT', false, 4),
        oxmId('ETH_DST', true, 12),
        oxmId('ETH_TYPE', false, 2),
        oxmId('IPV4_DST', true, 8),
      ],
    },
    { type: 'WILDCARDS', oxmIds: [oxmId('ETH_DST', false, 6), oxmId('IPV4_DST', false, 4)] },
    { type: 'APPLY_SETFIELD', oxmIds: [oxmId('ETH_DST', false, 6), oxmId('VLAN_VID', false, 2)] },
  ],
};

const table1: TableFeatures = {
  tableId: 1,
  name: 'acl',
  metadataMatch: 0n,
  metadataWrite: 0n,
  config: 0,
  maxEntries: 1024,
  properties: [
    { type: 'INSTRUCTIONS_MISS', instructionIds: [{ type: 'GOTO_TABLE' }, { type: 'CLEAR_ACTIONS' }] },
    { type: 'NEXT_TABLES_MISS', tableIds: [2] },
    { type: 'APPLY_ACTIONS_MISS', actionIds: [{ type: 'OUTPUT' }] },
    { type: 'EXPERIMENTER', experimenter: NICIRA, expType: 1, data: hex('00000000') },
  ],
};

const flowStatsEntry = {
  tableId: 0,
  durationSec: 3600,
  durationNsec: 500_000_000,
  priority: 1000,
  idleTimeout: 60,
  hardTimeout: 0,
  flags: 1,
  cookie: 0x00000000_0000abcdn,
  packetCount: 123_456n,
  byteCount: 98_765_432n,
  match: [
    { field: 'IN_PORT', value: 1 },
    { field: 'ETH_TYPE', value: ETH_ARP },
  ] satisfies Match,
  instructions: [
    { type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 2, maxLen: 0 }] },
  ] satisfies Instruction[],
};

const mpReq = { type: 'MULTIPART_REQUEST', flags: 0 } as const;
const mpRep = { type: 'MULTIPART_REPLY', flags: 0 } as const;

// ---------------------------------------------------------------------------------------
// The samples. xids are distinct: 0x100 + index.

const list: Message[] = [
  {
    type: 'HELLO',
    version: 4,
    xid: 0,
    elements: [{ type: 'VERSIONBITMAP', bitmaps: [(1 << 1) | (1 << 4)] }],
  },
  { type: 'ERROR', xid: 0, errType: OFPET.BAD_MATCH, code: 9, data: new Uint8Array(0) }, // data set below
  { type: 'ERROR', xid: 0, errType: OFPET.GROUP_MOD_FAILED, code: 0, data: new Uint8Array(0) }, // data set below
  {
    type: 'ERROR',
    xid: 0,
    errType: OFPET.EXPERIMENTER,
    code: 0x0102,
    experimenter: NICIRA,
    data: hex('0123456789abcdef'),
  },
  {
    type: 'ERROR',
    xid: 0,
    errType: OFPET.HELLO_FAILED,
    code: 0,
    data: Buffer.from('We support versions 0x04 only', 'ascii'),
  },
  { type: 'ECHO_REQUEST', xid: 0, data: hex('6b656570616c697665') },
  { type: 'ECHO_REPLY', xid: 0, data: hex('6b656570616c697665') },
  { type: 'EXPERIMENTER', xid: 0, experimenter: ONF, expType: 2300, data: hex('0000000100000002') },
  { type: 'FEATURES_REQUEST', xid: 0 },
  {
    type: 'FEATURES_REPLY',
    xid: 0,
    datapathId: 0x0000_0016_3e10_0001n,
    nBuffers: 256,
    nTables: 254,
    auxiliaryId: 0,
    capabilities: 0x1 | 0x2 | 0x4 | 0x8 | 0x40,
    reserved: 0,
  },
  { type: 'GET_CONFIG_REQUEST', xid: 0 },
  { type: 'GET_CONFIG_REPLY', xid: 0, flags: 0, missSendLen: 128 },
  { type: 'SET_CONFIG', xid: 0, flags: 0, missSendLen: 0xffe5 },
  {
    type: 'PACKET_IN',
    xid: 0,
    bufferId: OFP_NO_BUFFER,
    totalLen: ARP_FRAME.length,
    reason: 0,
    tableId: 0,
    cookie: 0xffffffffffffffffn,
    match: [
      { field: 'IN_PORT', value: 1 },
      { field: 'METADATA', value: 0x1234n },
      { field: 'TUNNEL_ID', value: 0x10n },
    ],
    data: ARP_FRAME,
  },
  {
    type: 'FLOW_REMOVED',
    xid: 0,
    cookie: 0x0102030405060708n,
    priority: 500,
    reason: 0,
    tableId: 1,
    durationSec: 301,
    durationNsec: 250_000,
    idleTimeout: 300,
    hardTimeout: 0,
    packetCount: 17n,
    byteCount: 2048n,
    match: [
      { field: 'ETH_TYPE', value: ETH_IPV4 },
      { field: 'IPV4_DST', value: '10.1.0.0', mask: '255.255.0.0' },
    ],
  },
  { type: 'PORT_STATUS', xid: 0, reason: 2, desc: port2 },
  {
    type: 'PACKET_OUT',
    xid: 0,
    bufferId: OFP_NO_BUFFER,
    inPort: OFPP_CONTROLLER,
    actions: [
      { type: 'SET_FIELD', field: { field: 'ETH_SRC', value: '00:16:3e:00:00:02' } },
      { type: 'SET_NW_TTL', nwTtl: 32 },
      { type: 'OUTPUT', port: 4, maxLen: 0 },
      { type: 'OUTPUT', port: 1, maxLen: 0 },
    ],
    data: ICMP_FRAME,
  },
  {
    type: 'FLOW_MOD',
    xid: 0,
    cookie: 0x00000000_0000beefn,
    cookieMask: 0n,
    tableId: 0,
    command: 0,
    idleTimeout: 30,
    hardTimeout: 600,
    priority: 32768,
    bufferId: OFP_NO_BUFFER,
    outPort: OFPP_ANY,
    outGroup: OFPG_ANY,
    flags: 1 | 4, // SEND_FLOW_REM | RESET_COUNTS
    match: tcpFlowMatch,
    instructions: flowModInstructions,
  },
  {
    type: 'FLOW_MOD',
    xid: 0,
    cookie: 0x1n,
    cookieMask: 0xffffffffffffffffn,
    tableId: 0xff,
    command: 3, // DELETE
    idleTimeout: 0,
    hardTimeout: 0,
    priority: 0,
    bufferId: OFP_NO_BUFFER,
    outPort: 7,
    outGroup: OFPG_ANY,
    flags: 0,
    match: [
      { field: 'ETH_TYPE', value: 0x86dd },
      { field: 'IP_PROTO', value: 17 },
      { field: 'IPV6_DST', value: 'fe80::', mask: 'ffff:ffff:ffff:ffff::' },
      { field: 'UDP_DST', value: 53 },
    ],
    instructions: [{ type: 'CLEAR_ACTIONS' }],
  },
  { type: 'GROUP_MOD', xid: 0, command: 0, groupType: 1, groupId: 42, buckets },
  {
    type: 'PORT_MOD',
    xid: 0,
    portNo: 2,
    hwAddr: '00:16:3e:10:00:02',
    config: 1 | 0x40, // PORT_DOWN, NO_PACKET_IN
    mask: 1 | 0x40,
    advertise: (1 << 5) | (1 << 13),
  },
  { type: 'TABLE_MOD', xid: 0, tableId: 3, config: 0 },
  { ...mpReq, xid: 0, mpType: 'DESC' },
  {
    ...mpRep,
    xid: 0,
    mpType: 'DESC',
    mfrDesc: 'Rumpflow Project',
    hwDesc: 'NetBSD rump kernel',
    swDesc: 'rumpflow 0.1.0',
    serialNum: 'RF-0001',
    dpDesc: 'lab switch 1',
  },
  {
    ...mpReq,
    xid: 0,
    mpType: 'FLOW',
    tableId: 0xff,
    outPort: OFPP_ANY,
    outGroup: OFPG_ANY,
    cookie: 0n,
    cookieMask: 0n,
    match: [{ field: 'IN_PORT', value: 1 }],
  },
  {
    ...mpRep,
    xid: 0,
    mpType: 'FLOW',
    stats: [
      flowStatsEntry,
      { ...flowStatsEntry, tableId: 1, priority: 0, cookie: 0n, match: [], instructions: [] },
    ],
  },
  {
    ...mpReq,
    xid: 0,
    mpType: 'AGGREGATE',
    tableId: 0xff,
    outPort: OFPP_ANY,
    outGroup: OFPG_ANY,
    cookie: 0x10n,
    cookieMask: 0xf0n,
    match: [
      { field: 'ETH_TYPE', value: ETH_IPV4 },
      { field: 'IPV4_SRC', value: '172.16.0.0', mask: '255.240.0.0' },
    ],
  },
  { ...mpRep, xid: 0, mpType: 'AGGREGATE', packetCount: 1000n, byteCount: 64000n, flowCount: 12 },
  { ...mpReq, xid: 0, mpType: 'TABLE' },
  {
    ...mpRep,
    xid: 0,
    mpType: 'TABLE',
    stats: [
      { tableId: 0, activeCount: 12, lookupCount: 5000n, matchedCount: 4900n },
      { tableId: 1, activeCount: 3, lookupCount: 4900n, matchedCount: 100n },
    ],
  },
  { ...mpReq, xid: 0, mpType: 'PORT_STATS', portNo: OFPP_ANY },
  {
    ...mpRep,
    xid: 0,
    mpType: 'PORT_STATS',
    stats: [
      {
        portNo: 1,
        rxPackets: 1001n,
        txPackets: 1002n,
        rxBytes: 64064n,
        txBytes: 64128n,
        rxDropped: 1n,
        txDropped: 2n,
        rxErrors: 3n,
        txErrors: 4n,
        rxFrameErr: 5n,
        rxOverErr: 6n,
        rxCrcErr: 7n,
        collisions: 8n,
        durationSec: 86400,
        durationNsec: 1,
      },
    ],
  },
  { ...mpReq, xid: 0, mpType: 'QUEUE', portNo: 1, queueId: 0xffffffff },
  {
    ...mpRep,
    xid: 0,
    mpType: 'QUEUE',
    stats: [
      {
        portNo: 1,
        queueId: 0,
        txBytes: 5000n,
        txPackets: 50n,
        txErrors: 0n,
        durationSec: 10,
        durationNsec: 20,
      },
      {
        portNo: 1,
        queueId: 1,
        txBytes: 7000n,
        txPackets: 70n,
        txErrors: 1n,
        durationSec: 11,
        durationNsec: 21,
      },
    ],
  },
  { ...mpReq, xid: 0, mpType: 'GROUP', groupId: 0xfffffffc },
  {
    ...mpRep,
    xid: 0,
    mpType: 'GROUP',
    stats: [
      {
        groupId: 42,
        refCount: 3,
        packetCount: 900n,
        byteCount: 90000n,
        durationSec: 77,
        durationNsec: 88,
        bucketStats: [
          { packetCount: 540n, byteCount: 54000n },
          { packetCount: 360n, byteCount: 36000n },
        ],
      },
    ],
  },
  { ...mpReq, xid: 0, mpType: 'GROUP_DESC' },
  {
    ...mpRep,
    xid: 0,
    mpType: 'GROUP_DESC',
    groups: [
      { groupType: 1, groupId: 42, buckets },
      {
        groupType: 0,
        groupId: 43,
        buckets: [
          {
            weight: 0,
            watchPort: OFPP_ANY,
            watchGroup: OFPG_ANY,
            actions: [{ type: 'OUTPUT', port: 3, maxLen: 0 }],
          },
        ],
      },
    ],
  },
  { ...mpReq, xid: 0, mpType: 'GROUP_FEATURES' },
  {
    ...mpRep,
    xid: 0,
    mpType: 'GROUP_FEATURES',
    types: 0xf,
    capabilities: 0x1 | 0x2 | 0x4,
    maxGroups: [1024, 512, 256, 128],
    actions: [
      (1 << OFPAT.OUTPUT) | (1 << OFPAT.SET_FIELD),
      1 << OFPAT.OUTPUT,
      (1 << OFPAT.OUTPUT) | (1 << OFPAT.GROUP),
      1 << OFPAT.OUTPUT,
    ],
  },
  { ...mpReq, xid: 0, mpType: 'METER', meterId: 0xffffffff },
  {
    ...mpRep,
    xid: 0,
    mpType: 'METER',
    stats: [
      {
        meterId: 7,
        flowCount: 2,
        packetInCount: 1500n,
        byteInCount: 150000n,
        durationSec: 5,
        durationNsec: 6,
        bandStats: [
          { packetCount: 10n, byteCount: 1000n },
          { packetCount: 20n, byteCount: 2000n },
        ],
      },
    ],
  },
  { ...mpReq, xid: 0, mpType: 'METER_CONFIG', meterId: 7 },
  {
    ...mpRep,
    xid: 0,
    mpType: 'METER_CONFIG',
    configs: [{ flags: 0x1 | 0x4 | 0x8, meterId: 7, bands: meterBands }],
  },
  { ...mpReq, xid: 0, mpType: 'METER_FEATURES' },
  {
    ...mpRep,
    xid: 0,
    mpType: 'METER_FEATURES',
    maxMeter: 1024,
    bandTypes: (1 << 1) | (1 << 2),
    capabilities: 0xf,
    maxBands: 4,
    maxColor: 8,
  },
  { ...mpReq, xid: 0, mpType: 'TABLE_FEATURES', tables: [] },
  { ...mpRep, xid: 0, mpType: 'TABLE_FEATURES', tables: [table0, table1] },
  { ...mpReq, xid: 0, mpType: 'PORT_DESC' },
  { ...mpRep, xid: 0, mpType: 'PORT_DESC', ports: [port1, port2, portLocal] },
  {
    ...mpReq,
    xid: 0,
    mpType: 'EXPERIMENTER',
    experimenter: NICIRA,
    expType: 0,
    data: hex('0000000000000000'),
  },
  {
    ...mpRep,
    xid: 0,
    mpType: 'EXPERIMENTER',
    experimenter: NICIRA,
    expType: 0,
    data: hex('0000000100000000'),
  },
  { type: 'BARRIER_REQUEST', xid: 0 },
  { type: 'BARRIER_REPLY', xid: 0 },
  { type: 'QUEUE_GET_CONFIG_REQUEST', xid: 0, port: 1 },
  {
    type: 'QUEUE_GET_CONFIG_REPLY',
    xid: 0,
    port: 1,
    queues: [
      { queueId: 0, port: 1, properties: queueProps },
      { queueId: 1, port: 1, properties: [{ type: 'MIN_RATE', rate: 500 }] },
    ],
  },
  { type: 'ROLE_REQUEST', xid: 0, role: 2, generationId: 0x0000000100000002n },
  { type: 'ROLE_REPLY', xid: 0, role: 2, generationId: 0x0000000100000002n },
  { type: 'GET_ASYNC_REQUEST', xid: 0 },
  {
    type: 'GET_ASYNC_REPLY',
    xid: 0,
    packetInMask: [0x3, 0x0],
    portStatusMask: [0x7, 0x7],
    flowRemovedMask: [0xf, 0x0],
  },
  {
    type: 'SET_ASYNC',
    xid: 0,
    packetInMask: [0x7, 0x1],
    portStatusMask: [0x7, 0x7],
    flowRemovedMask: [0xf, 0x2],
  },
  { type: 'METER_MOD', xid: 0, command: 0, flags: 0x1 | 0x4 | 0x8, meterId: 7, bands: meterBands },
];

list.forEach((m, i) => {
  m.xid = 0x100 + i;
});

// ERROR data is the failed request: BAD_MATCH/BAD_PREREQ answers the big FLOW_MOD with its
// first 64 bytes (the minimum OpenFlow asks for), GROUP_MOD_FAILED/GROUP_EXISTS answers the
// GROUP_MOD with all of it (as Open vSwitch does for short requests).
function answer(errType: number, failedType: Message['type'], bytes?: number): void {
  const err = list.find((m) => m.type === 'ERROR' && m.errType === errType);
  const failed = list.find((m) => m.type === failedType);
  if (err?.type !== 'ERROR' || !failed) throw new Error(`samples: no ERROR ${errType} or ${failedType}`);
  const b = encode(failed);
  err.data = b.slice(0, bytes ?? b.length);
}
answer(OFPET.BAD_MATCH, 'FLOW_MOD', 64);
answer(OFPET.GROUP_MOD_FAILED, 'GROUP_MOD');

export const samples: Message[] = list;

// ---------------------------------------------------------------------------------------
// What tshark must show.
//
// Expectations come from the message objects and from the tables below, which restate the
// OpenFlow 1.3.5 numbers and sizes independently of the codec's own tables: a wrong number
// or width in the codec shows up as a disagreement instead of being copied into the oracle.

/** A value as tshark shows it: numbers compare numerically (decimal or 0x hex), strings exactly. */
export type Shown = number | bigint | string;

/** The complete, ordered list of values a field takes within the message's openflow_v4 tree. */
export interface FieldExpectation {
  readonly field: string;
  readonly values: readonly Shown[];
}

/** Bytes as tshark shows FT_BYTES: lower-case hex pairs joined by colons. */
export function colonHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

function beBytes(v: number | bigint, width: number): Uint8Array {
  let n = BigInt(v);
  const b = new Uint8Array(width);
  for (let i = width - 1; i >= 0; i--) {
    b[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return b;
}

function ipv6Bytes(s: string): Uint8Array {
  const [head = '', tail] = s.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return Uint8Array.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

// OpenFlow 1.3.5 section 7 numbering.
const SPEC_OFPT = {
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
} as const satisfies Record<Message['type'], number>;

type MpRequest = Extract<Message, { type: 'MULTIPART_REQUEST' }>;
type MpReply = Extract<Message, { type: 'MULTIPART_REPLY' }>;

const SPEC_OFPMP = {
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
} as const satisfies Record<MpRequest['mpType'] | MpReply['mpType'], number>;

const SPEC_OFPAT = {
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
} as const satisfies Record<Action['type'], number>;

const SPEC_OFPIT = {
  GOTO_TABLE: 1,
  WRITE_METADATA: 2,
  WRITE_ACTIONS: 3,
  APPLY_ACTIONS: 4,
  CLEAR_ACTIONS: 5,
  METER: 6,
  EXPERIMENTER: 0xffff,
} as const satisfies Record<Instruction['type'], number>;

const SPEC_OFPTFPT = {
  INSTRUCTIONS: 0,
  INSTRUCTIONS_MISS: 1,
  NEXT_TABLES: 2,
  NEXT_TABLES_MISS: 3,
  WRITE_ACTIONS: 4,
  WRITE_ACTIONS_MISS: 5,
  APPLY_ACTIONS: 6,
  APPLY_ACTIONS_MISS: 7,
  MATCH: 8,
  WILDCARDS: 10,
  WRITE_SETFIELD: 12,
  WRITE_SETFIELD_MISS: 13,
  APPLY_SETFIELD: 14,
  APPLY_SETFIELD_MISS: 15,
  EXPERIMENTER: 0xfffe,
  EXPERIMENTER_MISS: 0xffff,
} as const satisfies Record<TableFeatures['properties'][number]['type'], number>;

const SPEC_OFPMBT = { DROP: 1, DSCP_REMARK: 2, EXPERIMENTER: 0xffff } as const satisfies Record<
  MeterBand['type'],
  number
>;

/** OXM field ids and payload bytes (OpenFlow 1.3.5 table 12). */
const SPEC_OXM = {
  IN_PORT: [0, 4],
  IN_PHY_PORT: [1, 4],
  METADATA: [2, 8],
  ETH_DST: [3, 6],
  ETH_SRC: [4, 6],
  ETH_TYPE: [5, 2],
  VLAN_VID: [6, 2],
  VLAN_PCP: [7, 1],
  IP_DSCP: [8, 1],
  IP_ECN: [9, 1],
  IP_PROTO: [10, 1],
  IPV4_SRC: [11, 4],
  IPV4_DST: [12, 4],
  TCP_SRC: [13, 2],
  TCP_DST: [14, 2],
  UDP_SRC: [15, 2],
  UDP_DST: [16, 2],
  SCTP_SRC: [17, 2],
  SCTP_DST: [18, 2],
  ICMPV4_TYPE: [19, 1],
  ICMPV4_CODE: [20, 1],
  ARP_OP: [21, 2],
  ARP_SPA: [22, 4],
  ARP_TPA: [23, 4],
  ARP_SHA: [24, 6],
  ARP_THA: [25, 6],
  IPV6_SRC: [26, 16],
  IPV6_DST: [27, 16],
  IPV6_FLABEL: [28, 4],
  ICMPV6_TYPE: [29, 1],
  ICMPV6_CODE: [30, 1],
  IPV6_ND_TARGET: [31, 16],
  IPV6_ND_SLL: [32, 6],
  IPV6_ND_TLL: [33, 6],
  MPLS_LABEL: [34, 4],
  MPLS_TC: [35, 1],
  MPLS_BOS: [36, 1],
  PBB_ISID: [37, 3],
  TUNNEL_ID: [38, 8],
  IPV6_EXTHDR: [39, 2],
} as const satisfies Record<OxmFieldName, readonly [id: number, bytes: number]>;

const MAC_FIELDS: readonly string[] = [
  'ETH_DST',
  'ETH_SRC',
  'ARP_SHA',
  'ARP_THA',
  'IPV6_ND_SLL',
  'IPV6_ND_TLL',
];
const IPV4_FIELDS: readonly string[] = ['IPV4_SRC', 'IPV4_DST', 'ARP_SPA', 'ARP_TPA'];
const IPV6_FIELDS: readonly string[] = ['IPV6_SRC', 'IPV6_DST'];
const U16_FIELDS: readonly string[] = ['TCP_SRC', 'TCP_DST', 'UDP_SRC', 'UDP_DST', 'SCTP_SRC', 'SCTP_DST'];
const U32_FIELDS: readonly string[] = ['IN_PORT', 'IN_PHY_PORT', 'MPLS_LABEL'];

/** Fields checked in every message, so that any unexpected occurrence is a failure too. */
const ALWAYS = [
  'openflow_v4.version',
  'openflow_v4.type',
  'openflow_v4.xid',
  'openflow_v4.match.length',
  'openflow_v4.oxm.class',
  'openflow_v4.oxm.field',
  'openflow_v4.oxm.hm',
  'openflow_v4.oxm.length',
  'openflow_v4.oxm.value',
  'openflow_v4.oxm.mask',
  'openflow_v4.oxm.value_etheraddr',
  'openflow_v4.oxm.ether_mask',
  'openflow_v4.oxm.value_ipv4addr',
  'openflow_v4.oxm.ipv4_mask',
  'openflow_v4.oxm.value_ipv6addr',
  'openflow_v4.oxm.ipv6_mask',
  'openflow_v4.oxm.value_ethertype',
  'openflow_v4.oxm.value_ipproto',
  'openflow_v4.oxm.value_uint16',
  'openflow_v4.oxm.value_uint32',
  'openflow_v4.oxm.value_vlan_present',
  'openflow_v4.oxm.value_vlan_vid',
  'openflow_v4.oxm.vlan_mask',
  'openflow_v4.instruction.type',
  'openflow_v4.instruction.length',
  'openflow_v4.action.type',
  'openflow_v4.action.length',
  'openflow_v4.action.output.port',
  'openflow_v4.action.output.max_len',
  'openflow_v4.meter_band.type',
  'openflow_v4.port.port_no',
  'openflow_v4.multipart_request.type',
  'openflow_v4.multipart_reply.type',
] as const;

class Expectations {
  private readonly byField = new Map<string, Shown[]>();

  constructor() {
    for (const f of ALWAYS) this.byField.set(f, []);
  }

  add(field: string, ...values: Shown[]): void {
    const l = this.byField.get(field) ?? [];
    l.push(...values);
    this.byField.set(field, l);
  }

  oxm(o: Oxm): void {
    if (o.field === 'OPAQUE') {
      this.add('openflow_v4.oxm.class', o.oxmClass);
      this.add('openflow_v4.oxm.field', o.oxmField);
      this.add('openflow_v4.oxm.hm', o.hasMask ? 1 : 0);
      this.add('openflow_v4.oxm.length', o.body.length);
      return;
    }
    const [id, width] = SPEC_OXM[o.field];
    const masked = o.mask !== undefined;
    this.add('openflow_v4.oxm.class', 0x8000);
    this.add('openflow_v4.oxm.field', id);
    this.add('openflow_v4.oxm.hm', masked ? 1 : 0);
    this.add('openflow_v4.oxm.length', masked ? 2 * width : width);
    // How Wireshark 4.0 presents each field: typed where it knows the field, bytes otherwise.
    const both = (value: string, mask: string, v: Shown, m: Shown | undefined) => {
      this.add(value, v);
      if (m !== undefined) this.add(mask, m);
    };
    const f: string = o.field;
    const v = o.value;
    const m = o.mask;
    if (f === 'VLAN_VID') {
      this.add('openflow_v4.oxm.value_vlan_present', (Number(v) & 0x1000) !== 0 ? 1 : 0);
      this.add('openflow_v4.oxm.value_vlan_vid', Number(v) & 0xfff);
      if (m !== undefined) this.add('openflow_v4.oxm.vlan_mask', m);
    } else if (f === 'ETH_TYPE') this.add('openflow_v4.oxm.value_ethertype', v);
    else if (f === 'IP_PROTO') this.add('openflow_v4.oxm.value_ipproto', v);
    else if (U16_FIELDS.includes(f)) this.add('openflow_v4.oxm.value_uint16', v);
    else if (U32_FIELDS.includes(f)) this.add('openflow_v4.oxm.value_uint32', v);
    else if (MAC_FIELDS.includes(f))
      both('openflow_v4.oxm.value_etheraddr', 'openflow_v4.oxm.ether_mask', v, m);
    else if (IPV4_FIELDS.includes(f))
      both('openflow_v4.oxm.value_ipv4addr', 'openflow_v4.oxm.ipv4_mask', v, m);
    else if (IPV6_FIELDS.includes(f))
      both('openflow_v4.oxm.value_ipv6addr', 'openflow_v4.oxm.ipv6_mask', v, m);
    else {
      const hexOf = (x: Shown) => colonHex(typeof x === 'string' ? ipv6Bytes(x) : beBytes(x, width));
      both('openflow_v4.oxm.value', 'openflow_v4.oxm.mask', hexOf(v), m === undefined ? undefined : hexOf(m));
    }
  }

  match(ms: Match): void {
    this.add('openflow_v4.match.length', 4 + ms.reduce((n, o) => n + oxmSize(o), 0));
    for (const o of ms) this.oxm(o);
  }

  action(a: Action): void {
    this.add('openflow_v4.action.type', SPEC_OFPAT[a.type]);
    this.add('openflow_v4.action.length', actionSize(a));
    switch (a.type) {
      case 'OUTPUT':
        this.add('openflow_v4.action.output.port', a.port);
        this.add('openflow_v4.action.output.max_len', a.maxLen);
        break;
      case 'SET_FIELD':
        this.oxm(a.field);
        break;
      case 'GROUP':
        this.add('openflow_v4.action.group.group_id', a.groupId);
        break;
      case 'PUSH_VLAN':
        this.add('openflow_v4.action.push_vlan.ethertype', a.ethertype);
        break;
      case 'SET_QUEUE':
        this.add('openflow_v4.action.set_queue.queue_id', a.queueId);
        break;
      case 'SET_NW_TTL':
        this.add('openflow_v4.action.set_nw_ttl.ttl', a.nwTtl);
        break;
      default:
        break;
    }
  }

  instruction(i: Instruction): void {
    this.add('openflow_v4.instruction.type', SPEC_OFPIT[i.type]);
    this.add('openflow_v4.instruction.length', instructionSize(i));
    switch (i.type) {
      case 'GOTO_TABLE':
        this.add('openflow_v4.instruction.goto_table.table_id', i.tableId);
        break;
      case 'WRITE_METADATA':
        this.add('openflow_v4.instruction.write_metadata.value', i.metadata);
        this.add('openflow_v4.instruction.write_metadata.mask', i.metadataMask);
        break;
      case 'METER':
        this.add('openflow_v4.instruction.meter.meter_id', i.meterId);
        break;
      case 'APPLY_ACTIONS':
      case 'WRITE_ACTIONS':
        for (const a of i.actions) this.action(a);
        break;
      default:
        break;
    }
  }

  bucket(b: Bucket): void {
    this.add('openflow_v4.bucket.length', 16 + b.actions.reduce((n, a) => n + actionSize(a), 0));
    this.add('openflow_v4.bucket.weight', b.weight);
    this.add('openflow_v4.bucket.watch_port', b.watchPort);
    this.add('openflow_v4.bucket.watch_group', b.watchGroup);
    for (const a of b.actions) this.action(a);
  }

  band(b: MeterBand): void {
    this.add('openflow_v4.meter_band.type', SPEC_OFPMBT[b.type]);
    this.add('openflow_v4.meter_band.rate', b.rate);
    this.add('openflow_v4.meter_band.burst_size', b.burstSize);
    if (b.type === 'DSCP_REMARK') this.add('openflow_v4.meter_band.dscp_remark.prec_level', b.precLevel);
  }

  port(p: Port): void {
    this.add('openflow_v4.port.port_no', p.portNo);
    this.add('openflow_v4.port.hw_addr', p.hwAddr);
    this.add('openflow_v4.port.name', p.name);
    this.add('openflow_v4.port.config', p.config);
    this.add('openflow_v4.port.sate', p.state); // sic: Wireshark's field name
    this.add('openflow_v4.port.current', p.curr);
    this.add('openflow_v4.port.advertised', p.advertised);
    this.add('openflow_v4.port.supported', p.supported);
    this.add('openflow_v4.port.peer', p.peer);
    this.add('openflow_v4.port.curr_speed', p.currSpeed);
    this.add('openflow_v4.port.max_speed', p.maxSpeed);
  }

  tableFeatures(t: TableFeatures): void {
    this.add('openflow_v4.table_features.table_id', t.tableId);
    this.add('openflow_v4.table_features.name', t.name);
    this.add('openflow_v4.table_features.metadata_match', t.metadataMatch);
    this.add('openflow_v4.table_features.metadata_write', t.metadataWrite);
    this.add('openflow_v4.table_features.config', colonHex(beBytes(t.config, 4)));
    this.add('openflow_v4.table_features.max_entries', t.maxEntries);
    for (const p of t.properties) {
      this.add('openflow_v4.table_feature_prop.type', SPEC_OFPTFPT[p.type]);
      switch (p.type) {
        case 'INSTRUCTIONS':
        case 'INSTRUCTIONS_MISS':
          this.add('openflow_v4.table_feature_prop.length', 4 + 4 * p.instructionIds.length);
          for (const i of p.instructionIds) {
            this.add('openflow_v4.instruction.type', SPEC_OFPIT[i.type]);
            this.add('openflow_v4.instruction.length', 'data' in i ? 8 + i.data.length : 4);
          }
          break;
        case 'NEXT_TABLES':
        case 'NEXT_TABLES_MISS':
          this.add('openflow_v4.table_feature_prop.length', 4 + p.tableIds.length);
          this.add('openflow_v4.table_feature_prop.next_tables.next_table_id', ...p.tableIds);
          break;
        case 'WRITE_ACTIONS':
        case 'WRITE_ACTIONS_MISS':
        case 'APPLY_ACTIONS':
        case 'APPLY_ACTIONS_MISS':
          this.add('openflow_v4.table_feature_prop.length', 4 + 4 * p.actionIds.length);
          for (const a of p.actionIds) {
            this.add('openflow_v4.action.type', SPEC_OFPAT[a.type]);
            this.add('openflow_v4.action.length', 'data' in a ? 8 + a.data.length : 4);
          }
          break;
        case 'EXPERIMENTER':
        case 'EXPERIMENTER_MISS':
          this.add('openflow_v4.table_feature_prop.length', 12 + p.data.length);
          this.add('openflow_v4.table_feature_prop.experimenter.experimenter', p.experimenter);
          this.add('openflow_v4.table_feature_prop.experimenter.exp_type', p.expType);
          break;
        default:
          this.add(
            'openflow_v4.table_feature_prop.length',
            4 + p.oxmIds.reduce((n, x) => n + (x.oxmClass === 0xffff ? 8 : 4), 0),
          );
          for (const x of p.oxmIds) {
            this.add('openflow_v4.oxm.class', x.oxmClass);
            this.add('openflow_v4.oxm.field', x.oxmField);
            this.add('openflow_v4.oxm.hm', x.hasMask ? 1 : 0);
            this.add('openflow_v4.oxm.length', x.length);
          }
          break;
      }
    }
  }

  list(): FieldExpectation[] {
    return [...this.byField].map(([field, values]) => ({ field, values }));
  }
}

function oxmSize(o: Oxm): number {
  if (o.field === 'OPAQUE') return 4 + o.body.length;
  const width = SPEC_OXM[o.field][1];
  return 4 + (o.mask === undefined ? width : 2 * width);
}

/** Action lengths from the ofp_action_* structure sizes (set-field padded to 8). */
function actionSize(a: Action): number {
  switch (a.type) {
    case 'OUTPUT':
      return 16;
    case 'SET_FIELD':
      return (4 + oxmSize(a.field) + 7) & ~7;
    case 'EXPERIMENTER':
      return 8 + a.data.length;
    default:
      return 8;
  }
}

function instructionSize(i: Instruction): number {
  switch (i.type) {
    case 'WRITE_METADATA':
      return 24;
    case 'WRITE_ACTIONS':
    case 'APPLY_ACTIONS':
      return 8 + i.actions.reduce((n, a) => n + actionSize(a), 0);
    case 'EXPERIMENTER':
      return 8 + i.data.length;
    default:
      return 8;
  }
}

/**
 * The values tshark must show for message `m` (field names as `tshark -G fields` lists them),
 * excluding what is inside an ERROR's embedded failed request (checked on its own).
 */
export function expectedFields(m: Message): FieldExpectation[] {
  const e = new Expectations();
  e.add('openflow_v4.version', 4);
  e.add('openflow_v4.type', SPEC_OFPT[m.type]);
  e.add('openflow_v4.xid', m.xid);

  switch (m.type) {
    case 'HELLO':
      for (const x of m.elements) {
        if (x.type === 'VERSIONBITMAP') {
          e.add('openflow_v4.hello_element.type', 1);
          e.add('openflow_v4.hello_element.length', 4 + 4 * x.bitmaps.length);
          e.add(
            'openflow_v4.hello_element.version.bitmap',
            colonHex(Uint8Array.from(x.bitmaps.flatMap((w) => [...beBytes(w, 4)]))),
          );
        } else {
          e.add('openflow_v4.hello_element.type', x.elementType);
        }
      }
      break;
    case 'ERROR':
      e.add('openflow_v4.error.type', m.errType);
      // for experimenter errors (type 0xffff) this 16-bit field is exp_type
      e.add('openflow_v4.error.code', m.code);
      if (m.errType === OFPET.EXPERIMENTER) e.add('openflow_v4.error.experimenter', m.experimenter ?? 0);
      else if (m.errType === OFPET.HELLO_FAILED)
        e.add('openflow_v4.error.data', Buffer.from(m.data).toString('latin1'));
      // else: the data is the failed request, which tshark dissects as a message (see the test)
      break;
    case 'ECHO_REQUEST':
    case 'ECHO_REPLY':
      e.add('openflow_v4.echo.data', colonHex(m.data));
      break;
    case 'EXPERIMENTER':
      e.add('openflow_v4.experimenter.experimenter', m.experimenter);
      e.add('openflow_v4.experimenter.exp_type', m.expType);
      break;
    case 'FEATURES_REPLY':
      e.add('openflow_v4.switch_features.datapath_id', m.datapathId);
      e.add('openflow_v4.switch_features.n_buffers', m.nBuffers);
      e.add('openflow_v4.switch_features.n_tables', m.nTables);
      e.add('openflow_v4.switch_features.auxiliary_id', m.auxiliaryId);
      e.add('openflow_v4.switch_features.capabilities', m.capabilities);
      e.add('openflow_v4.switch_features_reserved', m.reserved);
      break;
    case 'GET_CONFIG_REPLY':
    case 'SET_CONFIG':
      e.add('openflow_v4.switch_config.flags', m.flags);
      e.add('openflow_v4.switch_config.miss_send_len', m.missSendLen);
      break;
    case 'PACKET_IN':
      e.add('openflow_v4.packet_in.buffer_id', m.bufferId);
      e.add('openflow_v4.packet_in.total_len', m.totalLen);
      e.add('openflow_v4.packet_in.reason', m.reason);
      e.add('openflow_v4.packet_in.table_id', m.tableId);
      e.add('openflow_v4.packet_in.cookie', m.cookie);
      e.match(m.match);
      break;
    case 'FLOW_REMOVED':
      e.add('openflow_v4.flow_removed.cookie', m.cookie);
      e.add('openflow_v4.flow_removed.priority', m.priority);
      e.add('openflow_v4.flow_removed.reason', m.reason);
      e.add('openflow_v4.flow_removed.table_id', m.tableId);
      e.add('openflow_v4.flow_removed.duration_sec', m.durationSec);
      e.add('openflow_v4.flow_removed.duration_nsec', m.durationNsec);
      e.add('openflow_v4.flow_removed.idle_timeout', m.idleTimeout);
      e.add('openflow_v4.flow_removed.hard_timeout', m.hardTimeout);
      e.add('openflow_v4.flow_removed.packet_count', m.packetCount);
      e.add('openflow_v4.flow_removed.byte_count', m.byteCount);
      e.match(m.match);
      break;
    case 'PORT_STATUS':
      e.add('openflow_v4.port_status.reason', m.reason);
      e.port(m.desc);
      break;
    case 'PACKET_OUT':
      e.add('openflow_v4.packet_out.buffer_id', m.bufferId);
      e.add('openflow_v4.packet_out.in_port', m.inPort);
      e.add(
        'openflow_v4.packet_out.acts_len',
        m.actions.reduce((n, a) => n + actionSize(a), 0),
      );
      for (const a of m.actions) e.action(a);
      break;
    case 'FLOW_MOD':
      e.add('openflow_v4.flowmod.cookie', m.cookie);
      e.add('openflow_v4.flowmod.cookie_mask', m.cookieMask);
      e.add('openflow_v4.flowmod.table_id', m.tableId);
      e.add('openflow_v4.flowmod.command', m.command);
      e.add('openflow_v4.flowmod.idle_timeout', m.idleTimeout);
      e.add('openflow_v4.flowmod.hard_timeout', m.hardTimeout);
      e.add('openflow_v4.flowmod.priority', m.priority);
      e.add('openflow_v4.flowmod.buffer_id', m.bufferId);
      e.add('openflow_v4.flowmod.out_port', m.outPort);
      e.add('openflow_v4.flowmod.out_group', m.outGroup);
      e.add('openflow_v4.flowmod.flags', m.flags);
      e.match(m.match);
      for (const i of m.instructions) e.instruction(i);
      break;
    case 'GROUP_MOD':
      e.add('openflow_v4.groupmod.command', m.command);
      e.add('openflow_v4.groupmod.type', m.groupType);
      e.add('openflow_v4.groupmod.group_id', m.groupId);
      for (const b of m.buckets) e.bucket(b);
      break;
    case 'PORT_MOD':
      e.add('openflow_v4.portmod.port_no', m.portNo);
      e.add('openflow_v4.portmod.hw_addr', m.hwAddr);
      e.add('openflow_v4.portmod.config', m.config);
      e.add('openflow_v4.portmod.mask', m.mask);
      e.add('openflow_v4.portmod.advertise', m.advertise);
      break;
    case 'TABLE_MOD':
      e.add('openflow_v4.tablemod.table_id', m.tableId);
      e.add('openflow_v4.tablemod.config', colonHex(beBytes(m.config, 4)));
      break;
    case 'MULTIPART_REQUEST':
      e.add('openflow_v4.multipart_request.type', SPEC_OFPMP[m.mpType]);
      e.add('openflow_v4.multipart_request.flags', m.flags);
      multipartRequest(e, m);
      break;
    case 'MULTIPART_REPLY':
      e.add('openflow_v4.multipart_reply.type', SPEC_OFPMP[m.mpType]);
      e.add('openflow_v4.multipart_reply.flags', m.flags);
      multipartReply(e, m);
      break;
    case 'QUEUE_GET_CONFIG_REQUEST':
      e.add('openflow_v4.queue_get_config_request.port', m.port);
      break;
    case 'QUEUE_GET_CONFIG_REPLY':
      e.add('openflow_v4.queue_get_config_reply.port', m.port);
      for (const q of m.queues) {
        e.add('openflow_v4.packet_queue.queue_id', q.queueId);
        e.add('openflow_v4.packet_queue.port', q.port);
        e.add('openflow_v4.packet_queue.len', 16 + q.properties.reduce((n, p) => n + queuePropSize(p), 0));
        for (const p of q.properties) {
          e.add(
            'openflow_v4.queue_prop.property',
            p.type === 'MIN_RATE'
              ? 1
              : p.type === 'MAX_RATE'
                ? 2
                : p.type === 'EXPERIMENTER'
                  ? 0xffff
                  : p.property,
          );
          e.add('openflow_v4.queue_prop.len', queuePropSize(p));
          if (p.type === 'MIN_RATE') e.add('openflow_v4.queue_prop.min_rate.rate', p.rate);
          if (p.type === 'MAX_RATE') e.add('openflow_v4.queue_prop.max_rate.rate', p.rate);
        }
      }
      break;
    case 'ROLE_REQUEST':
      e.add('openflow_v4.role_request.role', m.role);
      e.add('openflow_v4.role_request.generation_id', m.generationId);
      break;
    case 'ROLE_REPLY':
      e.add('openflow_v4.role_reply.role', m.role);
      e.add('openflow_v4.role_reply.generation_id', m.generationId);
      break;
    case 'GET_ASYNC_REPLY':
    case 'SET_ASYNC':
      e.add('openflow_v4.async_config.packet_in_mask.master', m.packetInMask[0] ?? 0);
      e.add('openflow_v4.async_config.packet_in_mask.slave', m.packetInMask[1] ?? 0);
      e.add('openflow_v4.async_config.port_status_mask.master', m.portStatusMask[0] ?? 0);
      e.add('openflow_v4.async_config.port_status_mask.slave', m.portStatusMask[1] ?? 0);
      e.add('openflow_v4.async_config.flow_removed_mask.master', m.flowRemovedMask[0] ?? 0);
      e.add('openflow_v4.async_config.flow_removed_mask.slave', m.flowRemovedMask[1] ?? 0);
      break;
    case 'METER_MOD':
      e.add('openflow_v4.metermod.command', m.command);
      e.add('openflow_v4.metermod.flags', m.flags);
      e.add('openflow_v4.metermod.meter_id', m.meterId);
      for (const b of m.bands) e.band(b);
      break;
    case 'FEATURES_REQUEST':
    case 'GET_CONFIG_REQUEST':
    case 'BARRIER_REQUEST':
    case 'BARRIER_REPLY':
    case 'GET_ASYNC_REQUEST':
      break; // header only
  }
  return e.list();
}

function queuePropSize(p: QueueProp): number {
  if (p.type === 'MIN_RATE' || p.type === 'MAX_RATE') return 16;
  if (p.type === 'EXPERIMENTER') return 16 + p.data.length;
  return 8 + p.data.length;
}

function multipartRequest(e: Expectations, m: MpRequest): void {
  switch (m.mpType) {
    case 'FLOW':
    case 'AGGREGATE': {
      const p = m.mpType === 'FLOW' ? 'flow_stats_request' : 'aggregate_stats_request';
      e.add(`openflow_v4.${p}.table_id`, m.tableId);
      e.add(`openflow_v4.${p}.out_port`, m.outPort);
      e.add(`openflow_v4.${p}.out_group`, m.outGroup);
      e.add(`openflow_v4.${p}.cookie`, m.cookie);
      e.add(`openflow_v4.${p}.cookie_mask`, m.cookieMask);
      e.match(m.match);
      break;
    }
    case 'PORT_STATS':
      e.add('openflow_v4.port_stats_request.port_no', m.portNo);
      break;
    case 'QUEUE':
      e.add('openflow_v4.queue_stats_request.port_no', m.portNo);
      e.add('openflow_v4.queue_stats_request.queue_id', m.queueId);
      break;
    case 'GROUP':
      e.add('openflow_v4.group_stats_request.group_id', m.groupId);
      break;
    case 'METER':
      e.add('openflow_v4.meter_stats_request.meter_id', m.meterId);
      break;
    case 'METER_CONFIG':
      e.add('openflow_v4.meter_config_request.meter_id', m.meterId);
      break;
    case 'TABLE_FEATURES':
      e.add('openflow_v4.table_features.table_id'); // checked even when empty
      for (const t of m.tables) e.tableFeatures(t);
      break;
    case 'EXPERIMENTER':
      e.add('openflow_v4.multipart_request.experimenter.experimenter', m.experimenter);
      e.add('openflow_v4.multipart_request.experimenter.exp_type', m.expType);
      break;
    case 'DESC':
    case 'TABLE':
    case 'GROUP_DESC':
    case 'GROUP_FEATURES':
    case 'METER_FEATURES':
    case 'PORT_DESC':
      break; // no body
  }
}

function multipartReply(e: Expectations, m: MpReply): void {
  switch (m.mpType) {
    case 'DESC':
      e.add('openflow_v4.switch_description.mfr_desc', m.mfrDesc);
      e.add('openflow_v4.switch_description.hw_desc', m.hwDesc);
      e.add('openflow_v4.switch_description.sw_desc', m.swDesc);
      e.add('openflow_v4.switch_description.serial_num', m.serialNum);
      e.add('openflow_v4.switch_description.dp_desc', m.dpDesc);
      break;
    case 'FLOW':
      for (const s of m.stats) {
        e.add('openflow_v4.flow_stats.table_id', s.tableId);
        e.add('openflow_v4.flow_stats.duration_sec', s.durationSec);
        e.add('openflow_v4.flow_stats.duration_nsec', s.durationNsec);
        e.add('openflow_v4.flow_stats.priority', s.priority);
        e.add('openflow_v4.flow_stats.idle_timeout', s.idleTimeout);
        e.add('openflow_v4.flow_stats.hard_timeout', s.hardTimeout);
        e.add('openflow_v4.flow_stats.flags', s.flags);
        e.add('openflow_v4.flow_stats.cookie', s.cookie);
        e.add('openflow_v4.flow_stats.packet_count', s.packetCount);
        e.add('openflow_v4.flow_stats.byte_count', s.byteCount);
        e.match(s.match);
        for (const i of s.instructions) e.instruction(i);
      }
      break;
    case 'AGGREGATE':
      e.add('openflow_v4.aggregate_stats.packet_count', m.packetCount);
      e.add('openflow_v4.aggregate_stats.byte_count', m.byteCount);
      e.add('openflow_v4.aggregate_stats.flow_count', m.flowCount);
      break;
    case 'TABLE':
      for (const s of m.stats) {
        e.add('openflow_v4.table_stats.table_id', s.tableId);
        e.add('openflow_v4.table_stats.active_count', s.activeCount);
        e.add('openflow_v4.table_stats.lookup_count', s.lookupCount);
        e.add('openflow_v4.table_stats.match_count', s.matchedCount);
      }
      break;
    case 'PORT_STATS':
      for (const s of m.stats) {
        e.add('openflow_v4.port_stats.port_no', s.portNo);
        e.add('openflow_v4.port_stats.rx_packets', s.rxPackets);
        e.add('openflow_v4.port_stats.tx_packets', s.txPackets);
        e.add('openflow_v4.port_stats.rx_bytes', s.rxBytes);
        e.add('openflow_v4.port_stats.tx_bytes', s.txBytes);
        e.add('openflow_v4.port_stats.rx_dropped', s.rxDropped);
        e.add('openflow_v4.port_stats.tx_dropped', s.txDropped);
        e.add('openflow_v4.port_stats.rx_errors', s.rxErrors);
        e.add('openflow_v4.port_stats.tx_errors', s.txErrors);
        e.add('openflow_v4.port_stats.rx_frame_error', s.rxFrameErr);
        e.add('openflow_v4.port_stats.rx_over_error', s.rxOverErr);
        e.add('openflow_v4.port_stats.rx_crc_error', s.rxCrcErr);
        e.add('openflow_v4.port_stats.collisions', s.collisions);
        e.add('openflow_v4.port_stats.duration_sec', s.durationSec);
        e.add('openflow_v4.port_stats.duration_nsec', s.durationNsec);
      }
      break;
    case 'QUEUE':
      for (const s of m.stats) {
        e.add('openflow_v4.queue_stats.port_no', s.portNo);
        e.add('openflow_v4.queue_stats.queue_id', s.queueId);
        e.add('openflow_v4.queue_stats.tx_bytes', s.txBytes);
        e.add('openflow_v4.quee_stats.tx_packets', s.txPackets); // sic: Wireshark's field name
        e.add('openflow_v4.queue_stats.duration_sec', s.durationSec);
        e.add('openflow_v4.queue_stats.duration_nsec', s.durationNsec);
      }
      break;
    case 'GROUP':
      for (const s of m.stats) {
        e.add('openflow_v4.group_stats.length', 40 + 16 * s.bucketStats.length);
        e.add('openflow_v4.group_stats.group_id', s.groupId);
        e.add('openflow_v4.group_stats.ref_count', s.refCount);
        e.add('openflow_v4.group_stats.packet_count', s.packetCount);
        e.add('openflow_v4.group_stats.byte_count', s.byteCount);
        for (const b of s.bucketStats) {
          e.add('openflow_v4.bucket_counter.packet_count', b.packetCount);
          e.add('openflow_v4.bucket_counter.byte_count', b.byteCount);
        }
      }
      break;
    case 'GROUP_DESC':
      for (const g of m.groups) {
        e.add('openflow_v4.group_desc.type', g.groupType);
        e.add('openflow_v4.group_desc.group_id', g.groupId);
        for (const b of g.buckets) e.bucket(b);
      }
      break;
    case 'GROUP_FEATURES':
      e.add('openflow_v4.group_features.types', m.types);
      e.add('openflow_v4.group_features.capabilities', m.capabilities);
      e.add('openflow_v4.group_stats.max_groups.all', m.maxGroups[0] ?? 0); // sic: group_stats
      e.add('openflow_v4.group_stats.max_groups.select', m.maxGroups[1] ?? 0);
      e.add('openflow_v4.group_stats.max_groups.indirect', m.maxGroups[2] ?? 0);
      e.add('openflow_v4.group_stats.max_groups.ff', m.maxGroups[3] ?? 0);
      e.add('openflow_v4.group_features.actions.all', m.actions[0] ?? 0);
      e.add('openflow_v4.group_features.actions.select', m.actions[1] ?? 0);
      e.add('openflow_v4.group_features.actions.indirect', m.actions[2] ?? 0);
      e.add('openflow_v4.group_features.actions.ff', m.actions[3] ?? 0);
      break;
    case 'METER':
      for (const s of m.stats) {
        e.add('openflow_v4.meter_stats.meter_id', s.meterId);
        e.add('openflow_v4.meter_stats.length', 40 + 16 * s.bandStats.length);
        e.add('openflow_v4.meter_stats.flow_count', s.flowCount);
        e.add('openflow_v4.meter_stats.packet_in_count', s.packetInCount);
        e.add('openflow_v4.meter_stats.byte_in_count', s.byteInCount);
        e.add('openflow_v4.meter_stats.duration_sec', s.durationSec);
        e.add('openflow_v4.meter_stats.duration_nsec', s.durationNsec);
        for (const b of s.bandStats) {
          e.add('openflow_v4.meter_band_stats.packet_band_count', b.packetCount);
          e.add('openflow_v4.meter_band_stats.byte_band_count', b.byteCount);
        }
      }
      break;
    case 'METER_CONFIG':
      for (const c of m.configs) {
        e.add('openflow_v4.meter_config.len', 8 + 16 * c.bands.length);
        e.add('openflow_v4.meter_config.flags', c.flags);
        e.add('openflow_v4.meter_config.meter_id', c.meterId);
        for (const b of c.bands) e.band(b);
      }
      break;
    case 'METER_FEATURES':
      e.add('openflow_v4.meter_features.max_meter', m.maxMeter);
      e.add('openflow_v4.features.band_types', m.bandTypes); // sic: Wireshark's field name
      e.add('openflow_v4.meter_features.capabilities', m.capabilities);
      e.add('openflow_v4.meter_features.max_bands', m.maxBands);
      e.add('openflow_v4.meter_features.max_color', m.maxColor);
      break;
    case 'TABLE_FEATURES':
      for (const t of m.tables) e.tableFeatures(t);
      break;
    case 'PORT_DESC':
      for (const p of m.ports) e.port(p);
      break;
    case 'EXPERIMENTER':
      e.add('openflow_v4.multipart_reply.experimenter.experimenter', m.experimenter);
      e.add('openflow_v4.multipart_reply.experimenter.exp_type', m.expType);
      break;
  }
}
