// Property tests of the meter's token buckets: whatever the packet sizes and arrival times, a
// DROP band never lets through more than its bucket plus its rate over the elapsed time, and
// traffic that stays within the rate (after the bucket) is never dropped.

import { type MeterBand, OFPMF } from '@rumpflow/openflow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Meter } from './meters.js';

const arrivals = fc.array(
  fc.record({
    gapMs: fc.double({ min: 0, max: 50, noNaN: true }),
    bytes: fc.integer({ min: 60, max: 1514 }),
  }),
  {
    minLength: 1,
    maxLength: 400,
  },
);

describe('meter token buckets', () => {
  it('kbps: passed bits <= burst + rate x elapsed, for any arrivals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        arrivals,
        (rate, burst, pkts) => {
          const m = new Meter(1, 0);
          m.configure(OFPMF.KBPS | OFPMF.BURST, [{ type: 'DROP', rate, burstSize: burst } as MeterBand], 0);
          let t = 0;
          let passedBits = 0;
          let passed = 0;
          for (const p of pkts) {
            t += p.gapMs;
            if (m.measure(p.bytes, t) === undefined) {
              passedBits += p.bytes * 8;
              passed++;
            }
          }
          expect(passedBits).toBeLessThanOrEqual(burst * 1000 + rate * t + 1e-6);
          expect(m.packetCount).toBe(pkts.length);
          expect(m.bands[0]!.packetCount).toBe(pkts.length - passed);
        },
      ),
    );
  });

  it('pktps: passed packets <= burst + rate x elapsed; packets spaced at the rate all pass', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 100 }),
        arrivals,
        (rate, burst, pkts) => {
          const m = new Meter(1, 0);
          m.configure(OFPMF.PKTPS | OFPMF.BURST, [{ type: 'DROP', rate, burstSize: burst } as MeterBand], 0);
          let t = 0;
          let passed = 0;
          for (const p of pkts) {
            t += p.gapMs;
            if (m.measure(p.bytes, t) === undefined) passed++;
          }
          expect(passed).toBeLessThanOrEqual(burst + (rate * t) / 1000 + 1e-9);
          // within the rate: one packet every 1000/rate ms (and a little more) always passes
          const spaced = new Meter(2, 0);
          spaced.configure(
            OFPMF.PKTPS | OFPMF.BURST,
            [{ type: 'DROP', rate, burstSize: burst } as MeterBand],
            0,
          );
          for (let i = 1; i <= 50; i++)
            expect(spaced.measure(100, (i * 1000) / rate + i * 1e-6)).toBeUndefined();
        },
      ),
    );
  });

  it('the band that applies is the exceeded one of the highest rate', () => {
    const m = new Meter(1, 0);
    m.configure(
      OFPMF.PKTPS | OFPMF.BURST,
      [
        { type: 'DSCP_REMARK', rate: 10, burstSize: 1, precLevel: 1 } as MeterBand,
        { type: 'DROP', rate: 20, burstSize: 2 } as MeterBand,
      ],
      0,
    );
    expect(m.measure(100, 0)).toBeUndefined(); // both buckets have a token
    expect(m.measure(100, 0)?.rate).toBe(10); // the remark bucket is empty, the drop one not
    expect(m.measure(100, 0)?.rate).toBe(20); // both empty: the higher rate (drop) applies
  });
});
