// The most recent round-trip times in a fixed ring, for percentiles: memory stays bounded
// however long the host runs, and p50/p99 describe recent traffic rather than all of it.

export class RttWindow {
  private readonly ring: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(size = 4096) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`window size ${size}`);
    this.ring = new Float64Array(size);
  }

  get count(): number {
    return this.filled;
  }

  add(ms: number): void {
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % this.ring.length;
    if (this.filled < this.ring.length) this.filled++;
  }

  /** The q-quantile (0..1, nearest rank) of the samples held, or undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.filled === 0) return undefined;
    const sorted = this.ring.slice(0, this.filled).sort();
    const rank = Math.min(this.filled - 1, Math.max(0, Math.ceil(q * this.filled) - 1));
    return sorted[rank];
  }

  /** p50, p99, min and max in one sort. */
  summary(): { p50: number; p99: number; min: number; max: number } | undefined {
    if (this.filled === 0) return undefined;
    const s = this.ring.slice(0, this.filled).sort();
    const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
    return { p50: at(0.5), p99: at(0.99), min: s[0] as number, max: s[s.length - 1] as number };
  }
}
