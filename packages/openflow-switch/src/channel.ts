// A controller channel: OpenFlow bytes in, bytes out, with its own state (negotiation,
// role, async masks, miss_send_len). The transport (a TCP socket, the /dev/switchN device, a
// test) hands bytes to `receive` and ships what the channel gives its `send` callback.
//
// - The channel sends its HELLO when opened (version 0x04 with a version bitmap). The peer's
//   HELLO must come first: with a version bitmap the common versions decide, without one its
//   version field (1.3.5 section 6.3.1). No common version, or another message first:
//   HELLO_FAILED/INCOMPATIBLE with an ASCII explanation, and the channel closes.
// - After that every message is decoded and checked (the codec's decode and validate); a
//   refused message gets the ERROR type and code the specification prescribes with the first
//   64 bytes of the request, and the channel stays open. Only a HELLO failure and lost
//   framing (a length field below 8) close it.
// - Messages are handled one after another, synchronously: every reply, error and effect of
//   a message is out before the next message is looked at, so BARRIER_REPLY is exact.

import {
  FramingError,
  MessageFramer,
  type Message,
  OFP_VERSION,
  OFPCR_ROLE,
  OFPET,
  OfpError,
  OFPT,
  type UnsentMessage,
  decode,
  encode,
  errorCode,
  readHeader,
  validate,
} from '@rumpflow/openflow';
import { handleMessage } from './control.js';
import type { Datapath } from './datapath.js';
import { FlowModError } from './flow-table.js';
import { type AsyncConfig, type Role, defaultAsyncConfig } from './roles.js';

export interface ChannelOptions {
  /**
   * Called when the channel closes itself (HELLO failure, lost framing) with the reason: the
   * transport should close too. Not called for `close()`.
   */
  readonly onClose?: (reason: string) => void;
}

/** OFP_DEFAULT_MISS_SEND_LEN. */
export const DEFAULT_MISS_SEND_LEN = 128;

/** Messages a SLAVE may not send (1.3.5 section 6.3.6): they send packets or change state. */
const DENIED_TO_SLAVE = new Set<string>([
  'PACKET_OUT',
  'FLOW_MOD',
  'GROUP_MOD',
  'PORT_MOD',
  'TABLE_MOD',
  'METER_MOD',
]);

function deniedToSlave(m: Message): boolean {
  if (DENIED_TO_SLAVE.has(m.type)) return true;
  return (
    m.type === 'MULTIPART_REQUEST' &&
    m.mpType === 'TABLE_FEATURES' &&
    (m.tables.length > 0 || (m.flags & 1) !== 0)
  );
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export class Channel {
  role: Role = OFPCR_ROLE.EQUAL;
  asyncConfig: AsyncConfig = defaultAsyncConfig();
  missSendLen = DEFAULT_MISS_SEND_LEN;
  private phase: 'hello' | 'open' | 'closed' = 'hello';
  private readonly framer = new MessageFramer();
  /** Messages (and a framing loss) received and not handled yet. */
  private readonly queue: (Uint8Array | FramingError)[] = [];
  private busy = false;

  constructor(
    private readonly dp: Datapath,
    readonly id: number,
    private readonly send: (bytes: Uint8Array) => void,
    private readonly opts: ChannelOptions,
  ) {}

  /** @internal Send our HELLO (Datapath.openChannel). */
  start(): void {
    this.sendMessage(
      {
        type: 'HELLO',
        version: OFP_VERSION,
        elements: [{ type: 'VERSIONBITMAP', bitmaps: [1 << OFP_VERSION] }],
      },
      0,
    );
  }

  /** HELLO exchanged: the channel takes requests and asynchronous messages. */
  get negotiated(): boolean {
    return this.phase === 'open';
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /**
   * Bytes from the controller, in any chunking. The channel may keep a view of `bytes` until
   * the message they end in is complete: do not reuse the buffer.
   */
  receive(bytes: Uint8Array): void {
    if (this.phase === 'closed') return;
    let messages: Uint8Array[];
    let lost: FramingError | undefined;
    try {
      messages = this.framer.push(bytes);
    } catch (e) {
      if (!(e instanceof FramingError)) throw e;
      messages = e.messages;
      lost = e;
    }
    for (const m of messages) this.queue.push(m);
    if (lost !== undefined) this.queue.push(lost);
    // A send callback that feeds the channel again (a controller answering synchronously)
    // lands here while a message is being handled: its messages wait their turn.
    if (this.busy) return;
    this.busy = true;
    try {
      for (let i = 0; i < this.queue.length && !this.closed; i++) {
        const m = this.queue[i] as Uint8Array | FramingError;
        if (m instanceof FramingError) {
          this.sendError(m.data.length >= 8 ? readHeader(m.data).xid : 0, m.type, m.code, m.data);
          this.terminate(m.message);
        } else if (this.phase === 'hello') this.negotiate(m);
        else this.handle(m);
      }
    } finally {
      this.busy = false;
      this.queue.length = 0;
    }
  }

  /** Close the channel (the transport went away); nothing more is sent. */
  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.dp.detach(this);
  }

  /** Encode and send a message (`xid` for those built without one). */
  sendMessage(m: UnsentMessage, xid = 0): void {
    if (this.phase === 'closed') return;
    this.send(encode({ ...m, xid } as Message));
  }

  /** @internal Send an already encoded message. */
  sendBytes(b: Uint8Array): void {
    if (this.phase !== 'closed') this.send(b);
  }

  /** Send an ERROR; `data` is cut to 64 bytes unless it is HELLO_FAILED text. */
  sendError(xid: number, errType: number, code: number, data: Uint8Array): void {
    this.sendMessage(
      { type: 'ERROR', errType, code, data: errType === OFPET.HELLO_FAILED ? data : data.subarray(0, 64) },
      xid,
    );
  }

  private terminate(reason: string): void {
    this.close();
    this.opts.onClose?.(reason);
  }

  /** The peer's first message, which must be its HELLO. */
  private negotiate(b: Uint8Array): void {
    const h = readHeader(b);
    const incompatible = (why: string): void => {
      this.sendError(h.xid, OFPET.HELLO_FAILED, errorCode('HELLO_FAILED', 'INCOMPATIBLE'), text(why));
      this.terminate(`HELLO failed: ${why}`);
    };
    if (h.type !== OFPT.HELLO) {
      incompatible(`expected HELLO, received message type ${h.type}`);
      return;
    }
    let bitmaps: number[] | undefined;
    try {
      const m = decode(b);
      if (m.type === 'HELLO') bitmaps = m.elements.find((e) => e.type === 'VERSIONBITMAP')?.bitmaps;
    } catch {
      // A HELLO whose elements do not parse: its version field still says what it speaks.
    }
    const ok =
      bitmaps !== undefined ? (((bitmaps[0] ?? 0) >>> OFP_VERSION) & 1) === 1 : h.version >= OFP_VERSION;
    if (!ok) {
      const theirs =
        bitmaps !== undefined
          ? `version bitmap 0x${(bitmaps[0] ?? 0).toString(16)}`
          : `version 0x${h.version.toString(16)}`;
      incompatible(`this switch speaks OpenFlow 1.3 (0x04) only; the peer offers ${theirs}`);
      return;
    }
    this.phase = 'open';
  }

  /** One message after negotiation. */
  private handle(b: Uint8Array): void {
    const xid = readHeader(b).xid;
    let m: Message;
    try {
      m = decode(b);
      if (m.type === 'HELLO') return; // a second HELLO says nothing new
      if (this.role === OFPCR_ROLE.SLAVE && deniedToSlave(m)) {
        this.sendError(xid, OFPET.BAD_REQUEST, errorCode('BAD_REQUEST', 'IS_SLAVE'), b);
        return;
      }
      const invalid = validate(m, b);
      if (invalid) throw invalid;
      handleMessage(this.dp, this, m);
    } catch (e) {
      if (e instanceof FlowModError) this.sendError(xid, e.type, e.code, b);
      else if (e instanceof OfpError) this.sendError(xid, e.type, e.code, e.data.length > 0 ? e.data : b);
      else throw e;
    }
  }
}
