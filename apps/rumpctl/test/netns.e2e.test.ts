// Two Linux hosts ping each other through switch(4) in a real rump-kernel-server process:
// each host is a network namespace whose eth0 is a kernel VXLAN interface tunnelled over
// loopback to one of the kernel's vxlanN ports; the switch is configured with `rumpctl
// ifconfig`; two flows (in_port 1 -> 2 and back) are written as FLOW_MOD bytes to
// /dev/switch0 through rumpclient; after the ping the flow and port counters are read over
// OpenFlow (multipart requests on /dev/switch0) and checked against the hosts' own counters
// of what they sent and received. Skips loudly only where namespaces cannot be made.

import dgram from 'node:dgram';
import { rmSync } from 'node:fs';
import {
  type FlowStats,
  type PortStats,
  OFPP,
  encode,
  flowModFrom,
  flowStatsRequest,
  parseFlow,
} from '@rumpflow/openflow';
import { RumpClient } from '@rumpflow/rumpclient';
import {
  type ServiceProcess,
  VxlanHost,
  killAllServices,
  removeAllHosts,
  requireNetns,
} from '@rumpflow/test-tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';
import { startKernel } from './kernel.js';
import { SwitchChannel } from './switch-channel.js';

const why = await requireNetns('rumpctl netns e2e', [
  'two Linux hosts pinging through switch(4) in the rump kernel (VXLAN ports, FLOW_MODs written',
  'to /dev/switch0, flow and port counters read over OpenFlow) are NOT checked.',
]);

/** A loopback UDP port free right now. */
async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function rumpctl(url: string, args: string[]): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    args,
    { RUMP_SERVER: url },
    { out: (t) => void out.push(t), err: (t) => void err.push(t) },
  );
  if (code !== 0) throw new Error(`rumpctl ${args.join(' ')}: exit ${code}: ${err.join('')}`);
  return out.join('');
}

describe.skipIf(why !== undefined)('two namespace hosts through switch0', () => {
  let dir = '';
  let server: ServiceProcess;
  let url = '';
  let h1: VxlanHost;
  let h2: VxlanHost;
  let client: RumpClient;
  let ch: SwitchChannel;

  beforeAll(async () => {
    ({ dir, server, url } = await startKernel('rumpctl-netns-'));
    const [s1, s2, p1, p2] = [await freePort(), await freePort(), await freePort(), await freePort()];
    await rumpctl(
      url,
      `ifconfig vxlan0 create tunnel 127.0.0.1:${s1} 127.0.0.1:${p1} vnetid 42 up`.split(' '),
    );
    await rumpctl(
      url,
      `ifconfig vxlan1 create tunnel 127.0.0.1:${s2} 127.0.0.1:${p2} vnetid 42 up`.split(' '),
    );
    await rumpctl(url, 'ifconfig switch0 create'.split(' '));
    await rumpctl(url, 'ifconfig switch0 add vxlan0 portno 1 add vxlan1 portno 2 up'.split(' '));
    h1 = await VxlanHost.create({ name: 'h1', cidr: '10.77.0.1/24', switchPort: s1, hostPort: p1, vni: 42 });
    h2 = await VxlanHost.create({ name: 'h2', cidr: '10.77.0.2/24', switchPort: s2, hostPort: p2, vni: 42 });
    client = await RumpClient.connect(url, { program: 'netns-test', env: {} });
    ch = await SwitchChannel.open(client);
  }, 120_000);

  afterAll(async () => {
    await removeAllHosts();
    await client?.close();
    await server?.stop();
    await killAllServices();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('forwards ping by two flows, and the counters agree with what the hosts sent', async () => {
    // the flows, as bytes on the device
    for (const f of ['in_port=1,actions=output:2', 'in_port=2,actions=output:1']) {
      await ch.writeBytes(encodeFlowMod(f));
    }
    await ch.barrier();

    const out = await h1.ping(h2.address, 5);
    expect(out).toMatch(/5 packets transmitted, 5 received, 0% packet loss/);

    // the hosts may still speak (ARP confirms a neighbour some seconds later): compare snapshots
    // taken together until they agree
    await vi.waitFor(
      async () => {
        const sent1 = await h1.counters();
        const sent2 = await h2.counters();
        // ARP both ways and five echo requests and replies, at least; IPv6 is off in the hosts
        expect(sent1.txPackets).toBeGreaterThanOrEqual(6);
        expect(sent2.txPackets).toBeGreaterThanOrEqual(6);
        expect(sent2.rxPackets).toBe(sent1.txPackets);
        expect(sent1.rxPackets).toBe(sent2.txPackets);
        // Linux's vxlan counts bytes from the IP header on (the Ethernet header is pulled before
        // rx and excluded from tunnel tx stats); the switch counts whole Ethernet frames
        const frameBytes1 = BigInt(sent1.txBytes + 14 * sent1.txPackets);
        const frameBytes2 = BigInt(sent2.txBytes + 14 * sent2.txPackets);
        const flows = await flowStats(ch);
        const f1 = flows.find((f) => f.match.some((m) => m.field === 'IN_PORT' && m.value === 1));
        const f2 = flows.find((f) => f.match.some((m) => m.field === 'IN_PORT' && m.value === 2));
        expect(f1?.packetCount).toBe(BigInt(sent1.txPackets));
        expect(f1?.byteCount).toBe(frameBytes1);
        expect(f2?.packetCount).toBe(BigInt(sent2.txPackets));
        expect(f2?.byteCount).toBe(frameBytes2);

        const ports = await portStats(ch);
        const p1 = ports.find((p) => p.portNo === 1);
        const p2 = ports.find((p) => p.portNo === 2);
        expect(p1?.rxPackets).toBe(BigInt(sent1.txPackets));
        expect(p1?.txPackets).toBe(BigInt(sent2.txPackets));
        expect(p2?.rxPackets).toBe(BigInt(sent2.txPackets));
        expect(p2?.txPackets).toBe(BigInt(sent1.txPackets));
        expect(p1?.rxBytes).toBe(frameBytes1);
        expect(p2?.rxBytes).toBe(frameBytes2);
        // and ifconfig -a shows the same through the interface counters
        const listing = await rumpctl(url, ['ifconfig', '-a']);
        expect(listing).toMatch(
          new RegExp(
            `^vxlan0: .*\\n(?:\\t.*\\n)*?\\tinput: ${sent1.txPackets} packets, ${frameBytes1} bytes`,
            'm',
          ),
        );
        expect(listing).toMatch(/^switch0: flags=\w+<UP,[^>]*> mtu \d+$/m);
        expect(listing).toMatch(/^\tvxlan0 port 1$/m);
        expect(listing).toMatch(/^\tvxlan1 port 2$/m);
      },
      { timeout: 20_000, interval: 100 },
    );
  }, 60_000);
});

function encodeFlowMod(text: string): Uint8Array {
  return encode({ ...flowModFrom(parseFlow(text)), xid: 0x77 });
}

async function flowStats(ch: SwitchChannel): Promise<FlowStats[]> {
  const r = await ch.request(flowStatsRequest());
  if (r.type !== 'MULTIPART_REPLY' || r.mpType !== 'FLOW')
    throw new Error(`flow stats answered with ${r.type}`);
  return r.stats;
}

async function portStats(ch: SwitchChannel): Promise<PortStats[]> {
  const r = await ch.request({
    type: 'MULTIPART_REQUEST',
    flags: 0,
    mpType: 'PORT_STATS',
    portNo: OFPP.ANY,
  } as Parameters<SwitchChannel['request']>[0]);
  if (r.type !== 'MULTIPART_REPLY' || r.mpType !== 'PORT_STATS')
    throw new Error(`port stats answered with ${r.type}`);
  return r.stats;
}
