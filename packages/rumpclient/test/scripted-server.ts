// A test double of the rump kernel server: it speaks the sysproxy protocol with the same
// @rumpflow/sysproxy code the real server uses (banner, bounded frames, NEW_PROCESS and JOIN
// with token and secret, SYSCALL, CANCEL, PING, error frames) over real sockets, and answers
// syscalls from scripted handlers. Built in: getpid, getppid, pipe2, read (blocks until a
// write, a close of the write end or a CANCEL), write, close, dup. Tests add handlers, watch
// every frame received, and inject raw bytes to play a broken server.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import net from 'node:net';
import {
  CLASS,
  DEFAULT_MAX_FRAME,
  ERRNO,
  type Frame,
  FrameError,
  FrameSplitter,
  HANDSHAKE,
  SYSCALLS,
  type SyscallName,
  SyscallError,
  TYPE,
  type Value,
  checkShapes,
  decodeFrame,
  encodeFrame,
  failure,
  formatBanner,
  handshakeOk,
  pingResponse,
  protocolError,
  syscallName,
  syscallOk,
} from '@rumpflow/sysproxy';

/** A call as a handler sees it. `signal` aborts when the client cancels it or goes away. */
export interface Call {
  readonly conn: ServerConn;
  readonly proc: Proc;
  readonly reqno: number;
  readonly args: Value[];
  readonly signal: AbortSignal;
}

/** Returns the results, or throws SyscallError for a failure answer. */
export type Handler = (call: Call) => Value[] | Promise<Value[]>;

export interface ScriptedServerOptions {
  /** Unix socket path; without one, TCP on 127.0.0.1 and a free port. */
  readonly path?: string;
  /** The banner line as sent (default: a well-formed one from auth and maxFrame). */
  readonly banner?: string;
  readonly auth?: 'none' | 'token';
  readonly token?: string;
  readonly maxFrame?: number;
  /** The first pid handed out (default 100). */
  readonly firstPid?: number;
  readonly handlers?: Partial<Record<SyscallName, Handler>>;
  /** Sees every frame first; returning true means handled (no default answer). */
  readonly onFrame?: (conn: ServerConn, frame: Frame) => boolean | void;
  /** Send nothing at all on accept (a peer that never speaks). */
  readonly silent?: boolean;
}

class Pipe {
  private chunks: Uint8Array[] = [];
  private readonly wakers = new Set<() => void>();
  writerClosed = false;

  write(data: Uint8Array): number {
    this.chunks.push(new Uint8Array(data));
    for (const w of [...this.wakers]) w();
    return data.length;
  }

  closeWriter(): void {
    this.writerClosed = true;
    for (const w of [...this.wakers]) w();
  }

  async read(n: number, signal: AbortSignal): Promise<Uint8Array> {
    while (this.chunks.length === 0 && !this.writerClosed) {
      await new Promise<void>((resolve, reject) => {
        const wake = (): void => {
          this.wakers.delete(wake);
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          this.wakers.delete(wake);
          reject(new SyscallError(ERRNO.ECANCELED, 'read'));
        };
        this.wakers.add(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    const first = this.chunks[0];
    if (!first) return new Uint8Array(0);
    if (first.length <= n) {
      this.chunks.shift();
      return first;
    }
    this.chunks[0] = first.subarray(n);
    return first.subarray(0, n);
  }
}

type FileObj = { readonly kind: 'pipe-r' | 'pipe-w'; readonly pipe: Pipe };

/** A process: its fd table, shared by every connection that joined it. */
export class Proc {
  readonly fds = new Map<number, FileObj>();
  readonly conns = new Set<ServerConn>();
  readonly secret = randomBytes(16);
  constructor(
    readonly pid: number,
    readonly program: string,
  ) {}

  add(f: FileObj): number {
    let fd = 0;
    while (this.fds.has(fd)) fd++;
    this.fds.set(fd, f);
    return fd;
  }

  get(fd: Value | undefined, name: string): FileObj {
    const f = typeof fd === 'number' ? this.fds.get(fd) : undefined;
    if (!f) throw new SyscallError(ERRNO.EBADF, name);
    return f;
  }
}

export class ServerConn {
  proc: Proc | undefined;
  readonly inFlight = new Map<number, AbortController>();
  constructor(
    readonly id: number,
    readonly socket: net.Socket,
  ) {}

  send(f: Frame): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(f));
  }

  sendRaw(b: Uint8Array | string): void {
    if (!this.socket.destroyed) this.socket.write(b);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface Received {
  readonly conn: ServerConn;
  readonly frame: Frame;
}

export class ScriptedServer extends EventEmitter<{ frame: [Received] }> {
  readonly received: Received[] = [];
  readonly conns = new Set<ServerConn>();
  readonly procs = new Map<number, Proc>();
  private readonly server: net.Server;
  private nextPid: number;
  private nextConn = 1;
  private readonly handlers: Partial<Record<SyscallName, Handler>>;

  private constructor(readonly opts: ScriptedServerOptions) {
    super();
    this.nextPid = opts.firstPid ?? 100;
    this.handlers = { ...defaultHandlers(), ...opts.handlers };
    this.server = net.createServer((s) => this.accept(s));
  }

  static async start(opts: ScriptedServerOptions = {}): Promise<ScriptedServer> {
    const srv = new ScriptedServer(opts);
    if (opts.path) rmSync(opts.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      srv.server.once('error', reject);
      if (opts.path) srv.server.listen(opts.path, resolve);
      else srv.server.listen(0, '127.0.0.1', resolve);
    });
    return srv;
  }

  /** The RUMP_SERVER URL of this server. */
  get url(): string {
    if (this.opts.path) return `unix://${this.opts.path}`;
    const a = this.server.address() as net.AddressInfo;
    return `tcp://127.0.0.1:${a.port}`;
  }

  get maxFrame(): number {
    return this.opts.maxFrame ?? DEFAULT_MAX_FRAME;
  }

  /** Frames of a type received so far. */
  framesOf(type: number): Received[] {
    return this.received.filter((r) => r.frame.type === type);
  }

  /** Resolves with the first frame (already received or coming) that matches. */
  waitForFrame(match: (f: Frame) => boolean): Promise<Received> {
    const seen = this.received.find((r) => match(r.frame));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const on = (r: Received): void => {
        if (!match(r.frame)) return;
        this.off('frame', on);
        resolve(r);
      };
      this.on('frame', on);
    });
  }

  /** Stop accepting (the listening socket goes, connections stay). */
  stopListening(): void {
    this.server.close();
  }

  /** Drop every connection, as a crashing server would. */
  dropConnections(): void {
    for (const c of this.conns) c.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const conn = new ServerConn(this.nextConn++, socket);
    this.conns.add(conn);
    socket.on('error', () => undefined);
    socket.on('close', () => this.gone(conn));
    if (this.opts.silent) return;
    socket.write(
      this.opts.banner ??
        formatBanner({
          version: 1,
          implementation: 'scripted-server',
          implementationVersion: '0.0.0',
          auth: this.opts.auth ?? 'none',
          maxFrame: this.maxFrame,
        }),
    );
    const splitter = new FrameSplitter(this.maxFrame);
    socket.on('data', (chunk: Buffer) => {
      let raws: Uint8Array[];
      try {
        raws = splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (e) {
        const fe = e as FrameError;
        conn.send(protocolError(fe.reqno ?? 0, TYPE.SYSCALL, ERRNO.EMSGSIZE, fe.message));
        socket.end();
        return;
      }
      for (const raw of raws) {
        let f: Frame;
        try {
          f = decodeFrame(raw);
        } catch (e) {
          if (!(e instanceof FrameError)) throw e;
          conn.send(protocolError(e.reqno ?? 0, TYPE.SYSCALL, ERRNO.EINVAL, e.message));
          continue;
        }
        const r = { conn, frame: f };
        this.received.push(r);
        this.emit('frame', r);
        if (this.opts.onFrame?.(conn, f) === true) continue;
        this.dispatch(conn, f);
      }
    });
  }

  private gone(conn: ServerConn): void {
    this.conns.delete(conn);
    for (const ac of conn.inFlight.values()) ac.abort();
    const p = conn.proc;
    if (!p) return;
    p.conns.delete(conn);
    if (p.conns.size === 0) {
      this.procs.delete(p.pid);
      for (const f of p.fds.values()) if (f.kind === 'pipe-w') f.pipe.closeWriter();
    }
  }

  private dispatch(conn: ServerConn, f: Frame): void {
    if (f.cls !== CLASS.REQUEST) {
      conn.send(protocolError(f.reqno, f.type, ERRNO.EINVAL, 'clients send requests only'));
      return;
    }
    if (f.type === TYPE.HANDSHAKE) return this.handshake(conn, f);
    if (!conn.proc) {
      conn.send(protocolError(f.reqno, f.type, ERRNO.EPERM, 'handshake first'));
      conn.socket.end();
      return;
    }
    if (f.type === TYPE.PING) return conn.send(pingResponse(f.reqno));
    if (f.type === TYPE.CANCEL) return void conn.inFlight.get(f.aux)?.abort();
    void this.syscall(conn, conn.proc, f);
  }

  private handshake(conn: ServerConn, f: Frame): void {
    const refuse = (errno: number, why: string): void => {
      conn.send(failure(f.reqno, TYPE.HANDSHAKE, errno, why));
      conn.socket.end();
    };
    if (conn.proc) return refuse(ERRNO.EINVAL, 'already shaken hands');
    const token = f.aux === HANDSHAKE.JOIN ? f.body[2] : f.body[1];
    if (this.opts.auth === 'token') {
      if (token === null || token === undefined) return refuse(ERRNO.ENEEDAUTH, 'a token is required');
      if (token !== this.opts.token) return refuse(ERRNO.EAUTH, 'wrong token');
    }
    let proc: Proc | undefined;
    if (f.aux === HANDSHAKE.NEW_PROCESS) {
      const program = f.body[0];
      if (typeof program !== 'string') return refuse(ERRNO.EINVAL, 'program name missing');
      proc = new Proc(this.nextPid++, program);
      this.procs.set(proc.pid, proc);
    } else if (f.aux === HANDSHAKE.JOIN) {
      const [pid, secret] = f.body;
      proc = typeof pid === 'number' ? this.procs.get(pid) : undefined;
      if (
        !proc ||
        !(secret instanceof Uint8Array) ||
        secret.length !== 16 ||
        !timingSafeEqual(secret, proc.secret)
      ) {
        return refuse(ERRNO.ESRCH, 'no such process');
      }
    } else {
      return refuse(ERRNO.EINVAL, `handshake kind ${f.aux}`);
    }
    conn.proc = proc;
    proc.conns.add(conn);
    conn.send(handshakeOk(f.reqno, proc.pid, proc.secret));
  }

  private async syscall(conn: ServerConn, proc: Proc, f: Frame): Promise<void> {
    const name = syscallName(f.aux);
    const handler = name ? this.handlers[name] : undefined;
    if (!name || !handler) return conn.send(failure(f.reqno, TYPE.SYSCALL, ERRNO.ENOSYS, `syscall ${f.aux}`));
    const bad = checkShapes(SYSCALLS[name].args, f.body);
    if (bad) return conn.send(failure(f.reqno, TYPE.SYSCALL, ERRNO.EINVAL, bad));
    const ac = new AbortController();
    conn.inFlight.set(f.reqno, ac);
    try {
      const results = await handler({ conn, proc, reqno: f.reqno, args: f.body, signal: ac.signal });
      conn.send(syscallOk(f.reqno, results));
    } catch (e) {
      if (!(e instanceof SyscallError)) throw e;
      conn.send(failure(f.reqno, TYPE.SYSCALL, e.errno));
    } finally {
      conn.inFlight.delete(f.reqno);
    }
  }
}

function defaultHandlers(): Partial<Record<SyscallName, Handler>> {
  return {
    getpid: ({ proc }) => [proc.pid, 1],
    getppid: () => [1],
    pipe2: ({ proc }) => {
      const pipe = new Pipe();
      return [0, proc.add({ kind: 'pipe-r', pipe }), proc.add({ kind: 'pipe-w', pipe })];
    },
    read: async ({ proc, args, signal }) => {
      const f = proc.get(args[0], 'read');
      if (f.kind !== 'pipe-r') throw new SyscallError(ERRNO.EBADF, 'read');
      const data = await f.pipe.read(args[1] as number, signal);
      return [data.length, data];
    },
    write: ({ proc, args }) => {
      const f = proc.get(args[0], 'write');
      if (f.kind !== 'pipe-w') throw new SyscallError(ERRNO.EBADF, 'write');
      return [f.pipe.write(args[1] as Uint8Array)];
    },
    close: ({ proc, args }) => {
      const f = proc.get(args[0], 'close');
      proc.fds.delete(args[0] as number);
      if (f.kind === 'pipe-w') f.pipe.closeWriter();
      return [0];
    },
    dup: ({ proc, args }) => [proc.add(proc.get(args[0], 'dup'))],
  };
}
