// Pipes: a bounded byte buffer between a read end and a write end, with BSD's semantics:
// a write of at most PIPE_BUF bytes is atomic (never split, never interleaved with another
// writer's bytes), a larger one may be split; without O_NONBLOCK a write waits for room, with
// it a write that cannot go in (an atomic one that does not fit whole, a larger one into a
// full pipe) is EAGAIN; writing with the reader gone, even nothing, is EPIPE.
//
// Each end has its own WaitChannel, woken only by the other side's activity: a write (or the
// writer's close) wakes the read end, a read (or the reader's close) wakes the write end. So
// EV_CLEAR on one end sees an edge only when the other side did something.

import { ERRNO } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import type { FileObject, IoContext } from './file.js';
import { ObjectCounter } from './objects.js';
import { WaitChannel, blockUntil } from './wait.js';

/** Capacity of a pipe (BSD's big-pipe size). */
export const PIPE_BUF_SIZE = 65536;
/** Writes of at most this many bytes are atomic (POSIX PIPE_BUF; NetBSD's value). */
export const PIPE_BUF = 512;

/** The bytes in a pipe, in the chunks they were written in. */
class ByteQueue {
  private readonly chunks: Uint8Array[] = [];
  held = 0;

  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.held += b.length;
  }

  /** Take up to `n` bytes from the front. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.held));
    let o = 0;
    while (o < out.length) {
      const c = this.chunks[0] as Uint8Array;
      const k = Math.min(c.length, out.length - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.held -= out.length;
    return out;
  }

  clear(): void {
    this.chunks.length = 0;
    this.held = 0;
  }
}

/** A new pipe: [read end, write end]. `objects` numbers it ('pipe#3') and counts it open. */
export function createPipe(objects: ObjectCounter = new ObjectCounter()): [FileObject, FileObject] {
  const { id, closed } = objects.create('pipe');
  const buf = new ByteQueue();
  let readerOpen = true;
  let writerOpen = true;
  const toReader = new WaitChannel(); // data arrived, or EOF
  const toWriter = new WaitChannel(); // room freed, or the reader went away
  const endClosed = () => {
    if (!readerOpen && !writerOpen) closed();
  };

  /** Put `data` from `from` on: all of an atomic write or nothing, else as much as fits. */
  const put = (data: Uint8Array, from: number): number | undefined => {
    if (!readerOpen) throw new KernelError(ERRNO.EPIPE);
    const room = PIPE_BUF_SIZE - buf.held;
    const rest = data.length - from;
    const n = data.length <= PIPE_BUF ? (room >= rest ? rest : 0) : Math.min(room, rest);
    if (n === 0) return undefined;
    buf.push(data.slice(from, from + n));
    toReader.wake();
    return n;
  };

  const write = async (data: Uint8Array, ctx: IoContext): Promise<number> => {
    if (!readerOpen) throw new KernelError(ERRNO.EPIPE);
    if (data.length === 0) return 0;
    if (ctx.nonblocking) {
      const n = put(data, 0);
      if (n === undefined) throw new KernelError(ERRNO.EAGAIN);
      return n;
    }
    let done = 0;
    while (done < data.length) done += await blockUntil(toWriter, ctx.intr, false, () => put(data, done));
    return done;
  };

  const readEnd: FileObject = {
    kind: 'pipe',
    name: `pipe#${id} (read end)`,
    channel: toReader,
    readiness: () => ({ readable: buf.held, writable: 0, eof: !writerOpen, hangup: false }),
    read: (n: number, ctx: IoContext) => {
      if (n === 0) return new Uint8Array(0);
      return blockUntil(toReader, ctx.intr, ctx.nonblocking, () => {
        if (buf.held > 0) {
          const out = buf.take(n);
          toWriter.wake();
          return out;
        }
        return writerOpen ? undefined : new Uint8Array(0);
      });
    },
    close: () => {
      readerOpen = false;
      buf.clear();
      toWriter.wake();
      endClosed();
    },
  };

  const writeEnd: FileObject = {
    kind: 'pipe',
    name: `pipe#${id} (write end)`,
    channel: toWriter,
    readiness: () => ({ readable: 0, writable: readerOpen ? PIPE_BUF_SIZE - buf.held : 0, eof: false, hangup: !readerOpen }),
    write,
    close: () => {
      writerOpen = false;
      toReader.wake();
      endClosed();
    },
  };
  return [readEnd, writeEnd];
}
