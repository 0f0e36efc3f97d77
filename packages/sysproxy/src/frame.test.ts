import { describe, expect, it } from 'vitest';
import { FrameError, FrameSplitter, HEADER_LEN, decodeFrame, encodeFrame } from './frame.js';
import { syscallRequest } from './messages.js';

const req = (reqno: number, n = 0) =>
  Buffer.from(encodeFrame(syscallRequest(reqno, 4, [3, new Uint8Array(n)])));

describe('FrameSplitter', () => {
  it('copies a frame straddling chunks once; the frames after it in the last chunk are views', () => {
    const s = new FrameSplitter();
    const a = req(1, 100);
    expect(s.push(a.subarray(0, 30))).toEqual([]);
    expect(s.pending).toBe(30);
    const last = Buffer.concat([a.subarray(30), req(2), req(3)]);
    const out = s.push(last);
    expect(out.map((b) => decodeFrame(b).reqno)).toEqual([1, 2, 3]);
    expect(out[0]?.buffer).not.toBe(last.buffer);
    expect(out[1]?.buffer).toBe(last.buffer);
    expect(out[2]?.buffer).toBe(last.buffer);
    expect(s.pending).toBe(0);
  });

  it("hands over the whole frames before a bad length, naming the bad frame's request", () => {
    const bad = Buffer.from('ffffffff0000002a', 'hex');
    try {
      new FrameSplitter(4096).push(Buffer.concat([req(1), req(2, 10), bad]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FrameError);
      const err = e as FrameError;
      expect([err.fatal, err.reqno, err.message]).toEqual([
        true,
        42,
        `frame length 4294967295 outside ${HEADER_LEN}..4096`,
      ]);
      expect(err.frames.map((b) => decodeFrame(b).reqno)).toEqual([1, 2]);
    }
  });

  it('waits for the request number before judging a length that arrives in pieces', () => {
    const s = new FrameSplitter();
    expect(s.push(Buffer.from('00000004', 'hex'))).toEqual([]);
    expect(s.push(Buffer.from('000000', 'hex'))).toEqual([]);
    try {
      s.push(Buffer.from('07', 'hex'));
      expect.unreachable();
    } catch (e) {
      expect([(e as FrameError).reqno, (e as FrameError).frames]).toEqual([7, []]);
    }
    expect(s.pending).toBe(0);
  });
});
