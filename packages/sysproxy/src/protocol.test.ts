import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERRNO, SyscallError, errnoName } from './errno.js';
import { CLASS, DEFAULT_MAX_FRAME, FrameError, FrameSplitter, HEADER_LEN, TYPE, decodeFrame, encodeFrame, formatBanner, parseBanner, type Frame } from './frame.js';
import { newProcessRequest, syscallRequest } from './messages.js';
import { SYSCALLS, checkShapes, syscallName } from './syscalls.js';
import { type Value, ValueError, encodeValues, readValues } from './values.js';

const value: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.integer(),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((b) => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b)),
    fc.uint8Array({ maxLength: 64 }),
    fc.string(),
    fc.array(tie('v'), { maxLength: 4 }),
  ),
})).v;

const norm = (v: Value): unknown => (v instanceof Uint8Array ? [...v] : Array.isArray(v) ? v.map(norm) : v);

describe('values', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 6 }), (vs) => {
        const b = encodeValues(vs);
        expect(readValues(b, 0, b.length).map(norm)).toEqual(vs.map(norm));
      }),
    );
  });

  it('have the documented encoding', () => {
    expect(Buffer.from(encodeValues([null, 1, new Uint8Array([0xaa]), 'hi', [2]])).toString('hex')).toBe(
      '00' + '010000000000000001' + '0200000001aa' + '03000000026869' + '0400000001' + '010000000000000002',
    );
  });

  it('refuse integers outside int64 when encoding', () => {
    expect(() => encodeValues([1n << 63n])).toThrow(/outside int64/);
    expect(() => encodeValues([1.5])).toThrow(/not an integer/);
  });

  it('refuse hostile input with ValueError only', () => {
    expect(() => readValues(Buffer.from('04ffffffff', 'hex'), 0, 5)).toThrow(/beyond the frame/);
    expect(() => readValues(Buffer.from('02000000ff00', 'hex'), 0, 6)).toThrow(ValueError);
    expect(() => readValues(Buffer.from('09', 'hex'), 0, 1)).toThrow(/unknown value tag/);
    expect(() => readValues(Buffer.from('0400000001'.repeat(20), 'hex'), 0, 100)).toThrow(/nested deeper/);
    expect(() => readValues(Buffer.from('0300000001ff', 'hex'), 0, 6)).toThrow(/UTF-8/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        try {
          readValues(b, 0, b.length);
        } catch (e) {
          expect(e).toBeInstanceOf(ValueError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('frames', () => {
  it('encode the documented header', () => {
    const b = Buffer.from(encodeFrame(syscallRequest(7, SYSCALLS.getpid.number, [])));
    expect(b.toString('hex')).toBe('00000010' + '00000007' + '00' + '00' + '0002' + '00000014');
    const f = decodeFrame(b);
    expect(f).toEqual({ reqno: 7, cls: CLASS.REQUEST, type: TYPE.SYSCALL, aux: 20, body: [] });
  });

  it('split from any chunking', () => {
    const frames: Frame[] = [
      newProcessRequest(1, 'switchd'),
      syscallRequest(2, SYSCALLS.write.number, [3, new Uint8Array(3000)]),
      syscallRequest(3, SYSCALLS.read.number, [3, 100]),
    ];
    const stream = Buffer.concat(frames.map(encodeFrame));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 10 }), (cuts) => {
        const s = new FrameSplitter();
        const got: Frame[] = [];
        let p = 0;
        for (const c of [...cuts.sort((a, b) => a - b), stream.length]) {
          for (const b of s.push(stream.subarray(p, c))) got.push(decodeFrame(b));
          p = c;
        }
        expect(got.map((f) => f.reqno)).toEqual([1, 2, 3]);
        expect(s.pending).toBe(0);
      }),
    );
  });

  it('treat a length outside the bounds as fatal, naming the request', () => {
    const s = new FrameSplitter(1024);
    const big = Buffer.from(encodeFrame(syscallRequest(9, 4, [3, new Uint8Array(2000)])));
    try {
      s.push(big.subarray(0, 8));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FrameError);
      expect((e as FrameError).fatal).toBe(true);
      expect((e as FrameError).reqno).toBe(9);
    }
    expect(() => new FrameSplitter().push(Buffer.from('0000000400000001', 'hex'))).toThrow(/outside 16/);
    expect(DEFAULT_MAX_FRAME).toBeGreaterThan(1024 * 1024);
  });

  it('refuse unknown classes, types and reserved bits without losing the stream', () => {
    const base = Buffer.from(encodeFrame(syscallRequest(5, 20, [])));
    for (const [off, val] of [
      [8, 7],
      [11, 9],
      [9, 1],
    ] as const) {
      const b = Buffer.from(base);
      b[off] = val;
      try {
        decodeFrame(b);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(FrameError);
        expect((e as FrameError).fatal).toBe(false);
        expect((e as FrameError).reqno).toBe(5);
      }
    }
    expect(HEADER_LEN).toBe(16);
  });
});

describe('banner, errno, syscall table', () => {
  it('formats and parses the banner', () => {
    const b = { version: 1, implementation: 'rump-kernel-server', implementationVersion: '0.1.0', auth: 'token' as const, maxFrame: 1052672 };
    expect(formatBanner(b)).toBe('RUMPFLOW-SP/1 rump-kernel-server 0.1.0 auth=token maxframe=1052672\n');
    expect(parseBanner(formatBanner(b))).toEqual(b);
    expect(() => parseBanner('RUMPSP-0.4-NetBSD-9.0/amd64\n')).toThrow(/not a rumpflow sysproxy banner/);
  });

  it('names NetBSD errnos', () => {
    expect([ERRNO.EBADF, ERRNO.EAGAIN, ERRNO.ENOSYS, ERRNO.ECANCELED, ERRNO.EAUTH]).toEqual([9, 35, 78, 87, 80]);
    expect(errnoName(35)).toBe('EAGAIN');
    expect(errnoName(999)).toBe('E999');
    const e = new SyscallError(9, 'read');
    expect([e.message, e.code]).toEqual(['read: EBADF', 'EBADF']);
  });

  it('checks arguments against each syscall', () => {
    expect(syscallName(453)).toBe('pipe2');
    expect(syscallName(1)).toBeUndefined();
    expect(checkShapes(SYSCALLS.open.args, ['/dev/null', 2, 0])).toBeUndefined();
    expect(checkShapes(SYSCALLS.open.args, ['/dev/null', 2])).toMatch(/2 values, expected 3/);
    expect(checkShapes(SYSCALLS.write.args, [1, 'text'])).toMatch(/value 2 is not bytes/);
    expect(checkShapes(SYSCALLS.__kevent50.args, [3, [[1, 0, 1, 0, 0, 0]], 8, null])).toBeUndefined();
    expect(checkShapes(SYSCALLS.poll.args, [[[1, 2, 3]], 0])).toMatch(/value 1 is not pollfds/);
  });
});
