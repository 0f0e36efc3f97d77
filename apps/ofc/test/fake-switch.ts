// A scripted OpenFlow 1.3 switch for tests that need no Open vSwitch: it connects to ofc's
// listener, answers FEATURES_REQUEST, PORT_DESC, DESC, BARRIER and the other requests with
// plausible replies, records everything ofc sends, and lets the test send asynchronous
// messages (PACKET_IN, ...) or answer a request its own way (an ERROR, or nothing at all).

import net from 'node:net';
import { type Message, OFPPS, type Port } from '@rumpflow/openflow';
import { OfConnection, type Outgoing } from '@rumpflow/openflow-connection';

/** What to do with a message from ofc: a reply, 'ignore' (no reply), or undefined (the default). */
export type Script = (msg: Message) => Outgoing | 'ignore' | undefined;

export interface FakeSwitchOptions {
  readonly dpid: bigint;
  /** Port numbers (default 1, 2, 3). */
  readonly ports?: readonly number[];
  readonly script?: Script;
}

export function fakePort(portNo: number): Port {
  return {
    portNo,
    hwAddr: `02:00:00:00:00:${portNo.toString(16).padStart(2, '0')}`,
    name: `p${portNo}`,
    config: 0,
    state: OFPPS.LIVE,
    curr: 0,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 0,
    maxSpeed: 0,
  };
}

export class FakeSwitch {
  readonly received: Message[] = [];
  private readonly watchers = new Set<() => void>();
  script: Script | undefined;

  private constructor(
    readonly conn: OfConnection,
    readonly opts: FakeSwitchOptions,
  ) {
    this.script = opts.script;
    conn.on('message', (m) => {
      this.received.push(m);
      this.answer(m);
      for (const w of [...this.watchers]) w();
    });
  }

  /** Connect to ofc on 127.0.0.1:port and exchange HELLO. */
  static async connect(port: number, opts: FakeSwitchOptions): Promise<FakeSwitch> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const conn = new OfConnection(socket, { name: 'fake-switch', echoIntervalMs: 0 });
    const sw = new FakeSwitch(conn, opts);
    await conn.start();
    return sw;
  }

  /** The first message from ofc (already received or to come) that `match` accepts. */
  next(match: (m: Message) => boolean, timeoutMs = 10_000, what = 'a message'): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(
          new Error(`timed out waiting for ${what}; got ${this.received.map((m) => m.type).join(', ')}`),
        );
      }, timeoutMs);
      const check = (): void => {
        const hit = this.received.find(match);
        if (!hit) return;
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve(hit);
      };
      this.watchers.add(check);
      check();
    });
  }

  send(msg: Outgoing): number {
    return this.conn.send(msg);
  }

  close(): void {
    this.conn.close();
  }

  private answer(m: Message): void {
    const scripted = this.script?.(m);
    if (scripted === 'ignore') return;
    const reply = scripted ?? this.defaultReply(m);
    if (reply) this.conn.send(reply);
  }

  private defaultReply(m: Message): Outgoing | undefined {
    const xid = m.xid;
    switch (m.type) {
      case 'FEATURES_REQUEST':
        return {
          type: 'FEATURES_REPLY',
          xid,
          datapathId: this.opts.dpid,
          nBuffers: 0,
          nTables: 4,
          auxiliaryId: 0,
          capabilities: 0x4f,
          reserved: 0,
        };
      case 'BARRIER_REQUEST':
        return { type: 'BARRIER_REPLY', xid };
      case 'ROLE_REQUEST':
        return { type: 'ROLE_REPLY', xid, role: m.role === 0 ? 1 : m.role, generationId: m.generationId };
      case 'MULTIPART_REQUEST':
        switch (m.mpType) {
          case 'DESC':
            return {
              type: 'MULTIPART_REPLY',
              xid,
              mpType: 'DESC',
              flags: 0,
              mfrDesc: 'rumpflow',
              hwDesc: 'fake',
              swDesc: 'fake-switch',
              serialNum: '1',
              dpDesc: 'a test double',
            };
          case 'PORT_DESC':
            return {
              type: 'MULTIPART_REPLY',
              xid,
              mpType: 'PORT_DESC',
              flags: 0,
              ports: (this.opts.ports ?? [1, 2, 3]).map(fakePort),
            };
          case 'FLOW':
            return { type: 'MULTIPART_REPLY', xid, mpType: 'FLOW', flags: 0, stats: [] };
          case 'PORT_STATS':
            return { type: 'MULTIPART_REPLY', xid, mpType: 'PORT_STATS', flags: 0, stats: [] };
          default:
            return undefined;
        }
      default:
        return undefined;
    }
  }
}
