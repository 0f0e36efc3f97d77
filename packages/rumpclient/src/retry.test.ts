import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, checkRetryPolicy, retries, retryDelay } from './retry.js';

const top = (): number => 0; // no jitter taken: the full delay

describe('retryDelay', () => {
  it("'never' and { seconds: 0 } make no attempt", () => {
    expect(retryDelay('never', 0, 0)).toBeUndefined();
    expect(retryDelay({ seconds: 0 }, 0, 0)).toBeUndefined();
    expect(retries('never')).toBe(false);
  });

  it("'once' makes one immediate attempt", () => {
    expect(retryDelay('once', 0, 0)).toBe(0);
    expect(retryDelay('once', 1, 5)).toBeUndefined();
  });

  it("'forever' backs off exponentially up to the cap", () => {
    const ds = [0, 1, 2, 3, 4, 5, 6, 50].map((a) => retryDelay('forever', a, 1e12, {}, top));
    expect(ds).toEqual([0, 100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('{ seconds } stops at the deadline and never sleeps past it', () => {
    const p = { seconds: 1 };
    expect(retryDelay(p, 0, 0)).toBe(0);
    expect(retryDelay(p, 5, 900, {}, top)).toBe(100);
    expect(retryDelay(p, 1, 1000)).toBeUndefined();
  });
});

describe('backoff (the shared formula of @rumpflow/endpoint, with these defaults)', () => {
  it('keeps 100 ms doubling to 2 s, jittered by half', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 100, maxMs: 2000, jitter: 0.5 });
    expect(retryDelay('forever', 1, 0, {}, () => 0.999999)).toBe(50);
    expect(retryDelay('forever', 3, 0, { initialMs: 10, maxMs: 1000, jitter: 0 })).toBe(40);
    expect(retryDelay('forever', 3, 0, { maxMs: 150 }, top)).toBe(150);
  });
});

describe('checkRetryPolicy', () => {
  it('accepts the four forms and nothing else', () => {
    for (const p of ['never', 'once', 'forever', { seconds: 2.5 }] as const)
      expect(checkRetryPolicy(p)).toEqual(p);
    for (const p of ['always', { seconds: -1 }, { seconds: Infinity }, { secs: 1 }, 3, null])
      expect(() => checkRetryPolicy(p)).toThrow(TypeError);
  });
});
