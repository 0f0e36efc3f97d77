import { describe, expect, it } from 'vitest';
import { OFPET, OFPFC, OFPFF, OFPG, OFPP, errorCode, parseFlow, flowModFrom, type FlowMod, type FlowModCommand } from '@rumpflow/openflow';
import { FlowKey, parseFrame } from '@rumpflow/packet';
import { FlowModError, FlowTables, REMOVED, reportedCounts } from './flow-table.js';
import { SLOTS, keySlots } from './match.js';

/** A FLOW_MOD from Open vSwitch flow syntax. */
const fm = (text: string, command: FlowModCommand = OFPFC.ADD): FlowMod => ({ ...flowModFrom(parseFlow(text, command), command), xid: 1 }) as FlowMod;

function slotsOf(inPort: number, dst: string): Uint32Array {
  const f = Buffer.alloc(60);
  Buffer.from(dst.replace(/:/g, ''), 'hex').copy(f, 0);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(46, 16);
  f[23] = 17;
  Buffer.from([10, 0, 0, 2]).copy(f, 30);
  const k = new FlowKey();
  k.inPort = inPort;
  return keySlots(parseFrame(f, k), new Uint32Array(SLOTS));
}

function thrown(f: () => unknown): FlowModError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FlowModError);
    return e as FlowModError;
  }
  throw new Error('expected a FlowModError');
}

const setup = () => {
  let t = 1000;
  const clock = { now: () => t, set: (v: number) => (t = v) };
  return { ft: new FlowTables(4, 100, clock.now), clock };
};

describe('FlowTables', () => {
  it('adds, looks up by priority, and counts', () => {
    const { ft } = setup();
    ft.apply(fm('priority=10,in_port=1,actions=output:2'));
    ft.apply(fm('priority=20,in_port=1,dl_dst=00:00:00:00:00:02,actions=output:3'));
    ft.apply(fm('priority=0,actions=CONTROLLER:65535'));
    const t0 = ft.table(0)!;
    expect(t0.lookup(slotsOf(1, '00:00:00:00:00:02'), 60, 1000)?.priority).toBe(20);
    expect(t0.lookup(slotsOf(1, '00:00:00:00:00:09'), 60, 1000)?.priority).toBe(10);
    expect(t0.lookup(slotsOf(5, '00:00:00:00:00:09'), 60, 1000)?.priority).toBe(0);
    expect([t0.lookupCount, t0.matchedCount, t0.activeCount]).toEqual([3, 3, 3]);
    const [e] = ft.select({ tableId: 0, match: [], outPort: 3, outGroup: OFPG.ANY, cookie: 0n, cookieMask: 0n });
    expect(e && reportedCounts(e)).toEqual({ packetCount: 1n, byteCount: 60n });
  });

  it('replaces an identical entry, keeping counters unless RESET_COUNTS', () => {
    const { ft } = setup();
    ft.apply(fm('priority=10,in_port=1,actions=output:2'));
    ft.table(0)!.lookup(slotsOf(1, '00:00:00:00:00:01'), 100, 1000);
    ft.apply(fm('priority=10,in_port=1,actions=output:3'));
    const [e] = [...ft.table(0)!.classifier.rules()];
    expect(ft.table(0)!.activeCount).toBe(1);
    expect(e?.packetCount).toBe(1);
    ft.apply(fm('priority=10,in_port=1,reset_counts,actions=output:4'));
    expect([...ft.table(0)!.classifier.rules()][0]?.packetCount).toBe(0);
  });

  it('refuses overlaps with CHECK_OVERLAP, only at equal priority', () => {
    const { ft } = setup();
    ft.apply(fm('priority=10,ip,nw_dst=10.0.0.0/8,actions=output:2'));
    const e = thrown(() => ft.apply(fm('priority=10,ip,nw_dst=10.1.0.0/16,check_overlap,actions=output:3')));
    expect([e.type, e.code]).toEqual([OFPET.FLOW_MOD_FAILED, errorCode('FLOW_MOD_FAILED', 'OVERLAP')]);
    ft.apply(fm('priority=10,ip,nw_dst=11.0.0.0/8,check_overlap,actions=output:3')); // disjoint
    ft.apply(fm('priority=11,ip,nw_dst=10.1.0.0/16,check_overlap,actions=output:3')); // other priority
    expect(ft.table(0)!.activeCount).toBe(3);
  });

  it('refuses beyond the table size (TABLE_FULL), unknown tables and backward gotos', () => {
    let t = 0;
    const ft = new FlowTables(2, 2, () => t++);
    ft.apply(fm('priority=1,in_port=1,actions=drop'));
    ft.apply(fm('priority=1,in_port=2,actions=drop'));
    expect(thrown(() => ft.apply(fm('priority=1,in_port=3,actions=drop'))).code).toBe(errorCode('FLOW_MOD_FAILED', 'TABLE_FULL'));
    ft.apply(fm('priority=1,in_port=2,actions=output:1')); // replacing is not growing
    expect(thrown(() => ft.apply(fm('table=5,priority=1,actions=drop'))).code).toBe(errorCode('FLOW_MOD_FAILED', 'BAD_TABLE_ID'));
    const g = thrown(() => ft.apply(fm('table=1,priority=1,actions=goto_table:2')));
    expect([g.type, g.code]).toEqual([OFPET.BAD_INSTRUCTION, errorCode('BAD_INSTRUCTION', 'BAD_TABLE_ID')]);
  });

  it('modifies strictly and not, honouring cookie masks', () => {
    const { ft } = setup();
    ft.apply(fm('cookie=0x1,priority=10,in_port=1,actions=output:2'));
    ft.apply(fm('cookie=0x2,priority=10,in_port=1,dl_dst=00:00:00:00:00:01,actions=output:2'));
    ft.apply(fm('cookie=0x1,priority=20,in_port=2,actions=output:2'));
    ft.apply(fm('in_port=1,actions=output:7', OFPFC.MODIFY)); // non-strict: both in_port=1 entries
    const outs = () => [...ft.table(0)!.classifier.rules()].map((e) => `${e.priority}:${JSON.stringify(e.instructions).includes('"port":7')}`).sort();
    expect(outs()).toEqual(['10:true', '10:true', '20:false']);
    ft.apply(fm('cookie=0x2/0xf,actions=output:9', OFPFC.MODIFY));
    const nine = [...ft.table(0)!.classifier.rules()].filter((e) => JSON.stringify(e.instructions).includes('"port":9'));
    expect(nine.map((e) => e.cookie)).toEqual([2n]);
    ft.apply(fm('priority=20,in_port=1,actions=output:8', OFPFC.MODIFY_STRICT)); // no entry with that priority: nothing
    expect([...ft.table(0)!.classifier.rules()].some((e) => JSON.stringify(e.instructions).includes('"port":8'))).toBe(false);
  });

  it('deletes with out_port, out_group, cookie filters and across all tables', () => {
    const { ft } = setup();
    ft.apply(fm('table=0,priority=10,in_port=1,actions=output:2'));
    ft.apply(fm('table=1,priority=10,in_port=1,actions=output:3'));
    ft.apply(fm('table=1,priority=11,in_port=2,actions=group:5'));
    ft.apply(fm('table=2,priority=12,in_port=2,actions=output:3'));
    const removed = ft.apply({ ...fm('table=255,out_port=3', OFPFC.DELETE) });
    expect(removed.map((r) => [r.entry.tableId, r.reason])).toEqual([
      [1, REMOVED.DELETE],
      [2, REMOVED.DELETE],
    ]);
    expect(ft.removeForGroup(5).map((r) => [r.entry.tableId, r.reason])).toEqual([[1, REMOVED.GROUP_DELETE]]);
    expect(ft.apply(fm('priority=10,in_port=1', OFPFC.DELETE_STRICT))).toHaveLength(1);
    expect(ft.tables.reduce((n, t) => n + t.activeCount, 0)).toBe(0);
  });

  it('expires idle and hard timeouts with exact durations', () => {
    const { ft, clock } = setup();
    ft.apply(fm('priority=10,in_port=1,idle_timeout=5,send_flow_rem,actions=output:2'));
    ft.apply(fm('priority=10,in_port=2,hard_timeout=3,actions=output:2'));
    clock.set(1000 + 2500);
    ft.table(0)!.lookup(slotsOf(1, '00:00:00:00:00:01'), 60, clock.now()); // keeps the idle one alive
    clock.set(1000 + 3000);
    expect(ft.expire().map((r) => r.reason)).toEqual([REMOVED.HARD_TIMEOUT]);
    clock.set(1000 + 7499);
    expect(ft.expire()).toEqual([]);
    clock.set(1000 + 7500.25);
    const [r] = ft.expire();
    expect(r?.reason).toBe(REMOVED.IDLE_TIMEOUT);
    expect(ft.duration(r!.entry)).toEqual({ sec: 7, nsec: 500_250_000 });
    expect((r!.entry.flags & OFPFF.SEND_FLOW_REM) !== 0).toBe(true);
  });

  it('reports all-ones counters for NO_PKT_COUNTS/NO_BYT_COUNTS', () => {
    const { ft } = setup();
    ft.apply({ ...fm('priority=1,actions=drop'), flags: OFPFF.NO_PKT_COUNTS | OFPFF.NO_BYT_COUNTS });
    const [e] = ft.select({ tableId: 0, match: [], outPort: OFPP.ANY, outGroup: OFPG.ANY, cookie: 0n, cookieMask: 0n });
    expect(reportedCounts(e!)).toEqual({ packetCount: 0xffffffffffffffffn, byteCount: 0xffffffffffffffffn });
  });
});
