// Two VXLAN hosts in namespaces ping each other through a userspace UDP relay on loopback (a
// wire between two switch ports): proof that the nolocalbypass recipe reaches userspace and
// that counters and cleanup are real.
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VxlanHost, removeAllHosts, requireNetns } from './netns.js';

const why = await requireNetns('test-tools netns', [
  'two namespace hosts pinging through a userspace VXLAN relay are not checked.',
]);

function bind(): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

/** A UDP port on loopback free right now (for a kernel VXLAN device to bind). */
async function freePort(): Promise<number> {
  const s = await bind();
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

describe.skipIf(why !== undefined)('VxlanHost', () => {
  let a: dgram.Socket;
  let b: dgram.Socket;
  let h1: VxlanHost;
  let h2: VxlanHost;
  let relayed = 0;
  const vnis = new Set<number>();

  beforeAll(async () => {
    a = await bind();
    b = await bind();
    const p1 = await freePort();
    const p2 = await freePort();
    // a wire: what h1 sends to port a goes to h2's port, what h2 sends to port b to h1's
    a.on('message', (m) => {
      relayed++;
      vnis.add(m.readUIntBE(4, 3));
      b.send(m, p2, '127.0.0.1');
    });
    b.on('message', (m) => {
      relayed++;
      a.send(m, p1, '127.0.0.1');
    });
    h1 = await VxlanHost.create({
      name: 'tta',
      cidr: '10.231.0.1/24',
      switchPort: a.address().port,
      hostPort: p1,
      vni: 77,
    });
    h2 = await VxlanHost.create({
      name: 'ttb',
      cidr: '10.231.0.2/24',
      switchPort: b.address().port,
      hostPort: p2,
      vni: 77,
    });
  }, 120_000);

  afterAll(async () => {
    await removeAllHosts();
    a?.close();
    b?.close();
  });

  it('pings across the relay, and the counters say what went', async () => {
    const out = await h1.ping(h2.address, 3);
    expect(out).toMatch(/3 packets transmitted, 3 received/);
    expect(vnis).toEqual(new Set([77]));
    const c1 = await h1.counters();
    const c2 = await h2.counters();
    // IPv6 is off: every frame is ARP or ICMP, and each one crossed the relay
    expect(c1.txPackets).toBeGreaterThanOrEqual(4);
    expect(c1.txPackets).toBe(c2.rxPackets);
    expect(c2.txPackets).toBe(c1.rxPackets);
    expect(c1.txBytes).toBe(c2.rxBytes);
    expect(relayed).toBe(c1.txPackets + c2.txPackets);
  }, 60_000);

  it('removes its namespaces', async () => {
    const names = [h1.netns, h2.netns];
    await removeAllHosts();
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    for (const n of names) expect(list).not.toContain(n);
  });
});
