// UDP in to UDP out through the rump kernel: a real rump-kernel-server (child process) with
// vxlan0 -> switch0 -> vxlan1, fed VXLAN datagrams by a sender socket on loopback and drained
// by a receiver socket, with 10 and with 100,000 flows installed (FLOW_MOD bytes written to
// /dev/switch0 through rumpclient). The baseline, measured in the same run the same way, is
// a bare Node process relaying the same datagrams from one dgram socket to another
// (bench/udp-relay.mjs). Target: with 100,000 flows at least half the relay's rate.
//
// Each case keeps a window of WINDOW datagrams in flight (sent and not yet received), so the
// rate is what the path sustains without loss; a datagram that never arrives frees its slot
// after LOSS_MS and is counted as lost.

import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type BenchResult, formatReport } from '@rumpflow/bench';
import { type Message, MessageFramer, decode, encode, flowModFrom, parseFlow } from '@rumpflow/openflow';
import { O, RumpClient } from '@rumpflow/rumpclient';
import { type ServiceProcess, spawnRumpKernel } from '@rumpflow/test-tools';
import { tempDir } from '../test/server-process.js';
import { startBaseline } from './baseline-process.js';

const WINDOW = 64;
const LOSS_MS = 50;
const WARMUP_MS = 1000;
const BATCH_MS = 500;
const BATCHES = 7;
const VNI = 42;
/** Inner frames: Ethernet to one of these destinations (each has a flow), IPv4/UDP, 64 bytes of payload. */
const DESTINATIONS = 64;

/** The datagrams of a case: DESTINATIONS frames whose destinations spread over `flows` flows. */
function datagramsFor(flows: number): Buffer[] {
  return Array.from({ length: DESTINATIONS }, (_, j) =>
    vxlanDatagram(flows >= DESTINATIONS ? Math.floor((j * flows) / DESTINATIONS) : j % flows),
  );
}

const now = (): number => Number(process.hrtime.bigint());

function mac(i: number): string {
  return `02:00:${[(i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

/** A VXLAN datagram (RFC 7348 header, VNI) around an Ethernet frame to `dst`. */
function vxlanDatagram(dst: number): Buffer {
  const frame = Buffer.alloc(14 + 20 + 8 + 64);
  Buffer.from(
    mac(dst)
      .split(':')
      .map((h) => parseInt(h, 16)),
  ).copy(frame, 0);
  Buffer.from([0x02, 0xbb, 0, 0, 0, 1]).copy(frame, 6);
  frame.writeUInt16BE(0x0800, 12);
  frame[14] = 0x45;
  frame.writeUInt16BE(20 + 8 + 64, 16);
  frame[22] = 64;
  frame[23] = 17;
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(frame, 26);
  frame.writeUInt16BE(40000, 34);
  frame.writeUInt16BE(9, 36);
  frame.writeUInt16BE(8 + 64, 38);
  const header = Buffer.alloc(8);
  header[0] = 0x08;
  header.writeUIntBE(VNI, 4, 3);
  return Buffer.concat([header, frame]);
}

function bind(): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

/** Two sockets and a window: pushes datagrams at `to` and counts what `rx` receives. */
class Load {
  private inflight = 0;
  received = 0;
  lost = 0;
  private lastRx = now();
  private seq = 0;

  constructor(
    private readonly tx: dgram.Socket,
    private readonly rx: dgram.Socket,
    private readonly datagrams: readonly Buffer[],
  ) {}

  /** Received datagrams per second over `ms`. */
  async run(to: number, ms: number): Promise<number> {
    const onMessage = (): void => {
      this.received++;
      this.inflight--;
      this.lastRx = now();
      this.fill(to);
    };
    this.rx.on('message', onMessage);
    const start = this.received;
    const t0 = now();
    this.inflight = 0;
    this.lastRx = t0;
    this.fill(to);
    // a lost datagram holds its slot only until LOSS_MS of silence
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const t = now();
        if (t - t0 >= ms * 1e6) {
          clearInterval(tick);
          resolve();
        } else if (this.inflight > 0 && t - this.lastRx > LOSS_MS * 1e6) {
          this.lost += this.inflight;
          this.inflight = 0;
          this.lastRx = t;
          this.fill(to);
        }
      }, 5);
    });
    const rate = ((this.received - start) * 1e9) / (now() - t0);
    this.rx.off('message', onMessage);
    // let the stragglers of this batch arrive before the next one counts
    await new Promise((r) => setTimeout(r, 2 * LOSS_MS));
    return rate;
  }

  private fill(to: number): void {
    while (this.inflight < WINDOW) {
      this.inflight++;
      this.tx.send(this.datagrams[this.seq++ % this.datagrams.length] as Buffer, to, '127.0.0.1');
    }
  }
}

/** Median of BATCHES batches of each case, the cases taking turns. */
async function rates(cases: readonly { name: string; load: Load; to: number }[]): Promise<BenchResult[]> {
  for (const c of cases) await c.load.run(c.to, WARMUP_MS);
  const r: number[][] = cases.map(() => []);
  for (let b = 0; b < BATCHES; b++)
    for (const [i, c] of cases.entries()) r[i]?.push(await c.load.run(c.to, BATCH_MS));
  return cases.map((c, i) => {
    const s = (r[i] ?? []).sort((a, b) => a - b);
    const opsPerSec = s[Math.floor(s.length / 2)] as number;
    return { name: c.name, opsPerSec, nsPerOp: 1e9 / opsPerSec, batches: BATCHES };
  });
}

/** Write FLOW_MODs for `n` destinations to /dev/switch0 as bytes, then wait for a barrier. */
async function installFlows(client: RumpClient, n: number): Promise<number> {
  const fd = await client.open('/dev/switch0', O.RDWR);
  const framer = new MessageFramer();
  const inbox: Message[] = [];
  const next = async (want: string): Promise<Message> => {
    for (;;) {
      const i = inbox.findIndex((m) => m.type === want || m.type === 'ERROR');
      if (i >= 0) return inbox.splice(i, 1)[0] as Message;
      for (const m of framer.push(await client.read(fd, 65536))) inbox.push(decode(m));
    }
  };
  const write = async (b: Uint8Array): Promise<void> => {
    for (let off = 0; off < b.length;) off += await client.write(fd, b.subarray(off));
  };
  await next('HELLO');
  await write(
    encode({ type: 'HELLO', xid: 1, version: 4, elements: [{ type: 'VERSIONBITMAP', bitmaps: [1 << 4] }] }),
  );
  const t0 = now();
  let chunk: Uint8Array[] = [];
  let size = 0;
  for (let i = 0; i < n; i++) {
    const b = encode({
      ...flowModFrom(parseFlow(`priority=100,in_port=1,dl_dst=${mac(i)},actions=output:2`)),
      xid: i + 2,
    });
    chunk.push(b);
    size += b.length;
    if (size > 60_000) {
      await write(Buffer.concat(chunk));
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length) await write(Buffer.concat(chunk));
  await write(encode({ type: 'BARRIER_REQUEST', xid: 0x7fffffff }));
  const reply = await next('BARRIER_REPLY');
  if (reply.type === 'ERROR')
    throw new Error(`the switch refused a flow: ERROR ${reply.errType}/${reply.code}`);
  const ms = (now() - t0) / 1e6;
  await client.close(fd);
  return ms;
}

function startRelay(toPort: number): Promise<{ child: ChildProcess; port: number }> {
  return startBaseline('udp-relay.mjs', [String(toPort)], 'relay');
}

async function freePort(): Promise<number> {
  const s = await bind();
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function main(): Promise<void> {
  const tmp = tempDir('rks-vxlan-bench-');
  const servers: ServiceProcess[] = [];
  let relay: ChildProcess | undefined;
  process.once('exit', () => {
    for (const s of servers) if (s.running) s.child.kill('SIGKILL');
    if (relay && relay.exitCode === null) relay.kill('SIGKILL');
  });
  const sockets: dgram.Socket[] = [];
  try {
    const tx = await bind();
    const rx = await bind();
    sockets.push(tx, rx);

    // one kernel per flow count, so the two tables do not share a classifier
    const kernels: { flows: number; port: number; installMs: number }[] = [];
    for (const [i, flows] of [10, 100_000].entries()) {
      const in0 = await freePort();
      const rc = path.join(tmp.dir, `net${i}.rc`);
      writeFileSync(
        rc,
        [
          `ifconfig vxlan0 create tunnel 127.0.0.1:${in0} 127.0.0.1:${tx.address().port} vnetid ${VNI} up`,
          `ifconfig vxlan1 create tunnel 127.0.0.1:${await freePort()} 127.0.0.1:${rx.address().port} vnetid ${VNI} up`,
          'ifconfig switch0 create add vxlan0 portno 1 add vxlan1 portno 2 up',
          '',
        ].join('\n'),
      );
      const sock = path.join(tmp.dir, `rump${i}.sock`);
      // VXLAN_BENCH_PROFILE=DIR: each kernel writes a V8 CPU profile there when it stops
      const profile = process.env.VXLAN_BENCH_PROFILE;
      const server = await spawnRumpKernel(['--rc', rc, `unix://${sock}`], {
        nodeArgs: profile
          ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=kernel-${flows}.cpuprofile`]
          : [],
      }).ready();
      servers.push(server);
      const client = await RumpClient.connect(`unix://${sock}`, { program: 'bench', env: {} });
      const installMs = await installFlows(client, flows);
      await client.close();
      kernels.push({ flows, port: in0, installMs });
      console.error(`installed ${flows} flows in ${installMs.toFixed(0)} ms`);
    }
    const r = await startRelay(rx.address().port);
    relay = r.child;

    const loads = [
      {
        name: `baseline: bare Node UDP relay, window ${WINDOW}`,
        load: new Load(tx, rx, datagramsFor(DESTINATIONS)),
        to: r.port,
      },
      ...kernels.map((k) => ({
        name: `rump vxlan0 -> switch0 -> vxlan1, ${k.flows} flows`,
        load: new Load(tx, rx, datagramsFor(k.flows)),
        to: k.port,
      })),
    ];
    const [base, ...cases] = await rates(loads);
    if (!base) throw new Error('no baseline');
    const name100k = cases[1]?.name ?? '';
    console.log(
      formatReport(
        `UDP in to UDP out, ${datagramsFor(1)[0]?.length ?? 0}-byte VXLAN datagrams on loopback (datagrams per second, median of ${BATCHES} batches)`,
        cases,
        base,
        { [name100k]: base.opsPerSec * 0.5 },
      ),
    );
    for (const k of kernels)
      console.log(`installed ${k.flows} flows through /dev/switch0 in ${k.installMs.toFixed(0)} ms`);
    for (const l of loads) {
      console.log(
        `${l.name}: ${l.load.lost} datagrams presumed lost (slots freed after ${LOSS_MS} ms of silence)`,
      );
    }
  } finally {
    for (const s of sockets) s.close();
    relay?.kill('SIGTERM');
    for (const s of servers) await s.stop();
    tmp.remove();
  }
}

await main();
