// The talk's comparison, measured: the same controller workload through each device backend
// (unix: swioproxyd, rump: switchd's own rumpclient, hijack: switchd under rumphijack), in one
// run, with the launcher's topology as real processes (no hostsims, no namespaces):
//   - PACKET_IN -> FLOW_MOD round trip: this process is the controller (on the plan's OpenFlow
//     port, ofc stopped); it sends one VXLAN frame with a fresh eth_dst into switch0's vxlan2,
//     the table-miss flow sends it up as PACKET_IN, the controller answers FLOW_MOD (eth_dst)
//     and BARRIER; timed from the frame to the BARRIER reply (p50, p99);
//   - FLOW_MOD throughput: 10,000 FLOW_MODs at once and a closing BARRIER, until its reply;
//   - `ovs-ofctl add-flows` of 100,000 flows through switchd's ptcp listener, against the same
//     file into an Open vSwitch userspace bridge (ovs-vswitchd, dummy datapath) in the same run.
// Run: npm run bench (the launcher's bench target); needs the apps built.

import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Message, MessageFramer, OFPFC, encode, flowModFrom, parseFlow } from '@rumpflow/openflow';
import { Ovs, stopAllOvs } from '@rumpflow/test-tools';
import { Topo } from '../e2e/harness.js';
import { BACKENDS, type Backend, VNI } from '../src/topology.js';

const execFileP = promisify(execFile);
const LATENCY_ROUNDS = 300;
const BURST_FLOWS = 10_000;
const BURST_ROUNDS = 3;
// the figure; BENCH_FLOWS=N for a quicker look
const FILE_FLOWS = Number(process.env['BENCH_FLOWS'] ?? 100_000);

/** This process as the switch's controller: HELLO, then FLOW_MODs and BARRIERs on demand. */
class Controller {
  private readonly framer = new MessageFramer();
  private waiters = new Map<number, () => void>();
  private onPacketIn: (() => void) | undefined;
  private xid = 1;
  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      for (const m of this.framer.push(d)) {
        const type = m[1] as number;
        const xid = ((m[4]! << 24) | (m[5]! << 16) | (m[6]! << 8) | m[7]!) >>> 0;
        if (type === 10) this.onPacketIn?.();
        else if (type === 21) this.waiters.get(xid)?.();
        else if (type === 2) this.send({ type: 'ECHO_REPLY', xid, data: m.subarray(8) } as Message);
      }
    });
  }

  /** Listen on the plan's controller port and wait for switchd to connect. */
  static async accept(port: number): Promise<{ ctl: Controller; server: net.Server }> {
    const server = net.createServer();
    const got = new Promise<net.Socket>((r) => server.once('connection', r));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const sock = await got;
    sock.setNoDelay(true);
    const ctl = new Controller(sock);
    ctl.send({ type: 'HELLO', xid: 0, version: 4, elements: [] } as Message);
    return { ctl, server };
  }

  send(m: Message): void {
    this.sock.write(encode(m));
  }

  sendRaw(b: Uint8Array): void {
    this.sock.write(b);
  }

  barrier(): Promise<void> {
    const xid = this.xid++;
    const p = new Promise<void>((r) => this.waiters.set(xid, r));
    this.send({ type: 'BARRIER_REQUEST', xid } as Message);
    return p.then(() => void this.waiters.delete(xid));
  }

  flow(text: string, command: typeof OFPFC.ADD | typeof OFPFC.DELETE = OFPFC.ADD): Uint8Array {
    return encode({ ...flowModFrom(parseFlow(text, command), command), xid: this.xid++ } as Message);
  }

  nextPacketIn(): Promise<void> {
    return new Promise((r) => (this.onPacketIn = r));
  }

  close(): void {
    this.sock.destroy();
  }
}

/** A VXLAN packet carrying an Ethernet frame to `dst` (an experimental ethertype, 46 bytes of payload). */
function vxlanFrame(dst: number): Buffer {
  const b = Buffer.alloc(8 + 14 + 46);
  b[0] = 0x08;
  b.writeUIntBE(VNI, 4, 3);
  b.writeUIntBE(0x020000000000 + dst, 8, 6);
  b.writeUIntBE(0x02aa00000001, 14, 6);
  b.writeUInt16BE(0x88b5, 20);
  return b;
}

const mac = (n: number) =>
  (0x020000000000 + n)
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');

const pct = (s: number[], p: number) =>
  [...s].sort((a, b) => a - b)[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;

interface Row {
  backend: Backend;
  p50: number;
  p99: number;
  flowModsPerSec: number;
  addFlowsSec: number;
}

async function measureBackend(backend: Backend, flowFile: string): Promise<Row> {
  const topo = await Topo.start({
    backend,
    controller: 'ofc',
    tag: 'bench',
    hostsims: false,
    namespaces: false,
  });
  const udp = dgram.createSocket('udp4');
  let server: net.Server | undefined;
  let ctl: Controller | undefined;
  try {
    await topo.kill('ofc');
    ({ ctl, server } = await Controller.accept(topo.plan.ports.openflow));
    const c = ctl;
    await new Promise<void>((r) => udp.bind(4901 + 2 + topo.offset, '127.0.0.1', r));
    const switchPort = 4801 + 2 + topo.offset;
    c.sendRaw(c.flow('', OFPFC.DELETE));
    c.sendRaw(c.flow('priority=0,actions=controller:65535'));
    await c.barrier();

    // PACKET_IN -> FLOW_MOD round trips, one at a time
    const rtts: number[] = [];
    for (let i = 0; i < LATENCY_ROUNDS + 20; i++) {
      const t0 = process.hrtime.bigint();
      const pin = c.nextPacketIn();
      udp.send(vxlanFrame(i + 1), switchPort, '127.0.0.1');
      await Promise.race([
        pin,
        new Promise((_, rej) =>
          setTimeout(() => rej(new Error(`${backend}: no PACKET_IN within 5 s`)), 5000),
        ),
      ]);
      c.sendRaw(c.flow(`priority=10,dl_dst=${mac(i + 1)},actions=drop`));
      await c.barrier();
      if (i >= 20) rtts.push(Number(process.hrtime.bigint() - t0) / 1e6); // the first 20 warm up
    }

    // FLOW_MOD throughput: a burst closed by a BARRIER
    const rates: number[] = [];
    for (let r = 0; r < BURST_ROUNDS; r++) {
      const mods = Buffer.concat(
        Array.from({ length: BURST_FLOWS }, (_, i) =>
          c.flow(`priority=${200 + r},ip,nw_dst=10.${r}.${(i >> 8) & 0xff}.${i & 0xff},actions=output:2`),
        ),
      );
      const t0 = process.hrtime.bigint();
      c.sendRaw(mods);
      await c.barrier();
      rates.push(BURST_FLOWS / (Number(process.hrtime.bigint() - t0) / 1e9));
    }
    c.sendRaw(c.flow('', OFPFC.DELETE));
    await c.barrier();

    // ovs-ofctl add-flows of the 100,000-flow file through switchd's ptcp listener
    const t0 = process.hrtime.bigint();
    await topo.ofctl(['add-flows', flowFile], 600_000);
    const addFlowsSec = Number(process.hrtime.bigint() - t0) / 1e9;
    const count = Number(/flow_count=(\d+)/.exec(await topo.ofctl(['dump-aggregate']))?.[1]);
    if (count !== FILE_FLOWS)
      throw new Error(`${backend}: ${count} flows after add-flows, expected ${FILE_FLOWS}`);

    return {
      backend,
      p50: pct(rtts, 50),
      p99: pct(rtts, 99),
      flowModsPerSec: pct(rates, 50),
      addFlowsSec,
    };
  } finally {
    ctl?.close();
    server?.close();
    udp.close();
    await topo.stop();
  }
}

async function ovsAddFlows(flowFile: string): Promise<number> {
  const ovs = await Ovs.start();
  try {
    await ovs.addBridge('br0', { dpid: 1n, ports: 2 });
    const t0 = process.hrtime.bigint();
    await ovs.run('ovs-ofctl', '-O', 'OpenFlow13', 'add-flows', 'br0', flowFile);
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    const { stdout } = await execFileP('ovs-ofctl', ['-O', 'OpenFlow13', 'dump-aggregate', 'br0'], {
      env: ovs.env,
      timeout: 60_000,
    });
    const n = Number(/flow_count=(\d+)/.exec(stdout)?.[1]);
    if (n !== FILE_FLOWS) throw new Error(`Open vSwitch: ${n} flows after add-flows, expected ${FILE_FLOWS}`);
    return sec;
  } finally {
    await ovs.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'launcher-bench-'));
  const flowFile = path.join(dir, 'flows.txt');
  writeFileSync(
    flowFile,
    Array.from(
      { length: FILE_FLOWS },
      (_, i) =>
        `priority=100,ip,nw_dst=10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff},actions=output:2\n`,
    ).join(''),
  );
  try {
    const rows: Row[] = [];
    for (const b of BACKENDS) {
      console.error(`measuring the ${b} backend ...`);
      const r = await measureBackend(b, flowFile);
      console.error(`  ${JSON.stringify(r)}`);
      rows.push(r);
    }
    console.error('measuring Open vSwitch (userspace, dummy datapath) ...');
    const ovsSec = await ovsAddFlows(flowFile);

    const f = (n: number, d = 2) => n.toFixed(d);
    console.log('\nPACKET_IN -> FLOW_MOD round trip and FLOW_MOD throughput, per device backend');
    console.log(
      `| backend | PACKET_IN->FLOW_MOD p50 (ms) | p99 (ms) | FLOW_MODs/s (${BURST_FLOWS} + BARRIER) |`,
    );
    console.log('|---|---:|---:|---:|');
    for (const r of rows)
      console.log(`| ${r.backend} | ${f(r.p50)} | ${f(r.p99)} | ${Math.round(r.flowModsPerSec)} |`);
    console.log(`\novs-ofctl add-flows of ${FILE_FLOWS} flows`);
    console.log('| target | seconds | flows/s | vs Open vSwitch |');
    console.log('|---|---:|---:|---:|');
    console.log(
      `| Open vSwitch userspace bridge (baseline) | ${f(ovsSec)} | ${Math.round(FILE_FLOWS / ovsSec)} | 1.00x |`,
    );
    for (const r of rows)
      console.log(
        `| switchd ptcp, ${r.backend} backend | ${f(r.addFlowsSec)} | ${Math.round(FILE_FLOWS / r.addFlowsSec)} | ${f(ovsSec / r.addFlowsSec)}x |`,
      );
  } finally {
    await stopAllOvs();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
