// The classifier: tuple-space search, as in Open vSwitch.
//
// Design. Every rule's match is a mask and a value over the fixed slot layout (match.ts).
// Rules with the same mask live in one subtable, a hash table keyed by the masked value, so
// finding the rules of a subtable that a packet matches is one hash of the packet's masked
// slots and one probe, whatever the number of rules. A table holds as many subtables as
// there are distinct masks (few in practice: a learning switch uses one, prefix ACLs a handful).
// Subtables are kept sorted by the highest priority they contain; a lookup visits them in that
// order and stops as soon as the next subtable cannot hold anything better than the rule
// already found. Inside a hash bucket rules are sorted by priority, and colliding values are
// told apart by comparing masked slots. The lookup path allocates nothing: the caller passes
// the packet's slots in a reused array, hashes are numbers, buckets are arrays.

import { IntMap } from './int-map.js';
import { type CompiledMatch, sameMatch } from './match.js';

export interface Rule {
  readonly match: CompiledMatch;
  /** match.value again, on the rule itself: one object fewer to visit per probe. */
  readonly value: readonly number[];
  readonly priority: number;
}

/** Does a packet match a rule of a subtable (whose used slots and mask it shares)? */
function hit(value: readonly number[], used: Uint8Array, mask: Int32Array, slots: Uint32Array): boolean {
  for (let i = 0; i < used.length; i++) {
    if (((slots[used[i] as number] as number) & (mask[i] as number)) !== value[i]) return false;
  }
  return true;
}

class Subtable<T extends Rule> {
  /** Rules by hash of their value: one rule alone, or several sorted by priority (highest first). */
  readonly buckets = new IntMap<T | T[]>();
  maxPriority = -1;
  size = 0;
  constructor(
    readonly key: string,
    readonly mask: Int32Array,
    readonly used: Uint8Array,
  ) {}
}

/** Hash of a packet's slots under a subtable's mask. */
function hashPacket(slots: Uint32Array, mask: Int32Array, used: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < used.length; i++) {
    h = Math.imul(h ^ ((slots[used[i] as number] as number) & (mask[i] as number)), 0x01000193);
    h ^= h >>> 15;
  }
  return h | 0; // int32: a small integer to V8, so Map keys never allocate
}

/** Hash of a rule's (already masked) value: equal to hashPacket of the packets it matches. */
function hashValue(value: readonly number[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h = Math.imul(h ^ (value[i] as number), 0x01000193);
    h ^= h >>> 15;
  }
  return h | 0; // int32: a small integer to V8, so Map keys never allocate
}

export class Classifier<T extends Rule> {
  private subtables: Subtable<T>[] = [];
  private readonly byMask = new Map<string, Subtable<T>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Distinct masks in use. */
  get subtableCount(): number {
    return this.subtables.length;
  }

  insert(rule: T): void {
    const key = rule.match.key;
    let st = this.byMask.get(key);
    if (!st) {
      st = new Subtable<T>(key, rule.match.mask, rule.match.used);
      this.byMask.set(key, st);
      this.subtables.push(st);
    }
    const h = hashValue(rule.match.value);
    const b = st.buckets.get(h);
    if (b === undefined) st.buckets.set(h, rule);
    else {
      const bucket = Array.isArray(b) ? b : [b];
      // keep buckets sorted by priority, highest first
      let i = 0;
      while (i < bucket.length && (bucket[i] as T).priority >= rule.priority) i++;
      bucket.splice(i, 0, rule);
      if (bucket !== b) st.buckets.set(h, bucket);
    }
    st.size++;
    this.count++;
    if (rule.priority > st.maxPriority) {
      st.maxPriority = rule.priority;
      this.sort();
    }
  }

  remove(rule: T): boolean {
    const st = this.byMask.get(rule.match.key);
    if (!st) return false;
    const h = hashValue(rule.match.value);
    const b = st.buckets.get(h);
    if (b === undefined) return false;
    if (Array.isArray(b)) {
      const i = b.indexOf(rule);
      if (i < 0) return false;
      b.splice(i, 1);
      if (b.length === 1) st.buckets.set(h, b[0] as T);
    } else {
      if (b !== rule) return false;
      st.buckets.delete(h);
    }
    st.size--;
    this.count--;
    if (st.size === 0) {
      this.byMask.delete(st.key);
      this.subtables = this.subtables.filter((x) => x !== st);
    } else if (rule.priority === st.maxPriority) {
      let max = -1;
      for (const b of st.buckets.values()) max = Math.max(max, (Array.isArray(b) ? (b[0] as T) : b).priority);
      st.maxPriority = max;
      this.sort();
    }
    return true;
  }

  /** The highest-priority rule the packet (as slots) matches. */
  lookup(slots: Uint32Array): T | undefined {
    let best: T | undefined;
    const subs = this.subtables;
    for (let i = 0; i < subs.length; i++) {
      const st = subs[i] as Subtable<T>;
      if (best !== undefined && st.maxPriority <= best.priority) break;
      const bucket = st.buckets.get(hashPacket(slots, st.mask, st.used));
      if (bucket === undefined) continue;
      if (!Array.isArray(bucket)) {
        if ((best === undefined || bucket.priority > best.priority) && hit(bucket.value, st.used, st.mask, slots)) best = bucket;
        continue;
      }
      for (let j = 0; j < bucket.length; j++) {
        const r = bucket[j] as T;
        if (best !== undefined && r.priority <= best.priority) break;
        if (hit(r.value, st.used, st.mask, slots)) {
          best = r;
          break;
        }
      }
    }
    return best;
  }

  /** Every rule (for statistics and non-strict modifications). */
  *rules(): IterableIterator<T> {
    for (const st of this.subtables) {
      for (const b of st.buckets.values()) {
        if (Array.isArray(b)) yield* b;
        else yield b;
      }
    }
  }

  /** Rules with exactly this match (any priority). */
  withMatch(m: CompiledMatch): T[] {
    const st = this.byMask.get(m.key);
    if (!st) return [];
    const b = st.buckets.get(hashValue(m.value));
    if (b === undefined) return [];
    if (!Array.isArray(b)) return sameMatch(b.match, m) ? [b] : [];
    return b.filter((r) => sameMatch(r.match, m));
  }

  private sort(): void {
    this.subtables.sort((a, b) => b.maxPriority - a.maxPriority);
  }
}
