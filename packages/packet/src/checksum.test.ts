import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32cBitwise, naiveChecksum, sumVerifies } from '../test/verify.js';
import {
  checksum,
  crc32c,
  csumReplace128,
  csumReplace16,
  csumReplace32,
  csumReplace48,
  fold,
  onesSum,
  pseudoSumV4,
  pseudoSumV6,
  readSctpChecksum,
  sctpChecksum,
  udpChecksumOut,
  writeSctpChecksum,
} from './checksum.js';

const bytes = (...xs: number[]) => Uint8Array.from(xs);
const evenBytes = fc
  .uint8Array({ minLength: 2, maxLength: 200 })
  .map((b) => (b.length % 2 ? b.subarray(1) : b));

describe('Internet checksum (RFC 1071)', () => {
  it('matches the worked example of RFC 1071 section 3', () => {
    // 0001 f203 f4f5 f6f7: sum 2ddf0, folded ddf2, checksum 220d
    const b = bytes(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(onesSum(b, 0, 8)).toBe(0xddf2);
    expect(checksum(b, 0, 8)).toBe(0x220d);
  });

  it('verifies a well-known IPv4 header (checksum b861)', () => {
    const h = bytes(0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7);
    expect(checksum(h, 0, 20)).toBe(0xb861);
    h[10] = 0xb8;
    h[11] = 0x61;
    expect(onesSum(h, 0, 20)).toBe(0xffff);
  });

  it('pads an odd last byte with zero', () => {
    expect(onesSum(bytes(0x12, 0x34, 0x56), 0, 3)).toBe(0x1234 + 0x5600);
  });

  it('folds sums past 2^32 (jumbo data)', () => {
    for (const x of [0xffff * 0x20000 + 5, 2 ** 40 + 3, 2 ** 52 - 1, 0x1fffe])
      expect(fold(x)).toBe(x % 0xffff || 0xffff);
    const big = new Uint8Array(200_000).fill(0xff);
    expect(onesSum(big, 0, big.length)).toBe(0xffff);
  });

  it('agrees with the independent modulo formulation on random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(0xffff), (b, init) => {
        const ref = naiveChecksum([init >> 8, init & 0xff, ...b]);
        expect(checksum(b, 0, b.length, init)).toBe(ref);
      }),
    );
  });

  it('a stored checksum makes the data verify', () => {
    fc.assert(
      fc.property(evenBytes, (b) => {
        fc.pre(b.some((x) => x !== 0));
        const c = checksum(b, 0, b.length);
        expect(sumVerifies([...b, c >> 8, c & 0xff])).toBe(true);
      }),
    );
  });

  it('continues across ranges', () => {
    fc.assert(
      fc.property(evenBytes, evenBytes, (a, b) => {
        const joined = new Uint8Array([...a, ...b]);
        expect(checksum(b, 0, b.length, onesSum(a, 0, a.length))).toBe(checksum(joined, 0, joined.length));
      }),
    );
  });
});

describe('pseudo headers', () => {
  it('IPv4: src, dst, zero, protocol, length', () => {
    const src = 0x0a000001;
    const dst = 0xc0a80102;
    const ref = bytes(10, 0, 0, 1, 192, 168, 1, 2, 0, 17, 0, 28);
    expect(pseudoSumV4(src, dst, 17, 28)).toBe(onesSum(ref, 0, 12));
  });

  it('IPv6: addresses, 32-bit length, three zeros, next header', () => {
    const addrs = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
    const ref = new Uint8Array([...addrs, 0, 1, 0x23, 0x45, 0, 0, 0, 58]);
    const b = new Uint8Array(50);
    b.set(addrs, 10);
    expect(pseudoSumV6(b, 10, 58, 0x12345)).toBe(onesSum(ref, 0, ref.length));
  });
});

describe('incremental update (RFC 1624)', () => {
  // For data with a nonzero word, eqn. 3 gives exactly the recomputed checksum.
  const recomputed = (b: Uint8Array) => checksum(b, 0, b.length);

  it('16-bit word', () => {
    fc.assert(
      fc.property(evenBytes, fc.nat(), fc.nat(0xffff), (b, i, neu) => {
        const at = (i % (b.length / 2)) * 2;
        const hc = recomputed(b);
        const old = (b[at]! << 8) | b[at + 1]!;
        b[at] = neu >> 8;
        b[at + 1] = neu & 0xff;
        fc.pre(b.some((x) => x !== 0));
        expect(csumReplace16(hc, old, neu)).toBe(recomputed(b));
      }),
    );
  });

  it('32-, 48- and 128-bit values', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 40, maxLength: 80 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (b0, neu) => {
          const b = b0.length % 2 ? b0.subarray(1) : b0;
          const words = (x: Uint8Array, p: number, n: number) =>
            Array.from(
              { length: n },
              (_, i) =>
                ((x[p + 4 * i]! << 24) |
                  (x[p + 4 * i + 1]! << 16) |
                  (x[p + 4 * i + 2]! << 8) |
                  x[p + 4 * i + 3]!) >>>
                0,
            );
          const mac = (x: Uint8Array, p: number) =>
            ((x[p]! << 8) | x[p + 1]!) * 0x100000000 + words(x, p + 2, 1)[0]!;
          const hc = recomputed(b);
          fc.pre(b.subarray(20).some((x) => x !== 0));
          // 32 at offset 4
          const c32 = b.slice();
          const o32 = words(c32, 4, 1)[0]!;
          c32.set(neu.subarray(0, 4), 4);
          expect(csumReplace32(hc, o32, words(neu, 0, 1)[0]!)).toBe(recomputed(c32));
          // 48 at offset 2
          const c48 = b.slice();
          const o48 = mac(c48, 2);
          c48.set(neu.subarray(0, 6), 2);
          expect(csumReplace48(hc, o48, mac(neu, 0))).toBe(recomputed(c48));
          // 128 at offset 0
          const c128 = b.slice();
          const o = words(c128, 0, 4);
          const n = words(neu, 0, 4);
          c128.set(neu, 0);
          expect(csumReplace128(hc, o[0]!, o[1]!, o[2]!, o[3]!, n[0]!, n[1]!, n[2]!, n[3]!)).toBe(
            recomputed(c128),
          );
        },
      ),
    );
  });

  it('keeps a wrong checksum wrong by the same amount', () => {
    const b = bytes(0x45, 0x00, 0x12, 0x34, 0xab, 0xcd);
    const good = checksum(b, 0, 6);
    const bad = (good + 7) & 0xffff;
    const old = 0x1234;
    b[2] = 0x43;
    b[3] = 0x21;
    const good2 = checksum(b, 0, 6);
    expect(csumReplace16(bad, old, 0x4321)).toBe((good2 + 7) & 0xffff);
  });

  it("UDP's rule: a computed 0 is sent as 0xffff", () => {
    expect(udpChecksumOut(0)).toBe(0xffff);
    expect(udpChecksumOut(0x1234)).toBe(0x1234);
    expect(udpChecksumOut(0xffff)).toBe(0xffff);
  });
});

describe('CRC32c', () => {
  // RFC 3720 appendix B.4 test vectors, and the common check value
  const cases: [string, Uint8Array, number][] = [
    ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
    ['32 bytes of 0xff', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['0x00..0x1f', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['0x1f..0x00', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
    ['"123456789"', new TextEncoder().encode('123456789'), 0xe3069283],
  ];
  for (const [name, data, want] of cases) {
    it(`test vector: ${name}`, () => {
      expect(crc32c(data, 0, data.length)).toBe(want);
      expect(crc32cBitwise(data)).toBe(want);
    });
  }

  it('agrees with a bitwise CRC and continues across ranges', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 50 }), (a, b) => {
        const ab = new Uint8Array([...a, ...b]);
        expect(crc32c(ab, 0, ab.length)).toBe(crc32cBitwise(ab));
        expect(crc32c(b, 0, b.length, crc32c(a, 0, a.length))).toBe(crc32cBitwise(ab));
      }),
    );
  });

  it('SCTP: computed over a zeroed checksum field, stored least significant byte first', () => {
    // iSCSI read command PDU of RFC 3720 B.4, framed as if it were an SCTP packet
    const pkt = Uint8Array.from([
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]);
    expect(crc32c(pkt, 0, pkt.length)).toBe(0xd9963a56);
    const s = pkt.slice();
    s.fill(0x5a, 8, 12); // whatever the field holds is ignored
    expect(sctpChecksum(s, 0, s.length)).toBe(0xd9963a56);
    writeSctpChecksum(s, 0, 0xd9963a56);
    expect(Array.from(s.subarray(8, 12))).toEqual([0x56, 0x3a, 0x96, 0xd9]);
    expect(readSctpChecksum(s, 0)).toBe(0xd9963a56);
  });
});
