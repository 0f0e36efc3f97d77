// Packet buffers, driven through OpenFlow bytes and frames: PACKET_IN truncation and buffer
// ids, release by PACKET_OUT and by FLOW_MOD, BUFFER_UNKNOWN / BUFFER_EMPTY, expiry on the
// injected clock, the bound on buffered packets; and the buffer store itself, property-tested.

import { OFP_NO_BUFFER, OFPCML, OFPFC, OFPP, OFPR, type UnsentMessage } from '@rumpflow/openflow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketBuffers } from '../src/buffers.js';
import type { DatapathOptions } from '../src/index.js';
import { Controller, attach, flowStatsRequest, fm, makeSwitch, udp } from './harness.js';

function rig(opts: Partial<DatapathOptions> = {}) {
  const { dp, clock } = makeSwitch(opts);
  const out = [1, 2, 3].map((n) => attach(dp, n));
  const c = new Controller(dp);
  return { dp, clock, c, port: (n: number) => out[n - 1] as Uint8Array[] };
}

const frame = udp(1, 2, 0, 300); // 342 bytes

const packetOut = (bufferId: number, port = 2, inPort = 1, data = new Uint8Array(0)): UnsentMessage => ({
  type: 'PACKET_OUT',
  bufferId,
  inPort,
  actions: [{ type: 'OUTPUT', port, maxLen: 0 }],
  data,
});

describe('PACKET_IN with packet buffers', () => {
  it('OUTPUT:CONTROLLER with max_len: a buffer id and the first max_len bytes', () => {
    const { dp, c } = rig();
    c.ok(fm('priority=0,actions=controller:64'));
    dp.receiveFrame(1, frame);
    const [p] = c.takeType('PACKET_IN');
    expect(p).toMatchObject({ reason: OFPR.NO_MATCH, totalLen: frame.length });
    expect(p?.bufferId).not.toBe(OFP_NO_BUFFER);
    expect(Buffer.from(p?.data ?? []).equals(frame.subarray(0, 64))).toBe(true);
  });

  it('max_len OFPCML_NO_BUFFER: the whole frame, not buffered; max_len 0: no bytes, buffered', () => {
    const { dp, c } = rig();
    c.ok(fm('in_port=1,actions=controller'));
    c.ok(fm('in_port=2,actions=controller:0'));
    dp.receiveFrame(1, frame);
    dp.receiveFrame(2, frame);
    const [whole, none] = c.takeType('PACKET_IN');
    expect(whole).toMatchObject({ bufferId: OFP_NO_BUFFER, reason: OFPR.ACTION, totalLen: frame.length });
    expect(Buffer.from(whole?.data ?? []).equals(frame)).toBe(true);
    expect(none?.bufferId).not.toBe(OFP_NO_BUFFER);
    expect(none?.data).toHaveLength(0);
    expect(none?.totalLen).toBe(frame.length);
  });

  it('a frame shorter than max_len is sent whole, still buffered', () => {
    const { dp, c } = rig();
    c.ok(fm('actions=controller:1000'));
    dp.receiveFrame(1, frame);
    const [p] = c.takeType('PACKET_IN');
    expect(p?.bufferId).not.toBe(OFP_NO_BUFFER);
    expect(Buffer.from(p?.data ?? []).equals(frame)).toBe(true);
  });

  it('INVALID_TTL uses each channel miss_send_len; one buffer for all channels', () => {
    const { dp, c } = rig();
    const d = new Controller(dp);
    const mask = {
      packetInMask: [7, 0] as [number, number],
      portStatusMask: [7, 7] as [number, number],
      flowRemovedMask: [15, 0] as [number, number],
    };
    c.ok({ type: 'SET_ASYNC', ...mask });
    d.ok({ type: 'SET_ASYNC', ...mask });
    c.ok({ type: 'SET_CONFIG', flags: 0, missSendLen: 100 });
    d.ok({ type: 'SET_CONFIG', flags: 0, missSendLen: 20 });
    c.ok(fm('ip,actions=dec_ttl,output:2'));
    dp.receiveFrame(1, udp(1, 2, 0, 300).fill(1, 22, 23)); // IPv4 TTL 1 (byte 14 + 8)
    const [pc] = c.takeType('PACKET_IN');
    const [pd] = d.takeType('PACKET_IN');
    expect(pc).toMatchObject({ reason: OFPR.INVALID_TTL, totalLen: frame.length });
    expect(pc?.data).toHaveLength(100);
    expect(pd?.data).toHaveLength(20);
    expect(pc?.bufferId).not.toBe(OFP_NO_BUFFER);
    expect(pd?.bufferId).toBe(pc?.bufferId);
    // miss_send_len NO_BUFFER: whole and unbuffered
    c.ok({ type: 'SET_CONFIG', flags: 0, missSendLen: OFPCML.NO_BUFFER });
    dp.receiveFrame(1, udp(1, 2, 0, 300).fill(1, 22, 23));
    const [whole] = c.takeType('PACKET_IN');
    expect(whole).toMatchObject({ bufferId: OFP_NO_BUFFER, totalLen: frame.length });
    expect(whole?.data).toHaveLength(frame.length);
    expect(d.takeType('PACKET_IN')[0]?.bufferId).not.toBe(OFP_NO_BUFFER);
  });

  it('nBuffers 0: FEATURES says so and every PACKET_IN carries the whole frame', () => {
    const { dp, c } = rig({ nBuffers: 0 });
    expect(c.one({ type: 'FEATURES_REQUEST' }, 'FEATURES_REPLY').nBuffers).toBe(0);
    c.ok(fm('actions=controller:64'));
    dp.receiveFrame(1, frame);
    const [p] = c.takeType('PACKET_IN');
    expect(p?.bufferId).toBe(OFP_NO_BUFFER);
    expect(p?.data).toHaveLength(frame.length);
    expect(c.error(packetOut(0)).names).toEqual(['BAD_REQUEST', 'BUFFER_UNKNOWN']);
  });

  it('a frame too big for one message: buffered, cut to what fits; unbuffered, not sent', () => {
    const { dp, c } = rig();
    c.ok(fm('in_port=1,actions=write_metadata:0xff,goto_table:1'));
    c.ok(fm('table=1,in_port=1,actions=controller:65509'));
    c.ok(fm('in_port=2,actions=controller'));
    const jumbo = udp(1, 2, 0, 65_480); // 65522 bytes
    dp.receiveFrame(1, jumbo, 0x77n);
    dp.receiveFrame(2, jumbo);
    const raws = c.raw.filter((r) => r[1] === 10); // OFPT_PACKET_IN
    expect(raws).toHaveLength(1);
    expect(raws[0]?.length).toBeLessThanOrEqual(0xffff);
    const [p] = c.takeType('PACKET_IN');
    expect(p).toMatchObject({ totalLen: jumbo.length });
    expect(p?.bufferId).not.toBe(OFP_NO_BUFFER);
    expect(p?.data).toHaveLength(0xffff - 74); // room left by the largest PACKET_IN match
    expect(p?.match.map((m) => m.field)).toEqual(['IN_PORT', 'METADATA', 'TUNNEL_ID']);
  });

  it('bounded: with every buffer taken a PACKET_IN is sent whole and unbuffered', () => {
    const { dp, c } = rig({ nBuffers: 2 });
    c.ok(fm('actions=controller:64'));
    for (let i = 0; i < 3; i++) dp.receiveFrame(1, udp(1, 2, i, 300));
    const ids = c.takeType('PACKET_IN').map((p) => [p.bufferId !== OFP_NO_BUFFER, p.data.length]);
    expect(ids).toEqual([
      [true, 64],
      [true, 64],
      [false, frame.length],
    ]);
  });
});

describe('releasing a buffered packet', () => {
  function buffered(opts: Partial<DatapathOptions> = {}) {
    const r = rig(opts);
    r.c.ok(fm('priority=0,actions=controller:32'));
    r.dp.receiveFrame(1, frame);
    const [p] = r.c.takeType('PACKET_IN');
    return { ...r, id: p?.bufferId as number };
  }

  it('PACKET_OUT sends the whole buffered frame; the id is then used (BUFFER_EMPTY)', () => {
    const { c, port, id } = buffered();
    c.ok(packetOut(id, 2, 1, new Uint8Array(5))); // data is meaningless with a buffer id
    expect(port(2)).toHaveLength(1);
    expect(Buffer.from(port(2)[0] ?? []).equals(frame)).toBe(true);
    expect(c.error(packetOut(id)).names).toEqual(['BAD_REQUEST', 'BUFFER_EMPTY']);
    expect(port(2)).toHaveLength(1);
  });

  it('PACKET_OUT with bad actions does not consume the buffer', () => {
    const { c, port, id } = buffered();
    expect(
      c.error({ ...packetOut(id), actions: [{ type: 'GROUP', groupId: 9 }] } as UnsentMessage).names,
    ).toEqual(['BAD_ACTION', 'BAD_OUT_GROUP']);
    c.ok(packetOut(id, 3));
    expect(port(3)).toHaveLength(1);
  });

  it('PACKET_OUT to IN_PORT uses the PACKET_OUT in_port', () => {
    const { c, port, id } = buffered();
    c.ok(packetOut(id, OFPP.IN_PORT, 3));
    expect(port(3)).toHaveLength(1);
    expect(port(1)).toHaveLength(0);
  });

  it('FLOW_MOD with a buffer id: the entry goes in, then the packet runs through it', () => {
    const { c, port, id } = buffered();
    c.ok(
      fm('priority=10,in_port=1,udp,actions=set_field:10.9.9.9->ip_dst,output:3', OFPFC.ADD, {
        bufferId: id,
      }),
    );
    expect(port(3)).toHaveLength(1);
    expect(Buffer.from(port(3)[0] ?? []).subarray(30, 34)).toEqual(Buffer.from([10, 9, 9, 9]));
    const stats = c.multipart(flowStatsRequest(), 'FLOW').flatMap((p) => p.stats);
    expect(stats.find((s) => s.priority === 10)).toMatchObject({
      packetCount: 1n,
      byteCount: BigInt(frame.length),
    });
    // used: the next one naming it installs its entry and answers BUFFER_EMPTY
    expect(c.error(fm('priority=11,in_port=1,actions=output:2', OFPFC.ADD, { bufferId: id })).names).toEqual([
      'BAD_REQUEST',
      'BUFFER_EMPTY',
    ]);
    expect(c.multipart(flowStatsRequest(), 'FLOW').flatMap((p) => p.stats)).toHaveLength(3);
    expect(port(2)).toHaveLength(0);
  });

  it('FLOW_MOD DELETE ignores the buffer id (the packet stays buffered)', () => {
    const { c, port, id } = buffered();
    c.ok(fm('in_port=7', OFPFC.DELETE, { bufferId: id }));
    c.ok(packetOut(id, 2));
    expect(port(2)).toHaveLength(1);
  });

  it('an id never handed out, or of a slot reused since: BUFFER_UNKNOWN', () => {
    const { dp, c, id } = buffered({ nBuffers: 1 });
    expect(c.error(packetOut((id + 1) >>> 0)).names).toEqual(['BAD_REQUEST', 'BUFFER_UNKNOWN']);
    c.ok(packetOut(id));
    dp.receiveFrame(1, frame); // the one slot is reused with a new id
    const [p] = c.takeType('PACKET_IN');
    expect(p?.bufferId).not.toBe(id);
    expect(c.error(packetOut(id)).names).toEqual(['BAD_REQUEST', 'BUFFER_UNKNOWN']);
    c.ok(packetOut(p?.bufferId as number));
  });

  it('buffers expire on the injected clock at tick(): BUFFER_UNKNOWN, and the slot is free again', () => {
    const { dp, c, clock, id } = buffered({ nBuffers: 1, bufferLifetimeMs: 2000 });
    clock.advance(1999);
    dp.tick();
    dp.receiveFrame(1, frame); // the only slot is held: sent whole
    expect(c.takeType('PACKET_IN')[0]?.bufferId).toBe(OFP_NO_BUFFER);
    clock.advance(1);
    dp.tick();
    expect(c.error(packetOut(id)).names).toEqual(['BAD_REQUEST', 'BUFFER_UNKNOWN']);
    dp.receiveFrame(1, frame);
    expect(c.takeType('PACKET_IN')[0]?.bufferId).not.toBe(OFP_NO_BUFFER);
  });
});

describe('PacketBuffers (property)', () => {
  it('ids are unique among held packets, each is taken once, the store never exceeds its capacity', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(
          fc.oneof(fc.constant('store' as const), fc.nat({ max: 20 }), fc.constant('expire' as const)),
          {
            maxLength: 120,
          },
        ),
        (capacity, ops) => {
          const b = new PacketBuffers(capacity, 10);
          const held = new Map<number, number>(); // id -> payload marker
          const used = new Set<number>();
          let now = 0;
          let n = 0;
          for (const op of ops) {
            now += 1;
            if (op === 'store') {
              const id = b.store(Uint8Array.of(n & 0xff), 1, 0n, now);
              if (held.size >= capacity) expect(id).toBe(OFP_NO_BUFFER);
              else {
                expect(id).not.toBe(OFP_NO_BUFFER);
                expect(held.has(id)).toBe(false);
                held.set(id, n & 0xff);
                used.delete(id);
              }
              n++;
            } else if (op === 'expire') {
              now += 10;
              b.expire(now);
              held.clear();
            } else {
              const ids = [...held.keys()];
              const id = ids.length > 0 ? (ids[op % ids.length] as number) : op;
              const r = b.take(id);
              if (held.has(id)) {
                expect(r).toMatchObject({ frame: Uint8Array.of(held.get(id) as number) });
                held.delete(id);
                used.add(id);
                expect(b.take(id)).toBe('empty');
              } else expect(r === 'unknown' || (r === 'empty' && used.has(id))).toBe(true);
            }
            expect(b.size).toBe(held.size);
          }
        },
      ),
    );
  });
});
