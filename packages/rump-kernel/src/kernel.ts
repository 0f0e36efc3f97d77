// The kernel: processes, the device switch, and the syscalls, dispatched by NetBSD number
// from sysproxy requests. Syscalls are async: one that must wait (an empty pipe, a device
// with nothing queued) awaits its object's WaitChannel and holds up nothing else, so any
// number of calls from any number of clients can be blocked at once.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ERRNO, F, FD_CLOEXEC, O, S_IF, SYSCALLS, type SyscallName, type Value, checkShapes, syscallName } from '@rumpflow/sysproxy';
import { DeviceSwitch, nullDriver, zeroDriver } from './devices.js';
import { KernelError } from './errors.js';
import { kinfoDriver, ktraceDriver } from './kinfo.js';
import { SyscallTap } from './tap.js';
import { type FileObject, type IoContext, type IoctlResult, OpenFile } from './file.js';
import { kqueueSyscalls } from './kqueue.js';
import { createPipe } from './pipe.js';
import { pollSyscall } from './poll.js';
import { ObjectCounter } from './objects.js';
import { Process } from './process.js';
import { createSocket, type SocketIoctl } from './socket.js';
import { type Timers, realTimers } from './timers.js';
import type { Interrupt } from './wait.js';

export interface KernelOptions {
  /** Most fds per process (default 1024). */
  readonly maxFds?: number;
  /** Most bytes one read/readv returns, value encoding included (default 1 MiB: what a frame carries). */
  readonly maxIo?: number;
  /** Most processes at once (default 4096, at most PID_MAX). */
  readonly maxProcesses?: number;
  /** The clock of kevent/poll timeouts and EVFILT_TIMER (default: real, unref'd timers). */
  readonly timers?: Timers;
}

/** Pids run from 1 to PID_MAX (NetBSD's), so at most PID_MAX processes exist at once. */
export const PID_MAX = 99999;
/** The largest maxFds a kernel accepts. */
export const MAX_FDS_LIMIT = 1 << 20;

/** A completed syscall, for tracing and metrics. */
export interface SyscallRecord {
  readonly pid: number;
  readonly program: string;
  readonly syscall: string;
  readonly args: readonly Value[];
  /** Results on success. */
  readonly results?: readonly Value[];
  /** errno on failure. */
  readonly errno?: number;
  readonly startedAt: number;
  readonly durationMs: number;
  /** Made by a process that reads /dev/ktrace: other tracers do not see it (Process.traceReaders). */
  readonly tracer: boolean;
}

export type Handler = (k: Kernel, p: Process, args: Value[], intr: Interrupt) => Promise<Value[]> | Value[];

const int = (v: Value): number => {
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new KernelError(ERRNO.EINVAL, 'integer out of range');
    return Number(v);
  }
  return v as number;
};

const SOCK_CLOEXEC = 0x10000000;
const SOCK_NONBLOCK = 0x20000000;

/** `value` when it is an integer in [min, max]; else RangeError naming the option. */
function checkedLimit(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer from ${min} to ${max}, not ${value}`);
  return value;
}

const asKernelError = (e: unknown): KernelError => (e instanceof KernelError ? e : new KernelError(ERRNO.EIO, (e as Error).message));

export class Kernel {
  readonly devices = new DeviceSwitch();
  readonly processes = new Map<number, Process>();
  /** Interface ioctls on sockets (the networking layer installs it). */
  socketIoctl: SocketIoctl | undefined;
  /** Every completed syscall (ktrace, metrics). */
  readonly trace = new SyscallTap();
  /** Numbers and open counts of the pipes, kqueues and sockets it made. */
  readonly objects = new ObjectCounter();
  /** Called by reboot(2): the server halts. Without it, reboot is EPERM. */
  onHalt: (() => void) | undefined;
  readonly maxFds: number;
  readonly maxIo: number;
  readonly maxProcesses: number;
  readonly timers: Timers;
  private nextPid = 1;

  /** Throws RangeError for limits out of range. */
  constructor(opts: KernelOptions = {}) {
    this.maxFds = checkedLimit('maxFds', opts.maxFds ?? 1024, 1, MAX_FDS_LIMIT);
    this.maxIo = checkedLimit('maxIo', opts.maxIo ?? 1024 * 1024, 1, Number.MAX_SAFE_INTEGER);
    this.maxProcesses = checkedLimit('maxProcesses', opts.maxProcesses ?? 4096, 1, PID_MAX);
    this.timers = opts.timers ?? realTimers;
    this.devices.register('null', nullDriver);
    this.devices.register('zero', zeroDriver);
    this.devices.register('kinfo', kinfoDriver(this));
    this.devices.register('ktrace', ktraceDriver(this));
  }

  /** A new process for a client that said NEW_PROCESS. */
  newProcess(program: string): Process {
    if (this.processes.size >= this.maxProcesses) throw new KernelError(ERRNO.EAGAIN, 'process table full');
    const pid = this.freePid();
    const p = new Process(pid, program.slice(0, 64) || 'unknown', 0, randomBytes(16), this.maxFds);
    p.connections = 1;
    this.processes.set(pid, p);
    return p;
  }

  /** The next unused pid after the last one given, wrapping at PID_MAX; EAGAIN if none is free. */
  private freePid(): number {
    let pid = this.nextPid;
    for (let tries = 0; tries < PID_MAX; tries++, pid = pid >= PID_MAX ? 1 : pid + 1) {
      if (this.processes.has(pid)) continue;
      this.nextPid = pid >= PID_MAX ? 1 : pid + 1;
      return pid;
    }
    throw new KernelError(ERRNO.EAGAIN, 'no free pid');
  }

  /** Attach another connection to process `pid`, proving it knows the join secret. */
  join(pid: number, secret: Uint8Array): Process {
    const p = this.processes.get(pid);
    if (!p || p.exited || secret.length !== p.joinSecret.length || !timingSafeEqual(secret, p.joinSecret)) {
      throw new KernelError(ERRNO.ESRCH, `no process ${pid} with that secret`);
    }
    p.connections++;
    return p;
  }

  /** A connection of `p` closed; the process exits with its last connection. */
  detach(p: Process): void {
    if (--p.connections > 0) return;
    p.exit();
    this.processes.delete(p.pid);
  }

  /**
   * Run syscall number `sysno` for `p`. Resolves with the results; rejects with
   * KernelError (ENOSYS for an unknown number, EINVAL for arguments of the wrong shape).
   */
  async syscall(p: Process, sysno: number, args: Value[], intr: Interrupt): Promise<Value[]> {
    const startedAt = Date.now();
    const tracer = p.isTracer;
    const name = syscallName(sysno);
    let results: Value[] | undefined;
    let errno: number | undefined;
    try {
      results = await this.dispatch(p, sysno, args, intr);
      return results;
    } catch (e) {
      const ke = asKernelError(e);
      errno = ke.errno;
      throw ke;
    } finally {
      // records cost only while someone subscribes (ktrace, metrics)
      if (this.trace.subscribers > 0) {
        const outcome = results ? { results } : { errno };
        const record = { pid: p.pid, program: p.program, syscall: name ?? `#${sysno}`, args, ...outcome, startedAt, durationMs: Date.now() - startedAt };
        this.trace.emit({ ...record, tracer: tracer || p.isTracer });
      }
    }
  }

  /** Check and run one call: ENOSYS for an unknown number, EINVAL for arguments of the wrong shape. */
  private dispatch(p: Process, sysno: number, args: Value[], intr: Interrupt): Promise<Value[]> | Value[] {
    const name = syscallName(sysno);
    if (name === undefined) throw new KernelError(ERRNO.ENOSYS, `syscall ${sysno}`);
    const handler = HANDLERS[name];
    if (handler === undefined) throw new KernelError(ERRNO.ENOSYS, name);
    const bad = checkShapes(SYSCALLS[name].args, args);
    if (bad) throw new KernelError(ERRNO.EINVAL, `${name}: ${bad}`);
    if (p.exited) throw new KernelError(ERRNO.ESRCH, 'process exited');
    return handler(this, p, args, intr);
  }

  /** Run `op` on fd's file with the I/O context, tracked so close(fd) interrupts it. */
  async onFd<T>(p: Process, fd: number, intr: Interrupt, op: (f: OpenFile, ctx: IoContext) => Promise<T> | T): Promise<T> {
    const f = p.entry(fd).file;
    const untrack = p.track(fd, intr);
    try {
      return await op(f, { nonblocking: f.nonblocking, intr, pid: p.pid });
    } finally {
      untrack();
    }
  }

  openPath(path: string, flags: number, pid: number): FileObject {
    if (path.startsWith('/dev/')) {
      if ((flags & O.DIRECTORY) !== 0) throw new KernelError(ERRNO.ENOTDIR, path);
      return this.devices.lookup(path).open({ pid, flags });
    }
    throw new KernelError(ERRNO.ENOENT, path);
  }
}

/** Install a new open file at the lowest free fd; if it cannot be (EMFILE), it closes again. */
function installOrRelease(p: Process, f: OpenFile, cloexec: boolean): number {
  try {
    return p.install(f, cloexec);
  } catch (e) {
    f.release();
    throw e;
  }
}

function ioctlOf(obj: FileObject): NonNullable<FileObject['ioctl']> {
  if (!obj.ioctl) throw new KernelError(ERRNO.ENOTTY);
  return obj.ioctl.bind(obj);
}

const HANDLERS: Partial<Record<SyscallName, Handler>> = {
  getpid: (_k, p) => [p.pid, p.ppid],
  getppid: (_k, p) => [p.ppid],

  reboot: (k) => {
    if (!k.onHalt) throw new KernelError(ERRNO.EPERM, 'this kernel cannot halt');
    // answer first, then halt
    setImmediate(() => k.onHalt?.());
    return [0];
  },

  open: (k, p, [path, flags, _mode]) => {
    const fl = int(flags as Value);
    if ((fl & O.ACCMODE) === O.ACCMODE) throw new KernelError(ERRNO.EINVAL, 'access mode');
    const obj = k.openPath(path as string, fl, p.pid);
    const f = new OpenFile(obj, fl & (O.ACCMODE | O.NONBLOCK | O.APPEND));
    return [installOrRelease(p, f, (fl & O.CLOEXEC) !== 0)];
  },

  close: (_k, p, [fd]) => {
    p.closeFd(int(fd as Value));
    return [0];
  },

  read: (k, p, [fd, n], intr) => {
    const want = int(n as Value);
    if (want < 0) throw new KernelError(ERRNO.EINVAL, 'negative length');
    return k.onFd(p, int(fd as Value), intr, async (f, ctx) => {
      if (!f.readable) throw new KernelError(ERRNO.EBADF, 'not open for reading');
      if (!f.object.read) throw new KernelError(ERRNO.EINVAL, `${f.object.name} cannot be read`);
      const data = await f.object.read(Math.min(want, k.maxIo), ctx);
      f.bytesRead += data.length;
      return [data.length, data];
    });
  },

  write: (k, p, [fd, data], intr) =>
    k.onFd(p, int(fd as Value), intr, async (f, ctx) => {
      if (!f.writable) throw new KernelError(ERRNO.EBADF, 'not open for writing');
      if (!f.object.write) throw new KernelError(ERRNO.EINVAL, `${f.object.name} cannot be written`);
      const n = await f.object.write(data as Uint8Array, ctx);
      f.bytesWritten += n;
      return [n];
    }),

  readv: (k, p, [fd, lens], intr) => {
    const sizes = (lens as Value[]).map(int);
    if (sizes.some((s) => s < 0)) throw new KernelError(ERRNO.EINVAL, 'negative length');
    if (sizes.length > 1024) throw new KernelError(ERRNO.EINVAL, 'more than IOV_MAX buffers');
    // each buffer costs 5 bytes of encoding in the reply: keep the whole reply within maxIo
    const total = Math.max(
      0,
      Math.min(
        sizes.reduce((a, b) => a + b, 0),
        k.maxIo - 5 * sizes.length,
      ),
    );
    return k.onFd(p, int(fd as Value), intr, async (f, ctx) => {
      if (!f.readable) throw new KernelError(ERRNO.EBADF, 'not open for reading');
      if (!f.object.read) throw new KernelError(ERRNO.EINVAL, `${f.object.name} cannot be read`);
      const data = await f.object.read(total, ctx);
      f.bytesRead += data.length;
      const parts: Value[] = [];
      let o = 0;
      for (const s of sizes) {
        parts.push(data.subarray(o, Math.min(o + s, data.length)));
        o = Math.min(o + s, data.length);
      }
      return [data.length, parts];
    });
  },

  writev: (k, p, [fd, bufs], intr) => {
    const list = bufs as Uint8Array[];
    if (list.length > 1024) throw new KernelError(ERRNO.EINVAL, 'more than IOV_MAX buffers');
    const all = Buffer.concat(list);
    return k.onFd(p, int(fd as Value), intr, async (f, ctx) => {
      if (!f.writable) throw new KernelError(ERRNO.EBADF, 'not open for writing');
      if (!f.object.write) throw new KernelError(ERRNO.EINVAL, `${f.object.name} cannot be written`);
      const n = await f.object.write(all, ctx);
      f.bytesWritten += n;
      return [n];
    });
  },

  ioctl: (k, p, [fd, cmd, data], intr) =>
    k.onFd(p, int(fd as Value), intr, async (f, ctx) => {
      const r: IoctlResult = await ioctlOf(f.object)(int(cmd as Value) >>> 0, data as Uint8Array | null, ctx);
      return [r.ret, r.out];
    }),

  fcntl: (_k, p, [fd, cmd, arg]) => {
    const n = int(fd as Value);
    const e = p.entry(n);
    const a = int(arg as Value);
    switch (int(cmd as Value)) {
      case F.GETFL:
        return [e.file.flags];
      case F.SETFL:
        e.file.flags = (e.file.flags & O.ACCMODE) | (a & (O.NONBLOCK | O.APPEND));
        return [0];
      case F.GETFD:
        return [e.cloexec ? FD_CLOEXEC : 0];
      case F.SETFD:
        e.cloexec = (a & FD_CLOEXEC) !== 0;
        return [0];
      case F.DUPFD:
      case F.DUPFD_CLOEXEC:
        // the lowest fd asked for must be a valid one (EINVAL, not EMFILE, as BSD)
        if (a < 0 || a >= p.maxFds) throw new KernelError(ERRNO.EINVAL, `fd ${a} out of range`);
        return [p.install(e.file.hold(), int(cmd as Value) === F.DUPFD_CLOEXEC, a)];
      default:
        throw new KernelError(ERRNO.EINVAL, `fcntl command ${int(cmd as Value)}`);
    }
  },

  dup: (_k, p, [fd]) => [p.install(p.entry(int(fd as Value)).file.hold())],

  // fstat(2): the file type from what the object is (devices are character devices, a
  // kqueue reads as a FIFO as in BSD), a pipe's size is what it holds; one user owns all.
  __fstat50: (_k, p, [fd]) => {
    const obj = p.entry(int(fd as Value)).file.object;
    const type = obj.kind === 'socket' ? S_IF.SOCK : obj.kind === 'pipe' || obj.kind === 'kqueue' ? S_IF.IFO : S_IF.CHR;
    const size = obj.kind === 'pipe' ? obj.readiness().readable : 0;
    return [0, [type | 0o666, 1, 0, 0, 0, size, 65536]];
  },

  dup2: (_k, p, [from, to]) => {
    const f = int(from as Value);
    const t = int(to as Value);
    const e = p.entry(f);
    if (f === t) return [t];
    if (t < 0 || t >= p.maxFds) throw new KernelError(ERRNO.EBADF, `fd ${t}`);
    p.installAt(t, e.file.hold());
    return [t];
  },

  pipe2: (k, p, [flags]) => {
    const fl = int(flags as Value);
    if ((fl & ~(O.NONBLOCK | O.CLOEXEC)) !== 0) throw new KernelError(ERRNO.EINVAL, 'pipe2 flags');
    const [r, w] = createPipe(k.objects);
    const nb = fl & O.NONBLOCK;
    const rf = new OpenFile(r, O.RDONLY | nb);
    const wf = new OpenFile(w, O.WRONLY | nb);
    const cloexec = (fl & O.CLOEXEC) !== 0;
    let rfd: number;
    try {
      rfd = p.install(rf, cloexec);
    } catch (e) {
      rf.release();
      wf.release();
      throw e;
    }
    try {
      return [0, rfd, p.install(wf, cloexec)];
    } catch (e) {
      p.closeFd(rfd);
      wf.release();
      throw e;
    }
  },

  __socket30: (k, p, [domain, type, protocol]) => {
    const t = int(type as Value);
    const obj = createSocket(int(domain as Value), t & ~(SOCK_CLOEXEC | SOCK_NONBLOCK), int(protocol as Value), k);
    const f = new OpenFile(obj, O.RDWR | ((t & SOCK_NONBLOCK) !== 0 ? O.NONBLOCK : 0));
    return [installOrRelease(p, f, (t & SOCK_CLOEXEC) !== 0)];
  },
};

Object.assign(HANDLERS, kqueueSyscalls, { poll: pollSyscall });

/** Syscalls this kernel implements (the others answer ENOSYS). */
export function implementedSyscalls(): SyscallName[] {
  return Object.keys(HANDLERS) as SyscallName[];
}
