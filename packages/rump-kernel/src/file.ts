// Open files. A FileObject is what an fd refers to (a device opening, a pipe end, a socket,
// a kqueue); an OpenFile is the open file description (the object, its status flags, a
// reference count), shared by dup()ed fds as in BSD.

import { ERRNO, O } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import type { Interrupt, WaitChannel } from './wait.js';

/** What kevent/poll need to know about an object right now. */
export interface Readiness {
  /** Bytes (or messages) readable without blocking; 0 when none. */
  readonly readable: number;
  /** Room to write without blocking; 0 when none. */
  readonly writable: number;
  /** No more data will come (the writer or the device is gone). */
  readonly eof: boolean;
  /** Writes can no longer succeed (the reader is gone). */
  readonly hangup: boolean;
}

/** The calling context of an I/O operation. */
export interface IoContext {
  readonly nonblocking: boolean;
  readonly intr: Interrupt;
  readonly pid: number;
}

export interface IoctlResult {
  readonly ret: number;
  readonly out: Uint8Array | null;
}

export interface FileObject {
  /** For fstat-like listings: 'vnode', 'pipe', 'socket', 'kqueue'. */
  readonly kind: string;
  /** What it is: '/dev/switch0', 'pipe#3 (read end)'. */
  readonly name: string;
  /** Readiness changes wake this channel. */
  readonly channel: WaitChannel;
  readiness(): Readiness;
  read?(n: number, ctx: IoContext): Promise<Uint8Array> | Uint8Array;
  write?(data: Uint8Array, ctx: IoContext): Promise<number> | number;
  ioctl?(cmd: number, data: Uint8Array | null, ctx: IoContext): Promise<IoctlResult> | IoctlResult;
  /** The last reference is gone. */
  close(): void;
}

export class OpenFile {
  private refs = 1;
  /** Bytes moved through this description, for listings. */
  bytesRead = 0;
  bytesWritten = 0;

  constructor(
    readonly object: FileObject,
    /** O_* status flags: the access mode, O_NONBLOCK, O_APPEND. */
    public flags: number,
  ) {}

  get nonblocking(): boolean {
    return (this.flags & O.NONBLOCK) !== 0;
  }

  get readable(): boolean {
    const m = this.flags & O.ACCMODE;
    return m === O.RDONLY || m === O.RDWR;
  }

  get writable(): boolean {
    const m = this.flags & O.ACCMODE;
    return m === O.WRONLY || m === O.RDWR;
  }

  hold(): this {
    this.refs++;
    return this;
  }

  /** Drop a reference; the object closes with the last. */
  release(): void {
    if (--this.refs === 0) this.object.close();
  }

  get references(): number {
    return this.refs;
  }
}

export function notSupported(what: string): never {
  throw new KernelError(ERRNO.ENODEV, what);
}
