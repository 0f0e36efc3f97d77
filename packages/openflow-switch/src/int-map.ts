// A hash map keyed by fixed-width vectors of int32 words, for the classifier's subtables.
//
// Open addressing with linear probing over one Int32Array: entry i occupies `stride` words
// starting at i * stride: the key's hash, an occupied flag, then the key's words, inline. A
// probe reads one short run of that array and rejects a colliding entry by its stored hash
// without touching anything else; only a hit reads the value (an array parallel to the
// entries). The stride is a power of two, so an entry of up to 16 words never straddles a
// cache line. Deletion shifts later entries back (no tombstones); the table doubles at half
// full. Callers supply the hash (the classifier hashes a packet's masked slots the same way
// as a rule's value), and `getMasked` looks a key up straight from a packet's slots, so the
// lookup path builds no key.

export class IntVectorMap<V> {
  /** Words per entry: hash, occupied flag, key words, padding to a power of two. */
  private readonly stride: number;
  private tab: Int32Array;
  private vals: (V | undefined)[];
  /** Entries - 1 (a power of two minus one). */
  private mask: number;
  private count = 0;

  constructor(readonly width: number) {
    let stride = 4;
    while (stride < width + 2) stride *= 2;
    this.stride = stride;
    this.tab = new Int32Array(16 * stride);
    this.vals = new Array<V | undefined>(16).fill(undefined);
    this.mask = 15;
  }

  get size(): number {
    return this.count;
  }

  /** Slot index of the key `words` (hash h), or -1. */
  private find(h: number, words: ArrayLike<number>): number {
    const tab = this.tab;
    const stride = this.stride;
    const n = this.width;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const o = i * stride;
      if (tab[o + 1] === 0) return -1;
      if (tab[o] !== h) continue;
      let j = 0;
      while (j < n && tab[o + 2 + j] === words[j]) j++;
      if (j === n) return i;
    }
  }

  get(h: number, words: ArrayLike<number>): V | undefined {
    const i = this.find(h, words);
    return i < 0 ? undefined : this.vals[i];
  }

  /**
   * The value whose key is a packet's slots under a mask: key word j is
   * `slots[used[j]] & mask[j]` (used.length === width). `h` is the hash of that key.
   */
  getMasked(h: number, slots: Uint32Array, used: Uint8Array, masks: Int32Array): V | undefined {
    const tab = this.tab;
    const stride = this.stride;
    const n = used.length;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const o = i * stride;
      if (tab[o + 1] === 0) return undefined;
      if (tab[o] !== h) continue;
      let j = 0;
      while (j < n && ((slots[used[j] as number] as number) & (masks[j] as number)) === tab[o + 2 + j]) j++;
      if (j === n) return this.vals[i];
    }
  }

  set(h: number, words: ArrayLike<number>, value: V): void {
    const tab = this.tab;
    const stride = this.stride;
    const n = this.width;
    const mask = this.mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const o = i * stride;
      if (tab[o + 1] === 0) break;
      if (tab[o] !== h) continue;
      let j = 0;
      while (j < n && tab[o + 2 + j] === words[j]) j++;
      if (j === n) {
        this.vals[i] = value;
        return;
      }
    }
    const o = i * stride;
    tab[o] = h;
    tab[o + 1] = 1;
    for (let j = 0; j < n; j++) tab[o + 2 + j] = words[j] as number;
    this.vals[i] = value;
    if (++this.count * 2 > this.mask + 1) this.grow();
  }

  delete(h: number, words: ArrayLike<number>): boolean {
    let i = this.find(h, words);
    if (i < 0) return false;
    const tab = this.tab;
    const stride = this.stride;
    const mask = this.mask;
    // shift the following run back so every entry stays reachable from its home slot
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const oj = j * stride;
      if (tab[oj + 1] === 0) break;
      const home = (tab[oj] as number) & mask;
      // leave j where it is if its home lies cyclically in (i, j]
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      tab.copyWithin(i * stride, oj, oj + stride);
      this.vals[i] = this.vals[j];
      i = j;
    }
    tab.fill(0, i * stride, (i + 1) * stride);
    this.vals[i] = undefined;
    this.count--;
    return true;
  }

  *values(): IterableIterator<V> {
    const tab = this.tab;
    for (let i = 0; i <= this.mask; i++) if (tab[i * this.stride + 1] !== 0) yield this.vals[i] as V;
  }

  private grow(): void {
    const oldTab = this.tab;
    const oldVals = this.vals;
    const stride = this.stride;
    const entries = (this.mask + 1) * 2;
    const tab = new Int32Array(entries * stride);
    const vals = new Array<V | undefined>(entries).fill(undefined);
    const mask = entries - 1;
    for (let k = 0; k < oldVals.length; k++) {
      const ok = k * stride;
      if (oldTab[ok + 1] === 0) continue;
      let i = (oldTab[ok] as number) & mask;
      while (tab[i * stride + 1] !== 0) i = (i + 1) & mask;
      const o = i * stride;
      for (let j = 0; j < stride; j++) tab[o + j] = oldTab[ok + j] as number;
      vals[i] = oldVals[k];
    }
    this.tab = tab;
    this.vals = vals;
    this.mask = mask;
  }
}
