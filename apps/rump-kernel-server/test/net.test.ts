// The kernel's networking in the real server process: interfaces made at boot by --rc, a
// client (rumpclient) driving /dev/switch0 with OpenFlow bytes and kevent, a UDP peer as a
// VXLAN host pinging the vether behind the LOCAL port, and the admin API's view of it all
// (/v1/interfaces, /v1/switches/:name, /metrics, the /v1/capture stream read by tshark).
import { type Socket, createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { MessageFramer, type Message, decode, encode, flowModFrom, parseFlow } from '@rumpflow/openflow';
import { FlowKey, buildArp, buildIcmpEcho, macToString, parseFrame } from '@rumpflow/packet';
import { vxlanDecap, vxlanEncap } from '@rumpflow/rump-net';
import { EV, EVFILT, O, RumpClient } from '@rumpflow/rumpclient';
import { requireTshark, runTshark } from '@rumpflow/test-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type ServerProcess,
  type TempDir,
  killAll,
  spawnServer,
  startServer,
  tempDir,
} from './server-process.js';

const HOOK_MS = 60_000;

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('networking in rump-kernel-server', () => {
  let tmp: TempDir;
  let srv: ServerProcess;
  let host: Socket;
  let hostPort: number;
  let vxlanPort: number;
  const got: Uint8Array[] = [];

  beforeAll(async () => {
    tmp = tempDir('rks-net-');
    host = createSocket('udp4');
    host.on('message', (m) => got.push(new Uint8Array(m)));
    await new Promise<void>((r) => host.bind(0, '127.0.0.1', () => r()));
    hostPort = host.address().port;
    vxlanPort = await freeUdpPort();
    const rc = path.join(tmp.dir, 'rc');
    writeFileSync(
      rc,
      [
        '# a switch with one VXLAN host port and a pingable LOCAL port',
        `ifconfig vxlan0 create tunnel 127.0.0.1:${vxlanPort} 127.0.0.1:${hostPort} vnetid 42 up`,
        'ifconfig vether0 create inet 10.0.0.254/24 up',
        '',
        'ifconfig switch0 create add vxlan0 portno 1 addlocal vether0 datapath 0x2a up',
      ].join('\n'),
    );
    srv = await startServer([
      '--admin',
      '127.0.0.1:0',
      '--rc',
      rc,
      `unix://${path.join(tmp.dir, 'rump.sock')}`,
    ]);
  }, HOOK_MS);

  afterAll(async () => {
    await srv?.stop();
    await new Promise<void>((r) => host.close(() => r()));
    await killAll();
    tmp?.remove();
  }, HOOK_MS);

  const nextDatagram = async (): Promise<Uint8Array> => {
    const deadline = Date.now() + 10_000;
    while (got.length === 0) {
      if (Date.now() > deadline) throw new Error('no datagram from the switch within 10 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    return got.shift() as Uint8Array;
  };

  it('a controller on /dev/switch0 through rumpclient; a VXLAN host pings the vether; the admin API shows it', async () => {
    const c = await RumpClient.connect(srv.url('unix'), { program: 'controller', env: {} });
    try {
      const fd = await c.open('/dev/switch0', O.RDWR | O.NONBLOCK);
      const kq = await c.kqueue();
      const framer = new MessageFramer();
      /** Wait with kevent until the device has bytes, read them, decode the messages. */
      const receive = async (): Promise<Message[]> => {
        const [ev] = await c.kevent(
          kq,
          [{ ident: fd, filter: EVFILT.READ, flags: EV.ADD, fflags: 0, data: 0, udata: 0 }],
          1,
          10_000_000_000n,
        );
        expect(ev?.data).toBeGreaterThan(0);
        return framer.push(await c.read(fd, 65536)).map((b) => decode(b));
      };
      expect((await receive()).map((m) => m.type)).toEqual(['HELLO']);
      await c.write(fd, encode({ type: 'HELLO', version: 4, xid: 1, elements: [] }));
      await c.write(fd, encode({ type: 'FEATURES_REQUEST', xid: 2 }));
      expect(await receive()).toMatchObject([{ type: 'FEATURES_REPLY', xid: 2, datapathId: 0x2an }]);
      const fm = (s: string, xid: number) => encode({ ...flowModFrom(parseFlow(s)), xid } as Message);
      await c.write(
        fd,
        Buffer.concat([
          fm('priority=10,in_port=1,tun_id=42,actions=LOCAL', 3),
          fm('priority=10,in_port=LOCAL,actions=output:1', 4),
          encode({ type: 'BARRIER_REQUEST', xid: 5 }),
        ]),
      );
      expect((await receive()).map((m) => m.type)).toEqual(['BARRIER_REPLY']);

      // the capture stream of vxlan0 from the admin API
      const ws = new WebSocket(`${srv.adminUrl.replace(/^http/, 'ws')}/v1/capture?interface=vxlan0`);
      const captured: Buffer[] = [];
      ws.on('message', (d: Buffer) => captured.push(d));
      await new Promise<void>((r, j) => {
        ws.once('open', () => r());
        ws.once('error', j);
      });

      const H1 = '02:00:00:00:00:01';
      const send = (f: Uint8Array) =>
        new Promise<void>((r) => host.send(vxlanEncap(f, 42), vxlanPort, '127.0.0.1', () => r()));
      await send(buildArp({ op: 'request', srcMac: H1, sha: H1, spa: '10.0.0.1', tpa: '10.0.0.254' }));
      const arp = parseFrame(
        (vxlanDecap(await nextDatagram()) as { frame: Uint8Array }).frame,
        new FlowKey(),
      );
      expect(arp.arpOp).toBe(2);
      const vetherMac = macToString(arp.arpSha);
      for (let seq = 1; seq <= 3; seq++) {
        await send(
          buildIcmpEcho({
            type: 'request',
            srcMac: H1,
            dstMac: vetherMac,
            src: '10.0.0.1',
            dst: '10.0.0.254',
            id: 9,
            seq,
          }),
        );
        const d = vxlanDecap(await nextDatagram());
        expect(d?.vni).toBe(42);
        const k = parseFrame(d?.frame as Uint8Array, new FlowKey());
        expect([k.icmpType, k.ipv4Dst >>> 24]).toEqual([0, 10]);
      }

      const sw = (await (await fetch(`${srv.adminUrl}/v1/switches/switch0`)).json()) as {
        datapathId: string;
        flows: number;
        channels: number;
        ports: { portNo: number; name: string; rxPackets: number; txPackets: number; local: boolean }[];
      };
      expect(sw).toMatchObject({ datapathId: '0x000000000000002a', flows: 2, channels: 1 });
      expect(sw.ports.find((p) => p.portNo === 1)).toMatchObject({
        name: 'vxlan0',
        rxPackets: 4,
        txPackets: 4,
      });
      expect(sw.ports.find((p) => p.local)).toMatchObject({ name: 'vether0', rxPackets: 4, txPackets: 4 });
      const ifs = (await (await fetch(`${srv.adminUrl}/v1/interfaces`)).json()) as {
        interfaces: { name: string; counters: { ipackets: number } }[];
      };
      expect(ifs.interfaces.map((i) => i.name)).toEqual(['switch0', 'vether0', 'vxlan0']);
      expect(ifs.interfaces.find((i) => i.name === 'vxlan0')?.counters.ipackets).toBe(4);
      const metrics = await (await fetch(`${srv.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/^rumpkernel_interface_ipackets\{interface="vxlan0"\} 4$/m);
      expect(metrics).toMatch(/^rumpkernel_switch_flows\{switch="switch0"\} 2$/m);
      expect((await fetch(`${srv.adminUrl}/v1/switches/switch7`)).status).toBe(404);

      ws.close();
      const pcap = Buffer.concat(captured);
      expect(pcap.readUInt32LE(20)).toBe(1);
      if (
        requireTshark('rump-kernel-server capture stream', [
          'the /v1/capture pcap is not dissected by tshark',
        ])
      ) {
        const info = (await runTshark(pcap, ['-T', 'fields', '-e', '_ws.col.Info'])).trim().split('\n');
        expect(info).toHaveLength(8);
        expect(info.filter((l) => /Echo \(ping\) reply/.test(l))).toHaveLength(3);
      }
    } finally {
      await c.close();
    }
  });

  it(
    'the first failing --rc line stops boot, with its line number',
    async () => {
      const rc = path.join(tmp.dir, 'bad.rc');
      writeFileSync(
        rc,
        ['ifconfig vether1 create', '# comment', 'ifconfig switch1 create add vether9'].join('\n'),
      );
      const bad = spawnServer(['--rc', rc, `unix://${path.join(tmp.dir, 'bad.sock')}`]);
      const exit = await bad.exited;
      expect(exit.code).toBe(1);
      expect(bad.stderr).toMatch(/bad\.rc:3: ifconfig switch1 create add vether9/);
    },
    HOOK_MS,
  );
});
