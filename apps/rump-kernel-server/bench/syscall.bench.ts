// Syscall round trips through a real rump-kernel-server (a child process), measured with
// @rumpflow/rumpclient over a Unix socket and over TCP loopback:
//   - latency p50/p99 of a null syscall (getpid) and of a 4 KiB read from /dev/zero, one call
//     at a time;
//   - pipelined throughput with 64 calls in flight (calls/s).
// The baseline, measured in the same run the same way, is bare Node request/response between
// two processes (bench/echo-server.mjs, plain node:net on both sides) with frames of exactly
// the sysproxy sizes of the same exchanges. Targets: null-syscall p50 over Unix within 1.5x of
// the baseline's p50, and pipelined null-syscall throughput over Unix at least half the
// baseline's.

import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { type BenchResult, formatReport } from '@rumpflow/bench';
import { O, RumpClient } from '@rumpflow/rumpclient';
import { encodeFrame, syscallOk, syscallRequest } from '@rumpflow/sysproxy';
import { type ServerProcess, startServer, tempDir } from '../test/server-process.js';
import { startBaseline } from './baseline-process.js';

const IN_FLIGHT = 64;
const WARMUP_MS = 300;
/** Time each latency case is sampled, over ROUNDS turns. */
const LATENCY_MS = 2000;
const ROUNDS = 10;
const BATCH_MS = 250;
const BATCHES = 7;
/** Time both servers are exercised before anything is measured (JIT, caches). */
const SERVER_WARMUP_MS = 2000;
const READ_SIZE = 4096;

// The sysproxy sizes of the two exchanges, from the protocol's own encoder.
const SIZES = {
  getpid: {
    req: encodeFrame(syscallRequest(1, 20, [])).length,
    resp: encodeFrame(syscallOk(1, [1, 0])).length,
  },
  read4k: {
    req: encodeFrame(syscallRequest(1, 3, [3, READ_SIZE])).length,
    resp: encodeFrame(syscallOk(1, [READ_SIZE, new Uint8Array(READ_SIZE)])).length,
  },
};

type Call = () => Promise<unknown>;

const now = (): number => Number(process.hrtime.bigint());

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Latency {
  p50: number;
  p99: number;
  samples: number;
}

/**
 * One call at a time: p50 and p99 of the round trip in microseconds, for each of `calls`.
 * The cases take turns in short rounds, so a machine whose load drifts treats them alike.
 */
async function latencies(calls: readonly Call[]): Promise<Latency[]> {
  for (const call of calls) {
    const warm = now() + WARMUP_MS * 1e6;
    while (now() < warm) await call();
  }
  const samples: number[][] = calls.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, call] of calls.entries()) {
      const end = now() + (LATENCY_MS / ROUNDS) * 1e6;
      for (let t = now(); t < end;) {
        await call();
        const t1 = now();
        samples[i]!.push((t1 - t) / 1e3);
        t = t1;
      }
    }
  }
  return samples.map((s) => {
    s.sort((a, b) => a - b);
    return { p50: percentile(s, 50), p99: percentile(s, 99), samples: s.length };
  });
}

/** IN_FLIGHT calls outstanding at all times: calls per second over `ms`. */
async function batch(call: Call, ms: number): Promise<number> {
  const t0 = now();
  const end = t0 + ms * 1e6;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (now() < end) {
      await call();
      done++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return (done * 1e9) / (now() - t0);
}

/** Pipelined throughput of each case: the median of BATCHES batches, the cases taking turns. */
async function throughputs(cases: readonly { name: string; call: Call }[]): Promise<BenchResult[]> {
  for (const c of cases) await batch(c.call, WARMUP_MS);
  const rates: number[][] = cases.map(() => []);
  for (let b = 0; b < BATCHES; b++)
    for (const [i, c] of cases.entries()) rates[i]!.push(await batch(c.call, BATCH_MS));
  return cases.map((c, i) => {
    const r = rates[i]!.sort((a, b) => a - b);
    const opsPerSec = r[Math.floor(r.length / 2)] as number;
    return { name: c.name, opsPerSec, nsPerOp: 1e9 / opsPerSec, batches: BATCHES };
  });
}

/** The baseline's client: frames out, frames in, matched by reqno, nothing else. */
class BareClient {
  private readonly pending = new Map<number, () => void>();
  private held: Buffer = Buffer.alloc(0);
  private next = 1;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
      let p = 0;
      while (this.held.length - p >= 16) {
        const len = this.held.readUInt32BE(p);
        if (this.held.length - p < len) break;
        const reqno = this.held.readUInt32BE(p + 4);
        const done = this.pending.get(reqno);
        this.pending.delete(reqno);
        done?.();
        p += len;
      }
      this.held = p === this.held.length ? Buffer.alloc(0) : this.held.subarray(p);
    });
  }

  static connect(opts: net.NetConnectOpts): Promise<BareClient> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(opts, () => {
        s.off('error', reject);
        s.setNoDelay(true);
        resolve(new BareClient(s));
      });
      s.once('error', reject);
    });
  }

  /** A request of `req` bytes answered by a response of `resp` bytes. */
  call(req: number, resp: number): Promise<void> {
    const reqno = this.next;
    this.next = this.next >= 0x7fffffff ? 1 : this.next + 1;
    const b = Buffer.alloc(req);
    b.writeUInt32BE(req, 0);
    b.writeUInt32BE(reqno, 4);
    b.writeUInt16BE(2, 10);
    b.writeUInt32BE(resp, 12);
    return new Promise((resolve) => {
      this.pending.set(reqno, resolve);
      this.socket.write(b);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

async function startEcho(sock: string): Promise<{ child: ChildProcess; tcpPort: number }> {
  const { child, port } = await startBaseline('echo-server.mjs', [sock], 'echo server');
  return { child, tcpPort: port };
}

const us = (n: number): string => n.toFixed(1).padStart(9);
const x = (n: number): string => `${n.toFixed(2)}x`.padStart(8);

async function main(): Promise<void> {
  const tmp = tempDir('rks-bench-');
  let server: ServerProcess | undefined;
  let echo: ChildProcess | undefined;
  const killChildren = (): void => {
    if (server?.running) server.child.kill('SIGKILL');
    if (echo && echo.exitCode === null && echo.signalCode === null) echo.kill('SIGKILL');
  };
  process.once('exit', killChildren);
  try {
    server = await startServer([`unix://${path.join(tmp.dir, 'rump.sock')}`, 'tcp://127.0.0.1:0']);
    const e = await startEcho(path.join(tmp.dir, 'echo.sock'));
    echo = e.child;

    const transports = [
      { name: 'unix', rump: server.url('unix'), bare: { path: path.join(tmp.dir, 'echo.sock') } },
      { name: 'tcp', rump: server.url('tcp'), bare: { host: '127.0.0.1', port: e.tcpPort } },
    ] as const;

    type Row = Latency & { name: string; base?: Latency };
    const rows: Row[] = [];
    const rates: { title: string; base: BenchResult; rump: BenchResult[] }[] = [];
    const targets: Record<string, number> = {};
    const summary: string[] = [];

    for (const t of transports) {
      const bare = await BareClient.connect(t.bare);
      const rump = await RumpClient.connect(t.rump, { program: 'bench', env: {} });
      const zero = await rump.open('/dev/zero', O.RDONLY);
      const calls = {
        bareNull: () => bare.call(SIZES.getpid.req, SIZES.getpid.resp),
        bareRead: () => bare.call(SIZES.read4k.req, SIZES.read4k.resp),
        getpid: () => rump.getpid(),
        read4k: () => rump.read(zero, READ_SIZE),
      };

      // warm both servers up (the rump server's code is compiled on first use)
      for (const call of Object.values(calls)) {
        await batch(call, SERVER_WARMUP_MS / 8);
        const end = now() + (SERVER_WARMUP_MS / 8) * 1e6;
        while (now() < end) await call();
      }

      const [bNull, bRead, rNull, rRead] = (await latencies([
        calls.bareNull,
        calls.bareRead,
        calls.getpid,
        calls.read4k,
      ])) as [Latency, Latency, Latency, Latency];
      rows.push(
        { name: `baseline ${t.name} ${SIZES.getpid.req}B->${SIZES.getpid.resp}B`, ...bNull },
        { name: `baseline ${t.name} ${SIZES.read4k.req}B->${SIZES.read4k.resp}B`, ...bRead },
        { name: `rump ${t.name} getpid`, ...rNull, base: bNull },
        { name: `rump ${t.name} read 4 KiB /dev/zero`, ...rRead, base: bRead },
      );

      const [base, baseRead, tNull, tRead] = (await throughputs([
        {
          name: `baseline ${t.name} ${SIZES.getpid.req}B->${SIZES.getpid.resp}B x${IN_FLIGHT}`,
          call: calls.bareNull,
        },
        {
          name: `baseline ${t.name} ${SIZES.read4k.req}B->${SIZES.read4k.resp}B x${IN_FLIGHT}`,
          call: calls.bareRead,
        },
        { name: `rump ${t.name} getpid x${IN_FLIGHT}`, call: calls.getpid },
        { name: `rump ${t.name} read 4 KiB x${IN_FLIGHT}`, call: calls.read4k },
      ])) as [BenchResult, BenchResult, BenchResult, BenchResult];
      const title = (what: string): string =>
        `pipelined ${what} over ${t.name}, ${IN_FLIGHT} calls in flight (calls per second, median of ${BATCHES} batches)`;
      rates.push(
        { title: title('null syscall'), base, rump: [tNull] },
        { title: title('4 KiB read'), base: baseRead, rump: [tRead] },
      );

      if (t.name === 'unix') {
        targets[tNull.name] = base.opsPerSec / 2;
        const latOk = rNull.p50 <= 1.5 * bNull.p50;
        const tpOk = tNull.opsPerSec >= base.opsPerSec / 2;
        summary.push(
          `null-syscall p50 within 1.5x of the baseline p50 (unix): ${rNull.p50.toFixed(1)} us vs ${bNull.p50.toFixed(1)} us = ${(rNull.p50 / bNull.p50).toFixed(2)}x  ${latOk ? 'met' : 'MISSED'}`,
          `pipelined throughput at least half the baseline's (unix, ${IN_FLIGHT} in flight): ${tNull.opsPerSec.toFixed(0)} vs ${base.opsPerSec.toFixed(0)} calls/s = ${(tNull.opsPerSec / base.opsPerSec).toFixed(2)}x  ${tpOk ? 'met' : 'MISSED'}`,
        );
      }
      bare.close();
      await rump.close();
    }

    const w = Math.max(...rows.map((r) => r.name.length));
    console.log('rump-kernel-server syscall round trips, one call at a time (microseconds)');
    console.log(
      `${'case'.padEnd(w)}  ${'p50'.padStart(9)}  ${'p99'.padStart(9)}  ${'samples'.padStart(8)}  p50 x base  p99 x base`,
    );
    for (const r of rows) {
      const ratios = r.base
        ? `  ${x(r.p50 / r.base.p50).padStart(10)}  ${x(r.p99 / r.base.p99).padStart(10)}`
        : '';
      console.log(
        `${r.name.padEnd(w)}  ${us(r.p50)}  ${us(r.p99)}  ${String(r.samples).padStart(8)}${ratios}`,
      );
    }
    for (const r of rates) {
      console.log('');
      console.log(formatReport(r.title, r.rump, r.base, targets));
    }
    console.log('');
    console.log('targets');
    for (const s of summary) console.log(`  ${s}`);
  } finally {
    if (server?.running) await server.stop();
    if (echo && echo.exitCode === null && echo.signalCode === null) {
      const exited = new Promise((resolve) => echo!.once('exit', resolve));
      echo.kill('SIGTERM');
      await exited;
    }
    process.off('exit', killChildren);
    tmp.remove();
  }
}

await main();
