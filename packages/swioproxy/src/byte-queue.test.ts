import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteQueue } from './byte-queue.js';

describe('ByteQueue', () => {
  it('hands out the pushed bytes in order, in fronts of at most max bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
        (chunks, max, takes) => {
          const q = new ByteQueue();
          for (const c of chunks) q.push(c);
          const want = Buffer.concat(chunks);
          expect(q.held).toBe(want.length);
          const got: Uint8Array[] = [];
          let t = 0;
          while (q.held > 0) {
            const f = q.front(max);
            expect(f.length).toBe(Math.min(max, q.held));
            // a write may take only part of what it was offered
            const n = Math.max(1, Math.min(f.length, takes[t++ % takes.length] as number));
            got.push(f.slice(0, n));
            q.consume(n);
          }
          expect(Buffer.concat(got).equals(want)).toBe(true);
          expect(q.front(max).length).toBe(0);
        },
      ),
    );
  });

  it('takes pushes that arrive between front() and consume()', () => {
    const q = new ByteQueue();
    q.push(Uint8Array.of(1, 2));
    q.push(Uint8Array.of(3));
    const f = q.front(10);
    expect([...f]).toEqual([1, 2, 3]);
    q.push(Uint8Array.of(4, 5));
    q.consume(2);
    expect([...q.front(10)]).toEqual([3, 4, 5]);
    expect(q.held).toBe(3);
  });
});
