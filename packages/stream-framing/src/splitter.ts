// Splitting a byte stream (TCP, TLS, a Unix socket, a device fd) into frames that carry their
// own length in a fixed-size header: OpenFlow messages (16-bit length at offset 2), sysproxy
// frames (32-bit length at offset 0), and anything shaped like them.
//
// Design:
// - A frame that lies inside one pushed chunk is handed out as a view of that chunk, never
//   copied. Only a frame that straddles chunks is copied, once, when its last byte arrives.
// - At most one partial frame is held, as the list of chunk views it arrived in (nothing is
//   joined until the frame is complete), so a frame trickling in byte by byte costs one copy
//   and the work is linear in the bytes pushed. Whole frames that follow a completed partial
//   frame in the same chunk are views of that chunk again.
// - A length outside minLength..maxLength means framing is lost: the splitter drops what it
//   holds and throws a FrameLengthError carrying the whole frames that came before the bad
//   one in the same push (the caller should handle them, then close the stream).

export interface SplitterOptions {
  /** Offset of the length field within a frame's header. */
  readonly lengthOffset: number;
  /** Width of the big-endian length field. */
  readonly lengthBytes: 2 | 4;
  /**
   * Header bytes needed before a frame's length is read and checked: at least
   * lengthOffset + lengthBytes, more where the error should see more of the header (a request
   * number to address the error to), at most minLength.
   */
  readonly headerBytes: number;
  /** Smallest valid frame length (the length counts the whole frame, header included). */
  readonly minLength: number;
  /** Largest valid frame length (Infinity: only the field's width limits it). Below minLength, every frame is refused. */
  readonly maxLength: number;
  /** Bytes of the bad frame's start the error carries (at least headerBytes; default headerBytes). */
  readonly errorBytes?: number;
}

/** Framing is lost: a frame announced a length outside minLength..maxLength. */
export class FrameLengthError extends Error {
  override readonly name = 'FrameLengthError';
  constructor(
    message: string,
    /** The length the bad frame announced. */
    readonly length: number,
    /** A copy of the bad frame's first bytes: at least headerBytes, at most max(headerBytes, errorBytes). */
    readonly head: Uint8Array,
    /** Whole frames that came before the bad one in the same push: handle them first. */
    readonly frames: Uint8Array[],
  ) {
    super(message);
  }
}

/** A bounded, zero-copy-where-possible splitter of length-prefixed frames. */
export class LengthPrefixedSplitter {
  readonly lengthOffset: number;
  readonly lengthBytes: 2 | 4;
  readonly headerBytes: number;
  readonly minLength: number;
  readonly maxLength: number;
  readonly errorBytes: number;
  /** The partial frame held, as views of the chunks it arrived in. */
  private parts: Uint8Array[] = [];
  private held = 0;
  /** Length of the held frame once its header has arrived (0 before). */
  private need = 0;

  constructor(opts: SplitterOptions) {
    const { lengthOffset, lengthBytes, headerBytes, minLength, maxLength } = opts;
    if (lengthBytes !== 2 && lengthBytes !== 4)
      throw new RangeError(`lengthBytes ${String(lengthBytes)} is not 2 or 4`);
    for (const [name, v] of Object.entries({ lengthOffset, headerBytes, minLength })) {
      if (!Number.isSafeInteger(v) || v < 0)
        throw new RangeError(`${name} ${v} is not a non-negative integer`);
    }
    // maxLength is only compared with: any number but NaN bounds the lengths
    if (typeof maxLength !== 'number' || Number.isNaN(maxLength))
      throw new RangeError(`maxLength ${maxLength} is not a number`);
    if (headerBytes < lengthOffset + lengthBytes) {
      throw new RangeError(
        `headerBytes ${headerBytes} does not reach the end of the length field (${lengthOffset + lengthBytes})`,
      );
    }
    if (minLength < headerBytes)
      throw new RangeError(`minLength ${minLength} is shorter than the header (${headerBytes})`);
    this.lengthOffset = lengthOffset;
    this.lengthBytes = lengthBytes;
    this.headerBytes = headerBytes;
    this.minLength = minLength;
    this.maxLength = maxLength;
    this.errorBytes = Math.max(headerBytes, opts.errorBytes ?? headerBytes);
  }

  /** Bytes held that do not yet form a whole frame (always less than one frame). */
  get pending(): number {
    return this.held;
  }

  /** Add a chunk; returns the whole frames now available, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.held === 0) return this.split(chunk, []);
    if (chunk.length === 0) return [];
    this.parts.push(chunk);
    this.held += chunk.length;
    if (this.need === 0) {
      if (this.held < this.headerBytes) return [];
      this.need = this.check(
        this.joined(this.headerBytes),
        0,
        () => this.joined(Math.min(this.held, this.errorBytes)),
        [],
      );
    }
    if (this.held < this.need) return [];
    // The frame ends inside this chunk: before it, less than one frame was held.
    const rest = this.held - this.need;
    const frame = this.joined(this.need);
    this.reset();
    return this.split(chunk.subarray(chunk.length - rest), [frame]);
  }

  /** Drop anything held (after a reconnect, or once framing is lost). */
  reset(): void {
    this.parts = [];
    this.held = 0;
    this.need = 0;
  }

  /** Append the whole frames of `b` to `out`; keep a trailing partial frame. */
  private split(b: Uint8Array, out: Uint8Array[]): Uint8Array[] {
    const h = this.headerBytes;
    let p = 0;
    while (b.length - p >= h) {
      const start = p;
      const len = this.check(b, p, () => b.subarray(start, Math.min(b.length, start + this.errorBytes)), out);
      if (b.length - p < len) {
        this.need = len;
        break;
      }
      out.push(b.subarray(p, p + len));
      p += len;
    }
    if (p < b.length) {
      this.parts = [b.subarray(p)];
      this.held = b.length - p;
      if (this.held < h) this.need = 0;
    }
    return out;
  }

  /** The length of the frame whose header starts at b[p], checked. */
  private check(b: Uint8Array, p: number, head: () => Uint8Array, before: Uint8Array[]): number {
    const o = p + this.lengthOffset;
    const len =
      this.lengthBytes === 2
        ? (b[o]! << 8) | b[o + 1]!
        : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    if (len >= this.minLength && len <= this.maxLength) return len;
    const data = head().slice();
    this.reset();
    throw new FrameLengthError(
      `frame length ${len} outside ${this.minLength}..${this.maxLength}`,
      len,
      data,
      before,
    );
  }

  /** The first n held bytes as one array (a view when the first part holds them all). */
  private joined(n: number): Uint8Array {
    const first = this.parts[0] as Uint8Array;
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let o = 0;
    for (const part of this.parts) {
      const take = Math.min(part.length, n - o);
      out.set(take === part.length ? part : part.subarray(0, take), o);
      o += take;
      if (o === n) break;
    }
    return out;
  }
}
