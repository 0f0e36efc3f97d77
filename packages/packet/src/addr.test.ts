import { ipv4Put, ipv4Str, macPut, macStr } from '@rumpflow/openflow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  getMac,
  ipv4FromString,
  ipv4ToString,
  ipv6FromWords,
  ipv6ToWords,
  macFromString,
  macToString,
  putMac,
} from './addr.js';

describe('addresses', () => {
  it('MAC text and numbers', () => {
    expect(macFromString('ff:ff:ff:ff:ff:ff')).toBe(2 ** 48 - 1);
    expect(macFromString('2:0:0:0:0:a')).toBe(0x02000000000a);
    expect(macToString(0x0123456789ab)).toBe('01:23:45:67:89:ab');
    expect(() => macFromString('01:23:45:67:89')).toThrow(TypeError);
    expect(() => macFromString('01:23:45:67:89:xy')).toThrow(TypeError);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (n) => {
        expect(macFromString(macToString(n))).toBe(n);
        const b = new Uint8Array(8);
        putMac(b, 1, n);
        expect(getMac(b, 1)).toBe(n);
      }),
    );
  });

  it('IPv4 text and numbers', () => {
    expect(ipv4FromString('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4ToString(0x0a000001)).toBe('10.0.0.1');
    expect(() => ipv4FromString('256.0.0.1')).toThrow(TypeError);
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(ipv4ToString(ipv4FromString(s))).toBe(s);
      }),
    );
  });

  it('IPv6 text and words (RFC 5952 form out)', () => {
    expect(ipv6ToWords('2001:db8::1')).toEqual([0x20010db8, 0, 0, 1]);
    expect(ipv6ToWords('::ffff:10.0.0.1')).toEqual([0, 0, 0xffff, 0x0a000001]);
    expect(ipv6FromWords(0x20010db8, 0, 0, 1)).toBe('2001:db8::1');
    expect(ipv6FromWords(0xfe800000, 0, 0x02000000, 0x0000000a)).toBe('fe80::200:0:0:a');
    // IPv4-mapped and -compatible addresses as inet_ntop (and Open vSwitch) print them
    expect(ipv6FromWords(0, 0, 0xffff, 0x0a000001)).toBe('::ffff:10.0.0.1');
    expect(ipv6FromWords(0, 0, 0, 0x0a000001)).toBe('::10.0.0.1');
    expect(() => ipv6ToWords('1::2::3')).toThrow(TypeError);
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        const w = ipv6ToWords(s);
        expect(ipv6ToWords(ipv6FromWords(...w))).toEqual(w);
      }),
    );
  });

  // One syntax: the number helpers accept exactly what @rumpflow/openflow's byte-level parsers
  // accept, and print what its formatters print.
  const textish = fc.stringMatching(/^[0-9a-fA-F:.x ]{0,20}$/);
  const arbMacText = fc
    .array(fc.integer({ min: 0, max: 255 }), { minLength: 5, maxLength: 7 })
    .chain((xs) => fc.tuple(...xs.map((x) => fc.constantFrom(x.toString(16), x.toString(16).padStart(2, '0').toUpperCase()))))
    .map((parts) => parts.join(':'));
  const agree = (parse: () => unknown, other: () => unknown) => {
    let a: unknown;
    let b: unknown;
    try {
      a = parse();
    } catch (e) {
      a = e instanceof TypeError ? 'TypeError' : e;
    }
    try {
      b = other();
    } catch (e) {
      b = e instanceof TypeError ? 'TypeError' : e;
    }
    expect(a === 'TypeError').toBe(b === 'TypeError');
  };

  it("MAC and IPv4 text: the same language and output as openflow's macPut/macStr, ipv4Put/ipv4Str", () => {
    const b = new Uint8Array(6);
    fc.assert(
      fc.property(fc.oneof(textish, arbMacText, fc.ipV4(), fc.ipV4Extended()), (s) => {
        agree(() => macFromString(s), () => macPut(b, 0, s));
        agree(() => ipv4FromString(s), () => ipv4Put(b, 0, s));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (x) => {
        expect(macToString(getMac(x, 0))).toBe(macStr(x, 0));
        expect(ipv4ToString(((x[0]! << 24) | (x[1]! << 16) | (x[2]! << 8) | x[3]!) >>> 0)).toBe(ipv4Str(x, 0));
      }),
    );
  });
});
