// One OpenFlow 1.3 connection over any duplex byte stream (TCP, TLS, a Unix socket, a rump
// device fd wrapped as a stream): framing, HELLO and version negotiation, xid allocation,
// request/reply matching with timeouts, multipart reassembly, barriers, echo keepalive
// with dead-peer detection, a bounded send queue, and ERROR replies to bad input.
//
// Xids: a request's xid is in `pending` until its reply (or ERROR) settles it, it times
// out, or the connection closes. A request given up on before its reply came (timeout,
// a multipart reply too large or of the wrong kind, an ERROR in the middle of a multipart
// reply, a barrier that timed out in sendChecked) leaves its xid in `abandoned`, a bounded
// FIFO, so a reply that still arrives is dropped (counted in stats.lateReplies) instead of
// reaching the application as an unsolicited message. allocXid() skips both sets.

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
  /**
   * On close, how long the send queue (a final ERROR included) may take to flush before the
   * stream is destroyed anyway (default 1000 ms).
   */
  readonly lingerMs?: number;
  readonly timers?: Timers;
}

/** Xids of abandoned requests remembered, so that their late replies are dropped. */
export const ABANDONED_XIDS = 1024;

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
      | 'stream-error'
      | 'timeout'
      | 'hello-timeout'
      | 'incompatible'
      | 'dead-peer'
      | 'framing'
      | 'send-queue-full'
      | 'too-many-requests'
      | 'duplicate-xid'
      | 'unexpected-reply'
      | 'multipart-too-large'
      | 'connect-timeout',
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
  /**
   * A message from the peer was refused; an ERROR has been sent back, unless the refused
   * message was itself an ERROR (never answered, so two peers cannot ping-pong).
   */
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
  readonly xid: number;
  /** What was sent, for error messages. */
  readonly what: string;
  readonly replyType: Message['type'];
  /** The mpType a MULTIPART_REQUEST's reply parts must have. */
  readonly mpType?: string;
  /** The deadline, restarted by each multipart part. */
  readonly timeoutMs: number;
  resolve(m: Message): void;
  reject(e: Error): void;
  timer: unknown;
  parts?: MultipartReply[];
  partBytes: number;
}

/** Counters of one connection. */
export interface ConnectionStats {
  /** Replies to requests given up on (timed out, refused, too large) that arrived and were dropped. */
  lateReplies: number;
}

/** Messages without an xid of their own get one from the connection. */
export type Outgoing = Message | UnsentMessage;

export class OfConnection extends EventEmitter<ConnectionEvents> {
  readonly name: string;
  private readonly opts: Required<Omit<ConnectionOptions, 'name' | 'timers'>>;
  private readonly timers: Timers;
  private readonly framer: MessageFramer;
  private readonly pending = new Map<number, Pending>();
  /** Xids of requests given up on -> the reply type still expected; FIFO, at most ABANDONED_XIDS. */
  private readonly abandoned = new Map<number, Message['type']>();
  private nextXid = 1;
  private version = 0;
  private started = false;
  private closed = false;
  /** Why it closed (undefined: cleanly), for promises asked for after the close. */
  private closeReason: Error | undefined;
  private lastRx = 0;
  /** When the last keepalive ECHO_REQUEST went out (-Infinity: none since). */
  private lastEcho = -Infinity;
  private helloTimer: unknown;
  private keepaliveTimer: unknown;
  readonly stats: ConnectionStats = { lateReplies: 0 };
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
      lingerMs: options.lingerMs ?? 1000,
    };
    this.timers = options.timers ?? realTimers;
    this.framer = new MessageFramer({ maxMessageLen: this.opts.maxMessageLen });
    this.lastRx = this.timers.now();
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (e: Error) => this.shutdown(new ConnectionError('stream-error', `${this.name}: ${e.message}`, { cause: e })));
    stream.on('close', () => this.shutdown(undefined));
    stream.on('end', () => this.shutdown(undefined));
  }

  /**
   * Send our HELLO and wait for the peer's. Resolves with the negotiated version. Idempotent:
   * later calls send nothing and return ready(). Never throws: on a closed connection the
   * promise rejects with ConnectionError('closed') (or the close reason).
   */
  start(): Promise<number> {
    const p = this.ready();
    if (this.started || this.closed) return p;
    this.started = true;
    try {
      this.writeBytes(encode({ type: 'HELLO', xid: this.allocXid(), version: OFP13, elements: [{ type: 'VERSIONBITMAP', bitmaps: [1 << OFP13] }] }));
    } catch (e) {
      this.shutdown(e as Error);
      return p;
    }
    if (this.version === 0) {
      this.helloTimer = this.timers.setTimeout(() => {
        if (this.version === 0) this.shutdown(new ConnectionError('hello-timeout', `${this.name}: no HELLO within ${this.opts.helloTimeoutMs} ms`));
      }, this.opts.helloTimeoutMs);
    }
    return p;
  }

  /** Resolves once HELLO has been exchanged; rejects if the connection closes first (or has). */
  ready(): Promise<number> {
    if (this.closed) return Promise.reject(this.closeReason ?? new ConnectionError('closed', `${this.name}: connection closed`));
    if (this.version !== 0) return Promise.resolve(this.version);
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  get isReady(): boolean {
    return this.version !== 0 && !this.closed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A fresh transaction id (never 0, never one awaiting a reply or abandoned recently). */
  allocXid(): number {
    for (;;) {
      const x = this.nextXid;
      this.nextXid = this.nextXid >= 0xffffffff ? 1 : this.nextXid + 1;
      if (!this.pending.has(x) && !this.abandoned.has(x)) return x;
    }
  }

  /**
   * Send a message (an xid is allocated when it has none). Returns the xid. Synchronous:
   * it throws, and never returns a promise, for ConnectionError('closed') on a closed
   * connection, ConnectionError('send-queue-full') when the stream already holds
   * maxSendQueueBytes (a sender that can outpace the peer waits for drained() first), and
   * the codec's RangeError for a message that cannot be encoded (above 65535 bytes).
   * A caller-given xid is sent as is, even one of our pending requests: the xid spaces
   * of the two directions are separate (replies to the peer reuse the peer's xids).
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

  /**
   * Resolves when the send queue has room again (at once if it has). Rejects with the close
   * reason, or ConnectionError('closed'), if the connection is or becomes closed first.
   */
  drained(): Promise<void> {
    if (this.closed) return Promise.reject(this.closeReason ?? new ConnectionError('closed', `${this.name}: connection closed`));
    if (!this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        this.off('close', onClose);
        resolve();
      };
      const onClose = (reason: Error | undefined) => {
        this.stream.off('drain', onDrain);
        reject(reason ?? new ConnectionError('closed', `${this.name}: connection closed`));
      };
      this.stream.once('drain', onDrain);
      this.once('close', onClose);
    });
  }

  /**
   * Send a request and resolve with its reply: multipart replies are reassembled into one
   * message (lists concatenated, REPLY_MORE cleared). An ERROR with the request's xid
   * rejects with OfpRemoteError; no reply in time rejects with ConnectionError('timeout')
   * (for a multipart reply, `timeoutMs` is the longest wait for each part). Never throws:
   * every failure is a rejection, including 'closed', 'send-queue-full',
   * 'too-many-requests', 'duplicate-xid' (a caller-given xid already awaiting a reply),
   * 'unexpected-reply' (multipart parts of another mpType) and 'multipart-too-large'.
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
    if (this.closed) throw new ConnectionError('closed', `${this.name}: connection closed`);
    if (this.pending.has(m.xid)) throw duplicateXid(this.name, m);
    let refused: OfpRemoteError | undefined;
    // watch the message's xid for an ERROR until the barrier reply arrives
    const watch: Pending = {
      xid: m.xid,
      what: m.type,
      replyType: 'ERROR',
      timeoutMs,
      resolve: () => undefined,
      reject: (e) => {
        if (e instanceof OfpRemoteError) refused = e;
      },
      timer: undefined,
      partBytes: 0,
    };
    this.register(watch);
    let answered = false;
    try {
      this.writeBytes(encode(m));
      await this.barrier(timeoutMs);
      answered = true;
    } finally {
      if (this.pending.get(m.xid) === watch) {
        this.pending.delete(m.xid);
        // no barrier reply: the ERROR may still come
        if (!answered && !this.closed) this.abandon(m.xid, 'ERROR');
      }
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
    let m: Message;
    try {
      m = withXid(msg, () => this.allocXid());
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (this.pending.has(m.xid)) return Promise.reject(duplicateXid(this.name, m));
    return new Promise<Message>((resolve, reject) => {
      const p: Pending = {
        xid: m.xid,
        what: m.type === 'MULTIPART_REQUEST' ? `MULTIPART_REQUEST ${m.mpType}` : m.type,
        replyType,
        ...(m.type === 'MULTIPART_REQUEST' ? { mpType: m.mpType } : {}),
        timeoutMs,
        resolve,
        reject,
        timer: undefined,
        partBytes: 0,
      };
      this.register(p);
      this.armTimer(p);
      try {
        this.writeBytes(encode(m));
      } catch (e) {
        this.finish(p);
        reject(e as Error);
      }
    });
  }

  private register(p: Pending): void {
    this.abandoned.delete(p.xid);
    this.pending.set(p.xid, p);
  }

  /** (Re)start a request's deadline. */
  private armTimer(p: Pending): void {
    this.timers.clearTimeout(p.timer);
    p.timer = this.timers.setTimeout(() => {
      if (this.pending.get(p.xid) !== p) return; // settled, or the xid belongs to someone else now
      this.giveUp(p, new ConnectionError('timeout', `${this.name}: no reply to ${p.what} xid ${p.xid} within ${p.timeoutMs} ms`));
    }, p.timeoutMs);
  }

  /** Take a settled request out of `pending` (only if the entry is still its own). */
  private finish(p: Pending): void {
    this.timers.clearTimeout(p.timer);
    if (this.pending.get(p.xid) === p) this.pending.delete(p.xid);
  }

  /** Reject a request before its reply is complete; whatever still comes for it is dropped. */
  private giveUp(p: Pending, e: Error): void {
    this.finish(p);
    this.abandon(p.xid, p.replyType);
    p.reject(e);
  }

  private abandon(xid: number, replyType: Message['type']): void {
    this.abandoned.delete(xid);
    this.abandoned.set(xid, replyType);
    if (this.abandoned.size > ABANDONED_XIDS) this.abandoned.delete(this.abandoned.keys().next().value as number);
  }

  /**
   * Queue bytes. `force` skips the queue bound: only for the one ERROR sent right before
   * closing, which must not be lost to a full queue.
   */
  private writeBytes(b: Uint8Array, force = false): void {
    if (this.closed) throw new ConnectionError('closed', `${this.name}: connection closed`);
    if (!force && this.stream.writableLength + b.length > this.opts.maxSendQueueBytes) {
      throw new ConnectionError('send-queue-full', `${this.name}: send queue holds ${this.stream.writableLength} bytes`);
    }
    this.stream.write(b);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return; // lingering while the send queue flushes: input no longer counts
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
      // framing is lost: tell the peer why (xid 0: no message to name), then close
      this.replyError(lost, 0, true);
      this.shutdown(new ConnectionError('framing', `${this.name}: ${lost.message}`, { cause: lost }));
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
      // never answer an ERROR with an ERROR: two peers could bounce them forever
      if (h.type !== OFPT_ERROR) this.replyError(e, h.xid);
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
    const late = this.abandoned.get(msg.xid);
    if (late !== undefined && (msg.type === late || msg.type === 'ERROR')) {
      // the reply to a request given up on: the application must not see it
      this.stats.lateReplies++;
      if (!(msg.type === 'MULTIPART_REPLY' && (msg.flags & OFPMPF_MORE) !== 0)) this.abandoned.delete(msg.xid);
      return;
    }
    if (msg.type === 'ECHO_REPLY') return; // keepalive answer
    this.emit('message', msg, bytes);
  }

  private settle(p: Pending, msg: Message, size: number): void {
    if (msg.type === 'ERROR') {
      if (p.parts) {
        // an ERROR in the middle of a multipart reply: parts may still follow
        this.giveUp(p, new OfpRemoteError(msg));
        return;
      }
      this.finish(p);
      p.reject(new OfpRemoteError(msg));
      return;
    }
    if (msg.type === 'MULTIPART_REPLY') {
      if (p.mpType !== undefined && msg.mpType !== p.mpType) {
        this.giveUp(
          p,
          new ConnectionError('unexpected-reply', `${this.name}: ${p.what} xid ${p.xid} answered with a MULTIPART_REPLY ${msg.mpType}`),
        );
        return;
      }
      p.parts ??= [];
      p.parts.push(msg);
      p.partBytes += size;
      if (p.partBytes > this.opts.maxMultipartBytes) {
        this.giveUp(p, new ConnectionError('multipart-too-large', `${this.name}: multipart reply beyond ${this.opts.maxMultipartBytes} bytes`));
        return;
      }
      if ((msg.flags & OFPMPF_MORE) !== 0) {
        this.armTimer(p); // each part restarts the deadline: a long dump is not a dead peer
        return;
      }
      this.finish(p);
      p.resolve(mergeMultipart(p.parts));
      return;
    }
    this.finish(p);
    p.resolve(msg);
  }

  private onHello(bytes: Uint8Array, type: number, version: number): void {
    if (type === OFPT_ERROR) {
      // the peer refused us (typically HELLO_FAILED): never answer an ERROR, just close
      let cause: OfpRemoteError | undefined;
      try {
        const m = decode(bytes);
        if (m.type === 'ERROR') cause = new OfpRemoteError(m);
      } catch {
        // an ERROR of another version, or malformed: the close reason says so
      }
      const text = cause && cause.type === OFPET.HELLO_FAILED ? `: ${asciiText(cause.reply.data)}` : '';
      this.shutdown(
        new ConnectionError('incompatible', `${this.name}: peer sent ERROR before HELLO${cause ? ` (${cause.message}${text})` : ''}`, {
          ...(cause ? { cause } : {}),
        }),
      );
      return;
    }
    if (type !== OFPT_HELLO) {
      // anything before HELLO is a protocol violation; HELLO_FAILED data is ASCII text
      const text = new TextEncoder().encode(`expected HELLO first, got message type ${type}`);
      this.replyError(new OfpError(OFPET.HELLO_FAILED, 0, 'expected HELLO first', text), readHeader(bytes).xid, true);
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
      this.safeSend({ type: 'ERROR', xid: readHeader(bytes).xid, errType: OFPET.HELLO_FAILED, code: 0, data: text }, true);
      this.shutdown(new ConnectionError('incompatible', `${this.name}: no common OpenFlow version (peer 0x${version.toString(16)})`));
      return;
    }
    this.version = OFP13;
    this.timers.clearTimeout(this.helloTimer);
    this.scheduleKeepalive();
    for (const w of this.readyWaiters.splice(0)) w.resolve(this.version);
    this.emit('ready', this.version);
  }

  /**
   * Keepalive, timed from the last received byte: an ECHO_REQUEST goes out echoIntervalMs
   * after it (and again every echoIntervalMs of further silence), and the peer is dead
   * deadAfterMs after it. The timer wakes only at those instants; data arriving meanwhile
   * just moves lastRx, and the next wake-up re-plans from it.
   */
  private scheduleKeepalive(): void {
    if (this.opts.echoIntervalMs <= 0 || this.closed) return;
    const now = this.timers.now();
    const idle = now - this.lastRx;
    if (idle >= this.opts.deadAfterMs) {
      this.shutdown(new ConnectionError('dead-peer', `${this.name}: nothing received for ${idle} ms`));
      return;
    }
    let since = Math.max(this.lastRx, this.lastEcho);
    if (now - since >= this.opts.echoIntervalMs) {
      this.safeSend({ type: 'ECHO_REQUEST', xid: this.allocXid(), data: new Uint8Array(0) });
      this.lastEcho = now;
      since = now;
    }
    const wake = Math.min(this.lastRx + this.opts.deadAfterMs, since + this.opts.echoIntervalMs);
    this.keepaliveTimer = this.timers.setTimeout(() => this.scheduleKeepalive(), Math.max(1, wake - now));
  }

  private replyError(e: OfpError, xid: number, beforeClose = false): void {
    this.safeSend({ type: 'ERROR', xid, errType: e.type, code: e.code, data: e.data }, beforeClose);
  }

  private safeSend(m: Message, beforeClose = false): void {
    try {
      this.writeBytes(encode(m), beforeClose);
    } catch {
      // closed or full: the peer will notice through keepalive
    }
  }

  private shutdown(reason: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.timers.clearTimeout(this.helloTimer);
    this.timers.clearTimeout(this.keepaliveTimer);
    const err = reason ?? new ConnectionError('closed', `${this.name}: connection closed`);
    for (const [xid, p] of this.pending) {
      this.timers.clearTimeout(p.timer);
      this.pending.delete(xid);
      p.reject(err);
    }
    this.abandoned.clear();
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
    this.framer.reset();
    this.linger();
    this.emit('close', reason);
  }

  /**
   * End the stream so that what is queued (a final ERROR: framing lost, HELLO_FAILED) still
   * reaches the peer, then destroy it once flushed ('finish') or after lingerMs at most.
   */
  private linger(): void {
    const s = this.stream;
    if (s.destroyed) return;
    if (s.writableFinished) {
      s.destroy();
      return;
    }
    const timer = this.timers.setTimeout(() => {
      s.off('finish', onFinish);
      s.destroy();
    }, this.opts.lingerMs);
    const onFinish = () => {
      this.timers.clearTimeout(timer);
      s.destroy();
    };
    s.once('finish', onFinish);
    s.once('close', () => this.timers.clearTimeout(timer));
    if (!s.writableEnded) s.end(); // (a socket whose peer ended has ended itself already)
  }
}

const OFPT_HELLO = 0;
const OFPT_ERROR = 1;

function duplicateXid(name: string, m: Message): ConnectionError {
  return new ConnectionError('duplicate-xid', `${name}: ${m.type} xid ${m.xid}: a request with this xid is already awaiting its reply`);
}

/** The printable ASCII of a HELLO_FAILED's data, for a log line. */
function asciiText(data: Uint8Array): string {
  return String.fromCharCode(...data.subarray(0, 256))
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
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
