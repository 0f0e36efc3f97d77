// A hash map from int32 keys to values with open addressing and linear probing: keys in one
// typed array, values in one array, so a probe touches two compact arrays instead of a chain
// of table entries. Deletion shifts later entries back (no tombstones); the table doubles at
// half full. The classifier's subtables use it with keys that are already well-mixed hashes.

export class IntMap<V> {
  private keys: Int32Array;
  private vals: (V | undefined)[];
  private used: Uint8Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 16) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Int32Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  get(key: number): V | undefined {
    const keys = this.keys;
    const used = this.used;
    const mask = this.mask;
    for (let i = key & mask; used[i] === 1; i = (i + 1) & mask) if (keys[i] === key) return this.vals[i];
    return undefined;
  }

  set(key: number, value: V): void {
    const mask = this.mask;
    let i = key & mask;
    for (; this.used[i] === 1; i = (i + 1) & mask) {
      if (this.keys[i] === key) {
        this.vals[i] = value;
        return;
      }
    }
    this.keys[i] = key;
    this.vals[i] = value;
    this.used[i] = 1;
    if (++this.count * 2 > this.keys.length) this.grow();
  }

  delete(key: number): boolean {
    const mask = this.mask;
    let i = key & mask;
    for (; ; i = (i + 1) & mask) {
      if (this.used[i] === 0) return false;
      if (this.keys[i] === key) break;
    }
    // shift the following run back so every entry stays reachable from its home slot
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (this.used[j] === 0) break;
      const home = (this.keys[j] as number) & mask;
      // move j into the hole at i unless its home lies cyclically in (i, j]
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      this.keys[i] = this.keys[j] as number;
      this.vals[i] = this.vals[j];
      i = j;
    }
    this.used[i] = 0;
    this.vals[i] = undefined;
    this.count--;
    return true;
  }

  *values(): IterableIterator<V> {
    for (let i = 0; i < this.used.length; i++) if (this.used[i] === 1) yield this.vals[i] as V;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const oldUsed = this.used;
    const cap = oldKeys.length * 2;
    this.keys = new Int32Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldUsed[i] === 1) this.set(oldKeys[i] as number, oldVals[i] as V);
  }
}
