// What switchd's relay costs: a controller on the connection library talks to the project's
// switch engine behind a Unix socket (what swioproxyd serves) directly — the baseline — and
// through an in-process Switchd (`device "unix:..." forward to ptcp:0`), in the same run.
// When rump-kernel-server can start, the same pair again for the rump: backend: a channel of
// /dev/switch0 opened through rumpclient directly, against switchd relaying it — once with a
// blocking read kept in flight (the default) and once waiting in kevent(2) before each read.
//   - BARRIER round trip, one at a time (switchd answers ECHO itself, so BARRIER is the
//     cheapest message that crosses the relay both ways);
//   - FLOW_MOD throughput: BURST FLOW_MODs then a BARRIER, per second.
// Targets (ratio to the direct path of the same backend): round trip at most 2x, throughput
// at least 70%.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { type BenchResult, formatReport } from '@rumpflow/bench';
import { OFPFC, flowModFrom, parseFlow } from '@rumpflow/openflow';
import { OfConnection, openStream } from '@rumpflow/openflow-connection';
import { spawnService } from '@rumpflow/test-tools';
import { Switchd, deviceBackend, type DeviceOpenOptions } from '../src/index.js';
import { DatapathServer } from '../testing/index.js';

const BURST = 10_000;
const RTT_SAMPLES = 2000;
const ROUNDS = 5;
const silent = { info() {}, warn() {}, debug() {}, error() {} };
const now = () => Number(process.hrtime.bigint());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function connect(stream: Duplex): Promise<OfConnection> {
  const c = new OfConnection(stream, { echoIntervalMs: 0, requestTimeoutMs: 30_000 });
  await c.start();
  return c;
}

const mods = Array.from({ length: BURST }, (_, i) =>
  flowModFrom(
    parseFlow(
      `priority=${(i % 1000) + 1},ip,nw_dst=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255},actions=output:2`,
    ),
  ),
);
const clear = flowModFrom(parseFlow('', OFPFC.DELETE), OFPFC.DELETE);

async function barrierRtt(c: OfConnection, name: string): Promise<BenchResult> {
  for (let i = 0; i < 200; i++) await c.barrier();
  const ns: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = now();
    for (let i = 0; i < RTT_SAMPLES / ROUNDS; i++) await c.barrier();
    ns.push((now() - t0) / (RTT_SAMPLES / ROUNDS));
  }
  const nsPerOp = median(ns);
  return { name, opsPerSec: 1e9 / nsPerOp, nsPerOp, batches: ROUNDS };
}

async function flowModRate(c: OfConnection, name: string): Promise<BenchResult> {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    c.send(clear);
    await c.barrier();
    const t0 = now();
    for (const m of mods) {
      c.send(m);
      if (c.queuedBytes > 1 << 20) await c.drained();
    }
    await c.barrier();
    if (r > 0) rates.push((BURST * 1e9) / (now() - t0)); // the first round warms up
  }
  const opsPerSec = median(rates);
  return { name, opsPerSec, nsPerOp: 1e9 / opsPerSec, batches: ROUNDS };
}

async function viaSwitchd(
  spec: string,
  device: DeviceOpenOptions,
): Promise<{ conn: OfConnection; sw: Switchd }> {
  const sw = new Switchd({ log: silent, connection: { echoIntervalMs: 0 }, device });
  await sw.apply({ listen: [], devices: [{ spec, failMode: 'secure', forward: ['ptcp:0'] }] });
  const port = Number((sw.devices()[0]?.listening[0] as string).split(':')[1]);
  const conn = await connect(await openStream({ kind: 'tcp', host: '127.0.0.1', port }));
  return { conn, sw };
}

async function pair(label: string, spec: string, device: DeviceOpenOptions = {}): Promise<void> {
  const direct = await connect(await deviceBackend(spec, device).open());
  const rtt0 = await barrierRtt(direct, `${label} direct: BARRIER round trip`);
  const fm0 = await flowModRate(direct, `${label} direct: FLOW_MOD`);
  direct.close();
  const { conn, sw } = await viaSwitchd(spec, device);
  const rtt1 = await barrierRtt(conn, `${label} via switchd: BARRIER round trip`);
  const fm1 = await flowModRate(conn, `${label} via switchd: FLOW_MOD`);
  conn.close();
  await sw.stop();
  console.log(
    formatReport(`switchd relay, ${label} backend: round trips (1/s) against the direct path`, [rtt1], rtt0, {
      [rtt1.name]: rtt0.opsPerSec / 2,
    }),
  );
  console.log(
    formatReport(`switchd relay, ${label} backend: FLOW_MODs/s (burst of ${BURST} + BARRIER)`, [fm1], fm0, {
      [fm1.name]: fm0.opsPerSec * 0.7,
    }),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'switchd-bench-'));
try {
  const dp = await DatapathServer.start(join(dir, 'sw0.sock'));
  await pair('unix:', `unix:${dp.path}`);
  await dp.close();

  const main = resolve(fileURLToPath(import.meta.url), '../../../../apps/rump-kernel-server/src/main.ts');
  const rc = join(dir, 'rc');
  writeFileSync(rc, 'ifconfig switch0 create\nifconfig switch0 up\n');
  const sock = join(dir, 'rump.sock');
  const kernel = spawnService(main, ['--rc', rc, `unix://${sock}`], { name: 'rump-kernel-server' });
  try {
    await kernel.ready();
    process.env['RUMP_SERVER'] = `unix://${sock}`;
    await pair('rump: (blocking read)', 'rump:/dev/switch0', { rumpReadiness: 'read' });
    await pair('rump: (kevent)', 'rump:/dev/switch0', { rumpReadiness: 'kevent' });
  } catch (e) {
    console.log(`rump: backend not measured: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    await kernel.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
