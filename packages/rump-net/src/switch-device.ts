// /dev/switchN: the character device of a switch(4) interface, as OpenBSD's switch(4)
// documents it, except that every open() gets its own controller channel (OpenBSD allows one
// opener and answers EBUSY), so several controllers attach at once, each with its own role
// and asynchronous configuration.
//
// - open(): a channel is attached; its HELLO waits to be read.
// - read(): an OpenFlow byte stream; a read takes up to the bytes asked for, so it may return
//   several messages or part of one. Blocks while nothing is queued (O_NONBLOCK: EAGAIN).
//   After the channel is reset (a new datapath id, the switch destroyed, a HELLO failure)
//   the queued bytes are still read, then end of file.
// - write(): bytes into the channel, split anywhere; at most WRITE_CHUNK bytes are taken per
//   call (a short write). A write waits while the output queue is at or above its limit
//   (O_NONBLOCK: EAGAIN), so a controller that stops reading stops being able to ask.
//   Writes are served in the order they were made, also while one waits: a client may
//   pipeline writes of at most WRITE_CHUNK bytes each without reordering its messages.
// - kqueue/poll: EVFILT_READ reports the bytes queued; EVFILT_WRITE is ready while the
//   queue is below its limit (and reports the room left).
// - Overflow policy of the output queue (bounded at `queueLimit` bytes): asynchronous
//   messages (PACKET_IN, FLOW_REMOVED, PORT_STATUS) arriving while the queue is full are
//   dropped and counted (asyncDropped). Replies are never dropped: they may take the queue
//   beyond its limit, up to `hardLimit`; a reply that would pass even that (a controller that
//   asked for more than it reads) resets the channel, counted in overflowResets and logged
//   through `onEvent`, and the reader sees end of file after what is queued.
// - close(): the channel detaches; flows and ports stay.
// - ioctl(): the switch interface ioctls (SIOCBRDG*, SIOCSW*) work on the device too.

import { OFPT } from '@rumpflow/openflow';
import {
  type Driver,
  type FileObject,
  type IoContext,
  type IoctlResult,
  KernelError,
  WaitChannel,
  blockUntil,
} from '@rumpflow/rump-kernel';
import { ERRNO } from '@rumpflow/sysproxy';
import type { ChannelUser, SwitchInterface } from './switch.js';

/** Bytes taken from one write() at most. */
export const WRITE_CHUNK = 65536;

export interface SwitchDeviceOptions {
  /** Output queue bound in bytes (default 256 KiB). */
  readonly queueLimit?: number;
  /** Replies may take the queue up to this (default 16 MiB). */
  readonly hardLimit?: number;
  /** The device's ioctls (the network's handler). */
  readonly ioctl?: (cmd: number, data: Uint8Array | null, ctx: IoContext) => Promise<IoctlResult>;
  /** Noteworthy events (an overflow reset) for the log. */
  readonly onEvent?: (msg: string) => void;
}

/** Counters of a switch device, over all its openers. */
export interface SwitchDeviceStats {
  opens: number;
  openNow: number;
  bytesToController: number;
  bytesToSwitch: number;
  asyncDropped: number;
  overflowResets: number;
}

const ASYNC = new Set<number>([OFPT.PACKET_IN, OFPT.FLOW_REMOVED, OFPT.PORT_STATUS]);

/** The bytes of one opener's output, in the chunks they were queued in. */
class OutQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  held = 0;

  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.held += b.length;
  }

  take(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.held));
    let o = 0;
    while (o < out.length) {
      const c = this.chunks[this.head] as Uint8Array;
      const k = Math.min(c.length, out.length - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) this.head++;
      else this.chunks[this.head] = c.subarray(k);
    }
    if (this.head > 1024 || this.head === this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    this.held -= out.length;
    return out;
  }
}

export function switchDriver(
  sw: SwitchInterface,
  stats: SwitchDeviceStats,
  opts: SwitchDeviceOptions = {},
): Driver {
  const queueLimit = opts.queueLimit ?? 256 * 1024;
  const hardLimit = Math.max(opts.hardLimit ?? 16 * 1024 * 1024, queueLimit);
  return {
    description: `OpenFlow switch ${sw.name}`,
    open: (): FileObject => {
      const q = new OutQueue();
      const chan = new WaitChannel();
      let gone = false;
      let closed = false;
      // Writes of this channel in the order they were made: one that has to wait keeps the
      // later ones waiting behind it, so a client may keep several write(2)s in flight and
      // the bytes still enter the channel in that order.
      const writers: object[] = [];
      const user: ChannelUser = {
        deliver: (bytes) => {
          if (gone) return;
          const type = bytes[1] as number;
          if (q.held + bytes.length > queueLimit && ASYNC.has(type)) {
            stats.asyncDropped++;
            return;
          }
          if (q.held + bytes.length > hardLimit) {
            stats.overflowResets++;
            opts.onEvent?.(`/dev/${sw.name}: output queue past ${hardLimit} bytes, channel reset`);
            gone = true;
            sw.closeChannel(user);
            chan.wake();
            return;
          }
          stats.bytesToController += bytes.length;
          q.push(bytes);
          chan.wake();
        },
        reset: () => {
          gone = true;
          chan.wake();
        },
      };
      const feed = sw.openChannel(user);
      stats.opens++;
      stats.openNow++;
      return {
        kind: 'vnode',
        name: `/dev/${sw.name}`,
        channel: chan,
        readiness: () => ({
          readable: q.held,
          writable: gone ? 0 : Math.max(0, queueLimit - q.held),
          eof: gone,
          hangup: gone,
        }),
        read: (n: number, ctx: IoContext) => {
          if (n === 0) return new Uint8Array(0);
          return blockUntil(chan, ctx.intr, ctx.nonblocking, () => {
            if (q.held > 0) {
              const out = q.take(n);
              chan.wake();
              return out;
            }
            return gone ? new Uint8Array(0) : undefined;
          });
        },
        write: async (data: Uint8Array, ctx: IoContext) => {
          if (data.length === 0) return 0;
          const take = (): number | undefined => {
            if (gone) throw new KernelError(ERRNO.ENXIO, `/dev/${sw.name}: channel reset`);
            if (q.held >= queueLimit) return undefined;
            const n = Math.min(data.length, WRITE_CHUNK);
            // The channel may keep a view of the bytes until a message is complete: copy.
            const chunk = data.slice(0, n);
            stats.bytesToSwitch += n;
            feed(chunk);
            return n;
          };
          // nobody waiting before this write: it goes in now or waits first in line
          if (writers.length === 0) {
            const n = take();
            if (n !== undefined) return n;
          }
          if (ctx.nonblocking) throw new KernelError(ERRNO.EAGAIN);
          const me = {};
          writers.push(me);
          try {
            return await blockUntil(chan, ctx.intr, false, () => (writers[0] === me ? take() : undefined));
          } finally {
            writers.splice(writers.indexOf(me), 1);
            if (writers.length > 0) chan.wake();
          }
        },
        ioctl: (cmd, data, ctx) => {
          if (!opts.ioctl) throw new KernelError(ERRNO.ENOTTY);
          return opts.ioctl(cmd, data, ctx);
        },
        close: () => {
          if (closed) return;
          closed = true;
          stats.openNow--;
          if (!gone) sw.closeChannel(user);
          gone = true;
        },
      };
    },
  };
}
