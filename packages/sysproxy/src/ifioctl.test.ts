import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IFIOCTL,
  IFIOCTL_DEFS,
  IFNAMSIZ,
  IfIoctlError,
  type IfIoctlName,
  type Layout,
  decodeIfIoctlIn,
  decodeIfIoctlOut,
  encodeIfIoctlIn,
  encodeIfIoctlOut,
  fixedSize,
  ifIoctlName,
} from './ifioctl.js';

// A value for any field type of a layout.
function arbLayout(layout: Layout): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [f, t] of layout) {
    if (typeof t !== 'string') {
      fields[f] = fc.array(arbLayout(t.list), { maxLength: 5 });
      continue;
    }
    switch (t) {
      case 'name':
        fields[f] = fc.stringMatching(/^[a-z][a-z0-9]{0,14}$/);
        break;
      case 'u8':
        fields[f] = fc.integer({ min: 0, max: 0xff });
        break;
      case 'u16':
        fields[f] = fc.integer({ min: 0, max: 0xffff });
        break;
      case 'u32':
        fields[f] = fc.integer({ min: 0, max: 0xffffffff });
        break;
      case 'u64':
        fields[f] = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
        break;
      case 'ip4':
        fields[f] = fc.ipV4();
        break;
      case 'mac':
        fields[f] = fc
          .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
          .map((a) => a.map((x) => x.toString(16).padStart(2, '0')).join(':'));
        break;
    }
  }
  return fc.record(fields);
}

const names = Object.keys(IFIOCTL_DEFS) as IfIoctlName[];

describe('interface ioctl numbers', () => {
  it('are distinct and carry BSD direction bits and the fixed length', () => {
    expect(new Set(Object.values(IFIOCTL)).size).toBe(names.length);
    for (const n of names) {
      const d = IFIOCTL_DEFS[n];
      const cmd = IFIOCTL[n];
      expect(ifIoctlName(cmd)).toBe(n);
      expect((cmd & 0x80000000) !== 0).toBe(d.in !== null);
      expect((cmd & 0x40000000) !== 0).toBe(d.out !== null);
      expect((cmd >>> 8) & 0xff).toBe(d.group.charCodeAt(0));
      expect(cmd & 0xff).toBe(d.num);
      expect((cmd >>> 16) & 0x1fff).toBe(Math.max(d.in ? fixedSize(d.in) : 0, d.out ? fixedSize(d.out) : 0));
    }
    // BSD's own value where our layout is an ifreq-sized name: SIOCIFCREATE is _IOW('i', 122, 16 bytes).
    expect(IFIOCTL.SIOCIFCREATE).toBe(0x8010697a);
    expect(ifIoctlName(0x12345678)).toBeUndefined();
  });
});

describe('interface ioctl structures', () => {
  for (const n of names) {
    const d = IFIOCTL_DEFS[n];
    for (const dir of ['in', 'out'] as const) {
      const layout = d[dir];
      if (!layout) continue;
      it(`${n} ${dir}: round-trips and refuses truncation and trailing bytes`, () => {
        const enc = dir === 'in' ? encodeIfIoctlIn : encodeIfIoctlOut;
        const dec = dir === 'in' ? decodeIfIoctlIn : decodeIfIoctlOut;
        fc.assert(
          fc.property(arbLayout(layout), (v) => {
            const b = (enc as (n: IfIoctlName, v: unknown) => Uint8Array | null)(n, v);
            expect(b).not.toBeNull();
            const bytes = b as Uint8Array;
            expect((dec as (n: IfIoctlName, b: Uint8Array | null) => unknown)(n, bytes)).toEqual(v);
            expect(() =>
              (dec as (n: IfIoctlName, b: Uint8Array | null) => unknown)(
                n,
                bytes.subarray(0, bytes.length - 1),
              ),
            ).toThrow(IfIoctlError);
            const longer = new Uint8Array(bytes.length + 1);
            longer.set(bytes);
            expect(() => (dec as (n: IfIoctlName, b: Uint8Array | null) => unknown)(n, longer)).toThrow(
              IfIoctlError,
            );
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  it('decoding arbitrary bytes never throws anything but IfIoctlError (EINVAL)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.uint8Array({ maxLength: 200 }), (n, b) => {
        for (const dec of [decodeIfIoctlIn, decodeIfIoctlOut]) {
          try {
            dec(n, b);
          } catch (e) {
            expect(e).toBeInstanceOf(IfIoctlError);
            expect((e as IfIoctlError).errno).toBe(22);
          }
        }
      }),
    );
  });

  it('lays out a switch member request as documented', () => {
    const b = encodeIfIoctlIn('SIOCBRDGADD', { name: 'switch0', member: 'vxlan0', portno: 1 }) as Uint8Array;
    expect(b.length).toBe(2 * IFNAMSIZ + 4);
    expect(new TextDecoder().decode(b.subarray(0, 7))).toBe('switch0');
    expect(b[7]).toBe(0);
    expect(new TextDecoder().decode(b.subarray(16, 22))).toBe('vxlan0');
    expect([...b.subarray(32)]).toEqual([0, 0, 0, 1]);
    const t = encodeIfIoctlIn('SIOCSLIFPHYADDR', {
      name: 'vxlan0',
      src: '127.0.0.1',
      srcport: 4789,
      dst: '10.1.2.3',
      dstport: 4790,
    }) as Uint8Array;
    expect([...t.subarray(16)]).toEqual([127, 0, 0, 1, 0x12, 0xb5, 10, 1, 2, 3, 0x12, 0xb6]);
  });

  it('refuses bad values with IfIoctlError', () => {
    expect(() => encodeIfIoctlIn('SIOCIFCREATE', { name: 'a-name-that-is-too-long' })).toThrow(IfIoctlError);
    expect(() =>
      encodeIfIoctlIn('SIOCAIFADDR', { name: 'vether0', addr: '10.0.0.256', prefixlen: 24 }),
    ).toThrow(/IPv4/);
    expect(() => encodeIfIoctlIn('SIOCSVNETID', { name: 'vxlan0', vnetid: -1 })).toThrow(/u32/);
    expect(() => decodeIfIoctlIn('SIOCIFCREATE', null)).toThrow(/missing/);
    const unterminated = new Uint8Array(IFNAMSIZ).fill(0x61);
    expect(() => decodeIfIoctlIn('SIOCIFCREATE', unterminated)).toThrow(/NUL/);
    expect(encodeIfIoctlIn('SIOCIFGCLONERS', undefined)).toBeNull();
    expect(decodeIfIoctlOut('SIOCIFCREATE', null)).toBeUndefined();
  });
});
