// Time inside the kernel, injectable: kevent/poll timeouts, EVFILT_TIMER and session deadlines
// take their timers from here, so tests drive time with ManualTimers instead of sleeping.
//
// Node's setTimeout takes at most 2^31-1 ms; a longer delay fires after 1 ms (with a warning),
// which would turn a client's EVFILT_TIMER of a month into a timer firing every millisecond.
// realTimers chains such delays in steps. Every real timer is unref'd: a pending kevent
// timeout or timer registration never keeps the process alive on its own.

export interface Timers {
  /** Call `fn` once after `ms` (any non-negative length; Infinity: never). */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds since the epoch (EVFILT_TIMER's NOTE_ABSTIME) and for deadlines. */
  now(): number;
}

/** The longest delay Node's setTimeout honours. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A chained real timer: the Node timer of its current step. */
interface ChainedTimer {
  step: NodeJS.Timeout | undefined;
}

function armChained(t: ChainedTimer, fn: () => void, ms: number): void {
  const step = Math.min(ms, MAX_TIMEOUT_MS);
  t.step = setTimeout(() => (ms > step ? armChained(t, fn, ms - step) : fn()), step);
  t.step.unref();
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t: ChainedTimer = { step: undefined };
    armChained(t, fn, Number.isNaN(ms) ? 0 : Math.max(0, ms));
    return t;
  },
  clearTimeout: (h) => clearTimeout((h as ChainedTimer).step),
  now: () => Date.now(),
};

/** A manual clock for tests: timers fire only when the test advances time, in due order. */
export class ManualTimers implements Timers {
  private t = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(h: unknown): void {
    this.due.delete(h as number);
  }

  /** Move the clock `ms` ahead, firing every timer due by then (timers set meanwhile too). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.due.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.due.size;
  }

  private nextDue(end: number): [number, { at: number; fn: () => void }] | undefined {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const e of this.due) if (e[1].at <= end && (!best || e[1].at < best[1].at)) best = e;
    return best;
  }
}
