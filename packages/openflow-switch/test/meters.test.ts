// Meters, driven through OpenFlow bytes and frames on the injected clock: measured rates under
// load (kbps on the Ethernet frame, pktps), bursts, DSCP remarking checked on the frame, the
// METER instruction before apply-actions, deletes taking their flows, the CONTROLLER virtual
// meter, every METER_MOD_FAILED code and the METER / METER_CONFIG / METER_FEATURES figures.

import {
  type Message,
  type MeterBand,
  OFPM,
  OFPMF,
  OFPRR,
  type UnsentMessage,
  encode,
} from '@rumpflow/openflow';
import { FlowKey, buildUdp, checksum, checksumsValid, parseFrame } from '@rumpflow/packet';
import { describe, expect, it } from 'vitest';
import type { DatapathOptions } from '../src/index.js';
import { remarkDscp } from '../src/meters.js';
import { Controller, attach, fm, mac, makeSwitch, mp, udp } from './harness.js';

const ALL_ONES = 0xffffffffffffffffn;

const meterMod = (command: number, meterId: number, flags: number, bands: MeterBand[]): UnsentMessage =>
  ({ type: 'METER_MOD', command, flags, meterId, bands }) as UnsentMessage;
const addMeter = (id: number, flags: number, bands: MeterBand[]) => meterMod(0, id, flags, bands);
const drop = (rate: number, burstSize = 0): MeterBand => ({ type: 'DROP', rate, burstSize }) as MeterBand;
const remark = (rate: number, precLevel: number, burstSize = 0): MeterBand =>
  ({ type: 'DSCP_REMARK', rate, burstSize, precLevel }) as MeterBand;

function rig(opts: Partial<DatapathOptions> = {}) {
  const { dp, clock } = makeSwitch(opts);
  const p2 = attach(dp, 2);
  attach(dp, 1);
  const c = new Controller(dp);
  return { dp, clock, c, p2 };
}

/** A UDP frame of exactly `bytes` bytes with the given DSCP. */
function frameOf(bytes: number, dscp = 0, seq = 0): Buffer {
  const f = buildUdp({
    srcMac: mac(1),
    dstMac: mac(2),
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 1000 + seq,
    dstPort: 2000,
    dscp,
    payload: new Uint8Array(bytes - 42),
  });
  if (f.length !== bytes) throw new Error(`frame of ${f.length} bytes`);
  return f;
}

/** Offer `pps` frames per second for `seconds` on port 1, evenly spaced on the clock. */
function offer(r: ReturnType<typeof rig>, frame: Uint8Array, pps: number, seconds: number): number {
  const n = Math.round(pps * seconds);
  for (let i = 0; i < n; i++) {
    r.clock.advance(1000 / pps);
    r.dp.receiveFrame(1, Uint8Array.from(frame)); // a fresh buffer: bands may rewrite it
  }
  return n;
}

const bits = (frames: Uint8Array[]) => frames.reduce((s, f) => s + f.length * 8, 0);

describe('rates under load', () => {
  it('kbps DROP: 1 Mbit/s of a 3 Mbit/s offer passes (within 10%), counted on the Ethernet frame', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.KBPS | OFPMF.STATS, [drop(1000)]));
    r.c.ok(fm('in_port=1,actions=meter:1,output:2'));
    const frame = frameOf(1000);
    const seconds = 10;
    const sent = offer(r, frame, 375, seconds); // 375 x 8000 bits = 3 Mbit/s
    const rate = bits(r.p2) / seconds / 1000;
    expect(Math.abs(rate - 1000) / 1000).toBeLessThan(0.1);
    const [s] = r.c.multipart(mp('METER', { meterId: 1 }), 'METER')[0]!.stats;
    expect(s!.packetInCount).toBe(BigInt(sent));
    expect(s!.byteInCount).toBe(BigInt(sent * 1000));
    expect(s!.bandStats[0]!.packetCount).toBe(BigInt(sent - r.p2.length));
  });

  it('kbps with small frames: the rate counts bytes, not packets', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.KBPS, [drop(500)]));
    r.c.ok(fm('in_port=1,actions=meter:1,output:2'));
    offer(r, frameOf(64), 2000, 10); // 1.024 Mbit/s offered
    const rate = bits(r.p2) / 10 / 1000;
    expect(Math.abs(rate - 500) / 500).toBeLessThan(0.1);
  });

  it('pktps DROP: 100 packets/s of a 300 packets/s offer pass (within 10%)', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.PKTPS, [drop(100)]));
    r.c.ok(fm('in_port=1,actions=meter:1,output:2'));
    offer(r, frameOf(1500), 300, 10);
    expect(Math.abs(r.p2.length / 10 - 100) / 100).toBeLessThan(0.1);
  });

  it('an offer below the rate passes whole', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.KBPS, [drop(1000)]));
    r.c.ok(fm('in_port=1,actions=meter:1,output:2'));
    const n = offer(r, frameOf(1000), 100, 5); // 0.8 Mbit/s
    expect(r.p2.length).toBe(n);
  });
});

describe('bursts', () => {
  it('OFPMF_BURST: a back-to-back burst passes burst_size kilobits, then the rate', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.KBPS | OFPMF.BURST, [drop(10, 50)]));
    r.c.ok(fm('in_port=1,actions=meter:1,output:2'));
    for (let i = 0; i < 100; i++) r.dp.receiveFrame(1, frameOf(125)); // 1000 bits each, no time passing
    expect(r.p2.length).toBe(50);
    r.clock.advance(1000); // 10 kbit/s for one second: ten more frames
    for (let i = 0; i < 100; i++) r.dp.receiveFrame(1, frameOf(125));
    expect(r.p2.length).toBe(60);
  });

  it('OFPMF_BURST in packets for a pktps meter', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.PKTPS | OFPMF.BURST, [drop(1, 5)]));
    r.c.ok(fm('in_port=1,actions=meter:1,output:2'));
    for (let i = 0; i < 20; i++) r.dp.receiveFrame(1, udp());
    expect(r.p2.length).toBe(5);
  });

  it('without OFPMF_BURST: 100 ms worth of the rate, and at least one full-size frame', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.KBPS, [drop(1000)])); // 100 kbit: one hundred 1000-bit frames
    r.c.ok(addMeter(2, OFPMF.KBPS, [drop(8)])); // 0.8 kbit would pass nothing: one 1522-byte frame
    r.c.ok(fm('udp,tp_src=1000,actions=meter:1,output:2'));
    r.c.ok(fm('udp,tp_src=1001,actions=meter:2,output:2'));
    for (let i = 0; i < 200; i++) r.dp.receiveFrame(1, frameOf(125, 0, 0));
    expect(r.p2.length).toBe(100);
    for (let i = 0; i < 5; i++) r.dp.receiveFrame(1, frameOf(1514, 0, 1));
    expect(r.p2.length).toBe(101);
  });
});

describe('DSCP_REMARK', () => {
  it('remarks out-of-profile packets: drop precedence raised, IPv4 checksum right; a DROP band above', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.KBPS | OFPMF.STATS, [remark(1000, 1), drop(2000)]));
    r.c.ok(fm('in_port=1,actions=meter:1,output:2'));
    const af11 = 10; // AF11: class 1, drop precedence 1
    offer(r, frameOf(1000, af11), 375, 10); // 3 Mbit/s
    const key = new FlowKey();
    const by = new Map<number, number>();
    for (const f of r.p2) {
      parseFrame(f, key);
      expect(checksumsValid(f, key)).toBe(true);
      expect(checksum(f, key.l3Off, key.l3Off + 20)).toBe(0); // the IPv4 header sums to all ones
      by.set(key.ipDscp, (by.get(key.ipDscp) ?? 0) + f.length * 8);
    }
    expect([...by.keys()].sort()).toEqual([10, 12]); // AF11 in profile, AF12 remarked
    const kbps = (v: number | undefined) => (v ?? 0) / 10 / 1000;
    expect(Math.abs(kbps(by.get(10)) - 1000) / 1000).toBeLessThan(0.1);
    expect(Math.abs(kbps(by.get(12)) - 1000) / 1000).toBeLessThan(0.1);
    const [s] = r.c.multipart(mp('METER', { meterId: 1 }), 'METER')[0]!.stats;
    expect(Number(s!.bandStats[0]!.packetCount)).toBe(r.p2.filter((f) => f[15]! >> 2 === 12).length);
  });

  it('prec_level adds drop precedence levels, saturating at 3', () => {
    expect(remarkDscp(10, 1)).toBe(12); // AF11 -> AF12
    expect(remarkDscp(10, 2)).toBe(14); // AF11 -> AF13
    expect(remarkDscp(14, 1)).toBe(14); // AF13 stays
    expect(remarkDscp(34, 3)).toBe(38); // AF41 -> AF43
    expect(remarkDscp(0, 1)).toBe(2);
    expect(remarkDscp(46, 1)).toBe(46); // EF (101110): bits 1-2 already 3
  });

  it('IPv6 traffic class is remarked too; non-IP frames pass unchanged', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.PKTPS | OFPMF.BURST, [remark(1, 2, 1)]));
    r.c.ok(fm('in_port=1,actions=meter:1,output:2'));
    const v6 = () =>
      buildUdp({
        ipv6: true,
        srcMac: mac(1),
        dstMac: mac(2),
        src: '2001:db8::1',
        dst: '2001:db8::2',
        srcPort: 1,
        dstPort: 2,
        dscp: 8,
      });
    r.dp.receiveFrame(1, v6());
    r.dp.receiveFrame(1, v6());
    const arp = Buffer.from(udp()).fill(0xaa, 12, 14);
    r.dp.receiveFrame(1, Uint8Array.from(arp));
    const k = new FlowKey();
    expect(parseFrame(r.p2[0]!, k).ipDscp).toBe(8);
    expect(parseFrame(r.p2[1]!, k).ipDscp).toBe(12); // CS1 (001000) + 2 levels
    expect(checksumsValid(r.p2[1]!, k)).toBe(true);
    expect(r.p2[2]).toEqual(Uint8Array.from(arp));
  });
});

describe('the METER instruction in the pipeline', () => {
  it('runs before apply-actions; a dropped packet loses its action set and later tables too', () => {
    const r = rig();
    const p3 = attach(r.dp, 3);
    r.c.ok(addMeter(1, OFPMF.PKTPS | OFPMF.BURST, [drop(1, 1)]));
    r.c.ok(fm('in_port=1,actions=meter:1,output:2,write_actions(output:3),goto_table:1'));
    r.c.ok(fm('table=1,actions=output:3'));
    r.dp.receiveFrame(1, udp());
    r.dp.receiveFrame(1, udp());
    expect(r.p2.length).toBe(1);
    expect(p3.length).toBe(2); // the set's OUTPUT and table 1's, for the first packet only
  });

  it('deleting a meter removes its flow entries (FLOW_REMOVED reason DELETE); OFPM_ALL all meters', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.KBPS, [drop(1000)]));
    r.c.ok(addMeter(2, OFPMF.KBPS, [drop(1000)]));
    r.c.ok(fm('send_flow_rem,priority=5,tcp,actions=meter:1,output:2'));
    r.c.ok(fm('send_flow_rem,priority=6,udp,actions=meter:1,output:2'));
    r.c.ok(fm('send_flow_rem,priority=7,arp,actions=meter:2,output:2'));
    r.c.ok(fm('send_flow_rem,priority=8,actions=output:2'));
    r.c.ok(meterMod(2, 1, 0, []));
    expect(
      r.c
        .takeType('FLOW_REMOVED')
        .map((m) => [m.priority, m.reason])
        .sort(),
    ).toEqual([
      [5, OFPRR.DELETE],
      [6, OFPRR.DELETE],
    ]);
    r.c.ok(meterMod(2, OFPM.ALL, 0, []));
    expect(r.c.takeType('FLOW_REMOVED').map((m) => m.priority)).toEqual([7]);
    expect(r.dp.flows.tables[0]?.activeCount).toBe(1);
    expect(r.c.error(fm('actions=meter:1,output:2')).names).toEqual(['METER_MOD_FAILED', 'UNKNOWN_METER']);
  });

  it('MODIFY changes the rate of a meter in use; its counters stay', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.PKTPS | OFPMF.STATS, [drop(100)]));
    r.c.ok(fm('in_port=1,actions=meter:1,output:2'));
    offer(r, udp(), 300, 5);
    const first = r.p2.length;
    expect(Math.abs(first / 5 - 100)).toBeLessThan(10);
    r.c.ok(meterMod(1, 1, OFPMF.PKTPS | OFPMF.STATS, [drop(200)]));
    offer(r, udp(), 300, 5);
    expect(Math.abs((r.p2.length - first) / 5 - 200)).toBeLessThan(20);
    const [s] = r.c.multipart(mp('METER', { meterId: 1 }), 'METER')[0]!.stats;
    expect(s!.packetInCount).toBe(3000n);
    expect(s!.flowCount).toBe(1);
  });
});

describe('the CONTROLLER virtual meter', () => {
  it('limits the PACKET_INs the switch sends', () => {
    const r = rig();
    r.c.ok(addMeter(OFPM.CONTROLLER, OFPMF.PKTPS | OFPMF.BURST | OFPMF.STATS, [drop(10, 10)]));
    r.c.ok(fm('priority=0,actions=output:controller'));
    for (let i = 0; i < 100; i++) r.dp.receiveFrame(1, udp(1, 2, i));
    expect(r.c.takeType('PACKET_IN')).toHaveLength(10);
    r.clock.advance(1000);
    for (let i = 0; i < 100; i++) r.dp.receiveFrame(1, udp(1, 2, i));
    expect(r.c.takeType('PACKET_IN')).toHaveLength(10);
    const [s] = r.c.multipart(mp('METER', { meterId: OFPM.CONTROLLER }), 'METER')[0]!.stats;
    expect(s).toMatchObject({ packetInCount: 200n, bandStats: [{ packetCount: 180n }] });
  });
});

describe('METER_MOD errors', () => {
  const e = (c: Controller, m: UnsentMessage | Uint8Array) => c.error(m).names;

  it('METER_EXISTS, UNKNOWN_METER, INVALID_METER', () => {
    const { c } = rig();
    c.ok(addMeter(1, OFPMF.KBPS, [drop(10)]));
    expect(e(c, addMeter(1, OFPMF.KBPS, [drop(10)]))).toEqual(['METER_MOD_FAILED', 'METER_EXISTS']);
    expect(e(c, meterMod(1, 2, OFPMF.KBPS, [drop(10)]))).toEqual(['METER_MOD_FAILED', 'UNKNOWN_METER']);
    expect(e(c, fm('actions=meter:2,output:2'))).toEqual(['METER_MOD_FAILED', 'UNKNOWN_METER']);
    expect(e(c, addMeter(0, OFPMF.KBPS, [drop(10)]))).toEqual(['METER_MOD_FAILED', 'INVALID_METER']);
    expect(e(c, addMeter(OFPM.MAX + 1, OFPMF.KBPS, [drop(10)]))).toEqual([
      'METER_MOD_FAILED',
      'INVALID_METER',
    ]);
    expect(e(c, addMeter(OFPM.SLOWPATH, OFPMF.KBPS, [drop(10)]))).toEqual([
      'METER_MOD_FAILED',
      'INVALID_METER',
    ]);
    c.ok(meterMod(2, 99, 0, [])); // deleting what does not exist: no error
  });

  it('BAD_COMMAND and BAD_FLAGS (unknown bit) from the raw message; BAD_FLAGS for KBPS with PKTPS', () => {
    const { c } = rig();
    const raw = (command: number, flags: number) => {
      const b = encode({ ...addMeter(1, 0, [drop(10)]), xid: 5 } as Message);
      const v = new DataView(b.buffer, b.byteOffset);
      v.setUint16(8, command);
      v.setUint16(10, flags);
      return b;
    };
    expect(e(c, raw(3, OFPMF.KBPS))).toEqual(['METER_MOD_FAILED', 'BAD_COMMAND']);
    expect(e(c, raw(0, 0x10))).toEqual(['METER_MOD_FAILED', 'BAD_FLAGS']);
    expect(e(c, addMeter(1, OFPMF.KBPS | OFPMF.PKTPS, [drop(10)]))).toEqual([
      'METER_MOD_FAILED',
      'BAD_FLAGS',
    ]);
  });

  it('BAD_RATE, BAD_BURST, BAD_BAND, BAD_BAND_VALUE', () => {
    const { c } = rig();
    const cases: [UnsentMessage, [string, string]][] = [
      [addMeter(1, OFPMF.KBPS, [drop(0)]), ['METER_MOD_FAILED', 'BAD_RATE']],
      [addMeter(1, OFPMF.KBPS, [drop(10), remark(10, 1)]), ['METER_MOD_FAILED', 'BAD_RATE']],
      [addMeter(1, OFPMF.KBPS | OFPMF.BURST, [drop(10, 0)]), ['METER_MOD_FAILED', 'BAD_BURST']],
      [
        addMeter(1, OFPMF.KBPS, [
          {
            type: 'EXPERIMENTER',
            rate: 10,
            burstSize: 0,
            experimenter: 0x2320,
            data: new Uint8Array(0),
          } as MeterBand,
        ]),
        ['METER_MOD_FAILED', 'BAD_BAND'],
      ],
      [addMeter(1, OFPMF.KBPS, [remark(10, 0)]), ['METER_MOD_FAILED', 'BAD_BAND_VALUE']],
      [addMeter(1, OFPMF.KBPS, [remark(10, 4)]), ['METER_MOD_FAILED', 'BAD_BAND_VALUE']],
      [addMeter(1, OFPMF.KBPS, [remark(10, 64)]), ['METER_MOD_FAILED', 'BAD_BAND_VALUE']],
    ];
    for (const [m, names] of cases) expect(e(c, m), JSON.stringify(m)).toEqual(names);
    expect(c.multipart(mp('METER_CONFIG', { meterId: OFPM.ALL }), 'METER_CONFIG')[0]?.configs).toEqual([]);
  });

  it('OUT_OF_METERS, OUT_OF_BANDS', () => {
    const { c } = rig({ meterLimits: { maxMeters: 2, maxBands: 2 } });
    c.ok(addMeter(1, OFPMF.KBPS, [drop(10), remark(5, 1)]));
    expect(e(c, addMeter(2, OFPMF.KBPS, [drop(10), drop(20), drop(30)]))).toEqual([
      'METER_MOD_FAILED',
      'OUT_OF_BANDS',
    ]);
    c.ok(addMeter(2, OFPMF.KBPS, [drop(10)]));
    expect(e(c, addMeter(3, OFPMF.KBPS, [drop(10)]))).toEqual(['METER_MOD_FAILED', 'OUT_OF_METERS']);
    expect(c.multipart(mp('METER_FEATURES'), 'METER_FEATURES')[0]).toMatchObject({
      maxMeter: 2,
      maxBands: 2,
    });
  });

  it('a SLAVE gets IS_SLAVE', () => {
    const { c } = rig();
    c.one({ type: 'ROLE_REQUEST', role: 3, generationId: 1n }, 'ROLE_REPLY');
    expect(e(c, addMeter(1, OFPMF.KBPS, [drop(10)]))).toEqual(['BAD_REQUEST', 'IS_SLAVE']);
  });
});

describe('METER, METER_CONFIG and METER_FEATURES', () => {
  it('counters, flow_count, duration; all ones without OFPMF_STATS; configs as installed', () => {
    const r = rig();
    r.c.ok(addMeter(1, OFPMF.PKTPS | OFPMF.BURST | OFPMF.STATS, [drop(1, 3)]));
    r.c.ok(addMeter(2, OFPMF.KBPS, [remark(100, 1)]));
    r.c.ok(fm('priority=5,udp,actions=meter:1,output:2'));
    r.c.ok(fm('priority=6,tcp,actions=meter:1,output:2'));
    r.c.ok(fm('priority=7,arp,actions=meter:2,output:2'));
    r.clock.advance(1500);
    const f = udp(1, 2, 0, 10);
    for (let i = 0; i < 10; i++) r.dp.receiveFrame(1, Uint8Array.from(f));
    const stats = r.c.multipart(mp('METER', { meterId: OFPM.ALL }), 'METER').flatMap((p) => p.stats);
    expect(stats).toHaveLength(2);
    expect(stats[0]).toMatchObject({
      meterId: 1,
      flowCount: 2,
      packetInCount: 10n,
      byteInCount: BigInt(10 * f.length),
      durationSec: 1,
      durationNsec: 500_000_000,
      bandStats: [{ packetCount: 7n, byteCount: BigInt(7 * f.length) }], // a bucket of 3 packets, full
    });
    expect(stats[1]).toMatchObject({
      meterId: 2,
      flowCount: 1,
      packetInCount: ALL_ONES,
      byteInCount: ALL_ONES,
      bandStats: [{ packetCount: ALL_ONES, byteCount: ALL_ONES }],
    });
    const configs = r.c
      .multipart(mp('METER_CONFIG', { meterId: OFPM.ALL }), 'METER_CONFIG')
      .flatMap((p) => p.configs);
    expect(configs).toMatchObject([
      {
        meterId: 1,
        flags: OFPMF.PKTPS | OFPMF.BURST | OFPMF.STATS,
        bands: [{ type: 'DROP', rate: 1, burstSize: 3 }],
      },
      { meterId: 2, flags: OFPMF.KBPS, bands: [{ type: 'DSCP_REMARK', rate: 100, precLevel: 1 }] },
    ]);
    expect(r.c.error(mp('METER', { meterId: 9 })).names).toEqual(['METER_MOD_FAILED', 'UNKNOWN_METER']);
    expect(r.c.error(mp('METER_CONFIG', { meterId: 9 })).names).toEqual([
      'METER_MOD_FAILED',
      'UNKNOWN_METER',
    ]);
  });
});
