// An OpenFlow channel on /dev/switchN of a real kernel, spoken by hand through rumpclient:
// messages are encoded to bytes and written with write(2), replies read with read(2) and split
// by the codec's framer. For tests that must show the device taking plain bytes.

import { type Message, MessageFramer, decode, encode } from '@rumpflow/openflow';
import { O, type RumpClient } from '@rumpflow/rumpclient';

type Outgoing = Parameters<typeof encode>[0];

export class SwitchChannel {
  private readonly framer = new MessageFramer();
  private readonly inbox: Message[] = [];
  private xid = 0x1000;

  private constructor(
    readonly client: RumpClient,
    readonly fd: number,
  ) {}

  /** Open the device and exchange HELLOs. */
  static async open(client: RumpClient, path = '/dev/switch0'): Promise<SwitchChannel> {
    const ch = new SwitchChannel(client, await client.open(path, O.RDWR));
    const hello = await ch.next((m) => m.type === 'HELLO');
    if (hello.type !== 'HELLO') throw new Error('no HELLO');
    await ch.writeBytes(
      encode({
        type: 'HELLO',
        xid: 1,
        version: 4,
        elements: [{ type: 'VERSIONBITMAP', bitmaps: [1 << 4] }],
      } as Outgoing),
    );
    return ch;
  }

  /** Write bytes, all of them (write(2) may take fewer). */
  async writeBytes(b: Uint8Array): Promise<void> {
    for (let off = 0; off < b.length;) off += await this.client.write(this.fd, b.subarray(off));
  }

  /** The next message `match` accepts (others are kept out of the way). */
  async next(match: (m: Message) => boolean): Promise<Message> {
    for (;;) {
      const i = this.inbox.findIndex(match);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Message;
      const b = await this.client.read(this.fd, 65536);
      if (b.length === 0) throw new Error('the device channel closed');
      for (const m of this.framer.push(b)) this.inbox.push(decode(m));
    }
  }

  /** Send `msg` with a fresh xid and wait for the reply of that xid (an ERROR too). */
  async request(msg: Omit<Outgoing, 'xid'>): Promise<Message> {
    const xid = ++this.xid;
    await this.writeBytes(encode({ ...msg, xid } as Outgoing));
    return this.next((m) => m.xid === xid);
  }

  /** A barrier: everything before it has been processed. */
  async barrier(): Promise<void> {
    const r = await this.request({ type: 'BARRIER_REQUEST' } as Omit<Outgoing, 'xid'>);
    if (r.type !== 'BARRIER_REPLY') throw new Error(`barrier answered with ${r.type}`);
  }

  close(): Promise<void> {
    return this.client.close(this.fd);
  }
}
