// A manual clock for tests of anything that takes `Timers`: timers fire only when the test
// advances time, in order of their due time (timers due at the same instant in the order
// they were set). Pending timers live in a binary min-heap keyed by (due time, sequence
// number): setTimeout and each fire cost O(log n). clearTimeout only marks the entry dead;
// dead entries are skipped when they reach the top, and the heap is rebuilt without them
// once they outnumber the live ones, so set/clear churn does not grow it.
//
// Exported as "@rumpflow/openflow-connection/testing", not from the main entry.

import type { Timers } from './connection.js';

interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  dead: boolean;
}

export class ManualTimers implements Timers {
  private t = 0;
  private seq = 0;
  private heap: Entry[] = [];
  private readonly live = new Map<number, Entry>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const e: Entry = { at: this.t + Math.max(0, ms || 0), seq: ++this.seq, fn, dead: false };
    this.live.set(e.seq, e);
    this.push(e);
    return e.seq;
  }

  clearTimeout(h: unknown): void {
    const e = this.live.get(h as number);
    if (!e) return;
    e.dead = true;
    this.live.delete(e.seq);
    if (this.heap.length > 64 && this.heap.length > 2 * this.live.size) this.compact();
  }

  /** Move the clock forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > end) break;
      this.pop();
      if (top.dead) continue;
      this.live.delete(top.seq);
      top.dead = true;
      this.t = top.at;
      top.fn();
    }
    this.t = end;
  }

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.live.size;
  }

  private before(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    let i = h.push(e) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(e, h[parent] as Entry)) break;
      h[i] = h[parent] as Entry;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Entry;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && this.before(h[r] as Entry, h[l] as Entry) ? r : l;
      if (!this.before(h[c] as Entry, last)) break;
      h[i] = h[c] as Entry;
      i = c;
    }
    h[i] = last;
  }

  private compact(): void {
    const alive = this.heap.filter((e) => !e.dead);
    this.heap = [];
    for (const e of alive) this.push(e);
  }
}
