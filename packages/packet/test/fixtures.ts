// Addresses and sample frames shared by the tests.
import {
  buildArp,
  buildIcmpEcho,
  buildIcmpv6Echo,
  buildNdAdvert,
  buildNdSolicit,
  buildPbb,
  buildSctp,
  buildTcp,
  buildUdp,
  TCP_FLAGS,
} from '../src/build.js';

export const MAC_A = '02:00:00:00:00:0a';
export const MAC_B = '02:00:00:00:00:0b';
export const MAC_A_NUM = 0x02000000000a;
export const MAC_B_NUM = 0x02000000000b;
export const IP_A = '10.0.0.1';
export const IP_B = '10.0.0.2';
export const IP6_A = '2001:db8::a';
export const IP6_B = '2001:db8::b';

export const L2 = { srcMac: MAC_A, dstMac: MAC_B } as const;
export const V4 = { ...L2, src: IP_A, dst: IP_B } as const;
export const V6 = { ...L2, src: IP6_A, dst: IP6_B } as const;
export const payload = (n: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 13 + 7) & 0xff);

/** One frame of each kind the package knows, checksums filled by the builders. */
export function sampleFrames(): Record<string, Buffer> {
  const tcp = {
    srcPort: 40000,
    dstPort: 40080,
    flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK,
    seq: 0x01020304,
    ack: 0x0a0b0c0d,
    payload: payload(21),
  };
  const udp = { srcPort: 50000, dstPort: 50001, payload: payload(17) };
  return {
    tcp4: buildTcp({ ...V4, ...tcp }),
    'tcp4 vlan': buildTcp({ ...V4, ...tcp, vlan: { vid: 100, pcp: 5 } }),
    'tcp4 qinq': buildTcp({
      ...V4,
      ...tcp,
      vlan: [
        { vid: 200, pcp: 1 },
        { vid: 300, pcp: 2 },
      ],
    }),
    tcp6: buildTcp({ ...V6, ...tcp, flowLabel: 0x12345, dscp: 10, ecn: 1 }),
    'tcp6 ext': buildTcp({
      ...V6,
      ...tcp,
      ext: [{ type: 'hop' }, { type: 'dest' }, { type: 'routing' }, { type: 'ah' }],
    }),
    udp4: buildUdp({ ...V4, ...udp, dscp: 46, ecn: 2 }),
    'udp4 padded': buildUdp({ ...V4, ...udp, payload: payload(3), padTo: 60 }),
    'udp4 no checksum': buildUdp({ ...V4, ...udp, noChecksum: true }),
    udp6: buildUdp({ ...V6, ...udp }),
    sctp4: buildSctp({ ...V4, srcPort: 40001, dstPort: 40002 }),
    sctp6: buildSctp({ ...V6, srcPort: 40001, dstPort: 40002, vtag: 0xdeadbeef }),
    'icmp4 echo': buildIcmpEcho({ ...V4, type: 'request', id: 0x1234, seq: 7, payload: payload(32) }),
    'icmp6 echo': buildIcmpv6Echo({ ...V6, type: 'reply', id: 0x1234, seq: 7, payload: payload(32) }),
    'nd solicit': buildNdSolicit({ srcMac: MAC_A, src: 'fe80::a', target: 'fe80::b' }),
    'nd advert': buildNdAdvert({
      srcMac: MAC_B,
      dstMac: MAC_A,
      src: 'fe80::b',
      dst: 'fe80::a',
      target: 'fe80::b',
      solicited: true,
    }),
    'arp request': buildArp({ op: 'request', srcMac: MAC_A, sha: MAC_A, spa: IP_A, tpa: IP_B }),
    'arp reply': buildArp({ op: 'reply', srcMac: MAC_B, sha: MAC_B, spa: IP_B, tha: MAC_A, tpa: IP_A }),
    'mpls tcp4': buildTcp({ ...V4, ...tcp, mpls: [{ label: 100, tc: 3, ttl: 9 }, { label: 200 }] }),
    'vlan mpls udp4': buildUdp({ ...V4, ...udp, vlan: 7, mpls: [{ label: 0xfffff, tc: 7, ttl: 255 }] }),
    pbb: buildPbb({
      bDst: '02:00:00:00:01:01',
      bSrc: '02:00:00:00:01:02',
      isid: 0xabcdef,
      pcp: 3,
      inner: buildUdp({ ...V4, ...udp }),
    }),
  };
}
