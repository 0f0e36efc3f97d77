// The classifier: tuple-space search, as in Open vSwitch.
//
// Design. Every rule's match is a mask and a value over the fixed slot layout (match.ts).
// Rules with the same mask live in one subtable, a hash table keyed by the masked value, so
// finding the rules of a subtable that a packet matches is one hash of the packet's masked
// slots and one probe, whatever the number of rules. A table holds as many subtables as
// there are distinct masks (few in practice: a learning switch uses one, prefix ACLs a handful).
// Subtables are kept sorted by the highest priority they contain; a lookup visits them in that
// order and stops as soon as the next subtable cannot hold anything better than the rule
// already found. Only the slots a subtable's mask uses are hashed and compared.
//
// A subtable's hash table (int-map.ts) stores each distinct value inline, with its hash, in
// one Int32Array: a probe reads one cache line of it, and a colliding value is rejected
// there, without visiting a rule. An entry holds the rules with exactly that match: one rule,
// or several of different priorities sorted highest first (a packet that reaches the entry
// matches them all, so the first is the answer). The lookup path allocates nothing: the
// caller passes the packet's slots in a reused array, hashes are int32 numbers.

import { IntVectorMap } from './int-map.js';
import type { CompiledMatch } from './match.js';

export interface Rule {
  readonly match: CompiledMatch;
  readonly priority: number;
}

class Subtable<T extends Rule> {
  /** Rules by masked value: one rule alone, or several sorted by priority (highest first). */
  readonly entries: IntVectorMap<T | T[]>;
  maxPriority = -1;
  size = 0;
  /** How many rules have each priority: the maximum is kept without a scan on removal. */
  readonly priorities = new Map<number, number>();
  constructor(
    readonly key: string,
    readonly mask: Int32Array,
    readonly used: Uint8Array,
  ) {
    this.entries = new IntVectorMap<T | T[]>(used.length);
  }
}

/** Hash of a packet's slots under a subtable's mask. */
function hashPacket(slots: Uint32Array, mask: Int32Array, used: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < used.length; i++) {
    h = Math.imul(h ^ ((slots[used[i] as number] as number) & (mask[i] as number)), 0x01000193);
    h ^= h >>> 15;
  }
  return h | 0; // int32: a small integer to V8
}

/** Hash of a rule's (already masked) value: equal to hashPacket of the packets it matches. */
function hashValue(value: readonly number[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h = Math.imul(h ^ (value[i] as number), 0x01000193);
    h ^= h >>> 15;
  }
  return h | 0;
}

const NONE: readonly never[] = [];

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
    const value = rule.match.value;
    const h = hashValue(value);
    const b = st.entries.get(h, value);
    if (b === undefined) st.entries.set(h, value, rule);
    else {
      const bucket = Array.isArray(b) ? b : [b];
      // keep buckets sorted by priority, highest first
      let i = 0;
      while (i < bucket.length && (bucket[i] as T).priority >= rule.priority) i++;
      bucket.splice(i, 0, rule);
      if (bucket !== b) st.entries.set(h, value, bucket);
    }
    st.size++;
    this.count++;
    st.priorities.set(rule.priority, (st.priorities.get(rule.priority) ?? 0) + 1);
    if (rule.priority > st.maxPriority) {
      st.maxPriority = rule.priority;
      this.sort();
    }
  }

  remove(rule: T): boolean {
    const st = this.byMask.get(rule.match.key);
    if (!st) return false;
    const value = rule.match.value;
    const h = hashValue(value);
    const b = st.entries.get(h, value);
    if (b === undefined) return false;
    if (Array.isArray(b)) {
      const i = b.indexOf(rule);
      if (i < 0) return false;
      b.splice(i, 1);
      if (b.length === 1) st.entries.set(h, value, b[0] as T);
    } else {
      if (b !== rule) return false;
      st.entries.delete(h, value);
    }
    st.size--;
    this.count--;
    const left = (st.priorities.get(rule.priority) as number) - 1;
    if (left > 0) st.priorities.set(rule.priority, left);
    else st.priorities.delete(rule.priority);
    if (st.size === 0) {
      this.byMask.delete(st.key);
      this.subtables = this.subtables.filter((x) => x !== st);
    } else if (left === 0 && rule.priority === st.maxPriority) {
      let max = -1;
      for (const p of st.priorities.keys()) if (p > max) max = p;
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
      const b = st.entries.getMasked(hashPacket(slots, st.mask, st.used), slots, st.used, st.mask);
      if (b === undefined) continue;
      const r = Array.isArray(b) ? (b[0] as T) : b;
      if (best === undefined || r.priority > best.priority) best = r;
    }
    return best;
  }

  /** Every rule (for statistics and non-strict modifications). */
  *rules(): IterableIterator<T> {
    for (const st of this.subtables) {
      for (const b of st.entries.values()) {
        if (Array.isArray(b)) yield* b;
        else yield b;
      }
    }
  }

  /** Rules with exactly this match (any priority), highest priority first. */
  withMatch(m: CompiledMatch): readonly T[] {
    const st = this.byMask.get(m.key);
    if (!st) return NONE;
    const b = st.entries.get(hashValue(m.value), m.value);
    if (b === undefined) return NONE;
    return Array.isArray(b) ? b.slice() : [b];
  }

  private sort(): void {
    this.subtables.sort((a, b) => b.maxPriority - a.maxPriority);
  }
}
