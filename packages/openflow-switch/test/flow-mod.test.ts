// FLOW_MOD through a controller channel: every command, priorities, cookies and cookie
// masks, out_port/out_group filters, overlaps, table limits, timeouts with FLOW_REMOVED, the
// counter flags, and what part 1 refuses.

import { OFPFC, OFPFF, OFPRR, type FlowStats, type Instruction } from '@rumpflow/openflow';
import { describe, expect, it } from 'vitest';
import { Controller, aggregateRequest, attach, fm, flowStatsRequest, makeSwitch, udp } from './harness.js';

function flows(c: Controller, filter: Parameters<typeof flowStatsRequest>[0] = {}): FlowStats[] {
  return c.multipart(flowStatsRequest(filter), 'FLOW').flatMap((p) => p.stats);
}
const summary = (s: FlowStats[]): string[] =>
  s
    .map(
      (f) =>
        `${f.tableId}/${f.priority}/0x${f.cookie.toString(16)}:${JSON.stringify(f.instructions.map((i) => (i.type === 'APPLY_ACTIONS' ? i.actions.map((a) => (a.type === 'OUTPUT' ? a.port : a.type)) : i.type)))}`,
    )
    .sort();

describe('FLOW_MOD commands', () => {
  function setup() {
    const { dp, clock } = makeSwitch();
    const c = new Controller(dp);
    c.ok(fm('cookie=0x11,priority=10,in_port=1,actions=output:2'));
    c.ok(fm('cookie=0x12,priority=20,in_port=1,actions=output:3'));
    c.ok(fm('cookie=0x21,priority=10,in_port=1,dl_dst=02:00:00:00:00:09,actions=output:4'));
    c.ok(fm('table=1,cookie=0x31,priority=10,in_port=1,actions=output:2'));
    return { dp, clock, c };
  }

  it('ADD installs; an identical match and priority replaces (instructions and cookie new)', () => {
    const { c } = setup();
    expect(summary(flows(c))).toEqual([
      '0/10/0x11:[[2]]',
      '0/10/0x21:[[4]]',
      '0/20/0x12:[[3]]',
      '1/10/0x31:[[2]]',
    ]);
    c.ok(fm('cookie=0x99,priority=10,in_port=1,actions=output:7'));
    expect(summary(flows(c))).toEqual([
      '0/10/0x21:[[4]]',
      '0/10/0x99:[[7]]',
      '0/20/0x12:[[3]]',
      '1/10/0x31:[[2]]',
    ]);
  });

  it('MODIFY (non-strict) changes every entry the match covers, any priority, cookie masks filtering', () => {
    const { c } = setup();
    c.ok(fm('in_port=1,actions=output:8', OFPFC.MODIFY, { tableId: 0 }));
    expect(summary(flows(c))).toEqual([
      '0/10/0x11:[[8]]',
      '0/10/0x21:[[8]]',
      '0/20/0x12:[[8]]',
      '1/10/0x31:[[2]]',
    ]);
    c.ok(fm('in_port=1,actions=output:5', OFPFC.MODIFY, { tableId: 0, cookie: 0x10n, cookieMask: 0xf0n }));
    expect(summary(flows(c))).toEqual([
      '0/10/0x11:[[5]]',
      '0/10/0x21:[[8]]',
      '0/20/0x12:[[5]]',
      '1/10/0x31:[[2]]',
    ]);
    // a more specific filter reaches only the more specific entry
    c.ok(fm('dl_dst=02:00:00:00:00:09,actions=output:6', OFPFC.MODIFY, { tableId: 0 }));
    expect(summary(flows(c))).toContain('0/10/0x21:[[6]]');
    // matching nothing is not an error and adds nothing (1.3)
    c.ok(fm('in_port=9,actions=output:6', OFPFC.MODIFY, { tableId: 0 }));
    expect(flows(c)).toHaveLength(4);
  });

  it('MODIFY_STRICT changes only the entry with that match and priority', () => {
    const { c } = setup();
    c.ok(fm('priority=10,in_port=1,actions=output:9', OFPFC.MODIFY_STRICT, { tableId: 0 }));
    expect(summary(flows(c))).toEqual([
      '0/10/0x11:[[9]]',
      '0/10/0x21:[[4]]',
      '0/20/0x12:[[3]]',
      '1/10/0x31:[[2]]',
    ]);
    c.ok(fm('priority=11,in_port=1,actions=output:1', OFPFC.MODIFY_STRICT, { tableId: 0 }));
    expect(summary(flows(c))).toContain('0/10/0x11:[[9]]');
  });

  it('MODIFY keeps cookie, timeouts, flags and counters; RESET_COUNTS clears the counters', () => {
    const { dp, c } = setup();
    attach(dp, 1);
    dp.receiveFrame(1, udp(1, 2)); // hits priority 20
    const before = flows(c, { tableId: 0 }).find((f) => f.priority === 20) as FlowStats;
    expect(before.packetCount).toBe(1n);
    c.ok(fm('priority=20,in_port=1,actions=output:4', OFPFC.MODIFY_STRICT, { tableId: 0, cookie: 0x77n }));
    const after = flows(c, { tableId: 0 }).find((f) => f.priority === 20) as FlowStats;
    expect(after).toMatchObject({ cookie: 0x12n, packetCount: 1n, byteCount: before.byteCount });
    c.ok(
      fm('priority=20,in_port=1,actions=output:4', OFPFC.MODIFY_STRICT, {
        tableId: 0,
        flags: OFPFF.RESET_COUNTS,
      }),
    );
    expect(flows(c, { tableId: 0 }).find((f) => f.priority === 20)).toMatchObject({
      packetCount: 0n,
      byteCount: 0n,
    });
  });

  it('ADD over an identical entry keeps its counters unless RESET_COUNTS', () => {
    const { dp, c } = setup();
    attach(dp, 1);
    dp.receiveFrame(1, udp(1, 2));
    c.ok(fm('cookie=0x12,priority=20,in_port=1,actions=output:3'));
    expect(flows(c).find((f) => f.priority === 20)?.packetCount).toBe(1n);
    c.ok(fm('cookie=0x12,priority=20,in_port=1,reset_counts,actions=output:3'));
    expect(flows(c).find((f) => f.priority === 20)?.packetCount).toBe(0n);
  });

  it('DELETE (non-strict) across tables, with cookie masks, out_port and out_group', () => {
    const { c } = setup();
    c.ok(fm('in_port=1', OFPFC.DELETE, { cookie: 0x20n, cookieMask: 0xf0n }));
    expect(summary(flows(c))).toEqual(['0/10/0x11:[[2]]', '0/20/0x12:[[3]]', '1/10/0x31:[[2]]']);
    c.ok(fm('in_port=1,out_port=2', OFPFC.DELETE));
    expect(summary(flows(c))).toEqual(['0/20/0x12:[[3]]']);
    c.ok(fm('out_group=5', OFPFC.DELETE)); // no entry sends to group 5
    expect(flows(c)).toHaveLength(1);
    c.ok(fm('', OFPFC.DELETE));
    expect(flows(c)).toHaveLength(0);
  });

  it('DELETE_STRICT removes exactly the match and priority in that table', () => {
    const { c } = setup();
    c.ok(fm('table=0,priority=10,in_port=1', OFPFC.DELETE_STRICT));
    expect(summary(flows(c))).toEqual(['0/10/0x21:[[4]]', '0/20/0x12:[[3]]', '1/10/0x31:[[2]]']);
    c.ok(fm('table=0,priority=10,in_port=2', OFPFC.DELETE_STRICT)); // nothing: no error
    c.ok(fm('priority=10,in_port=1', OFPFC.DELETE_STRICT)); // table ALL: table 1's
    expect(summary(flows(c))).toEqual(['0/10/0x21:[[4]]', '0/20/0x12:[[3]]']);
  });

  it('DELETE sends FLOW_REMOVED (reason DELETE, counters, duration) for entries that asked', () => {
    const { dp, clock, c } = setup();
    attach(dp, 3);
    c.ok(
      fm('priority=50,in_port=3,send_flow_rem,idle_timeout=60,actions=output:1', OFPFC.ADD, {
        cookie: 0xabcn,
      }),
    );
    c.ok(fm('priority=51,in_port=3,dl_type=0x0806,actions=output:1'));
    clock.advance(2500);
    dp.receiveFrame(3, udp(3, 1, 0, 100));
    c.take();
    c.ok(fm('in_port=3', OFPFC.DELETE));
    const [r, ...more] = c.takeType('FLOW_REMOVED');
    expect(more).toEqual([]);
    expect(r).toMatchObject({
      xid: 0,
      cookie: 0xabcn,
      priority: 50,
      reason: OFPRR.DELETE,
      tableId: 0,
      durationSec: 2,
      durationNsec: 500_000_000,
      idleTimeout: 60,
      hardTimeout: 0,
      packetCount: 1n,
      byteCount: BigInt(udp(3, 1, 0, 100).length),
      match: [{ field: 'IN_PORT', value: 3 }],
    });
  });
});

describe('FLOW_MOD checks', () => {
  it('CHECK_OVERLAP refuses an entry of equal priority that one packet could match with another', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    c.ok(fm('priority=10,ip,nw_dst=10.0.0.0/8,actions=output:1'));
    expect(c.error(fm('priority=10,ip,nw_src=192.168.0.1,check_overlap,actions=output:2')).names).toEqual([
      'FLOW_MOD_FAILED',
      'OVERLAP',
    ]);
    expect(c.error(fm('priority=10,ip,nw_dst=10.0.0.0/8,check_overlap,actions=output:2')).names).toEqual([
      'FLOW_MOD_FAILED',
      'OVERLAP',
    ]);
    c.ok(fm('priority=11,ip,nw_src=192.168.0.1,check_overlap,actions=output:2'));
    c.ok(fm('priority=10,ip,nw_dst=11.0.0.0/8,check_overlap,actions=output:2'));
    c.ok(fm('priority=10,arp,check_overlap,actions=output:2'));
    expect(flows(c)).toHaveLength(4);
  });

  it('TABLE_FULL beyond the per-table limit; replacing an entry in a full table is fine', () => {
    const { dp } = makeSwitch({ maxFlowsPerTable: 3 });
    const c = new Controller(dp);
    for (let i = 1; i <= 3; i++) c.ok(fm(`in_port=${i},actions=drop`));
    expect(c.error(fm('in_port=4,actions=drop')).names).toEqual(['FLOW_MOD_FAILED', 'TABLE_FULL']);
    c.ok(fm('in_port=3,actions=output:1'));
    c.ok(fm('table=1,in_port=4,actions=drop'));
    expect(
      c
        .multipart({ type: 'MULTIPART_REQUEST', mpType: 'TABLE', flags: 0 }, 'TABLE')[0]
        ?.stats.slice(0, 2)
        .map((t) => t.activeCount),
    ).toEqual([3, 1]);
  });

  it('tables and goto_table: refused beyond the last table', () => {
    const { dp } = makeSwitch({ nTables: 4 });
    const c = new Controller(dp);
    expect(c.error(fm('table=4,actions=drop')).names).toEqual(['FLOW_MOD_FAILED', 'BAD_TABLE_ID']);
    expect(c.error(fm('table=2,actions=goto_table:4')).names).toEqual(['BAD_INSTRUCTION', 'BAD_TABLE_ID']);
    expect(
      c.error(fm('table=3,actions=drop', OFPFC.ADD, { instructions: [{ type: 'GOTO_TABLE', tableId: 3 }] }))
        .names,
    ).toEqual(['BAD_INSTRUCTION', 'BAD_TABLE_ID']);
    expect(c.error(fm('table=7', OFPFC.DELETE)).names).toEqual(['FLOW_MOD_FAILED', 'BAD_TABLE_ID']);
    c.ok(fm('table=2,actions=goto_table:3'));
  });

  const unsupported: [string, Instruction[], [string, string]][] = [
    [
      'SET_FIELD VLAN_VID on packets not known to be tagged',
      [
        {
          type: 'APPLY_ACTIONS',
          actions: [{ type: 'SET_FIELD', field: { field: 'VLAN_VID', value: 0x1005 } }],
        },
      ],
      ['BAD_ACTION', 'MATCH_INCONSISTENT'],
    ],
    [
      'POP_VLAN on packets not known to be tagged',
      [{ type: 'WRITE_ACTIONS', actions: [{ type: 'POP_VLAN' }] }],
      ['BAD_ACTION', 'MATCH_INCONSISTENT'],
    ],
    [
      'DEC_NW_TTL on packets not known to be IP',
      [{ type: 'APPLY_ACTIONS', actions: [{ type: 'DEC_NW_TTL' }] }],
      ['BAD_ACTION', 'MATCH_INCONSISTENT'],
    ],
    [
      'SET_QUEUE naming a queue the ports lack',
      [{ type: 'APPLY_ACTIONS', actions: [{ type: 'SET_QUEUE', queueId: 3 }] }],
      ['BAD_ACTION', 'BAD_QUEUE'],
    ],
    [
      'a group that does not exist',
      [{ type: 'APPLY_ACTIONS', actions: [{ type: 'GROUP', groupId: 1 }] }],
      ['BAD_ACTION', 'BAD_OUT_GROUP'],
    ],
    [
      'output to NORMAL',
      [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 0xfffffffa, maxLen: 0 }] }],
      ['BAD_ACTION', 'BAD_OUT_PORT'],
    ],
    [
      'an experimenter action',
      [
        {
          type: 'APPLY_ACTIONS',
          actions: [{ type: 'EXPERIMENTER', experimenter: 0x2320, data: new Uint8Array(8) }],
        },
      ],
      ['BAD_ACTION', 'BAD_EXPERIMENTER'],
    ],
    ['a meter that does not exist', [{ type: 'METER', meterId: 1 }], ['METER_MOD_FAILED', 'UNKNOWN_METER']],
    [
      'an experimenter instruction',
      [{ type: 'EXPERIMENTER', experimenter: 0x2320, data: new Uint8Array(8) }],
      ['BAD_INSTRUCTION', 'BAD_EXPERIMENTER'],
    ],
  ];
  it.each(unsupported)('refuses %s', (_, instructions, names) => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    expect(c.error(fm('actions=drop', OFPFC.ADD, { instructions })).names).toEqual(names);
    expect(c.error(fm('actions=drop', OFPFC.MODIFY, { tableId: 0, instructions })).names).toEqual(names);
    expect(flows(c)).toEqual([]);
  });

  it('refuses a match on an OXM of another class (BAD_MATCH/BAD_FIELD)', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    const match = [
      { field: 'OPAQUE' as const, oxmClass: 1, oxmField: 5, hasMask: false, body: new Uint8Array(4) },
    ];
    expect(c.error(fm('actions=drop', OFPFC.ADD, { match })).names).toEqual(['BAD_MATCH', 'BAD_FIELD']);
    expect(c.error(flowStatsRequest({ match })).names).toEqual(['BAD_MATCH', 'BAD_FIELD']);
  });

  it('an unknown buffer id: the entry is installed, then BAD_REQUEST/BUFFER_UNKNOWN', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    expect(c.error(fm('in_port=1,actions=drop', OFPFC.ADD, { bufferId: 7 })).names).toEqual([
      'BAD_REQUEST',
      'BUFFER_UNKNOWN',
    ]);
    expect(flows(c)).toHaveLength(1);
    c.ok(fm('in_port=1', OFPFC.DELETE, { bufferId: 7 })); // ignored by DELETE
  });
});

describe('timeouts on the injected clock', () => {
  it('hard timeout: FLOW_REMOVED with the exact duration at the first tick past it', () => {
    const { dp, clock } = makeSwitch();
    const c = new Controller(dp);
    c.ok(fm('priority=7,in_port=1,hard_timeout=5,send_flow_rem,actions=drop', OFPFC.ADD, { cookie: 9n }));
    clock.advance(4999);
    dp.tick();
    expect(c.takeType('FLOW_REMOVED')).toEqual([]);
    clock.advance(251);
    dp.tick();
    expect(c.takeType('FLOW_REMOVED')).toMatchObject([
      {
        reason: OFPRR.HARD_TIMEOUT,
        cookie: 9n,
        priority: 7,
        hardTimeout: 5,
        durationSec: 5,
        durationNsec: 250_000_000,
        packetCount: 0n,
      },
    ]);
    expect(flows(c)).toEqual([]);
  });

  it('idle timeout: traffic keeps the entry; removal after idle_timeout without any', () => {
    const { dp, clock } = makeSwitch();
    attach(dp, 1);
    const c = new Controller(dp);
    c.ok(fm('in_port=1,idle_timeout=2,send_flow_rem,actions=drop'));
    for (let i = 0; i < 5; i++) {
      clock.advance(1500);
      dp.receiveFrame(1, udp());
      dp.tick();
    }
    expect(c.takeType('FLOW_REMOVED')).toEqual([]);
    clock.advance(1999);
    dp.tick();
    expect(c.takeType('FLOW_REMOVED')).toEqual([]);
    clock.advance(1);
    dp.tick();
    expect(c.takeType('FLOW_REMOVED')).toMatchObject([
      { reason: OFPRR.IDLE_TIMEOUT, durationSec: 9, durationNsec: 500_000_000, packetCount: 5n },
    ]);
  });

  it('no FLOW_REMOVED without SEND_FLOW_REM; FLOW stats durations run on the clock', () => {
    const { dp, clock } = makeSwitch();
    const c = new Controller(dp);
    c.ok(fm('in_port=1,hard_timeout=1,actions=drop'));
    c.ok(fm('in_port=2,actions=drop'));
    clock.advance(1234.5);
    expect(flows(c).map((f) => [f.durationSec, f.durationNsec])).toEqual([
      [1, 234_500_000],
      [1, 234_500_000],
    ]);
    dp.tick();
    expect(c.take()).toEqual([]);
    expect(flows(c)).toHaveLength(1);
  });
});

describe('counters', () => {
  it('NO_PKT_COUNTS / NO_BYT_COUNTS: all ones in FLOW stats, FLOW_REMOVED and AGGREGATE', () => {
    const { dp } = makeSwitch();
    attach(dp, 1);
    const c = new Controller(dp);
    c.ok(fm('priority=2,in_port=1,no_packet_counts,actions=drop'));
    c.ok(fm('priority=1,in_port=1,no_byte_counts,send_flow_rem,actions=drop'));
    c.ok(fm('priority=1,in_port=2,actions=drop'));
    dp.receiveFrame(1, udp());
    const s = flows(c);
    expect(s.map((f) => [f.priority, f.packetCount, f.byteCount])).toEqual(
      expect.arrayContaining([
        [2, 0xffffffffffffffffn, BigInt(udp().length)],
        [1, 0n, 0xffffffffffffffffn],
      ]),
    );
    expect(c.multipart(aggregateRequest(), 'AGGREGATE')[0]).toMatchObject({
      packetCount: 0xffffffffffffffffn,
      byteCount: 0xffffffffffffffffn,
      flowCount: 3,
    });
    expect(
      c.multipart(aggregateRequest({ match: [{ field: 'IN_PORT', value: 2 }] }), 'AGGREGATE')[0],
    ).toMatchObject({ packetCount: 0n, byteCount: 0n, flowCount: 1 });
    c.ok(fm('priority=1,in_port=1', OFPFC.DELETE_STRICT));
    expect(c.takeType('FLOW_REMOVED')[0]).toMatchObject({ packetCount: 0n, byteCount: 0xffffffffffffffffn });
  });
});

describe('two controllers', () => {
  it("see each other's entries and the FLOW_REMOVED of a delete by the other", () => {
    const { dp } = makeSwitch();
    const a = new Controller(dp);
    const b = new Controller(dp);
    a.ok(fm('in_port=1,send_flow_rem,actions=drop'));
    expect(flows(b)).toHaveLength(1);
    b.ok(fm('', OFPFC.DELETE));
    expect(a.takeType('FLOW_REMOVED')).toHaveLength(1);
    expect(b.takeType('FLOW_REMOVED')).toHaveLength(1);
  });
});
