import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntMap } from './int-map.js';

describe('IntMap', () => {
  it('behaves like a Map under any sequence of sets and deletes, colliding keys included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.integer({ min: -64, max: 64 }), fc.integer().map((x) => x | 0), fc.integer({ min: 0, max: 8 }).map((x) => x * 16))), {
          maxLength: 400,
        }),
        (ops) => {
          const m = new IntMap<number>();
          const ref = new Map<number, number>();
          ops.forEach(([del, k], n) => {
            if (del) expect(m.delete(k)).toBe(ref.delete(k));
            else {
              m.set(k, n);
              ref.set(k, n);
            }
          });
          expect(m.size).toBe(ref.size);
          for (const [k, v] of ref) expect(m.get(k)).toBe(v);
          for (let k = -70; k < 140; k++) if (!ref.has(k)) expect(m.get(k)).toBeUndefined();
          expect([...m.values()].sort((a, b) => a - b)).toEqual([...ref.values()].sort((a, b) => a - b));
        },
      ),
      { numRuns: 300 },
    );
  });
});
