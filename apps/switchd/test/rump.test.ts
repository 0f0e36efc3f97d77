// The rump: backend against a real rump kernel: rump-kernel-server boots with switch0 and a
// VXLAN port (--rc), switchd opens /dev/switch0 as a rump client of RUMP_SERVER and relays
// it to a controller; frames arrive as VXLAN over UDP. Then the kernel goes away and comes
// back: the controller sees its connection closed and a fresh switch after reconnecting.

import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Message, flowModFrom, flowStatsRequest, parseFlow } from '@rumpflow/openflow';
import type { OfConnection } from '@rumpflow/openflow-connection';
import { killAllServices, type ServiceProcess, which } from '@rumpflow/test-tools';
import { TestController, eventually, frame } from '@rumpflow/switchd-core/testing';
import { freePort, ofctl, startKernel, startSwitchd, startSwitchdHijacked, writeConf } from './helpers.js';

/** A free UDP port on 127.0.0.1. */
async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(r));
  return port;
}

/**
 * 12,000 DESC requests at once (192 KB, several device writes): their replies (13 MB) fill the
 * device's output queue long before the last request is written, so the later writes must
 * wait for room while switchd keeps reading. Every reply arrives, in order, and the channel
 * still works.
 */
async function burstOfRequests(c: OfConnection): Promise<void> {
  const N = 12_000;
  const xids: number[] = [];
  const onMessage = (m: Message) => {
    if (m.type === 'MULTIPART_REPLY' && m.mpType === 'DESC') xids.push(m.xid);
  };
  c.on('message', onMessage);
  try {
    for (let i = 0; i < N; i++)
      c.send({ type: 'MULTIPART_REQUEST', mpType: 'DESC', flags: 0, xid: 0x10000 + i });
    await vi.waitFor(() => expect(xids.length).toBe(N), { timeout: 60_000, interval: 50 });
    expect(xids.every((x, i) => x === 0x10000 + i)).toBe(true);
    await c.barrier();
  } finally {
    c.off('message', onMessage);
  }
}

describe('switchd with rump:/dev/switch0 in rump-kernel-server', () => {
  let dir: string;
  let kernel: ServiceProcess;
  let sd: ServiceProcess;
  let ctl: TestController;
  let rumpSock: string;
  let rc: string;
  let kernelPort: number;
  let ptcp: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchd-rump-'));
    rumpSock = join(dir, 'rump.sock');
    kernelPort = await freeUdpPort();
    const peerPort = await freeUdpPort();
    rc = join(dir, 'rc');
    writeFileSync(
      rc,
      [
        'ifconfig switch0 create',
        `ifconfig vxlan0 create tunnel 127.0.0.1:${kernelPort} 127.0.0.1:${peerPort} vnetid 42 up`,
        'ifconfig switch0 add vxlan0 portno 1',
        'ifconfig switch0 datapath 0x99',
        'ifconfig switch0 up',
        '',
      ].join('\n'),
    );
    kernel = startKernel(rumpSock, rc);
    ctl = await TestController.start();
    ptcp = await freePort();
    const conf = writeConf(join(dir, 'switchd.conf'), [
      `device "rump:/dev/switch0" forward to tcp:127.0.0.1:${ctl.port} forward to ptcp:${ptcp}`,
    ]);
    await kernel.ready();
    sd = startSwitchd(['-f', conf, '-s', join(dir, 'switchd.sock')], { RUMP_SERVER: `unix://${rumpSock}` });
    await sd.ready();
  }, 90_000);
  afterAll(async () => {
    await sd?.stop();
    await kernel?.stop();
    await ctl?.close();
    await killAllServices();
    rmSync(dir, { recursive: true, force: true });
  });

  it('relays the kernel switch: FEATURES, flows, PACKET_IN of a frame that came in over VXLAN', async () => {
    const c = await ctl.connection(0, 20_000);
    expect((await c.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0x99n);
    await c.sendChecked(flowModFrom(parseFlow('priority=0,actions=controller')));
    // VXLAN: flags (I), 24-bit VNI 42, then the frame
    const vxlan = Buffer.concat([
      Buffer.from([0x08, 0, 0, 0, 0, 0, 42, 0]),
      Buffer.from(frame('02:00:00:00:00:02', '02:00:00:00:00:01')),
    ]);
    const udp = dgram.createSocket('udp4');
    try {
      await eventually(async () => {
        await new Promise<void>((r) => udp.send(vxlan, kernelPort, '127.0.0.1', () => r()));
        const pi = ctl.messages.get(c)?.find((m) => m.type === 'PACKET_IN');
        expect(pi).toBeDefined();
      }, 15_000);
    } finally {
      udp.close();
    }
    if (which('ovs-ofctl')) {
      expect(await ofctl('dump-flows', `tcp:127.0.0.1:${ptcp}`)).toMatch(/priority=0 actions=CONTROLLER/);
    }
    // blocking fd, several writes in flight: a burst that fills the output queue keeps order
    await burstOfRequests(c);
  });

  it('closes the controller when the kernel goes away and relays a fresh switch once it is back', async () => {
    const c = await ctl.connection(0);
    const closed = new Promise((r) => c.once('close', r));
    await kernel.stop();
    await closed;
    kernel = startKernel(rumpSock, rc);
    await kernel.ready();
    const again = await eventually(async () => {
      const n = ctl.conns.length - 1;
      const c2 = await ctl.connection(n, 1000);
      expect(c2).not.toBe(c);
      return c2;
    }, 30_000);
    expect((await again.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0x99n);
  });

  it('relays with --rump-readiness kevent too (non-blocking reads after kevent EVFILT_READ)', async () => {
    const ctl2 = await TestController.start();
    const conf = writeConf(join(dir, 'kevent.conf'), [
      `device "rump:/dev/switch0" forward to tcp:127.0.0.1:${ctl2.port}`,
    ]);
    const sd2 = startSwitchd(['-f', conf, '-s', join(dir, 'kevent.sock'), '--rump-readiness', 'kevent'], {
      RUMP_SERVER: `unix://${rumpSock}`,
    });
    try {
      await sd2.ready();
      const c = await ctl2.connection(0, 20_000);
      expect((await c.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0x99n);
      for (let i = 0; i < 20; i++)
        await c.sendChecked(flowModFrom(parseFlow(`priority=${i + 1},in_port=1,actions=drop`)));
      const flows = await c.request(flowStatsRequest());
      expect(flows.stats.filter((f) => f.priority >= 1 && f.priority <= 20)).toHaveLength(20);
      // non-blocking fd: the write(2) after the queue filled is EAGAIN; switchd waits in
      // EVFILT_WRITE instead of failing
      await burstOfRequests(c);
    } finally {
      await sd2.stop();
      await ctl2.close();
    }
  });

  it('relays a plain path under the rumphijack loader (device "/rump/dev/switch0")', async () => {
    const ctl3 = await TestController.start();
    const conf = writeConf(join(dir, 'hijack.conf'), [
      `device "/rump/dev/switch0" forward to tcp:127.0.0.1:${ctl3.port}`,
    ]);
    const sd3 = startSwitchdHijacked(['-f', conf, '-s', join(dir, 'hijack.sock')], {
      RUMP_SERVER: `unix://${rumpSock}`,
      RUMPHIJACK: 'path=/rump',
    });
    try {
      await sd3.ready();
      const c = await ctl3.connection(0, 20_000);
      expect((await c.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0x99n);
      await c.sendChecked(flowModFrom(parseFlow('priority=77,in_port=1,actions=drop')));
      const flows = await c.request(flowStatsRequest());
      expect(flows.stats.some((f) => f.priority === 77)).toBe(true);
      // plain fs writes of the hijacked fd, one at a time, through the same burst
      await burstOfRequests(c);
    } finally {
      await sd3.stop();
      await ctl3.close();
    }
  });
});
