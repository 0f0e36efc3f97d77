// Statistics with true figures, and multipart replies split on entry boundaries.

import { OFPAT, OFPMPF_MORE, OFPP, OXM_BY_ID, decode, type TableFeatureProp } from '@rumpflow/openflow';
import { describe, expect, it } from 'vitest';
import {
  Controller,
  aggregateRequest,
  attach,
  fm,
  flowStatsRequest,
  makeSwitch,
  mp,
  udp,
} from './harness.js';

describe('DESC, PORT_DESC, PORT_STATS', () => {
  it('DESC: the configured strings, defaults for the rest', () => {
    const { dp } = makeSwitch({ description: { dpDesc: 'switch0 in a rump kernel', serialNum: '42' } });
    const c = new Controller(dp);
    expect(c.multipart(mp('DESC'), 'DESC')).toMatchObject([
      {
        mfrDesc: 'rumpflow',
        hwDesc: 'switch(4) datapath',
        swDesc: expect.stringMatching(/rumpflow/),
        serialNum: '42',
        dpDesc: 'switch0 in a rump kernel',
      },
    ]);
  });

  it('PORT_DESC lists the attached ports (LOCAL included) as attached', () => {
    const { dp } = makeSwitch();
    attach(dp, 1, { curr: 0x20, supported: 0x2020, currSpeed: 1_000_000, maxSpeed: 1_000_000 });
    attach(dp, OFPP.LOCAL);
    const c = new Controller(dp);
    const ports = c.multipart(mp('PORT_DESC'), 'PORT_DESC')[0]?.ports;
    expect(ports).toEqual([
      {
        portNo: 1,
        hwAddr: '02:00:00:00:00:01',
        name: 'p1',
        config: 0,
        state: 4,
        curr: 0x20,
        advertised: 0,
        supported: 0x2020,
        peer: 0,
        currSpeed: 1_000_000,
        maxSpeed: 1_000_000,
      },
      {
        portNo: OFPP.LOCAL,
        hwAddr: '02:00:00:00:00:fe',
        name: `p${OFPP.LOCAL}`.slice(0, 15),
        config: 0,
        state: 4,
        curr: 0,
        advertised: 0,
        supported: 0,
        peer: 0,
        currSpeed: 0,
        maxSpeed: 0,
      },
    ]);
  });

  it('PORT_STATS: received, transmitted and dropped packets and bytes, and the duration', () => {
    const { dp, clock } = makeSwitch();
    attach(dp, 1);
    attach(dp, 2);
    const c = new Controller(dp);
    c.ok(fm('in_port=1,actions=output:2'));
    c.ok(fm('in_port=2,actions=output:1'));
    const f = udp(1, 2, 0, 50);
    dp.receiveFrame(1, f);
    dp.receiveFrame(1, f);
    dp.receiveFrame(2, udp(2, 1));
    c.ok({
      type: 'PORT_MOD',
      portNo: 1,
      hwAddr: '02:00:00:00:00:01',
      config: 0x20,
      mask: 0x20,
      advertise: 0,
    }); // NO_FWD
    dp.receiveFrame(2, udp(2, 1)); // dropped on output to 1
    c.ok({ type: 'PORT_MOD', portNo: 2, hwAddr: '02:00:00:00:00:02', config: 0x4, mask: 0x4, advertise: 0 }); // NO_RECV
    dp.receiveFrame(2, udp(2, 1)); // dropped on input
    clock.advance(3000);
    const s = c.multipart(mp('PORT_STATS', { portNo: OFPP.ANY }), 'PORT_STATS')[0]?.stats;
    expect(
      s?.map((p) => [
        p.portNo,
        p.rxPackets,
        p.rxBytes,
        p.rxDropped,
        p.txPackets,
        p.txBytes,
        p.txDropped,
        p.durationSec,
      ]),
    ).toEqual([
      [1, 2n, BigInt(2 * f.length), 0n, 1n, BigInt(udp(2, 1).length), 1n, 3],
      [2, 2n, BigInt(2 * udp(2, 1).length), 1n, 2n, BigInt(2 * f.length), 0n, 3],
    ]);
    expect(c.multipart(mp('PORT_STATS', { portNo: 2 }), 'PORT_STATS')[0]?.stats.map((p) => p.portNo)).toEqual(
      [2],
    );
  });
});

describe('FLOW, AGGREGATE, TABLE', () => {
  function setup() {
    const { dp, clock } = makeSwitch();
    attach(dp, 1);
    attach(dp, 2);
    attach(dp, 3);
    const c = new Controller(dp);
    c.ok(fm('cookie=0x1,priority=10,in_port=1,actions=goto_table:1'));
    c.ok(fm('cookie=0x2,priority=10,in_port=2,actions=output:1'));
    c.ok(fm('table=1,cookie=0x3,priority=5,udp,actions=output:2,output:3'));
    c.ok(fm('table=1,cookie=0x4,priority=0,actions=drop'));
    for (let i = 0; i < 3; i++) dp.receiveFrame(1, udp(1, 2, i));
    dp.receiveFrame(2, udp(2, 1));
    dp.receiveFrame(3, udp(3, 1)); // misses table 0
    return { dp, clock, c };
  }

  it('FLOW: every entry with its real counters, match and instructions', () => {
    const { c } = setup();
    const len = udp().length;
    const s = c.multipart(flowStatsRequest(), 'FLOW').flatMap((p) => p.stats);
    const byCookie = new Map(s.map((f) => [f.cookie, f]));
    expect(byCookie.get(1n)).toMatchObject({
      tableId: 0,
      priority: 10,
      packetCount: 3n,
      byteCount: BigInt(3 * len),
      match: [{ field: 'IN_PORT', value: 1 }],
      instructions: [{ type: 'GOTO_TABLE', tableId: 1 }],
    });
    expect(byCookie.get(2n)).toMatchObject({ packetCount: 1n });
    expect(byCookie.get(3n)).toMatchObject({
      tableId: 1,
      packetCount: 3n,
      instructions: [
        {
          type: 'APPLY_ACTIONS',
          actions: [
            { type: 'OUTPUT', port: 2 },
            { type: 'OUTPUT', port: 3 },
          ],
        },
      ],
    });
    expect(byCookie.get(4n)?.packetCount).toBe(0n);
  });

  it('FLOW filters: table, match (non-strict), cookie/mask, out_port', () => {
    const { c } = setup();
    const cookies = (f: Parameters<typeof flowStatsRequest>[0]) =>
      c
        .multipart(flowStatsRequest(f), 'FLOW')
        .flatMap((p) => p.stats.map((s) => Number(s.cookie)))
        .sort();
    expect(cookies({ tableId: 1 })).toEqual([3, 4]);
    expect(cookies({ match: [{ field: 'IN_PORT', value: 2 }] })).toEqual([2]);
    expect(cookies({ match: [{ field: 'ETH_TYPE', value: 0x0800 }] })).toEqual([3]);
    expect(cookies({ cookie: 0x2n, cookieMask: 0x2n })).toEqual([2, 3]);
    expect(cookies({ outPort: 3 })).toEqual([3]);
    expect(cookies({ outPort: 1, tableId: 0 })).toEqual([2]);
    expect(cookies({ outGroup: 1 })).toEqual([]);
  });

  it('AGGREGATE: sums and counts what FLOW would list', () => {
    const { c } = setup();
    const len = BigInt(udp().length);
    expect(c.multipart(aggregateRequest(), 'AGGREGATE')[0]).toMatchObject({
      packetCount: 7n,
      byteCount: 7n * len,
      flowCount: 4,
    });
    expect(c.multipart(aggregateRequest({ tableId: 1 }), 'AGGREGATE')[0]).toMatchObject({
      packetCount: 3n,
      byteCount: 3n * len,
      flowCount: 2,
    });
    expect(c.multipart(aggregateRequest({ outPort: 7 }), 'AGGREGATE')[0]).toMatchObject({
      packetCount: 0n,
      byteCount: 0n,
      flowCount: 0,
    });
  });

  it('TABLE: active entries, lookups and matches of every table', () => {
    const { c } = setup();
    const t = c.multipart(mp('TABLE'), 'TABLE')[0]?.stats;
    expect(t?.map((x) => [x.tableId, x.activeCount, x.lookupCount, x.matchedCount])).toEqual([
      [0, 2, 5n, 4n],
      [1, 2, 3n, 3n],
      [2, 0, 0n, 0n],
      [3, 0, 0n, 0n],
    ]);
  });
});

describe('TABLE_FEATURES', () => {
  it('every table with every required property, true to what the switch executes', () => {
    const { dp } = makeSwitch({ nTables: 4, maxFlowsPerTable: 1000 });
    const c = new Controller(dp);
    const tables = c
      .multipart(mp('TABLE_FEATURES', { tables: [] }), 'TABLE_FEATURES')
      .flatMap((p) => p.tables);
    expect(tables.map((t) => t.tableId)).toEqual([0, 1, 2, 3]);
    for (const t of tables) {
      expect(t).toMatchObject({
        name: `table${t.tableId}`,
        metadataMatch: 0xffffffffffffffffn,
        metadataWrite: 0xffffffffffffffffn,
        config: 0,
        maxEntries: 1000,
      });
      const props = new Map<string, TableFeatureProp>(t.properties.map((p) => [p.type, p]));
      expect([...props.keys()].sort()).toEqual(
        [
          'INSTRUCTIONS',
          'INSTRUCTIONS_MISS',
          'NEXT_TABLES',
          'NEXT_TABLES_MISS',
          'WRITE_ACTIONS',
          'WRITE_ACTIONS_MISS',
          'APPLY_ACTIONS',
          'APPLY_ACTIONS_MISS',
          'MATCH',
          'WILDCARDS',
          'WRITE_SETFIELD',
          'WRITE_SETFIELD_MISS',
          'APPLY_SETFIELD',
          'APPLY_SETFIELD_MISS',
        ].sort(),
      );
      const last = t.tableId === 3;
      const ins = props.get('INSTRUCTIONS') as Extract<TableFeatureProp, { type: 'INSTRUCTIONS' }>;
      expect(ins.instructionIds.map((i) => i.type)).toEqual([
        ...(last ? [] : ['GOTO_TABLE']),
        'WRITE_METADATA',
        'WRITE_ACTIONS',
        'APPLY_ACTIONS',
        'CLEAR_ACTIONS',
        'METER',
      ]);
      expect(
        (props.get('NEXT_TABLES') as Extract<TableFeatureProp, { type: 'NEXT_TABLES' }>).tableIds,
      ).toEqual([1, 2, 3].filter((x) => x > t.tableId));
      expect(
        (props.get('APPLY_ACTIONS') as Extract<TableFeatureProp, { type: 'APPLY_ACTIONS' }>).actionIds.map(
          (a) => a.type,
        ),
      ).toEqual(
        Object.keys(OFPAT).filter((n) => n !== 'EXPERIMENTER'), // every action but EXPERIMENTER
      );
      const match = (props.get('MATCH') as Extract<TableFeatureProp, { type: 'MATCH' }>).oxmIds;
      expect(match).toHaveLength(40);
      expect(match.find((o) => o.oxmField === 12)).toEqual({
        oxmClass: 0x8000,
        oxmField: 12,
        hasMask: true,
        length: 8,
      }); // IPV4_DST/mask
      expect(match.find((o) => o.oxmField === 0)).toEqual({
        oxmClass: 0x8000,
        oxmField: 0,
        hasMask: false,
        length: 4,
      }); // IN_PORT
      expect(
        (props.get('WILDCARDS') as Extract<TableFeatureProp, { type: 'WILDCARDS' }>).oxmIds.map(
          (o) => o.oxmField,
        ),
      ).toEqual(OXM_BY_ID.map((f) => f.id));
      expect(
        (props.get('APPLY_SETFIELD') as Extract<TableFeatureProp, { type: 'APPLY_SETFIELD' }>).oxmIds.map(
          (o) => OXM_BY_ID[o.oxmField]?.name,
        ),
      ).toEqual(
        OXM_BY_ID.map((f) => f.name).filter(
          (n) => !['IN_PORT', 'IN_PHY_PORT', 'METADATA', 'IPV6_EXTHDR'].includes(n), // pipeline fields and flags
        ),
      );
    }
  });

  it('255 tables: the reply is split across messages below 65535 bytes, REPLY_MORE on all but the last', () => {
    const { dp } = makeSwitch({ nTables: 255 });
    const c = new Controller(dp);
    const start = c.raw.length;
    const parts = c.multipart(mp('TABLE_FEATURES', { tables: [] }), 'TABLE_FEATURES');
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flatMap((p) => p.tables.map((t) => t.tableId))).toEqual(
      Array.from({ length: 255 }, (_, i) => i),
    );
    for (const raw of c.raw.slice(start)) expect(raw.length).toBeLessThan(65535);
  });
});

describe('multipart splitting', () => {
  it('2000 flows: FLOW reply parts below 65535 bytes on entry boundaries, REPLY_MORE set on all but the last', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    for (let i = 0; i < 2000; i++) {
      c.send(
        fm(
          `priority=${i % 100},ip,nw_src=10.${i >> 8}.${i & 0xff}.0/24,nw_dst=192.168.0.1,udp,tp_dst=${i},actions=output:${(i % 8) + 1}`,
        ),
      );
    }
    expect(c.take()).toEqual([]);
    const start = c.raw.length;
    const xid = c.send(flowStatsRequest());
    const raws = c.raw.slice(start);
    expect(raws.length).toBeGreaterThan(2);
    let total = 0;
    raws.forEach((raw, i) => {
      expect(raw.length).toBeLessThan(65535);
      const m = decode(raw);
      if (m.type !== 'MULTIPART_REPLY' || m.mpType !== 'FLOW') throw new Error(m.type);
      expect(m.xid).toBe(xid);
      expect((m.flags & OFPMPF_MORE) !== 0).toBe(i < raws.length - 1);
      total += m.stats.length;
      // a whole number of entries: the part is full, the next entry would not have fitted
      if (i < raws.length - 1) expect(raw.length + 200).toBeGreaterThan(65528);
    });
    expect(total).toBe(2000);
    c.take();
  });

  it('a smaller reply limit splits TABLE and PORT_DESC too', () => {
    const { dp } = makeSwitch({ nTables: 255, maxReplyLen: 1024 });
    for (let i = 1; i <= 40; i++) attach(dp, i);
    const c = new Controller(dp);
    const tables = c.multipart(mp('TABLE'), 'TABLE');
    expect(tables.length).toBeGreaterThan(5);
    expect(tables.flatMap((p) => p.stats)).toHaveLength(255);
    const ports = c.multipart(mp('PORT_DESC'), 'PORT_DESC');
    expect(ports.length).toBeGreaterThan(2);
    expect(ports.flatMap((p) => p.ports)).toHaveLength(40);
  });

  it('an empty FLOW reply is one message without REPLY_MORE', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    expect(c.multipart(flowStatsRequest(), 'FLOW')).toMatchObject([{ flags: 0, stats: [] }]);
  });
});

describe('groups, meters and queues with none configured', () => {
  it('answer truthfully: features, no groups, no meters, queue 0 of each port', () => {
    const { dp } = makeSwitch();
    attach(dp, 1);
    const c = new Controller(dp);
    expect(c.multipart(mp('GROUP_FEATURES'), 'GROUP_FEATURES')[0]).toMatchObject({
      types: 0b1111,
      capabilities: 0b1111,
      maxGroups: [4096, 4096, 4096, 4096],
    });
    expect(c.multipart(mp('GROUP', { groupId: 0xfffffffc }), 'GROUP')[0]?.stats).toEqual([]);
    expect(c.multipart(mp('GROUP_DESC'), 'GROUP_DESC')[0]?.groups).toEqual([]);
    expect(c.multipart(mp('METER_FEATURES'), 'METER_FEATURES')[0]).toMatchObject({
      maxMeter: 4096,
      bandTypes: 0b110,
      capabilities: 0b1111,
      maxBands: 8,
      maxColor: 0,
    });
    expect(c.multipart(mp('METER', { meterId: 0xffffffff }), 'METER')[0]?.stats).toEqual([]);
    expect(c.multipart(mp('METER_CONFIG', { meterId: 0xffffffff }), 'METER_CONFIG')[0]?.configs).toEqual([]);
    const q0 = { portNo: 1, queueId: 0, txBytes: 0n, txPackets: 0n, txErrors: 0n };
    expect(
      c.multipart(mp('QUEUE', { portNo: OFPP.ANY, queueId: 0xffffffff }), 'QUEUE')[0]?.stats,
    ).toMatchObject([q0]);
    expect(c.multipart(mp('QUEUE', { portNo: 1, queueId: 0 }), 'QUEUE')[0]?.stats).toMatchObject([q0]);
    expect(c.error(mp('QUEUE', { portNo: 1, queueId: 1 })).names).toEqual(['QUEUE_OP_FAILED', 'BAD_QUEUE']);
  });
});
