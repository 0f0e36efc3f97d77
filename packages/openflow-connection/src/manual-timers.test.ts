import { describe, expect, it } from 'vitest';
import { ManualTimers } from '@rumpflow/openflow-connection/testing';

describe('ManualTimers', () => {
  it('fires due timers in order of due time, same-time ones in the order they were set', () => {
    const t = new ManualTimers();
    const log: string[] = [];
    t.setTimeout(() => log.push(`c@${t.now()}`), 30);
    t.setTimeout(() => log.push(`a@${t.now()}`), 10);
    t.setTimeout(() => log.push(`b1@${t.now()}`), 20);
    t.setTimeout(() => log.push(`b2@${t.now()}`), 20);
    t.advance(19);
    expect(log).toEqual(['a@10']);
    expect(t.now()).toBe(19);
    t.advance(100);
    expect(log).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
    expect(t.now()).toBe(119);
    expect(t.pending).toBe(0);
  });

  it('fires timers set by a firing timer when they fall due within the same advance', () => {
    const t = new ManualTimers();
    const log: number[] = [];
    const tick = () => {
      log.push(t.now());
      if (log.length < 5) t.setTimeout(tick, 10);
    };
    t.setTimeout(tick, 10);
    t.setTimeout(() => log.push(-t.now()), 25);
    t.advance(35);
    expect(log).toEqual([10, 20, -25, 30]);
    t.advance(100);
    expect(log).toEqual([10, 20, -25, 30, 40]);
  });

  it('clearTimeout cancels (also from inside a firing timer), and pending counts live timers only', () => {
    const t = new ManualTimers();
    const log: string[] = [];
    const b = t.setTimeout(() => log.push('b'), 20);
    t.setTimeout(() => {
      log.push('a');
      t.clearTimeout(b);
    }, 10);
    const c = t.setTimeout(() => log.push('c'), 30);
    expect(t.pending).toBe(3);
    t.clearTimeout(c);
    t.clearTimeout(c);
    t.clearTimeout(undefined);
    expect(t.pending).toBe(2);
    t.advance(50);
    expect(log).toEqual(['a']);
    expect(t.pending).toBe(0);
  });

  it('stays fast with many timers and set/clear churn (a heap, not a sort per fire)', () => {
    const t = new ManualTimers();
    const n = 10_000;
    let fired = 0;
    let last = -1;
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      // a request timer that is re-armed a few times, as multipart parts do
      let h = t.setTimeout(() => undefined, 1_000_000);
      for (let k = 0; k < 3; k++) {
        t.clearTimeout(h);
        h = t.setTimeout(() => undefined, 1_000_000);
      }
      t.clearTimeout(h);
      t.setTimeout(
        () => {
          if (t.now() < last) throw new Error(`fired at ${t.now()} after ${last}`);
          last = t.now();
          fired++;
        },
        (i * 7919) % 10_007,
      );
    }
    expect(t.pending).toBe(n);
    t.advance(10_007);
    expect(fired).toBe(n);
    expect(t.pending).toBe(0);
    // about 20 ms on an idle machine; sorting every pending timer on each fire took half a minute
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
