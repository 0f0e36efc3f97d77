// A switch(4) device for tests: the project's switch engine (a real Datapath) behind a Unix
// socket, one controller channel per accepted connection — exactly what swioproxyd gives
// switchd for /dev/switchN. Frames go in with inject() (receiveFrame) and the frames each
// port transmits are recorded. Also runnable as a program for manual sessions:
//   node --conditions=@rumpflow/source --import tsx testing/datapath-server.ts /tmp/sw0.sock [dpid]

import net from 'node:net';
import { rmSync } from 'node:fs';
import { Datapath, EVERY_FLOW, type FlowEntry } from '@rumpflow/openflow-switch';

export class DatapathServer {
  readonly dp: Datapath;
  readonly sent = new Map<number, Uint8Array[]>();
  private readonly sockets = new Set<net.Socket>();
  private readonly timer: NodeJS.Timeout;
  /** Connections accepted so far (device channels opened). */
  accepted = 0;

  private constructor(
    readonly path: string,
    private readonly server: net.Server,
    dpid: bigint,
    ports: readonly number[],
  ) {
    const t0 = performance.now();
    this.dp = new Datapath({ datapathId: dpid, nTables: 4, now: () => performance.now() - t0 });
    for (const n of ports) {
      const frames: Uint8Array[] = [];
      this.sent.set(n, frames);
      this.dp.addPort({
        portNo: n,
        name: `eth${n}`,
        hwAddr: `02:00:00:00:0a:${n.toString(16).padStart(2, '0')}`,
        send: (f) => frames.push(Uint8Array.from(f)),
      });
    }
    this.timer = setInterval(() => this.dp.tick(), 200);
    this.timer.unref();
    server.on('connection', (s) => this.attach(s));
  }

  static async start(
    path: string,
    dpid = 0xabcn,
    ports: readonly number[] = [1, 2, 3],
  ): Promise<DatapathServer> {
    rmSync(path, { force: true });
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return new DatapathServer(path, server, dpid, ports);
  }

  private attach(socket: net.Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    const ch = this.dp.openChannel((bytes) => socket.write(bytes), { onClose: () => socket.end() });
    socket.on('data', (chunk: Buffer) => ch.receive(chunk));
    socket.on('close', () => {
      ch.close();
      this.sockets.delete(socket);
    });
    socket.on('error', () => ch.close());
  }

  /** Open device channels now. */
  get channels(): number {
    return this.sockets.size;
  }

  /** Every flow entry of every table. */
  flows(): FlowEntry[] {
    return this.dp.flows.select(EVERY_FLOW);
  }

  /** A frame received from the wire on `port`. */
  inject(port: number, frame: Uint8Array): void {
    this.dp.receiveFrame(port, frame);
  }

  /** Kill every device channel (as a kernel or swioproxyd restart would). */
  dropChannels(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.dropChannels();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** An Ethernet frame dst <- src with an IPv4 ethertype and zero payload (60 bytes). */
export function frame(dst: string, src: string): Uint8Array {
  const b = new Uint8Array(60);
  const mac = (s: string) => s.split(':').map((h) => parseInt(h, 16));
  b.set(mac(dst), 0);
  b.set(mac(src), 6);
  b[12] = 0x08;
  b[13] = 0x00;
  b[14] = 0x45; // IPv4 header, otherwise zero
  return b;
}

if (process.argv[1]?.endsWith('datapath-server.ts')) {
  const path = process.argv[2] ?? '/tmp/switch0.sock';
  const s = await DatapathServer.start(path, BigInt(process.argv[3] ?? '0xabc'));
  console.error(`datapath on ${s.path}`);
}

/** Retry `f` until it stops throwing (its value), or rethrow its error after `timeoutMs`. */
export async function eventually<T>(f: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() - t0 > timeoutMs) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
