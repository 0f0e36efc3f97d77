import { describe, expect, it } from 'vitest';
import { MAC_A, V4, V6 } from '../test/fixtures.js';
import { verifyFrame } from '../test/verify.js';
import { buildArp, buildEthernet, buildTcp, buildUdp, type MplsEntry } from './build.js';
import { FlowKey } from './key.js';
import { parseFrame } from './parse.js';
import {
  TTL_ABSENT,
  TTL_INVALID,
  copyTtlIn,
  copyTtlOut,
  decMplsTtl,
  decNwTtl,
  setMplsTtl,
  setNwTtl,
} from './ttl.js';

const parse = (f: Uint8Array) => parseFrame(f, new FlowKey());
const udp4 = (ttl: number, extra = {}) => buildUdp({ ...V4, srcPort: 1, dstPort: 2, ttl, ...extra });
const udp6 = (ttl: number, extra = {}) => buildUdp({ ...V6, srcPort: 1, dstPort: 2, ttl, ...extra });
const mplsUdp4 = (mpls: MplsEntry[], ttl = 64) => buildUdp({ ...V4, srcPort: 1, dstPort: 2, ttl, mpls });

describe('IP TTL', () => {
  it('decrement IPv4: new TTL returned, header checksum updated exactly', () => {
    const f = udp4(64, { vlan: 2 });
    const key = parse(f);
    expect(decNwTtl(f, key)).toBe(63);
    expect(f.equals(udp4(63, { vlan: 2 }))).toBe(true);
    expect(key.ipTtl).toBe(63);
    expect(decNwTtl(f, key)).toBe(62);
    expect(verifyFrame(f).ipv4).toBe(true);
  });

  it('decrement IPv6 hop limit', () => {
    const f = udp6(2);
    const key = parse(f);
    expect(decNwTtl(f, key)).toBe(1);
    expect(f.equals(udp6(1))).toBe(true);
    expect(decNwTtl(f, key)).toBe(TTL_INVALID);
    expect(f.equals(udp6(1))).toBe(true);
  });

  it('a TTL of 1 or 0 is invalid and left as it is', () => {
    for (const ttl of [0, 1]) {
      const f = udp4(ttl);
      expect(decNwTtl(f, parse(f))).toBe(TTL_INVALID);
      expect(f.equals(udp4(ttl))).toBe(true);
    }
  });

  it('no IP header: absent (MPLS hides it, ARP has none)', () => {
    const a = buildArp({ op: 'request', srcMac: MAC_A, sha: MAC_A, spa: '1.1.1.1', tpa: '1.1.1.2' });
    expect(decNwTtl(a, parse(a))).toBe(TTL_ABSENT);
    const m = mplsUdp4([{ label: 1 }]);
    expect(decNwTtl(m, parse(m))).toBe(TTL_ABSENT);
    expect(setNwTtl(m, parse(m), 5)).toBe(false);
  });

  it('set', () => {
    const f = udp4(64);
    const key = parse(f);
    expect(setNwTtl(f, key, 255)).toBe(true);
    expect(f.equals(udp4(255))).toBe(true);
    const g = udp6(64);
    expect(setNwTtl(g, parse(g), 0)).toBe(true);
    expect(g.equals(udp6(0))).toBe(true);
  });
});

describe('MPLS TTL', () => {
  it('decrement the top entry; 1 or 0 invalid; absent without MPLS', () => {
    const f = mplsUdp4([
      { label: 5, ttl: 9 },
      { label: 6, ttl: 4 },
    ]);
    const key = parse(f);
    expect(decMplsTtl(f, key)).toBe(8);
    expect(
      f.equals(
        mplsUdp4([
          { label: 5, ttl: 8 },
          { label: 6, ttl: 4 },
        ]),
      ),
    ).toBe(true);
    expect(key.mplsTtl).toBe(8);
    const one = mplsUdp4([{ label: 5, ttl: 1 }]);
    expect(decMplsTtl(one, parse(one))).toBe(TTL_INVALID);
    const u = udp4(64);
    expect(decMplsTtl(u, parse(u))).toBe(TTL_ABSENT);
    expect(setMplsTtl(u, parse(u), 3)).toBe(false);
  });

  it('set', () => {
    const f = mplsUdp4([{ label: 5, ttl: 9, tc: 3 }]);
    const key = parse(f);
    expect(setMplsTtl(f, key, 200)).toBe(true);
    expect(f.equals(mplsUdp4([{ label: 5, ttl: 200, tc: 3 }]))).toBe(true);
    expect(key.mplsTtl).toBe(200);
  });
});

describe('copy TTL', () => {
  it('out: next MPLS entry -> top', () => {
    const f = mplsUdp4([
      { label: 5, ttl: 9 },
      { label: 6, ttl: 4 },
    ]);
    const key = parse(f);
    expect(copyTtlOut(f, key)).toBe(true);
    expect(
      f.equals(
        mplsUdp4([
          { label: 5, ttl: 4 },
          { label: 6, ttl: 4 },
        ]),
      ),
    ).toBe(true);
    expect(key.mplsTtl).toBe(4);
  });

  it('out: IPv4 TTL / IPv6 hop limit -> a single entry', () => {
    const f = mplsUdp4([{ label: 5, ttl: 9 }], 33);
    expect(copyTtlOut(f, parse(f))).toBe(true);
    expect(f.equals(mplsUdp4([{ label: 5, ttl: 33 }], 33))).toBe(true);
    const g = udp6(77, { mpls: [{ label: 2 }] });
    expect(copyTtlOut(g, parse(g))).toBe(true);
    expect(parse(g).mplsTtl).toBe(77);
  });

  it('in: top -> next MPLS entry', () => {
    const f = mplsUdp4([
      { label: 5, ttl: 9 },
      { label: 6, ttl: 4 },
    ]);
    expect(copyTtlIn(f, parse(f))).toBe(true);
    expect(
      f.equals(
        mplsUdp4([
          { label: 5, ttl: 9 },
          { label: 6, ttl: 9 },
        ]),
      ),
    ).toBe(true);
  });

  it('in: a bottom-of-stack entry -> the IP header, with the IPv4 checksum updated', () => {
    const f = mplsUdp4([{ label: 5, ttl: 9 }], 64);
    expect(copyTtlIn(f, parse(f))).toBe(true);
    expect(f.equals(mplsUdp4([{ label: 5, ttl: 9 }], 9))).toBe(true);
    expect(verifyFrame(f)).toMatchObject({ ipv4: true, l4: true });
    const g = udp6(64, { mpls: [{ label: 2, ttl: 3 }] });
    expect(copyTtlIn(g, parse(g))).toBe(true);
    expect(g.equals(udp6(3, { mpls: [{ label: 2, ttl: 3 }] }))).toBe(true);
  });

  it('nothing to copy between: false, unchanged', () => {
    const u = udp4(64);
    expect(copyTtlOut(u, parse(u))).toBe(false);
    expect(copyTtlIn(u, parse(u))).toBe(false);
    const notIp = buildEthernet(
      { srcMac: MAC_A, dstMac: MAC_A, mpls: [{ label: 1 }] },
      0x9000,
      new Uint8Array(40),
    );
    const copy = Buffer.from(notIp);
    expect(copyTtlOut(notIp, parse(notIp))).toBe(false);
    expect(copyTtlIn(notIp, parse(notIp))).toBe(false);
    expect(notIp.equals(copy)).toBe(true);
    const cut = mplsUdp4([{ label: 1 }]).subarray(0, 14 + 4 + 10);
    expect(copyTtlIn(cut, parse(cut))).toBe(false);
  });

  it('TCP over MPLS keeps its transport checksum (TTL is not in the pseudo header)', () => {
    const f = buildTcp({
      ...V4,
      srcPort: 1,
      dstPort: 2,
      flags: 2,
      seq: 0,
      ack: 0,
      mpls: [{ label: 1, ttl: 20 }],
    });
    copyTtlIn(f, parse(f));
    expect(verifyFrame(f)).toMatchObject({ ipv4: true, l4: true, kind: 'tcp' });
  });
});
