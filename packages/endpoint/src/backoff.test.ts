import { describe, expect, it } from 'vitest';
import { backoffDelay, type Backoff } from './index.js';

const SECONDS: Backoff = { initialMs: 1000, maxMs: 8000, jitter: 0.5 };
const TENTHS: Backoff = { initialMs: 100, maxMs: 2000, jitter: 0.5 };
const top = (): number => 0; // no jitter taken: the full wait
const bottom = (): number => 0.999999; // the most jitter taken

describe('backoffDelay', () => {
  it('doubles from initialMs and caps at maxMs', () => {
    expect([0, 1, 2, 3, 4, 5, 60].map((a) => backoffDelay(a, {}, SECONDS, top))).toEqual([
      1000, 2000, 4000, 8000, 8000, 8000, 8000,
    ]);
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, undefined, TENTHS, top))).toEqual([
      100, 200, 400, 800, 1600, 2000,
    ]);
  });

  it('draws the jitter from the lower part of the range', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, {}, SECONDS, bottom))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(0, {}, TENTHS, bottom)).toBe(50);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(2, {}, SECONDS);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it('takes each field the caller gives and the defaults for the rest', () => {
    expect(backoffDelay(2, { initialMs: 100, maxMs: 300, jitter: 0 }, SECONDS)).toBe(300);
    expect(backoffDelay(2, { initialMs: 10, maxMs: 1000, jitter: 0 }, TENTHS)).toBe(40);
    expect(backoffDelay(1, { jitter: 0 }, TENTHS, bottom)).toBe(200);
    expect(backoffDelay(9, { maxMs: 3000 }, SECONDS, top)).toBe(3000);
    expect(backoffDelay(0, { initialMs: undefined }, SECONDS, top)).toBe(1000);
  });

  it('stays finite for huge or negative attempt counts', () => {
    expect(backoffDelay(1e9, {}, SECONDS, top)).toBe(8000);
    expect(backoffDelay(-3, {}, SECONDS, top)).toBe(1000);
  });
});
