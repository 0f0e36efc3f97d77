// One sysproxy connection: the socket, the banner, the handshake, and any number of requests
// in flight, each under its own reqno and matched to its response by it. No reconnection here
// (client.ts decides what a lost connection means).
//
// Request numbers: a counter that skips numbers still in the pending map. A request cancelled
// by its AbortSignal stays in the map as a tombstone (no one to settle) until the server's
// answer to it — ECANCELED, or its result if it had already completed — arrives, so a late
// answer can never be taken for the answer to a newer request.
//
// Anything that breaks the stream (a frame length outside 16..maxframe, a frame that does not
// decode) ends the connection: every pending call rejects with EPROTO. A close, a reset or a
// local close() rejects them with ENOTCONN: they may have run or not, and are never re-sent.

import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { RumpServerUrl } from '@rumpflow/endpoint';
import {
  type Banner,
  CLASS,
  ERRNO,
  type Frame,
  FrameError,
  FrameSplitter,
  type FrameType,
  SyscallError,
  TYPE,
  cancelRequest,
  decodeFrame,
  detailOf,
  encodeFrame,
  joinRequest,
  newProcessRequest,
  pingResponse,
  protocolError,
} from '@rumpflow/sysproxy';
import { connected, createSocket, readBanner } from './transport.js';

/** The largest frame this client accepts, whatever the banner announces. */
export const CLIENT_MAX_FRAME = 16 * 1024 * 1024;

/** The first frame of a connection: a new process, or joining an existing one. */
export type Handshake =
  | { readonly kind: 'new'; readonly program: string; readonly token?: string }
  | { readonly kind: 'join'; readonly pid: number; readonly secret: Uint8Array; readonly token?: string };

export interface OpenOptions {
  /** The handshake to send, chosen once the banner is known (a token only when asked for). */
  readonly handshake: (banner: Banner) => Handshake | Promise<Handshake>;
  /** Bound on connecting, the banner and the handshake together. */
  readonly timeoutMs: number;
  /** Cap on the frames accepted (default CLIENT_MAX_FRAME); the banner's maxframe also applies. */
  readonly maxFrame?: number;
}

/** The error an aborted call rejects with. */
export function abortError(): DOMException {
  return new DOMException('The operation was aborted', 'AbortError');
}

interface Settle {
  resolve(f: Frame): void;
  reject(e: Error): void;
}

interface Pending {
  /** For errors: the syscall's name, "handshake" or "ping". */
  readonly name: string;
  readonly type: FrameType;
  /** Undefined once the caller gave up (aborted): the answer is then dropped. */
  settle: Settle | undefined;
  unlisten: (() => void) | undefined;
}

export interface ConnectionEvents {
  /** The connection ended (only once); the error says why: ENOTCONN or EPROTO. */
  close: [error: SyscallError];
}

export class Connection extends EventEmitter<ConnectionEvents> {
  private readonly pending = new Map<number, Pending>();
  private readonly splitter: FrameSplitter;
  private nextReqno = 1;
  private ended: { readonly errno: number; readonly detail: string } | undefined;
  private readonly socketClosed: Promise<void>;
  private handshaken: { pid: number; secret: Uint8Array } | undefined;

  private constructor(
    private readonly socket: net.Socket,
    readonly target: RumpServerUrl,
    readonly banner: Banner,
    maxFrame: number,
  ) {
    super();
    this.splitter = new FrameSplitter(Math.min(banner.maxFrame, maxFrame));
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    // plain Uint8Array views: byte values come back as Uint8Array, not Buffer
    socket.on('data', (chunk: Buffer) =>
      this.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
    );
    socket.on('error', (e: Error) => this.fail(ERRNO.ENOTCONN, e.message));
    socket.on('end', () => this.fail(ERRNO.ENOTCONN, 'connection closed by the server'));
    socket.on('close', () => this.fail(ERRNO.ENOTCONN, 'connection closed'));
  }

  /** Connect, read the banner, shake hands. Rejects with SyscallError (EAUTH, ESRCH, EPROTO, ETIMEDOUT...). */
  static async open(target: RumpServerUrl, opts: OpenOptions): Promise<Connection> {
    const socket = createSocket(target);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, opts.timeoutMs);
    try {
      await connected(socket, target);
      const { banner, rest } = await readBanner(socket, target);
      const conn = new Connection(socket, target, banner, opts.maxFrame ?? CLIENT_MAX_FRAME);
      if (rest.length > 0) conn.onData(new Uint8Array(rest));
      socket.resume();
      await conn.handshake(await opts.handshake(banner));
      return conn;
    } catch (e) {
      socket.destroy();
      if (timedOut)
        throw new SyscallError(ERRNO.ETIMEDOUT, 'connect', `no handshake within ${opts.timeoutMs} ms`);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The process this connection belongs to. */
  get pid(): number {
    return this.handshaken?.pid ?? 0;
  }

  /** The process's join secret (a copy). */
  get secret(): Uint8Array {
    return this.handshaken ? new Uint8Array(this.handshaken.secret) : new Uint8Array(0);
  }

  get closed(): boolean {
    return this.ended !== undefined;
  }

  /** Requests whose answer has not arrived yet (aborted ones included). */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Send one request; resolves with the successful response frame (aux 0), rejects with
   * SyscallError (the errno of a failure or error frame, ENOTCONN/EPROTO when the connection
   * ends, EINVAL for arguments that do not encode, EMSGSIZE for a request above maxframe) or
   * with an AbortError when `signal` aborts first.
   */
  request(name: string, make: (reqno: number) => Frame, signal?: AbortSignal): Promise<Frame> {
    if (signal?.aborted) return Promise.reject(abortError());
    if (this.ended) return Promise.reject(new SyscallError(this.ended.errno, name, this.ended.detail));
    const reqno = this.allocReqno();
    let frame: Frame;
    let bytes: Uint8Array;
    try {
      frame = make(reqno);
      bytes = encodeFrame(frame);
    } catch (e) {
      return Promise.reject(new SyscallError(ERRNO.EINVAL, name, (e as Error).message));
    }
    if (bytes.length > this.banner.maxFrame) {
      return Promise.reject(
        new SyscallError(
          ERRNO.EMSGSIZE,
          name,
          `request of ${bytes.length} bytes, the server accepts at most ${this.banner.maxFrame}`,
        ),
      );
    }
    return new Promise<Frame>((resolve, reject) => {
      const p: Pending = { name, type: frame.type, settle: { resolve, reject }, unlisten: undefined };
      if (signal) {
        const onAbort = (): void => this.abandon(reqno, p);
        signal.addEventListener('abort', onAbort, { once: true });
        p.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      this.pending.set(reqno, p);
      this.socket.write(bytes);
    });
  }

  /** Whether the socket keeps Node's event loop alive (socket.ref()/unref()). */
  setRef(ref: boolean): void {
    if (ref) this.socket.ref();
    else this.socket.unref();
  }

  /** End the connection; pending calls reject with ENOTCONN. Resolves when the socket is closed. */
  close(): Promise<void> {
    this.fail(ERRNO.ENOTCONN, 'closed by the client');
    return this.socketClosed;
  }

  private async handshake(hs: Handshake): Promise<void> {
    const f = await this.request('handshake', (r) =>
      hs.kind === 'new'
        ? newProcessRequest(r, hs.program, hs.token)
        : joinRequest(r, hs.pid, hs.secret, hs.token),
    );
    const [pid, secret] = f.body;
    if (typeof pid !== 'number' || !(secret instanceof Uint8Array)) {
      this.fail(ERRNO.EPROTO, 'handshake response is not [pid, secret]');
      throw new SyscallError(ERRNO.EPROTO, 'handshake', 'response is not [pid, secret]');
    }
    this.handshaken = { pid, secret: new Uint8Array(secret) };
  }

  private allocReqno(): number {
    for (;;) {
      const r = this.nextReqno;
      this.nextReqno = r >= 0xffffffff ? 1 : r + 1;
      if (!this.pending.has(r)) return r;
    }
  }

  /** The caller gave up on `reqno`: tell the server, reject now, drop the answer when it comes. */
  private abandon(reqno: number, p: Pending): void {
    const s = p.settle;
    if (!s) return;
    p.settle = undefined;
    p.unlisten = undefined;
    if (!this.ended) this.socket.write(encodeFrame(cancelRequest(this.allocReqno(), reqno)));
    s.reject(abortError());
  }

  private onData(chunk: Uint8Array): void {
    if (this.ended) return;
    let frames: Uint8Array[];
    let broken: FrameError | undefined;
    try {
      frames = this.splitter.push(chunk);
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      // take the whole frames that came before the bad length, then give up the stream
      broken = e;
      frames = e.frames;
    }
    try {
      for (const raw of frames) {
        this.onFrame(decodeFrame(raw));
        if (this.ended) return;
      }
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      broken = e;
    }
    if (broken) this.fail(ERRNO.EPROTO, `bad frame from the server: ${broken.message}`);
  }

  private onFrame(f: Frame): void {
    if (f.cls === CLASS.REQUEST) {
      // The server asks nothing of clients but liveness.
      const answer =
        f.type === TYPE.PING
          ? pingResponse(f.reqno)
          : protocolError(f.reqno, f.type, ERRNO.EOPNOTSUPP, 'a client serves no requests');
      this.socket.write(encodeFrame(answer));
      return;
    }
    if (f.cls === CLASS.ERROR) {
      const errno = f.aux === 0 ? ERRNO.EPROTO : f.aux;
      const p = this.pending.get(f.reqno);
      if (p) {
        this.pending.delete(f.reqno);
        this.settle(p, new SyscallError(errno, p.name, detailOf(f)));
        return;
      }
      // Not addressed to a call of ours: every pending call may have been its cause.
      const all = [...this.pending.values()];
      this.pending.clear();
      for (const q of all) this.settle(q, new SyscallError(errno, q.name, detailOf(f)));
      return;
    }
    const p = this.pending.get(f.reqno);
    if (!p) return; // an answer to nothing in flight: dropped
    this.pending.delete(f.reqno);
    if (f.type !== p.type)
      this.settle(p, new SyscallError(ERRNO.EPROTO, p.name, `answered by a frame of type ${f.type}`));
    else if (f.aux !== 0) this.settle(p, new SyscallError(f.aux, p.name, detailOf(f)));
    else this.settle(p, f);
  }

  private settle(p: Pending, outcome: Frame | Error): void {
    const s = p.settle;
    p.unlisten?.();
    p.settle = undefined;
    if (!s) return;
    if (outcome instanceof Error) s.reject(outcome);
    else s.resolve(outcome);
  }

  private fail(errno: number, detail: string): void {
    if (this.ended) return;
    this.ended = { errno, detail };
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) this.settle(p, new SyscallError(errno, p.name, detail));
    this.socket.destroy();
    this.emit('close', new SyscallError(errno, 'connection', detail));
  }
}
