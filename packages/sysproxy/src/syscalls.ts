// The syscalls the protocol carries, by NetBSD's numbers and names (syscalls.master), with
// the values each request carries and each successful response returns. The server checks
// requests against this table (EINVAL for a mismatch); clients build requests from it.

import type { Value } from './values.js';

/** Argument and result shapes. `?` admits null. */
export type Shape = 'int' | 'int?' | 'bytes' | 'bytes?' | 'string' | 'ints' | 'bytes[]' | 'pollfds' | 'kevents' | 'kevents?';

export interface SyscallDef {
  readonly number: number;
  readonly args: readonly Shape[];
  /** What a success returns: the return value first, then any out data. */
  readonly results: readonly Shape[];
  readonly doc: string;
}

/** Syscalls by NetBSD name. */
export const SYSCALLS = {
  read: { number: 3, args: ['int', 'int'], results: ['int', 'bytes'], doc: 'read(fd, nbytes) -> (n, data)' },
  write: { number: 4, args: ['int', 'bytes'], results: ['int'], doc: 'write(fd, data) -> n' },
  open: { number: 5, args: ['string', 'int', 'int'], results: ['int'], doc: 'open(path, flags, mode) -> fd' },
  close: { number: 6, args: ['int'], results: ['int'], doc: 'close(fd) -> 0' },
  getpid: { number: 20, args: [], results: ['int', 'int'], doc: 'getpid() -> (pid, ppid)' },
  getppid: { number: 39, args: [], results: ['int'], doc: 'getppid() -> ppid' },
  dup: { number: 41, args: ['int'], results: ['int'], doc: 'dup(fd) -> newfd' },
  ioctl: {
    number: 54,
    args: ['int', 'int', 'bytes?'],
    results: ['int', 'bytes?'],
    doc: 'ioctl(fd, cmd, in) -> (ret, out); in/out are the argument structure as bytes (IOC_IN/IOC_OUT)',
  },
  dup2: { number: 90, args: ['int', 'int'], results: ['int'], doc: 'dup2(from, to) -> to' },
  fcntl: { number: 92, args: ['int', 'int', 'int'], results: ['int'], doc: 'fcntl(fd, cmd, arg) -> ret' },
  readv: { number: 120, args: ['int', 'ints'], results: ['int', 'bytes[]'], doc: 'readv(fd, [len...]) -> (n, [data...])' },
  writev: { number: 121, args: ['int', 'bytes[]'], results: ['int'], doc: 'writev(fd, [data...]) -> n' },
  reboot: { number: 208, args: ['int'], results: ['int'], doc: 'reboot(howto) -> 0: halt the kernel (its server shuts down)' },
  poll: {
    number: 209,
    args: ['pollfds', 'int'],
    results: ['int', 'ints'],
    doc: 'poll([[fd, events]...], timeout_ms; -1 waits forever) -> (n, [revents...])',
  },
  kqueue: { number: 344, args: [], results: ['int'], doc: 'kqueue() -> fd' },
  __socket30: { number: 394, args: ['int', 'int', 'int'], results: ['int'], doc: 'socket(domain, type, protocol) -> fd' },
  __kevent50: {
    number: 435,
    args: ['int', 'kevents', 'int', 'int?'],
    results: ['int', 'kevents'],
    doc: 'kevent(kq, [[ident, filter, flags, fflags, data, udata]...], nevents, timeout_ns or null) -> (n, events)',
  },
  __fstat50: { number: 440, args: ['int'], results: ['int', 'ints'], doc: 'fstat(fd) -> (0, [mode, nlink, uid, gid, rdev, size, blksize])' },
  pipe2: { number: 453, args: ['int'], results: ['int', 'int', 'int'], doc: 'pipe2(flags) -> (0, readfd, writefd)' },
  kqueue1: { number: 455, args: ['int'], results: ['int'], doc: 'kqueue1(flags) -> fd' },
} as const satisfies Record<string, SyscallDef>;

export type SyscallName = keyof typeof SYSCALLS;

const BY_NUMBER = new Map<number, SyscallName>(Object.entries(SYSCALLS).map(([k, v]) => [v.number, k as SyscallName]));

/** The name of a syscall number, or undefined (ENOSYS). */
export function syscallName(n: number): SyscallName | undefined {
  return BY_NUMBER.get(n);
}

function isInt(v: Value): boolean {
  return typeof v === 'number' || typeof v === 'bigint';
}

function fits(v: Value | undefined, s: Shape): boolean {
  if (v === undefined) return false;
  switch (s) {
    case 'int':
      return isInt(v);
    case 'int?':
      return v === null || isInt(v);
    case 'bytes':
      return v instanceof Uint8Array;
    case 'bytes?':
      return v === null || v instanceof Uint8Array;
    case 'string':
      return typeof v === 'string';
    case 'ints':
      return Array.isArray(v) && v.every(isInt);
    case 'bytes[]':
      return Array.isArray(v) && v.every((x) => x instanceof Uint8Array);
    case 'pollfds':
      return Array.isArray(v) && v.every((x) => Array.isArray(x) && x.length === 2 && x.every(isInt));
    case 'kevents':
      return Array.isArray(v) && v.every((x) => Array.isArray(x) && x.length === 6 && x.every(isInt));
    case 'kevents?':
      return v === null || fits(v, 'kevents');
  }
}

/** Why `values` do not match `shapes`, or undefined when they do. */
export function checkShapes(shapes: readonly Shape[], values: readonly Value[]): string | undefined {
  if (values.length !== shapes.length) return `${values.length} values, expected ${shapes.length}`;
  for (let i = 0; i < shapes.length; i++) {
    if (!fits(values[i], shapes[i] as Shape)) return `value ${i + 1} is not ${shapes[i]}`;
  }
  return undefined;
}

// Constants clients and the server share (NetBSD's values).

export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  ACCMODE: 3,
  NONBLOCK: 0x4,
  APPEND: 0x8,
  CREAT: 0x200,
  TRUNC: 0x400,
  EXCL: 0x800,
  NOCTTY: 0x8000,
  DIRECTORY: 0x200000,
  CLOEXEC: 0x400000,
} as const;

export const F = { DUPFD: 0, GETFD: 1, SETFD: 2, GETFL: 3, SETFL: 4, DUPFD_CLOEXEC: 12 } as const;
export const FD_CLOEXEC = 1;
/** st_mode file types (NetBSD's sys/stat.h). */
export const S_IF = { MT: 0o170000, IFO: 0o010000, CHR: 0o020000, DIR: 0o040000, REG: 0o100000, SOCK: 0o140000 } as const;

export const EVFILT = { READ: 0, WRITE: 1, AIO: 2, VNODE: 3, PROC: 4, SIGNAL: 5, TIMER: 6, FS: 7, USER: 8 } as const;
export const EV = {
  ADD: 0x1,
  DELETE: 0x2,
  ENABLE: 0x4,
  DISABLE: 0x8,
  ONESHOT: 0x10,
  CLEAR: 0x20,
  RECEIPT: 0x40,
  DISPATCH: 0x80,
  FLAG1: 0x2000,
  ERROR: 0x4000,
  EOF: 0x8000,
} as const;
export const NOTE = {
  FFNOP: 0,
  FFAND: 0x40000000,
  FFOR: 0x80000000,
  FFCOPY: 0xc0000000,
  FFCTRLMASK: 0xc0000000,
  FFLAGSMASK: 0x00ffffff,
  TRIGGER: 0x01000000,
  MSECONDS: 0,
  SECONDS: 1,
  USECONDS: 2,
  NSECONDS: 3,
  ABSTIME: 0x10,
} as const;

export const POLL = {
  IN: 0x1,
  PRI: 0x2,
  OUT: 0x4,
  ERR: 0x8,
  HUP: 0x10,
  NVAL: 0x20,
  RDNORM: 0x40,
  WRNORM: 0x4,
  RDBAND: 0x80,
  WRBAND: 0x100,
} as const;

/** A kevent as it travels: [ident, filter, flags, fflags, data, udata]. */
export interface Kevent {
  ident: number;
  filter: number;
  flags: number;
  fflags: number;
  data: number | bigint;
  udata: number | bigint;
}

export function keventToValue(k: Kevent): Value[] {
  return [k.ident, k.filter, k.flags, k.fflags, k.data, k.udata];
}

export function keventFromValue(v: Value): Kevent {
  const [ident, filter, flags, fflags, data, udata] = v as [number, number, number, number, number | bigint, number | bigint];
  return { ident, filter, flags, fflags, data, udata };
}
