// kqueue/kevent with BSD semantics: EVFILT_READ and EVFILT_WRITE on any fd (data = bytes
// readable or room to write, from the object's readiness), EVFILT_TIMER and EVFILT_USER;
// EV_ADD, EV_DELETE, EV_ENABLE, EV_DISABLE, EV_ONESHOT, EV_CLEAR, EV_DISPATCH, EV_RECEIPT,
// EV_EOF and EV_ERROR. A kevent that must wait awaits the wake-ups of every registered
// object (and its timeout) without holding up other calls. Registrations of an fd vanish
// when the fd is closed.

import { ERRNO, EV, EVFILT, type Kevent, NOTE, O, type Value, keventFromValue, keventToValue } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import { type FileObject, OpenFile, type Readiness } from './file.js';
import type { Handler, Kernel } from './kernel.js';
import type { Process } from './process.js';
import { type Interrupt, WaitChannel } from './wait.js';

/** Most registrations in one kqueue. */
export const MAX_KNOTES = 65536;
/** Most events returned by one kevent call. */
export const MAX_EVENTS = 4096;

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
  timer?: ReturnType<typeof setTimeout>;
}

const key = (ident: number, filter: number) => `${filter}:${ident}`;

export class Kqueue implements FileObject {
  readonly kind = 'kqueue';
  readonly name: string;
  readonly channel = new WaitChannel();
  private readonly knotes = new Map<string, Knote>();
  private readonly onFdClose = (fd: number) => {
    for (const f of [EVFILT.READ, EVFILT.WRITE]) this.remove(key(fd, f));
  };

  constructor(
    private readonly proc: Process,
    id: number,
  ) {
    this.name = `kqueue#${id}`;
    proc.fdCloseListeners.add(this.onFdClose);
  }

  get registrations(): number {
    return this.knotes.size;
  }

  readiness(): Readiness {
    return { readable: this.pendingCount(), writable: 0, eof: false, hangup: false };
  }

  close(): void {
    this.proc.fdCloseListeners.delete(this.onFdClose);
    for (const k of [...this.knotes.keys()]) this.remove(k);
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
      case EVFILT.WRITE: {
        const entry = this.proc.fds.get(c.ident);
        if (!entry) return ERRNO.EBADF;
        kn.unsubscribe = entry.file.object.channel.subscribe(() => {
          kn.fired = true;
          this.channel.wake();
        });
        kn.fired = true; // the current state counts as a change for EV_CLEAR
        return kn;
      }
      case EVFILT.TIMER:
        if (Number(c.data) < 0) return ERRNO.EINVAL;
        this.armTimer(kn, c);
        return kn;
      case EVFILT.USER:
        kn.fflags = c.fflags & NOTE.FFLAGSMASK;
        return kn;
      default:
        return ERRNO.EINVAL;
    }
  }

  private armTimer(kn: Knote, c: Kevent): void {
    if (kn.timer) clearTimeout(kn.timer);
    const unit = c.fflags & 3;
    const scale = unit === NOTE.SECONDS ? 1000 : unit === NOTE.USECONDS ? 1e-3 : unit === NOTE.NSECONDS ? 1e-6 : 1;
    let ms = Number(c.data) * scale;
    const absolute = (c.fflags & NOTE.ABSTIME) !== 0;
    if (absolute) ms = Math.max(0, ms - Date.now());
    const tick = () => {
      kn.expirations++;
      kn.fired = true;
      this.channel.wake();
      if (!absolute && (kn.flags & EV.ONESHOT) === 0) kn.timer = setTimeout(tick, Math.max(ms, 1));
      else kn.timer = undefined;
    };
    kn.timer = setTimeout(tick, Math.max(ms, absolute ? 0 : 1));
    kn.timer.unref?.();
    kn.unsubscribe = () => {
      if (kn.timer) clearTimeout(kn.timer);
    };
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
    if (kn.timer) clearTimeout(kn.timer);
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

let kqueues = 0;

function makeKqueue(p: Process, flags: number): number {
  if ((flags & ~(O.CLOEXEC | O.NONBLOCK)) !== 0) throw new KernelError(ERRNO.EINVAL, 'kqueue1 flags');
  const kq = new Kqueue(p, ++kqueues);
  const f = new OpenFile(kq, O.RDONLY | (flags & O.NONBLOCK));
  try {
    return p.install(f, (flags & O.CLOEXEC) !== 0);
  } catch (e) {
    f.release();
    throw e;
  }
}

/** Wait until `chan` wakes, the timeout passes (resolves false) or the call is interrupted. */
export function waitWithTimeout(chan: WaitChannel, intr: Interrupt, timeoutMs: number | undefined): Promise<boolean> {
  if (timeoutMs === undefined) return chan.wait(intr).then(() => true);
  return new Promise<boolean>((resolve, reject) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    chan.wait(intr).then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}

async function kevent(k: Kernel, p: Process, args: Value[], intr: Interrupt): Promise<Value[]> {
  const [kqfd, changesV, neventsV, timeoutV] = args as [number, Value[], number, number | bigint | null];
  return k.onFd(p, kqfd, intr, async (f) => {
    const kq = f.object;
    if (!(kq instanceof Kqueue)) throw new KernelError(ERRNO.EBADF, `fd ${kqfd} is not a kqueue`);
    const nevents = Number(neventsV);
    if (nevents < 0) throw new KernelError(ERRNO.EINVAL, 'negative nevents');
    const max = Math.min(nevents, MAX_EVENTS);
    const out: Kevent[] = [];
    for (const v of changesV) {
      const c = keventFromValue(v);
      const errno = kq.apply(c);
      if (errno !== 0 || (c.flags & EV.RECEIPT) !== 0) {
        if (out.length >= max) {
          if (errno !== 0) throw new KernelError(errno, `kevent change ${c.ident}/${c.filter}`);
          continue;
        }
        out.push({ ...c, flags: c.flags | EV.ERROR, data: errno });
      }
    }
    if (out.length > 0 || max === 0) return [out.length, out.map(keventToValue)];
    const timeoutMs = timeoutV === null ? undefined : Number(timeoutV) / 1e6;
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      const due = kq.collect(max);
      if (due.length > 0) return [due.length, due.map(keventToValue)];
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) return [0, []];
      await waitWithTimeout(kq.channel, intr, left);
    }
  });
}

export const kqueueSyscalls: Record<'kqueue' | 'kqueue1' | '__kevent50', Handler> = {
  kqueue: (_k, p) => [makeKqueue(p, 0)],
  kqueue1: (_k, p, [flags]) => [makeKqueue(p, Number(flags))],
  __kevent50: kevent,
};
