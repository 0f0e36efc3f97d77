// Counts the OpenFlow messages passing in a byte stream, for metrics, without holding any of
// the bytes: the proxy forwards chunks as they come (a chunk may end inside a header), so
// only the position inside the current message is kept. The stream-framing splitter would
// hand out (and, across chunks, copy) whole frames, which a byte proxy has no use for.

/** Bytes of an OpenFlow header up to the end of its length field. */
const LENGTH_END = 4;
/** The smallest OpenFlow message (a bare header). */
const MIN_MESSAGE = 8;

export class MessageCounter {
  /** Messages completed so far. */
  count = 0;
  /** Framing was lost (a header announced fewer than 8 bytes): counting stopped. */
  lost = false;
  /** Bytes of the current message still to pass once its length is known. */
  private rest = 0;
  /** Header bytes of the next message seen so far (0..3). */
  private head = 0;
  /** High byte of the length, when the header is split after it. */
  private lengthHigh = 0;

  /** Account for `bytes`; returns the messages they completed. */
  push(bytes: Uint8Array): number {
    if (this.lost) return 0;
    const before = this.count;
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      if (this.rest > 0) {
        const k = Math.min(this.rest, n - i);
        i += k;
        this.rest -= k;
        if (this.rest === 0) this.count++;
        continue;
      }
      if (this.head === 0 && i + LENGTH_END <= n) {
        // the common case: the whole length field is in this chunk
        if (!this.begin(((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number))) break;
        i += LENGTH_END;
        continue;
      }
      const b = bytes[i++] as number;
      if (this.head === 2) this.lengthHigh = b;
      if (this.head === 3) {
        this.head = 0;
        if (!this.begin((this.lengthHigh << 8) | b)) break;
      } else {
        this.head++;
      }
    }
    return this.count - before;
  }

  private begin(length: number): boolean {
    if (length < MIN_MESSAGE) {
      this.lost = true;
      return false;
    }
    this.rest = length - LENGTH_END;
    return true;
  }
}
