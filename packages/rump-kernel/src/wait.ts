// Waiting inside the kernel without threads. A syscall that must block (read on an empty
// pipe, write to a full one) awaits a WaitChannel; whatever changes the object's state wakes
// the channel and the waiters re-check. A blocked call ends early when its request is
// cancelled (ECANCELED), its fd is closed (EBADF) or its process exits.

import { ERRNO } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import type { Timers } from './timers.js';

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

  /**
   * An interrupt for one wait of a call that waits several times (poll): it fires with this
   * one, and can fire on its own (a polled fd closed) without ending the call's later waits.
   * `dispose` detaches it once that wait is over.
   */
  scope(): { intr: Interrupt; dispose: () => void } {
    const intr = new Interrupt();
    if (this.reason) intr.fire(this.reason);
    const dispose = this.on((e) => intr.fire(e));
    return { intr, dispose };
  }
}

/**
 * How deep wake-ups may nest: a kqueue watching a kqueue watching ... wakes its watchers from
 * inside its own wake-up. Chains deeper than this are not woken further, rather than
 * overflowing the stack.
 */
export const MAX_WAKE_DEPTH = 32;

let wakeDepth = 0;

/** Readiness changes of one object (a pipe end, a device, a kqueue), for waiters and kevent. */
export class WaitChannel {
  private readonly waiters = new Set<() => void>();
  private waking = false;

  /** Wake every waiter and every readiness subscriber. */
  wake(): void {
    // A wake-up from inside this channel's own wake-up (kqueues watching each other) adds
    // nothing: every waiter is being woken already, and each re-checks state afterwards.
    if (this.waking || wakeDepth >= MAX_WAKE_DEPTH) return;
    this.waking = true;
    wakeDepth++;
    try {
      for (const w of [...this.waiters]) w();
    } finally {
      wakeDepth--;
      this.waking = false;
    }
  }

  /** Subscribe to wake-ups (kqueue/poll); returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  /** Waiters and subscribers right now (a leak shows as growth). */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Wait for the next wake-up, or reject with the interrupt's error. */
  async wait(intr: Interrupt): Promise<void> {
    await this.waitUpTo(intr, undefined, undefined);
  }

  /**
   * Wait for the next wake-up for at most `ms` on `timers` (undefined: no limit): true when
   * woken, false when the time is up; rejects with the interrupt's error. Whichever way it
   * ends, nothing stays subscribed: neither the waiter, nor the interrupt listener, nor the timer.
   */
  waitUpTo(intr: Interrupt, ms: number | undefined, timers: Timers | undefined): Promise<boolean> {
    if (intr.interrupted) return Promise.reject(intr.interrupted);
    return new Promise<boolean>((resolve, reject) => {
      let timer: unknown;
      const settle = (): void => {
        this.waiters.delete(onWake);
        off();
        if (timer !== undefined) timers?.clearTimeout(timer);
      };
      const onWake = (): void => {
        settle();
        resolve(true);
      };
      const off = intr.on((e) => {
        settle();
        reject(e);
      });
      this.waiters.add(onWake);
      if (ms !== undefined && timers) {
        timer = timers.setTimeout(() => {
          settle();
          resolve(false);
        }, ms);
      }
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
