// The typed syscall surface: one method per entry of @rumpflow/sysproxy's SYSCALLS, with
// friendly names (socket for __socket30, kevent for __kevent50) and JavaScript types, over
// the generic syscall(name, args) that the client (client.ts) implements.

import { EventEmitter } from 'node:events';
import {
  type Kevent,
  type SyscallName,
  type Value,
  keventFromValue,
  keventToValue,
} from '@rumpflow/sysproxy';
import type { SyscallError } from '@rumpflow/sysproxy';

/** Options every call takes. */
export interface CallOptions {
  /** Aborting sends CANCEL for the call and rejects it with an AbortError (DOMException). */
  readonly signal?: AbortSignal;
}

export interface PollFd {
  readonly fd: number;
  /** POLL.IN, POLL.OUT... */
  readonly events: number;
}

/** What fstat(2) returns: struct stat's fields that the kernel fills in. */
export interface RumpStat {
  /** File type (S_IF.*) and permission bits. */
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  /** Bytes: for a pipe, what it holds. */
  readonly size: number;
  readonly blksize: number;
}

export interface IoctlResult {
  readonly ret: number;
  /** The argument structure as the kernel left it (IOC_OUT), or null. */
  readonly out: Uint8Array | null;
}

export interface RumpClientEvents {
  /** The connection was lost; pending calls have rejected with ENOTCONN (or EPROTO). */
  disconnect: [info: { readonly pid: number; readonly error: SyscallError; readonly willRetry: boolean }];
  /** A new connection, and a NEW process: every fd of the old one is gone. */
  reconnect: [info: { readonly oldPid: number; readonly newPid: number }];
  /** The client is finished: close() (no error), or the connection lost for good (why). */
  close: [error?: Error];
}

/** An integer result (the server sends safe integers as numbers). */
function int(v: Value | undefined): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

/** The RumpStat in the reply of __fstat50 (its second value: struct stat's fields, in order). */
export function rumpStat(fields: Value | undefined): RumpStat {
  const [mode, nlink, uid, gid, rdev, size, blksize] = (fields as Value[]).map(int) as number[];
  return {
    mode: mode ?? 0,
    nlink: nlink ?? 0,
    uid: uid ?? 0,
    gid: gid ?? 0,
    rdev: rdev ?? 0,
    size: size ?? 0,
    blksize: blksize ?? 0,
  };
}

export abstract class SyscallApi extends EventEmitter<RumpClientEvents> {
  /**
   * Any syscall of the table by its NetBSD name, with the argument values the protocol
   * carries; resolves with the result values. Arguments of the wrong shape reject with EINVAL
   * before anything is sent.
   */
  abstract syscall(name: SyscallName, args: readonly Value[], opts?: CallOptions): Promise<Value[]>;

  /** End the client (close() without arguments). */
  protected abstract shutdown(): Promise<void>;

  /** read(2): up to `nbytes` bytes; an empty array at end of file. */
  async read(fd: number, nbytes: number, opts?: CallOptions): Promise<Uint8Array> {
    const [, data] = await this.syscall('read', [fd, nbytes], opts);
    return data as Uint8Array;
  }

  /** write(2): the number of bytes written. */
  async write(fd: number, data: Uint8Array, opts?: CallOptions): Promise<number> {
    return int((await this.syscall('write', [fd, data], opts))[0]);
  }

  /** open(2): the new fd. */
  async open(path: string, flags: number, mode = 0, opts?: CallOptions): Promise<number> {
    return int((await this.syscall('open', [path, flags, mode], opts))[0]);
  }

  /** With an fd: close(2). Without arguments: end the client (see RumpClient). */
  close(): Promise<void>;
  close(fd: number, opts?: CallOptions): Promise<void>;
  async close(...args: [] | [fd: number, opts?: CallOptions]): Promise<void> {
    if (args.length === 0) return this.shutdown();
    const [fd, opts] = args;
    await this.syscall('close', [fd], opts);
  }

  /** getpid(2): the process id in the rump kernel. */
  async getpid(opts?: CallOptions): Promise<number> {
    return int((await this.syscall('getpid', [], opts))[0]);
  }

  async getppid(opts?: CallOptions): Promise<number> {
    return int((await this.syscall('getppid', [], opts))[0]);
  }

  async dup(fd: number, opts?: CallOptions): Promise<number> {
    return int((await this.syscall('dup', [fd], opts))[0]);
  }

  async dup2(from: number, to: number, opts?: CallOptions): Promise<number> {
    return int((await this.syscall('dup2', [from, to], opts))[0]);
  }

  /** fcntl(2) with an integer argument (F.GETFL, F.SETFL, F.SETFD...). */
  async fcntl(fd: number, cmd: number, arg = 0, opts?: CallOptions): Promise<number> {
    return int((await this.syscall('fcntl', [fd, cmd, arg], opts))[0]);
  }

  /** ioctl(2): `data` is the argument structure as bytes (IOC_IN), `out` what comes back (IOC_OUT). */
  async ioctl(
    fd: number,
    cmd: number,
    data: Uint8Array | null = null,
    opts?: CallOptions,
  ): Promise<IoctlResult> {
    const [ret, out] = await this.syscall('ioctl', [fd, cmd, data], opts);
    return { ret: int(ret), out: out as Uint8Array | null };
  }

  /** readv(2): one buffer per requested length, as filled. */
  async readv(fd: number, lengths: readonly number[], opts?: CallOptions): Promise<Uint8Array[]> {
    const [, bufs] = await this.syscall('readv', [fd, [...lengths]], opts);
    return bufs as Uint8Array[];
  }

  async writev(fd: number, bufs: readonly Uint8Array[], opts?: CallOptions): Promise<number> {
    return int((await this.syscall('writev', [fd, [...bufs]], opts))[0]);
  }

  /** fstat(2) (NetBSD's __fstat50): the fields of struct stat the kernel fills in. */
  async fstat(fd: number, opts?: CallOptions): Promise<RumpStat> {
    const [, f] = await this.syscall('__fstat50', [fd], opts);
    return rumpStat(f);
  }

  /** poll(2): revents for each of `fds`, in order; `timeoutMs` −1 waits forever. */
  async poll(fds: readonly PollFd[], timeoutMs = -1, opts?: CallOptions): Promise<number[]> {
    const [, revents] = await this.syscall('poll', [fds.map((p) => [p.fd, p.events]), timeoutMs], opts);
    return (revents as Value[]).map(int);
  }

  async kqueue(opts?: CallOptions): Promise<number> {
    return int((await this.syscall('kqueue', [], opts))[0]);
  }

  async kqueue1(flags: number, opts?: CallOptions): Promise<number> {
    return int((await this.syscall('kqueue1', [flags], opts))[0]);
  }

  /**
   * kevent(2): apply `changes`, then wait for up to `nevents` events for at most `timeoutNs`
   * nanoseconds (null: forever, 0: poll).
   */
  async kevent(
    kq: number,
    changes: readonly Kevent[],
    nevents: number,
    timeoutNs: number | bigint | null = null,
    opts?: CallOptions,
  ): Promise<Kevent[]> {
    const [, events] = await this.syscall(
      '__kevent50',
      [kq, changes.map(keventToValue), nevents, timeoutNs],
      opts,
    );
    return (events as Value[]).map(keventFromValue);
  }

  /** socket(2) (NetBSD's __socket30): the new fd. */
  async socket(domain: number, type: number, protocol = 0, opts?: CallOptions): Promise<number> {
    return int((await this.syscall('__socket30', [domain, type, protocol], opts))[0]);
  }

  /** pipe2(2): [read end, write end]. */
  async pipe2(flags = 0, opts?: CallOptions): Promise<[number, number]> {
    const [, r, w] = await this.syscall('pipe2', [flags], opts);
    return [int(r), int(w)];
  }
}
