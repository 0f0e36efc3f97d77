// Shared instruction lists. Flow entries are installed with their own decoded instruction
// lists, yet most lists in a table are equal (a learning switch's entries differ only in the
// output port): sharing one instance per distinct list keeps fewer objects alive per entry
// (installs produce less for the GC to keep) and lets every packet run the same few hot
// action objects instead of one set per entry (the forwarding rate with many entries is then
// bound by the classifier, not by cache misses on action objects). Lists are immutable once
// installed (a MODIFY replaces an entry's list), so sharing is safe.
//
// Equality is structural over the decoded objects (numbers, strings, bigints, byte views,
// arrays, plain objects), the hidden raw bytes a decoder keeps (non-canonical padding
// received, sent back as received) included, so a shared list encodes exactly as each of
// the lists it stands for. The pool is bounded: beyond MAX_LISTS distinct lists new ones are
// simply not shared.

import { type Instruction, rawOf } from '@rumpflow/openflow';

const MAX_LISTS = 4096;

/** Mix a value's shape and scalars into a hash (allocation-free; bigints by their low bits). */
function print(v: unknown, h: number): number {
  switch (typeof v) {
    case 'number':
      return Math.imul(h ^ (v | 0) ^ ((v * 0x10000) | 0), 0x01000193);
    case 'string': {
      h = Math.imul(h ^ v.length, 0x01000193);
      for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v.charCodeAt(i), 0x01000193);
      return h;
    }
    case 'boolean':
      return Math.imul(h ^ (v ? 3 : 5), 0x01000193);
    case 'bigint':
      return Math.imul(h ^ 7, 0x01000193); // equal lists have equal bigints; told apart by same()
    case 'object': {
      if (v === null) return h;
      if (Array.isArray(v)) {
        h = Math.imul(h ^ v.length ^ 0x5bd1e995, 0x01000193);
        for (let i = 0; i < v.length; i++) h = print(v[i], h);
        return h;
      }
      if (v instanceof Uint8Array) return Math.imul(h ^ v.length ^ 0x27d4eb2d, 0x01000193);
      const o = v as Record<string, unknown>;
      for (const k in o) h = print(o[k], print(k, h));
      return h;
    }
    default:
      return Math.imul(h ^ 11, 0x01000193);
  }
}

/** Structural equality of decoded values, hidden raw bytes included. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (!same(rawOf(a), rawOf(b))) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (!Object.prototype.hasOwnProperty.call(y, k) || !same(x[k], y[k])) return false;
    n++;
  }
  for (const _ in y) n--;
  return n === 0;
}

export class InstructionPool {
  private readonly byPrint = new Map<number, Instruction[][]>();
  private count = 0;

  /** Distinct lists held. */
  get size(): number {
    return this.count;
  }

  /** The pool's instance of a list equal to `ins` (`ins` itself when it is new, or the pool full). */
  intern(ins: Instruction[]): Instruction[] {
    const h = print(ins, 0x811c9dc5) | 0;
    const candidates = this.byPrint.get(h);
    if (candidates !== undefined) for (const c of candidates) if (same(c, ins)) return c;
    if (this.count >= MAX_LISTS) return ins;
    this.count++;
    if (candidates !== undefined) candidates.push(ins);
    else this.byPrint.set(h, [ins]);
    return ins;
  }
}
