// The multiplexer of the talk: rump fds and host fds told apart. Host sockets are left to
// Node's own event loop; every open device fd is registered in one kqueue inside the rump
// kernel, and one kevent call waits for all of them. Whichever side is ready first proceeds:
// a socket's data is written to its device at once, a device's readiness comes back as the
// kevent reply.
//
// The wait loop: kevent(kq, queued changes, MAX_EVENTS, no timeout), then for each event a
// read of exactly the bytes the event reports (EVFILT_READ data), delivered to the socket,
// then the next wait. Registrations are level-triggered, so the loop waits for its reads to
// finish before waiting again (else the same bytes would be reported twice). A change made
// while the loop is blocked in kevent (a new connection, a flow-control pause or resume, a
// write waiting for room) is sent at once in its own kevent call with nevents 0: the kernel
// applies it and wakes the blocked wait, which looks again. Changes made while the loop is
// busy ride on its next wait.
//
// Flow control: a socket that is backed up disables its fd's EVFILT_READ (EV_DISABLE) until
// it drains; a write that gets EAGAIN adds a one-shot EVFILT_WRITE and waits for it.

import { EV, EVFILT, O, type Kevent, type RumpClient, SyscallError } from '@rumpflow/rumpclient';
import { type DeviceIo, type DeviceUser, READ_MAX } from './device-io.js';

/** Events taken from one kevent call at most. */
export const MAX_EVENTS = 256;

const change = (ident: number, filter: number, flags: number): Kevent => ({
  ident,
  filter,
  flags,
  fflags: 0,
  data: 0,
  udata: 0,
});

export class KeventMux implements DeviceIo {
  readonly mode = 'kevent';
  readonly openFlags = O.RDWR | O.NONBLOCK;
  readonly writesInFlight = 1;
  wakeups = 0;
  private kq = -1;
  private readonly users = new Map<number, DeviceUser>();
  private readonly writeWaiters = new Map<number, () => void>();
  private changes: Kevent[] = [];
  private waiting = false;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    readonly client: RumpClient,
    /** A failure of the wait loop itself (the kernel gone). */
    private readonly onFailure: (e: Error) => void,
  ) {}

  async start(): Promise<void> {
    this.kq = await this.client.kqueue({ signal: this.abort.signal });
    void this.loop();
  }

  attach(user: DeviceUser): void {
    this.users.set(user.fd, user);
    this.change(change(user.fd, EVFILT.READ, EV.ADD | (user.readPaused ? EV.DISABLE : 0)));
  }

  detach(user: DeviceUser): void {
    if (this.users.get(user.fd) !== user) return;
    this.users.delete(user.fd);
    // a write waiting for room gives up (its session is closing)
    const w = this.writeWaiters.get(user.fd);
    this.writeWaiters.delete(user.fd);
    w?.();
    // the registrations vanish with the fd when the session closes it
  }

  pauseReading(user: DeviceUser): void {
    if (this.users.get(user.fd) === user) this.change(change(user.fd, EVFILT.READ, EV.DISABLE));
  }

  resumeReading(user: DeviceUser): void {
    if (this.users.get(user.fd) === user) this.change(change(user.fd, EVFILT.READ, EV.ENABLE));
  }

  writable(user: DeviceUser): Promise<void> {
    return new Promise((resolve) => {
      this.writeWaiters.set(user.fd, resolve);
      this.change(change(user.fd, EVFILT.WRITE, EV.ADD | EV.ONESHOT));
    });
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const w of this.writeWaiters.values()) w();
    this.writeWaiters.clear();
  }

  private change(c: Kevent): void {
    if (this.stopped) return;
    if (!this.waiting) {
      this.changes.push(c);
      return;
    }
    // The loop is blocked in kevent: apply now, which wakes it. A change for an fd closed
    // meanwhile fails with EBADF or ENOENT, which is fine.
    this.client.kevent(this.kq, [c], 0, 0, { signal: this.abort.signal }).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const changes = this.changes;
      this.changes = [];
      let events: Kevent[];
      this.waiting = true;
      try {
        events = await this.client.kevent(this.kq, changes, MAX_EVENTS, null, { signal: this.abort.signal });
      } catch (e) {
        if (!this.stopped) this.onFailure(e as Error);
        return;
      } finally {
        this.waiting = false;
      }
      this.wakeups++;
      const reads: Promise<void>[] = [];
      for (const ev of events) {
        if ((ev.flags & EV.ERROR) !== 0) continue; // a change for an fd closed meanwhile
        if (ev.filter === EVFILT.WRITE) {
          const w = this.writeWaiters.get(ev.ident);
          this.writeWaiters.delete(ev.ident);
          w?.();
          continue;
        }
        const user = this.users.get(ev.ident);
        if (user === undefined || user.readPaused) continue;
        const n = Number(ev.data);
        if (n > 0) reads.push(this.read(user, n));
        else if ((ev.flags & EV.EOF) !== 0) user.deviceEnd();
      }
      if (reads.length > 0) await Promise.all(reads);
    }
  }

  private async read(user: DeviceUser, n: number): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = await this.client.read(user.fd, Math.min(n, READ_MAX), { signal: user.signal });
    } catch (e) {
      if (user.signal.aborted || (e instanceof SyscallError && e.code === 'EAGAIN')) return;
      user.deviceError(e as Error);
      return;
    }
    if (this.users.get(user.fd) !== user) return;
    if (bytes.length === 0) user.deviceEnd();
    else user.fromDevice(bytes);
  }
}
