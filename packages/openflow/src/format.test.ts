// formatMessage against the text `ovs-ofctl ofp-print` prints for the same bytes, every
// message and multipart type built by hand, and the match/action/instruction printers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Action, Bucket, Instruction } from './actions.js';
import { OFPG, OFPM, OFPMF, OFPP, OFPQ_ALL, OFP_NO_BUFFER } from './constants.js';
import { formatActions, formatInstructions, formatMatch, formatMessage, formatPort } from './format.js';
import { type Message, OFPT, decode, encode } from './messages.js';
import { type MultipartReply, type MultipartRequest, OFPMP } from './multipart.js';
import { type Match, type OxmBasic, OXM_FIELDS, type OxmFieldName } from './oxm.js';
import type { Port, TableFeatures } from './structures.js';
import { flowMod } from '../test/fixtures.js';

interface Case {
  name: string;
  kind?: string;
  hex: string;
  valid?: boolean;
  ovs_ofctl_ofp_print?: string;
}

const load = (f: string): Case[] =>
  JSON.parse(readFileSync(new URL(`../test/conformance/${f}`, import.meta.url), 'utf8')) as Case[];
const bytes = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const formatHex = (hex: string) => formatMessage(decode(bytes(hex)));
/** OVS's output with its line breaks folded into single spaces. */
const fold = (text: string) => text.replace(/\s+/g, ' ').trim();

function expectOneLine(line: string): void {
  expect(line).not.toMatch(/[\r\n]/);
  expect(line).not.toContain('***');
}

describe('formatMessage on the Open vSwitch ofp-print OF1.3 cases', () => {
  const cases = load('ovs-ofp-print.json').filter((c) => c.valid !== false);
  const byName = new Map(cases.map((c) => [c.name, c]));
  const ovsText = (name: string) => byName.get(name)?.ovs_ofctl_ofp_print ?? '';
  const line = (name: string) => formatHex(byName.get(name)?.hex ?? '');

  it('has the 41 valid cases', () => expect(cases).toHaveLength(41));

  // "OFPST_FLOW request (OF1.3) (xid=0x2)", "ONFT_ROLE_STATUS (OF1.3) (xid=0xa)" ...
  const HEADER = /^(\S+(?: request| reply)? \(OF1\.3\) \((xid=0x[0-9a-f]+)\))/;
  it.each(cases.map((c) => [c.name, c] as const))('%s: one line with the OVS header', (_n, c) => {
    const out = formatHex(c.hex);
    expectOneLine(out);
    const m = HEADER.exec(c.ovs_ofctl_ofp_print ?? '');
    expect(m).not.toBeNull();
    const [, header = '', xid = ''] = m ?? [];
    if (/^OFPS?T_/.test(header)) expect(out.slice(0, header.length + 1)).toBe(`${header}:`);
    // Vendor messages (ONFT_..., ONFST_...) print as OFPT_EXPERIMENTER / OFPST_EXPERIMENTER.
    else expect(out).toContain(`(${xid})`);
  });

  // Where Open vSwitch prints one entry, our line is its output with the line breaks folded.
  it.each([
    'OFPT_FEATURES_REPLY - OF1.3',
    'OFPT_FEATURES_REPLY - with auxiliary_id - OF1.3',
    'OFPT_FLOW_REMOVED - OF1.3',
    'OFPT_FLOW_MOD - OF1.3 - flags - low verbosity',
    'OFPT_FLOW_MOD - OF1.3 - meter',
    'OFPT_PORT_MOD - OF1.3',
    'OFPT_TABLE_MOD - OF1.3',
    'OFPT_METER_MOD request - OF1.3',
    'OFPT_BARRIER_REQUEST - OF1.3',
    'OFPT_BARRIER_REPLY - OF1.3',
    'OFPST_FLOW request - OF1.3',
    'OFPST_AGGREGATE request - OF1.3',
    'OFPST_AGGREGATE reply - OF1.3',
    'OFPST_TABLE request - OF1.3',
    'OFPST_PORT request - 1.3',
    'OFPST_QUEUE request - OF1.3',
    'OFPST_METER request - OF1.3',
    'OFPST_METER_CONFIG request - OF1.3',
    'OFPST_METER_FEATURES request - OF1.3',
    'OFPST_METER_FEATURES reply - OF1.3',
  ])('%s: equals the OVS text folded', (name) => {
    expect(line(name)).toBe(fold(ovsText(name)));
  });

  // Lists: OVS prints an entry per line; we separate entries with " | ".
  it.each([
    'OFPST_TABLE reply - OF1.3',
    'OFPST_PORT reply - OF1.3',
    'OFPST_QUEUE reply - OF1.3',
    'OFPST_GROUP reply - OF1.3',
    'OFPST_METER_CONFIG reply - OF1.3',
    'OFPST_METER reply - OF1.3',
  ])('%s: equals the OVS text with entries joined by " | "', (name) => {
    const out = line(name);
    expect(out).toContain(' | ');
    expect(out.replaceAll(' | ', ' ')).toBe(fold(ovsText(name)));
  });

  it('PACKET_IN: the first OVS line (OVS adds the parsed packet on the next lines)', () => {
    for (const name of ['OFPT_PACKET_IN - OF1.3', 'OFPT_PACKET_IN - OF1.3, with hex output of packet data']) {
      const out = line(name);
      expect(out).toBe(ovsText(name).split('\n')[0]);
      for (const t of [
        'cookie=0x102030405060708',
        'total_len=42',
        'in_port=LOCAL',
        '(via no_match)',
        'data_len=42',
        'buffer=0xffffff00',
      ]) {
        expect(out).toContain(t);
      }
    }
  });

  it.each([
    [
      'OFPT_FEATURES_REPLY - OF1.3',
      ['dpid:0000505400000001', 'n_tables:255', 'n_buffers:256', 'capabilities: FLOW_STATS TABLE_STATS'],
    ],
    [
      'OFPT_METER_MOD request - OF1.3',
      ['ADD', 'meter=5', 'kbps', 'burst', 'stats', 'type=drop rate=1024 burst_size=128'],
    ],
    [
      'OFPT_FLOW_REMOVED - OF1.3',
      ['dl_vlan=9', 'reason=hard', 'table_id=5', 'cookie:0xfedcba9876543210', 'duration1.010s'],
    ],
    [
      'OFPST_TABLE_FEATURES request - OF1.3',
      [
        'flags=[more]',
        'table 0 ("table0"):',
        'metadata: match=0xffffffffffffffff write=0xffffffffffffffff',
        'max_entries=1000000',
        'next_tables: 1-253',
      ],
    ],
    [
      'OFPT_QUEUE_GET_CONFIG_REPLY - OF1.3',
      ['port=1', 'queue 17476:', 'queue 21845: min_rate:50.0% max_rate:75.0%'],
    ],
    [
      'OFPT_SET_ASYNC - OF1.3',
      [
        'primary: PACKET_IN: no_match invalid_ttl PORT_STATUS: add delete FLOW_REMOVED: (off)',
        'secondary: PACKET_IN: no_match action invalid_ttl PORT_STATUS: add delete modify FLOW_REMOVED: idle hard',
      ],
    ],
    [
      'decoding experimenter errors',
      ['OFPBIC_DUP_INST', 'data_len=8', 'OFPT_HELLO (OF1.3) (xid=0x12345678):'],
    ],
    ['FLOW_MONITOR request', ['experimenter=0x4f4e4600 (ONF)', 'exp_type=1870', 'data_len=48']],
  ] as const)('%s: has the OVS tokens', (name, tokens) => {
    const out = line(name);
    for (const t of tokens) expect(out).toContain(t);
  });
});

describe('formatMessage on the LoxiGen of13 messages', () => {
  const messages = load('loxigen.json').filter((c) => c.kind === 'message');
  it.each(messages.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const out = formatHex(c.hex);
    expectOneLine(out);
    expect(out).toMatch(/^OFPS?T_[A-Z_]+( request| reply)? \(OF1\.3\) \(xid=0x[0-9a-f]+\):/);
  });

  it('prints their fields', () => {
    const text = (name: string) => formatHex(messages.find((c) => c.name === name)?.hex ?? '');
    expect(text('packet_out')).toBe(
      'OFPT_PACKET_OUT (OF1.3) (xid=0x12345678): in_port=4 actions=output:2,dec_ttl buffer=0x00000064',
    );
    expect(text('flow_add')).toBe(
      'OFPT_FLOW_MOD (OF1.3) (xid=0x12345678): ADD table:3 priority=6000,tcp6,in_port=4/0x5,' +
        'ipv6_src=1cca:fe1c:b110:1c00:28::/ffff:ffff:fff0:ffff:1c2c:3c00:: cookie:0xfedcba9876543210 ' +
        'idle:5 hard:10 buf:0x32 out_port:6 out_group:8 actions=goto_table:4,goto_table:7',
    );
    expect(text('flow_delete')).toContain(' DEL table:3 ');
    expect(text('flow_delete')).toContain(' cookie:0xfedcba9876543210/0xff00ff00ff00ff00 ');
    expect(text('port_status')).toBe(
      'OFPT_PORT_STATUS (OF1.3) (xid=0x12345678): MOD: 4(foo): addr:01:02:03:04:05:06 config: NO_RECV NO_FWD ' +
        'state: BLOCKED current: 10MB-HD advertised: 10MB-FD supported: 100MB-HD peer: 100MB-FD speed: 0 Mbps now, 0 Mbps max',
    );
    expect(text('group_modify')).toBe(
      'OFPT_GROUP_MOD (OF1.3) (xid=0x12345678): MOD group_id=5,type=ff,' +
        'bucket=weight:1,watch_port:5,actions=output:5,output:6,bucket=weight:1,watch_port:6,actions=output:5,output:6',
    );
    expect(text('bad_match_error_msg')).toBe(
      'OFPT_ERROR (OF1.3) (xid=0x12345678): OFPBMC_BAD_MASK data_len=3',
    );
    expect(text('echo_request')).toBe('OFPT_ECHO_REQUEST (OF1.3) (xid=0x12345678): 3 bytes of payload');
    expect(text('get_config_reply')).toBe(
      'OFPT_GET_CONFIG_REPLY (OF1.3) (xid=0x12345678): frags=reassemble miss_send_len=65535',
    );
  });
});

// ---------------------------------------------------------------------------------------
// Every message and multipart type, built by hand.

const U64_MAX = 0xffffffffffffffffn;
const data = Uint8Array.of(1, 2, 3);
const out = (port: number, maxLen = 0): Action => ({ type: 'OUTPUT', port, maxLen });

const everyAction: Action[] = [
  out(1),
  out(OFPP.CONTROLLER, 0xffff),
  out(OFPP.LOCAL),
  { type: 'COPY_TTL_OUT' },
  { type: 'COPY_TTL_IN' },
  { type: 'SET_MPLS_TTL', mplsTtl: 9 },
  { type: 'DEC_MPLS_TTL' },
  { type: 'PUSH_VLAN', ethertype: 0x8100 },
  { type: 'POP_VLAN' },
  { type: 'PUSH_MPLS', ethertype: 0x8847 },
  { type: 'POP_MPLS', ethertype: 0x0800 },
  { type: 'SET_QUEUE', queueId: 4 },
  { type: 'GROUP', groupId: 5 },
  { type: 'SET_NW_TTL', nwTtl: 64 },
  { type: 'DEC_NW_TTL' },
  { type: 'SET_FIELD', field: { field: 'IPV4_DST', value: '10.0.0.1' } },
  { type: 'SET_FIELD', field: { field: 'ETH_SRC', value: '00:11:22:33:44:55' } },
  { type: 'SET_FIELD', field: { field: 'VLAN_VID', value: 0x1005 } },
  { type: 'PUSH_PBB', ethertype: 0x88e7 },
  { type: 'POP_PBB' },
  { type: 'EXPERIMENTER', experimenter: 0x2320, data: Uint8Array.of(0, 1, 2, 3) },
];

const everyInstruction: Instruction[] = [
  { type: 'METER', meterId: 7 },
  { type: 'APPLY_ACTIONS', actions: everyAction },
  { type: 'CLEAR_ACTIONS' },
  { type: 'WRITE_ACTIONS', actions: [out(2)] },
  { type: 'WRITE_METADATA', metadata: 0x10n, metadataMask: 0xffn },
  { type: 'GOTO_TABLE', tableId: 3 },
  { type: 'EXPERIMENTER', experimenter: 0x2320, data: Uint8Array.of(0, 0, 0, 0) },
];

const match: Match = [
  { field: 'IN_PORT', value: 1 },
  { field: 'ETH_TYPE', value: 0x0800 },
  { field: 'IP_PROTO', value: 6 },
  { field: 'IPV4_SRC', value: '10.0.0.0', mask: '255.0.0.0' },
  { field: 'TCP_DST', value: 80 },
  { field: 'OPAQUE', oxmClass: 1, oxmField: 0, hasMask: false, body: Uint8Array.of(0, 0, 0, 5) },
];

const port: Port = {
  portNo: 1,
  hwAddr: '50:54:00:00:00:01',
  name: 'eth0',
  config: 0,
  state: 4,
  curr: 0x2820,
  advertised: 0,
  supported: 0,
  peer: 0,
  currSpeed: 1_000_000,
  maxSpeed: 1_000_000,
};

const bucket: Bucket = { weight: 1, watchPort: OFPP.ANY, watchGroup: OFPG.ANY, actions: [out(1)] };

const tableFeatures: TableFeatures = {
  tableId: 0,
  name: 'table0',
  metadataMatch: U64_MAX,
  metadataWrite: U64_MAX,
  config: 0,
  maxEntries: 1000,
  properties: [
    { type: 'INSTRUCTIONS', instructionIds: [{ type: 'GOTO_TABLE' }, { type: 'APPLY_ACTIONS' }] },
    { type: 'NEXT_TABLES', tableIds: [1, 2, 3, 7] },
    { type: 'APPLY_ACTIONS', actionIds: [{ type: 'OUTPUT' }, { type: 'SET_FIELD' }] },
    {
      type: 'MATCH',
      oxmIds: [
        { oxmClass: 0x8000, oxmField: 0, hasMask: false, length: 4 },
        { oxmClass: 0xffff, oxmField: 1, hasMask: false, length: 8, experimenter: 0x4f4e4600 },
      ],
    },
    { type: 'EXPERIMENTER', experimenter: 0x2320, expType: 1, data },
  ],
};

const xid = 0x42;
const requests: MultipartRequest[] = [
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'DESC' },
  {
    type: 'MULTIPART_REQUEST',
    xid,
    flags: 0,
    mpType: 'FLOW',
    tableId: 1,
    outPort: 2,
    outGroup: OFPG.ANY,
    cookie: 1n,
    cookieMask: 0xffn,
    match,
  },
  {
    type: 'MULTIPART_REQUEST',
    xid,
    flags: 0,
    mpType: 'AGGREGATE',
    tableId: 0xff,
    outPort: OFPP.ANY,
    outGroup: OFPG.ANY,
    cookie: 0n,
    cookieMask: 0n,
    match: [],
  },
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'TABLE' },
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'PORT_STATS', portNo: OFPP.ANY },
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'QUEUE', portNo: 1, queueId: OFPQ_ALL },
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'GROUP', groupId: OFPG.ALL },
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'GROUP_DESC' },
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'GROUP_FEATURES' },
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'METER', meterId: OFPM.ALL },
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'METER_CONFIG', meterId: 3 },
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'METER_FEATURES' },
  { type: 'MULTIPART_REQUEST', xid, flags: 1, mpType: 'TABLE_FEATURES', tables: [tableFeatures] },
  { type: 'MULTIPART_REQUEST', xid, flags: 0, mpType: 'PORT_DESC' },
  {
    type: 'MULTIPART_REQUEST',
    xid,
    flags: 0,
    mpType: 'EXPERIMENTER',
    experimenter: 0x2320,
    expType: 1,
    data,
  },
];

const counters = { packetCount: 1n, byteCount: 64n };
const replies: MultipartReply[] = [
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'DESC',
    mfrDesc: 'Maker',
    hwDesc: 'hw',
    swDesc: 'sw',
    serialNum: '1',
    dpDesc: 'dp',
  },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'FLOW',
    stats: [
      {
        tableId: 0,
        durationSec: 1,
        durationNsec: 500_000_000,
        priority: 10,
        idleTimeout: 0,
        hardTimeout: 0,
        flags: 0,
        cookie: 0n,
        ...counters,
        match: [{ field: 'IN_PORT', value: 1 }],
        instructions: [{ type: 'APPLY_ACTIONS', actions: [out(2)] }],
      },
      {
        tableId: 1,
        durationSec: 2,
        durationNsec: 0,
        priority: 0x8000,
        idleTimeout: 10,
        hardTimeout: 20,
        flags: 1,
        cookie: 5n,
        packetCount: U64_MAX,
        byteCount: U64_MAX,
        match: [],
        instructions: [],
      },
    ],
  },
  { type: 'MULTIPART_REPLY', xid, flags: 0, mpType: 'AGGREGATE', ...counters, flowCount: 1 },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'TABLE',
    stats: [{ tableId: 0, activeCount: 1, lookupCount: 2n, matchedCount: 1n }],
  },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'PORT_STATS',
    stats: [
      {
        portNo: OFPP.LOCAL,
        rxPackets: 1n,
        txPackets: 2n,
        rxBytes: 3n,
        txBytes: 4n,
        rxDropped: 0n,
        txDropped: 0n,
        rxErrors: 0n,
        txErrors: 0n,
        rxFrameErr: 0n,
        rxOverErr: 0n,
        rxCrcErr: U64_MAX,
        collisions: 0n,
        durationSec: 1,
        durationNsec: 0,
      },
    ],
  },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'QUEUE',
    stats: [
      { portNo: 1, queueId: 2, txBytes: 3n, txPackets: 4n, txErrors: 0n, durationSec: 1, durationNsec: 0 },
    ],
  },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'GROUP',
    stats: [
      { groupId: 1, refCount: 1, ...counters, durationSec: 1, durationNsec: 0, bucketStats: [counters] },
    ],
  },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'GROUP_DESC',
    groups: [{ groupType: 0, groupId: 1, buckets: [bucket] }],
  },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'GROUP_FEATURES',
    types: 0b1011,
    capabilities: 5,
    maxGroups: [16, 16, 0, 8],
    actions: [1 | (1 << 22), 1, 0, 1 << 25],
  },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'METER',
    stats: [
      {
        meterId: 1,
        flowCount: 1,
        packetInCount: 1n,
        byteInCount: 64n,
        durationSec: 1,
        durationNsec: 0,
        bandStats: [counters],
      },
    ],
  },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'METER_CONFIG',
    configs: [{ flags: OFPMF.PKTPS, meterId: 1, bands: [{ type: 'DROP', rate: 10, burstSize: 0 }] }],
  },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'METER_FEATURES',
    maxMeter: 100,
    bandTypes: 6,
    capabilities: 15,
    maxBands: 2,
    maxColor: 1,
  },
  { type: 'MULTIPART_REPLY', xid, flags: 1, mpType: 'TABLE_FEATURES', tables: [tableFeatures] },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'PORT_DESC',
    ports: [port, { ...port, portNo: OFPP.LOCAL, name: 'br\n0' }],
  },
  {
    type: 'MULTIPART_REPLY',
    xid,
    flags: 0,
    mpType: 'EXPERIMENTER',
    experimenter: 0x4f4e4600,
    expType: 1870,
    data,
  },
];

const asyncMasks = { packetInMask: [1, 7], portStatusMask: [7, 0], flowRemovedMask: [15, 1] };

const messages: Message[] = [
  { type: 'HELLO', version: 4, xid, elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x12] }] },
  { type: 'ERROR', xid, errType: 4, code: 9, data: encode({ type: 'BARRIER_REQUEST', xid: 7 }) },
  { type: 'ECHO_REQUEST', xid, data },
  { type: 'ECHO_REPLY', xid, data },
  { type: 'EXPERIMENTER', xid, experimenter: 0x2320, expType: 1, data },
  { type: 'FEATURES_REQUEST', xid },
  {
    type: 'FEATURES_REPLY',
    xid,
    datapathId: 0x505400000001n,
    nBuffers: 256,
    nTables: 254,
    auxiliaryId: 0,
    capabilities: 0x4f,
    reserved: 0,
  },
  { type: 'GET_CONFIG_REQUEST', xid },
  { type: 'GET_CONFIG_REPLY', xid, flags: 0, missSendLen: 128 },
  { type: 'SET_CONFIG', xid, flags: 1, missSendLen: 0xffff },
  {
    type: 'PACKET_IN',
    xid,
    bufferId: OFP_NO_BUFFER,
    totalLen: 3,
    reason: 1,
    tableId: 2,
    cookie: U64_MAX,
    match: [{ field: 'IN_PORT', value: 3 }],
    data,
  },
  {
    type: 'FLOW_REMOVED',
    xid,
    cookie: 1n,
    priority: 5,
    reason: 0,
    tableId: 0,
    durationSec: 3,
    durationNsec: 5,
    idleTimeout: 10,
    hardTimeout: 0,
    ...counters,
    match,
  },
  { type: 'PORT_STATUS', xid, reason: 0, desc: port },
  {
    type: 'PACKET_OUT',
    xid,
    bufferId: OFP_NO_BUFFER,
    inPort: OFPP.CONTROLLER,
    actions: [out(OFPP.FLOOD)],
    data,
  },
  flowMod(match, everyInstruction, { xid, priority: 100, flags: 1 }),
  {
    type: 'GROUP_MOD',
    xid,
    command: 0,
    groupType: 1,
    groupId: 1,
    buckets: [bucket, { ...bucket, weight: 2 }],
  },
  { type: 'PORT_MOD', xid, portNo: 1, hwAddr: '50:54:00:00:00:01', config: 1, mask: 1, advertise: 0x20 },
  { type: 'TABLE_MOD', xid, tableId: 0xff, config: 0 },
  ...requests,
  ...replies,
  { type: 'BARRIER_REQUEST', xid },
  { type: 'BARRIER_REPLY', xid },
  { type: 'QUEUE_GET_CONFIG_REQUEST', xid, port: OFPP.ANY },
  {
    type: 'QUEUE_GET_CONFIG_REPLY',
    xid,
    port: 1,
    queues: [
      {
        queueId: 1,
        port: 1,
        properties: [
          { type: 'MIN_RATE', rate: 500 },
          { type: 'MAX_RATE', rate: 0xffff },
          { type: 'EXPERIMENTER', experimenter: 0x2320, data: new Uint8Array(8) },
        ],
      },
    ],
  },
  { type: 'ROLE_REQUEST', xid, role: 2, generationId: 16n },
  { type: 'ROLE_REPLY', xid, role: 3, generationId: U64_MAX },
  { type: 'GET_ASYNC_REQUEST', xid },
  { type: 'GET_ASYNC_REPLY', xid, ...asyncMasks },
  { type: 'SET_ASYNC', xid, ...asyncMasks },
  {
    type: 'METER_MOD',
    xid,
    command: 1,
    flags: OFPMF.KBPS | OFPMF.BURST,
    meterId: 1,
    bands: [
      { type: 'DROP', rate: 1000, burstSize: 100 },
      { type: 'DSCP_REMARK', rate: 2000, burstSize: 200, precLevel: 1 },
      { type: 'EXPERIMENTER', rate: 3000, burstSize: 300, experimenter: 0x2320, data: new Uint8Array(4) },
    ],
  },
];

describe('formatMessage on every message type', () => {
  it('covers every message type and every multipart type both ways', () => {
    expect(new Set(messages.map((m) => m.type))).toEqual(new Set(Object.keys(OFPT)));
    const mp = Object.keys(OFPMP);
    expect(requests.map((m) => m.mpType)).toEqual(mp);
    expect(replies.map((m) => m.mpType)).toEqual(mp);
  });

  it.each(messages.map((m) => [`${m.type}${'mpType' in m ? ` ${m.mpType}` : ''}`, m] as const))(
    '%s',
    (_n, m) => {
      // Through the wire first, so the object is one the codec produces.
      const decoded = decode(encode(m));
      const line = formatMessage(decoded);
      expectOneLine(line);
      expect(line).toMatch(/^OFPS?T_/);
      expect(line).toContain('(OF1.3) (xid=0x42):');
      expect(formatMessage(m)).toBe(line);
    },
  );

  const text = (type: string, mpType?: string) =>
    formatMessage(
      messages.find(
        (m) => m.type === type && (mpType === undefined || ('mpType' in m && m.mpType === mpType)),
      ) as Message,
    );

  it('prints the fields of the hand-built messages', () => {
    expect(text('HELLO')).toBe('OFPT_HELLO (OF1.3) (xid=0x42): version bitmap: 0x01, 0x04');
    expect(text('ERROR')).toBe(
      'OFPT_ERROR (OF1.3) (xid=0x42): OFPBMC_BAD_PREREQ data_len=8 [OFPT_BARRIER_REQUEST (OF1.3) (xid=0x7):]',
    );
    expect(text('EXPERIMENTER')).toBe(
      'OFPT_EXPERIMENTER (OF1.3) (xid=0x42): experimenter=0x00002320 (NX) exp_type=1 data_len=3',
    );
    expect(text('FEATURES_REPLY')).toContain(
      'capabilities: FLOW_STATS TABLE_STATS PORT_STATS GROUP_STATS QUEUE_STATS',
    );
    expect(text('SET_CONFIG')).toBe('OFPT_SET_CONFIG (OF1.3) (xid=0x42): frags=drop miss_send_len=65535');
    expect(text('PACKET_IN')).toBe(
      'OFPT_PACKET_IN (OF1.3) (xid=0x42): table_id=2 total_len=3 in_port=3 (via action) data_len=3 (unbuffered)',
    );
    expect(text('FLOW_REMOVED')).toBe(
      'OFPT_FLOW_REMOVED (OF1.3) (xid=0x42): priority=5,tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80,nxm1_0=0x00000005 ' +
        'reason=idle table_id=0 cookie:0x1 duration3.000000005s idle10 pkts1 bytes64',
    );
    expect(text('PORT_STATUS')).toBe(
      'OFPT_PORT_STATUS (OF1.3) (xid=0x42): ADD: 1(eth0): addr:50:54:00:00:00:01 config: 0 state: LIVE ' +
        'current: 1GB-FD COPPER AUTO_NEG speed: 1000 Mbps now, 1000 Mbps max',
    );
    expect(text('PACKET_OUT')).toBe(
      'OFPT_PACKET_OUT (OF1.3) (xid=0x42): in_port=CONTROLLER actions=FLOOD data_len=3',
    );
    expect(text('FLOW_MOD')).toBe(
      'OFPT_FLOW_MOD (OF1.3) (xid=0x42): ADD priority=100,tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80,nxm1_0=0x00000005 ' +
        `send_flow_rem actions=${formatInstructions(everyInstruction)}`,
    );
    expect(text('GROUP_MOD')).toBe(
      'OFPT_GROUP_MOD (OF1.3) (xid=0x42): ADD group_id=1,type=select,bucket=actions=output:1,bucket=weight:2,actions=output:1',
    );
    expect(text('PORT_MOD')).toBe(
      'OFPT_PORT_MOD (OF1.3) (xid=0x42): port: 1: addr:50:54:00:00:00:01 config: PORT_DOWN mask: PORT_DOWN advertise: 1GB-FD',
    );
    expect(text('TABLE_MOD')).toBe('OFPT_TABLE_MOD (OF1.3) (xid=0x42): table_id=ALL');
    expect(text('QUEUE_GET_CONFIG_REQUEST')).toBe(
      'OFPT_QUEUE_GET_CONFIG_REQUEST (OF1.3) (xid=0x42): port=ANY',
    );
    expect(text('QUEUE_GET_CONFIG_REPLY')).toBe(
      'OFPT_QUEUE_GET_CONFIG_REPLY (OF1.3) (xid=0x42): port=1 | queue 1: min_rate:50.0% experimenter=0x00002320 (NX) data_len=8',
    );
    expect(text('ROLE_REQUEST')).toBe('OFPT_ROLE_REQUEST (OF1.3) (xid=0x42): role=primary generation_id=16');
    expect(text('ROLE_REPLY')).toBe('OFPT_ROLE_REPLY (OF1.3) (xid=0x42): role=secondary');
    expect(text('GET_ASYNC_REPLY')).toBe(
      'OFPT_GET_ASYNC_REPLY (OF1.3) (xid=0x42): primary: PACKET_IN: no_match PORT_STATUS: add delete modify ' +
        'FLOW_REMOVED: idle hard delete group_delete | secondary: PACKET_IN: no_match action invalid_ttl ' +
        'PORT_STATUS: (off) FLOW_REMOVED: idle',
    );
    expect(text('METER_MOD')).toBe(
      'OFPT_METER_MOD (OF1.3) (xid=0x42): MOD meter=1 kbps burst bands= type=drop rate=1000 burst_size=100 ' +
        'type=dscp_remark rate=2000 burst_size=200 prec_level=1 type=experimenter rate=3000 burst_size=300 experimenter=0x00002320 (NX)',
    );
  });

  it('prints the fields of the hand-built multiparts', () => {
    expect(text('MULTIPART_REQUEST', 'FLOW')).toBe(
      'OFPST_FLOW request (OF1.3) (xid=0x42): table=1 out_port=2 cookie=0x1/0xff tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80,nxm1_0=0x00000005',
    );
    expect(text('MULTIPART_REQUEST', 'QUEUE')).toBe(
      'OFPST_QUEUE request (OF1.3) (xid=0x42): port=1 queue=ALL',
    );
    expect(text('MULTIPART_REQUEST', 'GROUP')).toBe('OFPST_GROUP request (OF1.3) (xid=0x42): group_id=ALL');
    expect(text('MULTIPART_REQUEST', 'METER')).toBe('OFPST_METER request (OF1.3) (xid=0x42): meter=all');
    expect(text('MULTIPART_REQUEST', 'PORT_DESC')).toBe('OFPST_PORT_DESC request (OF1.3) (xid=0x42):');
    expect(text('MULTIPART_REPLY', 'DESC')).toBe(
      'OFPST_DESC reply (OF1.3) (xid=0x42): Manufacturer: Maker | Hardware: hw | Software: sw | Serial Num: 1 | DP Description: dp',
    );
    expect(text('MULTIPART_REPLY', 'FLOW')).toBe(
      'OFPST_FLOW reply (OF1.3) (xid=0x42): cookie=0x0, duration=1.500s, table=0, n_packets=1, n_bytes=64, ' +
        'priority=10,in_port=1 actions=output:2 | cookie=0x5, duration=2s, table=1, n_packets=?, n_bytes=?, ' +
        'idle_timeout=10, hard_timeout=20, send_flow_rem actions=drop',
    );
    expect(text('MULTIPART_REPLY', 'PORT_STATS')).toContain(
      'port LOCAL: rx pkts=1, bytes=3, drop=0, errs=0, frame=0, over=0, crc=?',
    );
    expect(text('MULTIPART_REPLY', 'GROUP_DESC')).toBe(
      'OFPST_GROUP_DESC reply (OF1.3) (xid=0x42): group_id=1,type=all,bucket=weight:1,actions=output:1',
    );
    expect(text('MULTIPART_REPLY', 'GROUP_FEATURES')).toBe(
      'OFPST_GROUP_FEATURES reply (OF1.3) (xid=0x42): Group table: Types: 0xb Capabilities: 0x5 ' +
        'all group: max_groups=0x10 actions: output group select group: max_groups=0x10 actions: output ' +
        'ff group: max_groups=0x8 actions: set_field',
    );
    expect(text('MULTIPART_REPLY', 'METER_CONFIG')).toBe(
      'OFPST_METER_CONFIG reply (OF1.3) (xid=0x42): meter=1 pktps bands= type=drop rate=10',
    );
    expect(text('MULTIPART_REPLY', 'TABLE_FEATURES')).toBe(
      'OFPST_TABLE_FEATURES reply (OF1.3) (xid=0x42): flags=[more] table 0 ("table0"): ' +
        'metadata: match=0xffffffffffffffff write=0xffffffffffffffff max_entries=1000, ' +
        'instructions: goto_table apply_actions, next_tables: 1-3 7, apply_actions: output set_field, ' +
        'match: in_port exp_0x4f4e4600_1, experimenter: experimenter=0x00002320 (NX) exp_type=1 data_len=3',
    );
    const ports = text('MULTIPART_REPLY', 'PORT_DESC');
    expect(ports).toContain(
      '1(eth0): addr:50:54:00:00:00:01 config: 0 state: LIVE current: 1GB-FD COPPER AUTO_NEG',
    );
    expect(ports).toContain(' | LOCAL(br\\x0a0): ');
  });

  it('never throws, even on objects the codec would not produce', () => {
    const bad = [
      { type: 'NO_SUCH_TYPE', xid: 1 },
      { type: 'FLOW_MOD', xid: 2 },
      { type: 'MULTIPART_REPLY', xid: 3, mpType: 'NO_SUCH_MP', flags: 0 },
      { type: 'PACKET_OUT', xid: 4, actions: [{ type: 'NO_SUCH_ACTION' }], inPort: 1, bufferId: 1, data },
    ] as unknown as Message[];
    for (const m of bad) {
      const line = formatMessage(m);
      expect(line).not.toContain('\n');
      expect(line).toMatch(/^OFPS?T_\S+( reply)? \(OF1\.3\) \(xid=0x[1-4]\): /);
    }
    expect(formatMessage(bad[3] as Message)).toContain('actions=unknown_action:NO_SUCH_ACTION');
  });
});

describe('errors', () => {
  const error = (errType: number, code: number, bytes: Uint8Array, experimenter?: number): string =>
    formatMessage({
      type: 'ERROR',
      xid: 1,
      errType,
      code,
      data: bytes,
      ...(experimenter === undefined ? {} : { experimenter }),
    });

  it('names the error as Open vSwitch does and shows the failed request', () => {
    const flowMod = encode(messages.find((m) => m.type === 'FLOW_MOD') as Message);
    expect(error(4, 9, flowMod.subarray(0, 64))).toBe(
      'OFPT_ERROR (OF1.3) (xid=0x1): OFPBMC_BAD_PREREQ data_len=64 [OFPT_FLOW_MOD (OF1.3) (xid=0x42): (truncated)]',
    );
    expect(error(1, 1, flowMod)).toMatch(
      /^OFPT_ERROR \(OF1\.3\) \(xid=0x1\): OFPBRC_BAD_TYPE data_len=\d+ \[OFPT_FLOW_MOD \(OF1\.3\) \(xid=0x42\): ADD /,
    );
    expect(error(0, 0, new TextEncoder().encode('no common\nversion'))).toBe(
      'OFPT_ERROR (OF1.3) (xid=0x1): OFPHFC_INCOMPATIBLE "no common\\x0aversion"',
    );
    expect(error(12, 99, new Uint8Array(0))).toBe('OFPT_ERROR (OF1.3) (xid=0x1): OFPMMFC_code99');
    expect(error(77, 1, Uint8Array.of(1, 2))).toBe('OFPT_ERROR (OF1.3) (xid=0x1): type=77 code=1 data_len=2');
    expect(error(0xffff, 2600, new Uint8Array(0), 0x4f4e4600)).toBe(
      'OFPT_ERROR (OF1.3) (xid=0x1): OFPBIC_DUP_INST',
    );
    expect(error(0xffff, 5, new Uint8Array(0), 0x2320)).toBe(
      'OFPT_ERROR (OF1.3) (xid=0x1): OFPET_EXPERIMENTER experimenter=0x00002320 (NX) exp_type=5',
    );
  });
});

// ---------------------------------------------------------------------------------------
// The printers the flow-syntax printer will reuse.

describe('formatMatch', () => {
  const SAMPLE_VALUES = {
    u8: 1,
    u16: 1,
    u24: 1,
    u32: 1,
    u64: 1n,
    mac: 'aa:bb:cc:dd:ee:ff',
    ipv4: '10.0.0.1',
    ipv6: '2001:db8::1',
  };

  it.each(Object.keys(OXM_FIELDS) as OxmFieldName[])('prints %s', (field) => {
    const oxm = { field, value: SAMPLE_VALUES[OXM_FIELDS[field].kind] } as OxmBasic;
    const text = formatMatch([oxm]);
    expect(text).toMatch(/^[a-z0-9_]+=\S+$/);
    expect(text).not.toContain('undefined');
  });

  it('writes the protocol shorthand, CIDR masks and Open vSwitch names', () => {
    expect(formatMatch([])).toBe('');
    expect(formatMatch([], 0x8000)).toBe('');
    expect(formatMatch([], 7)).toBe('priority=7');
    expect(formatMatch(match, 100)).toBe(
      'priority=100,tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80,nxm1_0=0x00000005',
    );
    expect(
      formatMatch([
        { field: 'ETH_TYPE', value: 0x86dd },
        { field: 'IPV6_DST', value: '2001:db8::', mask: 'ffff:ffff::' },
        { field: 'IP_PROTO', value: 58 },
        { field: 'ICMPV6_TYPE', value: 135 },
        { field: 'IPV6_ND_TARGET', value: '2001:db8::1' },
      ]),
    ).toBe('icmp6,ipv6_dst=2001:db8::/32,icmp_type=135,nd_target=2001:db8::1');
    expect(
      formatMatch([
        { field: 'ETH_TYPE', value: 0x0800 },
        { field: 'IP_PROTO', value: 47 },
        { field: 'IP_DSCP', value: 10 },
        { field: 'IPV4_DST', value: '10.0.1.0', mask: '255.0.255.0' },
      ]),
    ).toBe('ip,nw_dst=10.0.1.0/255.0.255.0,nw_proto=47,nw_tos=40');
    expect(
      formatMatch([
        { field: 'ETH_TYPE', value: 0x88cc },
        { field: 'ETH_DST', value: '01:00:00:00:00:00', mask: '01:00:00:00:00:00' },
        { field: 'METADATA', value: 0x1n, mask: 0xffn },
        { field: 'TUNNEL_ID', value: 0x10n },
      ]),
    ).toBe('tun_id=0x10,metadata=0x1/0xff,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,dl_type=0x88cc');
    expect(formatMatch([{ field: 'IN_PORT', value: OFPP.LOCAL }])).toBe('in_port=LOCAL');
  });

  it('prints VLAN fields as Open vSwitch does', () => {
    expect(formatMatch([{ field: 'VLAN_VID', value: 0x1009 }])).toBe('dl_vlan=9');
    expect(formatMatch([{ field: 'VLAN_VID', value: 0 }])).toBe('vlan_tci=0x0000/0x1fff');
    expect(formatMatch([{ field: 'VLAN_VID', value: 0x1000, mask: 0x1000 }])).toBe('vlan_tci=0x1000/0x1000');
    expect(
      formatMatch([
        { field: 'VLAN_VID', value: 0x1005 },
        { field: 'VLAN_PCP', value: 3 },
      ]),
    ).toBe('dl_vlan=5,dl_vlan_pcp=3');
  });
});

describe('formatActions and formatInstructions', () => {
  it('writes actions in Open vSwitch syntax', () => {
    expect(formatActions([])).toBe('drop');
    expect(formatActions(everyAction)).toBe(
      'output:1,CONTROLLER:65535,LOCAL,copy_ttl_out,copy_ttl_in,set_mpls_ttl(9),dec_mpls_ttl,push_vlan:0x8100,pop_vlan,' +
        'push_mpls:0x8847,pop_mpls:0x0800,set_queue:4,group:5,mod_nw_ttl:64,dec_ttl,set_field:10.0.0.1->ip_dst,' +
        'set_field:00:11:22:33:44:55->eth_src,set_field:4101->vlan_vid,push_pbb:0x88e7,pop_pbb,experimenter(0x00002320,data=0x00010203)',
    );
    expect(formatActions([out(OFPP.IN_PORT), out(OFPP.NORMAL), out(OFPP.ALL), out(OFPP.TABLE)])).toBe(
      'IN_PORT,NORMAL,ALL,TABLE',
    );
  });

  it('writes instructions the way Open vSwitch prints a flow', () => {
    expect(formatInstructions([])).toBe('drop');
    expect(formatInstructions([{ type: 'APPLY_ACTIONS', actions: [] }])).toBe('drop');
    expect(formatInstructions(everyInstruction.filter((i) => i.type !== 'APPLY_ACTIONS'))).toBe(
      'meter:7,clear_actions,write_actions(output:2),write_metadata:0x10/0xff,goto_table:3,experimenter(0x00002320,data=0x00000000)',
    );
    expect(formatInstructions([{ type: 'WRITE_METADATA', metadata: 1n, metadataMask: U64_MAX }])).toBe(
      'write_metadata:0x1',
    );
  });

  it('names the reserved ports', () => {
    expect([OFPP.LOCAL, OFPP.CONTROLLER, OFPP.ANY, OFPP.FLOOD, 7].map(formatPort)).toEqual([
      'LOCAL',
      'CONTROLLER',
      'ANY',
      'FLOOD',
      '7',
    ]);
  });
});
