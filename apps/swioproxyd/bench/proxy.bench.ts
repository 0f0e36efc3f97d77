// swioproxyd against the direct path, in the same run, with a real rump-kernel-server holding
// switch0:
//   - direct: this process is a rump client and opens /dev/switch0 itself (rumpclient: one
//     blocking read in flight, writes in order) — the baseline;
//   - through swioproxyd (a child process) on its Unix socket, once per readiness mode
//     (--io kevent, --io blocking).
// Cases: ECHO round-trip latency, one request at a time (p50, p99), and FLOW_MOD throughput:
// 10,000 FLOW_MODs written at once and closed by a BARRIER, timed until the BARRIER reply.
// Targets (issue 11): latency at most 2x direct, throughput at least 70% of direct.

import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, formatReport } from '@rumpflow/bench';
import { type Message, MessageFramer, OFPFC, encode, flowModFrom, parseFlow } from '@rumpflow/openflow';
import { O, RumpClient } from '@rumpflow/rumpclient';
import { killAllServices, spawnRumpKernel, spawnService } from '@rumpflow/test-tools';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(HERE, '../src/main.ts');
const FLOWS = 10_000;
const LATENCY_ROUNDS = 10;
const LATENCY_MS_PER_ROUND = 300;
const THROUGHPUT_ROUNDS = 5;

/** An OpenFlow byte stream: the device through rumpclient, or a proxy's socket. */
interface Stream {
  readonly name: string;
  send(bytes: Uint8Array): void;
  close(): Promise<void>;
}

/** Message reception shared by both kinds of stream: a framer and a waiter for one type/xid. */
class Receiver {
  private readonly framer = new MessageFramer();
  private want: { type: string; xid: number; resolve: () => void } | undefined;
  push(bytes: Uint8Array): void {
    for (const m of this.framer.push(bytes)) {
      const w = this.want;
      if (w === undefined) continue;
      // decode only the header fields looked at: type byte and xid
      const type = m[1] as number;
      const xid = ((m[4]! << 24) | (m[5]! << 16) | (m[6]! << 8) | m[7]!) >>> 0;
      if (xid === w.xid && TYPE_NUMBERS[w.type] === type) {
        this.want = undefined;
        w.resolve();
      }
    }
  }
  wait(type: string, xid: number): Promise<void> {
    return new Promise((resolve) => (this.want = { type, xid, resolve }));
  }
}

const TYPE_NUMBERS: Record<string, number> = { HELLO: 0, ECHO_REPLY: 3, BARRIER_REPLY: 21 };

async function direct(url: string, rx: Receiver): Promise<Stream> {
  const rump = await RumpClient.connect(url, { program: 'bench-direct' });
  const fd = await rump.open('/dev/switch0', O.RDWR);
  let closed = false;
  void (async () => {
    while (!closed) {
      const b = await rump.read(fd, 65536).catch(() => new Uint8Array(0));
      if (b.length === 0) return;
      rx.push(b);
    }
  })();
  // writes one at a time, in order
  const queue: Uint8Array[] = [];
  let writing = false;
  const pump = async () => {
    if (writing) return;
    writing = true;
    while (queue.length > 0) {
      let b = queue.shift()!;
      while (b.length > 0) {
        const n = await rump.write(fd, b.subarray(0, 65536));
        b = b.subarray(n);
      }
    }
    writing = false;
  };
  return {
    name: 'direct (rumpclient on /dev/switch0)',
    send: (b) => {
      queue.push(b);
      void pump();
    },
    close: async () => {
      closed = true;
      await rump.close();
    },
  };
}

function viaSocket(name: string, sock: string, rx: Receiver): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(sock, () => {
      s.setNoDelay(true);
      resolve({
        name,
        send: (b) => void s.write(b),
        close: async () => void s.destroy(),
      });
    });
    s.once('error', reject);
    s.on('data', (d: Buffer) => rx.push(d));
  });
}

interface Client {
  readonly stream: Stream;
  readonly rx: Receiver;
  xid: number;
}

async function hello(c: Client): Promise<void> {
  const got = c.rx.wait('HELLO', 0);
  await Promise.race([got, new Promise((r) => setTimeout(r, 200))]);
  c.stream.send(encode({ type: 'HELLO', xid: c.xid++, version: 4, elements: [] } as Message));
}

async function echo(c: Client): Promise<void> {
  const xid = c.xid++;
  const done = c.rx.wait('ECHO_REPLY', xid);
  c.stream.send(encode({ type: 'ECHO_REQUEST', xid, data: new Uint8Array(0) } as Message));
  await done;
}

const BURST = (() => {
  const mods: Uint8Array[] = [];
  for (let i = 0; i < FLOWS; i++) {
    const ip = `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;
    const fm = flowModFrom(parseFlow(`priority=100,ip,nw_dst=${ip},actions=output:2`, OFPFC.ADD), OFPFC.ADD);
    mods.push(encode({ ...fm, xid: 1_000_000 + i } as Message));
  }
  return Buffer.concat(mods);
})();

/** Seconds to push FLOWS FLOW_MODs and get the BARRIER reply. */
async function burst(c: Client): Promise<number> {
  const xid = c.xid++;
  const done = c.rx.wait('BARRIER_REPLY', xid);
  const t0 = process.hrtime.bigint();
  c.stream.send(BURST);
  c.stream.send(encode({ type: 'BARRIER_REQUEST', xid } as Message));
  await done;
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
const median = (s: number[]) => [...s].sort((a, b) => a - b)[Math.floor(s.length / 2)] as number;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'swioproxyd-bench-'));
  try {
    const rc = path.join(dir, 'rc');
    writeFileSync(rc, 'ifconfig switch0 create\nifconfig switch0 up\n');
    const url = `unix://${path.join(dir, 'rump.sock')}`;
    const kernel = spawnRumpKernel(['--rc', rc, url]);
    await kernel.ready();
    const proxies = await Promise.all(
      (['kevent', 'blocking'] as const).map(async (io) => {
        const sock = path.join(dir, `${io}.sock`);
        const p = spawnService(MAIN, ['--listen', sock, '--device', '/dev/switch0', '--io', io], {
          name: `swioproxyd --io ${io}`,
          env: {
            RUMP_SERVER: url,
            SWIOPROXYD_ADMIN: '',
            SWIOPROXYD_CONFIG: '',
            SWIOPROXYD_LOG_LEVEL: 'info',
            SWIOPROXYD_PRETTY: '',
          },
        });
        await p.waitFor((l) => l.msg === 'kernel connected', 'kernel connected');
        return { io, sock };
      }),
    );
    const clients: Client[] = [];
    const d = new Receiver();
    clients.push({ stream: await direct(url, d), rx: d, xid: 1 });
    for (const p of proxies) {
      const rx = new Receiver();
      clients.push({ stream: await viaSocket(`swioproxyd --io ${p.io}`, p.sock, rx), rx, xid: 1 });
    }
    for (const c of clients) await hello(c);

    // warm-up: every path, both exchanges
    for (const c of clients) {
      for (let i = 0; i < 300; i++) await echo(c);
      await burst(c);
    }

    // latency: the paths take turns in short rounds, so load drift treats them alike
    const samples: number[][] = clients.map(() => []);
    for (let r = 0; r < LATENCY_ROUNDS; r++) {
      for (const [i, c] of clients.entries()) {
        const end = performance.now() + LATENCY_MS_PER_ROUND;
        while (performance.now() < end) {
          const t0 = process.hrtime.bigint();
          await echo(c);
          samples[i]!.push(Number(process.hrtime.bigint() - t0) / 1e3);
        }
      }
    }
    const lat = samples.map((s) => {
      const sorted = [...s].sort((a, b) => a - b);
      return { p50: pct(sorted, 50), p99: pct(sorted, 99), n: s.length };
    });

    const secs: number[][] = clients.map(() => []);
    for (let r = 0; r < THROUGHPUT_ROUNDS; r++)
      for (const [i, c] of clients.entries()) secs[i]!.push(await burst(c));

    const asResult = (name: string, opsPerSec: number, batches: number): BenchResult => ({
      name,
      opsPerSec,
      nsPerOp: 1e9 / opsPerSec,
      batches,
    });
    const latResults = clients.map((c, i) =>
      asResult(`ECHO round trip, ${c.stream.name}`, 1e6 / lat[i]!.p50, LATENCY_ROUNDS),
    );
    const thrResults = clients.map((c, i) =>
      asResult(`FLOW_MOD + BARRIER, ${c.stream.name}`, FLOWS / median(secs[i]!), THROUGHPUT_ROUNDS),
    );
    const [latBase, ...latProxy] = latResults as [BenchResult, ...BenchResult[]];
    const [thrBase, ...thrProxy] = thrResults as [BenchResult, ...BenchResult[]];
    const latTargets = Object.fromEntries(latProxy.map((r) => [r.name, latBase.opsPerSec / 2]));
    const thrTargets = Object.fromEntries(thrProxy.map((r) => [r.name, thrBase.opsPerSec * 0.7]));
    console.log(
      formatReport(
        'swioproxyd: ECHO round trips per second (1e6 / p50 µs), one at a time; target >= 0.5x direct',
        latProxy,
        latBase,
        latTargets,
      ),
    );
    console.log();
    for (const [i, c] of clients.entries())
      console.log(
        `  ${c.stream.name.padEnd(40)} p50 ${lat[i]!.p50.toFixed(1)} µs  p99 ${lat[i]!.p99.toFixed(1)} µs  (${lat[i]!.n} samples)`,
      );
    console.log();
    console.log(
      formatReport(
        `swioproxyd: FLOW_MODs per second (${FLOWS} and a BARRIER, median of ${THROUGHPUT_ROUNDS}); target >= 0.7x direct`,
        thrProxy,
        thrBase,
        thrTargets,
      ),
    );
    for (const c of clients) await c.stream.close();
  } finally {
    await killAllServices();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
