// Splitting an OpenFlow byte stream (TCP, TLS, a Unix socket, a device fd) into whole
// messages. The length field of the 8-byte header frames each message; a length below 8 or
// above the configured maximum means framing is lost and the stream must be closed. The
// splitting itself is @rumpflow/stream-framing's, shared with the sysproxy protocol.

import { FrameLengthError, LengthPrefixedSplitter } from '@rumpflow/stream-framing';
import { ERROR_DATA_LEN, OfpError, errPair } from './errors.js';

export const OFP_HEADER_BYTES = 8;

const BAD_LEN = errPair('BAD_REQUEST', 'BAD_LEN');

/** Framing is lost (BAD_REQUEST/BAD_LEN); `messages` are the whole ones that came before. */
export class FramingError extends OfpError {
  constructor(
    message: string,
    data: Uint8Array,
    readonly messages: Uint8Array[] = [],
  ) {
    super(BAD_LEN[0], BAD_LEN[1], message, data);
  }
}

export interface FramerOptions {
  /** Largest message accepted, at most 65535 (the 16-bit length field). */
  readonly maxMessageLen?: number;
}

/**
 * Accumulates stream chunks and hands out whole messages. At most one incomplete message is
 * held (bounded by maxMessageLen) and copied once, when it is complete, so a message
 * trickling in byte by byte costs one copy. Messages are views into the pushed chunks where a
 * message lies inside one chunk; chunks must not be reused.
 */
export class MessageFramer {
  readonly maxMessageLen: number;
  private readonly splitter: LengthPrefixedSplitter;

  constructor(opts: FramerOptions = {}) {
    this.maxMessageLen = Math.min(opts.maxMessageLen ?? 0xffff, 0xffff);
    if (this.maxMessageLen < OFP_HEADER_BYTES) throw new RangeError('maxMessageLen below the header size');
    this.splitter = new LengthPrefixedSplitter({
      lengthOffset: 2,
      lengthBytes: 2,
      headerBytes: 4,
      minLength: OFP_HEADER_BYTES,
      maxLength: this.maxMessageLen,
      errorBytes: ERROR_DATA_LEN,
    });
  }

  /** Bytes held that do not yet form a whole message. */
  get pending(): number {
    return this.splitter.pending;
  }

  /** Add a chunk; returns the whole messages now available, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    try {
      return this.splitter.push(chunk);
    } catch (e) {
      if (!(e instanceof FrameLengthError)) throw e;
      throw new FramingError(
        `stream framing lost: message length ${e.length} (allowed ${OFP_HEADER_BYTES}..${this.maxMessageLen})`,
        e.head,
        e.frames,
      );
    }
  }

  /** Drop anything held (after a reconnect). */
  reset(): void {
    this.splitter.reset();
  }
}
