// The pipeline, driven by frames on ports and by PACKET_OUT: forwarding, goto-table with
// write-metadata, the action set, the reserved ports, table-miss entries and PACKET_IN.

import {
  MessageFramer,
  OFP_NO_BUFFER,
  OFPFC,
  OFPP,
  OFPR,
  decode,
  encode,
  type Message,
  type UnsentMessage,
} from '@rumpflow/openflow';
import { describe, expect, it } from 'vitest';
import type { Channel, DatapathOptions } from '../src/index.js';
import { Controller, HELLO13, attach, fm, makeSwitch, portCounts, tableCounts, udp } from './harness.js';

const ALL_ONES = 0xffffffffffffffffn;

function fourPorts(opts: Partial<DatapathOptions> = {}) {
  const { dp, clock } = makeSwitch(opts);
  const out = [0, 1, 2, 3, 4].map((n) => (n === 0 ? [] : attach(dp, n)));
  const c = new Controller(dp);
  return { dp, clock, out, c };
}
const counts = (out: Uint8Array[][]) => out.slice(1).map((f) => f.length);

describe('forwarding', () => {
  it('in_port=1 actions=output:2: the frame leaves port 2 unchanged', () => {
    const { dp, out, c } = fourPorts();
    c.ok(fm('in_port=1,actions=output:2'));
    const f = udp(1, 2, 0, 30);
    dp.receiveFrame(1, f);
    expect(out[2]).toEqual([Uint8Array.from(f)]);
    expect(counts(out)).toEqual([0, 1, 0, 0]);
  });

  it('the highest priority wins; no match and no table-miss entry: dropped', () => {
    const { dp, out, c } = fourPorts();
    c.ok(fm('priority=10,ip,actions=output:2'));
    c.ok(fm('priority=20,udp,tp_dst=2000,actions=output:3'));
    dp.receiveFrame(1, udp());
    expect(counts(out)).toEqual([0, 0, 1, 0]);
    dp.receiveFrame(1, Buffer.from(udp()).fill(0xaa, 12, 14)); // not IP
    expect(counts(out)).toEqual([0, 0, 1, 0]);
    expect(c.take()).toEqual([]);
  });

  it('goto_table with write_metadata: later tables match the metadata', () => {
    const { dp, out, c } = fourPorts();
    c.ok(fm('in_port=1,actions=write_metadata:0x500/0xf00,goto_table:1'));
    c.ok(fm('in_port=2,actions=write_metadata:0x600/0xf00,goto_table:1'));
    c.ok(fm('table=1,metadata=0x500/0xf00,actions=goto_table:3'));
    c.ok(fm('table=1,metadata=0x600/0xf00,actions=output:4'));
    c.ok(fm('table=3,metadata=0x500,actions=output:3'));
    dp.receiveFrame(1, udp(1, 2));
    dp.receiveFrame(2, udp(2, 1));
    expect(counts(out)).toEqual([0, 0, 1, 1]);
  });

  it('write_metadata changes only the masked bits', () => {
    const { dp, out, c } = fourPorts();
    c.ok(fm('in_port=1,actions=write_metadata:0xff00ff/0xffffff,goto_table:1'));
    c.ok(fm('table=1,actions=write_metadata:0x1200/0xff00,goto_table:2'));
    c.ok(fm('table=2,metadata=0xff12ff,actions=output:2'));
    dp.receiveFrame(1, udp());
    expect(counts(out)).toEqual([0, 1, 0, 0]);
  });

  it('the action set runs at the end, after apply-actions; clear-actions empties it; write replaces by type', () => {
    const { dp, out, c } = fourPorts();
    const order: number[] = [];
    for (const p of [2, 3, 4]) dp.removePort(p);
    for (const p of [2, 3, 4])
      dp.addPort({ portNo: p, name: `p${p}`, hwAddr: `02:00:00:00:00:0${p}`, send: () => order.push(p) });
    c.take();
    // table 0 writes output:2 and goes on; table 1 applies output:3 and writes output:4 (replacing 2)
    c.ok(fm('in_port=1,actions=write_actions(output:2),goto_table:1'));
    c.ok(fm('table=1,udp,actions=output:3,write_actions(output:4)'));
    c.ok(fm('table=1,priority=0,actions=clear_actions'));
    dp.receiveFrame(1, udp());
    expect(order).toEqual([3, 4]);
    order.length = 0;
    dp.receiveFrame(1, Buffer.from(udp()).fill(0xaa, 12, 14)); // not UDP: table-miss entry clears the set
    expect(order).toEqual([]);
    expect(counts(out)).toEqual([0, 0, 0, 0]);
  });

  it('instructions run in the specification order whatever their order in the FLOW_MOD', () => {
    const { dp, out, c } = fourPorts();
    c.ok(
      fm('in_port=1,actions=drop', OFPFC.ADD, {
        instructions: [
          { type: 'GOTO_TABLE', tableId: 1 },
          { type: 'WRITE_ACTIONS', actions: [{ type: 'OUTPUT', port: 2, maxLen: 0 }] },
          { type: 'CLEAR_ACTIONS' },
          { type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 3, maxLen: 0 }] },
        ],
      }),
    );
    c.ok(fm('table=1,actions=drop')); // empty instructions: the action set (output:2, written after the clear) runs
    dp.receiveFrame(1, udp());
    expect(counts(out)).toEqual([0, 1, 1, 0]);
  });

  it('reserved ports: IN_PORT, ALL and FLOOD (every standard port, LOCAL too, never the ingress port), LOCAL; output:N to the ingress port drops', () => {
    const { dp, out, c } = fourPorts();
    const local = attach(dp, OFPP.LOCAL);
    dp.modifyPort(4, { state: 2 }); // BLOCKED: no FLOOD
    c.ok(fm('in_port=1,actions=output:in_port'));
    c.ok(fm('in_port=2,actions=all'));
    c.ok(fm('in_port=3,actions=flood'));
    c.ok(fm('in_port=4,actions=output:4,LOCAL'));
    dp.receiveFrame(1, udp());
    expect(counts(out)).toEqual([1, 0, 0, 0]);
    dp.receiveFrame(2, udp());
    expect(counts(out)).toEqual([2, 0, 1, 1]);
    dp.receiveFrame(3, udp());
    expect(counts(out)).toEqual([3, 1, 1, 1]);
    dp.receiveFrame(4, udp());
    expect(counts(out)).toEqual([3, 1, 1, 1]);
    // LOCAL got the ALL copy, the FLOOD copy and the explicit output
    expect(local).toHaveLength(3);
    dp.receiveFrame(OFPP.LOCAL, udp()); // frames from LOCAL enter the pipeline like any other
    expect(tableCounts(c)[0]?.[1]).toBe(5);
  });

  it('frames arriving on a port that is down or NO_RECV, or leaving one that is NO_FWD or link-down, are dropped', () => {
    const { dp, out, c } = fourPorts();
    c.ok(fm('actions=output:2,output:3'));
    dp.modifyPort(2, { state: 1 }); // LINK_DOWN
    c.ok({
      type: 'PORT_MOD',
      portNo: 3,
      hwAddr: '02:00:00:00:00:03',
      config: 0x20,
      mask: 0x20,
      advertise: 0,
    });
    dp.receiveFrame(1, udp());
    expect(counts(out)).toEqual([0, 0, 0, 0]);
    c.ok({ type: 'PORT_MOD', portNo: 1, hwAddr: '02:00:00:00:00:01', config: 0x1, mask: 0x1, advertise: 0 });
    dp.receiveFrame(1, udp());
    expect(portCounts(c, 1)).toMatchObject({ rxPackets: 1, rxDropped: 1 });
    expect(portCounts(c, 2).txDropped).toBe(1);
    expect(portCounts(c, 3).txDropped).toBe(1);
    // PORT_MOD told the controllers
    expect(
      c.takeType('PORT_STATUS').map((p) => [p.reason, p.desc.portNo, p.desc.config, p.desc.state]),
    ).toEqual([
      [2, 2, 0, 1],
      [2, 3, 0x20, 4],
      [2, 1, 0x1, 0], // administratively down: no longer LIVE
    ]);
  });
});

describe('PACKET_IN', () => {
  it('without packet buffers, a table-miss entry sending to the controller: reason NO_MATCH, the whole frame', () => {
    const { dp, c } = fourPorts({ nBuffers: 0 });
    c.ok({ type: 'SET_CONFIG', flags: 0, missSendLen: 64 });
    c.ok(fm('table=0,priority=0,cookie=0x55,actions=CONTROLLER:64'));
    const f = udp(1, 2, 0, 200);
    dp.receiveFrame(3, f);
    const [p, ...more] = c.takeType('PACKET_IN');
    expect(more).toEqual([]);
    // not buffered: the entire packet, whatever miss_send_len and max_len say (1.3.5 section 7.4.1)
    expect(p).toMatchObject({
      xid: 0,
      bufferId: OFP_NO_BUFFER,
      totalLen: f.length,
      reason: OFPR.NO_MATCH,
      tableId: 0,
      cookie: 0x55n,
      match: [{ field: 'IN_PORT', value: 3 }],
    });
    expect(p?.data).toEqual(Uint8Array.from(f));
  });

  it('a regular entry: reason ACTION, its table and cookie; the metadata and tunnel id in the match', () => {
    const { dp, c } = fourPorts();
    c.ok(fm('cookie=0x7,in_port=2,actions=write_metadata:0xabc,goto_table:2'));
    c.ok(fm('table=2,cookie=0x8,priority=9,metadata=0xabc,actions=CONTROLLER'));
    dp.receiveFrame(2, udp(2, 1), 0x5000n);
    expect(c.takeType('PACKET_IN')).toMatchObject([
      {
        reason: OFPR.ACTION,
        tableId: 2,
        cookie: 0x8n,
        match: [
          { field: 'IN_PORT', value: 2 },
          { field: 'METADATA', value: 0xabcn },
          { field: 'TUNNEL_ID', value: 0x5000n },
        ],
      },
    ]);
  });

  it('from the action set: the cookie is all ones; a table-miss entry still says NO_MATCH', () => {
    const { dp, c } = fourPorts();
    c.ok(fm('in_port=1,cookie=0x9,actions=write_actions(CONTROLLER)'));
    c.ok(fm('priority=0,cookie=0xa,actions=write_actions(CONTROLLER)'));
    dp.receiveFrame(1, udp());
    dp.receiveFrame(2, udp());
    expect(c.takeType('PACKET_IN').map((p) => [p.reason, p.cookie])).toEqual([
      [OFPR.ACTION, ALL_ONES],
      [OFPR.NO_MATCH, ALL_ONES],
    ]);
  });

  it('a port with NO_PACKET_IN sends none', () => {
    const { dp, c } = fourPorts();
    c.ok(fm('priority=0,actions=CONTROLLER'));
    c.ok({
      type: 'PORT_MOD',
      portNo: 1,
      hwAddr: '02:00:00:00:00:01',
      config: 0x40,
      mask: 0x40,
      advertise: 0,
    });
    c.take();
    dp.receiveFrame(1, udp());
    dp.receiveFrame(2, udp());
    expect(c.takeType('PACKET_IN').map((p) => p.match)).toEqual([[{ field: 'IN_PORT', value: 2 }]]);
  });
});

describe('PACKET_OUT', () => {
  const po = (
    actions: Extract<Message, { type: 'PACKET_OUT' }>['actions'],
    data: Uint8Array,
    inPort: number = OFPP.CONTROLLER,
    bufferId: number = OFP_NO_BUFFER,
  ): UnsentMessage => ({
    type: 'PACKET_OUT',
    bufferId,
    inPort,
    actions,
    data,
  });
  const out = (port: number, maxLen = 0) => ({ type: 'OUTPUT' as const, port, maxLen });

  it('sends the data out of the ports its actions name', () => {
    const { out: o, c } = fourPorts();
    const f = udp(9, 1);
    c.ok(po([out(1), out(3)], f));
    expect(o[1]).toEqual([Uint8Array.from(f)]);
    expect(counts(o)).toEqual([1, 0, 1, 0]);
    c.ok(po([out(OFPP.ALL)], f, 2));
    expect(counts(o)).toEqual([2, 0, 2, 1]);
    c.ok(po([out(OFPP.IN_PORT)], f, 4));
    expect(counts(o)).toEqual([2, 0, 2, 2]);
    c.ok(po([], f));
    expect(counts(o)).toEqual([2, 0, 2, 2]);
  });

  it('OUTPUT:TABLE runs the pipeline with the given in_port', () => {
    const { out: o, c } = fourPorts();
    c.ok(fm('in_port=2,actions=output:4'));
    c.ok(po([out(OFPP.TABLE)], udp(), 2));
    expect(counts(o)).toEqual([0, 0, 0, 1]);
    expect(tableCounts(c)[0]?.[1]).toBe(1);
    c.ok(po([out(OFPP.TABLE)], udp(), 1)); // no entry: dropped
    expect(counts(o)).toEqual([0, 0, 0, 1]);
  });

  it('OUTPUT:CONTROLLER comes back as PACKET_IN reason ACTION with the cookie all ones', () => {
    const { c } = fourPorts();
    const f = udp();
    c.ok(po([out(OFPP.CONTROLLER, 0xffff)], f));
    expect(c.takeType('PACKET_IN')).toMatchObject([
      {
        reason: OFPR.ACTION,
        cookie: ALL_ONES,
        totalLen: f.length,
        match: [{ field: 'IN_PORT', value: OFPP.CONTROLLER }],
      },
    ]);
  });

  it('refuses an unknown buffer id, unsupported actions and NORMAL', () => {
    const { out: o, c } = fourPorts();
    expect(c.error(po([out(1)], new Uint8Array(0), OFPP.CONTROLLER, 5)).names).toEqual([
      'BAD_REQUEST',
      'BUFFER_UNKNOWN',
    ]);
    expect(
      c.error(po([{ type: 'EXPERIMENTER', experimenter: 0x2320, data: new Uint8Array(8) }, out(1)], udp()))
        .names,
    ).toEqual(['BAD_ACTION', 'BAD_EXPERIMENTER']);
    expect(c.error(po([out(OFPP.NORMAL)], udp())).names).toEqual(['BAD_ACTION', 'BAD_OUT_PORT']);
    expect(c.error(po([{ type: 'GROUP', groupId: 3 }], udp())).names).toEqual([
      'BAD_ACTION',
      'BAD_OUT_GROUP',
    ]);
    expect(counts(o)).toEqual([0, 0, 0, 0]);
  });
});

describe('re-entrancy', () => {
  it('a controller answering a PACKET_IN with a PACKET_OUT synchronously, inside the pipeline run', () => {
    const { dp } = makeSwitch();
    const order: number[] = [];
    for (const n of [1, 3, 4])
      dp.addPort({ portNo: n, name: `p${n}`, hwAddr: `02:00:00:00:00:0${n}`, send: () => order.push(n) });
    const framer = new MessageFramer();
    const ch: Channel = dp.openChannel((bytes) => {
      for (const raw of framer.push(Uint8Array.from(bytes))) {
        const m = decode(raw);
        if (m.type !== 'PACKET_IN') continue;
        ch.receive(
          encode({
            type: 'PACKET_OUT',
            xid: 1,
            bufferId: OFP_NO_BUFFER,
            inPort: OFPP.CONTROLLER,
            actions: [{ type: 'OUTPUT', port: 4, maxLen: 0 }],
            data: m.data,
          }),
        );
      }
    });
    ch.receive(encode({ ...HELLO13, xid: 1 } as Message));
    ch.receive(encode({ ...fm('priority=0,actions=CONTROLLER,output:3'), xid: 2 } as Message));
    dp.receiveFrame(1, udp());
    expect(order).toEqual([4, 3]);
  });

  it('a port whose send() feeds the frame back in: nested runs keep their own packet state, and loops stop', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    const seen: number[] = [];
    dp.addPort({ portNo: 1, name: 'p1', hwAddr: '02:00:00:00:00:01', send: () => undefined });
    // port 2 is wired back into port 3 and port 3 into port 2: a loop
    dp.addPort({
      portNo: 2,
      name: 'p2',
      hwAddr: '02:00:00:00:00:02',
      send: (f) => (seen.push(2), dp.receiveFrame(3, f)),
    });
    dp.addPort({
      portNo: 3,
      name: 'p3',
      hwAddr: '02:00:00:00:00:03',
      send: (f) => (seen.push(3), dp.receiveFrame(2, f)),
    });
    c.ok(fm('in_port=1,actions=output:2,write_metadata:0x1,goto_table:1'));
    c.ok(fm('table=1,metadata=0x1,actions=output:in_port'));
    c.ok(fm('in_port=3,actions=output:2'));
    c.ok(fm('in_port=2,actions=output:3'));
    dp.receiveFrame(1, udp());
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.length).toBeLessThan(20);
    // the outer run went on with its own key and in_port: table 1 matched its metadata
    expect(tableCounts(c)[1]).toEqual([1, 1, 1]);
    expect(portCounts(c, 1).txPackets).toBe(1);
  });
});
