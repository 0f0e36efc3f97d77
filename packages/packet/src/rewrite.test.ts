// Every settable field, on every kind of frame that has it. The oracle for most cases is the
// builder: rewriting a field in place must give exactly the bytes of the frame built with the
// new value from scratch, checksums included (so the incremental updates are exact). Every
// rewritten frame must also pass the independent checker, and the updated key must equal a
// fresh parse of the rewritten frame.
import type { OxmBasic, OxmFieldName, OxmValue } from '@rumpflow/openflow';
import { describe, expect, it } from 'vitest';
import { MAC_A, MAC_B, payload } from '../test/fixtures.js';
import { allValid, naiveChecksum, verifyFrame } from '../test/verify.js';
import { ipv4FromString, ipv6ToWords, macFromString } from './addr.js';
import {
  type ArpOptions,
  buildArp,
  buildIcmpEcho,
  buildIcmpv6Echo,
  buildNdAdvert,
  buildNdSolicit,
  buildPbb,
  buildSctp,
  buildTcp,
  buildUdp,
  type EchoOptions,
  type NdAdvertOptions,
  type NdSolicitOptions,
  type PbbOptions,
  type SctpOptions,
  type TcpOptions,
  TCP_FLAGS,
  type UdpOptions,
} from './build.js';
import { FlowKey } from './key.js';
import { parseFrame } from './parse.js';
import {
  setField,
  setIpv4Src,
  setIpv6Dst,
  setIpv6Src,
  setNdTarget,
  setTcpDst,
  setUdpSrc,
  setVlanVid,
} from './rewrite.js';

const v4 = { srcMac: MAC_A, dstMac: MAC_B, src: '10.0.0.1', dst: '10.0.0.2' };
const v6 = { srcMac: MAC_A, dstMac: MAC_B, src: '2001:db8::a', dst: '2001:db8::b' };
const tcpBase: TcpOptions = {
  ...v4,
  srcPort: 40000,
  dstPort: 80,
  flags: TCP_FLAGS.ACK,
  seq: 7,
  ack: 9,
  payload: payload(33),
};
const udpBase: UdpOptions = { ...v4, srcPort: 50000, dstPort: 50053, payload: payload(12) };
const sctpBase: SctpOptions = { ...v4, srcPort: 2905, dstPort: 2906, vtag: 0x01020304 };
const echo4: EchoOptions = { ...v4, type: 'request', id: 1, seq: 2, payload: payload(20) };
const echo6: EchoOptions = { ...v6, type: 'request', id: 1, seq: 2, payload: payload(20) };
const arpBase: ArpOptions = { op: 'request', srcMac: MAC_A, sha: MAC_A, spa: '10.0.0.1', tpa: '10.0.0.2' };
const ns: NdSolicitOptions = {
  srcMac: MAC_A,
  dstMac: MAC_B,
  src: 'fe80::a',
  dst: 'fe80::b',
  target: 'fe80::b',
};
const na: NdAdvertOptions = {
  srcMac: MAC_B,
  dstMac: MAC_A,
  src: 'fe80::b',
  dst: 'fe80::a',
  target: 'fe80::b',
  solicited: true,
};
const pbbBase: PbbOptions = { bDst: MAC_B, bSrc: MAC_A, isid: 0x10, pcp: 2, inner: buildUdp(udpBase) };

interface Case {
  field: OxmFieldName;
  value: unknown;
  before: Buffer;
  /** The same frame built with the new value. */
  after?: Buffer;
  /** Key fields expected after the rewrite. */
  key?: Partial<FlowKey>;
}

const c = <N extends OxmFieldName>(
  field: N,
  value: OxmValue<N>,
  before: Buffer,
  after?: Buffer,
  key?: Partial<FlowKey>,
): Case => ({
  field,
  value,
  before,
  ...(after ? { after } : {}),
  ...(key ? { key } : {}),
});

const w = ipv6ToWords;
const cases: Case[] = [
  // Ethernet, VLAN
  c(
    'ETH_DST',
    '02:aa:bb:cc:dd:ee',
    buildTcp(tcpBase),
    buildTcp({ ...tcpBase, dstMac: '02:aa:bb:cc:dd:ee' }),
    { ethDst: 0x02aabbccddee },
  ),
  c('ETH_SRC', 'ff:ff:ff:ff:ff:fe', buildArp(arpBase), buildArp({ ...arpBase, srcMac: 'ff:ff:ff:ff:ff:fe' })),
  c(
    'VLAN_VID',
    0x1000 | 42,
    buildUdp({ ...udpBase, vlan: { vid: 100, pcp: 5, dei: true } }),
    buildUdp({ ...udpBase, vlan: { vid: 42, pcp: 5, dei: true } }),
    { vlanVid: 0x102a },
  ),
  c(
    'VLAN_VID',
    4095,
    buildUdp({ ...udpBase, vlan: [{ vid: 1 }, { vid: 2 }] }),
    buildUdp({ ...udpBase, vlan: [{ vid: 4095 }, { vid: 2 }] }),
  ),
  c(
    'VLAN_PCP',
    7,
    buildUdp({ ...udpBase, vlan: 100 }),
    buildUdp({ ...udpBase, vlan: { vid: 100, pcp: 7 } }),
    { vlanPcp: 7 },
  ),
  // IP
  c('IP_DSCP', 46, buildTcp({ ...tcpBase, ecn: 1 }), buildTcp({ ...tcpBase, dscp: 46, ecn: 1 }), {
    ipDscp: 46,
    ipEcn: 1,
  }),
  c(
    'IP_DSCP',
    63,
    buildUdp({ ...udpBase, ...v6, ecn: 2 }),
    buildUdp({ ...udpBase, ...v6, dscp: 63, ecn: 2 }),
  ),
  c('IP_ECN', 3, buildTcp({ ...tcpBase, dscp: 10 }), buildTcp({ ...tcpBase, dscp: 10, ecn: 3 }), {
    ipEcn: 3,
  }),
  c(
    'IP_ECN',
    1,
    buildTcp({ ...tcpBase, ...v6, dscp: 10 }),
    buildTcp({ ...tcpBase, ...v6, dscp: 10, ecn: 1 }),
  ),
  c('IPV4_SRC', '192.168.77.1', buildTcp(tcpBase), buildTcp({ ...tcpBase, src: '192.168.77.1' }), {
    ipv4Src: 0xc0a84d01,
  }),
  c('IPV4_DST', '255.255.255.255', buildTcp(tcpBase), buildTcp({ ...tcpBase, dst: '255.255.255.255' })),
  c('IPV4_SRC', '1.2.3.4', buildUdp(udpBase), buildUdp({ ...udpBase, src: '1.2.3.4' })),
  c(
    'IPV4_DST',
    '1.2.3.4',
    buildUdp({ ...udpBase, noChecksum: true }),
    buildUdp({ ...udpBase, dst: '1.2.3.4', noChecksum: true }),
  ),
  c('IPV4_DST', '172.16.0.9', buildIcmpEcho(echo4), buildIcmpEcho({ ...echo4, dst: '172.16.0.9' })),
  c('IPV4_SRC', '172.16.0.9', buildSctp(sctpBase), buildSctp({ ...sctpBase, src: '172.16.0.9' })),
  c(
    'IPV4_SRC',
    '9.9.9.9',
    buildUdp({ ...udpBase, vlan: 3, ipOptions: Uint8Array.of(1, 1, 1, 0) }),
    buildUdp({ ...udpBase, src: '9.9.9.9', vlan: 3, ipOptions: Uint8Array.of(1, 1, 1, 0) }),
  ),
  // IPv6
  c(
    'IPV6_SRC',
    'fe80::1234:5678',
    buildTcp({ ...tcpBase, ...v6 }),
    buildTcp({ ...tcpBase, ...v6, src: 'fe80::1234:5678' }),
  ),
  c('IPV6_DST', '::1', buildUdp({ ...udpBase, ...v6 }), buildUdp({ ...udpBase, ...v6, dst: '::1' })),
  c('IPV6_DST', 'ff02::1', buildIcmpv6Echo(echo6), buildIcmpv6Echo({ ...echo6, dst: 'ff02::1' })),
  c(
    'IPV6_SRC',
    '2001:db8:ffff::1',
    buildSctp({ ...sctpBase, ...v6 }),
    buildSctp({ ...sctpBase, ...v6, src: '2001:db8:ffff::1' }),
  ),
  c(
    'IPV6_SRC',
    '::',
    buildTcp({ ...tcpBase, ...v6, ext: [{ type: 'hop' }, { type: 'fragment' }] }),
    buildTcp({ ...tcpBase, ...v6, src: '::', ext: [{ type: 'hop' }, { type: 'fragment' }] }),
  ),
  c(
    'IPV6_FLABEL',
    0xabcde,
    buildTcp({ ...tcpBase, ...v6, flowLabel: 1, dscp: 5 }),
    buildTcp({ ...tcpBase, ...v6, flowLabel: 0xabcde, dscp: 5 }),
    { ipv6Flabel: 0xabcde },
  ),
  // transport
  c('TCP_SRC', 1, buildTcp(tcpBase), buildTcp({ ...tcpBase, srcPort: 1 }), { tpSrc: 1 }),
  c('TCP_DST', 65535, buildTcp({ ...tcpBase, ...v6 }), buildTcp({ ...tcpBase, ...v6, dstPort: 65535 }), {
    tpDst: 65535,
  }),
  c('UDP_SRC', 0, buildUdp(udpBase), buildUdp({ ...udpBase, srcPort: 0 })),
  c('UDP_DST', 8080, buildUdp({ ...udpBase, ...v6 }), buildUdp({ ...udpBase, ...v6, dstPort: 8080 })),
  c(
    'UDP_DST',
    8080,
    buildUdp({ ...udpBase, noChecksum: true }),
    buildUdp({ ...udpBase, dstPort: 8080, noChecksum: true }),
  ),
  c('SCTP_SRC', 36412, buildSctp(sctpBase), buildSctp({ ...sctpBase, srcPort: 36412 }), { tpSrc: 36412 }),
  c('SCTP_DST', 1, buildSctp({ ...sctpBase, ...v6 }), buildSctp({ ...sctpBase, ...v6, dstPort: 1 })),
  // ICMP
  c('ICMPV4_TYPE', 0, buildIcmpEcho(echo4), buildIcmpEcho({ ...echo4, type: 'reply' }), { icmpType: 0 }),
  c('ICMPV4_CODE', 3, buildIcmpEcho(echo4), undefined, { icmpCode: 3 }),
  c('ICMPV6_TYPE', 129, buildIcmpv6Echo(echo6), buildIcmpv6Echo({ ...echo6, type: 'reply' }), {
    icmpType: 129,
  }),
  c('ICMPV6_CODE', 1, buildIcmpv6Echo(echo6), undefined, { icmpCode: 1 }),
  c('ICMPV6_TYPE', 136, buildNdSolicit(ns), undefined, { icmpType: 136, ndSll: 0, ndTll: 0 }),
  // neighbour discovery
  c('IPV6_ND_TARGET', '2001:db8::99', buildNdSolicit(ns), buildNdSolicit({ ...ns, target: '2001:db8::99' })),
  c('IPV6_ND_TARGET', 'fe80::1', buildNdAdvert(na), buildNdAdvert({ ...na, target: 'fe80::1' })),
  c(
    'IPV6_ND_SLL',
    '02:12:34:56:78:9a',
    buildNdSolicit(ns),
    buildNdSolicit({ ...ns, sll: '02:12:34:56:78:9a' }),
    { ndSll: 0x0212345678_9a },
  ),
  c(
    'IPV6_ND_TLL',
    '00:00:00:00:00:00',
    buildNdAdvert(na),
    buildNdAdvert({ ...na, tll: '00:00:00:00:00:00' }),
    { ndTll: 0 },
  ),
  // ARP
  c('ARP_OP', 2, buildArp(arpBase), buildArp({ ...arpBase, op: 2, dstMac: 'ff:ff:ff:ff:ff:ff' }), {
    arpOp: 2,
  }),
  c('ARP_SPA', '192.168.0.1', buildArp(arpBase), buildArp({ ...arpBase, spa: '192.168.0.1' }), {
    arpSpa: 0xc0a80001,
  }),
  c('ARP_TPA', '192.168.0.2', buildArp(arpBase), buildArp({ ...arpBase, tpa: '192.168.0.2' })),
  c('ARP_SHA', '02:00:00:00:00:99', buildArp(arpBase), buildArp({ ...arpBase, sha: '02:00:00:00:00:99' })),
  c(
    'ARP_THA',
    '02:00:00:00:00:98',
    buildArp({ ...arpBase, vlan: 5 }),
    buildArp({ ...arpBase, vlan: 5, tha: '02:00:00:00:00:98', dstMac: 'ff:ff:ff:ff:ff:ff' }),
  ),
  // MPLS, PBB
  c(
    'MPLS_LABEL',
    0xfffff,
    buildUdp({ ...udpBase, mpls: [{ label: 16, tc: 2, ttl: 9 }, { label: 17 }] }),
    buildUdp({ ...udpBase, mpls: [{ label: 0xfffff, tc: 2, ttl: 9 }, { label: 17 }] }),
    { mplsLabel: 0xfffff },
  ),
  c(
    'MPLS_TC',
    7,
    buildUdp({ ...udpBase, vlan: 1, mpls: [{ label: 16, tc: 2, ttl: 9 }] }),
    buildUdp({ ...udpBase, vlan: 1, mpls: [{ label: 16, tc: 7, ttl: 9 }] }),
    { mplsTc: 7 },
  ),
  c('MPLS_BOS', 1, buildUdp({ ...udpBase, mpls: [{ label: 16 }, { label: 17 }] }), undefined, {
    mplsBos: 1,
    mplsDepth: 1,
  }),
  c('PBB_ISID', 0xfedcba, buildPbb(pbbBase), buildPbb({ ...pbbBase, isid: 0xfedcba }), { pbbIsid: 0xfedcba }),
];

const parse = (f: Uint8Array) => parseFrame(f, new FlowKey());
const label = (x: Case) => `${x.field} := ${String(x.value)} on ${x.before.length}-byte frame`;

describe('setField: every settable field', () => {
  it.each(cases.map((x) => [label(x), x] as const))('%s', (_name, x) => {
    const f = Buffer.from(x.before);
    const key = parse(f);
    expect(setField(f, key, x.field, x.value as never)).toBe(true);
    if (x.after) expect(f.toString('hex')).toBe(x.after.toString('hex'));
    expect(allValid(f)).toBe(true);
    expect(key).toEqual(parse(f));
    if (x.key) expect(key).toMatchObject(x.key);
  });

  it('covers every settable OXM field', () => {
    const covered = new Set(cases.map((x) => x.field));
    const settable = [
      'ETH_DST',
      'ETH_SRC',
      'VLAN_VID',
      'VLAN_PCP',
      'IP_DSCP',
      'IP_ECN',
      'IPV4_SRC',
      'IPV4_DST',
      'TCP_SRC',
      'TCP_DST',
      'UDP_SRC',
      'UDP_DST',
      'SCTP_SRC',
      'SCTP_DST',
      'ICMPV4_TYPE',
      'ICMPV4_CODE',
      'ARP_OP',
      'ARP_SPA',
      'ARP_TPA',
      'ARP_SHA',
      'ARP_THA',
      'IPV6_SRC',
      'IPV6_DST',
      'IPV6_FLABEL',
      'ICMPV6_TYPE',
      'ICMPV6_CODE',
      'IPV6_ND_TARGET',
      'IPV6_ND_SLL',
      'IPV6_ND_TLL',
      'MPLS_LABEL',
      'MPLS_TC',
      'MPLS_BOS',
      'PBB_ISID',
    ] as const;
    expect(settable.filter((f) => !covered.has(f))).toEqual([]);
  });

  it('IP_PROTO: the header checksum follows, the transport header is re-read', () => {
    const f = buildTcp(tcpBase);
    const key = parse(f);
    expect(setField(f, key, 'IP_PROTO', 17)).toBe(true);
    expect(verifyFrame(f).ipv4).toBe(true);
    expect(key).toEqual(parse(f));
    expect(key).toMatchObject({ ipProto: 17, tpSrc: 40000, tpDst: 80, tcpFlags: 0 });
    // IPv6: the last next-header field of the chain is the one rewritten
    const g = buildTcp({ ...tcpBase, ...v6, ext: [{ type: 'hop' }, { type: 'dest' }] });
    const k6 = parse(g);
    expect(setField(g, k6, 'IP_PROTO', 132)).toBe(true);
    expect([g[20], g[54], g[62]]).toEqual([0, 60, 132]);
    expect(k6).toMatchObject({ ipProto: 132, ipv6Exthdr: 64 | 8 });
    const h = buildUdp({ ...udpBase, ...v6 });
    expect(setField(h, parse(h), 'IP_PROTO', 59)).toBe(true);
    expect(parse(h)).toMatchObject({ ipProto: 59, ipv6Exthdr: 1 });
  });

  it('ETH_TYPE: rewritten after the tags and re-parsed', () => {
    const f = buildUdp({ ...udpBase, vlan: 5 });
    const key = parse(f);
    expect(setField(f, key, 'ETH_TYPE', 0x88b5)).toBe(true);
    expect(f.readUInt16BE(16)).toBe(0x88b5);
    expect(key).toMatchObject({ ethType: 0x88b5, l3Off: -1, vlanVid: 0x1005 });
  });

  it('TUNNEL_ID sets the key only; non-settable fields are refused', () => {
    const f = buildUdp(udpBase);
    const key = parse(f);
    expect(setField(f, key, 'TUNNEL_ID', 0xfedcba9876543210n)).toBe(true);
    expect(key.tunnelId).toBe(0xfedcba9876543210n);
    for (const field of ['IN_PORT', 'IN_PHY_PORT'] as const) expect(setField(f, key, field, 1)).toBe(false);
    expect(setField(f, key, 'METADATA', 1n)).toBe(false);
    expect(setField(f, key, 'IPV6_EXTHDR', 1)).toBe(false);
    expect(f.equals(buildUdp(udpBase))).toBe(true);
  });
});

describe('setField: absent headers', () => {
  const refusals: [OxmFieldName, unknown, Buffer][] = [
    ['TCP_DST', 1, buildUdp(udpBase)],
    ['UDP_SRC', 1, buildTcp(tcpBase)],
    ['SCTP_SRC', 1, buildTcp({ ...tcpBase, ...v6 })],
    ['VLAN_VID', 5, buildUdp(udpBase)],
    ['VLAN_PCP', 5, buildArp(arpBase)],
    ['IPV4_SRC', '1.1.1.1', buildUdp({ ...udpBase, ...v6 })],
    ['IPV6_DST', '::1', buildUdp(udpBase)],
    ['IPV6_FLABEL', 1, buildArp(arpBase)],
    ['IP_DSCP', 1, buildArp(arpBase)],
    ['IP_ECN', 1, buildUdp({ ...udpBase, mpls: [{ label: 1 }] })],
    ['IP_PROTO', 1, buildArp(arpBase)],
    ['ICMPV4_TYPE', 1, buildIcmpv6Echo(echo6)],
    ['ICMPV6_CODE', 1, buildIcmpEcho(echo4)],
    ['IPV6_ND_TARGET', '::1', buildIcmpv6Echo(echo6)],
    ['IPV6_ND_SLL', MAC_A, buildNdAdvert(na)],
    ['IPV6_ND_TLL', MAC_A, buildNdSolicit(ns)],
    ['IPV6_ND_SLL', MAC_A, buildNdSolicit({ ...ns, sll: null })],
    ['ARP_OP', 1, buildTcp(tcpBase)],
    ['ARP_SHA', MAC_A, buildUdp(udpBase)],
    ['MPLS_LABEL', 1, buildUdp(udpBase)],
    ['MPLS_BOS', 1, buildUdp(udpBase)],
    ['PBB_ISID', 1, buildUdp(udpBase)],
    ['TCP_SRC', 1, buildTcp(tcpBase).subarray(0, 50)],
    ['TCP_SRC', 1, buildTcp({ ...tcpBase, mpls: [{ label: 1 }] })],
  ];
  it.each(refusals.map(([f, v, b]) => [`${f} on a ${b.length}-byte frame without it`, f, v, b] as const))(
    '%s',
    (_n, field, value, before) => {
      const f = Buffer.from(before);
      const key = parse(f);
      const copy = key.clone();
      expect(setField(f, key, field, value as never)).toBe(false);
      expect(f.equals(before)).toBe(true);
      expect(key).toEqual(copy);
    },
  );

  it('a first IPv4 fragment: the transport checksum (over the whole datagram) is updated too', () => {
    const whole = buildTcp(tcpBase);
    const f = Buffer.from(whole);
    const key = parse(f);
    f[20] = 0x20; // set MF, fix the header checksum the simple way
    f.writeUInt16BE(0, 24);
    f.writeUInt16BE(naiveChecksum(f.subarray(14, 34)), 24);
    parseFrame(f, key);
    expect(key.ipFrag).toBe(1);
    expect(setField(f, key, 'IPV4_SRC', '9.9.9.9')).toBe(true);
    expect(verifyFrame(f).ipv4).toBe(true);
    expect(f.readUInt16BE(34 + 16)).toBe(buildTcp({ ...tcpBase, src: '9.9.9.9' }).readUInt16BE(34 + 16));
  });

  it('a later IPv4 fragment has no ports but its addresses can change', () => {
    const f = buildTcp({ ...tcpBase, fragOffset: 1480 });
    const key = parse(f);
    expect(setField(f, key, 'TCP_DST', 1)).toBe(false);
    expect(setField(f, key, 'IPV4_DST', '10.1.1.1')).toBe(true);
    expect(verifyFrame(f).ipv4).toBe(true);
  });
});

describe('checksum rules under rewrite', () => {
  it('a UDP checksum that becomes 0 is sent as 0xffff', () => {
    const base = buildUdp({ ...udpBase, srcPort: 0 });
    const c = base.readUInt16BE(34 + 6);
    const key = parse(base);
    expect(setUdpSrc(base, key, c)).toBe(true);
    expect(base.readUInt16BE(34 + 6)).toBe(0xffff);
    expect(base.equals(buildUdp({ ...udpBase, srcPort: c }))).toBe(true);
  });

  it('a UDP-over-IPv4 checksum of 0 stays 0 (none) through address and port rewrites', () => {
    const f = buildUdp({ ...udpBase, noChecksum: true });
    const key = parse(f);
    setIpv4Src(f, key, 0x01020304);
    setUdpSrc(f, key, 99);
    expect(f.readUInt16BE(34 + 6)).toBe(0);
    expect(verifyFrame(f)).toEqual({ ipv4: true, l4: true, kind: 'udp-none' });
  });

  it('a wrong TCP checksum stays wrong by the same amount', () => {
    const f = buildTcp(tcpBase);
    f.writeUInt16BE((f.readUInt16BE(34 + 16) + 5) & 0xffff, 34 + 16);
    const key = parse(f);
    setIpv4Src(f, key, 0x0b0b0b0b);
    setTcpDst(f, key, 443);
    const good = buildTcp({ ...tcpBase, src: '11.11.11.11', dstPort: 443 }).readUInt16BE(34 + 16);
    expect(f.readUInt16BE(34 + 16)).toBe((good + 5) & 0xffff);
  });

  it('a wrong SCTP CRC stays wrong by the same bits', () => {
    const f = buildSctp(sctpBase);
    f[34 + 8] = f[34 + 8]! ^ 0x81;
    const key = parse(f);
    setField(f, key, 'SCTP_DST', 7);
    const good = buildSctp({ ...sctpBase, dstPort: 7 });
    expect(f[34 + 8]).toBe(good[34 + 8]! ^ 0x81);
    expect(f.subarray(34 + 9).equals(good.subarray(34 + 9))).toBe(true);
  });

  it('IPv6 destination under a routing header with segments left: the pseudo header does not change', () => {
    const ext = [{ type: 'routing' as const, segmentsLeft: 1, routingType: 2, data: new Uint8Array(16) }];
    const f = buildTcp({ ...tcpBase, ...v6, ext });
    const sum = f.readUInt16BE(54 + 24 + 16);
    const key = parse(f);
    expect(setIpv6Dst(f, key, 0x20010db8, 0, 0, 0x99)).toBe(true);
    expect(f.readUInt16BE(54 + 24 + 16)).toBe(sum);
    // with no segments left the destination is the final one, and the checksum follows it
    const g = buildTcp({ ...tcpBase, ...v6, ext: [{ ...ext[0]!, segmentsLeft: 0 }] });
    setIpv6Dst(g, parse(g), 0x20010db8, 0, 0, 0x99);
    expect(allValid(g)).toBe(true);
  });

  it('the individual functions take numbers (words for IPv6)', () => {
    const f = buildNdSolicit(ns);
    const key = parse(f);
    expect(setNdTarget(f, key, ...w('2001:db8::5'))).toBe(true);
    expect(setIpv6Src(f, key, ...w('fe80::77'))).toBe(true);
    expect(f.equals(buildNdSolicit({ ...ns, target: '2001:db8::5', src: 'fe80::77' }))).toBe(true);
    const g = buildUdp({ ...udpBase, vlan: 9 });
    expect(setVlanVid(g, parse(g), 0x1fff)).toBe(true);
    expect(parse(g).vlanVid).toBe(0x1fff);
    expect(macFromString('02:00:00:00:00:0a')).toBe(0x02000000000a);
    expect(ipv4FromString('10.0.0.1')).toBe(0x0a000001);
  });

  it('takes OXM objects as @rumpflow/openflow decodes them', () => {
    const f = buildTcp({ ...tcpBase, ...v6 });
    const key = parse(f);
    const oxms: OxmBasic[] = [
      { field: 'IPV6_DST', value: 'fd00::1' },
      { field: 'TCP_DST', value: 8080 },
      { field: 'ETH_SRC', value: '02:00:00:00:00:99' },
    ];
    for (const o of oxms) expect(setField(f, key, o.field, o.value)).toBe(true);
    expect(
      f.equals(buildTcp({ ...tcpBase, ...v6, dst: 'fd00::1', dstPort: 8080, srcMac: '02:00:00:00:00:99' })),
    ).toBe(true);
  });

  it('a sequence of rewrites keeps every checksum right', () => {
    const f = buildTcp({ ...tcpBase, vlan: 7 });
    const key = parse(f);
    const steps: [OxmFieldName, unknown][] = [
      ['IPV4_SRC', '1.1.1.1'],
      ['IPV4_DST', '2.2.2.2'],
      ['TCP_SRC', 1],
      ['TCP_DST', 2],
      ['IP_DSCP', 12],
      ['IP_ECN', 2],
      ['VLAN_VID', 99],
      ['ETH_DST', '02:00:00:00:00:01'],
    ];
    for (const [field, value] of steps) expect(setField(f, key, field, value as never)).toBe(true);
    expect(
      f.equals(
        buildTcp({
          ...tcpBase,
          vlan: 99,
          src: '1.1.1.1',
          dst: '2.2.2.2',
          srcPort: 1,
          dstPort: 2,
          dscp: 12,
          ecn: 2,
          dstMac: '02:00:00:00:00:01',
        }),
      ),
    ).toBe(true);
    expect(key).toEqual(parse(f));
  });
});
