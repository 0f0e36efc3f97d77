// Admission of syscalls on one connection, so that what a client can make the server hold is
// bounded by its reply budget rather than by what it can send. A 35-byte read(/dev/zero, 1 MiB)
// request makes a 1 MiB reply: a client that sends thousands and never reads would otherwise
// pin gigabytes in replies the socket cannot take.
//
// Each call reserves, when it is admitted, the largest reply it can make (replyBound); the
// reservation is released when the reply is queued on the socket. A call is admitted while:
//   - the replies queued and unsent are within the budget (else the client is not reading:
//     everything waits for the socket to drain), and
//   - its reply is small (a few ints: SMALL_REPLY), or it fits in the budget beside the
//     reservations of the calls in flight, or no other big call is in flight (so any one call
//     can run, whatever the budget).
// Small replies are never held behind big ones: a write that would unblock the reads holding
// the budget must be able to run. Calls not admitted wait, in order, for a reply to be queued
// or for the socket to drain; meanwhile the connection reads nothing more from the client.

import { SYSCALLS, type Frame, type Value } from '@rumpflow/sysproxy';
import { MAX_EVENTS } from './kqueue.js';

/** Replies of at most this many bytes are always admitted (maxInFlight bounds their number). */
export const SMALL_REPLY = 4096;
/** A reply frame's bytes around its data: header, errno, value tags. */
const REPLY_OVERHEAD = 64;
/** A kevent in a reply: the list tag and six ints. */
const KEVENT_SIZE = 5 + 6 * 9;

const num = (v: Value | undefined): number => (typeof v === 'number' || typeof v === 'bigint' ? Math.max(0, Number(v)) : 0);
const list = (v: Value | undefined): Value[] => (Array.isArray(v) ? v : []);

/** The largest reply a syscall request can make, in bytes (never above `maxFrame`: replies are capped there). */
export function replyBound(f: Frame, maxFrame: number, maxIo: number): number {
  const args = f.body;
  let data: number;
  switch (f.aux) {
    case SYSCALLS.read.number:
      data = Math.min(num(args[1]), maxIo);
      break;
    case SYSCALLS.readv.number:
      data = 5 * list(args[1]).length + Math.min(list(args[1]).reduce<number>((n, x) => n + num(x), 0), maxIo);
      break;
    case SYSCALLS.__kevent50.number:
      data = KEVENT_SIZE * Math.min(num(args[2]), MAX_EVENTS);
      break;
    case SYSCALLS.poll.number:
      data = 9 * list(args[0]).length;
      break;
    case SYSCALLS.ioctl.number:
      data = maxFrame; // a driver's out buffer can be anything up to a frame
      break;
    default:
      data = 0; // a few ints
  }
  return Math.min(maxFrame, REPLY_OVERHEAD + data);
}

/** The reply budget of one connection: reservations of the calls in flight. */
export class ReplyBudget {
  private reservedBytes = 0;
  /** Calls in flight whose reply may be above SMALL_REPLY. */
  private bigCalls = 0;

  constructor(readonly limit: number) {}

  /** Bytes reserved for replies not made yet. */
  get reserved(): number {
    return this.reservedBytes;
  }

  /** May a call whose reply takes up to `cost` bytes start, with `unsent` bytes of replies queued? */
  admits(cost: number, unsent: number): boolean {
    if (unsent > this.limit) return false;
    if (cost <= SMALL_REPLY) return true;
    return this.bigCalls === 0 || this.reservedBytes + cost <= this.limit;
  }

  reserve(cost: number): void {
    this.reservedBytes += cost;
    if (cost > SMALL_REPLY) this.bigCalls++;
  }

  release(cost: number): void {
    this.reservedBytes -= cost;
    if (cost > SMALL_REPLY) this.bigCalls--;
  }
}
