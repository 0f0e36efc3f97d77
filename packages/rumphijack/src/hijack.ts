// The hijack's state and its calls into the kernel: which program fds are rump fds (fd +
// fdoff, NetBSD's fd_rump2host), the async calls on the program's connection, the sync ones
// through the joined worker (sync.ts), and readiness through kevent in the kernel. fs
// argument juggling lives in patch-fs.ts; this module speaks fds, paths and bytes.

import { closeSync as hostCloseSync } from 'node:fs';
import { EV, EVFILT, O, type RumpClient, type RumpStat, SyscallError, rumpStat } from '@rumpflow/rumpclient';
import type { SyscallName, Value } from '@rumpflow/sysproxy';
import { type HijackConfig, type Route, routePath } from './config.js';
import { fromRump, nodeError } from './errors.js';
import type { SyncCaller } from './sync.js';

/** What a rump fd is, as far as the program's calls care. */
interface RumpFd {
  /** A pipe end (no offsets: a position is ESPIPE) or anything else (devices ignore it). */
  readonly pipe: boolean;
  readonly nonblocking: boolean;
  /** The per-fd kqueue that readiness waits use, made on first need. */
  kq?: Promise<number>;
  /**
   * Bytes the kernel last reported readable (kevent's data) that the program has not read
   * yet: while some are left a read needs no new kevent round trip. Only hints can be lost
   * (another process reading the same pipe): the read then waits in the kernel instead.
   */
  reported: number;
}

const int = (v: Value | undefined): number => (typeof v === 'bigint' ? Number(v) : (v as number));

export class Hijack {
  /** Live rump fds of the current kernel process, by rump fd. */
  private readonly fds = new Map<number, RumpFd>();
  /** Program fds of a process lost with a connection: calls on them fail with EBADF. */
  private readonly stale = new Set<number>();
  /** Calls in flight: the connection keeps the program alive only while there are some. */
  private inflight = 0;

  constructor(
    readonly client: RumpClient,
    readonly config: HijackConfig,
    private readonly sync: SyncCaller,
  ) {
    client.unref();
    // a reconnect is a new process: every fd of the old one is gone (NetBSD's behaviour)
    client.on('reconnect', () => {
      for (const fd of this.fds.keys()) this.stale.add(fd + this.config.fdoff);
      this.fds.clear();
    });
  }

  get fdoff(): number {
    return this.config.fdoff;
  }

  route(path: string): Route {
    return routePath(this.config, path);
  }

  /** Is this program fd one of ours (live or lost with a connection)? */
  owns(fd: unknown): fd is number {
    if (typeof fd !== 'number' || !Number.isInteger(fd)) return false;
    return this.fds.has(fd - this.config.fdoff) || this.stale.has(fd);
  }

  /** The rump fd of a program fd, or EBADF (a stale one). */
  private rumpFd(fd: number, syscall: string): number {
    const r = fd - this.config.fdoff;
    if (!this.fds.has(r)) throw nodeError('EBADF', syscall);
    return r;
  }

  private adopt(rfd: number, info: RumpFd): number {
    const fd = rfd + this.config.fdoff;
    this.stale.delete(fd);
    this.fds.set(rfd, info);
    return fd;
  }

  /**
   * A host fd that lands at or above fdoff could be taken for a rump fd: closed, ENFILE
   * (NetBSD's fd_host2host). Called on every fd the program's fs.open* gets from the host.
   */
  checkHostFd(fd: number, syscall: string, path?: string): number {
    if (fd < this.config.fdoff) return fd;
    hostCloseSync(fd);
    throw nodeError('ENFILE', syscall, path);
  }

  /** Run an async kernel call, holding the program alive while it is out. */
  private async run<T>(syscall: string, path: string | undefined, op: () => Promise<T>): Promise<T> {
    if (this.inflight++ === 0) this.client.ref();
    try {
      return await op();
    } catch (e) {
      throw fromRump(e, syscall, path);
    } finally {
      if (--this.inflight === 0) this.client.unref();
    }
  }

  private syncCall(name: SyscallName, args: readonly Value[], syscall: string, path?: string): Value[] {
    try {
      return this.sync.call(name, args);
    } catch (e) {
      throw fromRump(e, syscall, path);
    }
  }

  // -- async ---------------------------------------------------------------------------------

  open(rumpPath: string, flags: number, mode: number, shownPath: string): Promise<number> {
    return this.run('open', shownPath, async () => {
      const rfd = await this.client.open(rumpPath, flags, mode);
      return this.adopt(rfd, { pipe: false, nonblocking: (flags & O.NONBLOCK) !== 0, reported: 0 });
    });
  }

  /** pipe2(2) in the kernel: [read end, write end] as program fds. */
  pipe(): Promise<[number, number]> {
    return this.run('pipe', undefined, async () => {
      const [r, w] = await this.client.pipe2(0);
      return [
        this.adopt(r, { pipe: true, nonblocking: false, reported: 0 }),
        this.adopt(w, { pipe: true, nonblocking: false, reported: 0 }),
      ];
    });
  }

  close(fd: number): Promise<void> {
    if (this.stale.delete(fd)) return Promise.resolve();
    return this.run('close', undefined, async () => {
      const r = this.rumpFd(fd, 'close');
      const info = this.fds.get(r);
      this.fds.delete(r);
      const kq = info?.kq;
      await this.client.close(r);
      if (kq) await kq.then((k) => this.client.close(k)).catch(() => undefined);
    });
  }

  /** read(2) of up to `length` bytes, issued once the kernel reports the fd readable. */
  read(
    fd: number,
    length: number,
    position: number | bigint | null,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    return this.run('read', undefined, async () => {
      const r = this.rumpFd(fd, 'read');
      this.checkPosition(r, position, 'read');
      if (length === 0) return new Uint8Array(0);
      const info = await this.readable(r, signal);
      const data = await this.client.read(r, length, { signal });
      this.consumed(info, data.length);
      return data;
    });
  }

  readv(fd: number, lengths: readonly number[], position: number | null): Promise<Uint8Array[]> {
    return this.run('read', undefined, async () => {
      const r = this.rumpFd(fd, 'read');
      this.checkPosition(r, position, 'read');
      if (lengths.every((l) => l === 0)) return lengths.map(() => new Uint8Array(0));
      const info = await this.readable(r);
      const parts = await this.client.readv(r, lengths);
      this.consumed(
        info,
        parts.reduce((a, p) => a + p.length, 0),
      );
      return parts;
    });
  }

  write(fd: number, data: Uint8Array, position: number | bigint | null): Promise<number> {
    return this.run('write', undefined, async () => {
      const r = this.rumpFd(fd, 'write');
      this.checkPosition(r, position, 'write');
      return this.client.write(r, data);
    });
  }

  writev(fd: number, bufs: readonly Uint8Array[], position: number | null): Promise<number> {
    return this.run('write', undefined, async () => {
      const r = this.rumpFd(fd, 'write');
      this.checkPosition(r, position, 'write');
      return this.client.writev(r, bufs);
    });
  }

  fstat(fd: number): Promise<RumpStat> {
    return this.run('fstat', undefined, () => this.client.fstat(this.rumpFd(fd, 'fstat')));
  }

  /**
   * Resolves when the kernel reports rump fd `r` readable: EVFILT_READ, level-triggered, on
   * the fd's own kqueue, so concurrent waits on one fd all wake and waits on different fds
   * never take each other's events. Data already reported and not yet read needs no new
   * report. An fd opened O_NONBLOCK does not wait: its read answers EAGAIN as the host's would.
   */
  private async readable(r: number, signal?: AbortSignal): Promise<RumpFd | undefined> {
    const info = this.fds.get(r);
    if (!info || info.nonblocking || info.reported > 0) return info;
    await this.keventRead(r, info, signal);
    return info;
  }

  /** `n` bytes of what was reported have been read (0: end of file, nothing more known). */
  private consumed(info: RumpFd | undefined, n: number): void {
    if (info) info.reported = n === 0 ? 0 : Math.max(0, info.reported - n);
  }

  private async keventRead(r: number, info: RumpFd, signal?: AbortSignal): Promise<void> {
    info.kq ??= this.client.kqueue();
    const kq = await info.kq;
    const [ev] = await this.client.kevent(
      kq,
      [{ ident: r, filter: EVFILT.READ, flags: EV.ADD, fflags: 0, data: 0, udata: 0 }],
      1,
      null,
      { signal },
    );
    if (ev && (ev.flags & EV.ERROR) !== 0 && Number(ev.data) !== 0)
      throw new SyscallError(Number(ev.data), 'kevent');
    // an EOF report (EV_EOF, no data) still lets the read through, to return 0
    info.reported = ev && (ev.flags & EV.ERROR) === 0 ? Number(ev.data) : 0;
  }

  /** Wait for a program fd of ours to be readable (waitAny's rump side). */
  waitReadable(fd: number, signal?: AbortSignal): Promise<void> {
    return this.run('kevent', undefined, async () => {
      const r = this.rumpFd(fd, 'kevent');
      await this.keventRead(r, this.fds.get(r) as RumpFd, signal);
    });
  }

  // -- sync (through the joined worker) ------------------------------------------------------

  openSync(rumpPath: string, flags: number, mode: number, shownPath: string): number {
    const [fd] = this.syncCall('open', [rumpPath, flags, mode], 'open', shownPath);
    return this.adopt(int(fd), { pipe: false, nonblocking: (flags & O.NONBLOCK) !== 0, reported: 0 });
  }

  closeSync(fd: number): void {
    if (this.stale.delete(fd)) return;
    const r = this.rumpFd(fd, 'close');
    const info = this.fds.get(r);
    this.fds.delete(r);
    this.syncCall('close', [r], 'close');
    if (info?.kq) void info.kq.then((k) => this.client.close(k)).catch(() => undefined);
  }

  readSync(fd: number, length: number, position: number | bigint | null): Uint8Array {
    const r = this.rumpFd(fd, 'read');
    this.checkPosition(r, position, 'read');
    if (length === 0) return new Uint8Array(0);
    const data = this.syncCall('read', [r, length], 'read')[1] as Uint8Array;
    this.consumed(this.fds.get(r), data.length);
    return data;
  }

  readvSync(fd: number, lengths: readonly number[], position: number | null): Uint8Array[] {
    const r = this.rumpFd(fd, 'read');
    this.checkPosition(r, position, 'read');
    const parts = this.syncCall('readv', [r, [...lengths]], 'read')[1] as Uint8Array[];
    this.consumed(
      this.fds.get(r),
      parts.reduce((a, p) => a + p.length, 0),
    );
    return parts;
  }

  writeSync(fd: number, data: Uint8Array, position: number | bigint | null): number {
    const r = this.rumpFd(fd, 'write');
    this.checkPosition(r, position, 'write');
    return int(this.syncCall('write', [r, data], 'write')[0]);
  }

  writevSync(fd: number, bufs: readonly Uint8Array[], position: number | null): number {
    const r = this.rumpFd(fd, 'write');
    this.checkPosition(r, position, 'write');
    return int(this.syncCall('writev', [r, [...bufs]], 'write')[0]);
  }

  fstatSync(fd: number): RumpStat {
    const r = this.rumpFd(fd, 'fstat');
    const [, f] = this.syncCall('__fstat50', [r], 'fstat');
    return rumpStat(f);
  }

  /** Pipes have no offsets (ESPIPE, as pread on a pipe); devices ignore one, as BSD's do. */
  private checkPosition(r: number, position: number | bigint | null, syscall: string): void {
    if (position === null || position === -1 || position === -1n) return;
    if (this.fds.get(r)?.pipe) throw nodeError('ESPIPE', syscall);
  }

  /** Drop the connection and the worker (tests; the program's end needs nothing). */
  async shutdown(): Promise<void> {
    await this.sync.stop();
    await this.client.close();
  }
}
