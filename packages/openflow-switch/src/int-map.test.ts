import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntVectorMap } from './int-map.js';

/** A deliberately poor hash (few distinct values), so probes collide and runs wrap around. */
const weakHash = (w: readonly number[]): number => ((w[0] ?? 0) & 3) | ((w[1] ?? 0) & 0x40);

const arbWord = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.integer().map((x) => x | 0),
  fc.constantFrom(0x7fffffff, -0x80000000),
);

describe('IntVectorMap', () => {
  for (const width of [0, 1, 2, 5, 7]) {
    it(`behaves like a Map under any sequence of sets and deletes (width ${width}, colliding hashes)`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.boolean(), fc.array(arbWord, { minLength: width, maxLength: width })), {
            maxLength: 300,
          }),
          fc.boolean(),
          (ops, strong) => {
            // strong: a real hash; weak: many keys per hash value
            const hash = strong
              ? (w: readonly number[]) => w.reduce((h, x) => Math.imul(h ^ x, 0x01000193), 0x811c9dc5) | 0
              : weakHash;
            const m = new IntVectorMap<number>(width);
            const ref = new Map<string, number>();
            const seen: number[][] = [];
            ops.forEach(([del, k], n) => {
              seen.push(k);
              if (del) expect(m.delete(hash(k), k)).toBe(ref.delete(k.join()));
              else {
                m.set(hash(k), k, n);
                ref.set(k.join(), n);
              }
            });
            expect(m.size).toBe(ref.size);
            for (const k of seen) expect(m.get(hash(k), k)).toBe(ref.get(k.join()));
            expect(
              m.get(
                hash([...Array(width).keys()].map((x) => x + 1000)),
                [...Array(width).keys()].map((x) => x + 1000),
              ),
            ).toBe(ref.get([...Array(width).keys()].map((x) => x + 1000).join()));
            expect([...m.values()].sort((a, b) => a - b)).toEqual([...ref.values()].sort((a, b) => a - b));
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('looks keys up from masked packet slots', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 51, maxLength: 51 }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer(),
        (slotList, packets, maskSeed) => {
          const used = Uint8Array.from(slotList.sort((a, b) => a - b));
          const masks = Int32Array.from(used, (_, i) => (maskSeed * (i + 1)) | 1);
          const m = new IntVectorMap<number>(used.length);
          const keyOf = (p: Uint32Array) =>
            Array.from(used, (s, i) => ((p[s] as number) & (masks[i] as number)) | 0);
          const slots = packets.map((p) => Uint32Array.from(p));
          // store every other packet's key; all of them must be found, the others only if equal
          slots.forEach((p, i) => {
            if (i % 2 === 0) m.set(weakHash(keyOf(p)), keyOf(p), i);
          });
          for (const p of slots) {
            const k = keyOf(p);
            expect(m.getMasked(weakHash(k), p, used, masks)).toBe(m.get(weakHash(k), k));
          }
          slots.forEach((p, i) => {
            if (i % 2 === 0) expect(m.getMasked(weakHash(keyOf(p)), p, used, masks)).toBeDefined();
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
