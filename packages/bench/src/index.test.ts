import { describe, expect, it } from 'vitest';
import { formatReport, measure } from './index.js';

describe('measure', () => {
  it('reports a positive rate that reflects the work done', () => {
    const light = measure({ name: 'light', fn: () => 1 + 1 }, { batchMs: 10, batches: 3, warmupMs: 10 });
    const heavy = measure(
      {
        name: 'heavy',
        fn: () => {
          let s = 0;
          for (let i = 0; i < 20_000; i++) s += Math.sqrt(i);
          return s;
        },
      },
      { batchMs: 10, batches: 3, warmupMs: 10 },
    );
    expect(light.opsPerSec).toBeGreaterThan(0);
    expect(heavy.opsPerSec).toBeLessThan(light.opsPerSec);
    expect(heavy.nsPerOp).toBeCloseTo(1e9 / heavy.opsPerSec);
  });

  it('formats a report with ratios to the baseline and target verdicts', () => {
    const base = { name: 'base', opsPerSec: 1000, nsPerOp: 1e6, batches: 1 };
    const fast = { name: 'fast', opsPerSec: 2500, nsPerOp: 4e5, batches: 1 };
    const text = formatReport('T', [fast], base, { fast: 2000 });
    expect(text).toContain('2.500');
    expect(text).toContain('met');
    expect(formatReport('T', [fast], base, { fast: 3000 })).toContain('MISSED');
  });
});
