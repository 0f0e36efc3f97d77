// Pipes: a bounded byte buffer between a read end and a write end.

import { ERRNO } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import type { FileObject, IoContext, Readiness } from './file.js';
import { WaitChannel, blockUntil } from './wait.js';

/** Capacity of a pipe (BSD's big-pipe size). */
export const PIPE_BUF_SIZE = 65536;

let pipes = 0;

export function createPipe(): [FileObject, FileObject] {
  const id = ++pipes;
  const chunks: Uint8Array[] = [];
  let held = 0;
  let readerOpen = true;
  let writerOpen = true;
  const channel = new WaitChannel(); // both ends share one: any change wakes both sides

  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(Math.min(n, held));
    let o = 0;
    while (o < out.length) {
      const c = chunks[0] as Uint8Array;
      const k = Math.min(c.length, out.length - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) chunks.shift();
      else chunks[0] = c.subarray(k);
    }
    held -= out.length;
    return out;
  };

  const readiness = (): Readiness => ({
    readable: held,
    writable: readerOpen ? PIPE_BUF_SIZE - held : 0,
    eof: !writerOpen,
    hangup: !readerOpen,
  });

  const readEnd: FileObject = {
    kind: 'pipe',
    name: `pipe#${id} (read end)`,
    channel,
    readiness,
    read: (n: number, ctx: IoContext) => {
      if (n === 0) return new Uint8Array(0);
      return blockUntil(channel, ctx.intr, ctx.nonblocking, () => {
        if (held > 0) {
          const out = take(n);
          channel.wake();
          return out;
        }
        return writerOpen ? undefined : new Uint8Array(0);
      });
    },
    close: () => {
      readerOpen = false;
      chunks.length = 0;
      held = 0;
      channel.wake();
    },
  };

  const writeEnd: FileObject = {
    kind: 'pipe',
    name: `pipe#${id} (write end)`,
    channel,
    readiness,
    write: async (data: Uint8Array, ctx: IoContext) => {
      let done = 0;
      while (done < data.length) {
        const n = await blockUntil(channel, ctx.intr, ctx.nonblocking, () => {
          if (!readerOpen) throw new KernelError(ERRNO.EPIPE);
          const room = PIPE_BUF_SIZE - held;
          if (room === 0) return ctx.nonblocking && done > 0 ? 0 : undefined;
          const k = Math.min(room, data.length - done);
          chunks.push(data.slice(done, done + k));
          held += k;
          channel.wake();
          return k;
        });
        if (n === 0) break; // non-blocking and full after a partial write
        done += n;
      }
      return done;
    },
    close: () => {
      writerOpen = false;
      channel.wake();
    },
  };
  return [readEnd, writeEnd];
}
