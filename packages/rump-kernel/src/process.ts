// A process of the rump kernel: one per client (or per set of joined connections), with its
// own fd table. Blocked calls are tracked by fd so that close() can wake them with EBADF, and
// all of them end when the process exits.

import { ERRNO } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import type { OpenFile } from './file.js';
import type { Interrupt } from './wait.js';

export interface FdEntry {
  readonly file: OpenFile;
  cloexec: boolean;
}

export class Process {
  readonly fds = new Map<number, FdEntry>();
  /** Calls in flight, by the fd they act on (-1: none). */
  private readonly inFlight = new Map<number, Set<Interrupt>>();
  /** Told about every fd closed (kqueues drop the registrations of a closed fd). */
  readonly fdCloseListeners = new Set<(fd: number) => void>();
  /** Connections attached to this process. */
  connections = 0;
  /** EVFILT_TIMER registrations over all its kqueues (bounded by MAX_TIMERS_PER_PROCESS). */
  timers = 0;
  /**
   * Its open /dev/ktrace files. A process that reads the trace is a tracer, and no tracer sees
   * a tracer's calls: two tracers would otherwise feed each other forever (each read of one is
   * a line for the other, whose read is a line for the first...).
   */
  traceReaders = 0;
  readonly started = Date.now();
  exited = false;

  constructor(
    readonly pid: number,
    readonly program: string,
    readonly ppid: number,
    readonly joinSecret: Uint8Array,
    readonly maxFds: number,
  ) {}

  /** Does it read /dev/ktrace (see traceReaders)? */
  get isTracer(): boolean {
    return this.traceReaders > 0;
  }

  /** The entry of an open fd, or EBADF. */
  entry(fd: number): FdEntry {
    const e = this.fds.get(fd);
    if (!e) throw new KernelError(ERRNO.EBADF, `fd ${fd}`);
    return e;
  }

  /** Install a file at the lowest free fd (at least `min`). */
  install(file: OpenFile, cloexec = false, min = 0): number {
    if (this.fds.size >= this.maxFds) throw new KernelError(ERRNO.EMFILE);
    let fd = min;
    while (this.fds.has(fd)) fd++;
    if (fd >= this.maxFds) throw new KernelError(ERRNO.EMFILE);
    this.fds.set(fd, { file, cloexec });
    return fd;
  }

  /** Put `file` at exactly `fd`, closing what was there. */
  installAt(fd: number, file: OpenFile): void {
    if (fd < 0 || fd >= this.maxFds) throw new KernelError(ERRNO.EBADF, `fd ${fd}`);
    if (this.fds.has(fd)) this.closeFd(fd);
    this.fds.set(fd, { file, cloexec: false });
  }

  /** Close an fd: calls blocked on it end with EBADF; the file loses a reference. */
  closeFd(fd: number): void {
    const e = this.entry(fd);
    this.fds.delete(fd);
    const blocked = this.inFlight.get(fd);
    if (blocked) for (const intr of blocked) intr.fire(new KernelError(ERRNO.EBADF, `fd ${fd} closed`));
    for (const l of this.fdCloseListeners) l(fd);
    e.file.release();
  }

  /** Track a call in flight on `fd` until the returned function is called. */
  track(fd: number, intr: Interrupt): () => void {
    let set = this.inFlight.get(fd);
    if (!set) {
      set = new Set();
      this.inFlight.set(fd, set);
    }
    set.add(intr);
    return () => {
      set.delete(intr);
      if (set.size === 0) this.inFlight.delete(fd);
    };
  }

  get callsInFlight(): number {
    let n = 0;
    for (const s of this.inFlight.values()) n += s.size;
    return n;
  }

  /** The process ends: every call in flight fails, every fd closes. */
  exit(): void {
    if (this.exited) return;
    this.exited = true;
    for (const set of this.inFlight.values()) for (const intr of set) intr.fire(new KernelError(ERRNO.ESRCH, 'process exited'));
    this.inFlight.clear();
    this.fdCloseListeners.clear();
    for (const fd of [...this.fds.keys()]) {
      const e = this.fds.get(fd) as FdEntry;
      this.fds.delete(fd);
      e.file.release();
    }
  }
}
