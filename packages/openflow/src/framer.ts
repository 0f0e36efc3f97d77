// Splitting an OpenFlow byte stream (TCP, TLS, a Unix socket, a device fd) into whole
// messages. The length field of the 8-byte header frames each message; a length below 8 or
// above the configured maximum means framing is lost and the stream must be closed.

import { OFPET, OfpError } from './errors.js';

export const OFP_HEADER_BYTES = 8;

export interface FramerOptions {
  /** Largest message accepted, at most 65535 (the 16-bit length field). */
  readonly maxMessageLen?: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Accumulates stream chunks and hands out whole messages. At most one incomplete message is
 * held (bounded by maxMessageLen). Messages are views into the pushed chunks where a message
 * lies inside one chunk, and copies where it straddles chunks; chunks must not be reused.
 */
export class MessageFramer {
  readonly maxMessageLen: number;
  private buf: Uint8Array = EMPTY;
  private off = 0;

  constructor(opts: FramerOptions = {}) {
    this.maxMessageLen = Math.min(opts.maxMessageLen ?? 0xffff, 0xffff);
    if (this.maxMessageLen < OFP_HEADER_BYTES) throw new RangeError('maxMessageLen below the header size');
  }

  /** Bytes held that do not yet form a whole message. */
  get pending(): number {
    return this.buf.length - this.off;
  }

  /** Add a chunk; returns the whole messages now available, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.pending === 0) {
      this.buf = chunk;
      this.off = 0;
    } else if (chunk.length > 0) {
      const rest = this.buf.subarray(this.off);
      const joined = new Uint8Array(rest.length + chunk.length);
      joined.set(rest, 0);
      joined.set(chunk, rest.length);
      this.buf = joined;
      this.off = 0;
    }
    const b = this.buf;
    let p = this.off;
    while (b.length - p >= 4) {
      const len = (b[p + 2]! << 8) | b[p + 3]!;
      if (len < OFP_HEADER_BYTES || len > this.maxMessageLen) {
        this.buf = EMPTY;
        this.off = 0;
        throw new OfpError(
          OFPET.BAD_REQUEST,
          6,
          `stream framing lost: message length ${len} (allowed ${OFP_HEADER_BYTES}..${this.maxMessageLen})`,
          b.slice(p, Math.min(b.length, p + 64)),
        );
      }
      if (b.length - p < len) break;
      out.push(b.subarray(p, p + len));
      p += len;
    }
    if (p === b.length) {
      this.buf = EMPTY;
      this.off = 0;
    } else {
      this.off = p;
    }
    return out;
  }

  /** Drop anything held (after a reconnect). */
  reset(): void {
    this.buf = EMPTY;
    this.off = 0;
  }
}
