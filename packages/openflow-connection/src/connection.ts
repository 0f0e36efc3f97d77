// One OpenFlow 1.3 connection over any duplex byte stream (TCP, TLS, a Unix socket, a rump
// device fd wrapped as a stream): framing, HELLO and version negotiation, xid allocation,
// request/reply matching with timeouts, multipart reassembly, barriers, echo keepalive
// with dead-peer detection, a bounded send queue, and ERROR replies to bad input.

import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  FramingError,
  MessageFramer,
  OFPET,
  OFPMPF_MORE,
  OfpError,
  decode,
  encode,
  errorNames,
  readHeader,
  type ErrorMessage,
  type Message,
  type MessageOf,
  type MultipartReply,
  type MultipartRequest,
  type UnsentMessage,
} from '@rumpflow/openflow';

/** The only wire version this library speaks. */
export const OFP13 = 0x04;

/** Timer functions, injectable so tests can drive time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => Date.now(),
};

export interface ConnectionOptions {
  /** Name for logs and errors (the peer's address). */
  readonly name?: string;
  /** Give up if the peer's HELLO has not arrived after this long (default 10 s). */
  readonly helloTimeoutMs?: number;
  /** Default timeout of request() (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** Send ECHO_REQUEST after this long without receiving anything (default 5 s; 0 = off). */
  readonly echoIntervalMs?: number;
  /** Declare the peer dead after this long without receiving anything (default 3 x echo). */
  readonly deadAfterMs?: number;
  /** Bytes the send queue may hold before send() refuses (default 4 MiB). */
  readonly maxSendQueueBytes?: number;
  /** Largest message accepted from the peer (default 65535). */
  readonly maxMessageLen?: number;
  /** Requests awaiting replies at once (default 4096). */
  readonly maxPendingRequests?: number;
  /** Total bytes of one reassembled multipart reply (default 64 MiB). */
  readonly maxMultipartBytes?: number;
  readonly timers?: Timers;
}

/** The peer answered a request with an OpenFlow ERROR. */
export class OfpRemoteError extends Error {
  override readonly name = 'OfpRemoteError';
  constructor(readonly reply: ErrorMessage) {
    const n = errorNames(reply.errType, reply.code);
    super(`peer answered ${n.type}/${n.code}`);
  }
  get type(): number {
    return this.reply.errType;
  }
  get code(): number {
    return this.reply.code;
  }
}

/** Errors of the connection itself, with a machine-readable reason. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  constructor(
    readonly reason:
      | 'closed'
      | 'timeout'
      | 'hello-timeout'
      | 'incompatible'
      | 'dead-peer'
      | 'framing'
      | 'send-queue-full'
      | 'too-many-requests'
      | 'multipart-too-large',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ConnectionEvents {
  /** HELLO exchanged; the negotiated version (always 4). */
  ready: [version: number];
  /** Any message that is not the reply to one of our requests (and not an echo). */
  message: [msg: Message, bytes: Uint8Array];
  /** A message from the peer was refused; an ERROR has been sent back. */
  invalid: [err: OfpError, bytes: Uint8Array];
  /** The connection ended; `reason` is undefined for a clean close by us or the peer. */
  close: [reason: Error | undefined];
}

/** Reply type of each request type. */
interface ReplyMap {
  ECHO_REQUEST: 'ECHO_REPLY';
  FEATURES_REQUEST: 'FEATURES_REPLY';
  GET_CONFIG_REQUEST: 'GET_CONFIG_REPLY';
  MULTIPART_REQUEST: 'MULTIPART_REPLY';
  BARRIER_REQUEST: 'BARRIER_REPLY';
  QUEUE_GET_CONFIG_REQUEST: 'QUEUE_GET_CONFIG_REPLY';
  ROLE_REQUEST: 'ROLE_REPLY';
  GET_ASYNC_REQUEST: 'GET_ASYNC_REPLY';
  EXPERIMENTER: 'EXPERIMENTER';
}

const REPLY_OF: ReplyMap = {
  ECHO_REQUEST: 'ECHO_REPLY',
  FEATURES_REQUEST: 'FEATURES_REPLY',
  GET_CONFIG_REQUEST: 'GET_CONFIG_REPLY',
  MULTIPART_REQUEST: 'MULTIPART_REPLY',
  BARRIER_REQUEST: 'BARRIER_REPLY',
  QUEUE_GET_CONFIG_REQUEST: 'QUEUE_GET_CONFIG_REPLY',
  ROLE_REQUEST: 'ROLE_REPLY',
  GET_ASYNC_REQUEST: 'GET_ASYNC_REPLY',
  EXPERIMENTER: 'EXPERIMENTER',
};

/** A message that has a reply. */
export type RequestMessage = Extract<Outgoing, { type: keyof ReplyMap }>;

/** What request() resolves with for a given request. */
export type ReplyTo<M extends { type: keyof ReplyMap }> = M extends { type: 'MULTIPART_REQUEST'; mpType: infer P }
  ? Extract<MultipartReply, { mpType: P }>
  : MessageOf<ReplyMap[M['type']]>;

interface Pending {
  readonly replyType: Message['type'];
  resolve(m: Message): void;
  reject(e: Error): void;
  timer: unknown;
  parts?: MultipartReply[];
  partBytes: number;
}

/** Messages without an xid of their own get one from the connection. */
export type Outgoing = Message | UnsentMessage;

export class OfConnection extends EventEmitter<ConnectionEvents> {
  readonly name: string;
  private readonly opts: Required<Omit<ConnectionOptions, 'name' | 'timers'>>;
  private readonly timers: Timers;
  private readonly framer: MessageFramer;
  private readonly pending = new Map<number, Pending>();
  private nextXid = 1;
  private version = 0;
  private closed = false;
  private lastRx = 0;
  private helloTimer: unknown;
  private keepaliveTimer: unknown;
  private readyWaiters: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];

  constructor(
    readonly stream: Duplex,
    options: ConnectionOptions = {},
  ) {
    super();
    this.name = options.name ?? 'peer';
    const echo = options.echoIntervalMs ?? 5000;
    this.opts = {
      helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      echoIntervalMs: echo,
      deadAfterMs: options.deadAfterMs ?? 3 * echo,
      maxSendQueueBytes: options.maxSendQueueBytes ?? 4 * 1024 * 1024,
      maxMessageLen: options.maxMessageLen ?? 0xffff,
      maxPendingRequests: options.maxPendingRequests ?? 4096,
      maxMultipartBytes: options.maxMultipartBytes ?? 64 * 1024 * 1024,
    };
    this.timers = options.timers ?? realTimers;
    this.framer = new MessageFramer({ maxMessageLen: this.opts.maxMessageLen });
    this.lastRx = this.timers.now();
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (e: Error) => this.shutdown(new ConnectionError('closed', `${this.name}: ${e.message}`, { cause: e })));
    stream.on('close', () => this.shutdown(undefined));
    stream.on('end', () => this.shutdown(undefined));
  }

  /** Send our HELLO and wait for the peer's. Resolves with the negotiated version. */
  start(): Promise<number> {
    const p = this.ready();
    this.writeBytes(encode({ type: 'HELLO', xid: this.allocXid(), version: OFP13, elements: [{ type: 'VERSIONBITMAP', bitmaps: [1 << OFP13] }] }));
    this.helloTimer = this.timers.setTimeout(() => {
      if (this.version === 0) this.shutdown(new ConnectionError('hello-timeout', `${this.name}: no HELLO within ${this.opts.helloTimeoutMs} ms`));
    }, this.opts.helloTimeoutMs);
    return p;
  }

  /** Resolves once HELLO has been exchanged. */
  ready(): Promise<number> {
    if (this.version !== 0) return Promise.resolve(this.version);
    if (this.closed) return Promise.reject(new ConnectionError('closed', `${this.name}: connection closed`));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  get isReady(): boolean {
    return this.version !== 0 && !this.closed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A fresh transaction id (never 0, never one awaiting a reply). */
  allocXid(): number {
    for (;;) {
      const x = this.nextXid;
      this.nextXid = this.nextXid >= 0xffffffff ? 1 : this.nextXid + 1;
      if (!this.pending.has(x)) return x;
    }
  }

  /**
   * Send a message (an xid is allocated when it has none). Returns the xid. Throws
   * ConnectionError('send-queue-full') when the stream already holds maxSendQueueBytes:
   * a sender that can outpace the peer waits for drained() first.
   */
  send(msg: Outgoing): number {
    const m = withXid(msg, () => this.allocXid());
    this.writeBytes(encode(m));
    return m.xid;
  }

  /** Bytes waiting in the send queue. */
  get queuedBytes(): number {
    return this.stream.writableLength;
  }

  /** Resolves when the send queue has room again. */
  drained(): Promise<void> {
    if (!this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.stream.once('drain', () => resolve()));
  }

  /**
   * Send a request and resolve with its reply: multipart replies are reassembled into one
   * message (lists concatenated, REPLY_MORE cleared). An ERROR with the request's xid
   * rejects with OfpRemoteError; no reply in time rejects with ConnectionError('timeout').
   */
  request<M extends RequestMessage>(msg: M, timeoutMs = this.opts.requestTimeoutMs): Promise<ReplyTo<M>> {
    const replyType = REPLY_OF[msg.type];
    return this.expect(msg, replyType, timeoutMs) as Promise<ReplyTo<M>>;
  }

  /**
   * Send a message that has no reply (FLOW_MOD, GROUP_MOD, PACKET_OUT, ...) followed by a
   * BARRIER_REQUEST; resolve when the barrier is answered, reject with OfpRemoteError if
   * the peer refused the message first.
   */
  async sendChecked(msg: Outgoing, timeoutMs = this.opts.requestTimeoutMs): Promise<void> {
    const m = withXid(msg, () => this.allocXid());
    let refused: OfpRemoteError | undefined;
    // watch the message's xid for an ERROR until the barrier reply arrives
    const watch: Pending = {
      replyType: 'ERROR',
      resolve: () => undefined,
      reject: (e) => {
        if (e instanceof OfpRemoteError) refused = e;
      },
      timer: undefined,
      partBytes: 0,
    };
    this.pending.set(m.xid, watch);
    try {
      this.writeBytes(encode(m));
      await this.barrier(timeoutMs);
    } finally {
      this.pending.delete(m.xid);
    }
    if (refused) throw refused;
  }

  /** BARRIER_REQUEST and wait for its reply. */
  async barrier(timeoutMs = this.opts.requestTimeoutMs): Promise<void> {
    await this.request({ type: 'BARRIER_REQUEST' }, timeoutMs);
  }

  /** Close the connection; pending requests reject with ConnectionError('closed'). */
  close(reason?: Error): void {
    this.shutdown(reason);
  }

  // -------------------------------------------------------------------------------------

  private expect(msg: Outgoing, replyType: Message['type'], timeoutMs: number): Promise<Message> {
    if (this.closed) return Promise.reject(new ConnectionError('closed', `${this.name}: connection closed`));
    if (this.pending.size >= this.opts.maxPendingRequests) {
      return Promise.reject(new ConnectionError('too-many-requests', `${this.name}: ${this.pending.size} requests already pending`));
    }
    const m = withXid(msg, () => this.allocXid());
    return new Promise<Message>((resolve, reject) => {
      const p: Pending = { replyType, resolve, reject, timer: undefined, partBytes: 0 };
      p.timer = this.timers.setTimeout(() => {
        this.pending.delete(m.xid);
        reject(new ConnectionError('timeout', `${this.name}: no reply to ${m.type} xid ${m.xid} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(m.xid, p);
      try {
        this.writeBytes(encode(m));
      } catch (e) {
        this.cancel(m.xid);
        reject(e as Error);
      }
    });
  }

  private cancel(xid: number): void {
    const p = this.pending.get(xid);
    if (!p) return;
    this.timers.clearTimeout(p.timer);
    this.pending.delete(xid);
  }

  private writeBytes(b: Uint8Array): void {
    if (this.closed) throw new ConnectionError('closed', `${this.name}: connection closed`);
    if (this.stream.writableLength + b.length > this.opts.maxSendQueueBytes) {
      throw new ConnectionError('send-queue-full', `${this.name}: send queue holds ${this.stream.writableLength} bytes`);
    }
    this.stream.write(b);
  }

  private onData(chunk: Buffer): void {
    this.lastRx = this.timers.now();
    let messages: Uint8Array[];
    let lost: FramingError | undefined;
    try {
      messages = this.framer.push(chunk);
    } catch (e) {
      if (!(e instanceof FramingError)) throw e;
      lost = e;
      messages = e.messages; // the whole messages before the bad length still count
    }
    for (const bytes of messages) {
      if (this.closed) return;
      this.onMessage(bytes);
    }
    if (lost && !this.closed) {
      // framing is lost: tell the peer why, then close
      this.replyError(lost, 0);
      this.shutdown(new ConnectionError('framing', `${this.name}: ${lost.message}`));
    }
  }

  private onMessage(bytes: Uint8Array): void {
    const h = readHeader(bytes);
    if (this.version === 0) {
      this.onHello(bytes, h.type, h.version);
      return;
    }
    let msg: Message;
    try {
      msg = decode(bytes);
    } catch (e) {
      if (!(e instanceof OfpError)) throw e;
      this.replyError(e, h.xid);
      this.emit('invalid', e, bytes);
      return;
    }
    if (msg.type === 'ECHO_REQUEST') {
      this.safeSend({ type: 'ECHO_REPLY', xid: msg.xid, data: msg.data });
      return;
    }
    const p = this.pending.get(msg.xid);
    if (p && (msg.type === p.replyType || msg.type === 'ERROR')) {
      this.settle(p, msg, bytes.length);
      return;
    }
    if (msg.type === 'ECHO_REPLY') return; // keepalive answer
    this.emit('message', msg, bytes);
  }

  private settle(p: Pending, msg: Message, size: number): void {
    if (msg.type === 'ERROR') {
      this.cancel(msg.xid);
      p.reject(new OfpRemoteError(msg));
      return;
    }
    if (msg.type === 'MULTIPART_REPLY') {
      p.parts ??= [];
      p.parts.push(msg);
      p.partBytes += size;
      if (p.partBytes > this.opts.maxMultipartBytes) {
        this.cancel(msg.xid);
        p.reject(new ConnectionError('multipart-too-large', `${this.name}: multipart reply beyond ${this.opts.maxMultipartBytes} bytes`));
        return;
      }
      if ((msg.flags & OFPMPF_MORE) !== 0) return;
      this.cancel(msg.xid);
      p.resolve(mergeMultipart(p.parts));
      return;
    }
    this.cancel(msg.xid);
    p.resolve(msg);
  }

  private onHello(bytes: Uint8Array, type: number, version: number): void {
    if (type !== 0) {
      // anything before HELLO is a protocol violation
      this.replyError(new OfpError(OFPET.HELLO_FAILED, 0, 'expected HELLO first', bytes.slice(0, 64)), readHeader(bytes).xid);
      this.shutdown(new ConnectionError('incompatible', `${this.name}: first message was type ${type}, not HELLO`));
      return;
    }
    let bitmap: number | undefined;
    try {
      const hello = decode(bytes);
      if (hello.type === 'HELLO') {
        for (const el of hello.elements) if (el.type === 'VERSIONBITMAP') bitmap = el.bitmaps[0] ?? 0;
      }
    } catch {
      // a HELLO we cannot parse still tells its version in the header
    }
    const ok = bitmap !== undefined ? (bitmap & (1 << OFP13)) !== 0 : version >= OFP13;
    if (!ok) {
      const text = new TextEncoder().encode(`rumpflow supports OpenFlow 1.3 (0x04) only; peer offered 0x${version.toString(16)}`);
      this.safeSend({ type: 'ERROR', xid: readHeader(bytes).xid, errType: OFPET.HELLO_FAILED, code: 0, data: text });
      this.shutdown(new ConnectionError('incompatible', `${this.name}: no common OpenFlow version (peer 0x${version.toString(16)})`));
      return;
    }
    this.version = OFP13;
    this.timers.clearTimeout(this.helloTimer);
    this.scheduleKeepalive();
    for (const w of this.readyWaiters.splice(0)) w.resolve(this.version);
    this.emit('ready', this.version);
  }

  private scheduleKeepalive(): void {
    if (this.opts.echoIntervalMs <= 0 || this.closed) return;
    this.keepaliveTimer = this.timers.setTimeout(() => {
      const idle = this.timers.now() - this.lastRx;
      if (idle >= this.opts.deadAfterMs) {
        this.shutdown(new ConnectionError('dead-peer', `${this.name}: nothing received for ${idle} ms`));
        return;
      }
      if (idle >= this.opts.echoIntervalMs) this.safeSend({ type: 'ECHO_REQUEST', xid: this.allocXid(), data: new Uint8Array(0) });
      this.scheduleKeepalive();
    }, Math.min(this.opts.echoIntervalMs, this.opts.deadAfterMs));
  }

  private replyError(e: OfpError, xid: number): void {
    this.safeSend({ type: 'ERROR', xid, errType: e.type, code: e.code, data: e.data });
  }

  private safeSend(m: Message): void {
    try {
      this.writeBytes(encode(m));
    } catch {
      // closed or full: the peer will notice through keepalive
    }
  }

  private shutdown(reason: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.timers.clearTimeout(this.helloTimer);
    this.timers.clearTimeout(this.keepaliveTimer);
    const err = reason ?? new ConnectionError('closed', `${this.name}: connection closed`);
    for (const [xid, p] of this.pending) {
      this.timers.clearTimeout(p.timer);
      this.pending.delete(xid);
      p.reject(err);
    }
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
    this.framer.reset();
    if (!this.stream.destroyed) {
      this.stream.end();
      this.stream.destroy();
    }
    this.emit('close', reason);
  }
}

function withXid(msg: Outgoing, alloc: () => number): Message {
  return ('xid' in msg && typeof msg.xid === 'number' ? msg : { ...msg, xid: alloc() }) as Message;
}

/** Concatenate the list bodies of multipart reply parts; scalar fields from the last part. */
export function mergeMultipart(parts: MultipartReply[]): MultipartReply {
  const last = parts[parts.length - 1] as MultipartReply;
  if (parts.length === 1) return { ...last, flags: last.flags & ~OFPMPF_MORE } as MultipartReply;
  const merged: Record<string, unknown> = { ...last, flags: last.flags & ~OFPMPF_MORE };
  for (const [k, v] of Object.entries(last)) {
    if (Array.isArray(v)) merged[k] = parts.flatMap((p) => (p as unknown as Record<string, unknown[]>)[k] ?? []);
    else if (v instanceof Uint8Array) {
      const chunks = parts.map((p) => (p as unknown as Record<string, Uint8Array>)[k] as Uint8Array);
      merged[k] = Buffer.concat(chunks);
    }
  }
  return merged as unknown as MultipartReply;
}

export type { MultipartRequest };
