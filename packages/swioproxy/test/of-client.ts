// A test controller on a byte stream (the proxy's Unix socket): encodes messages with the
// project's codec, frames and decodes what comes back, and waits for messages by type.

import net from 'node:net';
import { MessageFramer, type Message, type UnsentMessage, decode, encode } from '@rumpflow/openflow';

export const HELLO13: UnsentMessage = {
  type: 'HELLO',
  version: 4,
  elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x10] }],
};

export class OfClient {
  readonly inbox: Message[] = [];
  ended = false;
  private readonly framer = new MessageFramer();
  private readonly waiters = new Set<() => void>();
  private nextXid = 1;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const m of this.framer.push(chunk)) this.inbox.push(decode(m));
      this.notify();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  static connect(path: string): Promise<OfClient> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(path, () => {
        s.off('error', reject);
        resolve(new OfClient(s));
      });
      s.once('error', reject);
    });
  }

  xid(): number {
    return this.nextXid++;
  }

  bytes(m: UnsentMessage, xid = this.xid()): Uint8Array {
    return encode({ ...m, xid } as Message);
  }

  send(m: UnsentMessage, xid = this.xid()): number {
    this.socket.write(this.bytes(m, xid));
    return xid;
  }

  /** The first message received that matches, removed from the inbox. */
  async next(match: (m: Message) => boolean, what: string, timeoutMs = 30_000): Promise<Message> {
    const got = await this.until(() => this.inbox.findIndex(match) >= 0, what, timeoutMs);
    void got;
    const i = this.inbox.findIndex(match);
    return this.inbox.splice(i, 1)[0] as Message;
  }

  nextOfType(type: Message['type'], xid?: number, timeoutMs?: number): Promise<Message> {
    return this.next(
      (m) => m.type === type && (xid === undefined || m.xid === xid),
      `${type}${xid !== undefined ? ` xid ${xid}` : ''}`,
      timeoutMs,
    );
  }

  /** Resolves once `cond` holds; rejects after timeoutMs or if the stream ends first. */
  until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (cond()) {
          done();
          resolve();
        } else if (this.ended) {
          done();
          reject(new Error(`stream ended before ${what}; inbox: ${this.inbox.map((m) => m.type).join(',')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; inbox: ${this.inbox.map((m) => m.type).join(',')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** HELLO both ways (the device's HELLO is read, ours is sent). */
  async handshake(): Promise<void> {
    const hello = await this.nextOfType('HELLO');
    if (hello.type !== 'HELLO' || hello.version !== 4)
      throw new Error(`not a 1.3 HELLO: ${JSON.stringify(hello)}`);
    this.send(HELLO13);
  }

  close(): void {
    this.socket.destroy();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
