import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RttWindow } from './rtt-window.js';

describe('RttWindow', () => {
  it('is empty at first', () => {
    expect(new RttWindow(4).summary()).toBe(undefined);
  });

  it('gives nearest-rank percentiles of the last N samples', () => {
    const w = new RttWindow(100);
    for (let i = 1; i <= 100; i++) w.add(i);
    expect(w.summary()).toEqual({ p50: 50, p99: 99, min: 1, max: 100 });
    w.add(1000); // pushes out the 1
    expect(w.summary()).toEqual({ p50: 51, p99: 100, min: 2, max: 1000 });
    expect(w.count).toBe(100);
  });

  it('agrees with sorting the recent samples (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 64 }),
        (xs, size) => {
          const w = new RttWindow(size);
          for (const x of xs) w.add(x);
          const recent = xs.slice(-size).sort((a, b) => a - b);
          const s = w.summary()!;
          expect(s.min).toBe(recent[0]);
          expect(s.max).toBe(recent[recent.length - 1]);
          expect(s.p50).toBe(w.quantile(0.5));
          expect(recent).toContain(s.p99);
        },
      ),
    );
  });
});
