import { describe, expect, it } from 'vitest';
import { MAC_A, MAC_B, V4, V6, payload, sampleFrames } from '../test/fixtures.js';
import { allValid, verifyFrame } from '../test/verify.js';
import { ipv6ToWords } from './addr.js';
import {
  buildArp,
  buildIcmpEcho,
  buildIpv6,
  buildSctp,
  buildTcp,
  buildUdp,
  mplsLse,
  padFrame,
  solicitedNode,
  TCP_FLAGS,
} from './build.js';
import { checksumsValid, fillChecksums } from './frame-checksum.js';
import { FlowKey } from './key.js';
import { parseFrame } from './parse.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('builders', () => {
  const samples = sampleFrames();

  it.each(Object.keys(samples))('%s: every checksum verifies (independent checker)', (name) => {
    const f = samples[name]!;
    const v = verifyFrame(f);
    expect(v.ipv4 !== false && v.l4 !== false).toBe(true);
    const key = parseFrame(f, new FlowKey());
    expect(key.truncated).toBe(false);
    if (
      !name.startsWith('mpls') &&
      !name.startsWith('vlan mpls') &&
      !name.startsWith('arp') &&
      name !== 'pbb'
    ) {
      expect(v.l4).toBe(true);
      expect(checksumsValid(f, key)).toBe(true);
    }
  });

  it('the independent checker covers what it should', () => {
    expect(verifyFrame(samples['tcp4']!)).toEqual({ ipv4: true, l4: true, kind: 'tcp' });
    expect(verifyFrame(samples['tcp6 ext']!)).toEqual({ l4: true, kind: 'tcp' });
    expect(verifyFrame(samples['udp4 no checksum']!)).toEqual({ ipv4: true, l4: true, kind: 'udp-none' });
    expect(verifyFrame(samples['sctp6']!)).toEqual({ l4: true, kind: 'sctp' });
    expect(verifyFrame(samples['nd solicit']!)).toEqual({ l4: true, kind: 'icmpv6' });
    expect(verifyFrame(samples['mpls tcp4']!)).toEqual({ ipv4: true, l4: true, kind: 'tcp' });
    expect(verifyFrame(samples['icmp4 echo']!)).toEqual({ ipv4: true, l4: true, kind: 'icmp' });
  });

  it('a corrupted byte is caught by checksumsValid and by the checker', () => {
    for (const name of ['tcp4', 'udp6', 'sctp4', 'icmp4 echo', 'icmp6 echo', 'nd advert']) {
      const f = Buffer.from(samples[name]!);
      f[f.length - 1] = f[f.length - 1]! ^ 0x40;
      expect(allValid(f), name).toBe(false);
      expect(checksumsValid(f, parseFrame(f, new FlowKey())), name).toBe(false);
    }
    const f = Buffer.from(samples['udp4']!);
    f[14 + 8] = f[14 + 8]! ^ 1; // the TTL
    expect(checksumsValid(f, parseFrame(f, new FlowKey()))).toBe(false);
  });

  it('ARP request: byte for byte', () => {
    const f = buildArp({ op: 'request', srcMac: MAC_A, sha: MAC_A, spa: '10.0.0.1', tpa: '10.0.0.2' });
    expect(hex(f)).toBe(
      'ffffffffffff' +
        '02000000000a' +
        '0806' +
        '0001' +
        '0800' +
        '06' +
        '04' +
        '0001' +
        '02000000000a' +
        '0a000001' +
        '000000000000' +
        '0a000002',
    );
    expect(
      buildArp({
        op: 'reply',
        srcMac: MAC_B,
        sha: MAC_B,
        spa: '10.0.0.2',
        tha: MAC_A,
        tpa: '10.0.0.1',
        padTo: 60,
      }).subarray(0, 6),
    ).toEqual(Buffer.from('02000000000a', 'hex'));
  });

  it('ICMP echo: byte for byte, with the checksum RFC 1071 gives', () => {
    const f = buildIcmpEcho({
      ...V4,
      type: 'request',
      id: 0x0102,
      seq: 0x0304,
      payload: Uint8Array.of(0xaa, 0xbb),
      ttl: 1,
    });
    // IPv4: 45 00 001e 0000 0000 01 01 cksum 0a000001 0a000002
    expect(hex(f.subarray(14, 34))).toMatch(/^4500001e000000000101[0-9a-f]{4}0a0000010a000002$/);
    expect(hex(f.subarray(34))).toMatch(/^0800[0-9a-f]{4}01020304aabb$/);
    // 0800 + 0102 + 0304 + aabb = b6c1 -> checksum 493e
    expect(hex(f.subarray(36, 38))).toBe('493e');
  });

  it('UDP and TCP header fields', () => {
    const u = buildUdp({ ...V4, srcPort: 1000, dstPort: 2000, payload: payload(5) });
    expect(u.readUInt16BE(34 + 4)).toBe(13);
    expect(u.readUInt16BE(14 + 2)).toBe(33);
    const t = buildTcp({
      ...V4,
      srcPort: 1,
      dstPort: 2,
      flags: TCP_FLAGS.SYN | TCP_FLAGS.NS,
      seq: 0xfffffffe,
      ack: 5,
      tcpOptions: Uint8Array.of(2, 4, 5, 0xb4, 1),
      window: 1024,
    });
    expect(t[34 + 12]).toBe((7 << 4) | 1);
    expect(t[34 + 13]).toBe(2);
    expect(t.readUInt32BE(34 + 4)).toBe(0xfffffffe);
    expect(t.readUInt16BE(34 + 14)).toBe(1024);
    expect(allValid(t)).toBe(true);
  });

  it('IPv4 by default, IPv6 when asked or when the address has a colon', () => {
    expect(buildUdp({ ...V4, srcPort: 1, dstPort: 2 }).readUInt16BE(12)).toBe(0x0800);
    expect(buildUdp({ ...V6, srcPort: 1, dstPort: 2 }).readUInt16BE(12)).toBe(0x86dd);
    expect(
      buildUdp({
        ...V4,
        src: '::ffff:10.0.0.1',
        dst: '::1',
        srcPort: 1,
        dstPort: 2,
        ipv6: true,
      }).readUInt16BE(12),
    ).toBe(0x86dd);
  });

  it('a UDP checksum that computes to 0 is sent as 0xffff', () => {
    // pick a payload word that makes the sum 0xffff, i.e. the checksum 0
    const base = buildUdp({ ...V4, srcPort: 1, dstPort: 2, payload: new Uint8Array(2) });
    const c = base.readUInt16BE(34 + 6);
    const f = buildUdp({ ...V4, srcPort: 1, dstPort: 2, payload: Uint8Array.of(c >> 8, c & 0xff) });
    expect(f.readUInt16BE(34 + 6)).toBe(0xffff);
    expect(verifyFrame(f)).toEqual({ ipv4: true, l4: true, kind: 'udp' });
  });

  it('MPLS entries and the spliced stack', () => {
    expect(mplsLse(0xfffff, 7, true, 255)).toBe(0xffffffff);
    expect(mplsLse(16, 1, false, 64)).toBe((16 << 12) | (1 << 9) | 64);
    const f = buildUdp({
      ...V4,
      srcPort: 1,
      dstPort: 2,
      vlan: 3,
      mpls: [
        { label: 16, tc: 1 },
        { label: 17, ttl: 5 },
      ],
    });
    expect(f.readUInt16BE(16)).toBe(0x8847);
    expect(f.readUInt32BE(18)).toBe(mplsLse(16, 1, false, 64));
    expect(f.readUInt32BE(22)).toBe(mplsLse(17, 0, true, 5));
    expect(f[26]).toBe(0x45);
  });

  it('padding: to 60 bytes, the datagram unchanged', () => {
    const f = buildIcmpEcho({ ...V4, type: 'request', id: 1, seq: 1, padTo: 60 });
    expect(f.length).toBe(60);
    expect(allValid(f)).toBe(true);
    expect(padFrame(f, 10)).toBe(f);
  });

  it('SCTP: DATA chunk by default, raw chunks when given', () => {
    const f = buildSctp({ ...V4, srcPort: 1, dstPort: 2, payload: Uint8Array.of(1, 2, 3, 4, 5) });
    expect(f[34 + 12]).toBe(0);
    expect(f.readUInt16BE(34 + 14)).toBe(21);
    expect(f.length).toBe(34 + 12 + 16 + 8);
    const g = buildSctp({ ...V6, srcPort: 1, dstPort: 2, chunks: Uint8Array.of(1, 0, 0, 4) });
    expect(g.length).toBe(54 + 16);
    expect(allValid(g)).toBe(true);
  });

  it('IPv6 extension headers: lengths and next-header chain', () => {
    const f = buildIpv6({
      ...V6,
      nextHeader: 17,
      payload: payload(8),
      ext: [
        { type: 'hop', options: Uint8Array.of(5, 2, 0, 0) },
        { type: 'routing', data: new Uint8Array(16) },
        { type: 'fragment', offset: 16, more: true, id: 9 },
        { type: 'ah' },
      ],
    });
    expect(f[20]).toBe(0); // IPv6 -> HOP
    expect([f[54], f[55]]).toEqual([43, 0]); // HOP -> ROUTING, 8 bytes
    expect([f[62], f[63]]).toEqual([44, 2]); // ROUTING -> FRAG, 24 bytes
    expect([f[86], f.readUInt16BE(88), f.readUInt32BE(90)]).toEqual([51, 16 | 1, 9]); // FRAG -> AH
    expect([f[94], f[95]]).toEqual([17, 4]); // AH -> UDP, 24 bytes
    expect(f.readUInt16BE(18)).toBe(8 + 24 + 8 + 24 + 8);
  });

  it('solicited-node addresses', () => {
    expect(solicitedNode('2001:db8::abcd:1234')).toEqual({
      ip: 'ff02::1:ffcd:1234',
      mac: '33:33:ff:cd:12:34',
    });
    expect(ipv6ToWords(solicitedNode('fe80::1').ip)).toEqual(ipv6ToWords('ff02::1:ff00:1'));
  });

  it('fillChecksums repairs every checksum of a parsed frame', () => {
    for (const [name, f0] of Object.entries(samples)) {
      const f = Buffer.from(f0);
      const key = parseFrame(f, new FlowKey());
      if (key.l3Off >= 0) f.fill(0x77, f.length - 2); // corrupt something covered
      fillChecksums(f, key);
      if (!name.includes('mpls') && name !== 'pbb' && !name.startsWith('arp'))
        expect(allValid(f), name).toBe(true);
    }
  });
});
