// Ryu's ofctl JSON both ways (src/ryu): numbers and reserved names, matches, actions and
// instructions, the request bodies of ofctl_rest, and the stats replies — checked against
// what Ryu's ofctl_v1_3 does with the same JSON.

import {
  OFPFC,
  OFPG,
  OFPP,
  OFP_NO_BUFFER,
  decode,
  encode,
  flowStats,
  type FlowStats,
  type Message,
} from '@rumpflow/openflow';
import { describe, expect, it } from 'vitest';
import { actionToRyu, instructionsFromRyu, instructionsToRyu } from '../src/ryu/actions.js';
import {
  RyuValueError,
  dpidFromUser,
  portFromUser,
  portToUser,
  strToInt,
  tableToUser,
} from '../src/ryu/ints.js';
import { matchFromRyu, matchToRyu } from '../src/ryu/match.js';
import {
  clearFlows,
  experimenterFromRyu,
  flowModFromRyu,
  flowStatsRequestFromRyu,
  groupModFromRyu,
  meterModFromRyu,
  packetOutFromRyu,
  portModFromRyu,
  roleRequestFromRyu,
} from '../src/ryu/mods.js';
import {
  flowStatsToRyu,
  groupFeaturesToRyu,
  meterConfigToRyu,
  meterFeaturesToRyu,
} from '../src/ryu/stats.js';
import { fakePort } from './fake-switch.js';

/** Encodes: whatever the converters make must be a message the codec can put on the wire. */
const wire = (m: object): Message => decode(encode({ xid: 1, ...m } as Message));

describe('numbers (ofctl_utils.str_to_int and the reserved names)', () => {
  it('takes integers and decimal, hex, octal and binary text, as int(str(v), 0)', () => {
    expect(strToInt(10, 'x')).toBe(10n);
    expect(strToInt('10', 'x')).toBe(10n);
    expect(strToInt('0x1f', 'x')).toBe(31n);
    expect(strToInt('0o17', 'x')).toBe(15n);
    expect(strToInt('0b101', 'x')).toBe(5n);
    expect(strToInt('-1', 'x')).toBe(-1n);
    expect(strToInt(18446744073709551615n, 'x')).toBe(18446744073709551615n);
    for (const bad of ['', 'ten', '1.5', '010', '0x', 1.5, null, true])
      expect(() => strToInt(bad, 'x')).toThrow(RyuValueError);
  });

  it('refuses a JSON number that a double may already have rounded', () => {
    expect(() => strToInt(2 ** 60, 'cookie')).toThrow(/send it as a string/);
  });

  it('datapath ids are exact 64-bit integers, decimal or 0x hex', () => {
    expect(dpidFromUser('18364758544493064720')).toBe(0xfedcba9876543210n);
    expect(dpidFromUser('0xfedcba9876543210')).toBe(0xfedcba9876543210n);
    expect(() => dpidFromUser('18446744073709551616')).toThrow(/does not fit in 64 bits/);
  });

  it('reserved ports, tables and groups by name, with or without the prefix, any case', () => {
    expect(portFromUser('CONTROLLER')).toBe(OFPP.CONTROLLER);
    expect(portFromUser('OFPP_LOCAL')).toBe(OFPP.LOCAL);
    expect(portFromUser('in_port')).toBe(OFPP.IN_PORT);
    expect(portFromUser('7')).toBe(7);
    expect(portToUser(OFPP.FLOOD)).toBe('FLOOD');
    expect(portToUser(3)).toBe(3);
    expect(tableToUser(0xff)).toBe('ALL');
    expect(() => portFromUser('NOWHERE')).toThrow(/neither a number nor one of/);
    expect(() => portFromUser(2 ** 32)).toThrow(/32 bits/);
  });
});

describe('matches (ofctl_v1_3.to_match / match_to_str)', () => {
  it('reads the old names, masks, prefix lengths, and puts the fields in OXM order', () => {
    const m = matchFromRyu({
      tp_dst: 80,
      nw_dst: '10.0.0.0/8',
      nw_src: '192.168.1.1/255.255.255.0',
      nw_proto: 6,
      dl_type: 0x0800,
      dl_src: '02:00:00:00:00:AA',
      in_port: 'LOCAL',
      metadata: '0x10/0xff',
      ipv6_flabel: 5,
    });
    expect(m).toEqual([
      { field: 'IN_PORT', value: OFPP.LOCAL },
      { field: 'METADATA', value: 0x10n, mask: 0xffn },
      { field: 'ETH_SRC', value: '02:00:00:00:00:aa' },
      { field: 'ETH_TYPE', value: 0x0800 },
      { field: 'IP_PROTO', value: 6 },
      { field: 'IPV4_SRC', value: '192.168.1.1', mask: '255.255.255.0' },
      { field: 'IPV4_DST', value: '10.0.0.0', mask: '255.0.0.0' },
      { field: 'TCP_DST', value: 80 },
      { field: 'IPV6_FLABEL', value: 5 },
    ]);
  });

  it('tp_src/tp_dst follow nw_proto (TCP, UDP, SCTP); without one they are refused', () => {
    expect(matchFromRyu({ dl_type: 2048, nw_proto: 17, tp_src: 53 })).toContainEqual({
      field: 'UDP_SRC',
      value: 53,
    });
    expect(matchFromRyu({ dl_type: 2048, ip_proto: 132, tp_dst: 9 })).toContainEqual({
      field: 'SCTP_DST',
      value: 9,
    });
    expect(() => matchFromRyu({ tp_dst: 80 })).toThrow(/needs nw_proto/);
  });

  it('nw_src/nw_dst of an ARP match are the ARP addresses, as in Ryu', () => {
    expect(matchFromRyu({ dl_type: 0x0806, nw_src: '10.0.0.1', nw_dst: '10.0.0.2' })).toEqual([
      { field: 'ETH_TYPE', value: 0x0806 },
      { field: 'ARP_SPA', value: '10.0.0.1' },
      { field: 'ARP_TPA', value: '10.0.0.2' },
    ]);
  });

  it('dl_vlan: a decimal VID gets OFPVID_PRESENT, hex text and masks are raw (to_match_vid)', () => {
    expect(matchFromRyu({ dl_vlan: 5 })).toEqual([{ field: 'VLAN_VID', value: 0x1005 }]);
    expect(matchFromRyu({ dl_vlan: '5' })).toEqual([{ field: 'VLAN_VID', value: 0x1005 }]);
    expect(matchFromRyu({ vlan_vid: '0x0000' })).toEqual([{ field: 'VLAN_VID', value: 0 }]);
    expect(matchFromRyu({ vlan_vid: '0x1000/0x1000' })).toEqual([
      { field: 'VLAN_VID', value: 0x1000, mask: 0x1000 },
    ]);
  });

  it('IPv6 addresses and prefixes, 64-bit fields exact', () => {
    expect(
      matchFromRyu({ eth_type: 0x86dd, ipv6_dst: '2001:DB8::1/64', tunnel_id: '18446744073709551615' }),
    ).toEqual([
      { field: 'ETH_TYPE', value: 0x86dd },
      { field: 'IPV6_DST', value: '2001:db8::1', mask: 'ffff:ffff:ffff:ffff::' },
      { field: 'TUNNEL_ID', value: 0xffffffffffffffffn },
    ]);
  });

  it('refuses unknown fields, duplicates (old and new name) and values that do not fit', () => {
    expect(() => matchFromRyu({ nw_tos: 1 })).toThrow(/unknown match field "nw_tos"/);
    expect(() => matchFromRyu({ dl_dst: '00:00:00:00:00:01', eth_dst: '00:00:00:00:00:02' })).toThrow(
      /given twice/,
    );
    expect(() => matchFromRyu({ in_port: 'x' })).toThrow(RyuValueError);
    expect(() => matchFromRyu({ eth_type: 0x10000 })).toThrow(/16 bits/);
    expect(() => matchFromRyu({ dl_dst: '00:00:00:00:01' })).toThrow(/MAC/);
    expect(() => matchFromRyu({ eth_type: 2048, ipv4_dst: '10.0.0.256' })).toThrow(/IPv4/);
  });

  it('leaves missing prerequisites to the switch (which answers BAD_PREREQ), as Ryu does', () => {
    expect(matchFromRyu({ nw_dst: '10.0.0.1' })).toEqual([{ field: 'IPV4_DST', value: '10.0.0.1' }]);
  });

  it('prints matches as match_to_str: old names, value/mask, dl_vlan VID text, reserved ports', () => {
    expect(
      matchToRyu([
        { field: 'IN_PORT', value: OFPP.CONTROLLER },
        { field: 'ETH_DST', value: '00:00:00:00:00:01', mask: 'ff:ff:ff:00:00:00' },
        { field: 'ETH_TYPE', value: 0x0800 },
        { field: 'VLAN_VID', value: 0x1005 },
        { field: 'IP_PROTO', value: 17 },
        { field: 'IPV4_DST', value: '10.0.0.0', mask: '255.0.0.0' },
        { field: 'UDP_DST', value: 53 },
        { field: 'METADATA', value: 0xfedcba9876543210n },
      ]),
    ).toEqual({
      in_port: 'CONTROLLER',
      dl_dst: '00:00:00:00:00:01/ff:ff:ff:00:00:00',
      dl_type: 2048,
      dl_vlan: '5',
      nw_proto: 17,
      nw_dst: '10.0.0.0/255.0.0.0',
      tp_dst: 53,
      metadata: 0xfedcba9876543210n,
    });
    expect(matchToRyu([{ field: 'VLAN_VID', value: 0 }])).toEqual({ dl_vlan: '0x0000' });
    expect(matchToRyu([{ field: 'VLAN_VID', value: 0x1000, mask: 0x1000 }])).toEqual({
      dl_vlan: '0x1000/0x1000',
    });
  });
});

describe('actions and instructions (to_actions / actions_to_str)', () => {
  it('plain actions make one APPLY_ACTIONS; instructions come out in the order the switch runs them', () => {
    const inst = instructionsFromRyu([
      { type: 'GOTO_TABLE', table_id: 1 },
      { type: 'OUTPUT', port: 2 },
      { type: 'WRITE_METADATA', metadata: 1 },
      { type: 'SET_FIELD', field: 'vlan_vid', value: 4102 },
      { type: 'METER', meter_id: 3 },
      { type: 'WRITE_ACTIONS', actions: [{ type: 'GROUP', group_id: 7 }] },
      { type: 'CLEAR_ACTIONS' },
      { type: 'PUSH_VLAN', ethertype: 33024 },
    ]);
    expect(inst).toEqual([
      { type: 'METER', meterId: 3 },
      {
        type: 'APPLY_ACTIONS',
        actions: [
          { type: 'OUTPUT', port: 2, maxLen: 0xffe5 },
          { type: 'SET_FIELD', field: { field: 'VLAN_VID', value: 4102 } },
          { type: 'PUSH_VLAN', ethertype: 33024 },
        ],
      },
      { type: 'CLEAR_ACTIONS' },
      { type: 'WRITE_ACTIONS', actions: [{ type: 'GROUP', groupId: 7 }] },
      { type: 'WRITE_METADATA', metadata: 1n, metadataMask: 0xffffffffffffffffn },
      { type: 'GOTO_TABLE', tableId: 1 },
    ]);
    expect(instructionsToRyu(inst)).toEqual([
      'METER:3',
      'OUTPUT:2',
      'SET_FIELD: {vlan_vid:4102}',
      'PUSH_VLAN:33024',
      'CLEAR_ACTIONS',
      { WRITE_ACTIONS: ['GROUP:7'] },
      'WRITE_METADATA:0x1/0xffffffffffffffff',
      'GOTO_TABLE:1',
    ]);
  });

  it('every action type of Ryu, and back to its string', () => {
    const all = [
      { type: 'OUTPUT', port: 'CONTROLLER', max_len: 'NO_BUFFER' },
      { type: 'COPY_TTL_OUT' },
      { type: 'COPY_TTL_IN' },
      { type: 'SET_MPLS_TTL', mpls_ttl: 64 },
      { type: 'DEC_MPLS_TTL' },
      { type: 'PUSH_VLAN', ethertype: 0x8100 },
      { type: 'POP_VLAN' },
      { type: 'PUSH_MPLS', ethertype: 0x8847 },
      { type: 'POP_MPLS', ethertype: 0x0800 },
      { type: 'SET_QUEUE', queue_id: 1 },
      { type: 'GROUP', group_id: 'ALL' },
      { type: 'SET_NW_TTL', nw_ttl: 9 },
      { type: 'DEC_NW_TTL' },
      { type: 'SET_FIELD', field: 'eth_dst', value: '00:00:00:00:00:01' },
      { type: 'PUSH_PBB', ethertype: 0x88e7 },
      { type: 'POP_PBB' },
      { type: 'EXPERIMENTER', experimenter: 0x2320, data_type: 'base64', data: 'AAAAAAAAAAA=' },
    ];
    const [apply] = instructionsFromRyu(all);
    if (apply?.type !== 'APPLY_ACTIONS') throw new Error('expected APPLY_ACTIONS');
    expect(apply.actions.map(actionToRyu)).toEqual([
      'OUTPUT:CONTROLLER',
      'COPY_TTL_OUT',
      'COPY_TTL_IN',
      'SET_MPLS_TTL:64',
      'DEC_MPLS_TTL',
      'PUSH_VLAN:33024',
      'POP_VLAN',
      'PUSH_MPLS:34887',
      'POP_MPLS:2048',
      'SET_QUEUE:1',
      'GROUP:ALL',
      'SET_NW_TTL:9',
      'DEC_NW_TTL',
      'SET_FIELD: {eth_dst:00:00:00:00:00:01}',
      'PUSH_PBB:35047',
      'POP_PBB',
      'EXPERIMENTER: {experimenter:8992, data:AAAAAAAAAAA=}',
    ]);
    wire(flowModFromRyu({ dpid: 1, actions: all }, OFPFC.ADD));
  });

  it('refuses unknown types, missing arguments, repeated instructions and instructions in buckets', () => {
    expect(() => instructionsFromRyu([{ type: 'FLY' }])).toThrow(/unknown action type "FLY"/);
    expect(() => instructionsFromRyu([{ type: 'PUSH_VLAN' }])).toThrow(/needs "ethertype"/);
    expect(() => instructionsFromRyu([{ type: 'SET_FIELD', field: 'nowhere', value: 1 }])).toThrow(
      /unknown field/,
    );
    expect(() =>
      instructionsFromRyu([
        { type: 'GOTO_TABLE', table_id: 1 },
        { type: 'GOTO_TABLE', table_id: 2 },
      ]),
    ).toThrow(/given twice/);
    expect(() => instructionsFromRyu([{ type: 'EXPERIMENTER', experimenter: 1, data: 'abc' }])).toThrow(
      /multiple of 8/,
    );
    expect(() =>
      groupModFromRyu({ buckets: [{ actions: [{ type: 'GOTO_TABLE', table_id: 1 }] }] }, 0),
    ).toThrow(/instruction, not an action/);
  });
});

describe('request bodies (mod_flow_entry, mod_group_entry, ...)', () => {
  it('flow entries: Ryu defaults (table 0, priority 0, no buffer, ANY), 64-bit cookies exact', () => {
    const fm = flowModFromRyu(
      {
        dpid: 1,
        cookie: '18446744073709551615',
        cookie_mask: 1,
        table_id: 0,
        idle_timeout: 30,
        hard_timeout: 30,
        priority: 11111,
        flags: 1,
        match: { in_port: 1 },
        actions: [{ type: 'OUTPUT', port: 2 }],
      },
      OFPFC.ADD,
    );
    expect(fm).toMatchObject({
      cookie: 0xffffffffffffffffn,
      cookieMask: 1n,
      tableId: 0,
      idleTimeout: 30,
      hardTimeout: 30,
      priority: 11111,
      flags: 1,
      bufferId: OFP_NO_BUFFER,
      outPort: OFPP.ANY,
      outGroup: OFPG.ANY,
    });
    expect(wire(fm)).toMatchObject({ type: 'FLOW_MOD', cookie: 0xffffffffffffffffn });
    expect(flowModFromRyu({ dpid: 1 }, OFPFC.DELETE)).toMatchObject({
      command: OFPFC.DELETE,
      tableId: 0,
      priority: 0,
      match: [],
      instructions: [],
    });
    expect(clearFlows()).toMatchObject({ command: OFPFC.DELETE, tableId: 0xff });
    expect(() => flowModFromRyu({ priority: 70000 }, 0)).toThrow(/16 bits/);
  });

  it('flow stats filters: table ALL unless given; priority filtered by ofc', () => {
    expect(flowStatsRequestFromRyu(undefined)).toMatchObject({
      body: { tableId: 0xff, outPort: OFPP.ANY, outGroup: OFPG.ANY, cookie: 0n, cookieMask: 0n, match: [] },
      priority: undefined,
    });
    expect(flowStatsRequestFromRyu({ priority: 5, table_id: 1, match: { in_port: 2 } })).toMatchObject({
      body: { tableId: 1, match: [{ field: 'IN_PORT', value: 2 }] },
      priority: 5,
    });
  });

  it('groups, meters, port mods, roles, experimenter messages and packets out', () => {
    const g = groupModFromRyu(
      {
        dpid: 1,
        type: 'SELECT',
        group_id: 1,
        buckets: [{ weight: 100, actions: [{ type: 'OUTPUT', port: 1 }] }],
      },
      0,
    );
    expect(g).toEqual({
      type: 'GROUP_MOD',
      command: 0,
      groupType: 1,
      groupId: 1,
      buckets: [
        {
          weight: 100,
          watchPort: OFPP.ANY,
          watchGroup: OFPG.ANY,
          actions: [{ type: 'OUTPUT', port: 1, maxLen: 0xffe5 }],
        },
      ],
    });
    wire(g);
    expect(() => groupModFromRyu({ type: 'ANY' }, 0)).toThrow(/unknown group type/);
    const m = meterModFromRyu(
      {
        dpid: 1,
        flags: ['KBPS', 'BURST'],
        meter_id: 1,
        bands: [
          { type: 'DROP', rate: 1000, burst_size: 10 },
          { type: 'DSCP_REMARK', rate: 10, prec_level: 1 },
        ],
      },
      0,
    );
    expect(m).toEqual({
      type: 'METER_MOD',
      command: 0,
      flags: 5,
      meterId: 1,
      bands: [
        { type: 'DROP', rate: 1000, burstSize: 10 },
        { type: 'DSCP_REMARK', rate: 10, burstSize: 0, precLevel: 1 },
      ],
    });
    wire(m);
    expect(meterModFromRyu({ flags: 'PKTPS' }, 2).flags).toBe(2);
    expect(() => meterModFromRyu({ flags: 'FAST' }, 0)).toThrow(/unknown meter flag/);
    const pm = portModFromRyu({ port_no: 2, config: 1, mask: 1 }, fakePort(2));
    expect(pm).toEqual({
      type: 'PORT_MOD',
      portNo: 2,
      hwAddr: '02:00:00:00:00:02',
      config: 1,
      mask: 1,
      advertise: 0,
    });
    wire(pm);
    expect(roleRequestFromRyu({ role: 'MASTER', generation_id: '0xffffffffffffffff' })).toEqual({
      type: 'ROLE_REQUEST',
      role: 2,
      generationId: 0xffffffffffffffffn,
    });
    expect(roleRequestFromRyu({})).toEqual({ type: 'ROLE_REQUEST', role: 1, generationId: 0n });
    expect(experimenterFromRyu({ experimenter: 0x2320, exp_type: 1, data: 'hi' })).toMatchObject({
      experimenter: 0x2320,
      expType: 1,
      data: new Uint8Array([0x68, 0x69]),
    });
    const po = packetOutFromRyu({
      in_port: 1,
      actions: [{ type: 'OUTPUT', port: 'FLOOD' }],
      data: Buffer.from('ffffffffffff').toString('base64'),
    });
    expect(po).toMatchObject({
      bufferId: OFP_NO_BUFFER,
      inPort: 1,
      actions: [{ type: 'OUTPUT', port: OFPP.FLOOD }],
    });
    expect(packetOutFromRyu({ data: 'ffffffffffff', data_type: 'hex' }).data).toEqual(
      new Uint8Array([255, 255, 255, 255, 255, 255]),
    );
    expect(() => packetOutFromRyu({})).toThrow(/needs data/);
  });
});

describe('stats replies (get_flow_stats, get_group_features, ...)', () => {
  it('a flow entry as Ryu prints it, with its length and exact counters', () => {
    const s: FlowStats = {
      tableId: 0,
      durationSec: 5,
      durationNsec: 7,
      priority: 100,
      idleTimeout: 0,
      hardTimeout: 0,
      flags: 1,
      cookie: 0xfedcba9876543210n,
      packetCount: 2n ** 60n,
      byteCount: 3n,
      match: [{ field: 'IN_PORT', value: 1 }],
      instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 2, maxLen: 0 }] }],
    };
    expect(flowStatsToRyu(s)).toEqual({
      priority: 100,
      cookie: 0xfedcba9876543210n,
      idle_timeout: 0,
      hard_timeout: 0,
      byte_count: 3n,
      duration_sec: 5,
      duration_nsec: 7,
      packet_count: 2n ** 60n,
      length: flowStats.size(s),
      flags: 1,
      actions: ['OUTPUT:2'],
      match: { in_port: 1 },
      table_id: 0,
    });
    expect(flowStats.size(s)).toBe(48 + 16 + 24); // header, match padded to 8, APPLY_ACTIONS(OUTPUT)
  });

  it('group and meter features as lists of names', () => {
    expect(
      groupFeaturesToRyu({
        type: 'MULTIPART_REPLY',
        xid: 1,
        mpType: 'GROUP_FEATURES',
        flags: 0,
        types: 0b1011,
        capabilities: 5,
        maxGroups: [10, 20, 0, 40],
        actions: [1, 1 << 22, 0, 0],
      }),
    ).toEqual({
      types: ['ALL', 'SELECT', 'FF'],
      capabilities: ['SELECT_WEIGHT', 'CHAINING'],
      max_groups: [{ ALL: 10 }, { SELECT: 20 }, { INDIRECT: 0 }, { FF: 40 }],
      actions: [{ ALL: ['OUTPUT'] }, { SELECT: ['GROUP'] }, { INDIRECT: [] }, { FF: [] }],
    });
    expect(
      meterFeaturesToRyu({
        type: 'MULTIPART_REPLY',
        xid: 1,
        mpType: 'METER_FEATURES',
        flags: 0,
        maxMeter: 100,
        bandTypes: 0b110,
        capabilities: 0xf,
        maxBands: 2,
        maxColor: 0,
      }),
    ).toEqual({
      max_meter: 100,
      band_types: ['DROP', 'DSCP_REMARK'],
      capabilities: ['KBPS', 'PKTPS', 'BURST', 'STATS'],
      max_bands: 2,
      max_color: 0,
    });
    expect(
      meterConfigToRyu({
        flags: 9,
        meterId: 0xffffffff,
        bands: [{ type: 'DSCP_REMARK', rate: 5, burstSize: 0, precLevel: 2 }],
      }),
    ).toEqual({
      flags: ['KBPS', 'STATS'],
      bands: [{ rate: 5, burst_size: 0, type: 'DSCP_REMARK', prec_level: 2 }],
      meter_id: 'ALL',
    });
  });
});
