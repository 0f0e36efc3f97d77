// Ports at run time, through OpenFlow bytes and frames: PORT_STATUS on every change (attach,
// detach, link state, PORT_MOD), PORT_MOD's checks and config bits honoured in forwarding,
// liveness, per-port counters in PORT_STATS, the LOCAL port.

import { OFPP, OFPPC, OFPPR, OFPPS, type UnsentMessage } from '@rumpflow/openflow';
import { describe, expect, it } from 'vitest';
import { Controller, attach, fm, makeSwitch, mac, mp, udp } from './harness.js';

function rig() {
  const { dp, clock } = makeSwitch();
  const c = new Controller(dp);
  const out = new Map<number, Uint8Array[]>();
  for (const n of [1, 2, 3]) out.set(n, attach(dp, n));
  c.takeType('PORT_STATUS');
  return { dp, clock, c, port: (n: number) => out.get(n) as Uint8Array[] };
}

const portMod = (portNo: number, config: number, mask: number, hwAddr = mac(portNo)): UnsentMessage => ({
  type: 'PORT_MOD',
  portNo,
  hwAddr,
  config,
  mask,
  advertise: 0,
});

const status = (c: Controller) =>
  c.takeType('PORT_STATUS').map((m) => [m.reason, m.desc.portNo, m.desc.config, m.desc.state]);

describe('ports at run time', () => {
  it('attach and detach: PORT_STATUS ADD and DELETE, PORT_DESC follows', () => {
    const { dp, c } = rig();
    attach(dp, 9);
    const [add] = c.takeType('PORT_STATUS');
    expect(add).toMatchObject({
      reason: OFPPR.ADD,
      desc: { portNo: 9, name: 'p9', hwAddr: mac(9), state: OFPPS.LIVE },
    });
    const desc = () =>
      c
        .multipart(mp('PORT_DESC'), 'PORT_DESC')
        .flatMap((p) => p.ports)
        .map((p) => p.portNo);
    expect(desc()).toEqual([1, 2, 3, 9]);
    expect(dp.removePort(9)).toBe(true);
    expect(status(c)).toEqual([[OFPPR.DELETE, 9, 0, OFPPS.LIVE]]);
    expect(desc()).toEqual([1, 2, 3]);
    expect(dp.removePort(9)).toBe(false);
    expect(status(c)).toEqual([]);
    // frames for a detached port go nowhere; frames from it are ignored
    c.ok(fm('in_port=1,actions=output:9'));
    dp.receiveFrame(1, udp());
    dp.receiveFrame(9, udp());
  });

  it('link down and up: PORT_STATUS MODIFY with LINK_DOWN and LIVE; frames to a down link are dropped', () => {
    const { dp, c, port } = rig();
    c.ok(fm('in_port=1,actions=output:2'));
    expect(dp.setLink(2, false)).toBe(true);
    expect(status(c)).toEqual([[OFPPR.MODIFY, 2, 0, OFPPS.LINK_DOWN]]);
    dp.receiveFrame(1, udp());
    expect(port(2)).toHaveLength(0);
    dp.setLink(2, false); // no change, no message
    expect(status(c)).toEqual([]);
    dp.setLink(2, true);
    expect(status(c)).toEqual([[OFPPR.MODIFY, 2, 0, OFPPS.LIVE]]);
    dp.receiveFrame(1, udp());
    expect(port(2)).toHaveLength(1);
    // other changes are reported too (a speed change)
    dp.modifyPort(2, { currSpeed: 10_000 });
    expect(c.takeType('PORT_STATUS')[0]?.desc.currSpeed).toBe(10_000);
  });

  it('a SLAVE receives PORT_STATUS too (default masks); a channel can turn them off with SET_ASYNC', () => {
    const { dp, c } = rig();
    const s = new Controller(dp);
    s.one({ type: 'ROLE_REQUEST', role: 3, generationId: 1n }, 'ROLE_REPLY');
    c.ok({
      type: 'SET_ASYNC',
      packetInMask: [3, 0],
      portStatusMask: [1 << OFPPR.ADD, 0],
      flowRemovedMask: [15, 0],
    });
    dp.setLink(1, false);
    attach(dp, 5);
    expect(status(s)).toEqual([
      [OFPPR.MODIFY, 1, 0, OFPPS.LINK_DOWN],
      [OFPPR.ADD, 5, 0, OFPPS.LIVE],
    ]);
    expect(status(c)).toEqual([[OFPPR.ADD, 5, 0, OFPPS.LIVE]]);
  });
});

describe('PORT_MOD', () => {
  it('the errors: BAD_PORT, BAD_HW_ADDR, BAD_CONFIG for bits 1.3 does not define', () => {
    const { c } = rig();
    expect(c.error(portMod(7, 0, 0)).names).toEqual(['PORT_MOD_FAILED', 'BAD_PORT']);
    expect(c.error(portMod(1, 0, 0, mac(2))).names).toEqual(['PORT_MOD_FAILED', 'BAD_HW_ADDR']);
    expect(c.error(portMod(1, 0x2, 0x2)).names).toEqual(['PORT_MOD_FAILED', 'BAD_CONFIG']); // 1.0's NO_STP
    expect(c.error(portMod(1, 0, 0x80)).names).toEqual(['PORT_MOD_FAILED', 'BAD_CONFIG']);
    expect(c.error(portMod(1, 0x10, 0)).names).toEqual(['PORT_MOD_FAILED', 'BAD_CONFIG']);
    expect(status(c)).toEqual([]);
  });

  it('PORT_DOWN: nothing in or out, not LIVE; NO_RECV; NO_FWD; each with PORT_STATUS MODIFY', () => {
    const { dp, c, port } = rig();
    c.ok(fm('in_port=1,actions=output:2'));
    c.ok(fm('in_port=2,actions=output:1'));
    c.ok(portMod(2, OFPPC.PORT_DOWN, OFPPC.PORT_DOWN));
    expect(status(c)).toEqual([[OFPPR.MODIFY, 2, OFPPC.PORT_DOWN, 0]]);
    dp.receiveFrame(1, udp());
    dp.receiveFrame(2, udp());
    expect([port(1).length, port(2).length]).toEqual([0, 0]);
    c.ok(portMod(2, 0, OFPPC.PORT_DOWN));
    c.ok(portMod(2, OFPPC.NO_RECV, OFPPC.NO_RECV));
    expect(status(c)).toEqual([
      [OFPPR.MODIFY, 2, 0, OFPPS.LIVE],
      [OFPPR.MODIFY, 2, OFPPC.NO_RECV, OFPPS.LIVE],
    ]);
    dp.receiveFrame(2, udp()); // refused on the way in
    dp.receiveFrame(1, udp()); // still sent out
    expect([port(1).length, port(2).length]).toEqual([0, 1]);
    c.ok(portMod(2, OFPPC.NO_FWD, OFPPC.NO_RECV | OFPPC.NO_FWD));
    dp.receiveFrame(1, udp());
    dp.receiveFrame(2, udp());
    expect([port(1).length, port(2).length]).toEqual([1, 1]);
    // the same configuration again: no message
    c.ok(portMod(2, OFPPC.NO_FWD, OFPPC.NO_FWD));
    expect(status(c)).toEqual([[OFPPR.MODIFY, 2, OFPPC.NO_FWD, OFPPS.LIVE]]);
    const counts = c.multipart(mp('PORT_STATS', { portNo: 2 }), 'PORT_STATS')[0]?.stats[0];
    expect(counts).toMatchObject({ rxPackets: 1n, rxDropped: 2n, txPackets: 1n, txDropped: 2n });
  });

  it('NO_PACKET_IN: packets from the port are not sent to the controller', () => {
    const { dp, c } = rig();
    c.ok(fm('priority=0,actions=controller'));
    c.ok(portMod(3, OFPPC.NO_PACKET_IN, OFPPC.NO_PACKET_IN));
    dp.receiveFrame(3, udp(3, 1));
    dp.receiveFrame(1, udp(1, 3));
    expect(c.takeType('PACKET_IN').map((p) => p.match[0])).toEqual([{ field: 'IN_PORT', value: 1 }]);
  });
});

describe('PORT_STATS', () => {
  it('true per-port counters and the time attached', () => {
    const { dp, c, clock } = rig();
    c.ok(fm('in_port=1,actions=output:2,output:3'));
    c.ok(fm('in_port=2,actions=flood'));
    const a = udp(1, 2, 0, 100);
    const b = udp(2, 1, 0, 10);
    dp.receiveFrame(1, a);
    dp.receiveFrame(1, a);
    dp.receiveFrame(2, b);
    clock.advance(2500.25);
    const stats = new Map(
      c
        .multipart(mp('PORT_STATS', { portNo: OFPP.ANY }), 'PORT_STATS')
        .flatMap((p) => p.stats)
        .map((s) => [s.portNo, s]),
    );
    expect(stats.get(1)).toMatchObject({
      rxPackets: 2n,
      rxBytes: BigInt(2 * a.length),
      txPackets: 1n,
      txBytes: BigInt(b.length),
      durationSec: 2,
      durationNsec: 500_250_000,
    });
    expect(stats.get(2)).toMatchObject({ rxPackets: 1n, txPackets: 2n, txBytes: BigInt(2 * a.length) });
    expect(stats.get(3)).toMatchObject({
      rxPackets: 0n,
      txPackets: 3n,
      txBytes: BigInt(2 * a.length + b.length),
    });
    expect(c.error(mp('PORT_STATS', { portNo: 42 })).names).toEqual(['BAD_REQUEST', 'BAD_PORT']);
  });

  it('the LOCAL port: described, counted, a destination for output:LOCAL and for FLOOD', () => {
    const { dp, c } = rig();
    const local = attach(dp, OFPP.LOCAL);
    c.ok(fm('in_port=1,actions=local'));
    c.ok(fm('in_port=2,actions=flood'));
    dp.receiveFrame(1, udp());
    dp.receiveFrame(2, udp());
    expect(local).toHaveLength(2);
    expect(
      c
        .multipart(mp('PORT_DESC'), 'PORT_DESC')
        .flatMap((p) => p.ports)
        .map((p) => p.portNo),
    ).toContain(OFPP.LOCAL);
    expect(c.multipart(mp('PORT_STATS', { portNo: OFPP.LOCAL }), 'PORT_STATS')[0]?.stats[0]).toMatchObject({
      portNo: OFPP.LOCAL,
      txPackets: 2n,
    });
  });
});
