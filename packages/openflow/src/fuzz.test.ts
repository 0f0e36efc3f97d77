// Fuzzing decode: random frames and mutated valid frames. decode must return a message or
// throw an OfpError whose type and code exist and whose data is the first 64 bytes of the
// input, never anything else; whatever it accepts must re-encode to the same bytes, and
// validate must answer (undefined or an OfpError) without throwing.
//
// Reproducible: a seeded PRNG drives everything. OPENFLOW_FUZZ_SEED picks another seed,
// OPENFLOW_FUZZ_FRAMES another frame count; failures print the seed and the frames' hex.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorTypeName, OFPET, OfpError } from './errors.js';
import { type Message, decode, encode } from './messages.js';
import { validate } from './validate.js';
import { KIND_NAMES, arbKinds, hex, kindOf, sameBytes } from '../test/arbitraries.js';

const SEED = Number(process.env.OPENFLOW_FUZZ_SEED ?? 0x0f13c0de) >>> 0;
const FRAMES = Number(process.env.OPENFLOW_FUZZ_FRAMES ?? 120_000);
const STATS = process.env.OPENFLOW_FUZZ_STATS === '1';
const SEED_TEXT = `seed 0x${SEED.toString(16)} (rerun with OPENFLOW_FUZZ_SEED=${SEED})`;

/** mulberry32: small, fast, good enough to drive a fuzzer. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** 0 .. n-1 */
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)] as T;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

// ---------------------------------------------------------------------------------------
// The checks.

const TYPE_NAME = new Map<number, ErrorTypeName>(
  Object.entries(OFPET).map(([k, v]) => [v, k as ErrorTypeName]),
);

/** Why `e` is not a proper OfpError for a message starting with `input`, or undefined. */
function badError(e: unknown, input: Uint8Array): string | undefined {
  if (!(e instanceof OfpError)) {
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  if (typeof e.type !== 'number' || typeof e.code !== 'number')
    return `OfpError with type ${e.type} code ${e.code}`;
  const name = TYPE_NAME.get(e.type);
  const codes: readonly string[] = name === undefined ? [] : ERROR_CODES[name];
  if (!Number.isInteger(e.code) || e.code < 0 || e.code >= codes.length) {
    return `OfpError type ${e.type} code ${e.code} is not in ERROR_CODES (${e.message})`;
  }
  const want = input.subarray(0, 64);
  if (!(e.data instanceof Uint8Array) || !sameBytes(e.data, want)) {
    return `OfpError data ${hex(e.data)} is not the first ${want.length} bytes of the input (${e.message})`;
  }
  return undefined;
}

interface Outcome {
  /** What went wrong, or undefined. */
  problem?: string;
  accepted: boolean;
  /** "ok KIND", or the refusal's "type/code". */
  key: string;
}

function check(b: Uint8Array): Outcome {
  let m: Message;
  try {
    m = decode(b);
  } catch (e) {
    const p = badError(e, b);
    const key = e instanceof OfpError ? `${e.type}/${e.code}` : 'other';
    return p === undefined ? { accepted: false, key } : { problem: `decode ${p}`, accepted: false, key };
  }
  const key = `ok ${kindOf(m)}`;
  let out: Uint8Array;
  try {
    out = encode(m);
  } catch (e) {
    return { problem: `encode(decode(b)) threw ${String(e)}`, accepted: true, key };
  }
  if (!sameBytes(out, b)) return { problem: `encode(decode(b)) differs: ${hex(out)}`, accepted: true, key };
  let v: OfpError | undefined;
  try {
    v = validate(m);
  } catch (e) {
    return { problem: `validate threw ${String(e)}`, accepted: true, key };
  }
  if (v !== undefined) {
    const p = badError(v, b);
    if (p !== undefined) return { problem: `validate returned ${p}`, accepted: true, key };
  }
  return { accepted: true, key };
}

/** Runs the checks over frames, collecting at most a few failures with their hex. */
class Campaign {
  frames = 0;
  accepted = 0;
  readonly failures: string[] = [];
  /** Outcomes by kind of frame and result, printed with OPENFLOW_FUZZ_STATS=1. */
  readonly stats = new Map<string, number>();
  private failed = 0;
  constructor(private readonly rng: Rng) {}

  run(b: Uint8Array, how: string): void {
    // Sometimes hand decode a view at an odd offset into a larger buffer, as the framer does.
    let input = b;
    if (this.rng.chance(0.25)) {
      const off = 1 + this.rng.int(7);
      const host = new Uint8Array(off + b.length + this.rng.int(8));
      host.set(b, off);
      input = host.subarray(off, off + b.length);
    }
    this.frames++;
    const r = check(input);
    if (r.accepted) this.accepted++;
    if (STATS) {
      const k = `${how.replace(/^mutated \(ops (\d+)\+.*/, 'mutated (ops $1+...')} ${r.key}`;
      this.stats.set(k, (this.stats.get(k) ?? 0) + 1);
    }
    if (r.problem !== undefined) {
      this.failed++;
      if (this.failures.length < 10) {
        const h = hex(b);
        this.failures.push(
          `frame ${this.frames} (${how}), ${b.length} bytes: ${r.problem}\n    input: ${h.length > 1200 ? `${h.slice(0, 1200)}...` : h}`,
        );
      }
    }
  }

  assertClean(what: string): void {
    if (STATS) {
      const rows = [...this.stats].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${k}: ${n}`);
      console.log(`${what}: ${this.accepted} of ${this.frames} accepted\n${rows.join('\n')}`);
    }
    if (this.failed > 0) {
      throw new Error(
        `${what}: ${this.failed} of ${this.frames} frames failed, ${SEED_TEXT}\n  ${this.failures.join('\n  ')}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------
// The frames.

/** A random frame of 0..300 bytes; half the time with a plausible header. */
function randomFrame(rng: Rng): Uint8Array {
  const b = rng.bytes(rng.int(301));
  if (b.length >= 4 && rng.chance(0.5)) {
    b[0] = 4;
    b[1] = rng.int(32);
    b[2] = b.length >> 8;
    b[3] = b.length & 0xff;
  }
  return b;
}

const INTERESTING8 = [0, 1, 2, 4, 7, 8, 0x0f, 0x10, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING16 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 24, 0x7fff, 0x8000, 0xfffe, 0xffff];

function splice(b: Uint8Array, at: number, del: number, ins: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - del + ins.length);
  out.set(b.subarray(0, at), 0);
  out.set(ins, at);
  out.set(b.subarray(at + del), at + ins.length);
  return out;
}

/** Where a mutation lands: mostly in the body, so that the header stays plausible. */
function position(rng: Rng, n: number): number {
  return n > 8 && rng.chance(0.9) ? 8 + rng.int(n - 7) : rng.int(n + 1);
}

const OPS = 13;

/** One blind mutation, or a 16-bit field nudged (lengths are where decoders break). */
function mutate(rng: Rng, b: Uint8Array, corpus: readonly Uint8Array[], op: number): Uint8Array {
  const n = b.length;
  const at = position(rng, n);
  const here = Math.min(at, n - 1);
  switch (op) {
    case 0: {
      if (n === 0) return b;
      const c = b.slice();
      c[here] = c[here]! ^ (1 << rng.int(8));
      return c;
    }
    case 1: {
      if (n === 0) return b;
      const c = b.slice();
      c[here] = rng.chance(0.5) ? rng.pick(INTERESTING8) : rng.int(256);
      return c;
    }
    case 2:
    case 3: {
      // a big-endian 16-bit word: set to an interesting value or nudged by a small amount
      if (n < 2) return b;
      const c = b.slice();
      const i = Math.min(at, n - 2);
      const old = (c[i]! << 8) | c[i + 1]!;
      const delta = rng.pick([-8, -4, -2, -1, 1, 2, 4, 8]);
      const v = rng.chance(0.5) ? rng.pick(INTERESTING16) : (old + delta) & 0xffff;
      c[i] = v >> 8;
      c[i + 1] = v & 0xff;
      return c;
    }
    case 4:
      return splice(b, at, 0, rng.bytes(1 + rng.int(16)));
    case 5:
      return splice(b, at, Math.min(n - at, 1 + rng.int(16)), new Uint8Array(0));
    case 6:
      return b.slice(0, at);
    case 7: {
      // duplicate a slice in place (repeats a TLV or list element, more or less)
      const from = position(rng, n);
      const len = Math.min(n - from, 1 + rng.int(24));
      return splice(b, at, 0, b.slice(from, from + len));
    }
    case 8: {
      // cross-over: our head, another frame's tail
      const o = rng.pick(corpus);
      return splice(b, at, n - at, o.subarray(position(rng, o.length)));
    }
    case 9:
      return splice(b, at, 0, new Uint8Array(1 + rng.int(8)).fill(rng.chance(0.5) ? 0 : 0xff));
    case 10: {
      // delete a run aligned to 4 or 8 bytes (removes whole fields)
      const unit = rng.chance(0.5) ? 4 : 8;
      const start = Math.floor(at / unit) * unit;
      return splice(b, start, Math.min(n - start, unit * (1 + rng.int(3))), new Uint8Array(0));
    }
    case 11: {
      // overwrite bytes with another frame's bytes at the same offsets (sizes unchanged)
      const o = rng.pick(corpus);
      const c = b.slice();
      const len = Math.min(n - at, o.length - at, 1 + rng.int(32));
      if (len > 0) c.set(o.subarray(at, at + len), at);
      return c;
    }
    default: {
      // swap two 8-byte-aligned blocks of 8 (list elements and TLVs are 8-aligned)
      if (n < 24) return b;
      const c = b.slice();
      const blocks = Math.floor((n - 8) / 8);
      const i = 8 + 8 * rng.int(blocks);
      const j = 8 + 8 * rng.int(blocks);
      c.set(b.subarray(j, j + 8), i);
      c.set(b.subarray(i, i + 8), j);
      return c;
    }
  }
}

/** A corpus frame after 1-4 mutations, and how it was made ("mutated (ops 2+6, length fixed)"). */
function mutatedFrame(
  rng: Rng,
  corpus: readonly Uint8Array[],
  rich: readonly Uint8Array[],
): { b: Uint8Array; how: string } {
  // Deeply nested messages are the interesting ones, and the hardest to keep decodable.
  let b = rng.pick(rng.chance(0.6) ? rich : corpus);
  const rounds = rng.pick([1, 1, 1, 2, 2, 3, 4]);
  const ops: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const op = rng.int(OPS);
    ops.push(op);
    b = mutate(rng, b, corpus, op);
  }
  // Mostly fix the header length up so the body gets decoded; sometimes leave it wrong.
  const fix = b.length >= 4 && rng.chance(0.8);
  if (fix) {
    b = b.slice(); // never write into the corpus
    const len = Math.min(b.length, 0xffff);
    b[2] = len >> 8;
    b[3] = len & 0xff;
  }
  return { b, how: `mutated (ops ${ops.join('+')}${fix ? ', length fixed' : ''})` };
}

// ---------------------------------------------------------------------------------------
// The corpus: samples of every kind of message, and the conformance vectors.

function buildCorpus(seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  KIND_NAMES.forEach((k, i) => {
    for (const m of fc.sample(arbKinds[k] as fc.Arbitrary<Message>, { seed: (seed + i) | 0, numRuns: 25 }))
      out.push(encode(m));
  });
  for (const f of ['loxigen.json', 'ovs-ofp-print.json']) {
    const cases = JSON.parse(readFileSync(new URL(`../test/conformance/${f}`, import.meta.url), 'utf8')) as {
      kind?: string;
      hex: string;
      valid?: boolean;
    }[];
    for (const c of cases) {
      if ((c.kind === undefined || c.kind === 'message') && c.valid !== false)
        out.push(Buffer.from(c.hex.replace(/\s+/g, ''), 'hex'));
    }
  }
  return out;
}

describe(`decode fuzz (${SEED_TEXT})`, () => {
  const corpus = buildCorpus(SEED);
  const rich = corpus.filter((b) => b.length >= 64);

  it('the corpus itself decodes and re-encodes unchanged', () => {
    const c = new Campaign(new Rng(SEED));
    for (const b of corpus) c.run(b, 'corpus');
    c.assertClean('corpus');
    expect(c.accepted).toBe(corpus.length);
    expect(corpus.length).toBeGreaterThan(KIND_NAMES.length * 25);
  });

  it(`${Math.round(FRAMES * 0.4)} random frames`, () => {
    const rng = new Rng(SEED ^ 0x52414e44);
    const c = new Campaign(rng);
    const n = Math.round(FRAMES * 0.4);
    for (let i = 0; i < n; i++) c.run(randomFrame(rng), 'random');
    c.assertClean('random frames');
    expect(c.frames).toBe(n);
    // Bodiless messages with a valid header decode; the rest is mostly refused.
    expect(c.accepted).toBeGreaterThan(0);
  });

  it(`${Math.round(FRAMES * 0.6)} mutated valid frames`, () => {
    const rng = new Rng(SEED ^ 0x4d555441);
    const c = new Campaign(rng);
    const n = Math.round(FRAMES * 0.6);
    for (let i = 0; i < n; i++) {
      const f = mutatedFrame(rng, corpus, rich);
      c.run(f.b, f.how);
    }
    c.assertClean('mutated frames');
    expect(c.frames).toBe(n);
    // Mutations must not be so destructive that nothing gets past the header.
    expect(c.accepted / c.frames).toBeGreaterThan(0.05);
  });
});
