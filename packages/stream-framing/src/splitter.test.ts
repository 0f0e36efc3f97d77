import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameLengthError, LengthPrefixedSplitter, type SplitterOptions } from './splitter.js';

// Three framings: OpenFlow's (16-bit length at 2), sysproxy's (32-bit length at 0, the error
// sees the request number after it), and an odd one (length field at an unaligned offset,
// header as long as the shortest frame).
const CONFIGS: Record<string, SplitterOptions> = {
  openflow: { lengthOffset: 2, lengthBytes: 2, headerBytes: 4, minLength: 8, maxLength: 300, errorBytes: 64 },
  sysproxy: { lengthOffset: 0, lengthBytes: 4, headerBytes: 8, minLength: 16, maxLength: 2000 },
  odd: { lengthOffset: 3, lengthBytes: 2, headerBytes: 6, minLength: 6, maxLength: 70 },
};

function putLength(f: Uint8Array, o: SplitterOptions, len: number): void {
  const p = o.lengthOffset;
  if (o.lengthBytes === 2) {
    f[p] = len >>> 8;
    f[p + 1] = len & 0xff;
  } else {
    f[p] = len >>> 24;
    f[p + 1] = (len >>> 16) & 0xff;
    f[p + 2] = (len >>> 8) & 0xff;
    f[p + 3] = len & 0xff;
  }
}

/** A frame of `len` bytes with pseudo-random contents and its length in the header. */
function frame(o: SplitterOptions, len: number, seed: number): Uint8Array {
  const f = new Uint8Array(len);
  let x = seed | 1;
  for (let i = 0; i < len; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    f[i] = x >>> 24;
  }
  putLength(f, o, len);
  return f;
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Chunks of `stream` cut at the given points (sorted, deduplicated, clamped). */
function chunked(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(c, stream.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let p = 0;
  for (const c of [...points, stream.length]) {
    out.push(stream.subarray(p, c));
    p = c;
  }
  return out;
}

const arbFrames = (o: SplitterOptions) =>
  fc
    .array(fc.tuple(fc.integer({ min: o.minLength, max: o.maxLength }), fc.integer()), { maxLength: 12 })
    .map((xs) => xs.map(([len, seed]) => frame(o, len, seed)));

describe.each(Object.entries(CONFIGS))('LengthPrefixedSplitter (%s framing)', (_name, o) => {
  it('yields the same frames whatever the chunking, holding at most one partial frame', () => {
    fc.assert(
      fc.property(arbFrames(o), fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
        const stream = concat(frames);
        const s = new LengthPrefixedSplitter(o);
        const got: Uint8Array[] = [];
        let pushed = 0;
        let emitted = 0;
        for (const c of chunked(stream, cuts)) {
          const out = s.push(c);
          got.push(...out);
          pushed += c.length;
          emitted += out.reduce((n, f) => n + f.length, 0);
          // bounded: exactly the bytes of the one frame in progress are held
          expect(s.pending).toBe(pushed - emitted);
          const current = frames[got.length];
          expect(s.pending).toBeLessThan(current ? current.length : 1);
        }
        expect(got.map(hex)).toEqual(frames.map(hex));
        expect(s.pending).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('throws a FrameLengthError carrying every whole frame before a bad length', () => {
    const badLength = fc.oneof(
      fc.integer({ min: 0, max: o.minLength - 1 }),
      fc.integer({ min: o.maxLength + 1, max: o.lengthBytes === 2 ? 0xffff : 0xffffffff }),
    );
    fc.assert(
      fc.property(
        arbFrames(o),
        badLength,
        fc.integer(),
        fc.array(fc.nat(), { maxLength: 40 }),
        (good, bad, seed, cuts) => {
          const badFrame = frame(o, o.maxLength, seed).subarray(0, o.headerBytes + 70);
          putLength(badFrame, o, bad);
          const stream = concat([...good, badFrame]);
          const s = new LengthPrefixedSplitter(o);
          const got: Uint8Array[] = [];
          let err: FrameLengthError | undefined;
          for (const c of chunked(stream, cuts)) {
            try {
              got.push(...s.push(c));
            } catch (e) {
              expect(e).toBeInstanceOf(FrameLengthError);
              err = e as FrameLengthError;
              break;
            }
          }
          expect(err).toBeDefined();
          const e = err as FrameLengthError;
          expect([...got, ...e.frames].map(hex)).toEqual(good.map(hex));
          expect(e.length).toBe(bad);
          // the head is a copy of the bad frame's start: at least the header, at most errorBytes
          expect(e.head.length).toBeGreaterThanOrEqual(o.headerBytes);
          expect(e.head.length).toBeLessThanOrEqual(Math.max(o.headerBytes, o.errorBytes ?? 0));
          expect(hex(e.head)).toBe(hex(badFrame.subarray(0, e.head.length)));
          expect(e.head.buffer).not.toBe(stream.buffer);
          expect(s.pending).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('LengthPrefixedSplitter', () => {
  const of = CONFIGS['openflow'] as SplitterOptions;

  it('hands out frames inside one chunk as views, without copying', () => {
    const a = frame(of, 20, 1);
    const b = frame(of, 30, 2);
    const c = frame(of, 12, 3);
    const chunk = concat([a, b, c]);
    const [x, y, z] = new LengthPrefixedSplitter(of).push(chunk);
    for (const v of [x, y, z]) expect(v?.buffer).toBe(chunk.buffer);
    expect([x, y, z].map((v) => hex(v as Uint8Array))).toEqual([a, b, c].map(hex));
  });

  it('copies a frame straddling chunks once, and the frames after it in the last chunk are views', () => {
    const a = frame(of, 40, 1);
    const b = frame(of, 24, 2);
    const c = frame(of, 16, 3);
    const s = new LengthPrefixedSplitter(of);
    expect(s.push(a.subarray(0, 10))).toEqual([]);
    const last = concat([a.subarray(10), b, c]);
    const out = s.push(last);
    expect(out.map(hex)).toEqual([a, b, c].map(hex));
    expect(out[0]?.buffer).not.toBe(last.buffer);
    expect(out[1]?.buffer).toBe(last.buffer);
    expect(out[2]?.buffer).toBe(last.buffer);
  });

  it('refuses a bad length read from a header that arrived in pieces, with no frames before it', () => {
    const s = new LengthPrefixedSplitter({ ...of, errorBytes: 64 });
    const good = frame(of, 8, 7);
    expect(s.push(good.subarray(0, 3))).toEqual([]);
    expect(s.push(good.subarray(3))).toHaveLength(1);
    const bad = frame(of, 100, 9);
    putLength(bad, of, 3);
    expect(s.push(bad.subarray(0, 1))).toEqual([]);
    expect(s.push(bad.subarray(1, 2))).toEqual([]);
    try {
      s.push(bad.subarray(2, 50));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FrameLengthError);
      const err = e as FrameLengthError;
      expect(err.frames).toEqual([]);
      expect(err.length).toBe(3);
      expect(err.message).toBe('frame length 3 outside 8..300');
      expect(hex(err.head)).toBe(hex(bad.subarray(0, 50)));
    }
    expect(s.pending).toBe(0);
    // the splitter starts afresh
    expect(s.push(good).map(hex)).toEqual([hex(good)]);
  });

  it('refuses every frame when maxLength is below minLength', () => {
    const s = new LengthPrefixedSplitter({ ...of, maxLength: 0 });
    expect(() => s.push(frame(of, 8, 1))).toThrow(FrameLengthError);
  });

  it('drops a partial frame on reset', () => {
    const s = new LengthPrefixedSplitter(of);
    s.push(frame(of, 50, 1).subarray(0, 30));
    expect(s.pending).toBe(30);
    s.reset();
    expect(s.pending).toBe(0);
    const f = frame(of, 9, 2);
    expect(s.push(f).map(hex)).toEqual([hex(f)]);
  });

  it('checks its options', () => {
    expect(() => new LengthPrefixedSplitter({ ...of, lengthBytes: 3 as 2 })).toThrow(RangeError);
    expect(() => new LengthPrefixedSplitter({ ...of, headerBytes: 3 })).toThrow(
      /does not reach the end of the length field/,
    );
    expect(() => new LengthPrefixedSplitter({ ...of, minLength: 2 })).toThrow(/shorter than the header/);
    expect(() => new LengthPrefixedSplitter({ ...of, lengthOffset: -1 })).toThrow(RangeError);
    expect(() => new LengthPrefixedSplitter({ ...of, maxLength: NaN })).toThrow(
      /maxLength NaN is not a number/,
    );
    // any other maximum just bounds the lengths
    const f = frame(of, 9, 1);
    expect(new LengthPrefixedSplitter({ ...of, maxLength: Infinity }).push(f)).toHaveLength(1);
    expect(new LengthPrefixedSplitter({ ...of, maxLength: 9.5 }).push(f)).toHaveLength(1);
    expect(() => new LengthPrefixedSplitter({ ...of, maxLength: -1 }).push(f)).toThrow(FrameLengthError);
  });

  describe('is linear in the input', () => {
    afterEach(() => vi.restoreAllMocks());

    /** Push `stream` one byte at a time; returns the frames and the bytes copied doing it. */
    function byteByByte(
      o: SplitterOptions,
      stream: Uint8Array,
    ): { frames: number; copied: number; ms: number } {
      const set = vi.spyOn(Uint8Array.prototype, 'set');
      const s = new LengthPrefixedSplitter(o);
      let frames = 0;
      const t0 = performance.now();
      for (let i = 0; i < stream.length; i++) frames += s.push(stream.subarray(i, i + 1)).length;
      const ms = performance.now() - t0;
      const copied = set.mock.calls.reduce((n, [src]) => n + (src as ArrayLike<number>).length, 0);
      set.mockRestore();
      expect(s.pending).toBe(0);
      return { frames, copied, ms };
    }

    it('copies each byte of a 256 KiB frame pushed byte by byte once', () => {
      const big = {
        lengthOffset: 0,
        lengthBytes: 4,
        headerBytes: 8,
        minLength: 16,
        maxLength: 1 << 21,
      } as const;
      const n = 1 << 18;
      const r = byteByByte(big, frame(big, n, 5));
      expect(r.frames).toBe(1);
      // one copy of the frame, plus the header joined once to read the length
      expect(r.copied).toBeLessThanOrEqual(n + big.headerBytes);
      // quadratic work would be ~3e10 byte copies here
      expect(r.ms).toBeLessThan(10_000);
    });

    it('copies each byte of many small frames pushed byte by byte a bounded number of times', () => {
      const frames = Array.from({ length: 5000 }, (_, i) => frame(of, 8 + (i % 50), i));
      const stream = concat(frames);
      const r = byteByByte(of, stream);
      expect(r.frames).toBe(frames.length);
      expect(r.copied).toBeLessThanOrEqual(stream.length + frames.length * of.headerBytes);
    });
  });
});
