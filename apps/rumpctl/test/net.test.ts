// rumpctl ifconfig and tcpdump against a real rump-kernel-server process: interfaces made and
// listed through the ioctls, refusals as errnos, usage errors before any connection; a capture
// of VXLAN traffic sent from a real UDP socket, read back by tshark.

import dgram from 'node:dgram';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { type ServiceProcess, killAllServices, requireTshark, runTshark } from '@rumpflow/test-tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';
import { startKernel } from './kernel.js';

const HOOK_MS = 60_000;

let dir = '';
let server: ServiceProcess;
let url = '';

beforeAll(async () => {
  ({ dir, server, url } = await startKernel('rumpctl-net-'));
}, HOOK_MS);

afterAll(async () => {
  await server?.stop();
  await killAllServices();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
  bytes: Buffer;
}

async function rumpctl(args: string[], signal?: AbortSignal): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const bytes: Uint8Array[] = [];
  const code = await main(
    args,
    { RUMP_SERVER: url },
    {
      out: (t) => void out.push(t),
      err: (t) => void err.push(t),
      bytes: (b) => void bytes.push(Buffer.from(b)),
    },
    signal,
  );
  return { code, out: out.join(''), err: err.join(''), bytes: Buffer.concat(bytes) };
}

async function ok(args: string): Promise<string> {
  const r = await rumpctl(args.split(' '));
  if (r.code !== 0) throw new Error(`rumpctl ${args}: exit ${r.code}: ${r.err}`);
  return r.out;
}

function bind(): Promise<dgram.Socket> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

async function freePort(): Promise<number> {
  const s = await bind();
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

/** A VXLAN datagram (VNI 42) carrying a 60-byte Ethernet frame with ethertype 0x88b5 and a marker. */
function datagram(marker: number): Buffer {
  const b = Buffer.alloc(8 + 60);
  b[0] = 0x08;
  b.writeUIntBE(42, 4, 3);
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x11]).copy(b, 8);
  b.writeUInt16BE(0x88b5, 20);
  b[22] = marker;
  return b;
}

describe('rumpctl ifconfig', () => {
  it('creates, configures and lists interfaces (the ARCHITECTURE.md lines)', async () => {
    expect(await ok('ifconfig switch0 create')).toBe('');
    await ok('ifconfig vxlan0 create tunnel 127.0.0.1:4801 127.0.0.1:4901 vnetid 42 up');
    await ok('ifconfig switch0 add vxlan0 portno 1');
    await ok('ifconfig vxlan1 create');
    await ok('ifconfig switch0 add vxlan1');
    await ok('ifconfig switch0 portno vxlan1 9');
    await ok('ifconfig switch0 datapath 0x1');
    await ok('ifconfig switch0 up');
    const all = await ok('ifconfig -a');
    expect(all).toMatch(/^switch0: flags=[0-9a-f]+<UP,[A-Z,]*> mtu \d+$/m);
    expect(all).toMatch(/^\tdatapath 0x0000000000000001$/m);
    expect(all).toMatch(/^\tvxlan0 port 1$/m);
    expect(all).toMatch(/^\tvxlan1 port 9$/m);
    expect(all).toMatch(
      /^vxlan0: flags=[0-9a-f]+<UP,[A-Z,]*> mtu 1500\n\tlladdr ([0-9a-f]{2}:){5}[0-9a-f]{2}\n/m,
    );
    expect(all).toMatch(/^\ttunnel: inet 127\.0\.0\.1:4801 --> 127\.0\.0\.1:4901$/m);
    expect(all).toMatch(/^\tencap: vnetid 42$/m);
    expect(all).toMatch(/^\tinput: 0 packets, 0 bytes, 0 errors, 0 drops$/m);
    expect(await ok('ifconfig vxlan1')).toMatch(/^vxlan1: flags=[0-9a-f]+<(?!UP)[A-Z,]*> mtu 1500$/m);
    await ok('ifconfig switch0 del vxlan1');
    await ok('ifconfig vxlan1 destroy');
    expect(await ok('ifconfig -a')).not.toMatch(/vxlan1/);
    await ok('ifconfig switch0 destroy');
    await ok('ifconfig vxlan0 destroy');
  });

  it('reports refusals with errno (exit 1) and bad words before connecting (exit 2)', async () => {
    const nx = await rumpctl(['ifconfig', 'vxlan7', 'up']);
    expect(nx.code).toBe(1);
    expect(nx.err).toBe('rumpctl: ifconfig: vxlan7: up: ENXIO\n');
    const bad = await rumpctl(['ifconfig', 'vxlan0', 'vnetid', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('rumpctl: ifconfig: vnetid: "lots" is not a number from 0 to 16777215\n');
    // usage is checked before the kernel is reached: no kernel needed
    const out: string[] = [];
    const code = await main(
      ['ifconfig', 'switch0', 'datapath', '0xzz'],
      {},
      { out: (t) => void out.push(t), err: (t) => void out.push(t) },
    );
    expect(code).toBe(2);
    expect(out.join('')).toMatch(/datapath: "0xzz" is not a number/);
    const help = await rumpctl(['ifconfig', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/ifconfig \[-a \| -C \| IF/);
  });
});

describe('rumpctl tcpdump', () => {
  const tsharkVersion = requireTshark('rumpctl tcpdump', [
    'captures are checked for record counts only, not dissected by tshark.',
  ]);

  it('captures a vxlan interface as pcap, to a file and to standard output', async () => {
    const remote = await bind();
    const local = await freePort();
    await ok(
      `ifconfig vxlan2 create tunnel 127.0.0.1:${local} 127.0.0.1:${remote.address().port} vnetid 42 up`,
    );
    try {
      // rumpctl's capture is open once the kernel counts a bpf reader; send until it has three
      const file = path.join(dir, 'vxlan2.pcap');
      const ac = new AbortController();
      const toFile = rumpctl(['tcpdump', '-i', 'vxlan2', '-w', file, '-c', '3'], ac.signal);
      const toStdout = rumpctl(['tcpdump', '-i', 'vxlan2', '-w', '-', '-c', '2'], ac.signal);
      let marker = 0;
      const sending = setInterval(() => remote.send(datagram(++marker & 0xff), local, '127.0.0.1'), 50);
      const [a, b] = await Promise.all([toFile, toStdout]).finally(() => clearInterval(sending));
      expect(a.code, a.err).toBe(0);
      expect(a.err).toMatch(/^3 packets captured$/m);
      expect(b.code, b.err).toBe(0);
      const pcap = readFileSync(file);
      expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);
      expect(pcap.readUInt32LE(20)).toBe(1); // DLT_EN10MB
      // header + 3 records of 60-byte frames
      expect(pcap.length).toBe(24 + 3 * (16 + 60));
      expect(b.bytes.length).toBe(24 + 2 * (16 + 60));
      if (tsharkVersion !== undefined) {
        const fields = await runTshark(pcap, ['-T', 'fields', '-e', 'eth.dst', '-e', 'eth.type']);
        expect(fields.trim().split('\n')).toEqual(Array(3).fill('ff:ff:ff:ff:ff:ff\t0x88b5'));
      }
    } finally {
      remote.close();
      await ok('ifconfig vxlan2 destroy');
    }
  });

  it('says which interface is missing, and what its own arguments lack', async () => {
    const r = await rumpctl(['tcpdump', '-i', 'nosuch0', '-w', path.join(dir, 'x.pcap')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tcpdump: ioctl: ENXIO/);
    const u = await rumpctl(['tcpdump', '-w', 'x.pcap']);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/-i IF is required/);
    const c = await rumpctl(['tcpdump', '-i', 'vxlan0', '-w', 'x.pcap', '-c', 'many']);
    expect(c.err).toMatch(/-c: "many" is not a packet count/);
    await vi.waitFor(() => expect(server.running).toBe(true));
  });
});
