// The learning core driven by PACKET_IN bytes as a switch would send them.
import { describe, expect, it } from 'vitest';
import { OFPP, OFP_NO_BUFFER, decode, encode, validate, type Message, type UnsentMessage } from '@rumpflow/openflow';
import { LearningSwitch, LearningSwitches } from './index.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const C = '02:00:00:00:00:0c';
const BCAST = 'ff:ff:ff:ff:ff:ff';

function frame(dst: string, src: string): Uint8Array {
  const b = Buffer.alloc(60);
  Buffer.from(dst.replace(/:/g, ''), 'hex').copy(b, 0);
  Buffer.from(src.replace(/:/g, ''), 'hex').copy(b, 6);
  b.writeUInt16BE(0x0800, 12);
  return b;
}

/** PACKET_IN bytes as a switch sends them, decoded as a controller receives them. */
function packetIn(inPort: number, dst: string, src: string, bufferId = OFP_NO_BUFFER): Message {
  const data = frame(dst, src);
  return decode(
    encode({
      type: 'PACKET_IN',
      xid: 0,
      bufferId,
      totalLen: data.length,
      reason: 0,
      tableId: 0,
      cookie: 0n,
      match: [{ field: 'IN_PORT', value: inPort }],
      data,
    }),
  );
}

/** Every message the core produces must be valid OpenFlow a switch accepts. */
function sendable(msgs: UnsentMessage[]): Message[] {
  return msgs.map((m, i) => {
    const full = { ...m, xid: i + 1 } as Message;
    expect(validate(full)).toBeUndefined();
    return decode(encode(full));
  });
}

describe('LearningSwitch', () => {
  it('deletes old flows and installs the table-miss entry on connect', () => {
    const [del, miss] = sendable(new LearningSwitch().onConnect());
    expect(del).toMatchObject({ type: 'FLOW_MOD', command: 3, tableId: 0xff });
    expect(miss).toMatchObject({
      type: 'FLOW_MOD',
      command: 0,
      priority: 0,
      match: [],
      instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: OFPP.CONTROLLER, maxLen: 0xffff }] }],
    });
  });

  it('floods unknown and broadcast destinations, then forwards and installs a flow once learned', () => {
    const sw = new LearningSwitch({ idleTimeout: 30 });
    // A on port 1 broadcasts (ARP who-has): flood, learn A
    const [flood] = sendable(sw.onMessage(packetIn(1, BCAST, A)));
    expect(flood).toMatchObject({ type: 'PACKET_OUT', inPort: 1, actions: [{ type: 'OUTPUT', port: OFPP.FLOOD }] });
    expect((flood as Extract<Message, { type: 'PACKET_OUT' }>).data.length).toBe(60);
    // B on port 2 answers A: A is known -> flow + packet out to port 1
    const out = sendable(sw.onMessage(packetIn(2, A, B)));
    expect(out.map((m) => m.type)).toEqual(['FLOW_MOD', 'PACKET_OUT']);
    expect(out[0]).toMatchObject({
      command: 0,
      priority: 1,
      idleTimeout: 30,
      flags: 1,
      match: [
        { field: 'IN_PORT', value: 2 },
        { field: 'ETH_SRC', value: B },
        { field: 'ETH_DST', value: A },
      ],
      instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 1, maxLen: 0 }] }],
    });
    expect(out[1]).toMatchObject({ type: 'PACKET_OUT', inPort: 2, actions: [{ type: 'OUTPUT', port: 1 }] });
    expect(sw.table().map((e) => [e.mac, e.port])).toEqual([
      [B, 2],
      [A, 1],
    ]);
    expect(sw.stats).toMatchObject({ packetIns: 2, flooded: 1, forwarded: 1, flowsInstalled: 1, learned: 2 });
  });

  it('lets a buffered packet go with the flow alone', () => {
    const sw = new LearningSwitch();
    sw.onMessage(packetIn(1, BCAST, A));
    const out = sendable(sw.onMessage(packetIn(2, A, B, 42)));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'FLOW_MOD', bufferId: 42 });
  });

  it('follows a host that moves, and drops packets for the port they came from', () => {
    const sw = new LearningSwitch();
    sw.onMessage(packetIn(1, BCAST, A));
    sw.onMessage(packetIn(3, BCAST, A));
    expect(sw.lookup(A)).toBe(3);
    expect(sw.stats.moved).toBe(1);
    sw.onMessage(packetIn(2, BCAST, B));
    expect(sw.onMessage(packetIn(2, C, B))).toEqual([
      expect.objectContaining({ type: 'PACKET_OUT' }), // C unknown: flood
    ]);
    expect(sw.onMessage(packetIn(3, A, C))).toEqual([]); // A is behind port 3 itself
  });

  it('deletes the flows toward a host that moved, which its old port would keep alive', () => {
    const sw = new LearningSwitch({ cookie: 0x42n });
    sw.onMessage(packetIn(1, BCAST, A));
    sw.onMessage(packetIn(2, BCAST, B));
    // B talks to A: flow in_port=2,eth_src=B,eth_dst=A -> output:1
    expect(sendable(sw.onMessage(packetIn(2, A, B)))[0]).toMatchObject({ command: 0, instructions: [{ actions: [{ port: 1 }] }] });
    // A shows up on port 3, talking to B
    const out = sendable(sw.onMessage(packetIn(3, B, A)));
    expect(out.map((m) => m.type)).toEqual(['FLOW_MOD', 'FLOW_MOD', 'PACKET_OUT']);
    expect(out[0]).toMatchObject({
      type: 'FLOW_MOD',
      command: 3, // DELETE (non-strict: every flow whose match includes eth_dst=A)
      tableId: 0xff,
      cookie: 0x42n,
      cookieMask: 0xffffffffffffffffn,
      outPort: 1, // only those that still output to the old port
      match: [{ field: 'ETH_DST', value: A }],
    });
    expect(out[1]).toMatchObject({ command: 0, match: [{ field: 'IN_PORT', value: 3 }, { field: 'ETH_SRC', value: A }, { field: 'ETH_DST', value: B }] });
    expect(sw.lookup(A)).toBe(3);
    // seen again on the same port: nothing more to delete
    expect(sendable(sw.onMessage(packetIn(3, BCAST, A))).map((m) => m.type)).toEqual(['PACKET_OUT']);
    // and a move with a broadcast packet deletes too, before the flood
    const back = sendable(sw.onMessage(packetIn(1, BCAST, A)));
    expect(back.map((m) => m.type)).toEqual(['FLOW_MOD', 'PACKET_OUT']);
    expect(back[0]).toMatchObject({ command: 3, outPort: 3, match: [{ field: 'ETH_DST', value: A }] });
  });

  it('lets go of a buffered packet whose destination is behind its own in port (PACKET_OUT, no actions)', () => {
    const sw = new LearningSwitch();
    sw.onMessage(packetIn(2, BCAST, A));
    const out = sendable(sw.onMessage(packetIn(2, A, B, 77)));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'PACKET_OUT', bufferId: 77, inPort: 2, actions: [] });
    expect((out[0] as Extract<Message, { type: 'PACKET_OUT' }>).data.length).toBe(0);
    // unbuffered: nothing to release, nothing sent
    expect(sw.onMessage(packetIn(2, A, B))).toEqual([]);
    expect(sw.stats.dropped).toBe(2);
    expect(sw.stats.forwarded).toBe(0);
  });

  it('bounds the table, evicting the least recently seen, and ages entries', () => {
    let t = 0;
    const sw = new LearningSwitch({ maxMacs: 2, ageMs: 1000, now: () => t });
    sw.onMessage(packetIn(1, BCAST, A));
    sw.onMessage(packetIn(2, BCAST, B));
    sw.onMessage(packetIn(1, BCAST, A)); // A seen again: B is now the oldest
    sw.onMessage(packetIn(3, BCAST, C));
    expect(sw.table().map((e) => e.mac)).toEqual([C, A]);
    expect(sw.stats.evicted).toBe(1);
    t = 999;
    expect(sw.lookup(A)).toBe(1);
    t = 2000;
    expect(sw.expire()).toBe(2);
    expect(sw.table()).toEqual([]);
  });

  it('forgets hosts behind a port that goes down, and deletes its flows', () => {
    const sw = new LearningSwitch();
    sw.onMessage(packetIn(1, BCAST, A));
    sw.onMessage(packetIn(2, BCAST, B));
    const port = { portNo: 2, hwAddr: '00:00:00:00:00:02', name: 'vx2', config: 0, state: 1, curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0 };
    const out = sendable(sw.onMessage(decode(encode({ type: 'PORT_STATUS', xid: 0, reason: 2, desc: port }))));
    expect(out).toEqual([
      expect.objectContaining({ command: 3, outPort: 2, match: [] }),
      expect.objectContaining({ command: 3, match: [{ field: 'IN_PORT', value: 2 }] }),
    ]);
    expect(sw.lookup(B)).toBeUndefined();
    expect(sw.lookup(A)).toBe(1);
    // a port coming up changes nothing
    expect(sw.onMessage(decode(encode({ type: 'PORT_STATUS', xid: 0, reason: 0, desc: { ...port, portNo: 5, state: 4 } })))).toEqual([]);
  });

  it('forgets hosts behind a port that is deleted (PORT_STATUS reason DELETE), and deletes its flows', () => {
    const sw = new LearningSwitch();
    sw.onMessage(packetIn(1, BCAST, A));
    sw.onMessage(packetIn(4, BCAST, B));
    sw.onMessage(packetIn(4, BCAST, C));
    // the port is gone; its last description may still say it is up
    const port = { portNo: 4, hwAddr: '00:00:00:00:00:04', name: 'vx4', config: 0, state: 0, curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0 };
    const out = sendable(sw.onMessage(decode(encode({ type: 'PORT_STATUS', xid: 0, reason: 1, desc: port }))));
    expect(out).toEqual([
      expect.objectContaining({ type: 'FLOW_MOD', command: 3, tableId: 0xff, cookieMask: 0xffffffffffffffffn, outPort: 4, match: [] }),
      expect.objectContaining({ type: 'FLOW_MOD', command: 3, tableId: 0xff, outPort: OFPP.ANY, match: [{ field: 'IN_PORT', value: 4 }] }),
    ]);
    expect(sw.lookup(B)).toBeUndefined();
    expect(sw.lookup(C)).toBeUndefined();
    expect(sw.lookup(A)).toBe(1);
    expect(sw.table().map((e) => e.mac)).toEqual([A]);
    // no address is learned there any more: the flows are deleted all the same
    expect(sendable(sw.onMessage(decode(encode({ type: 'PORT_STATUS', xid: 0, reason: 1, desc: port }))))).toHaveLength(2);
  });

  it('forgets a destination whose flow idled out unseen', () => {
    let t = 0;
    const sw = new LearningSwitch({ now: () => t });
    sw.onMessage(packetIn(1, BCAST, A));
    t = 61_000;
    sw.onMessage(
      decode(
        encode({
          type: 'FLOW_REMOVED',
          xid: 0,
          cookie: 0x1fn,
          priority: 1,
          reason: 0,
          tableId: 0,
          durationSec: 61,
          durationNsec: 0,
          idleTimeout: 60,
          hardTimeout: 0,
          packetCount: 1n,
          byteCount: 60n,
          match: [
            { field: 'IN_PORT', value: 2 },
            { field: 'ETH_SRC', value: B },
            { field: 'ETH_DST', value: A },
          ],
        }),
      ),
    );
    expect(sw.table()).toEqual([]);
  });
});

describe('LearningSwitches', () => {
  it('keeps one state per datapath', () => {
    const all = new LearningSwitches();
    all.of(1n).onMessage(packetIn(1, BCAST, A));
    expect(all.of(2n).lookup(A)).toBeUndefined();
    expect(all.of(1n).lookup(A)).toBe(1);
    expect(all.datapaths).toEqual([1n, 2n]);
  });
});
