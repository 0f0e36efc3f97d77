// A controller for tests, built on the OpenFlow connection library: it listens on ptcp:PORT
// (0: any free port) and queues the switch connections it accepts, each with the messages
// it received.

import {
  listenPassive,
  type OfConnection,
  type PassiveListener,
  type TlsOptions,
} from '@rumpflow/openflow-connection';
import type { Message } from '@rumpflow/openflow';

/** A controller listening on ptcp:0: connections queue up for the test to take. */
export class TestController {
  readonly conns: OfConnection[] = [];
  readonly messages = new Map<OfConnection, Message[]>();
  private waiters: (() => void)[] = [];
  private constructor(readonly listener: PassiveListener) {}
  static async start(port = 0, tls?: TlsOptions): Promise<TestController> {
    // connections accepted before the constructor ran wait in `early`
    const early: OfConnection[] = [];
    const holder: { self?: TestController } = {};
    const listener = await listenPassive(
      { kind: tls ? 'pssl' : 'ptcp', port, addr: '127.0.0.1' },
      (c) => (holder.self ? holder.self.add(c) : early.push(c)),
      { connection: { echoIntervalMs: 0 }, ...(tls ? { tls } : {}) },
    );
    const self = new TestController(listener);
    holder.self = self;
    for (const c of early) self.add(c);
    return self;
  }
  get port(): number {
    return this.listener.address.port as number;
  }
  get uri(): string {
    return `tcp:127.0.0.1:${this.port}`;
  }
  private add(c: OfConnection): void {
    const list: Message[] = [];
    this.messages.set(c, list);
    c.on('message', (m) => list.push(m));
    this.conns.push(c);
    for (const w of this.waiters.splice(0)) w();
  }
  /** The n-th connection (0-based) once it has completed HELLO. */
  async connection(n: number, timeoutMs = 10_000): Promise<OfConnection> {
    const t0 = Date.now();
    while (this.conns.length <= n) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`no connection #${n}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
    const c = this.conns[n] as OfConnection;
    await c.ready();
    return c;
  }
  async close(): Promise<void> {
    for (const c of this.conns) c.close();
    await this.listener.close();
  }
}
