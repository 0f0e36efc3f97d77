import { describe, expect, it } from 'vitest';
import { OfpError } from './errors.js';
import { FramingError, MessageFramer } from './framer.js';
import { decode, encode } from './messages.js';

const echo = (xid: number, n: number) => encode({ type: 'ECHO_REQUEST', xid, data: new Uint8Array(n).fill(xid) });

describe('MessageFramer', () => {
  it('splits a stream into whole messages whatever the chunking', () => {
    const msgs = [echo(1, 0), echo(2, 100), echo(3, 5), echo(4, 65535 - 8)];
    const stream = Buffer.concat(msgs);
    for (const step of [1, 3, 7, 8, 1000, stream.length]) {
      const f = new MessageFramer();
      const out: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i += step) out.push(...f.push(stream.subarray(i, i + step)));
      expect(out.map((m) => Buffer.from(m).toString('hex'))).toEqual(msgs.map((m) => Buffer.from(m).toString('hex')));
      expect(f.pending).toBe(0);
    }
  });

  it('returns views without copying when a message lies in one chunk', () => {
    const chunk = Buffer.concat([echo(1, 4), echo(2, 4)]);
    const [a, b] = new MessageFramer().push(chunk);
    expect(a?.buffer).toBe(chunk.buffer);
    expect(decode(b as Uint8Array)).toMatchObject({ type: 'ECHO_REQUEST', xid: 2 });
  });

  it('copies a message straddling chunks once; the messages after it in the last chunk are views', () => {
    const f = new MessageFramer();
    const a = echo(1, 40);
    expect(f.push(a.subarray(0, 20))).toEqual([]);
    const last = Buffer.concat([a.subarray(20), echo(2, 4), echo(3, 4)]);
    const out = f.push(last);
    expect(out.map((m) => decode(m).xid)).toEqual([1, 2, 3]);
    expect(out[0]?.buffer).not.toBe(last.buffer);
    expect(out[1]?.buffer).toBe(last.buffer);
    expect(out[2]?.buffer).toBe(last.buffer);
  });

  it('carries the first 64 bytes of the bad message, and no more', () => {
    const bad = Buffer.alloc(200, 0xab);
    bad.writeUInt16BE(4, 2);
    try {
      new MessageFramer().push(Buffer.concat([echo(1, 0), bad]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FramingError);
      expect(Buffer.from((e as FramingError).data).equals(bad.subarray(0, 64))).toBe(true);
      expect((e as FramingError).message).toBe('BAD_REQUEST/BAD_LEN: stream framing lost: message length 4 (allowed 8..65535)');
    }
  });

  it('holds at most one partial message', () => {
    const f = new MessageFramer();
    expect(f.push(echo(1, 10).subarray(0, 5))).toEqual([]);
    expect(f.pending).toBe(5);
    f.reset();
    expect(f.pending).toBe(0);
  });

  it('hands over the whole messages that came before a bad length', () => {
    const f = new MessageFramer();
    try {
      f.push(Buffer.concat([echo(1, 0), echo(2, 3), Buffer.from('04020004', 'hex')]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FramingError);
      expect((e as FramingError).messages.map((m) => decode(m).xid)).toEqual([1, 2]);
    }
  });

  it('refuses lengths below the header or above the maximum with BAD_REQUEST/BAD_LEN', () => {
    expect(() => new MessageFramer().push(Buffer.from('04020004', 'hex'))).toThrow(OfpError);
    const f = new MessageFramer({ maxMessageLen: 1024 });
    try {
      f.push(echo(1, 2000));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(OfpError);
      expect([(e as OfpError).type, (e as OfpError).code]).toEqual([1, 6]);
    }
    expect(f.pending).toBe(0);
  });
});
