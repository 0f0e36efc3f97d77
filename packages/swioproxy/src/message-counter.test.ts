import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageCounter } from './message-counter.js';

/** An OpenFlow-shaped message of `length` bytes (version 4, type from the seed). */
function message(length: number, seed: number): Uint8Array {
  const m = new Uint8Array(length).map((_, i) => (i * 31 + seed) & 0xff);
  m[0] = 4;
  m[2] = length >> 8;
  m[3] = length & 0xff;
  return m;
}

/** `bytes` cut at the given offsets. */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}

describe('MessageCounter', () => {
  it('counts whole messages however the stream is cut, and not a partial last one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 8, max: 3000 }), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.integer({ min: 0, max: 7 }),
        (lengths, at, tail) => {
          const msgs = lengths.map((l, i) => message(l, i));
          const partial = tail > 0 ? [message(100, 9).subarray(0, tail)] : [];
          const all = Buffer.concat([...msgs, ...partial]);
          const c = new MessageCounter();
          let sum = 0;
          for (const chunk of cut(all, at)) sum += c.push(chunk);
          expect(c.count).toBe(lengths.length);
          expect(sum).toBe(lengths.length);
          expect(c.lost).toBe(false);
        },
      ),
    );
  });

  it('stops counting when a header announces fewer than 8 bytes', () => {
    const c = new MessageCounter();
    c.push(message(8, 1));
    const bad = message(16, 2);
    bad[2] = 0;
    bad[3] = 4;
    expect(c.push(bad)).toBe(0);
    expect(c.lost).toBe(true);
    expect(c.push(message(8, 3))).toBe(0);
    expect(c.count).toBe(1);
  });

  it('reads a length split across chunks byte by byte', () => {
    const c = new MessageCounter();
    const m = message(0x1234, 5);
    for (let i = 0; i < 6; i++) c.push(m.subarray(i, i + 1));
    expect(c.count).toBe(0);
    c.push(m.subarray(6, m.length - 1));
    expect(c.count).toBe(0);
    c.push(m.subarray(m.length - 1));
    expect(c.count).toBe(1);
  });
});
