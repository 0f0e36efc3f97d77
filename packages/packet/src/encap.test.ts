import { describe, expect, it } from 'vitest';
import { MAC_A, MAC_A_NUM, MAC_B_NUM, V4, V6, payload, sampleFrames } from '../test/fixtures.js';
import { allValid } from '../test/verify.js';
import { buildArp, buildPbb, buildTcp, buildUdp, mplsLse, TCP_FLAGS } from './build.js';
import { popMpls, popPbb, popVlan, pushMpls, pushPbb, pushVlan } from './encap.js';
import { FlowKey } from './key.js';
import { parseFrame } from './parse.js';

const parse = (f: Uint8Array) => parseFrame(f, new FlowKey());
const tcp = {
  ...V4,
  srcPort: 1111,
  dstPort: 22,
  flags: TCP_FLAGS.ACK,
  seq: 1,
  ack: 2,
  payload: payload(10),
  ttl: 17,
};

describe('VLAN', () => {
  it('push on an untagged frame: a zero tag, the rest unchanged', () => {
    const f = buildTcp(tcp);
    const g = pushVlan(f, parse(f));
    expect(g.length).toBe(f.length + 4);
    const k = parse(g);
    expect(k).toMatchObject({
      vlanVid: 0x1000,
      vlanPcp: 0,
      vlanTpid: 0x8100,
      vlanDepth: 1,
      ethType: 0x0800,
      l3Off: 18,
      tpSrc: 1111,
      ipTtl: 17,
    });
    expect(g.equals(buildTcp({ ...tcp, vlan: 0 }))).toBe(true);
    expect(allValid(g)).toBe(true);
    expect(popVlan(g, k)!.equals(f)).toBe(true);
  });

  it('push on a tagged frame copies VID and PCP (not DEI) into the new outer tag', () => {
    const f = buildTcp({ ...tcp, vlan: { vid: 100, pcp: 5, dei: true } });
    const g = pushVlan(f, parse(f), 0x88a8);
    const k = parse(g);
    expect(k).toMatchObject({ vlanTpid: 0x88a8, vlanVid: 0x1064, vlanPcp: 5, vlanDepth: 2, ethType: 0x0800 });
    expect(g.subarray(12, 16).toString('hex')).toBe('88a8a064');
    expect(g.subarray(16, 20).toString('hex')).toBe('8100b064');
    expect(popVlan(g, k)!.equals(f)).toBe(true);
  });

  it('pop: the inner tag becomes the outer; null when untagged', () => {
    const f = buildUdp({ ...V4, srcPort: 1, dstPort: 2, vlan: [{ vid: 10 }, { vid: 20, pcp: 3 }] });
    const g = popVlan(f, parse(f))!;
    expect(parse(g)).toMatchObject({ vlanVid: 0x1014, vlanPcp: 3, vlanTpid: 0x8100, vlanDepth: 1, tpDst: 2 });
    expect(g.equals(buildUdp({ ...V4, srcPort: 1, dstPort: 2, vlan: { vid: 20, pcp: 3 } }))).toBe(true);
    const u = buildUdp({ ...V4, srcPort: 1, dstPort: 2 });
    expect(popVlan(u, parse(u))).toBeNull();
  });

  it('the input frame is left alone', () => {
    const f = buildTcp(tcp);
    const copy = Buffer.from(f);
    pushVlan(f, parse(f));
    pushMpls(f, parse(f));
    pushPbb(f, parse(f));
    expect(f.equals(copy)).toBe(true);
  });
});

describe('MPLS', () => {
  it('push on IPv4: label 0, TC 0, BOS 1, TTL from the IP TTL; pop restores the bytes', () => {
    const f = buildTcp(tcp);
    const g = pushMpls(f, parse(f));
    const k = parse(g);
    expect(k).toMatchObject({
      ethType: 0x8847,
      mplsOff: 14,
      mplsLabel: 0,
      mplsTc: 0,
      mplsBos: 1,
      mplsTtl: 17,
      mplsDepth: 1,
    });
    expect(g.equals(buildTcp({ ...tcp, mpls: [{ label: 0, ttl: 17 }] }))).toBe(true);
    expect(allValid(g)).toBe(true);
    expect(popMpls(g, k, 0x0800)!.equals(f)).toBe(true);
  });

  it('push goes after the VLAN tags; multicast ethertype', () => {
    const f = buildUdp({ ...V6, srcPort: 1, dstPort: 2, ttl: 200, vlan: [{ vid: 1 }, { vid: 2 }] });
    const g = pushMpls(f, parse(f), 0x8848);
    const k = parse(g);
    expect(k).toMatchObject({
      vlanDepth: 2,
      vlanVid: 0x1001,
      ethType: 0x8848,
      ethTypeOff: 20,
      mplsOff: 22,
      mplsTtl: 200,
      mplsBos: 1,
    });
    expect(popMpls(g, k, 0x86dd)!.equals(f)).toBe(true);
  });

  it('push on a non-IP frame: TTL 0', () => {
    const f = buildArp({ op: 'request', srcMac: MAC_A, sha: MAC_A, spa: '1.1.1.1', tpa: '1.1.1.2' });
    expect(parse(pushMpls(f, parse(f)))).toMatchObject({ mplsTtl: 0, mplsBos: 1, mplsLabel: 0 });
  });

  it('push on an MPLS frame copies label, TC and TTL with BOS 0', () => {
    const f = buildUdp({ ...V4, srcPort: 1, dstPort: 2, mpls: [{ label: 1000, tc: 5, ttl: 30 }] });
    const g = pushMpls(f, parse(f));
    const k = parse(g);
    expect(k).toMatchObject({ mplsLabel: 1000, mplsTc: 5, mplsTtl: 30, mplsBos: 0, mplsDepth: 2 });
    expect(g.readUInt32BE(18)).toBe(mplsLse(1000, 5, true, 30));
    expect(popMpls(g, k, 0x8847)!.equals(f)).toBe(true);
  });

  it('pop to IPv4 makes the packet parseable again; null without MPLS', () => {
    const f = buildTcp({ ...tcp, vlan: 3, mpls: [{ label: 5 }] });
    const g = popMpls(f, parse(f), 0x0800)!;
    expect(parse(g)).toMatchObject({ ethType: 0x0800, vlanVid: 0x1003, tpDst: 22 });
    expect(allValid(g)).toBe(true);
    const u = buildTcp(tcp);
    expect(popMpls(u, parse(u), 0x0800)).toBeNull();
  });
});

describe('PBB', () => {
  it('push: backbone addresses from the customer, 0x88e7, I-SID 0, I-PCP from the VLAN PCP; pop restores', () => {
    const f = buildTcp({ ...tcp, vlan: { vid: 7, pcp: 6 } });
    const g = pushPbb(f, parse(f));
    const k = parse(g);
    expect(k).toMatchObject({
      ethType: 0x88e7,
      pbbOff: 14,
      pbbIsid: 0,
      ethDst: MAC_B_NUM,
      ethSrc: MAC_A_NUM,
      vlanDepth: 0,
    });
    expect(g[14]).toBe(6 << 5);
    expect(g.subarray(18).equals(f)).toBe(true);
    expect(popPbb(g, k)!.equals(f)).toBe(true);
  });

  it('push on a PBB frame copies the I-TAG', () => {
    const f = sampleFrames()['pbb']!;
    const g = pushPbb(f, parse(f));
    expect(parse(g)).toMatchObject({ pbbIsid: 0xabcdef });
    expect(g.subarray(14, 18).equals(f.subarray(14, 18))).toBe(true);
  });

  it('pop removes B-TAGs with the backbone header; null without PBB', () => {
    const inner = buildUdp({ ...V4, srcPort: 1, dstPort: 2 });
    const f = buildPbb({ bDst: MAC_A, bSrc: MAC_A, bVlan: { vid: 9, tpid: 0x88a8 }, isid: 5, inner });
    expect(popPbb(f, parse(f))!.equals(inner)).toBe(true);
    expect(popPbb(inner, parse(inner))).toBeNull();
  });
});
