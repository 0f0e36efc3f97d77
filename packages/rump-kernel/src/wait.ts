// Waiting inside the kernel without threads. A syscall that must block (read on an empty
// pipe, write to a full one) awaits a WaitChannel; whatever changes the object's state wakes
// the channel and the waiters re-check. A blocked call ends early when its request is
// cancelled (ECANCELED), its fd is closed (EBADF) or its process exits.

import { ERRNO } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';

/** Why a blocked call stopped waiting. */
export type WakeReason = 'ready' | KernelError;

/** The ways out of a blocked call other than readiness: cancellation and fd close. */
export class Interrupt {
  private readonly listeners = new Set<(e: KernelError) => void>();
  private reason: KernelError | undefined;

  get interrupted(): KernelError | undefined {
    return this.reason;
  }

  /** End every wait of this call with `e` (first interrupt wins). */
  fire(e: KernelError): void {
    if (this.reason) return;
    this.reason = e;
    for (const l of [...this.listeners]) l(e);
    this.listeners.clear();
  }

  on(l: (e: KernelError) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/** Readiness changes of one object (a pipe end, a device, a kqueue), for waiters and kevent. */
export class WaitChannel {
  private readonly waiters = new Set<() => void>();

  /** Wake every waiter and every readiness subscriber. */
  wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Subscribe to wake-ups (kqueue/poll); returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  /** Wait for the next wake-up, or reject with the interrupt's error. */
  wait(intr: Interrupt): Promise<void> {
    if (intr.interrupted) return Promise.reject(intr.interrupted);
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.waiters.delete(onWake);
        off();
      };
      const onWake = () => {
        done();
        resolve();
      };
      const off = intr.on((e) => {
        done();
        reject(e);
      });
      this.waiters.add(onWake);
    });
  }
}

/** Repeat `attempt` until it returns a result, waiting on `chan` between tries. */
export async function blockUntil<T>(chan: WaitChannel, intr: Interrupt, nonblocking: boolean, attempt: () => T | undefined): Promise<T> {
  for (;;) {
    const r = attempt();
    if (r !== undefined) return r;
    if (nonblocking) throw new KernelError(ERRNO.EAGAIN);
    await chan.wait(intr);
  }
}
