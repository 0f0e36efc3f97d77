import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowKey, buildIcmpEcho, buildUdp, parseFrame } from '@rumpflow/packet';
import { Host } from './host.js';

const A = { mac: '02:00:00:00:00:01', ip: '10.0.0.1' };
const B = { mac: '02:00:00:00:00:02', ip: '10.0.0.2' };

/** Two hosts on one wire; `drop` decides per frame (and direction) whether the wire loses it. */
function pair(drop: (frame: Uint8Array, from: 'a' | 'b') => boolean = () => false) {
  let t = 0;
  const now = () => t;
  const wire: { from: 'a' | 'b'; frame: Uint8Array }[] = [];
  const a = new Host({ ...A, now, send: (frame) => wire.push({ from: 'a', frame }) });
  const b = new Host({ ...B, now, send: (frame) => wire.push({ from: 'b', frame }) });
  /** Deliver frames (and the answers they cause) until the wire is quiet, `ms` later each. */
  const run = (ms = 1) => {
    while (wire.length > 0) {
      const { from, frame } = wire.shift()!;
      t += ms;
      if (drop(frame, from)) continue;
      (from === 'a' ? b : a).input(frame);
    }
  };
  return { a, b, run, advance: (ms: number) => (t += ms), wire };
}

const isEchoReply = (f: Uint8Array) => {
  const k = parseFrame(f, new FlowKey());
  return k.ipProto === 1 && k.icmpType === 0;
};

describe('Host', () => {
  it('resolves the peer with ARP, then pings it and measures the round trip', () => {
    const { a, b, run } = pair();
    a.ping(B.ip);
    run(2); // ARP request, ARP reply, echo request, echo reply: 2 ms each, all in the first RTT
    const [toB] = a.stats();
    expect(toB).toMatchObject({
      ip: B.ip,
      mac: B.mac,
      pingsSent: 1,
      pingReplies: 1,
      pingsLost: 0,
      pingLoss: 0,
    });
    expect(toB!.rttMs).toEqual({ p50: 8, p99: 8, min: 8, max: 8, samples: 1 });
    expect(a.counters.arpRequestsSent).toBe(1);
    expect(b.counters).toMatchObject({ arpRequestsAnswered: 1, echoRequestsAnswered: 1 });
    // B learnt A from A's request: it needs no ARP of its own to answer or ping back
    b.ping(A.ip);
    run(1);
    expect(b.counters.arpRequestsSent).toBe(0);
    expect(b.stats()[0]).toMatchObject({ ip: A.ip, pingReplies: 1 });
  });

  it('counts a ping without a reply within the timeout as lost, and a later reply as late', () => {
    let dropReplies = true;
    const held: Uint8Array[] = [];
    const { a, run, advance } = pair((f) => {
      if (dropReplies && isEchoReply(f)) {
        held.push(f);
        return true;
      }
      return false;
    });
    for (let i = 0; i < 3; i++) a.ping(B.ip);
    run();
    advance(980);
    a.tick();
    expect(a.stats()[0]).toMatchObject({ pingsInFlight: 3, pingsLost: 0 });
    advance(30);
    a.tick();
    expect(a.stats()[0]).toMatchObject({ pingsSent: 3, pingsLost: 3, pingsInFlight: 0, pingLoss: 1 });
    dropReplies = false;
    a.input(held[0]!);
    expect(a.stats()[0]).toMatchObject({ lateReplies: 1, pingReplies: 0 });
    a.ping(B.ip);
    run();
    expect(a.stats()[0]).toMatchObject({ pingReplies: 1, pingLoss: 0.75 });
  });

  it('numbers UDP flows so the receiver sees the loss', () => {
    let n = 0;
    const { a, b, run } = pair((f, from) => {
      const k = parseFrame(f, new FlowKey());
      return from === 'a' && k.ipProto === 17 && [2, 5, 6].includes(n++);
    });
    for (let i = 0; i < 10; i++) a.udp(B.ip, 5001, 100);
    run();
    expect(a.stats()[0]).toMatchObject({ udpSent: 10 });
    expect(b.stats()[0]).toMatchObject({ ip: A.ip, udpReceived: 7, udpLost: 3 });
  });

  it('bounds the frames waiting for ARP and repeats the request only after the retry time', () => {
    const { a, wire, advance } = pair();
    for (let i = 0; i < 100; i++) a.ping(B.ip);
    expect(a.counters).toMatchObject({ arpRequestsSent: 1, arpQueueDrops: 36 });
    expect(wire).toHaveLength(1);
    advance(1000);
    a.ping(B.ip);
    expect(a.counters.arpRequestsSent).toBe(2);
  });

  it("ignores frames for another MAC and answers nothing that isn't asked", () => {
    const { a, wire } = pair();
    const base = { srcMac: B.mac, src: B.ip, dst: A.ip };
    a.input(buildIcmpEcho({ ...base, dstMac: '02:00:00:00:00:99', type: 'request', id: 1, seq: 1 }));
    a.input(buildUdp({ ...base, dstMac: A.mac, srcPort: 1, dstPort: 2, payload: Uint8Array.of(1, 2) }));
    expect(wire).toHaveLength(0);
    expect(a.counters).toMatchObject({ ignored: 1, udpOther: 1, framesIn: 2 });
    expect(a.stats()).toEqual([]);
  });

  it('never throws on arbitrary frames and answers only with well-formed ones (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 20 }), (frames) => {
        const { a, wire } = pair();
        for (const f of frames) a.input(f);
        for (const { frame } of wire) expect(parseFrame(frame, new FlowKey()).truncated).toBe(false);
      }),
    );
  });
});
