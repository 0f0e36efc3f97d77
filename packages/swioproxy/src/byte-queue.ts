// The bytes a client has sent that the device has not taken yet. Chunks are kept as they
// arrived; front() joins just enough of them for one write (a single chunk that is big
// enough is handed out as a view, not copied), and consume() drops what the write took.

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  /** Bytes held. */
  held = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.held += bytes.length;
  }

  /** Up to `max` bytes from the front, without removing them. */
  front(max: number): Uint8Array {
    const first = this.chunks[this.head];
    if (first === undefined) return new Uint8Array(0);
    if (first.length >= max || this.head === this.chunks.length - 1) return first.subarray(0, max);
    const out = new Uint8Array(Math.min(max, this.held));
    let o = 0;
    let j = this.head;
    while (o < out.length) {
      const c = this.chunks[j] as Uint8Array;
      const k = Math.min(c.length, out.length - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k < c.length) {
        this.chunks[j] = c.subarray(k);
        break;
      }
      j++;
    }
    // the joined bytes replace the chunks they came from
    this.chunks[--j] = out;
    this.head = j;
    return out;
  }

  /** Drop `n` bytes from the front. */
  consume(n: number): void {
    let left = Math.min(n, this.held);
    this.held -= left;
    while (left > 0) {
      const c = this.chunks[this.head] as Uint8Array;
      if (c.length <= left) {
        left -= c.length;
        this.head++;
      } else {
        this.chunks[this.head] = c.subarray(left);
        left = 0;
      }
    }
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.held = 0;
  }
}
