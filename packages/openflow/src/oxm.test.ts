// IPv6 text: ipv6Str writes what glibc's inet_ntop writes (and so what Open vSwitch's
// dump-flows prints), and ipv6Put reads it back.
import { SocketAddress } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv6Put, ipv6Str } from './oxm.js';

const bytesOf = (hex: string) => Uint8Array.from(Buffer.from(hex.padStart(32, '0'), 'hex'));
/** The eight groups in full, uncompressed: a form every parser reads, formatted by none. */
const full = (b: Uint8Array) =>
  Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(':');
/** libuv's inet_ntop (the BIND implementation glibc's is also taken from), through Node. */
const inetNtop = (b: Uint8Array) => new SocketAddress({ address: full(b), family: 'ipv6' }).address;

describe('ipv6Str', () => {
  // Each of these is what `python3 -c 'socket.inet_ntop(AF_INET6, ...)'` (glibc) prints.
  const GLIBC: [string, string][] = [
    ['', '::'],
    ['1', '::1'],
    ['2', '::2'],
    ['ffff', '::ffff'], // the seventh group is zero too: not "::0.0.255.255"
    ['01020304', '::1.2.3.4'], // IPv4-compatible
    ['00010000', '::0.1.0.0'],
    ['ffff01020304', '::ffff:1.2.3.4'], // IPv4-mapped
    ['ffff00000000', '::ffff:0.0.0.0'],
    ['ffffc0a80001', '::ffff:192.168.0.1'],
    ['fffe01020304', '::fffe:102:304'], // not mapped
    ['ffff000001020304', '::ffff:0:102:304'], // SIIT (RFC 2765) prints in hex
    ['00010000000000000000ffff01020304', '1::ffff:102:304'],
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'], // the first of two longest runs
    ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'], // a single zero group is not compressed
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    ['fe80000000000000020000000000000a', 'fe80::200:0:0:a'],
  ];
  it.each(GLIBC)('%s -> %s', (hex, text) => {
    const b = bytesOf(hex);
    expect(ipv6Str(b, 0)).toBe(text);
    expect(inetNtop(b)).toBe(text);
  });

  // Random addresses, biased towards the forms with special rules: long zero runs, IPv4-mapped
  // and IPv4-compatible prefixes.
  const group = fc.oneof(
    fc.constant(0),
    fc.constant(0),
    fc.constant(0xffff),
    fc.integer({ min: 0, max: 0xffff }),
  );
  const address = fc
    .oneof(
      fc.array(group, { minLength: 8, maxLength: 8 }),
      fc.tuple(group, group).map(([a, b]) => [0, 0, 0, 0, 0, 0xffff, a, b]),
      fc.tuple(group, group).map(([a, b]) => [0, 0, 0, 0, 0, 0, a, b]),
    )
    .map((g) => Uint8Array.from(g.flatMap((x) => [x >> 8, x & 0xff])));

  it('agrees with inet_ntop on any address', () => {
    fc.assert(
      fc.property(address, (b) => {
        expect(ipv6Str(b, 0)).toBe(inetNtop(b));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with the WHATWG URL serializer wherever no dotted quad is due', () => {
    fc.assert(
      fc.property(address, (b) => {
        const s = ipv6Str(b, 0);
        if (s.includes('.')) return;
        expect(s).toBe(new URL(`http://[${full(b)}]/`).hostname.slice(1, -1));
      }),
      { numRuns: 5000 },
    );
  });

  it('is read back by ipv6Put, dotted quads included', () => {
    fc.assert(
      fc.property(address, fc.nat({ max: 8 }), (b, at) => {
        const out = new Uint8Array(32).fill(0xee);
        ipv6Put(out, at, ipv6Str(b, 0));
        expect([...out.subarray(at, at + 16)]).toEqual([...b]);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads at an offset', () => {
    const b = new Uint8Array(20);
    b.set(bytesOf('ffff0a000001'), 3);
    expect(ipv6Str(b, 3)).toBe('::ffff:10.0.0.1');
  });
});
