// Two hostsim services (in-process, real UDP sockets and admin HTTP) pinging each other
// through a plain UDP relay standing in for the switch: the relay passes each VXLAN datagram
// from one host's tunnel to the other's, and can drop some of them.
import { type Socket, createSocket } from 'node:dgram';
import { type RunningService, startService } from '@rumpflow/service';
import { afterEach, describe, expect, it } from 'vitest';
import { hostsim, type options } from '../src/service.js';

interface Stats {
  local: string;
  counters: Record<string, number>;
  port: Record<string, number>;
  peers: {
    ip: string;
    mac: string | null;
    pingsSent: number;
    pingReplies: number;
    pingsLost: number;
    pingLoss: number;
    rttMs: { p50: number; p99: number; samples: number } | null;
    udpSent: number;
    udpReceived: number;
    udpLost: number;
  }[];
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function udpSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  return s;
}

/** A relay with one socket per host; `drop(n)` decides for the n-th datagram overall. */
async function relay(drop: (n: number) => boolean = () => false) {
  const [ra, rb] = [await udpSocket(), await udpSocket()];
  const to: { a?: number; b?: number } = {};
  let n = 0;
  // each side's address is learnt from its datagrams, or set by the test
  ra.on('message', (m, from) => {
    to.a = from.port;
    if (!drop(n++) && to.b) rb.send(m, to.b, '127.0.0.1');
  });
  rb.on('message', (m, from) => {
    to.b = from.port;
    if (!drop(n++) && to.a) ra.send(m, to.a, '127.0.0.1');
  });
  return { a: ra.address().port, b: rb.address().port, to };
}

async function start(argv: string[]): Promise<RunningService<typeof options>> {
  const s = await startService(hostsim, {
    argv: ['--admin', '127.0.0.1:0', '--local', '127.0.0.1:0', '--log-level', 'warn', ...argv],
    logDestination: 2,
  });
  expect(s.admin).toBeDefined();
  cleanups.push(() => s.shutdown('test done'));
  return s;
}

const stats = async (s: RunningService<typeof options>): Promise<Stats> =>
  (await (await fetch(`${s.admin!.url}/v1/stats`)).json()) as Stats;
const localPort = async (s: RunningService<typeof options>) => Number((await stats(s)).local.split(':')[1]);

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms, last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('two hostsims through a UDP relay', () => {
  it('resolve each other, ping both ways with RTTs, and carry a UDP flow without loss', async () => {
    const r = await relay();
    const a = await start([
      '--remote',
      `127.0.0.1:${r.a}`,
      '--vni',
      '42',
      '--ip',
      '10.0.0.1/24',
      '--ping',
      '10.0.0.2',
      '--ping-rate',
      '20',
      '--udp',
      '10.0.0.2:5001',
      '--udp-rate',
      '200',
    ]);
    const b = await start([
      '--remote',
      `127.0.0.1:${r.b}`,
      '--vni',
      '42',
      '--ip',
      '10.0.0.2/24',
      '--ping',
      '10.0.0.1',
      '--ping-rate',
      '20',
    ]);
    r.to.a = await localPort(a);
    r.to.b = await localPort(b);
    const sa = await until(
      'A has 10 replies',
      () => stats(a),
      (s) => (s.peers[0]?.pingReplies ?? 0) >= 10,
    );
    const sb = await until(
      'B has 10 replies',
      () => stats(b),
      (s) => (s.peers[0]?.pingReplies ?? 0) >= 10,
    );
    expect(sa.peers[0]).toMatchObject({ ip: '10.0.0.2', mac: '02:00:0a:00:00:02' });
    expect(sb.peers[0]).toMatchObject({ ip: '10.0.0.1', mac: '02:00:0a:00:00:01' });
    expect(sa.peers[0]!.rttMs!.p50).toBeGreaterThan(0);
    expect(sa.peers[0]!.rttMs!.p99).toBeGreaterThanOrEqual(sa.peers[0]!.rttMs!.p50);
    expect(sb.counters.echoRequestsAnswered).toBeGreaterThanOrEqual(10);
    const flow = sb.peers[0]!;
    expect(flow.udpReceived).toBeGreaterThan(0);
    expect(flow.udpLost).toBe(0);
    const metrics = await (await fetch(`${a.admin!.url}/metrics`)).text();
    expect(metrics).toMatch(/hostsim_ping_replies_total\{peer="10\.0\.0\.2"\} [1-9]/);
    expect(metrics).toMatch(/hostsim_rtt_milliseconds\{peer="10\.0\.0\.2",quantile="0\.99"\} [0-9.]+/);
    const health = await fetch(`${a.admin!.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('reports the loss the relay causes', async () => {
    // a fifth of the datagrams lost at random (a fixed seed), once the ARP exchange is through
    let seed = 12345;
    const r = await relay((n) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return n >= 4 && seed / 2 ** 31 < 0.2;
    });
    const b = await start(['--remote', `127.0.0.1:${r.b}`, '--ip', '10.0.0.2']);
    r.to.b = await localPort(b); // A's address the relay learns from A's first datagram
    const a = await start([
      '--remote',
      `127.0.0.1:${r.a}`,
      '--ip',
      '10.0.0.1',
      '--ping',
      '10.0.0.2',
      '--ping-rate',
      '50',
      '--ping-timeout',
      '0.3',
    ]);
    const s = await until(
      'A has 60 outcomes',
      () => stats(a),
      (x) => (x.peers[0]?.pingReplies ?? 0) + (x.peers[0]?.pingsLost ?? 0) >= 60,
    );
    // a ping is lost when its request or its reply is: about 1 - 0.8^2 of them
    expect(s.peers[0]!.pingLoss).toBeGreaterThan(0.15);
    expect(s.peers[0]!.pingLoss).toBeLessThan(0.6);
  });

  it('drops datagrams for another VNI', async () => {
    const r = await relay();
    const a = await start([
      '--remote',
      `127.0.0.1:${r.a}`,
      '--vni',
      '1',
      '--ip',
      '10.0.0.1',
      '--ping',
      '10.0.0.2',
      '--ping-rate',
      '20',
    ]);
    const b = await start(['--remote', `127.0.0.1:${r.b}`, '--vni', '2', '--ip', '10.0.0.2']);
    r.to.a = await localPort(a);
    r.to.b = await localPort(b);
    const sb = await until(
      'B sees bad VNIs',
      () => stats(b),
      (s) => (s.port.badVni ?? 0) >= 3,
    );
    expect(sb.counters.framesIn).toBe(0);
    expect((await stats(a)).peers[0]!.pingReplies).toBe(0);
  });

  it('rejects bad options with a usage error', async () => {
    const err: string[] = [];
    const s = await startService(hostsim, {
      argv: [
        '--local',
        '127.0.0.1:0',
        '--remote',
        '127.0.0.1:1',
        '--ip',
        '10.0.0.1/24',
        '--ping',
        '10.0.1.2',
      ],
      stderr: { write: (t: string) => err.push(t) },
    });
    expect(await s.done).toBe(2);
    expect(err.join('')).toContain('not on 10.0.0.1/24');
  });
});
