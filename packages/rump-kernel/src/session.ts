// One client connection of the rump kernel server, speaking sysproxy over a duplex stream:
// banner, handshake (new process or join, with the token when one is required), then any
// number of concurrent syscalls, cancellations and pings. Malformed input gets an error
// frame; input that breaks framing also closes the connection. Nothing a client sends can
// crash the server.

import { timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type {
  FrameError} from '@rumpflow/sysproxy';
import {
  CLASS,
  DEFAULT_MAX_FRAME,
  ERRNO,
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
import { KernelError } from './errors.js';
import type { Kernel } from './kernel.js';
import type { Process } from './process.js';
import { Interrupt } from './wait.js';

export interface SessionOptions {
  /** When set, handshakes must carry this token. */
  readonly authToken?: string;
  readonly maxFrame?: number;
  /** Calls in flight per connection (default 65536); beyond, EAGAIN. */
  readonly maxInFlight?: number;
  /** Bytes of responses queued before reading from the client pauses (default 16 MiB). */
  readonly maxQueuedBytes?: number;
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

/** Live connections of a server, for listings and metrics. */
export class Session {
  process: Process | undefined;
  readonly stats: SessionStats = { bytesIn: 0, bytesOut: 0, frames: 0, protocolErrors: 0 };
  readonly peer: string;
  private readonly inFlight = new Map<number, Interrupt>();
  private readonly splitter: FrameSplitter;
  private readonly opts: Required<Omit<SessionOptions, 'authToken' | 'peer'>> & { authToken: string | undefined };
  private closed = false;

  constructor(
    private readonly kernel: Kernel,
    private readonly stream: Duplex,
    options: SessionOptions = {},
    private readonly onClose: (s: Session) => void = () => undefined,
  ) {
    this.opts = {
      authToken: options.authToken,
      maxFrame: options.maxFrame ?? DEFAULT_MAX_FRAME,
      maxInFlight: options.maxInFlight ?? 65536,
      maxQueuedBytes: options.maxQueuedBytes ?? 16 * 1024 * 1024,
      implementation: options.implementation ?? 'rump-kernel-server',
      version: options.version ?? '0.1.0',
    };
    this.peer = options.peer ?? 'unknown';
    this.splitter = new FrameSplitter(this.opts.maxFrame);
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', () => this.close());
    stream.on('close', () => this.close());
    stream.on('end', () => this.close());
    stream.on('drain', () => stream.resume());
    this.send(
      new TextEncoder().encode(
        formatBanner({
          version: PROTOCOL_VERSION,
          implementation: this.opts.implementation,
          implementationVersion: this.opts.version,
          auth: this.opts.authToken ? 'token' : 'none',
          maxFrame: this.opts.maxFrame,
        }),
      ),
    );
  }

  get callsInFlight(): number {
    return this.inFlight.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const intr of this.inFlight.values()) intr.fire(new KernelError(ERRNO.ECANCELED, 'connection closed'));
    this.inFlight.clear();
    if (this.process) this.kernel.detach(this.process);
    this.process = undefined;
    if (!this.stream.destroyed) this.stream.destroy();
    this.onClose(this);
  }

  private send(b: Uint8Array): void {
    if (this.closed) return;
    this.stats.bytesOut += b.length;
    this.stream.write(b);
    // bound what a slow reader can make us hold: stop reading its requests until it drains
    if (this.stream.writableLength > this.opts.maxQueuedBytes) this.stream.pause();
  }

  private reply(f: Frame): void {
    let b: Uint8Array;
    try {
      b = encodeFrame(f);
    } catch (e) {
      b = encodeFrame(failure(f.reqno, f.type, ERRNO.EIO, `unencodable reply: ${(e as Error).message}`));
    }
    // never send what the banner told the client it need not accept
    if (b.length > this.opts.maxFrame) b = encodeFrame(failure(f.reqno, f.type, ERRNO.EMSGSIZE, `reply of ${b.length} bytes exceeds maxframe`));
    this.send(b);
  }

  private onData(chunk: Buffer): void {
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
  }

  private onFrames(frames: Uint8Array[]): void {
    for (const b of frames) {
      if (this.closed) return;
      this.stats.frames++;
      let f: Frame;
      try {
        f = decodeFrame(b);
      } catch (e) {
        this.protocolFailure(e as FrameError, b.length >= 12 ? ((b[10]! << 8) | b[11]!) : 0);
        continue;
      }
      this.onFrame(f);
    }
  }

  private protocolFailure(e: FrameError, type: number): void {
    this.stats.protocolErrors++;
    const t = (type >= 1 && type <= 4 ? type : TYPE.SYSCALL) as Frame['type'];
    this.reply(protocolError(e.reqno ?? 0, t, e.fatal ? ERRNO.EMSGSIZE : ERRNO.EINVAL, e.message));
    if (e.fatal) {
      this.stream.end();
      this.close();
    }
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
        this.stream.end();
        this.close();
        return;
      }
      this.handshake(f);
      return;
    }
    switch (f.type) {
      case TYPE.SYSCALL:
        this.syscall(f);
        return;
      case TYPE.CANCEL:
        this.inFlight.get(f.aux)?.fire(new KernelError(ERRNO.ECANCELED));
        return;
      case TYPE.PING:
        this.reply(pingResponse(f.reqno));
        return;
      case TYPE.HANDSHAKE:
        this.reply(failure(f.reqno, TYPE.HANDSHAKE, ERRNO.EALREADY, 'this connection already has a process'));
        return;
    }
  }

  private tokenOk(token: unknown): number {
    const want = this.opts.authToken;
    if (!want) return 0;
    if (typeof token !== 'string' || token === '') return ERRNO.ENEEDAUTH;
    const a = Buffer.from(token);
    const b = Buffer.from(want);
    return a.length === b.length && timingSafeEqual(a, b) ? 0 : ERRNO.EAUTH;
  }

  private handshake(f: Frame): void {
    const refuse = (errno: number, why: string) => {
      this.reply(failure(f.reqno, TYPE.HANDSHAKE, errno, why));
      this.stream.end();
      this.close();
    };
    try {
      if (f.aux === HANDSHAKE.NEW_PROCESS) {
        const [program, token] = f.body;
        if (typeof program !== 'string') return refuse(ERRNO.EINVAL, 'program name missing');
        const auth = this.tokenOk(token);
        if (auth !== 0) return refuse(auth, auth === ERRNO.EAUTH ? 'wrong token' : 'this server requires a token');
        this.process = this.kernel.newProcess(program);
      } else if (f.aux === HANDSHAKE.JOIN) {
        const [pid, secret, token] = f.body;
        if (typeof pid !== 'number' || !(secret instanceof Uint8Array)) return refuse(ERRNO.EINVAL, 'join needs pid and secret');
        const auth = this.tokenOk(token);
        if (auth !== 0) return refuse(auth, auth === ERRNO.EAUTH ? 'wrong token' : 'this server requires a token');
        this.process = this.kernel.join(pid, secret);
      } else {
        return refuse(ERRNO.EINVAL, `unknown handshake kind ${f.aux}`);
      }
    } catch (e) {
      if (e instanceof KernelError) return refuse(e.errno, e.detail ?? errnoName(e.errno));
      throw e;
    }
    this.reply(handshakeOk(f.reqno, this.process.pid, this.process.joinSecret));
  }

  private syscall(f: Frame): void {
    const p = this.process as Process;
    if (this.inFlight.has(f.reqno)) {
      this.stats.protocolErrors++;
      this.reply(protocolError(f.reqno, TYPE.SYSCALL, ERRNO.EINVAL, `request ${f.reqno} is already in flight`));
      return;
    }
    if (this.inFlight.size >= this.opts.maxInFlight) {
      this.reply(failure(f.reqno, TYPE.SYSCALL, ERRNO.EAGAIN, 'too many calls in flight'));
      return;
    }
    const intr = new Interrupt();
    this.inFlight.set(f.reqno, intr);
    this.kernel.syscall(p, f.aux, f.body, intr).then(
      (results) => {
        this.inFlight.delete(f.reqno);
        this.reply(syscallOk(f.reqno, results));
      },
      (e: unknown) => {
        this.inFlight.delete(f.reqno);
        const ke = e instanceof KernelError ? e : new KernelError(ERRNO.EIO, String(e));
        this.reply(failure(f.reqno, TYPE.SYSCALL, ke.errno, ke.detail));
      },
    );
  }
}
