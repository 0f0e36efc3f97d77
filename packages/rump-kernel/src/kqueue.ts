// kqueue/kevent with BSD semantics: EVFILT_READ and EVFILT_WRITE on any fd (data = bytes
// readable or room to write, from the object's readiness), EVFILT_TIMER and EVFILT_USER;
// EV_ADD, EV_DELETE, EV_ENABLE, EV_DISABLE, EV_ONESHOT, EV_CLEAR, EV_DISPATCH, EV_RECEIPT,
// EV_EOF and EV_ERROR. A kevent that must wait awaits the wake-ups of every registered
// object (and its timeout) without holding up other calls. Registrations of an fd vanish
// when the fd is closed.
//
// A kqueue can watch another kqueue (readable while it has events pending), as in BSD, but
// not itself (EINVAL). Kqueues watching each other would recurse without end twice over:
// in wake-ups (WaitChannel ignores a wake-up from inside its own) and in readiness (a kqueue
// met again inside its own readiness computation counts as not ready there, and nesting stops
// at MAX_KQUEUE_NESTING).

import { ERRNO, EV, EVFILT, type Kevent, NOTE, O, type Value, keventFromValue, keventToValue } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import { type FileObject, OpenFile, type Readiness } from './file.js';
import type { Handler, Kernel } from './kernel.js';
import type { Process } from './process.js';
import type { Timers } from './timers.js';
import { type Interrupt, WaitChannel } from './wait.js';

/** Most registrations in one kqueue. */
export const MAX_KNOTES = 65536;
/** Most events returned by one kevent call. */
export const MAX_EVENTS = 4096;
/** Most EVFILT_TIMER registrations of one process over all its kqueues (ENOMEM beyond, as NetBSD's kq_calloutmax). */
export const MAX_TIMERS_PER_PROCESS = 256;
/** How deep kqueues watching kqueues are looked into for readiness. */
export const MAX_KQUEUE_NESTING = 8;

interface Knote {
  readonly ident: number;
  readonly filter: number;
  flags: number;
  fflags: number;
  data: number;
  udata: number | bigint;
  enabled: boolean;
  /** Edge state for EV_CLEAR and for timers/user events: something happened since delivery. */
  fired: boolean;
  /** Timer expirations since the last delivery. */
  expirations: number;
  unsubscribe: () => void;
  /** The pending timer of an EVFILT_TIMER registration (a Timers handle). */
  timer?: unknown;
}

const key = (ident: number, filter: number) => `${filter}:${ident}`;

const NOT_READY: Readiness = { readable: 0, writable: 0, eof: false, hangup: false };

/**
 * The kqueues whose readiness is being computed right now. The computation is synchronous,
 * so this is the state of one call stack, not state shared between kernels.
 */
const scanning = new Set<Kqueue>();

/** The period of an EVFILT_TIMER change in ms, from `data` in the unit its fflags name. */
function timerMs(c: Kevent): number {
  const unit = c.fflags & 3;
  const scale = unit === NOTE.SECONDS ? 1000 : unit === NOTE.USECONDS ? 1e-3 : unit === NOTE.NSECONDS ? 1e-6 : 1;
  return Number(c.data) * scale;
}

export interface KqueueContext {
  /** Its name in listings ('kqueue#3'). */
  readonly name: string;
  /** The clock of its EVFILT_TIMER registrations. */
  readonly timers: Timers;
  /** Called once when it closes. */
  readonly closed?: () => void;
}

export class Kqueue implements FileObject {
  readonly kind = 'kqueue';
  readonly name: string;
  readonly channel = new WaitChannel();
  private readonly knotes = new Map<string, Knote>();
  private readonly timers: Timers;
  private readonly closed: () => void;
  private readonly onFdClose = (fd: number) => {
    for (const f of [EVFILT.READ, EVFILT.WRITE]) this.remove(key(fd, f));
  };

  constructor(
    private readonly proc: Process,
    ctx: KqueueContext,
  ) {
    this.name = ctx.name;
    this.timers = ctx.timers;
    this.closed = ctx.closed ?? (() => undefined);
    proc.fdCloseListeners.add(this.onFdClose);
  }

  get registrations(): number {
    return this.knotes.size;
  }

  readiness(): Readiness {
    if (scanning.has(this) || scanning.size >= MAX_KQUEUE_NESTING) return NOT_READY;
    scanning.add(this);
    try {
      return { readable: this.pendingCount(), writable: 0, eof: false, hangup: false };
    } finally {
      scanning.delete(this);
    }
  }

  close(): void {
    this.proc.fdCloseListeners.delete(this.onFdClose);
    for (const k of [...this.knotes.keys()]) this.remove(k);
    this.closed();
  }

  /** Apply one change; returns the errno for this change (0 on success). */
  apply(c: Kevent): number {
    const k = key(c.ident, c.filter);
    const existing = this.knotes.get(k);
    if ((c.flags & EV.DELETE) !== 0) {
      if (!existing) return ERRNO.ENOENT;
      this.remove(k);
      return 0;
    }
    let kn = existing;
    if ((c.flags & EV.ADD) !== 0) {
      if (!kn) {
        if (this.knotes.size >= MAX_KNOTES) return ERRNO.ENOMEM;
        const made = this.attach(c);
        if (typeof made === 'number') return made;
        kn = made;
        this.knotes.set(k, kn);
      } else {
        kn.flags = c.flags;
        kn.udata = c.udata;
        if (c.filter === EVFILT.TIMER) this.armTimer(kn, c);
      }
    }
    if (!kn) return ERRNO.ENOENT;
    if ((c.flags & EV.DISABLE) !== 0) kn.enabled = false;
    if ((c.flags & (EV.ENABLE | EV.ADD)) !== 0 && (c.flags & EV.DISABLE) === 0) kn.enabled = true;
    if (c.filter === EVFILT.USER) this.userUpdate(kn, c);
    kn.flags = (kn.flags & ~(EV.ADD | EV.ENABLE | EV.DISABLE | EV.RECEIPT)) | (c.flags & (EV.ONESHOT | EV.CLEAR | EV.DISPATCH));
    this.channel.wake();
    return 0;
  }

  private attach(c: Kevent): Knote | number {
    const kn: Knote = {
      ident: c.ident,
      filter: c.filter,
      flags: c.flags,
      fflags: 0,
      data: 0,
      udata: c.udata,
      enabled: true,
      fired: false,
      expirations: 0,
      unsubscribe: () => undefined,
    };
    switch (c.filter) {
      case EVFILT.READ:
      case EVFILT.WRITE:
        return this.attachFd(kn);
      case EVFILT.TIMER:
        return this.attachTimer(kn, c);
      case EVFILT.USER:
        kn.fflags = c.fflags & NOTE.FFLAGSMASK;
        return kn;
      default:
        return ERRNO.EINVAL;
    }
  }

  private attachFd(kn: Knote): Knote | number {
    const entry = this.proc.fds.get(kn.ident);
    if (!entry) return ERRNO.EBADF;
    // its own wake-ups would wake it again: BSD refuses a kqueue on itself too
    if (entry.file.object === this) return ERRNO.EINVAL;
    kn.unsubscribe = entry.file.object.channel.subscribe(() => {
      kn.fired = true;
      this.channel.wake();
    });
    kn.fired = true; // the current state counts as a change for EV_CLEAR
    return kn;
  }

  private attachTimer(kn: Knote, c: Kevent): Knote | number {
    if (Number(c.data) < 0) return ERRNO.EINVAL;
    if (this.proc.timers >= MAX_TIMERS_PER_PROCESS) return ERRNO.ENOMEM;
    this.proc.timers++;
    this.armTimer(kn, c);
    return kn;
  }

  private armTimer(kn: Knote, c: Kevent): void {
    this.disarm(kn);
    const ms = timerMs(c);
    const absolute = (c.fflags & NOTE.ABSTIME) !== 0;
    const period = Math.max(ms, 1);
    const tick = () => {
      kn.expirations++;
      kn.fired = true;
      const again = !absolute && (kn.flags & EV.ONESHOT) === 0;
      kn.timer = again ? this.timers.setTimeout(tick, period) : undefined;
      this.channel.wake();
    };
    kn.timer = this.timers.setTimeout(tick, absolute ? Math.max(0, ms - this.timers.now()) : period);
  }

  private disarm(kn: Knote): void {
    if (kn.timer !== undefined) this.timers.clearTimeout(kn.timer);
    kn.timer = undefined;
  }

  private userUpdate(kn: Knote, c: Kevent): void {
    const ctl = (c.fflags & NOTE.FFCTRLMASK) >>> 0;
    const ff = c.fflags & NOTE.FFLAGSMASK;
    if (ctl === NOTE.FFAND) kn.fflags &= ff;
    else if (ctl === NOTE.FFOR) kn.fflags |= ff;
    else if (ctl === NOTE.FFCOPY) kn.fflags = ff;
    if ((c.fflags & NOTE.TRIGGER) !== 0) kn.fired = true;
  }

  private remove(k: string): void {
    const kn = this.knotes.get(k);
    if (!kn) return;
    kn.unsubscribe();
    if (kn.filter === EVFILT.TIMER) {
      this.disarm(kn);
      this.proc.timers--;
    }
    this.knotes.delete(k);
  }

  /** Is this knote's event due, and with what data/flags? */
  private check(kn: Knote): { data: number; flags: number; fflags: number } | undefined {
    if (!kn.enabled) return undefined;
    switch (kn.filter) {
      case EVFILT.READ:
      case EVFILT.WRITE: {
        const entry = this.proc.fds.get(kn.ident);
        if (!entry) return undefined;
        const r = entry.file.object.readiness();
        const read = kn.filter === EVFILT.READ;
        const level = read ? r.readable : r.writable;
        const eof = read ? r.eof : r.hangup;
        if (level === 0 && !eof) return undefined;
        if ((kn.flags & EV.CLEAR) !== 0 && !kn.fired) return undefined;
        return { data: level, flags: eof ? EV.EOF : 0, fflags: 0 };
      }
      case EVFILT.TIMER:
        return kn.expirations > 0 ? { data: kn.expirations, flags: 0, fflags: 0 } : undefined;
      case EVFILT.USER:
        return kn.fired ? { data: 0, flags: 0, fflags: kn.fflags } : undefined;
      default:
        return undefined;
    }
  }

  private pendingCount(): number {
    let n = 0;
    for (const kn of this.knotes.values()) if (this.check(kn)) n++;
    return n;
  }

  /** Collect up to `max` due events, applying ONESHOT/CLEAR/DISPATCH. */
  collect(max: number): Kevent[] {
    const out: Kevent[] = [];
    for (const [k, kn] of this.knotes) {
      if (out.length >= max) break;
      const due = this.check(kn);
      if (!due) continue;
      out.push({ ident: kn.ident, filter: kn.filter, flags: (kn.flags & (EV.ONESHOT | EV.CLEAR | EV.DISPATCH)) | due.flags, fflags: due.fflags, data: due.data, udata: kn.udata });
      if ((kn.flags & EV.ONESHOT) !== 0) this.remove(k);
      else {
        if ((kn.flags & EV.CLEAR) !== 0 || kn.filter === EVFILT.USER || kn.filter === EVFILT.TIMER) {
          kn.fired = false;
          kn.expirations = 0;
        }
        if ((kn.flags & EV.DISPATCH) !== 0) kn.enabled = false;
      }
    }
    return out;
  }
}

function makeKqueue(k: Kernel, p: Process, flags: number): number {
  if ((flags & ~(O.CLOEXEC | O.NONBLOCK)) !== 0) throw new KernelError(ERRNO.EINVAL, 'kqueue1 flags');
  const { id, closed } = k.objects.create('kqueue');
  const kq = new Kqueue(p, { name: `kqueue#${id}`, timers: k.timers, closed });
  const f = new OpenFile(kq, O.RDONLY | (flags & O.NONBLOCK));
  try {
    return p.install(f, (flags & O.CLOEXEC) !== 0);
  } catch (e) {
    f.release();
    throw e;
  }
}

/** Apply the changes; the EV_ERROR/EV_RECEIPT events they give, as many as `max` allows. */
function applyChanges(kq: Kqueue, changes: Value[], max: number): Kevent[] {
  const out: Kevent[] = [];
  for (const v of changes) {
    const c = keventFromValue(v);
    const errno = kq.apply(c);
    if (errno === 0 && (c.flags & EV.RECEIPT) === 0) continue;
    if (out.length < max) out.push({ ...c, flags: c.flags | EV.ERROR, data: errno });
    else if (errno !== 0) throw new KernelError(errno, `kevent change ${c.ident}/${c.filter}`);
  }
  return out;
}

/** Wait for due events until `timeoutMs` has passed (undefined: no limit). */
async function waitForEvents(k: Kernel, kq: Kqueue, max: number, timeoutMs: number | undefined, intr: Interrupt): Promise<Kevent[]> {
  const deadline = timeoutMs === undefined ? undefined : k.timers.now() + timeoutMs;
  for (;;) {
    const due = kq.collect(max);
    if (due.length > 0) return due;
    const left = deadline === undefined ? undefined : deadline - k.timers.now();
    if (left !== undefined && left <= 0) return [];
    await kq.channel.waitUpTo(intr, left, k.timers);
  }
}

async function kevent(k: Kernel, p: Process, args: Value[], intr: Interrupt): Promise<Value[]> {
  const [kqfd, changesV, neventsV, timeoutV] = args as [number, Value[], number, number | bigint | null];
  return k.onFd(p, Number(kqfd), intr, async (f) => {
    const kq = f.object;
    if (!(kq instanceof Kqueue)) throw new KernelError(ERRNO.EBADF, `fd ${kqfd} is not a kqueue`);
    const nevents = Number(neventsV);
    if (nevents < 0) throw new KernelError(ERRNO.EINVAL, 'negative nevents');
    const timeoutMs = timeoutV === null ? undefined : Number(timeoutV) / 1e6;
    if (timeoutMs !== undefined && timeoutMs < 0) throw new KernelError(ERRNO.EINVAL, 'negative timeout');
    const max = Math.min(nevents, MAX_EVENTS);
    const receipts = applyChanges(kq, changesV, max);
    const events = receipts.length > 0 || max === 0 ? receipts : await waitForEvents(k, kq, max, timeoutMs, intr);
    return [events.length, events.map(keventToValue)];
  });
}

export const kqueueSyscalls: Record<'kqueue' | 'kqueue1' | '__kevent50', Handler> = {
  kqueue: (k, p) => [makeKqueue(k, p, 0)],
  kqueue1: (k, p, [flags]) => [makeKqueue(k, p, Number(flags))],
  __kevent50: kevent,
};
