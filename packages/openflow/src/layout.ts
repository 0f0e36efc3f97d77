// The layout compiler. Every OpenFlow structure is declared once, as an ordered record of
// field specs (see structures.ts, actions.ts, messages.ts ...). `struct()` compiles such a
// declaration, once at module load, into three straight-line JavaScript functions (decode,
// size, write) with `new Function`, and TypeScript derives the decoded object's type from the
// same declaration. So the table is never interpreted per message, and the decoder, encoder
// and types cannot drift apart (the LoxiGen/Ryu model).
//
// Conventions of the wire, and how the objects represent them:
// - Length fields (a structure's own length, or the length of a later list) are not in the
//   objects: the encoder derives them, the decoder checks them.
// - Padding is not in the objects either. A decoder that meets padding that is not all zeros,
//   or not of the canonical size, keeps the bytes it received in a hidden (non-enumerable)
//   property, and the encoder sends them back: padding you received is padding you send.
// - Byte strings (`bytes`) are views into the decoded buffer, not copies.

import { ERROR_DATA_LEN, type ErrorPair, OfpError, errPair } from './errors.js';

/**
 * A position in a message buffer: the bytes (the whole message, for ERROR data), a DataView of
 * them and the read or write position. Decoders read through one, encoders write through one
 * over a buffer sized exactly by `size()`.
 */
export interface Cursor {
  readonly b: Uint8Array;
  readonly dv: DataView;
  pos: number;
}

/** Decoding state (a Cursor). */
export type Reader = Cursor;
/** Encoding state (a Cursor). */
export type Writer = Cursor;

/** A compiled codec for one structure or list. `end` bounds what decode may read. */
export interface Codec<T> {
  readonly name: string;
  /** Size in bytes when every value has the same size. */
  readonly fixed: number | undefined;
  decode(r: Reader, end: number): T;
  size(v: T): number;
  write(w: Writer, v: T): void;
}

/** Hidden property holding non-canonical padding and strings received, by field name. */
export const RAW: unique symbol = Symbol('rumpflow.openflow.raw');
export type RawBytes = Record<string, Uint8Array>;

export function rawOf(v: object): RawBytes | undefined {
  return (v as { [RAW]?: RawBytes })[RAW];
}

export function setRaw(v: object, raw: RawBytes): void {
  Object.defineProperty(v, RAW, { value: raw, enumerable: false, configurable: true, writable: true });
}

export function cursorOf(b: Uint8Array): Cursor {
  return { b, dv: new DataView(b.buffer, b.byteOffset, b.byteLength), pos: 0 };
}

export const readerOf: (b: Uint8Array) => Reader = cursorOf;
export const writerOf: (b: Uint8Array) => Writer = cursorOf;

/** The error a decoder throws; its data is the start of the message being decoded. */
export function fail(r: Reader, err: ErrorPair, what: string): OfpError {
  return new OfpError(err[0], err[1], what, r.b.slice(0, ERROR_DATA_LEN));
}

// ---------------------------------------------------------------------------------------
// Field specs. A spec knows how to emit the JavaScript that reads, sizes and writes it.

/** Emitting context shared by the fields of one struct while it is being compiled. */
interface Gen {
  /** Register a runtime value (a codec, a table) and get the expression naming it. */
  ref(value: unknown): string;
  /** The struct's name, for error messages. */
  readonly name: string;
  /** Expression for the struct's length error pair. */
  readonly lenErr: string;
}

export interface FieldGen {
  /** Bytes on the wire when constant. */
  readonly fixed: number | undefined;
  /** Not a property of the decoded object (padding, lengths). */
  readonly hidden: boolean;
  /** Statements reading the field into local `v` (named by `local`) and advancing `p`. */
  dec(local: string, key: string, g: Gen): string;
  /** Expression of the field's size given the object expression `o` (variable fields only). */
  size?(o: string, key: string, g: Gen): string;
  /** Statements writing `o[key]` at `p` and advancing `p`. */
  enc(o: string, key: string, g: Gen): string;
}

/** A field of type T. `H` marks fields absent from the object. */
export interface Field<T, H extends boolean = false> {
  readonly __type?: T;
  readonly __hidden?: H;
  readonly gen: FieldGen;
}

/** The DataView methods reading and writing an unsigned big-endian number of `bytes` bytes. */
function access(bytes: 1 | 2 | 4): { get: string; set: string } {
  const bits = 8 * bytes;
  return { get: `getUint${bits}`, set: `setUint${bits}` };
}

/**
 * Statements checking that `x` (an expression) is an integer in 0..max before it is written;
 * anything else is a TypeError naming the field (`what`), never a silently wrapped number.
 */
function rangeCheck(x: string, bits: number, what: string): string {
  return `if (!(${x} >= 0 && ${x} <= ${2 ** bits - 1} && ${x} % 1 === 0)) throw new TypeError(${JSON.stringify(
    `${what}: not a ${bits}-bit unsigned integer: `,
  )} + ${x});`;
}

/** Throw a TypeError naming the field unless `x` is an integer of at most `bits` bits. */
export function checkUint(x: unknown, bits: number, what: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 2 ** bits - 1) {
    throw new TypeError(`${what}: not a ${bits}-bit unsigned integer: ${String(x)}`);
  }
  return x;
}

/** Throw a TypeError naming the field unless `x` is a bigint of at most 64 bits. */
export function checkU64(x: unknown, what: string): bigint {
  if (typeof x !== 'bigint' || x < 0n || x > 0xffffffffffffffffn) {
    throw new TypeError(`${what}: not a 64-bit unsigned bigint: ${String(x)}`);
  }
  return x;
}

// Numbers. `check` adds a decode-time test (enumerations and flag masks).
function num(bytes: 1 | 2 | 4, check?: { test: (v: string) => string; err: ErrorPair; what: string }): Field<number> {
  const { get, set } = access(bytes);
  return {
    gen: {
      fixed: bytes,
      hidden: false,
      dec: (l, key, g) => {
        let s = `const ${l} = dv.${get}(p); p += ${bytes};\n`;
        if (check) {
          s += `if (${check.test(l)}) throw fail(r, ${g.ref(check.err)}, ${JSON.stringify(
            `${g.name}.${key}: ${check.what} `,
          )} + ${l});\n`;
        }
        return s;
      },
      enc: (o, key) => `{ const x = ${o}.${key}; ${rangeCheck('x', 8 * bytes, key)} dv.${set}(p, x); } p += ${bytes};\n`,
    },
  };
}

export const u8: Field<number> = num(1);
export const u16: Field<number> = num(2);
export const u32: Field<number> = num(4);

export const u64: Field<bigint> = {
  gen: {
    fixed: 8,
    hidden: false,
    dec: (l) => `const ${l} = dv.getBigUint64(p); p += 8;\n`,
    enc: (o, key) => `dv.setBigUint64(p, checkU64(${o}.${key}, ${JSON.stringify(key)})); p += 8;\n`,
  },
};

/** An enumerated number: decoding any value outside `values` throws `err`. */
export function oneOf(bytes: 1 | 2 | 4, values: readonly number[], err: ErrorPair, what = 'unknown value'): Field<number> {
  const list = [...new Set(values)];
  return num(bytes, { test: (v) => list.map((x) => `${v} !== ${x}`).join(' && '), err, what });
}

/** A flag word: decoding a value with bits outside `mask` throws `err`. */
export function flags(bytes: 1 | 2 | 4, mask: number, err: ErrorPair): Field<number> {
  return num(bytes, { test: (v) => `((${v} & ${~mask >>> 0}) !== 0)`, err, what: 'unknown flag bits in' });
}

/** The discriminant of a union variant: on the wire a number, in the object a literal name. */
export function tag<N extends string>(name: N, value: number, bytes: 1 | 2 | 4 = 2): Field<N> {
  const { set } = access(bytes);
  return {
    gen: {
      fixed: bytes,
      hidden: false,
      dec: (l) => `const ${l} = ${JSON.stringify(name)}; p += ${bytes};\n`,
      enc: () => `dv.${set}(p, ${value}); p += ${bytes};\n`,
    },
  };
}

/** Padding: zeros on the wire; non-zero bytes received are kept hidden and sent back. */
export function pad(n: number): Field<never, true> {
  return {
    gen: {
      fixed: n,
      hidden: true,
      dec: (_l, key) => {
        const test = Array.from({ length: n }, (_, i) => `b[p + ${i}]`).join(' | ');
        return `if ((${test}) !== 0) (raw ??= {})[${JSON.stringify(key)}] = b.slice(p, p + ${n});\np += ${n};\n`;
      },
      enc: (o, key) =>
        `{ const x = ${o}[RAW]?.[${JSON.stringify(key)}]; if (x !== undefined && x.length === ${n}) b.set(x, p); else b.fill(0, p, p + ${n}); } p += ${n};\n`,
    },
  };
}

/** A MAC address, "aa:bb:cc:dd:ee:ff". */
export const mac: Field<string> = {
  gen: {
    fixed: 6,
    hidden: false,
    dec: (l) => `const ${l} = macStr(b, p); p += 6;\n`,
    enc: (o, key) => `macPut(b, p, ${o}.${key}); p += 6;\n`,
  },
};

/**
 * A NUL-terminated, NUL-padded character array of n bytes (port, table and description names),
 * as a string of at most n - 1 bytes of UTF-8. A name received without its NUL (all n bytes
 * used) decodes, and is kept to be sent back as received; encoding a longer string than
 * n - 1 bytes is a TypeError.
 */
export function str(n: number): Field<string> {
  return {
    gen: {
      fixed: n,
      hidden: false,
      dec: (l, key) =>
        `const ${l} = cstr(b, p, ${n}); if (!cstrCanonical(b, p, ${n}, ${l})) (raw ??= {})[${JSON.stringify(
          key,
        )}] = b.slice(p, p + ${n}); p += ${n};\n`,
      enc: (o, key) =>
        `{ const x = ${o}[RAW]?.[${JSON.stringify(key)}]; if (x !== undefined && cstr(x, 0, ${n}) === ${o}.${key}) b.set(x, p); else cstrPut(b, p, ${n}, ${o}.${key}, ${JSON.stringify(
          key,
        )}); } p += ${n};\n`,
    },
  };
}

/** An array of n 32-bit words (async masks, group feature tables). */
export function u32s(n: number): Field<number[]> {
  return {
    gen: {
      fixed: 4 * n,
      hidden: false,
      dec: (l) =>
        `const ${l} = [${Array.from({ length: n }, (_, i) => `dv.getUint32(p + ${4 * i})`).join(', ')}]; p += ${4 * n};\n`,
      enc: (o, key) =>
        `{ const x = ${o}.${key}; if (x.length !== ${n}) throw new TypeError(${JSON.stringify(
          `${key}: expected ${n} words`,
        )}); for (let i = 0; i < ${n}; i++) dv.setUint32(p + 4 * i, checkUint(x[i], 32, ${JSON.stringify(
          `${key}[`,
        )} + i + "]")); } p += ${4 * n};\n`,
    },
  };
}

/** The rest of the structure's extent, as a view. */
export const bytes: Field<Uint8Array> = {
  gen: {
    fixed: undefined,
    hidden: false,
    dec: (l) => `const ${l} = b.subarray(p, E); p = E;\n`,
    size: (o, key) => `${o}.${key}.length`,
    enc: (o, key) => `b.set(${o}.${key}, p); p += ${o}.${key}.length;\n`,
  },
};

/**
 * Padding from here to the end of the structure (whose own length counts it), canonically
 * up to the next multiple of `align` bytes from the structure's start (set-field actions).
 * Must be the last field of a structure with a `selfLength`.
 */
export function alignPad(align: number): Field<never, true> {
  return {
    gen: {
      fixed: undefined,
      hidden: true,
      dec: (_l, key) =>
        `if (E - p !== ((${align} - ((p - start) % ${align})) % ${align}) || !zeros(b, p, E)) (raw ??= {})[${JSON.stringify(
          key,
        )}] = b.slice(p, E); p = E;\n`,
      enc: (o, key) =>
        `{ const x = ${o}[RAW]?.[${JSON.stringify(key)}]; if (x !== undefined) { b.set(x, p); p += x.length; } else { const n = (${align} - ((p - start) % ${align})) % ${align}; b.fill(0, p, p + n); p += n; } }\n`,
    },
    ...{ alignTo: align },
  } as Field<never, true>;
}

/** A field of no bytes holding a constant name (variants whose tag their parent reads). */
export function named<N extends string>(name: N): Field<N> {
  return {
    gen: {
      fixed: 0,
      hidden: false,
      dec: (l) => `const ${l} = ${JSON.stringify(name)};\n`,
      enc: () => '',
    },
  };
}

/** A byte that must hold `value`; anything else is the error `err` (the header's version). */
export function constant(bytes: 1 | 2, value: number, err: ErrorPair, what: string): Field<never, true> {
  const { get, set } = access(bytes);
  return {
    gen: {
      fixed: bytes,
      hidden: true,
      dec: (_l, _key, g) =>
        `if (dv.${get}(p) !== ${value}) throw fail(r, ${g.ref(err)}, ${JSON.stringify(`${g.name}: ${what} `)} + dv.${get}(p)); p += ${bytes};\n`,
      enc: () => `dv.${set}(p, ${value}); p += ${bytes};\n`,
    },
  };
}

/** A nested structure or list, read within the enclosing extent. */
export function nested<T>(codec: Codec<T>): Field<T> {
  return {
    gen: {
      fixed: codec.fixed,
      hidden: false,
      dec: (l, _key, g) => `r.pos = p; const ${l} = ${g.ref(codec)}.decode(r, E); p = r.pos;\n`,
      size: (o, key, g) => `${g.ref(codec)}.size(${o}.${key})`,
      enc: (o, key, g) => `w.pos = p; ${g.ref(codec)}.write(w, ${o}.${key}); p = w.pos;\n`,
    },
  };
}

/**
 * The structure's own length field, counting from its first byte. With `padTo`, the length
 * excludes trailing padding up to that multiple (ofp_match, HELLO elements, table-feature
 * properties); a last element missing that padding at the end of its container is accepted
 * and re-encoded as received.
 */
export function selfLength(bytes: 2 | 4 = 2, padTo?: number): Field<never, true> {
  const { get, set } = access(bytes);
  return {
    gen: {
      fixed: bytes,
      hidden: true,
      dec: (_l, _key, g) =>
        `{ const L = dv.${get}(p); if (L < MIN || start + L > END) throw fail(r, ${g.lenErr}, ${JSON.stringify(
          `${g.name}: bad length `,
        )} + L); E = start + L; ${
          padTo ? `PE = Math.min(start + ((L + ${padTo - 1}) & ~${padTo - 1}), END);` : ''
        } } p += ${bytes};\n`,
      // struct() back-patches the length once the end is known
      enc: () => `LP = p; p += ${bytes};\n`,
    },
    ...{ lengthWidth: bytes, lengthSet: set, padTo },
  } as Field<never, true>;
}

/**
 * A length field of a later list (PACKET_OUT's actions_len): decoded into a local that the
 * list declared with `sizedBy(codec, thisKey)` reads; encoded by back-patching.
 */
export function lengthOf(bytes: 2 | 4 = 2): Field<never, true> {
  const { get, set } = access(bytes);
  return {
    gen: {
      fixed: bytes,
      hidden: true,
      dec: (_l, key) => `const len_${key} = dv.${get}(p); p += ${bytes};\n`,
      enc: (_o, key) => `const LEN_${key} = p; dv.${set}(p, 0); p += ${bytes};\n`,
    },
  };
}

/** A list whose byte length is given by an earlier `lengthOf` field named `by`. */
export function sizedBy<T>(codec: Codec<T>, by: string, bytes: 2 | 4 = 2): Field<T> {
  const { set } = access(bytes);
  return {
    gen: {
      fixed: undefined,
      hidden: false,
      dec: (l, key, g) =>
        `const e_${l} = p + len_${by}; if (e_${l} > E) throw fail(r, ${g.lenErr}, ${JSON.stringify(
          `${g.name}.${key}: length beyond the message`,
        )}); r.pos = p; const ${l} = ${g.ref(codec)}.decode(r, e_${l}); if (r.pos !== e_${l}) throw fail(r, ${g.lenErr}, ${JSON.stringify(
          `${g.name}.${key}: length mismatch`,
        )}); p = e_${l};\n`,
      size: (o, key, g) => `${g.ref(codec)}.size(${o}.${key})`,
      enc: (o, key, g) =>
        `{ const s = p; w.pos = p; ${g.ref(codec)}.write(w, ${o}.${key}); p = w.pos; dv.${set}(LEN_${by}, p - s); }\n`,
    },
  };
}

// ---------------------------------------------------------------------------------------
// Struct compilation.

type AnyField = Field<unknown, boolean>;
export type Spec = Record<string, AnyField>;

export type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type StructType<S extends Spec> = Simplify<{
  [K in keyof S as S[K] extends Field<unknown, true> ? never : K]: S[K] extends Field<infer T, boolean> ? T : never;
}>;
export type Infer<C> = C extends Codec<infer T> ? T : never;

export interface StructOptions {
  /** Error for a bad or truncated length (default BAD_REQUEST/BAD_LEN). */
  readonly lenErr?: ErrorPair;
}

const BAD_LEN: ErrorPair = errPair('BAD_REQUEST', 'BAD_LEN');

const runtime = {
  fail,
  checkUint,
  checkU64,
  RAW,
  macStr,
  macPut,
  cstr,
  cstrPut,
  cstrCanonical,
  zeros,
};

interface LengthMeta {
  lengthWidth?: 2 | 4;
  lengthSet?: string;
  padTo?: number;
  alignTo?: number;
}

/** Compile a structure declaration into a codec. Field order is wire order. */
export function struct<S extends Spec>(name: string, spec: S, opts: StructOptions = {}): Codec<StructType<S>> {
  const refs: unknown[] = [];
  const ref = (v: unknown): string => {
    let i = refs.indexOf(v);
    if (i < 0) i = refs.push(v) - 1;
    return `R[${i}]`;
  };
  const lenErr = ref(opts.lenErr ?? BAD_LEN);
  const g: Gen = { ref, name, lenErr };
  const entries = Object.entries(spec);
  let min = 0;
  let allFixed = true;
  let self: LengthMeta | undefined;
  let alignTo: number | undefined;
  let alignKey = '';
  for (const [key, f] of entries) {
    const meta = f as unknown as LengthMeta;
    if (meta.lengthWidth) self = meta;
    if (meta.alignTo) {
      alignTo = meta.alignTo;
      alignKey = key;
    }
    if (f.gen.fixed === undefined) allFixed = false;
    else min += f.gen.fixed;
  }
  if (alignTo && !self) throw new Error(`layout ${name}: alignPad needs a selfLength`);
  const fixed = allFixed && !self?.padTo ? min : undefined;

  // decode
  let dec = `const b = r.b, dv = r.dv, start = r.pos; let p = start, E = END, PE = END, raw;\n`;
  dec += `if (start + MIN > END) throw fail(r, ${lenErr}, ${JSON.stringify(`${name}: truncated`)});\n`;
  let afterVariable = false;
  const props: string[] = [];
  entries.forEach(([key, f], i) => {
    const l = `v${i}`;
    if (f.gen.fixed === undefined) afterVariable = true;
    else if (afterVariable && f.gen.fixed > 0) {
      // fixed fields after a variable one: check again that they fit
      const rest = entries.slice(i).reduce((n, [, h]) => n + (h.gen.fixed ?? 0), 0);
      dec += `if (p + ${rest} > E) throw fail(r, ${lenErr}, ${JSON.stringify(`${name}: truncated`)});\n`;
      afterVariable = false;
    }
    dec += f.gen.dec(l, key, g);
    if (!f.gen.hidden) props.push(`${JSON.stringify(key)}: ${l}`);
  });
  if (self) {
    dec += `if (p !== E) throw fail(r, ${lenErr}, ${JSON.stringify(`${name}: length does not match contents`)});\n`;
    if (self.padTo) {
      // Padding is the zero bytes up to the multiple; where those bytes are not zero (or the
      // container ends first) the sender left the padding out, and so will the encoder.
      dec += `if (PE < E) PE = E; if (PE - E !== ((${self.padTo} - ((E - start) % ${self.padTo})) % ${self.padTo}) || !zeros(b, E, PE)) { PE = E; (raw ??= {})["pad$"] = b.subarray(E, E); } p = PE;\n`;
    }
  }
  dec += `r.pos = p;\nconst o = { ${props.join(', ')} };\nif (raw !== undefined) setRaw(o, raw);\nreturn o;\n`;

  // size
  let size = `let s = ${min};\n`;
  for (const [key, f] of entries) if (f.gen.size) size += `s += ${f.gen.size('v', key, g)};\n`;
  if (alignTo) {
    size += `{ const x = v[RAW]?.[${JSON.stringify(alignKey)}]; s += x !== undefined ? x.length : (${alignTo} - (s % ${alignTo})) % ${alignTo}; }\n`;
  }
  if (self?.padTo) {
    size += `{ const x = v[RAW]?.["pad$"]; s += x !== undefined ? x.length : (${self.padTo} - (s % ${self.padTo})) % ${self.padTo}; }\n`;
  }
  size += 'return s;\n';

  // write
  let enc = `const b = w.b, dv = w.dv, start = w.pos; let p = start, LP = 0;\n`;
  for (const [key, f] of entries) enc += f.gen.enc('v', key, g);
  if (self) {
    enc += `dv.${self.lengthSet}(LP, p - start);\n`;
    if (self.padTo) {
      enc += `{ const x = v[RAW]?.["pad$"]; if (x !== undefined) { b.set(x, p); p += x.length; } else { const n = (${self.padTo} - ((p - start) % ${self.padTo})) % ${self.padTo}; b.fill(0, p, p + n); p += n; } }\n`;
    }
  }
  enc += `w.pos = p;\n`;

  const names = Object.keys(runtime);
  const values = Object.values(runtime);
  const make = (args: string, body: string): unknown =>
    new Function('R', 'setRaw', 'MIN', ...names, `"use strict"; return function ${safe(name)}(${args}) {\n${body}}`)(
      refs,
      setRaw,
      min,
      ...values,
    );
  try {
    const decode = make('r, END', dec) as Codec<StructType<S>>['decode'];
    const sizeFn =
      fixed !== undefined ? ((() => fixed) as Codec<StructType<S>>['size']) : (make('v', size) as Codec<StructType<S>>['size']);
    const write = make('w, v', enc) as Codec<StructType<S>>['write'];
    return { name, fixed, decode, size: sizeFn, write };
  } catch (e) {
    throw new Error(`layout ${name}: ${(e as Error).message}\n${dec}\n${size}\n${enc}`);
  }
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

// ---------------------------------------------------------------------------------------
// Lists and unions.

/** Elements one after another to the end of the enclosing extent. */
export function list<T>(item: Codec<T>): Codec<T[]> {
  const name = `${item.name}[]`;
  const fixed = item.fixed;
  return {
    name,
    fixed: undefined,
    decode(r, end) {
      const out: T[] = [];
      while (r.pos < end) out.push(item.decode(r, end));
      return out;
    },
    size:
      fixed !== undefined
        ? (v) => v.length * fixed
        : (v) => {
            let s = 0;
            for (let i = 0; i < v.length; i++) s += item.size(v[i] as T);
            return s;
          },
    write(w, v) {
      for (let i = 0; i < v.length; i++) item.write(w, v[i] as T);
    },
  };
}

export interface UnionOptions<F> {
  /** Offset and width of the discriminant on the wire. */
  readonly tagAt?: number;
  readonly tagBytes?: 1 | 2;
  /** Smallest valid element; fewer remaining bytes is a length error. */
  readonly minLen: number;
  readonly lenErr: ErrorPair;
  /** Error for an unknown discriminant, unless `fallback` takes it. */
  readonly unknownErr: ErrorPair;
  /** Codec for elements with an unknown discriminant (kept opaque). */
  readonly fallback?: Codec<F>;
  /** Property naming the variant on encode (default `type`). */
  readonly nameKey?: string;
}

// Method syntax makes Codec<X> assignable to this (parameters are bivariant).
export type AnyCodec = Codec<unknown>;
export type Variants = ReadonlyArray<readonly [number, AnyCodec]>;
export type VariantType<A extends Variants> = Infer<A[number][1]>;

/**
 * A tagged union: variants keyed by their wire discriminant. Each variant is a struct whose
 * `type` field is a `tag()` and whose name is that tag; an object's `type` selects its
 * variant on encode, anything else goes to `fallback`.
 */
export function union<const A extends Variants, F = never>(
  name: string,
  variants: A,
  opts: UnionOptions<F>,
): Codec<VariantType<A> | F> {
  type T = VariantType<A> | F;
  const byWire = new Map<number, AnyCodec>(variants);
  const byName = new Map<string, AnyCodec>();
  for (const [, c] of variants) byName.set(c.name, c);
  const tagAt = opts.tagAt ?? 0;
  const wide = opts.tagBytes !== 1;
  const fallback = opts.fallback as AnyCodec | undefined;
  const key = opts.nameKey ?? 'type';
  const pick = (v: T): AnyCodec => {
    const n = (v as Record<string, unknown>)[key];
    const c = byName.get(n as string);
    if (c) return c;
    if (fallback) return fallback;
    throw new TypeError(`${name}: unknown ${key} ${String(n)}`);
  };
  // A dense table when the discriminants are small, else the map.
  const dense: (AnyCodec | undefined)[] = new Array<AnyCodec | undefined>(64).fill(undefined);
  for (const [k, c] of variants) if (k < 64) dense[k] = c;
  return {
    name,
    fixed: undefined,
    decode(r, end) {
      const p = r.pos;
      if (p + opts.minLen > end) throw fail(r, opts.lenErr, `${name}: truncated`);
      const t = wide ? r.dv.getUint16(p + tagAt) : r.dv.getUint8(p + tagAt);
      const c = t < 64 ? dense[t] : byWire.get(t);
      if (c) return c.decode(r, end) as T;
      if (fallback) return fallback.decode(r, end) as T;
      throw fail(r, opts.unknownErr, `${name}: unknown type ${t}`);
    },
    size: (v) => pick(v).size(v),
    write: (w, v) => pick(v).write(w, v),
  };
}

/**
 * A union whose variant names are the struct names: give each variant struct the same name
 * as its tag literal so `union()` finds it by `type`.
 */
export function variant<N extends string, S extends Spec>(
  tagName: N,
  wire: number,
  spec: S,
  opts: StructOptions & { tagBytes?: 1 | 2 | 4; prefix?: Spec } = {},
): readonly [number, Codec<Simplify<{ type: N } & StructType<S>>>] {
  const full = { ...(opts.prefix ?? {}), type: tag(tagName, wire, opts.tagBytes ?? 2), ...spec } as Spec;
  const c = struct(tagName, full, opts) as unknown as Codec<Simplify<{ type: N } & StructType<S>>>;
  return [wire, c] as const;
}

// ---------------------------------------------------------------------------------------
// Runtime helpers used by generated code.

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Character codes of a byte's two lower-case hex digits: high digit at 2n, low at 2n + 1. */
const HEX_CODES = Uint8Array.from({ length: 512 }, (_, i) => HEX[i >> 1]!.charCodeAt(i & 1));

const hi = (b: Uint8Array, p: number): number => HEX_CODES[2 * b[p]!]!;
const lo = (b: Uint8Array, p: number): number => HEX_CODES[2 * b[p]! + 1]!;

/** "aa:bb:cc:dd:ee:ff", built as one flat string (decoders make many; flow entries keep them). */
export function macStr(b: Uint8Array, p: number): string {
  // prettier-ignore
  return String.fromCharCode(
    hi(b, p), lo(b, p), 58, hi(b, p + 1), lo(b, p + 1), 58, hi(b, p + 2), lo(b, p + 2), 58,
    hi(b, p + 3), lo(b, p + 3), 58, hi(b, p + 4), lo(b, p + 4), 58, hi(b, p + 5), lo(b, p + 5),
  );
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Write "aa:bb:cc:dd:ee:ff" (one or two hex digits per byte) as 6 bytes. */
export function macPut(b: Uint8Array, p: number, s: string): void {
  let i = 0;
  for (let k = 0; k < 6; k++) {
    if (k > 0) {
      if (s.charCodeAt(i) !== 58) throw new TypeError(`not a MAC address: ${s}`);
      i++;
    }
    const d1 = hexDigit(s.charCodeAt(i));
    if (d1 < 0) throw new TypeError(`not a MAC address: ${s}`);
    const d2 = hexDigit(s.charCodeAt(i + 1));
    if (d2 < 0) {
      b[p + k] = d1;
      i += 1;
    } else {
      b[p + k] = (d1 << 4) | d2;
      i += 2;
    }
  }
  if (i !== s.length) throw new TypeError(`not a MAC address: ${s}`);
}

const utf8dec = new TextDecoder('utf-8');
const utf8enc = new TextEncoder();

export function cstr(b: Uint8Array, p: number, n: number): string {
  let e = p;
  const lim = p + n;
  let ascii = true;
  while (e < lim && b[e] !== 0) {
    if (b[e]! > 0x7e) ascii = false;
    e++;
  }
  if (ascii) {
    let s = '';
    for (let i = p; i < e; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  return utf8dec.decode(b.subarray(p, e));
}

/** Write `s` as a NUL-terminated string in n bytes (at most n - 1 of text), NUL-padded. */
export function cstrPut(b: Uint8Array, p: number, n: number, s: string, what = 'string'): void {
  if (typeof s !== 'string') throw new TypeError(`${what}: not a string: ${String(s)}`);
  const x = utf8enc.encode(s);
  if (x.length > n - 1) throw new TypeError(`${what}: longer than ${n - 1} bytes (a NUL-terminated char[${n}]): ${s}`);
  b.set(x, p);
  b.fill(0, p + x.length, p + n);
}

/** Whether the n bytes at p are exactly what cstrPut writes for `s`. */
export function cstrCanonical(b: Uint8Array, p: number, n: number, s: string): boolean {
  const x = utf8enc.encode(s);
  if (x.length > n - 1) return false;
  for (let i = 0; i < x.length; i++) if (b[p + i] !== x[i]) return false;
  return zeros(b, p + x.length, p + n);
}

export function zeros(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}
