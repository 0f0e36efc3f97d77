// One client connection of the rump kernel server, speaking sysproxy over a duplex stream:
// banner, handshake (new process or join, with the token when one is required) within the
// handshake deadline, then any number of concurrent syscalls, cancellations and pings, the
// syscalls admitted within the connection's reply budget (admission.ts). Malformed input gets
// an error frame; input that breaks framing also ends the connection. Nothing a client sends
// can crash the server.
//
// Ending. Gracefully — what is queued (replies, a last error frame) is flushed, then the
// stream is destroyed, or after FLUSH_TIMEOUT_MS if the client does not take it — after a
// refused or late handshake, a fatal frame, or a half-close by the client once every call it
// sent has answered. At once when the stream fails or closes, or the server closes it.
//
// A half-close and a client gone altogether look the same from here (EOF), and a call blocked
// on a pipe may never answer: the calls get halfCloseGraceMs to answer, then the rest are
// cancelled (answered ECANCELED), so that a process never outlives its client by more.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  CLASS,
  DEFAULT_MAX_FRAME,
  ERRNO,
  type FrameError,
  FrameSplitter,
  HANDSHAKE,
  PROTOCOL_VERSION,
  TYPE,
  type Frame,
  decodeFrame,
  encodeFrame,
  errnoName,
  failure,
  formatBanner,
  handshakeOk,
  pingResponse,
  protocolError,
  syscallOk,
} from '@rumpflow/sysproxy';
import { ReplyBudget, replyBound } from './admission.js';
import { KernelError } from './errors.js';
import type { Kernel } from './kernel.js';
import type { Process } from './process.js';
import { type Timers, realTimers } from './timers.js';
import { Interrupt } from './wait.js';

export const DEFAULT_MAX_IN_FLIGHT = 4096;
export const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_HALF_CLOSE_GRACE_MS = 1_000;
/** How long an ending connection may take to flush what is queued before it is destroyed. */
export const FLUSH_TIMEOUT_MS = 5_000;
/** The smallest reply budget (above a socket's write buffer mark, so that 'drain' follows a full one). */
const MIN_QUEUED_BYTES = 64 * 1024;

export interface SessionOptions {
  /** When set, handshakes must carry this token. */
  readonly authToken?: string;
  readonly maxFrame?: number;
  /** Calls in flight or waiting for admission per connection (default 4096); beyond, EAGAIN. */
  readonly maxInFlight?: number;
  /**
   * The reply budget in bytes (default 16 MiB, at least 64 KiB): the replies the calls in flight
   * may still make plus the replies not yet sent. Calls wait for admission beyond it.
   */
  readonly maxQueuedBytes?: number;
  /** The handshake must succeed within this (default 10 s); else ETIMEDOUT and the end. */
  readonly handshakeTimeoutMs?: number;
  /** After the client's half-close, how long its calls may take to answer before they are cancelled (default 1 s). */
  readonly halfCloseGraceMs?: number;
  /** The clock of the handshake deadline and the flush (default: real, unref'd timers). */
  readonly timers?: Timers;
  readonly implementation?: string;
  readonly version?: string;
  /** Description of the peer, for listings. */
  readonly peer?: string;
}

export interface SessionStats {
  bytesIn: number;
  bytesOut: number;
  frames: number;
  protocolErrors: number;
}

/** A call running in the kernel: how to interrupt it, and the reply bytes it reserved. */
interface Call {
  readonly intr: Interrupt;
  readonly cost: number;
}

/** A syscall request waiting for admission. */
interface Held {
  readonly frame: Frame;
  readonly cost: number;
}

/** The two tokens are equal; compared as SHA-256 digests, so neither length nor content leaks through timing. */
function sameToken(given: string, want: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(want));
}

/** Live connections of a server, for listings and metrics. */
export class Session {
  process: Process | undefined;
  readonly stats: SessionStats = { bytesIn: 0, bytesOut: 0, frames: 0, protocolErrors: 0 };
  readonly peer: string;
  private readonly calls = new Map<number, Call>();
  private readonly held = new Map<number, Held>();
  private readonly splitter: FrameSplitter;
  private readonly budget: ReplyBudget;
  private readonly timers: Timers;
  private readonly authToken: string | undefined;
  private readonly maxFrame: number;
  private readonly maxInFlight: number;
  private readonly handshakeTimeoutMs: number;
  private readonly handshakeTimer: unknown;
  private readonly halfCloseGraceMs: number;
  private graceTimer: unknown;
  /** The client half-closed: it sends nothing more. */
  private inputEnded = false;
  private closed = false;
  /** Replies of this turn are being held for one write (see send). */
  private corked = false;

  constructor(
    private readonly kernel: Kernel,
    private readonly stream: Duplex,
    options: SessionOptions = {},
    private readonly onClose: (s: Session) => void = () => undefined,
  ) {
    this.authToken = options.authToken || undefined;
    this.maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.budget = new ReplyBudget(
      Math.max(MIN_QUEUED_BYTES, options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES),
    );
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.halfCloseGraceMs = options.halfCloseGraceMs ?? DEFAULT_HALF_CLOSE_GRACE_MS;
    this.timers = options.timers ?? realTimers;
    this.peer = options.peer ?? 'unknown';
    this.splitter = new FrameSplitter(this.maxFrame);
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', () => this.close());
    stream.on('close', () => this.close());
    stream.on('end', () => this.onInputEnd());
    stream.on('drain', () => this.pump());
    const banner = formatBanner({
      version: PROTOCOL_VERSION,
      implementation: options.implementation ?? 'rump-kernel-server',
      implementationVersion: options.version ?? '0.1.0',
      auth: this.authToken ? 'token' : 'none',
      maxFrame: this.maxFrame,
    });
    this.send(new TextEncoder().encode(banner));
    this.handshakeTimer = this.timers.setTimeout(() => this.handshakeExpired(), this.handshakeTimeoutMs);
  }

  get callsInFlight(): number {
    return this.calls.size;
  }

  /** Syscall requests waiting for admission. */
  get callsHeld(): number {
    return this.held.size;
  }

  /** Reply bytes this connection holds or may still make: its calls' reservations and its unsent replies. */
  get replyBytes(): number {
    return this.budget.reserved + this.stream.writableLength;
  }

  /** End now: calls in flight end with ECANCELED, the process detaches, the stream is destroyed. */
  close(): void {
    this.release();
    this.uncork(); // the replies of this turn (a reboot(2)'s among them) still go out
    if (!this.stream.destroyed) this.stream.destroy();
  }

  /** Once: end the calls, detach the process, tell the owner. False when already done. */
  private release(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.timers.clearTimeout(this.handshakeTimer);
    if (this.graceTimer !== undefined) this.timers.clearTimeout(this.graceTimer);
    for (const c of this.calls.values()) c.intr.fire(new KernelError(ERRNO.ECANCELED, 'connection closed'));
    this.calls.clear();
    this.held.clear();
    if (this.process) this.kernel.detach(this.process);
    this.process = undefined;
    this.onClose(this);
    return true;
  }

  /** End after flushing what is queued (see the top of the file). */
  private shutdown(): void {
    if (!this.release()) return;
    this.stream.resume(); // keep taking (and dropping) input, so that the client is never stuck writing
    this.stream.end();
    const timer = this.timers.setTimeout(() => this.stream.destroy(), FLUSH_TIMEOUT_MS);
    this.stream.once('finish', () => {
      this.timers.clearTimeout(timer);
      this.stream.destroy();
    });
  }

  private send(b: Uint8Array): void {
    if (this.closed || this.stream.writableEnded) return;
    this.stats.bytesOut += b.length;
    // Replies made in one turn of the event loop leave in one write: a write(2) that wakes a
    // blocked read(2) answers both, and each socket write costs a system call and a wake-up
    // of the client. Uncorked after the turn's promise continuations (setImmediate).
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      setImmediate(() => this.uncork());
    }
    this.stream.write(b);
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.stream.uncork();
  }

  private reply(f: Frame): void {
    let b: Uint8Array;
    try {
      b = encodeFrame(f);
    } catch (e) {
      b = encodeFrame(failure(f.reqno, f.type, ERRNO.EIO, `unencodable reply: ${(e as Error).message}`));
    }
    // never send what the banner told the client it need not accept
    if (b.length > this.maxFrame)
      b = encodeFrame(
        failure(f.reqno, f.type, ERRNO.EMSGSIZE, `reply of ${b.length} bytes exceeds maxframe`),
      );
    this.send(b);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return; // flushing before the end: input is dropped
    this.stats.bytesIn += chunk.length;
    let frames: Uint8Array[];
    let broken: FrameError | undefined;
    try {
      frames = this.splitter.push(chunk);
    } catch (e) {
      // serve the whole frames that came before the bad length, then give up the stream
      broken = e as FrameError;
      frames = broken.frames;
    }
    this.onFrames(frames);
    if (broken && !this.closed) this.protocolFailure(broken, 0);
    this.pump();
  }

  private onFrames(frames: Uint8Array[]): void {
    for (const b of frames) {
      if (this.closed) return;
      this.stats.frames++;
      let f: Frame;
      try {
        f = decodeFrame(b);
      } catch (e) {
        this.protocolFailure(e as FrameError, b.length >= 12 ? (b[10]! << 8) | b[11]! : 0);
        continue;
      }
      this.onFrame(f);
    }
  }

  private protocolFailure(e: FrameError, type: number): void {
    this.stats.protocolErrors++;
    const t = (type >= 1 && type <= 4 ? type : TYPE.SYSCALL) as Frame['type'];
    this.reply(protocolError(e.reqno ?? 0, t, e.fatal ? ERRNO.EMSGSIZE : ERRNO.EINVAL, e.message));
    if (e.fatal) this.shutdown();
  }

  private onFrame(f: Frame): void {
    if (f.cls !== CLASS.REQUEST) {
      this.stats.protocolErrors++;
      this.reply(protocolError(f.reqno, f.type, ERRNO.EINVAL, 'the server takes requests only'));
      return;
    }
    if (!this.process) {
      if (f.type !== TYPE.HANDSHAKE) {
        this.stats.protocolErrors++;
        this.reply(protocolError(f.reqno, f.type, ERRNO.ENEEDAUTH, 'handshake first'));
        this.shutdown();
        return;
      }
      this.handshake(f);
      return;
    }
    switch (f.type) {
      case TYPE.SYSCALL:
        this.admit(f);
        return;
      case TYPE.CANCEL:
        this.cancel(f.aux);
        return;
      case TYPE.PING:
        this.reply(pingResponse(f.reqno));
        return;
      case TYPE.HANDSHAKE:
        this.reply(failure(f.reqno, TYPE.HANDSHAKE, ERRNO.EALREADY, 'this connection already has a process'));
        return;
    }
  }

  private handshakeExpired(): void {
    if (this.process || this.closed) return;
    this.reply(
      protocolError(0, TYPE.HANDSHAKE, ERRNO.ETIMEDOUT, `no handshake within ${this.handshakeTimeoutMs} ms`),
    );
    this.shutdown();
  }

  private tokenOk(token: unknown): number {
    const want = this.authToken;
    if (!want) return 0;
    if (typeof token !== 'string' || token === '') return ERRNO.ENEEDAUTH;
    return sameToken(token, want) ? 0 : ERRNO.EAUTH;
  }

  private handshake(f: Frame): void {
    const refuse = (errno: number, why: string) => {
      this.reply(failure(f.reqno, TYPE.HANDSHAKE, errno, why));
      this.shutdown();
    };
    try {
      if (f.aux === HANDSHAKE.NEW_PROCESS) {
        const [program, token] = f.body;
        if (typeof program !== 'string') return refuse(ERRNO.EINVAL, 'program name missing');
        const auth = this.tokenOk(token);
        if (auth !== 0)
          return refuse(auth, auth === ERRNO.EAUTH ? 'wrong token' : 'this server requires a token');
        this.process = this.kernel.newProcess(program);
      } else if (f.aux === HANDSHAKE.JOIN) {
        const [pid, secret, token] = f.body;
        if (typeof pid !== 'number' || !(secret instanceof Uint8Array))
          return refuse(ERRNO.EINVAL, 'join needs pid and secret');
        const auth = this.tokenOk(token);
        if (auth !== 0)
          return refuse(auth, auth === ERRNO.EAUTH ? 'wrong token' : 'this server requires a token');
        this.process = this.kernel.join(pid, secret);
      } else {
        return refuse(ERRNO.EINVAL, `unknown handshake kind ${f.aux}`);
      }
    } catch (e) {
      if (e instanceof KernelError) return refuse(e.errno, e.detail ?? errnoName(e.errno));
      throw e;
    }
    this.timers.clearTimeout(this.handshakeTimer);
    this.reply(handshakeOk(f.reqno, this.process.pid, this.process.joinSecret));
  }

  /** A syscall request: start it if the reply budget admits it, else hold it until it does. */
  private admit(f: Frame): void {
    if (this.calls.has(f.reqno) || this.held.has(f.reqno)) {
      this.stats.protocolErrors++;
      this.reply(
        protocolError(f.reqno, TYPE.SYSCALL, ERRNO.EINVAL, `request ${f.reqno} is already in flight`),
      );
      return;
    }
    if (this.calls.size + this.held.size >= this.maxInFlight) {
      this.reply(failure(f.reqno, TYPE.SYSCALL, ERRNO.EAGAIN, 'too many calls in flight'));
      return;
    }
    const cost = replyBound(f, this.maxFrame, this.kernel.maxIo);
    if (this.budget.admits(cost, this.stream.writableLength)) this.start(f, cost);
    else this.held.set(f.reqno, { frame: f, cost });
  }

  private cancel(reqno: number): void {
    if (this.held.delete(reqno)) {
      this.reply(failure(reqno, TYPE.SYSCALL, ERRNO.ECANCELED, 'cancelled before it started'));
      return;
    }
    this.calls.get(reqno)?.intr.fire(new KernelError(ERRNO.ECANCELED));
  }

  private start(f: Frame, cost: number): void {
    const intr = new Interrupt();
    this.calls.set(f.reqno, { intr, cost });
    this.budget.reserve(cost);
    this.kernel.syscall(this.process as Process, f.aux, f.body, intr).then(
      (results) => this.answer(f.reqno, syscallOk(f.reqno, results)),
      (e: unknown) => {
        const ke = e instanceof KernelError ? e : new KernelError(ERRNO.EIO, String(e));
        this.answer(f.reqno, failure(f.reqno, TYPE.SYSCALL, ke.errno, ke.detail));
      },
    );
  }

  /** A call is done: its reply is queued, its reservation goes back to the budget. */
  private answer(reqno: number, reply: Frame): void {
    const call = this.calls.get(reqno);
    if (!call) return; // the connection ended meanwhile
    this.calls.delete(reqno);
    this.budget.release(call.cost);
    this.reply(reply);
    this.pump();
  }

  /**
   * Start the held calls the budget now admits; read from the client only while none is held
   * and its unsent replies are within the budget; end after a half-close once all have answered.
   */
  private pump(): void {
    if (this.closed) return;
    for (const [reqno, h] of this.held) {
      if (!this.budget.admits(h.cost, this.stream.writableLength)) continue;
      this.held.delete(reqno);
      this.start(h.frame, h.cost);
    }
    if (this.held.size > 0 || this.stream.writableLength > this.budget.limit) this.stream.pause();
    else this.stream.resume();
    if (this.inputEnded && this.calls.size === 0 && this.held.size === 0) this.shutdown();
  }

  /** The client half-closed: answer what it sent (within the grace), then end (pump). */
  private onInputEnd(): void {
    this.inputEnded = true;
    this.graceTimer = this.timers.setTimeout(() => this.cancelAll(), this.halfCloseGraceMs);
    this.pump();
  }

  /** Cancel every call, held or running: each answers ECANCELED. */
  private cancelAll(): void {
    for (const reqno of [...this.held.keys()]) this.cancel(reqno);
    for (const c of this.calls.values())
      c.intr.fire(new KernelError(ERRNO.ECANCELED, 'the client closed its side'));
    this.pump();
  }
}
