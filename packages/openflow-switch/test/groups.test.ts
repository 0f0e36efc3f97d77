// Groups, driven through OpenFlow bytes and frames: each group type on real frames, SELECT's
// spread over many flows, stickiness and weights, fast failover as watched ports go down,
// chaining, every GROUP_MOD_FAILED code, deletes that take flow entries with them, and the
// GROUP / GROUP_DESC / GROUP_FEATURES figures.

import {
  type Action,
  type Bucket,
  type Message,
  OFPAT,
  OFPG,
  OFPGT,
  OFPP,
  OFPPC,
  OFPPS,
  OFPRR,
  type UnsentMessage,
  encode,
} from '@rumpflow/openflow';
import { FlowKey, buildTcp, checksumsValid, parseFrame } from '@rumpflow/packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DatapathOptions } from '../src/index.js';
import { Controller, attach, fm, mac, makeSwitch, mp, udp } from './harness.js';

const ANY = 0xffffffff;
const out = (port: number): Action => ({ type: 'OUTPUT', port, maxLen: 0 });
const toGroup = (groupId: number): Action => ({ type: 'GROUP', groupId });

function bucket(
  actions: Action[],
  o: { weight?: number; watchPort?: number; watchGroup?: number } = {},
): Bucket {
  return {
    weight: o.weight ?? 0,
    watchPort: o.watchPort ?? ANY,
    watchGroup: o.watchGroup ?? ANY,
    actions,
  } as Bucket;
}

function gm(command: number, groupType: number, groupId: number, buckets: Bucket[]): UnsentMessage {
  return { type: 'GROUP_MOD', command, groupType, groupId, buckets } as UnsentMessage;
}
const add = (type: number, id: number, buckets: Bucket[]) => gm(0, type, id, buckets);
const modify = (type: number, id: number, buckets: Bucket[]) => gm(1, type, id, buckets);
const del = (id: number) => gm(2, OFPGT.ALL, id, []);

/** A switch with ports 1..n (frames captured per port) and a controller. */
function rig(n = 5, opts: Partial<DatapathOptions> = {}) {
  const { dp, clock } = makeSwitch(opts);
  const ports: Uint8Array[][] = [[]];
  for (let i = 1; i <= n; i++) ports.push(attach(dp, i));
  const c = new Controller(dp);
  const counts = () => ports.slice(1).map((p) => p.length);
  return { dp, clock, c, ports, counts };
}

/** A TCP frame of flow number i: addresses and ports vary with i. */
function flow(i: number, len = 0): Buffer {
  return buildTcp({
    flags: 0x10,
    seq: 1,
    ack: 1,
    srcMac: mac(1),
    dstMac: mac(2),
    src: `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`,
    dst: '192.168.0.1',
    srcPort: 1024 + (i % 50000),
    dstPort: 80,
    payload: new Uint8Array(len),
  });
}

/** The port a frame sent in on port 1 leaves by (exactly one). */
function egress(r: ReturnType<typeof rig>, frame: Uint8Array): number {
  const before = r.counts();
  r.dp.receiveFrame(1, frame);
  const after = r.counts();
  const grew = after.flatMap((n, i) => (n > (before[i] as number) ? [i + 1] : []));
  if (grew.length !== 1 || (after[grew[0]! - 1] as number) - (before[grew[0]! - 1] as number) !== 1)
    throw new Error(`expected one frame out of one port, got ${JSON.stringify({ before, after })}`);
  return grew[0] as number;
}

describe('group types on frames', () => {
  it('ALL: every bucket gets its own copy; a rewriting bucket changes only its copy', () => {
    const r = rig();
    r.c.ok(
      add(OFPGT.ALL, 1, [
        bucket([{ type: 'SET_FIELD', field: { field: 'ETH_DST', value: '02:00:00:00:00:99' } }, out(4)]),
        bucket([out(2)]),
        bucket([out(3)]),
      ]),
    );
    r.c.ok(fm('in_port=1,actions=group:1,output:5'));
    const f = udp(1, 2, 0, 20);
    r.dp.receiveFrame(1, f);
    expect(r.counts()).toEqual([0, 1, 1, 1, 1]);
    expect(r.ports[2]![0]).toEqual(Uint8Array.from(f));
    expect(r.ports[3]![0]).toEqual(Uint8Array.from(f));
    expect(r.ports[5]![0]).toEqual(Uint8Array.from(f)); // the action after the group sees the original
    const k = parseFrame(r.ports[4]![0]!, new FlowKey());
    expect(k.ethDst).toBe(0x020000000099);
    expect(checksumsValid(r.ports[4]![0]!, k)).toBe(true);
  });

  it('INDIRECT: many flows share one bucket; MODIFY moves them all at once', () => {
    const r = rig();
    r.c.ok(add(OFPGT.INDIRECT, 7, [bucket([out(2)])]));
    r.c.ok(fm('priority=10,tcp,actions=group:7'));
    r.c.ok(fm('priority=10,udp,actions=group:7'));
    r.dp.receiveFrame(1, flow(1));
    r.dp.receiveFrame(1, udp());
    expect(r.counts()).toEqual([0, 2, 0, 0, 0]);
    r.c.ok(modify(OFPGT.INDIRECT, 7, [bucket([out(3)])]));
    r.dp.receiveFrame(1, flow(1));
    r.dp.receiveFrame(1, udp());
    expect(r.counts()).toEqual([0, 2, 2, 0, 0]);
  });

  it('a GROUP in the action set wins over OUTPUT', () => {
    const r = rig();
    r.c.ok(add(OFPGT.INDIRECT, 1, [bucket([out(3)])]));
    r.c.ok(fm('in_port=1,actions=write_actions(output:2,group:1)'));
    r.dp.receiveFrame(1, udp());
    expect(r.counts()).toEqual([0, 0, 1, 0, 0]);
  });

  it('PACKET_OUT through a group; a PACKET_OUT naming a group that does not exist is refused', () => {
    const r = rig();
    r.c.ok(add(OFPGT.ALL, 1, [bucket([out(2)]), bucket([out(3)])]));
    const data = udp(9, 2);
    const po = (groupId: number): UnsentMessage => ({
      type: 'PACKET_OUT',
      bufferId: 0xffffffff,
      inPort: OFPP.CONTROLLER,
      actions: [toGroup(groupId)],
      data,
    });
    r.c.ok(po(1));
    expect(r.counts()).toEqual([0, 1, 1, 0, 0]);
    expect(r.c.error(po(2)).names).toEqual(['BAD_ACTION', 'BAD_OUT_GROUP']);
  });

  it('a group with no buckets drops (ALL, SELECT)', () => {
    const r = rig();
    r.c.ok(add(OFPGT.ALL, 1, []));
    r.c.ok(add(OFPGT.SELECT, 2, []));
    r.c.ok(fm('tcp,actions=group:1'));
    r.c.ok(fm('udp,actions=group:2'));
    r.dp.receiveFrame(1, flow(1));
    r.dp.receiveFrame(1, udp());
    expect(r.counts()).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('SELECT', () => {
  const four = () => [2, 3, 4, 5].map((p) => bucket([out(p)], { weight: 1 }));

  it('spreads 4000 flows evenly over 4 buckets (chi-square, df 3) and keeps each flow on its bucket', () => {
    const r = rig();
    r.c.ok(add(OFPGT.SELECT, 1, four()));
    r.c.ok(fm('in_port=1,actions=group:1'));
    const n = 4000;
    const first: number[] = [];
    for (let i = 0; i < n; i++) first.push(egress(r, flow(i)));
    const counts = [2, 3, 4, 5].map((p) => first.filter((x) => x === p).length);
    const expected = n / 4;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(16.27); // p = 0.001 for 3 degrees of freedom
    expect(Math.max(...counts) / Math.min(...counts)).toBeLessThan(1.2);
    // stickiness: the same flows again, in another order, each on its first bucket
    for (let i = n - 1; i >= 0; i -= 7) expect(egress(r, flow(i))).toBe(first[i]);
    // the payload is not part of the hash: a bigger packet of one flow stays with it
    for (let i = 0; i < 50; i++) expect(egress(r, flow(i, 100))).toBe(first[i]);
  });

  it('spreads over L2, L3 and L4 fields each', () => {
    const r = rig();
    r.c.ok(add(OFPGT.SELECT, 1, four()));
    r.c.ok(fm('in_port=1,actions=group:1'));
    const used = (frames: Uint8Array[]) => new Set(frames.map((f) => egress(r, f))).size;
    const base = { dst: '192.168.0.1', dstPort: 80, dstMac: mac(2) };
    const byMac = Array.from({ length: 64 }, (_, i) =>
      buildTcp({
        flags: 0x10,
        seq: 1,
        ack: 1,
        ...base,
        srcMac: `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`,
        src: '10.0.0.1',
        srcPort: 1000,
      }),
    );
    const byIp = Array.from({ length: 64 }, (_, i) =>
      buildTcp({
        flags: 0x10,
        seq: 1,
        ack: 1,
        ...base,
        srcMac: mac(1),
        src: `10.0.1.${i}`,
        srcPort: 1000,
      }),
    );
    const byPort = Array.from({ length: 64 }, (_, i) =>
      buildTcp({
        flags: 0x10,
        seq: 1,
        ack: 1,
        ...base,
        srcMac: mac(1),
        src: '10.0.0.1',
        srcPort: 1000 + i,
      }),
    );
    const byIpv6 = Array.from({ length: 64 }, (_, i) =>
      buildTcp({
        flags: 0x10,
        seq: 1,
        ack: 1,
        ...base,
        ipv6: true,
        srcMac: mac(1),
        src: `2001:db8::${i + 1}`,
        dst: '2001:db8::ffff',
        srcPort: 1000,
      }),
    );
    expect(used(byMac)).toBe(4);
    expect(used(byIp)).toBe(4);
    expect(used(byPort)).toBe(4);
    expect(used(byIpv6)).toBe(4);
  });

  it('honours weights (1:3), and a weight-0 bucket is never chosen', () => {
    const r = rig();
    r.c.ok(
      add(OFPGT.SELECT, 1, [
        bucket([out(2)], { weight: 1 }),
        bucket([out(3)], { weight: 3 }),
        bucket([out(4)], { weight: 0 }),
      ]),
    );
    r.c.ok(fm('in_port=1,actions=group:1'));
    const n = 4000;
    for (let i = 0; i < n; i++) r.dp.receiveFrame(1, flow(i));
    const [, p2, p3, p4] = r.counts();
    expect(p2! + p3!).toBe(n);
    expect(p4).toBe(0);
    expect(Math.abs(p2! / n - 0.25)).toBeLessThan(0.03);
  });

  it('any weights: each bucket gets its weight share of 3000 flows, within 4 points', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 2, maxLength: 4 }), (weights) => {
        const r = rig();
        r.c.ok(
          add(
            OFPGT.SELECT,
            1,
            weights.map((w, i) => bucket([out(i + 2)], { weight: w })),
          ),
        );
        r.c.ok(fm('in_port=1,actions=group:1'));
        const n = 3000;
        for (let i = 0; i < n; i++) r.dp.receiveFrame(1, flow(i));
        const total = weights.reduce((s, w) => s + w, 0);
        weights.forEach((w, i) => expect(Math.abs(r.counts()[i + 1]! / n - w / total)).toBeLessThan(0.04));
      }),
      { numRuns: 8 },
    );
  });

  it('skips buckets whose watched port is down; only their flows move', () => {
    const r = rig();
    r.c.ok(
      add(
        OFPGT.SELECT,
        1,
        [2, 3, 4, 5].map((p) => bucket([out(p)], { weight: 1, watchPort: p })),
      ),
    );
    r.c.ok(fm('in_port=1,actions=group:1'));
    const before = Array.from({ length: 400 }, (_, i) => egress(r, flow(i)));
    r.dp.modifyPort(3, { state: OFPPS.LINK_DOWN });
    const after = Array.from({ length: 400 }, (_, i) => egress(r, flow(i)));
    expect(after).not.toContain(3);
    for (let i = 0; i < 400; i++) if (before[i] !== 3) expect(after[i]).toBe(before[i]);
    expect(before.filter((p) => p === 3).length).toBeGreaterThan(50);
  });
});

describe('FAST_FAILOVER', () => {
  it('uses the first live bucket, switching as watched ports go down and up', () => {
    const r = rig();
    r.c.ok(
      add(OFPGT.FF, 1, [
        bucket([out(2)], { watchPort: 2 }),
        bucket([out(3)], { watchPort: 3 }),
        bucket([out(4)], { watchPort: 4 }),
      ]),
    );
    r.c.ok(fm('in_port=1,actions=group:1'));
    expect(egress(r, udp())).toBe(2);
    r.dp.modifyPort(2, { state: OFPPS.LINK_DOWN }); // link down
    expect(egress(r, udp())).toBe(3);
    // administratively down through PORT_MOD
    r.c.ok({
      type: 'PORT_MOD',
      portNo: 3,
      hwAddr: mac(3),
      config: OFPPC.PORT_DOWN,
      mask: OFPPC.PORT_DOWN,
      advertise: 0,
    });
    expect(egress(r, udp())).toBe(4);
    r.dp.removePort(4); // detached: not live
    const before = r.counts();
    r.dp.receiveFrame(1, udp());
    expect(r.counts()).toEqual(before); // no live bucket: dropped
    r.dp.modifyPort(2, { state: OFPPS.LIVE });
    expect(egress(r, udp())).toBe(2);
  });

  it('watches a group: live while one of its buckets is', () => {
    const r = rig();
    r.c.ok(add(OFPGT.FF, 2, [bucket([out(4)], { watchPort: 4 }), bucket([out(5)], { watchPort: 5 })]));
    r.c.ok(add(OFPGT.FF, 1, [bucket([toGroup(2)], { watchGroup: 2 }), bucket([out(3)], { watchPort: 3 })]));
    r.c.ok(fm('in_port=1,actions=group:1'));
    expect(egress(r, udp())).toBe(4);
    r.dp.modifyPort(4, { state: OFPPS.LINK_DOWN });
    expect(egress(r, udp())).toBe(5);
    r.dp.modifyPort(5, { state: OFPPS.LINK_DOWN });
    expect(egress(r, udp())).toBe(3); // group 2 is dead: group 1's second bucket
  });
});

describe('chaining', () => {
  it('a bucket forwarding to another group; counters on both', () => {
    const r = rig();
    r.c.ok(add(OFPGT.INDIRECT, 2, [bucket([out(3)])]));
    r.c.ok(add(OFPGT.ALL, 1, [bucket([toGroup(2)]), bucket([out(2)])]));
    r.c.ok(fm('in_port=1,actions=group:1'));
    r.dp.receiveFrame(1, udp(1, 2, 0, 50));
    r.dp.receiveFrame(1, udp(1, 2, 1, 50));
    expect(r.counts()).toEqual([0, 2, 2, 0, 0]);
    const stats = r.c.multipart(mp('GROUP', { groupId: OFPG.ALL }), 'GROUP').flatMap((p) => p.stats);
    const len = udp(1, 2, 0, 50).length;
    expect(stats.map((s) => [s.groupId, s.refCount, Number(s.packetCount), Number(s.byteCount)])).toEqual([
      [1, 1, 2, 2 * len],
      [2, 1, 2, 2 * len],
    ]);
  });
});

describe('GROUP_MOD errors', () => {
  const e = (c: Controller, m: UnsentMessage | Uint8Array) => c.error(m).names;

  it('GROUP_EXISTS, UNKNOWN_GROUP, INVALID_GROUP', () => {
    const { c } = rig();
    c.ok(add(OFPGT.ALL, 1, [bucket([out(2)])]));
    expect(e(c, add(OFPGT.ALL, 1, [bucket([out(3)])]))).toEqual(['GROUP_MOD_FAILED', 'GROUP_EXISTS']);
    expect(e(c, modify(OFPGT.ALL, 2, [bucket([out(3)])]))).toEqual(['GROUP_MOD_FAILED', 'UNKNOWN_GROUP']);
    expect(e(c, add(OFPGT.ALL, OFPG.ALL, []))).toEqual(['GROUP_MOD_FAILED', 'INVALID_GROUP']);
    expect(e(c, add(OFPGT.ALL, 0xffffff01, []))).toEqual(['GROUP_MOD_FAILED', 'INVALID_GROUP']);
    c.ok(del(99)); // deleting what does not exist: no error
  });

  it('BAD_TYPE and BAD_COMMAND from the raw message', () => {
    const { c } = rig();
    const raw = (command: number, type: number) => {
      const b = encode({ ...add(OFPGT.ALL, 1, []), xid: 77 } as Message);
      new DataView(b.buffer, b.byteOffset).setUint16(8, command);
      b[10] = type;
      return b;
    };
    expect(e(c, raw(0, 4))).toEqual(['GROUP_MOD_FAILED', 'BAD_TYPE']);
    expect(e(c, raw(3, 0))).toEqual(['GROUP_MOD_FAILED', 'BAD_COMMAND']);
  });

  it('BAD_BUCKET, BAD_WATCH, WATCH_UNSUPPORTED, and bucket actions checked like flow actions', () => {
    const { c } = rig();
    c.ok(add(OFPGT.ALL, 9, []));
    const cases: [UnsentMessage, [string, string]][] = [
      [add(OFPGT.INDIRECT, 1, [bucket([out(2)]), bucket([out(3)])]), ['GROUP_MOD_FAILED', 'BAD_BUCKET']],
      [add(OFPGT.INDIRECT, 1, []), ['GROUP_MOD_FAILED', 'BAD_BUCKET']],
      [add(OFPGT.ALL, 1, [bucket([out(2)], { weight: 5 })]), ['GROUP_MOD_FAILED', 'BAD_BUCKET']],
      [add(OFPGT.FF, 1, [bucket([out(2)])]), ['GROUP_MOD_FAILED', 'BAD_WATCH']],
      [
        add(OFPGT.FF, 1, [bucket([out(2)], { watchPort: OFPP.CONTROLLER })]),
        ['GROUP_MOD_FAILED', 'BAD_WATCH'],
      ],
      [add(OFPGT.FF, 1, [bucket([out(2)], { watchGroup: 55 })]), ['GROUP_MOD_FAILED', 'BAD_WATCH']],
      [add(OFPGT.ALL, 1, [bucket([out(2)], { watchPort: 2 })]), ['GROUP_MOD_FAILED', 'WATCH_UNSUPPORTED']],
      [
        add(OFPGT.INDIRECT, 1, [bucket([out(2)], { watchGroup: 9 })]),
        ['GROUP_MOD_FAILED', 'WATCH_UNSUPPORTED'],
      ],
      [add(OFPGT.ALL, 1, [bucket([toGroup(55)])]), ['BAD_ACTION', 'BAD_OUT_GROUP']],
      [add(OFPGT.ALL, 1, [bucket([out(OFPP.NORMAL)])]), ['BAD_ACTION', 'BAD_OUT_PORT']],
      [
        add(OFPGT.ALL, 1, [
          bucket([{ type: 'EXPERIMENTER', experimenter: 0x2320, data: new Uint8Array(8) } as Action]),
        ]),
        ['BAD_ACTION', 'BAD_EXPERIMENTER'],
      ],
    ];
    for (const [m, names] of cases) expect(e(c, m), JSON.stringify(m)).toEqual(names);
    // nothing was installed by the refused requests
    expect(
      c
        .multipart(mp('GROUP_DESC'), 'GROUP_DESC')
        .flatMap((p) => p.groups)
        .map((g) => g.groupId),
    ).toEqual([9]);
  });

  it('weights up to 65535 are supported (no WEIGHT_UNSUPPORTED)', () => {
    const { c } = rig();
    c.ok(add(OFPGT.SELECT, 1, [bucket([out(2)], { weight: 65535 }), bucket([out(3)], { weight: 1 })]));
  });

  it('OUT_OF_GROUPS per type, OUT_OF_BUCKETS', () => {
    const { c } = rig(5, { groupLimits: { maxGroups: 2, maxBuckets: 3 } });
    c.ok(add(OFPGT.ALL, 1, []));
    c.ok(add(OFPGT.ALL, 2, []));
    expect(e(c, add(OFPGT.ALL, 3, []))).toEqual(['GROUP_MOD_FAILED', 'OUT_OF_GROUPS']);
    c.ok(add(OFPGT.SELECT, 3, [])); // another type has its own limit
    expect(e(c, modify(OFPGT.ALL, 3, []))).toEqual(['GROUP_MOD_FAILED', 'OUT_OF_GROUPS']);
    c.ok(modify(OFPGT.ALL, 2, [bucket([out(2)]), bucket([out(3)]), bucket([out(4)])]));
    expect(
      e(
        c,
        modify(
          OFPGT.ALL,
          2,
          [2, 3, 4, 5].map((p) => bucket([out(p)])),
        ),
      ),
    ).toEqual(['GROUP_MOD_FAILED', 'OUT_OF_BUCKETS']);
    expect(c.multipart(mp('GROUP_FEATURES'), 'GROUP_FEATURES')[0]?.maxGroups).toEqual([2, 2, 2, 2]);
  });

  it('LOOP: to itself, through another group, through a watch', () => {
    const { c } = rig();
    expect(e(c, add(OFPGT.ALL, 1, [bucket([toGroup(1)])]))).toEqual(['GROUP_MOD_FAILED', 'LOOP']);
    c.ok(add(OFPGT.INDIRECT, 2, [bucket([out(2)])]));
    c.ok(add(OFPGT.ALL, 1, [bucket([toGroup(2)])]));
    expect(e(c, modify(OFPGT.INDIRECT, 2, [bucket([toGroup(1)])]))).toEqual(['GROUP_MOD_FAILED', 'LOOP']);
    expect(e(c, modify(OFPGT.FF, 2, [bucket([out(2)], { watchGroup: 1 })]))).toEqual([
      'GROUP_MOD_FAILED',
      'LOOP',
    ]);
    expect(e(c, modify(OFPGT.FF, 2, [bucket([out(2)], { watchGroup: 2 })]))).toEqual([
      'GROUP_MOD_FAILED',
      'LOOP',
    ]);
  });

  it('CHAINING_UNSUPPORTED beyond the chain limit, on add and on modify', () => {
    const { c } = rig(5, { groupLimits: { maxChainDepth: 2 } });
    c.ok(add(OFPGT.INDIRECT, 3, [bucket([out(3)])]));
    c.ok(add(OFPGT.INDIRECT, 2, [bucket([out(2)])]));
    c.ok(add(OFPGT.INDIRECT, 1, [bucket([toGroup(2)])])); // 1 -> 2: two groups
    expect(e(c, add(OFPGT.INDIRECT, 4, [bucket([toGroup(1)])]))).toEqual([
      'GROUP_MOD_FAILED',
      'CHAINING_UNSUPPORTED',
    ]);
    expect(e(c, modify(OFPGT.INDIRECT, 2, [bucket([toGroup(3)])]))).toEqual([
      'GROUP_MOD_FAILED',
      'CHAINING_UNSUPPORTED',
    ]);
  });

  it('CHAINED_GROUP: a group another forwards to or watches is not deleted; OFPG_ALL deletes all', () => {
    const { c } = rig();
    c.ok(add(OFPGT.INDIRECT, 2, [bucket([out(2)])]));
    c.ok(add(OFPGT.INDIRECT, 3, [bucket([out(3)])]));
    c.ok(add(OFPGT.ALL, 1, [bucket([toGroup(2)])]));
    c.ok(add(OFPGT.FF, 4, [bucket([out(2)], { watchGroup: 3 })]));
    expect(e(c, del(2))).toEqual(['GROUP_MOD_FAILED', 'CHAINED_GROUP']);
    expect(e(c, del(3))).toEqual(['GROUP_MOD_FAILED', 'CHAINED_GROUP']);
    c.ok(del(1));
    c.ok(del(2));
    c.ok(del(OFPG.ALL));
    expect(c.multipart(mp('GROUP_DESC'), 'GROUP_DESC')[0]?.groups).toEqual([]);
  });

  it('a SLAVE gets IS_SLAVE', () => {
    const { c } = rig();
    c.one({ type: 'ROLE_REQUEST', role: 3, generationId: 1n }, 'ROLE_REPLY');
    expect(e(c, add(OFPGT.ALL, 1, []))).toEqual(['BAD_REQUEST', 'IS_SLAVE']);
  });
});

describe('deleting groups removes their flow entries', () => {
  it('one group: its flows go with FLOW_REMOVED reason GROUP_DELETE; others stay', () => {
    const r = rig();
    r.c.ok(add(OFPGT.INDIRECT, 1, [bucket([out(2)])]));
    r.c.ok(add(OFPGT.INDIRECT, 2, [bucket([out(3)])]));
    r.c.ok(fm('send_flow_rem,priority=5,tcp,actions=group:1'));
    r.c.ok(fm('send_flow_rem,priority=6,udp,actions=write_actions(group:1)'));
    r.c.ok(fm('send_flow_rem,priority=7,arp,actions=group:2'));
    r.c.ok(del(1));
    const removed = r.c.takeType('FLOW_REMOVED');
    expect(removed.map((m) => [m.priority, m.reason]).sort()).toEqual([
      [5, OFPRR.GROUP_DELETE],
      [6, OFPRR.GROUP_DELETE],
    ]);
    expect(r.dp.flows.tables[0]?.activeCount).toBe(1);
    r.c.ok(del(OFPG.ALL));
    expect(r.c.takeType('FLOW_REMOVED').map((m) => m.priority)).toEqual([7]);
    expect(r.dp.flows.tables[0]?.activeCount).toBe(0);
    // flows may no longer name the deleted group
    expect(r.c.error(fm('actions=group:1')).names).toEqual(['BAD_ACTION', 'BAD_OUT_GROUP']);
  });
});

describe('GROUP, GROUP_DESC and GROUP_FEATURES', () => {
  it('true packet, byte and bucket counters, ref_count, duration', () => {
    const r = rig();
    r.c.ok(add(OFPGT.SELECT, 1, [bucket([out(2)], { weight: 1 }), bucket([out(3)], { weight: 1 })]));
    r.c.ok(add(OFPGT.ALL, 2, [bucket([toGroup(1)]), bucket([out(4)])]));
    r.c.ok(fm('priority=5,tcp,actions=group:1'));
    r.c.ok(fm('priority=6,udp,actions=group:1,group:1')); // counted once
    r.c.ok(fm('priority=7,arp,actions=group:2'));
    r.clock.advance(2500);
    let bytes = 0;
    for (let i = 0; i < 100; i++) {
      const f = flow(i, i);
      bytes += f.length;
      r.dp.receiveFrame(1, f);
    }
    const [g1] = r.c.multipart(mp('GROUP', { groupId: 1 }), 'GROUP')[0]!.stats;
    expect(g1).toMatchObject({ groupId: 1, refCount: 3, packetCount: 100n, byteCount: BigInt(bytes) });
    expect(g1!.durationSec).toBe(2);
    expect(g1!.durationNsec).toBe(500_000_000);
    const [, p2, p3] = r.counts();
    expect(g1!.bucketStats.map((b) => Number(b.packetCount))).toEqual([p2, p3]);
    expect(g1!.bucketStats.reduce((s, b) => s + b.byteCount, 0n)).toBe(BigInt(bytes));
    // a group that does not exist: an empty reply
    expect(r.c.multipart(mp('GROUP', { groupId: 77 }), 'GROUP')[0]?.stats).toEqual([]);
  });

  it('GROUP_DESC gives back the buckets as installed; features list the executed actions', () => {
    const r = rig();
    const buckets = [bucket([out(2)], { watchPort: 2 }), bucket([toGroup(5)], { watchGroup: 5 })];
    r.c.ok(add(OFPGT.INDIRECT, 5, [bucket([out(3)])]));
    r.c.ok(add(OFPGT.FF, 4, buckets));
    const desc = r.c.multipart(mp('GROUP_DESC'), 'GROUP_DESC').flatMap((p) => p.groups);
    expect(desc.map((g) => [g.groupId, g.groupType])).toEqual([
      [4, OFPGT.FF],
      [5, OFPGT.INDIRECT],
    ]);
    expect(desc[0]?.buckets).toMatchObject(buckets);
    const f = r.c.multipart(mp('GROUP_FEATURES'), 'GROUP_FEATURES')[0]!;
    expect(f.types).toBe(0b1111);
    for (const a of f.actions) {
      expect(a & (1 << OFPAT.OUTPUT)).not.toBe(0);
      expect(a & (1 << OFPAT.GROUP)).not.toBe(0);
    }
  });

  it('GROUP replies split on entry boundaries', () => {
    const r = rig(5, { maxReplyLen: 1024 });
    for (let g = 1; g <= 100; g++) r.c.ok(add(OFPGT.ALL, g, [bucket([out(2)]), bucket([out(3)])]));
    const parts = r.c.multipart(mp('GROUP', { groupId: OFPG.ALL }), 'GROUP');
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.flatMap((p) => p.stats).map((s) => s.groupId)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    const desc = r.c.multipart(mp('GROUP_DESC'), 'GROUP_DESC');
    expect(desc.flatMap((p) => p.groups)).toHaveLength(100);
  });
});
