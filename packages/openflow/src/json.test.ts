import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from './json.js';

describe('exact JSON', () => {
  it('writes bigints with every digit and byte arrays as hex', () => {
    expect(stringifyJson({ dpid: 0xffffffffffffffffn, data: new Uint8Array([1, 0xab]), n: 1 })).toBe(
      '{"dpid":18446744073709551615,"data":"01ab","n":1}',
    );
  });

  it('reads integers beyond 2^53 as bigint and the rest as numbers', () => {
    expect(parseJson('{"dpid":18446744073709551615,"small":42,"f":1.5,"neg":-9007199254740993,"a":[true,null,"x"]}')).toEqual({
      dpid: 18446744073709551615n,
      small: 42,
      f: 1.5,
      neg: -9007199254740993n,
      a: [true, null, 'x'],
    });
  });

  it('round-trips any 64-bit value exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        const back = parseJson(stringifyJson({ v })) as { v: bigint | number };
        expect(BigInt(back.v)).toBe(v);
      }),
    );
  });

  it('agrees with JSON.parse on ordinary JSON', () => {
    // integers beyond 2^53 come back as bigint: compare them as numbers
    const norm = (v: unknown): unknown =>
      typeof v === 'bigint'
        ? Number(v)
        : Array.isArray(v)
          ? v.map(norm)
          : v !== null && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]))
            : v;
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(norm(parseJson(text))).toEqual(JSON.parse(text));
      }),
    );
  });

  it('reports the position of a syntax error', () => {
    expect(() => parseJson('{"a":}')).toThrow(/position 5/);
    expect(() => parseJson('[1,2')).toThrow(SyntaxError);
    expect(() => parseJson('{"__proto__":{"polluted":1}}')).not.toThrow();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
