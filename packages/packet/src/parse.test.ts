import { ETH_TYPE } from '@rumpflow/openflow';
import { describe, expect, it } from 'vitest';
import {
  IP6_A,
  IP6_B,
  IP_A,
  IP_B,
  L2,
  MAC_A,
  MAC_A_NUM,
  MAC_B,
  MAC_B_NUM,
  V4,
  V6,
  payload,
} from '../test/fixtures.js';
import { ipv4FromString, ipv6ToWords } from './addr.js';
import {
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIcmpv6,
  buildIcmpv6Echo,
  buildIpv4,
  buildIpv6,
  buildNdAdvert,
  buildNdSolicit,
  buildPbb,
  buildSctp,
  buildTcp,
  buildUdp,
  type Ipv6Ext,
  TCP_FLAGS,
} from './build.js';
import { FRAG, FlowKey } from './key.js';
import { IPPROTO, parseFrame } from './parse.js';

const IEH = { NONEXT: 1, ESP: 2, AUTH: 4, DEST: 8, FRAG: 16, ROUTER: 32, HOP: 64, UNREP: 128, UNSEQ: 256 };
const parse = (f: Uint8Array) => parseFrame(f, new FlowKey());
const tcp = { srcPort: 1234, dstPort: 80, flags: TCP_FLAGS.SYN, seq: 1, ack: 0 };

describe('Ethernet and VLAN', () => {
  it('an untagged TCP/IPv4 frame: every field and offset', () => {
    const k = parse(
      buildTcp({
        ...V4,
        ...tcp,
        flags: TCP_FLAGS.PSH | TCP_FLAGS.ACK | TCP_FLAGS.NS,
        dscp: 34,
        ecn: 3,
        ttl: 17,
      }),
    );
    expect(k).toMatchObject({
      ethDst: MAC_B_NUM,
      ethSrc: MAC_A_NUM,
      ethType: ETH_TYPE.IPV4,
      vlanVid: 0,
      vlanDepth: 0,
      vlanOff: -1,
      ethTypeOff: 12,
      ipDscp: 34,
      ipEcn: 3,
      ipTtl: 17,
      ipProto: IPPROTO.TCP,
      ipFrag: 0,
      ipv4Src: ipv4FromString(IP_A),
      ipv4Dst: ipv4FromString(IP_B),
      tpSrc: 1234,
      tpDst: 80,
      tcpFlags: 0x118,
      l3Off: 14,
      l4Off: 34,
      mplsOff: -1,
      pbbOff: -1,
      truncated: false,
    });
  });

  it('one 802.1Q tag: VID | OFPVID_PRESENT, PCP, TPID', () => {
    const k = parse(buildUdp({ ...V4, srcPort: 1, dstPort: 2, vlan: { vid: 0xabc, pcp: 6, dei: true } }));
    expect(k).toMatchObject({
      vlanVid: 0x1abc,
      vlanPcp: 6,
      vlanTpid: 0x8100,
      vlanDepth: 1,
      vlanOff: 12,
      ethTypeOff: 16,
    });
    expect(k).toMatchObject({ ethType: ETH_TYPE.IPV4, l3Off: 18, ipProto: IPPROTO.UDP, tpSrc: 1, tpDst: 2 });
  });

  it('VID 0 (priority tag) is still present', () => {
    expect(parse(buildUdp({ ...V4, srcPort: 1, dstPort: 2, vlan: { vid: 0, pcp: 3 } }))).toMatchObject({
      vlanVid: 0x1000,
      vlanPcp: 3,
    });
  });

  it('QinQ: the outer 802.1ad tag is the OXM one, ETH_TYPE is after both', () => {
    const k = parse(
      buildTcp({
        ...V4,
        ...tcp,
        vlan: [
          { vid: 10, pcp: 1 },
          { vid: 20, pcp: 2 },
        ],
      }),
    );
    expect(k).toMatchObject({
      vlanVid: 0x100a,
      vlanPcp: 1,
      vlanTpid: 0x88a8,
      vlanDepth: 2,
      ethTypeOff: 20,
      ethType: 0x0800,
      l3Off: 22,
    });
    expect(k.tpDst).toBe(80);
  });

  it('two 802.1Q tags (old-style QinQ) are both walked', () => {
    const k = parse(buildTcp({ ...V4, ...tcp, vlan: [{ vid: 10, tpid: 0x8100 }, { vid: 20 }] }));
    expect(k).toMatchObject({ vlanTpid: 0x8100, vlanVid: 0x100a, vlanDepth: 2, ethType: 0x0800 });
  });

  it('a third tag is left as the ethertype', () => {
    const k = parse(
      buildEthernet({ ...L2, vlan: [{ vid: 1 }, { vid: 2 }, { vid: 3 }] }, 0x0800, new Uint8Array(20)),
    );
    expect(k).toMatchObject({ vlanDepth: 2, ethType: 0x8100, ethTypeOff: 20, l3Off: -1 });
  });

  it('an unknown ethertype: Ethernet fields only', () => {
    const k = parse(buildEthernet(L2, 0x88cc, payload(40)));
    expect(k).toMatchObject({ ethType: 0x88cc, l3Off: -1, truncated: false, ethSrc: MAC_A_NUM });
  });
});

describe('PBB', () => {
  it('I-SID from the I-TAG, ETH_TYPE 0x88e7, backbone addresses', () => {
    const inner = buildUdp({ ...V4, srcPort: 1, dstPort: 2 });
    const k = parse(
      buildPbb({ bDst: '02:00:00:00:01:01', bSrc: '02:00:00:00:01:02', isid: 0x123456, pcp: 5, inner }),
    );
    expect(k).toMatchObject({
      ethType: ETH_TYPE.PBB,
      pbbIsid: 0x123456,
      pbbOff: 14,
      ethDst: 0x020000000101,
      ethSrc: 0x020000000102,
    });
    expect(k.l3Off).toBe(-1);
  });

  it('behind a B-TAG', () => {
    const k = parse(
      buildPbb({
        bDst: MAC_A,
        bSrc: MAC_A,
        bVlan: { vid: 5, tpid: 0x88a8 },
        isid: 0xffffff,
        inner: new Uint8Array(14),
      }),
    );
    expect(k).toMatchObject({ vlanVid: 0x1005, vlanTpid: 0x88a8, pbbOff: 18, pbbIsid: 0xffffff });
  });

  it('a cut I-TAG is truncated', () => {
    const f = buildPbb({ bDst: MAC_A, bSrc: MAC_A, isid: 1, inner: new Uint8Array(0) });
    const k = parse(f.subarray(0, 17));
    expect(k).toMatchObject({ truncated: true, pbbOff: -1, pbbIsid: 0 });
  });
});

describe('MPLS', () => {
  it('a two-entry stack: the top entry is the OXM one', () => {
    const k = parse(
      buildTcp({
        ...V4,
        ...tcp,
        mpls: [
          { label: 0xabcde, tc: 5, ttl: 33 },
          { label: 16, ttl: 1 },
        ],
      }),
    );
    expect(k).toMatchObject({
      ethType: 0x8847,
      mplsOff: 14,
      mplsLabel: 0xabcde,
      mplsTc: 5,
      mplsBos: 0,
      mplsTtl: 33,
      mplsDepth: 2,
    });
    // the parser does not look below MPLS
    expect(k).toMatchObject({ l3Off: -1, ipProto: 0, tpDst: 0 });
  });

  it('a single entry has BOS set; multicast ethertype; behind a VLAN tag', () => {
    const k = parse(
      buildUdp({ ...V4, srcPort: 1, dstPort: 2, vlan: 9, mpls: [{ label: 3 }], mplsEthType: 0x8848 }),
    );
    expect(k).toMatchObject({
      ethType: 0x8848,
      vlanVid: 0x1009,
      mplsOff: 18,
      mplsLabel: 3,
      mplsBos: 1,
      mplsDepth: 1,
      mplsTtl: 64,
    });
  });

  it('a stack of four', () => {
    const mpls = [1, 2, 3, 4].map((label) => ({ label }));
    expect(parse(buildUdp({ ...V4, srcPort: 1, dstPort: 2, mpls })).mplsDepth).toBe(4);
  });

  it('a stack cut short counts the entries present', () => {
    const f = buildUdp({ ...V4, srcPort: 1, dstPort: 2, mpls: [{ label: 1 }, { label: 2 }, { label: 3 }] });
    expect(parse(f.subarray(0, 14 + 8))).toMatchObject({ mplsDepth: 2, mplsLabel: 1, truncated: false });
    expect(parse(f.subarray(0, 14 + 3))).toMatchObject({ mplsOff: -1, truncated: true });
  });
});

describe('ARP', () => {
  it('request and reply fields', () => {
    const req = parse(buildArp({ op: 'request', srcMac: MAC_A, sha: MAC_A, spa: IP_A, tpa: IP_B }));
    expect(req).toMatchObject({
      ethType: 0x0806,
      ethDst: 0xffffffffffff,
      arpOp: 1,
      arpSha: MAC_A_NUM,
      arpSpa: 0x0a000001,
      arpTha: 0,
      arpTpa: 0x0a000002,
      l3Off: 14,
    });
    const rep = parse(
      buildArp({
        op: 'reply',
        srcMac: MAC_B,
        sha: '02:00:00:00:00:0b',
        spa: IP_B,
        tha: MAC_A,
        tpa: IP_A,
        vlan: 4,
      }),
    );
    expect(rep).toMatchObject({
      ethDst: MAC_A_NUM,
      arpOp: 2,
      arpSha: MAC_B_NUM,
      arpTha: MAC_A_NUM,
      arpSpa: 0x0a000002,
      vlanVid: 0x1004,
    });
  });

  it('non-Ethernet/IPv4 ARP leaves the ARP fields zero', () => {
    const f = buildArp({ op: 'request', srcMac: MAC_A, sha: MAC_A, spa: IP_A, tpa: IP_B });
    f[14 + 1] = 6; // htype 6 (IEEE 802)
    expect(parse(f)).toMatchObject({ ethType: 0x0806, arpOp: 0, arpSpa: 0, l3Off: 14 });
  });

  it('a short ARP packet is truncated', () => {
    const f = buildArp({ op: 'request', srcMac: MAC_A, sha: MAC_A, spa: IP_A, tpa: IP_B });
    expect(parse(f.subarray(0, 41))).toMatchObject({ truncated: true, arpOp: 0 });
  });
});

describe('IPv4', () => {
  it('with options: the transport header follows the IHL', () => {
    const k = parse(
      buildUdp({ ...V4, srcPort: 7, dstPort: 9, ipOptions: Uint8Array.of(1, 1, 1, 0, 0x94, 4, 0, 0) }),
    );
    expect(k).toMatchObject({ l3Off: 14, l4Off: 14 + 28, tpSrc: 7, tpDst: 9 });
  });

  it('first fragment: FRAG.ANY, transport parsed', () => {
    const k = parse(buildUdp({ ...V4, srcPort: 7, dstPort: 9, mf: true, ipId: 77 }));
    expect(k).toMatchObject({ ipFrag: FRAG.ANY, tpSrc: 7, tpDst: 9 });
  });

  it('later fragment: ANY | LATER, no transport fields', () => {
    const k = parse(buildIpv4({ ...V4, proto: IPPROTO.UDP, fragOffset: 1480, payload: payload(40) }));
    expect(k).toMatchObject({
      ipFrag: FRAG.ANY | FRAG.LATER,
      ipProto: 17,
      l4Off: -1,
      tpSrc: 0,
      tpDst: 0,
      truncated: false,
    });
    const last = parse(
      buildIpv4({ ...V4, proto: IPPROTO.TCP, fragOffset: 8, mf: true, payload: payload(40) }),
    );
    expect(last).toMatchObject({ ipFrag: FRAG.ANY | FRAG.LATER, l4Off: -1 });
  });

  it('DF alone is not a fragment', () => {
    expect(parse(buildUdp({ ...V4, srcPort: 1, dstPort: 2, df: true })).ipFrag).toBe(0);
  });

  it('ICMP echo: type and code', () => {
    const k = parse(buildIcmpEcho({ ...V4, type: 'request', id: 1, seq: 2 }));
    expect(k).toMatchObject({ ipProto: 1, icmpType: 8, icmpCode: 0, l4Off: 34 });
    expect(parse(buildIcmpEcho({ ...V4, type: 'reply', id: 1, seq: 2 })).icmpType).toBe(0);
  });

  it('SCTP ports', () => {
    expect(parse(buildSctp({ ...V4, srcPort: 36412, dstPort: 38412 }))).toMatchObject({
      ipProto: 132,
      tpSrc: 36412,
      tpDst: 38412,
    });
  });

  it('Ethernet padding is not transport data: the datagram ends at the total length', () => {
    const f = buildIcmpEcho({ ...V4, type: 'request', id: 1, seq: 2, padTo: 60 });
    expect(f.length).toBe(60);
    const k = parse(f);
    expect(k.icmpType).toBe(8);
    // a total length too short for the ICMP header: truncated even though padding follows
    f.writeUInt16BE(22, 16);
    expect(parse(f)).toMatchObject({ truncated: true, l4Off: -1, icmpType: 0 });
  });

  it('a bad version or IHL is not parsed', () => {
    const f = buildUdp({ ...V4, srcPort: 1, dstPort: 2 });
    f[14] = 0x44;
    expect(parse(f)).toMatchObject({ truncated: true, l3Off: -1, ipProto: 0 });
    f[14] = 0x65;
    expect(parse(f)).toMatchObject({ truncated: true, l3Off: -1 });
  });

  it('ICMPv6 inside IPv4 is not ICMP', () => {
    const k = parse(buildIpv4({ ...V4, proto: 58, payload: payload(8) }));
    expect(k).toMatchObject({ ipProto: 58, l4Off: -1, icmpType: 0 });
  });
});

describe('IPv6', () => {
  const w = (s: string) => ipv6ToWords(s);

  it('header fields: addresses, traffic class, flow label, hop limit', () => {
    const k = parse(
      buildUdp({ ...V6, srcPort: 546, dstPort: 547, flowLabel: 0xfedcb, dscp: 63, ecn: 1, ttl: 3 }),
    );
    expect([k.ipv6Src0, k.ipv6Src1, k.ipv6Src2, k.ipv6Src3]).toEqual(w(IP6_A));
    expect([k.ipv6Dst0, k.ipv6Dst1, k.ipv6Dst2, k.ipv6Dst3]).toEqual(w(IP6_B));
    expect(k).toMatchObject({
      ethType: 0x86dd,
      ipDscp: 63,
      ipEcn: 1,
      ipv6Flabel: 0xfedcb,
      ipTtl: 3,
      ipProto: 17,
      tpSrc: 546,
      tpDst: 547,
      ipv6Exthdr: 0,
      l4Off: 54,
    });
  });

  it('TCP and SCTP', () => {
    expect(parse(buildTcp({ ...V6, ...tcp }))).toMatchObject({ ipProto: 6, tpSrc: 1234, tcpFlags: 2 });
    expect(parse(buildSctp({ ...V6, srcPort: 5, dstPort: 6 }))).toMatchObject({ ipProto: 132, tpDst: 6 });
  });

  const exthdr = (ext: Ipv6Ext[], nextHeader: number = IPPROTO.TCP) =>
    parse(
      nextHeader === IPPROTO.TCP
        ? buildTcp({ ...V6, ...tcp, ext })
        : buildIpv6({ ...V6, ext, nextHeader, payload: payload(8) }),
    );

  it('the full preferred order: HOP, DEST, ROUTER, FRAG, AUTH, DEST, then TCP', () => {
    const k = exthdr([
      { type: 'hop' },
      { type: 'dest' },
      { type: 'routing' },
      { type: 'fragment' },
      { type: 'ah' },
      { type: 'dest' },
    ]);
    expect(k.ipv6Exthdr).toBe(IEH.HOP | IEH.DEST | IEH.ROUTER | IEH.FRAG | IEH.AUTH);
    expect(k).toMatchObject({ ipProto: 6, tpDst: 80, ipFrag: FRAG.ANY, truncated: false });
  });

  it('each header alone', () => {
    expect(exthdr([{ type: 'hop' }]).ipv6Exthdr).toBe(IEH.HOP);
    expect(exthdr([{ type: 'dest' }]).ipv6Exthdr).toBe(IEH.DEST);
    expect(exthdr([{ type: 'routing', segmentsLeft: 1, data: new Uint8Array(16) }]).ipv6Exthdr).toBe(
      IEH.ROUTER,
    );
    expect(exthdr([{ type: 'ah', icv: new Uint8Array(20) }]).ipv6Exthdr).toBe(IEH.AUTH);
    expect(exthdr([{ type: 'hop', options: Uint8Array.of(5, 2, 0, 0) }]).ipv6Exthdr).toBe(IEH.HOP); // router alert
  });

  it('ESP ends the walk: ipProto 50, no transport', () => {
    const k = exthdr([{ type: 'hop' }, { type: 'esp' }]);
    expect(k).toMatchObject({ ipv6Exthdr: IEH.HOP | IEH.ESP, ipProto: 50, l4Off: -1, truncated: false });
  });

  it('no next header (59): NONEXT', () => {
    expect(exthdr([{ type: 'dest' }], IPPROTO.NONE)).toMatchObject({
      ipv6Exthdr: IEH.DEST | IEH.NONEXT,
      ipProto: 59,
    });
    expect(exthdr([], IPPROTO.NONE)).toMatchObject({ ipv6Exthdr: IEH.NONEXT, ipProto: 59 });
  });

  it('fragments: first (transport parsed), later (next header of the fragment header, no transport), atomic', () => {
    expect(exthdr([{ type: 'fragment', more: true }])).toMatchObject({
      ipFrag: FRAG.ANY,
      ipProto: 6,
      tpDst: 80,
      ipv6Exthdr: IEH.FRAG,
    });
    const later = parse(
      buildIpv6({
        ...V6,
        ext: [{ type: 'fragment', offset: 1448 }],
        nextHeader: IPPROTO.UDP,
        payload: payload(100),
      }),
    );
    expect(later).toMatchObject({
      ipFrag: FRAG.ANY | FRAG.LATER,
      ipProto: 17,
      l4Off: -1,
      tpDst: 0,
      ipv6Exthdr: IEH.FRAG,
    });
    expect(exthdr([{ type: 'fragment' }])).toMatchObject({ ipFrag: FRAG.ANY, tpDst: 80 });
  });

  it('UNREP: a header twice, or a third destination-options header', () => {
    expect(exthdr([{ type: 'routing' }, { type: 'routing' }]).ipv6Exthdr).toBe(IEH.ROUTER | IEH.UNREP);
    expect(exthdr([{ type: 'fragment' }, { type: 'fragment' }]).ipv6Exthdr).toBe(IEH.FRAG | IEH.UNREP);
    expect(exthdr([{ type: 'ah' }, { type: 'ah' }]).ipv6Exthdr).toBe(IEH.AUTH | IEH.UNREP);
    expect(exthdr([{ type: 'hop' }, { type: 'hop' }]).ipv6Exthdr).toBe(IEH.HOP | IEH.UNREP | IEH.UNSEQ);
    // two destination-options headers are expected (before routing, and final)...
    expect(exthdr([{ type: 'dest' }, { type: 'routing' }, { type: 'dest' }]).ipv6Exthdr).toBe(
      IEH.DEST | IEH.ROUTER,
    );
    expect(exthdr([{ type: 'dest' }, { type: 'dest' }]).ipv6Exthdr).toBe(IEH.DEST);
    // ...a third is not, nor two final ones
    expect(exthdr([{ type: 'dest' }, { type: 'dest' }, { type: 'dest' }]).ipv6Exthdr).toBe(
      IEH.DEST | IEH.UNREP,
    );
    expect(exthdr([{ type: 'routing' }, { type: 'dest' }, { type: 'dest' }]).ipv6Exthdr).toBe(
      IEH.ROUTER | IEH.DEST | IEH.UNREP,
    );
  });

  it('UNSEQ: out of the preferred order', () => {
    expect(exthdr([{ type: 'routing' }, { type: 'hop' }]).ipv6Exthdr).toBe(IEH.ROUTER | IEH.HOP | IEH.UNSEQ);
    expect(exthdr([{ type: 'fragment' }, { type: 'routing' }]).ipv6Exthdr).toBe(
      IEH.FRAG | IEH.ROUTER | IEH.UNSEQ,
    );
    expect(exthdr([{ type: 'ah' }, { type: 'fragment' }]).ipv6Exthdr).toBe(IEH.AUTH | IEH.FRAG | IEH.UNSEQ);
    // the final destination-options header must come last
    expect(exthdr([{ type: 'routing' }, { type: 'dest' }, { type: 'ah' }]).ipv6Exthdr).toBe(
      IEH.ROUTER | IEH.DEST | IEH.AUTH | IEH.UNSEQ,
    );
    expect(
      exthdr([{ type: 'hop' }, { type: 'dest' }, { type: 'routing' }, { type: 'dest' }, { type: 'ah' }])
        .ipv6Exthdr,
    ).toBe(IEH.HOP | IEH.DEST | IEH.ROUTER | IEH.AUTH | IEH.UNSEQ);
    // a destination-options header right after HOP precedes a routing header: in order
    expect(exthdr([{ type: 'hop' }, { type: 'dest' }, { type: 'fragment' }]).ipv6Exthdr).toBe(
      IEH.HOP | IEH.DEST | IEH.FRAG,
    );
  });

  it('a cut extension header is truncated, the header reached recorded', () => {
    const f = buildTcp({
      ...V6,
      ...tcp,
      ext: [{ type: 'hop' }, { type: 'routing', data: new Uint8Array(16) }],
    });
    const k = parse(f.subarray(0, 54 + 8 + 10));
    expect(k).toMatchObject({ truncated: true, ipv6Exthdr: IEH.HOP | IEH.ROUTER, l4Off: -1 });
  });

  it('ICMPv6 echo', () => {
    expect(parse(buildIcmpv6Echo({ ...V6, type: 'request', id: 1, seq: 1 }))).toMatchObject({
      ipProto: 58,
      icmpType: 128,
      icmpCode: 0,
    });
  });
});

describe('IPv6 neighbour discovery', () => {
  const w = (s: string) => ipv6ToWords(s);
  const target = (k: FlowKey) => [k.ndTarget0, k.ndTarget1, k.ndTarget2, k.ndTarget3];

  it('solicitation: target and SLL option; to the solicited-node group', () => {
    const f = buildNdSolicit({ srcMac: MAC_A, src: 'fe80::a', target: '2001:db8::1:2:3' });
    const k = parse(f);
    expect(k).toMatchObject({
      icmpType: 135,
      icmpCode: 0,
      ndSll: MAC_A_NUM,
      ndTll: 0,
      ndOptOff: 54 + 24,
      ipTtl: 255,
    });
    expect(target(k)).toEqual(w('2001:db8::1:2:3'));
    expect([k.ipv6Dst0, k.ipv6Dst1, k.ipv6Dst2, k.ipv6Dst3]).toEqual(w('ff02::1:ff02:3'));
    expect(k.ethDst).toBe(0x3333ff020003);
  });

  it('solicitation without SLL (duplicate address detection)', () => {
    const k = parse(buildNdSolicit({ srcMac: MAC_A, src: '::', target: 'fe80::a', sll: null }));
    expect(k).toMatchObject({ icmpType: 135, ndSll: 0, ndOptOff: -1 });
    expect(target(k)).toEqual(w('fe80::a'));
  });

  it('advertisement: target and TLL option', () => {
    const k = parse(
      buildNdAdvert({
        srcMac: MAC_A,
        src: 'fe80::a',
        target: 'fe80::a',
        solicited: true,
        tll: '02:11:22:33:44:55',
      }),
    );
    expect(k).toMatchObject({ icmpType: 136, ndTll: 0x021122334455, ndSll: 0, ndOptOff: 78 });
  });

  it('the link-layer option is found after other options; the wrong kind is ignored', () => {
    const body = new Uint8Array(20 + 8 + 8);
    body.set(ipv6Bytes('fe80::9'), 4);
    body.set([14, 1, 1, 2, 3, 4, 5, 6], 20); // a nonce option (RFC 3971) first
    body.set([1, 1, 2, 0, 0, 0, 0, 9], 28); // SLL
    const ns = parse(buildIcmpv6({ ...V6, type: 135, body }));
    expect(ns).toMatchObject({ ndSll: 0x020000000009, ndOptOff: 54 + 24 + 8 });
    const na = parse(buildIcmpv6({ ...V6, type: 136, body })); // SLL in an advertisement: not a TLL
    expect(na).toMatchObject({ ndTll: 0, ndSll: 0, ndOptOff: -1 });
    expect(target(na)).toEqual(w('fe80::9'));
  });

  it('a zero-length option stops the option walk; a nonzero code is not ND', () => {
    const body = new Uint8Array(20 + 16);
    body.set([1, 0], 20);
    expect(parse(buildIcmpv6({ ...V6, type: 135, body }))).toMatchObject({ ndOptOff: -1, truncated: false });
    const k = parse(buildIcmpv6({ ...V6, type: 135, code: 1, body }));
    expect(k).toMatchObject({ icmpCode: 1, ndTarget0: 0, ndOptOff: -1 });
  });

  it('a message too short for the target is truncated', () => {
    expect(parse(buildIcmpv6({ ...V6, type: 136, body: new Uint8Array(10) }))).toMatchObject({
      truncated: true,
      icmpType: 136,
    });
  });
});

describe('truncation and key reuse', () => {
  it('frames under 14 bytes', () => {
    expect(parse(new Uint8Array(0))).toMatchObject({ truncated: true, ethDst: 0, ethType: 0 });
    expect(parse(buildUdp({ ...V4, srcPort: 1, dstPort: 2 }).subarray(0, 13))).toMatchObject({
      truncated: true,
      ethDst: MAC_B_NUM,
      ethSrc: MAC_A_NUM,
      ethType: 0,
    });
  });

  it('a cut VLAN tag, IPv4 header, TCP header', () => {
    const f = buildTcp({ ...V4, ...tcp, vlan: 3 });
    expect(parse(f.subarray(0, 17))).toMatchObject({ truncated: true, ethType: 0 });
    expect(parse(f.subarray(0, 18 + 19))).toMatchObject({
      truncated: true,
      ethType: 0x0800,
      l3Off: -1,
      ipProto: 0,
    });
    expect(parse(f.subarray(0, 18 + 20 + 19))).toMatchObject({
      truncated: true,
      ipProto: 6,
      l3Off: 18,
      l4Off: -1,
      tpSrc: 0,
    });
  });

  it('a reused key keeps pipeline metadata and nothing else', () => {
    const key = new FlowKey();
    key.inPort = 7;
    key.tunnelId = 42n;
    parseFrame(buildTcp({ ...V4, ...tcp, vlan: 5 }), key);
    expect(key.tpDst).toBe(80);
    parseFrame(buildArp({ op: 'request', srcMac: MAC_A, sha: MAC_A, spa: IP_A, tpa: IP_B }), key);
    expect(key).toMatchObject({
      inPort: 7,
      tunnelId: 42n,
      tpDst: 0,
      ipProto: 0,
      vlanVid: 0,
      vlanOff: -1,
      l4Off: -1,
      arpOp: 1,
    });
    const copy = key.clone();
    parseFrame(new Uint8Array(3), key);
    expect(copy.arpOp).toBe(1);
    expect(copy).toBeInstanceOf(FlowKey);
  });
});

function ipv6Bytes(s: string): Uint8Array {
  const b = new Uint8Array(16);
  ipv6ToWords(s).forEach((x, i) => new DataView(b.buffer).setUint32(4 * i, x));
  return b;
}
