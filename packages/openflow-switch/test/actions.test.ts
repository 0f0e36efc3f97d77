// Every action executed on real frames, through FLOW_MODs and frames on ports as a controller
// and a wire would drive the switch. Each case sends a frame built by @rumpflow/packet's
// builders and compares the frame that leaves with one built FROM SCRATCH with the new
// values (so every field and every checksum is checked at once, the builder computing its
// checksums anew rather than adjusting them); every emitted frame is also checked with the
// packet package's checksum verifier and, at the end, by tshark's dissectors.

import { type Action, type Instruction, OFPFC, OFPR } from '@rumpflow/openflow';
import {
  FlowKey,
  buildArp,
  buildIcmp,
  buildIcmpv6,
  buildNdAdvert,
  buildNdSolicit,
  buildPbb,
  buildSctp,
  buildTcp,
  buildUdp,
  checksumsValid,
  parseFrame,
  type UdpOptions,
} from '@rumpflow/packet';
import { pcapOf, requireTshark, runTshark } from '@rumpflow/test-tools';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DatapathOptions } from '../src/index.js';
import { Controller, attach, flowStatsRequest, fm, makeSwitch } from './harness.js';

const A = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' };
const V4 = { src: '10.0.0.1', dst: '10.0.0.2' };
const V6 = { src: '2001:db8::1', dst: '2001:db8::2', ipv6: true };
const payload = Uint8Array.from({ length: 24 }, (_, i) => i * 7);

const udp4 = (o: Partial<UdpOptions> = {}) =>
  buildUdp({ ...A, ...V4, srcPort: 1000, dstPort: 2000, payload, ...o });
const udp6 = (o: Partial<UdpOptions> = {}) =>
  buildUdp({ ...A, ...V6, srcPort: 1000, dstPort: 2000, payload, ...o });

const OUT2: Action = { type: 'OUTPUT', port: 2, maxLen: 0 };
const set = (field: string, value: unknown): Action =>
  ({ type: 'SET_FIELD', field: { field, value } }) as Action;

/** Every frame a test saw leave the switch, for the tshark check at the end. */
const emitted: Uint8Array[] = [];

function rig(opts: Partial<DatapathOptions> = {}) {
  const { dp, clock } = makeSwitch(opts);
  const out = new Map<number, Uint8Array[]>();
  for (const n of [1, 2, 3, 4]) out.set(n, attach(dp, n));
  const c = new Controller(dp);
  return { dp, clock, c, out, port: (n: number) => out.get(n) as Uint8Array[] };
}

/** The frame is what it should be, byte for byte, and its checksums verify. */
function expectFrame(got: Uint8Array | undefined, want: Uint8Array): void {
  expect(got).toBeDefined();
  const g = got as Uint8Array;
  expect(Buffer.from(g).toString('hex')).toBe(Buffer.from(want).toString('hex'));
  expect(checksumsValid(g, parseFrame(g, new FlowKey()))).toBe(true);
  emitted.push(g);
}

/** Install `match` → apply-actions `actions`, output:2; send `frame` in on port 1; what left on port 2. */
function through(match: string, actions: Action[], frame: Uint8Array): Uint8Array | undefined {
  const { dp, c, port } = rig();
  c.ok(
    fm(`${match},actions=drop`, OFPFC.ADD, {
      instructions: [{ type: 'APPLY_ACTIONS', actions: [...actions, OUT2] }],
    }),
  );
  dp.receiveFrame(1, Buffer.from(frame));
  expect(port(2)).toHaveLength(1);
  return port(2)[0];
}

type Case = [name: string, match: string, actions: Action[], input: Uint8Array, want: Uint8Array];

const setFieldCases: Case[] = [
  [
    'ETH_SRC, ETH_DST',
    'in_port=1',
    [set('ETH_SRC', '02:aa:bb:cc:dd:01'), set('ETH_DST', '02:aa:bb:cc:dd:02')],
    udp4(),
    udp4({ srcMac: '02:aa:bb:cc:dd:01', dstMac: '02:aa:bb:cc:dd:02' }),
  ],
  [
    'IPV4_SRC, IPV4_DST, IP_DSCP, IP_ECN, UDP_SRC, UDP_DST',
    'udp',
    [
      set('IPV4_SRC', '192.0.2.9'),
      set('IPV4_DST', '198.51.100.77'),
      set('IP_DSCP', 46),
      set('IP_ECN', 3),
      set('UDP_SRC', 40053),
      set('UDP_DST', 65535),
    ],
    udp4(),
    udp4({ src: '192.0.2.9', dst: '198.51.100.77', dscp: 46, ecn: 3, srcPort: 40053, dstPort: 65535 }),
  ],
  [
    'IPV4_DST on UDP without a checksum (it stays "none")',
    'udp',
    [set('IPV4_DST', '10.9.9.9')],
    udp4({ noChecksum: true }),
    udp4({ noChecksum: true, dst: '10.9.9.9' }),
  ],
  [
    'TCP_SRC, TCP_DST with the addresses',
    'tcp',
    [set('TCP_SRC', 8080), set('TCP_DST', 443), set('IPV4_SRC', '172.16.0.1')],
    buildTcp({ ...A, ...V4, srcPort: 1, dstPort: 2, flags: 0x18, seq: 7, ack: 9, payload }),
    buildTcp({
      ...A,
      ...V4,
      src: '172.16.0.1',
      srcPort: 8080,
      dstPort: 443,
      flags: 0x18,
      seq: 7,
      ack: 9,
      payload,
    }),
  ],
  [
    'IPV6_SRC, IPV6_DST, IPV6_FLABEL, IP_DSCP, TCP ports',
    'tcp6',
    [
      set('IPV6_SRC', 'fd00::77'),
      set('IPV6_DST', '2001:db8:ffff::1'),
      set('IPV6_FLABEL', 0xbeef),
      set('IP_DSCP', 10),
      set('TCP_DST', 22),
    ],
    buildTcp({ ...A, ...V6, srcPort: 1, dstPort: 2, flags: 2, seq: 1, ack: 0, payload }),
    buildTcp({
      ...A,
      ...V6,
      src: 'fd00::77',
      dst: '2001:db8:ffff::1',
      flowLabel: 0xbeef,
      dscp: 10,
      srcPort: 1,
      dstPort: 22,
      flags: 2,
      seq: 1,
      ack: 0,
      payload,
    }),
  ],
  [
    'UDP over IPv6',
    'udp6',
    [set('UDP_SRC', 7), set('IPV6_SRC', '2001:db8::99')],
    udp6(),
    udp6({ srcPort: 7, src: '2001:db8::99' }),
  ],
  [
    'SCTP_SRC, SCTP_DST (CRC32c)',
    'sctp',
    [set('SCTP_SRC', 40000), set('SCTP_DST', 40001), set('IPV4_DST', '10.0.0.99')],
    buildSctp({ ...A, ...V4, srcPort: 5, dstPort: 6, payload }),
    buildSctp({ ...A, ...V4, dst: '10.0.0.99', srcPort: 40000, dstPort: 40001, payload }),
  ],
  [
    'ICMPV4_TYPE, ICMPV4_CODE',
    'icmp',
    [set('ICMPV4_TYPE', 3), set('ICMPV4_CODE', 1)],
    buildIcmp({ ...A, ...V4, type: 8, code: 0, body: payload }),
    buildIcmp({ ...A, ...V4, type: 3, code: 1, body: payload }),
  ],
  [
    'ICMPV6_TYPE, ICMPV6_CODE',
    'icmp6',
    [set('ICMPV6_TYPE', 1), set('ICMPV6_CODE', 4)],
    buildIcmpv6({ ...A, ...V6, type: 128, code: 0, body: payload }),
    buildIcmpv6({ ...A, ...V6, type: 1, code: 4, body: payload }),
  ],
  [
    'IPV6_ND_TARGET, IPV6_ND_SLL',
    'icmp6,icmp_type=135',
    [set('IPV6_ND_TARGET', 'fe80::beef'), set('IPV6_ND_SLL', '02:11:22:33:44:55')],
    buildNdSolicit({ srcMac: A.srcMac, src: 'fe80::1', target: 'fe80::2' }),
    buildNdSolicit({
      srcMac: A.srcMac,
      src: 'fe80::1',
      target: 'fe80::beef',
      dst: 'ff02::1:ff00:2',
      dstMac: '33:33:ff:00:00:02',
      sll: '02:11:22:33:44:55',
    }),
  ],
  [
    'IPV6_ND_TLL',
    'icmp6,icmp_type=136',
    [set('IPV6_ND_TLL', '02:11:22:33:44:66')],
    buildNdAdvert({ srcMac: A.srcMac, src: 'fe80::1', target: 'fe80::1', dst: 'fe80::2', dstMac: A.dstMac }),
    buildNdAdvert({
      srcMac: A.srcMac,
      src: 'fe80::1',
      target: 'fe80::1',
      dst: 'fe80::2',
      dstMac: A.dstMac,
      tll: '02:11:22:33:44:66',
    }),
  ],
  [
    'ARP_OP, ARP_SPA, ARP_TPA, ARP_SHA, ARP_THA',
    'arp',
    [
      set('ARP_OP', 2),
      set('ARP_SPA', '10.1.1.1'),
      set('ARP_TPA', '10.1.1.2'),
      set('ARP_SHA', '02:00:00:00:aa:01'),
      set('ARP_THA', '02:00:00:00:aa:02'),
    ],
    buildArp({
      srcMac: A.srcMac,
      dstMac: A.dstMac,
      op: 'request',
      sha: A.srcMac,
      spa: '10.0.0.1',
      tpa: '10.0.0.2',
    }),
    buildArp({
      srcMac: A.srcMac,
      dstMac: A.dstMac,
      op: 2,
      sha: '02:00:00:00:aa:01',
      spa: '10.1.1.1',
      tha: '02:00:00:00:aa:02',
      tpa: '10.1.1.2',
    }),
  ],
  [
    'VLAN_VID, VLAN_PCP',
    'dl_vlan=10',
    [set('VLAN_VID', 0x1000 | 20), set('VLAN_PCP', 5)],
    udp4({ vlan: { vid: 10, pcp: 1 } }),
    udp4({ vlan: { vid: 20, pcp: 5 } }),
  ],
  [
    'MPLS_LABEL, MPLS_TC',
    'mpls',
    [set('MPLS_LABEL', 0xabcde), set('MPLS_TC', 6)],
    udp4({ mpls: [{ label: 100, tc: 1, ttl: 30 }] }),
    udp4({ mpls: [{ label: 0xabcde, tc: 6, ttl: 30 }] }),
  ],
  [
    'PBB_ISID',
    'dl_type=0x88e7',
    [set('PBB_ISID', 0x123456)],
    buildPbb({ bDst: A.dstMac, bSrc: A.srcMac, isid: 7, inner: udp4() }),
    buildPbb({ bDst: A.dstMac, bSrc: A.srcMac, isid: 0x123456, inner: udp4() }),
  ],
];

const encapCases: Case[] = [
  [
    'PUSH_VLAN 0x8100 on an untagged frame, then SET_FIELD VLAN_VID',
    'in_port=1',
    [{ type: 'PUSH_VLAN', ethertype: 0x8100 }, set('VLAN_VID', 0x1000 | 7)],
    udp4(),
    udp4({ vlan: 7 }),
  ],
  [
    'PUSH_VLAN 0x88a8 on a tagged frame: an outer S-tag copying VID and PCP',
    'dl_vlan=10',
    [{ type: 'PUSH_VLAN', ethertype: 0x88a8 }],
    udp4({ vlan: { vid: 10, pcp: 3 } }),
    udp4({
      vlan: [
        { vid: 10, pcp: 3, tpid: 0x88a8 },
        { vid: 10, pcp: 3, tpid: 0x8100 },
      ],
    }),
  ],
  ['POP_VLAN', 'dl_vlan=10', [{ type: 'POP_VLAN' }], udp4({ vlan: 10 }), udp4()],
  [
    'POP_VLAN of the outer tag of two',
    'dl_vlan=10',
    [{ type: 'POP_VLAN' }],
    udp4({ vlan: [{ vid: 10 }, { vid: 20 }] }),
    udp4({ vlan: 20 }),
  ],
  [
    'PUSH_MPLS on IPv4: label 0, BOS, the IP TTL',
    'ip',
    [{ type: 'PUSH_MPLS', ethertype: 0x8847 }],
    udp4({ ttl: 33 }),
    udp4({ ttl: 33, mpls: [{ label: 0, ttl: 33 }] }),
  ],
  [
    'PUSH_MPLS on a tagged frame: after the VLAN tag',
    'dl_vlan=10',
    [{ type: 'PUSH_MPLS', ethertype: 0x8848 }, set('MPLS_LABEL', 77)],
    udp4({ vlan: 10 }),
    udp4({ vlan: 10, mpls: [{ label: 77, ttl: 64 }], mplsEthType: 0x8848 }),
  ],
  [
    'PUSH_MPLS on MPLS: a copy of the top entry, BOS clear',
    'mpls',
    [{ type: 'PUSH_MPLS', ethertype: 0x8847 }],
    udp4({ mpls: [{ label: 100, tc: 2, ttl: 30 }] }),
    udp4({
      mpls: [
        { label: 100, tc: 2, ttl: 30 },
        { label: 100, tc: 2, ttl: 30 },
      ],
    }),
  ],
  [
    'POP_MPLS to IPv4',
    'mpls',
    [{ type: 'POP_MPLS', ethertype: 0x0800 }],
    udp4({ mpls: [{ label: 100, ttl: 30 }] }),
    udp4(),
  ],
  [
    'POP_MPLS of the top of two entries',
    'mpls',
    [{ type: 'POP_MPLS', ethertype: 0x8847 }],
    udp4({ mpls: [{ label: 1 }, { label: 2, ttl: 9 }] }),
    udp4({ mpls: [{ label: 2, ttl: 9 }] }),
  ],
  [
    'PUSH_PBB: backbone addresses from the customer frame, I-SID 0',
    'in_port=1',
    [{ type: 'PUSH_PBB', ethertype: 0x88e7 }],
    udp4(),
    buildPbb({ bDst: A.dstMac, bSrc: A.srcMac, isid: 0, inner: udp4() }),
  ],
  [
    'PUSH_PBB then SET_FIELD PBB_ISID, ETH_DST on the backbone header',
    'in_port=1',
    [{ type: 'PUSH_PBB', ethertype: 0x88e7 }, set('PBB_ISID', 0xabcdef), set('ETH_DST', '02:bb:00:00:00:01')],
    udp4(),
    buildPbb({ bDst: '02:bb:00:00:00:01', bSrc: A.srcMac, isid: 0xabcdef, inner: udp4() }),
  ],
  [
    'POP_PBB',
    'dl_type=0x88e7',
    [{ type: 'POP_PBB' }],
    buildPbb({ bDst: '02:bb:00:00:00:01', bSrc: '02:bb:00:00:00:02', isid: 5, inner: udp4() }),
    udp4(),
  ],
];

const ttlCases: Case[] = [
  ['DEC_NW_TTL on IPv4', 'ip', [{ type: 'DEC_NW_TTL' }], udp4({ ttl: 64 }), udp4({ ttl: 63 })],
  ['DEC_NW_TTL on IPv6 (hop limit)', 'ipv6', [{ type: 'DEC_NW_TTL' }], udp6({ ttl: 2 }), udp6({ ttl: 1 })],
  ['SET_NW_TTL on IPv4', 'ip', [{ type: 'SET_NW_TTL', nwTtl: 9 }], udp4(), udp4({ ttl: 9 })],
  ['SET_NW_TTL on IPv6', 'ipv6', [{ type: 'SET_NW_TTL', nwTtl: 200 }], udp6(), udp6({ ttl: 200 })],
  [
    'SET_MPLS_TTL',
    'mpls',
    [{ type: 'SET_MPLS_TTL', mplsTtl: 7 }],
    udp4({ mpls: [{ label: 5, ttl: 30 }] }),
    udp4({ mpls: [{ label: 5, ttl: 7 }] }),
  ],
  [
    'DEC_MPLS_TTL',
    'mpls',
    [{ type: 'DEC_MPLS_TTL' }],
    udp4({ mpls: [{ label: 5, ttl: 30 }] }),
    udp4({ mpls: [{ label: 5, ttl: 29 }] }),
  ],
  [
    'COPY_TTL_OUT from IP to a one-entry stack',
    'mpls',
    [{ type: 'COPY_TTL_OUT' }],
    udp4({ ttl: 44, mpls: [{ label: 5, ttl: 30 }] }),
    udp4({ ttl: 44, mpls: [{ label: 5, ttl: 44 }] }),
  ],
  [
    'COPY_TTL_IN from a one-entry stack to IP (header checksum fixed)',
    'mpls',
    [{ type: 'COPY_TTL_IN' }],
    udp4({ ttl: 44, mpls: [{ label: 5, ttl: 30 }] }),
    udp4({ ttl: 30, mpls: [{ label: 5, ttl: 30 }] }),
  ],
  [
    'COPY_TTL_OUT and COPY_TTL_IN between two entries',
    'mpls',
    [{ type: 'COPY_TTL_OUT' }, { type: 'SET_MPLS_TTL', mplsTtl: 3 }, { type: 'COPY_TTL_IN' }],
    udp4({
      mpls: [
        { label: 1, ttl: 30 },
        { label: 2, ttl: 20 },
      ],
    }),
    udp4({
      mpls: [
        { label: 1, ttl: 3 },
        { label: 2, ttl: 3 },
      ],
    }),
  ],
  [
    'push, rewrite and decrement in one list: each action sees the previous one',
    'ip',
    [
      { type: 'DEC_NW_TTL' },
      { type: 'PUSH_MPLS', ethertype: 0x8847 },
      { type: 'DEC_MPLS_TTL' },
      { type: 'PUSH_VLAN', ethertype: 0x8100 },
      set('VLAN_VID', 0x1000 | 99),
    ],
    udp4({ ttl: 10 }),
    udp4({ ttl: 9, vlan: 99, mpls: [{ label: 0, ttl: 8 }] }),
  ],
];

describe('SET_FIELD, every settable field', () => {
  it.each(setFieldCases)('%s', (_, match, actions, input, want) => {
    expectFrame(through(match, actions, input), want);
  });

  it('TUNNEL_ID: a pipeline field, matched by the next table; the frame is untouched', () => {
    const { dp, c, port } = rig();
    c.ok(
      fm('in_port=1,actions=drop', OFPFC.ADD, {
        instructions: [
          { type: 'APPLY_ACTIONS', actions: [set('TUNNEL_ID', 0x77n)] },
          { type: 'GOTO_TABLE', tableId: 1 },
        ],
      }),
    );
    c.ok(fm('table=1,tun_id=0x77,actions=output:3'));
    dp.receiveFrame(1, udp4());
    expectFrame(port(3)[0], udp4());
  });
});

describe('push and pop', () => {
  it.each(encapCases)('%s', (_, match, actions, input, want) => {
    expectFrame(through(match, actions, input), want);
  });
});

describe('TTL actions', () => {
  it.each(ttlCases)('%s', (_, match, actions, input, want) => {
    expectFrame(through(match, actions, input), want);
  });

  it.each([
    ['DEC_NW_TTL on IPv4 TTL 1', 'ip', { type: 'DEC_NW_TTL' } as Action, udp4({ ttl: 1 })],
    ['DEC_NW_TTL on IPv6 hop limit 0', 'ipv6', { type: 'DEC_NW_TTL' } as Action, udp6({ ttl: 0 })],
    [
      'DEC_MPLS_TTL on MPLS TTL 1',
      'mpls',
      { type: 'DEC_MPLS_TTL' } as Action,
      udp4({ mpls: [{ label: 3, ttl: 1 }] }),
    ],
  ])('%s: dropped, or a PACKET_IN INVALID_TTL where the async config asks for it', (_, match, dec, frame) => {
    const { dp, c, port } = rig();
    const other = new Controller(dp); // keeps the default masks: no INVALID_TTL
    c.ok({ type: 'SET_CONFIG', flags: 0, missSendLen: 0xffff });
    c.ok(
      fm(`${match},actions=drop`, OFPFC.ADD, {
        instructions: [
          { type: 'APPLY_ACTIONS', actions: [OUT2, dec, { type: 'OUTPUT', port: 3, maxLen: 0 }] },
          { type: 'WRITE_ACTIONS', actions: [{ type: 'OUTPUT', port: 4, maxLen: 0 }] },
        ],
      }),
    );
    dp.receiveFrame(1, Buffer.from(frame));
    // output:2 went before the decrement; nothing after it (not port 3, not the action set's 4)
    expect([port(2).length, port(3).length, port(4).length]).toEqual([1, 0, 0]);
    expect(c.takeType('PACKET_IN')).toEqual([]);
    // ask for INVALID_TTL (bit 2) on one channel
    c.ok({
      type: 'SET_ASYNC',
      packetInMask: [(1 << OFPR.NO_MATCH) | (1 << OFPR.ACTION) | (1 << OFPR.INVALID_TTL), 0],
      portStatusMask: [7, 7],
      flowRemovedMask: [15, 0],
    });
    dp.receiveFrame(1, Buffer.from(frame));
    expect([port(2).length, port(3).length, port(4).length]).toEqual([2, 0, 0]);
    const [pin, ...more] = c.takeType('PACKET_IN');
    expect(more).toEqual([]);
    expect(pin).toMatchObject({ reason: OFPR.INVALID_TTL, tableId: 0, totalLen: frame.length });
    expect(Buffer.from(pin?.data ?? []).equals(frame)).toBe(true); // unchanged: the decrement did not happen
    expect(other.takeType('PACKET_IN')).toEqual([]);
  });
});

describe('the pipeline sees the rewritten packet', () => {
  it('a later table matches the fields an earlier one set, pushed and popped', () => {
    const { dp, c, port } = rig();
    c.ok(
      fm('in_port=1,udp,actions=drop', OFPFC.ADD, {
        instructions: [
          {
            type: 'APPLY_ACTIONS',
            actions: [
              set('IPV4_DST', '10.7.7.7'),
              { type: 'PUSH_VLAN', ethertype: 0x8100 },
              set('VLAN_VID', 0x1000 | 42),
            ],
          },
          { type: 'GOTO_TABLE', tableId: 1 },
        ],
      }),
    );
    // table 1 only matches the rewritten packet
    c.ok(
      fm('table=1,dl_vlan=42,ip,nw_dst=10.7.7.7,actions=drop', OFPFC.ADD, {
        instructions: [
          {
            type: 'APPLY_ACTIONS',
            actions: [{ type: 'POP_VLAN' }, { type: 'PUSH_MPLS', ethertype: 0x8847 }],
          },
          { type: 'GOTO_TABLE', tableId: 2 },
        ],
      }),
    );
    c.ok(fm('table=2,mpls,mpls_label=0,actions=output:3'));
    dp.receiveFrame(1, udp4());
    expectFrame(port(3)[0], udp4({ dst: '10.7.7.7', mpls: [{ label: 0, ttl: 64 }] }));
    // and the entries' counters count the frame as each of them saw it
    const flows = c
      .multipart(flowStatsRequest(), 'FLOW')
      .flatMap((p) => p.stats)
      .map((s) => [s.tableId, Number(s.packetCount), Number(s.byteCount)]);
    expect(flows).toEqual([
      [0, 1, udp4().length],
      [1, 1, udp4().length + 4],
      [2, 1, udp4().length + 4],
    ]);
  });

  it('PACKET_OUT to TABLE runs a copy: the PACKET_OUT goes on with the original frame', () => {
    const { c, port } = rig();
    c.ok(
      fm('in_port=1,actions=drop', OFPFC.ADD, {
        instructions: [{ type: 'APPLY_ACTIONS', actions: [set('ETH_DST', '02:ff:ff:ff:ff:ff'), OUT2] }],
      }),
    );
    c.ok({
      type: 'PACKET_OUT',
      bufferId: 0xffffffff,
      inPort: 1,
      actions: [
        { type: 'OUTPUT', port: 0xfffffff9, maxLen: 0 }, // TABLE
        { type: 'OUTPUT', port: 3, maxLen: 0 },
      ],
      data: udp4(),
    });
    expectFrame(port(2)[0], udp4({ dstMac: '02:ff:ff:ff:ff:ff' }));
    expectFrame(port(3)[0], udp4());
  });
});

describe('the action set', () => {
  it('executes in the specification order whatever the order written, after apply-actions', () => {
    const { dp, c, port } = rig();
    const write: Action[] = [
      OUT2,
      set('VLAN_VID', 0x1000 | 5),
      { type: 'SET_QUEUE', queueId: 0 },
      { type: 'PUSH_VLAN', ethertype: 0x8100 },
      { type: 'DEC_MPLS_TTL' },
      { type: 'PUSH_MPLS', ethertype: 0x8847 },
    ];
    c.ok(
      fm('in_port=1,ip,actions=drop', OFPFC.ADD, {
        instructions: [
          { type: 'WRITE_ACTIONS', actions: write },
          { type: 'APPLY_ACTIONS', actions: [set('IPV4_SRC', '10.0.0.100'), { type: 'DEC_NW_TTL' }] },
        ],
      }),
    );
    dp.receiveFrame(1, udp4({ ttl: 20 }));
    // apply-actions first (IP TTL 19), then the set: push MPLS (TTL copied from IP: 19), push
    // VLAN, dec MPLS TTL (18), set VLAN VID, output: only that order produces this frame (the
    // decrement before the push, or the VID before the tag, would have had nothing to change)
    expectFrame(port(2)[0], udp4({ src: '10.0.0.100', ttl: 19, vlan: 5, mpls: [{ label: 0, ttl: 18 }] }));
  });

  it('a later write replaces an action of the same type; clear-actions empties the set', () => {
    const { dp, c, port } = rig();
    c.ok(
      fm('in_port=1,ip,actions=drop', OFPFC.ADD, {
        instructions: [
          {
            type: 'WRITE_ACTIONS',
            actions: [{ type: 'SET_NW_TTL', nwTtl: 5 }, set('IPV4_DST', '10.1.1.1'), OUT2],
          },
          { type: 'GOTO_TABLE', tableId: 1 },
        ],
      }),
    );
    c.ok(
      fm('table=1,ip,actions=drop', OFPFC.ADD, {
        instructions: [
          {
            type: 'WRITE_ACTIONS',
            actions: [
              { type: 'SET_NW_TTL', nwTtl: 6 },
              { type: 'OUTPUT', port: 3, maxLen: 0 },
            ],
          },
        ],
      }),
    );
    dp.receiveFrame(1, udp4());
    expect(port(2)).toHaveLength(0);
    expectFrame(port(3)[0], udp4({ ttl: 6, dst: '10.1.1.1' }));
    c.ok(fm('table=1,actions=drop', OFPFC.MODIFY, { instructions: [{ type: 'CLEAR_ACTIONS' }] }));
    dp.receiveFrame(1, udp4());
    expect([port(2).length, port(3).length]).toEqual([0, 1]);
  });

  it('a GROUP in the set wins over OUTPUT; group buckets work on copies', () => {
    const { dp, c, port } = rig();
    c.ok({
      type: 'GROUP_MOD',
      command: 0,
      groupType: 0, // ALL
      groupId: 1,
      buckets: [
        {
          weight: 0,
          watchPort: 0xffffffff,
          watchGroup: 0xffffffff,
          actions: [set('ETH_DST', '02:00:00:00:00:99'), { type: 'OUTPUT', port: 3, maxLen: 0 }],
        },
        {
          weight: 0,
          watchPort: 0xffffffff,
          watchGroup: 0xffffffff,
          actions: [{ type: 'OUTPUT', port: 4, maxLen: 0 }],
        },
      ],
    });
    c.ok(
      fm('in_port=1,actions=drop', OFPFC.ADD, {
        instructions: [{ type: 'WRITE_ACTIONS', actions: [OUT2, { type: 'GROUP', groupId: 1 }] }],
      }),
    );
    dp.receiveFrame(1, udp4());
    expect(port(2)).toHaveLength(0);
    expectFrame(port(3)[0], udp4({ dstMac: '02:00:00:00:00:99' }));
    expectFrame(port(4)[0], udp4()); // the first bucket's rewrite stayed in its copy
    // in apply-actions, the packet after the group is the original too
    c.ok(
      fm('in_port=2,actions=drop', OFPFC.ADD, {
        instructions: [
          {
            type: 'APPLY_ACTIONS',
            actions: [
              { type: 'GROUP', groupId: 1 },
              { type: 'OUTPUT', port: 1, maxLen: 0 },
            ],
          },
        ],
      }),
    );
    dp.receiveFrame(2, udp4());
    expectFrame(port(1)[0], udp4());
  });
});

describe('consistency with the match (BAD_ACTION/MATCH_INCONSISTENT)', () => {
  const apply = (...actions: Action[]): Instruction[] => [{ type: 'APPLY_ACTIONS', actions }];
  const write = (...actions: Action[]): Instruction[] => [{ type: 'WRITE_ACTIONS', actions }];
  const refused: [string, string, Instruction[]][] = [
    ['pop_vlan without a tag', 'in_port=1', apply({ type: 'POP_VLAN' })],
    ['pop_vlan on vlan_vid=none', 'vlan_vid=0', apply({ type: 'POP_VLAN' })],
    ['pop_vlan twice on one tag', 'dl_vlan=3', apply({ type: 'POP_VLAN' }, { type: 'POP_VLAN' })],
    ['pop_mpls on IP', 'ip', apply({ type: 'POP_MPLS', ethertype: 0x0800 })],
    ['dec_mpls_ttl on IP', 'ip', apply({ type: 'DEC_MPLS_TTL' })],
    ['copy_ttl_in on IP', 'ip', write({ type: 'COPY_TTL_IN' })],
    ['dec_ttl on ARP', 'arp', apply({ type: 'DEC_NW_TTL' })],
    [
      'dec_ttl after push_mpls',
      'ip',
      apply({ type: 'PUSH_MPLS', ethertype: 0x8847 }, { type: 'DEC_NW_TTL' }),
    ],
    [
      'set_nw_ttl in the set after its push_mpls',
      'ip',
      write({ type: 'SET_NW_TTL', nwTtl: 3 }, { type: 'PUSH_MPLS', ethertype: 0x8847 }),
    ],
    ['pop_pbb without PBB', 'in_port=1', apply({ type: 'POP_PBB' })],
    ['set vlan_pcp after pop_vlan', 'dl_vlan=3', apply({ type: 'POP_VLAN' }, set('VLAN_PCP', 1))],
  ];
  it.each(refused)('refuses %s', (_, match, instructions) => {
    const { c } = rig();
    expect(c.error(fm(`${match},actions=drop`, OFPFC.ADD, { instructions })).names).toEqual([
      'BAD_ACTION',
      'MATCH_INCONSISTENT',
    ]);
  });

  const accepted: [string, string, Instruction[]][] = [
    ['pop_vlan on a tag', 'dl_vlan=3', apply({ type: 'POP_VLAN' })],
    [
      'pop_vlan after push_vlan',
      'in_port=1',
      apply({ type: 'PUSH_VLAN', ethertype: 0x8100 }, { type: 'POP_VLAN' }),
    ],
    [
      'dec_mpls_ttl after push_mpls',
      'ip',
      apply({ type: 'PUSH_MPLS', ethertype: 0x8847 }, { type: 'DEC_MPLS_TTL' }),
    ],
    [
      'dec_ttl after pop_mpls to IPv4',
      'mpls',
      apply({ type: 'POP_MPLS', ethertype: 0x0800 }, { type: 'DEC_NW_TTL' }),
    ],
    [
      'dec_mpls_ttl written before push_mpls (set order)',
      'ipv6',
      write({ type: 'DEC_MPLS_TTL' }, { type: 'PUSH_MPLS', ethertype: 0x8847 }),
    ],
    ['pop_pbb on PBB', 'dl_type=0x88e7', apply({ type: 'POP_PBB' })],
    [
      'vlan_vid after push_vlan in the set',
      'in_port=1',
      write(set('VLAN_VID', 0x1001), { type: 'PUSH_VLAN', ethertype: 0x8100 }),
    ],
  ];
  it.each(accepted)('accepts %s', (_, match, instructions) => {
    const { c } = rig();
    c.ok(fm(`${match},actions=drop`, OFPFC.ADD, { instructions }));
  });

  const malformed: [string, string, Action, [string, string]][] = [
    [
      'set_field of a field that cannot be set',
      'in_port=1',
      set('IN_PORT', 3),
      ['BAD_ACTION', 'BAD_SET_TYPE'],
    ],
    [
      'set_field with a mask',
      'ip',
      { type: 'SET_FIELD', field: { field: 'IPV4_DST', value: '10.0.0.1', mask: '255.0.0.0' } } as Action,
      ['BAD_ACTION', 'BAD_SET_ARGUMENT'],
    ],
    ['set_field wider than its field', 'in_port=1', set('VLAN_PCP', 9), ['BAD_ACTION', 'BAD_SET_ARGUMENT']],
    ['set_field without its prerequisite', 'ip', set('TCP_DST', 80), ['BAD_ACTION', 'MATCH_INCONSISTENT']],
    [
      'push_vlan of a non-VLAN ethertype',
      'in_port=1',
      { type: 'PUSH_VLAN', ethertype: 0x0800 },
      ['BAD_ACTION', 'BAD_ARGUMENT'],
    ],
    [
      'push_mpls of a non-MPLS ethertype',
      'in_port=1',
      { type: 'PUSH_MPLS', ethertype: 0x8100 },
      ['BAD_ACTION', 'BAD_ARGUMENT'],
    ],
  ];
  it.each(malformed)('refuses %s', (_, match, action, names) => {
    const { c } = rig();
    expect(c.error(fm(`${match},actions=drop`, OFPFC.ADD, { instructions: apply(action) })).names).toEqual(
      names,
    );
  });

  it('PACKET_OUT is not checked against a match: an action whose header is absent does nothing', () => {
    const { c, port } = rig();
    c.ok({
      type: 'PACKET_OUT',
      bufferId: 0xffffffff,
      inPort: 0xfffffffd,
      actions: [{ type: 'POP_VLAN' }, { type: 'DEC_MPLS_TTL' }, set('TCP_DST', 9), OUT2],
      data: udp4(),
    });
    expectFrame(port(2)[0], udp4());
  });
});

describe('SET_QUEUE and queue statistics', () => {
  it('queue 0 counts what its port sends', () => {
    const { dp, c } = rig();
    c.ok(
      fm('in_port=1,actions=drop', OFPFC.ADD, {
        instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'SET_QUEUE', queueId: 0 }, OUT2] }],
      }),
    );
    dp.receiveFrame(1, udp4());
    dp.receiveFrame(1, udp4());
    const [q] = c
      .multipart({ type: 'MULTIPART_REQUEST', mpType: 'QUEUE', flags: 0, portNo: 2, queueId: 0 }, 'QUEUE')
      .flatMap((p) => p.stats);
    expect(q).toMatchObject({ portNo: 2, queueId: 0, txPackets: 2n, txBytes: BigInt(2 * udp4().length) });
  });
});

describe('properties', () => {
  it('SET_FIELD of random values on random UDP/TCP frames gives the frame built with those values', () => {
    const { dp, c, port } = rig();
    const arb = fc.record({
      v6: fc.boolean(),
      tcp: fc.boolean(),
      vlan: fc.option(fc.nat(4095), { nil: undefined }),
      src4: fc.ipV4(),
      dst4: fc.ipV4(),
      src6: fc.ipV6(),
      dst6: fc.ipV6(),
      dscp: fc.nat(63),
      ecn: fc.nat(3),
      ttl: fc.integer({ min: 2, max: 255 }),
      sport: fc.nat(65535),
      dport: fc.nat(65535),
      len: fc.nat(40),
      noChecksum: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        const frame = (o: typeof a, v6: boolean, tcp: boolean) => {
          const ip = v6 ? { src: o.src6, dst: o.dst6, ipv6: true } : { src: o.src4, dst: o.dst4 };
          const common = {
            ...A,
            ...ip,
            dscp: o.dscp,
            ecn: o.ecn,
            ttl: o.ttl,
            srcPort: o.sport,
            dstPort: o.dport,
            payload: new Uint8Array(a.len),
            ...(a.vlan === undefined ? {} : { vlan: a.vlan }),
          };
          return tcp
            ? buildTcp({ ...common, flags: 0x10, seq: 1, ack: 2 })
            : buildUdp({ ...common, noChecksum: !v6 && a.noChecksum });
        };
        const v6 = a.v6;
        const tcp = a.tcp;
        const sets: Action[] = [
          set(v6 ? 'IPV6_SRC' : 'IPV4_SRC', v6 ? b.src6 : b.src4),
          set(v6 ? 'IPV6_DST' : 'IPV4_DST', v6 ? b.dst6 : b.dst4),
          set('IP_DSCP', b.dscp),
          set('IP_ECN', b.ecn),
          set(tcp ? 'TCP_SRC' : 'UDP_SRC', b.sport),
          set(tcp ? 'TCP_DST' : 'UDP_DST', b.dport),
          { type: 'SET_NW_TTL', nwTtl: b.ttl },
          { type: 'DEC_NW_TTL' },
        ];
        c.ok(
          fm(`priority=1,${tcp ? 'tcp' : 'udp'}${v6 ? '6' : ''},actions=drop`, OFPFC.ADD, {
            instructions: [{ type: 'APPLY_ACTIONS', actions: [...sets, OUT2] }],
          }),
        );
        const before = port(2).length;
        dp.receiveFrame(1, frame(a, v6, tcp));
        const got = port(2)[before];
        const want = frame({ ...b, ttl: b.ttl - 1 }, v6, tcp);
        expect(Buffer.from(got ?? []).toString('hex')).toBe(want.toString('hex'));
      }),
      { numRuns: 150 },
    );
  });

  it('any list of push, pop, TTL and set-field actions on any frame: no exception, checksums stay valid, bounded growth', () => {
    const { c, port } = rig();
    const arbAction: fc.Arbitrary<Action> = fc.oneof(
      fc.constantFrom<Action>(
        { type: 'PUSH_VLAN', ethertype: 0x8100 },
        { type: 'PUSH_VLAN', ethertype: 0x88a8 },
        { type: 'POP_VLAN' },
        { type: 'PUSH_MPLS', ethertype: 0x8847 },
        { type: 'PUSH_PBB', ethertype: 0x88e7 },
        { type: 'POP_PBB' },
        { type: 'DEC_NW_TTL' },
        { type: 'DEC_MPLS_TTL' },
        { type: 'COPY_TTL_IN' },
        { type: 'COPY_TTL_OUT' },
        { type: 'POP_MPLS', ethertype: 0x0800 },
        { type: 'POP_MPLS', ethertype: 0x8847 },
      ),
      fc.nat(255).map((n): Action => ({ type: 'SET_NW_TTL', nwTtl: n })),
      fc.nat(255).map((n): Action => ({ type: 'SET_MPLS_TTL', mplsTtl: n })),
      fc.ipV4().map((a) => set('IPV4_DST', a)),
      fc.nat(65535).map((n) => set('UDP_SRC', n)),
      fc.nat(0xfffff).map((n) => set('MPLS_LABEL', n)),
      fc.nat(4095).map((n) => set('VLAN_VID', 0x1000 | n)),
      fc.nat(0xffffff).map((n) => set('PBB_ISID', n)),
    );
    fc.assert(
      fc.property(
        fc.array(arbAction, { maxLength: 12 }),
        fc.option(fc.nat(4095), { nil: undefined }),
        fc.boolean(),
        fc.integer({ min: 1, max: 255 }),
        (actions, vlan, mpls, ttl) => {
          const f = udp4({
            ttl,
            ...(vlan === undefined ? {} : { vlan }),
            ...(mpls ? { mpls: [{ label: 9, ttl }] } : {}),
          });
          const before = port(2).length;
          c.ok({ type: 'PACKET_OUT', bufferId: 0xffffffff, inPort: 1, actions: [...actions, OUT2], data: f });
          const got = port(2)[before];
          if (got === undefined) return; // an invalid TTL dropped it
          expect(got.length).toBeLessThanOrEqual(f.length + 12 * 18);
          // POP_MPLS names the next header's type: a wrong one (a controller's mistake) makes
          // the rest of the frame read as something it is not, so only without it
          if (!actions.some((a) => a.type === 'POP_MPLS'))
            expect(checksumsValid(got, parseFrame(got, new FlowKey()))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

const TSHARK = requireTshark('openflow-switch/test/actions.test.ts', [
  "the checksums of the frames the switch's actions rewrote are NOT being checked by Wireshark.",
]);

describe.skipIf(TSHARK === undefined)('tshark over every frame the actions produced', () => {
  it('no bad checksum, nothing malformed', async () => {
    expect(emitted.length).toBeGreaterThan(40);
    const statuses = ['ip', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6'].map((p) => `${p}.checksum.status`);
    const text = await runTshark(pcapOf(emitted), [
      '-o',
      'ip.check_checksum:TRUE',
      '-o',
      'tcp.check_checksum:TRUE',
      '-o',
      'udp.check_checksum:TRUE',
      '-o',
      'sctp.checksum:CRC 32c',
      '-T',
      'fields',
      '-E',
      'separator=/t',
      '-e',
      'frame.number',
      '-e',
      '_ws.malformed',
      ...statuses.flatMap((f) => ['-e', f]),
    ]);
    const rows = text
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(emitted.length);
    // status 1 is Good, 0 Bad, 2 Unverified (UDP's "no checksum")
    const values = rows.flatMap((r) => r.slice(2).flatMap((v) => (v === '' ? [] : v.split(','))));
    expect(rows.filter((r) => r[1] !== '' || r.slice(2).some((v) => v.split(',').includes('0')))).toEqual([]);
    expect(values.filter((v) => v === '1').length).toBeGreaterThan(40);
  }, 60_000);
});
