// Splitting an OpenFlow byte stream (TCP, TLS, a Unix socket, a device fd) into whole
// messages. The length field of the 8-byte header frames each message; a length below 8 or
// above the configured maximum means framing is lost and the stream must be closed.

import { OFPET, OfpError } from './errors.js';

export const OFP_HEADER_BYTES = 8;

/** Framing is lost (BAD_REQUEST/BAD_LEN); `messages` are the whole ones that came before. */
export class FramingError extends OfpError {
  constructor(
    message: string,
    data: Uint8Array,
    readonly messages: Uint8Array[] = [],
  ) {
    super(OFPET.BAD_REQUEST, 6, message, data);
  }
}

export interface FramerOptions {
  /** Largest message accepted, at most 65535 (the 16-bit length field). */
  readonly maxMessageLen?: number;
}

/**
 * Accumulates stream chunks and hands out whole messages. At most one incomplete message is
 * held (bounded by maxMessageLen), as the list of chunks it arrived in, joined once when it is
 * complete, so a message trickling in byte by byte costs one copy. Messages are views into
 * the pushed chunks where a message lies inside one chunk; chunks must not be reused.
 */
export class MessageFramer {
  readonly maxMessageLen: number;
  private parts: Uint8Array[] = [];
  private held = 0;
  /** Length of the held message, once its header has arrived (0 before). */
  private need = 0;

  constructor(opts: FramerOptions = {}) {
    this.maxMessageLen = Math.min(opts.maxMessageLen ?? 0xffff, 0xffff);
    if (this.maxMessageLen < OFP_HEADER_BYTES) throw new RangeError('maxMessageLen below the header size');
  }

  /** Bytes held that do not yet form a whole message. */
  get pending(): number {
    return this.held;
  }

  /** Add a chunk; returns the whole messages now available, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.held === 0) return this.split(chunk);
    if (chunk.length === 0) return [];
    this.parts.push(chunk);
    this.held += chunk.length;
    if (this.need === 0) {
      if (this.held < 4) return [];
      const h = this.joined(4);
      this.need = (h[2]! << 8) | h[3]!;
      this.check(this.need, () => this.joined(Math.min(this.held, 64)));
    }
    if (this.held < this.need) return [];
    const all = this.joined(this.held);
    this.reset();
    return this.split(all);
  }

  /** Drop anything held (after a reconnect). */
  reset(): void {
    this.parts = [];
    this.held = 0;
    this.need = 0;
  }

  /** Whole messages of `b`; a trailing partial message is kept. */
  private split(b: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let p = 0;
    while (b.length - p >= 4) {
      const len = (b[p + 2]! << 8) | b[p + 3]!;
      this.check(len, () => b.subarray(p, Math.min(b.length, p + 64)), out);
      if (b.length - p < len) break;
      out.push(b.subarray(p, p + len));
      p += len;
    }
    if (p < b.length) {
      this.parts = [b.subarray(p)];
      this.held = b.length - p;
      this.need = this.held >= 4 ? (b[p + 2]! << 8) | b[p + 3]! : 0;
    }
    return out;
  }

  private check(len: number, head: () => Uint8Array, before: Uint8Array[] = []): void {
    if (len >= OFP_HEADER_BYTES && len <= this.maxMessageLen) return;
    const data = head().slice(0, 64);
    this.reset();
    throw new FramingError(`stream framing lost: message length ${len} (allowed ${OFP_HEADER_BYTES}..${this.maxMessageLen})`, data, before);
  }

  /** The first n held bytes as one array. */
  private joined(n: number): Uint8Array {
    const first = this.parts[0] as Uint8Array;
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let o = 0;
    for (const part of this.parts) {
      const take = Math.min(part.length, n - o);
      out.set(part.subarray(0, take), o);
      o += take;
      if (o === n) break;
    }
    return out;
  }
}
