import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Match } from '@rumpflow/openflow';
import { FlowKey, parseFrame } from '@rumpflow/packet';
import { Classifier, type Rule } from './classifier.js';
import { SLOTS, compileMatch, covers, keySlots, matches, overlaps, sameMatch } from './match.js';

interface R extends Rule {
  id: number;
}

/** Random matches over a few fields, with the masks ACLs and learning switches use. */
const arbMatch: fc.Arbitrary<Match> = fc
  .record({
    inPort: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    ethDst: fc.option(fc.constantFrom('00:00:00:00:00:01', '00:00:00:00:00:02'), { nil: undefined }),
    ip: fc.option(
      fc.record({
        dst: fc.constantFrom('10.0.0.1', '10.0.0.0', '10.1.0.0'),
        prefix: fc.constantFrom(8, 16, 24, 32),
        tcpDst: fc.option(fc.constantFrom(22, 80), { nil: undefined }),
      }),
      { nil: undefined },
    ),
  })
  .map(({ inPort, ethDst, ip }) => {
    const m: Match = [];
    if (inPort !== undefined) m.push({ field: 'IN_PORT', value: inPort });
    if (ethDst !== undefined) m.push({ field: 'ETH_DST', value: ethDst });
    if (ip) {
      const mask = ((0xffffffff << (32 - ip.prefix)) >>> 0).toString(2);
      const bytes = [0, 8, 16, 24].map((s) => parseInt(mask.slice(s, s + 8), 2));
      const maskText = bytes.join('.');
      const v = ip.dst.split('.').map((x, i) => Number(x) & (bytes[i] as number));
      m.push({ field: 'ETH_TYPE', value: 0x0800 }, { field: 'IPV4_DST', value: v.join('.'), mask: maskText });
      if (ip.tcpDst !== undefined) m.push({ field: 'IP_PROTO', value: 6 }, { field: 'TCP_DST', value: ip.tcpDst });
    }
    return m;
  });

function packetSlots(inPort: number, dst: string, ipDst: string, tcpDst: number): Uint32Array {
  const f = Buffer.alloc(54);
  Buffer.from(dst.replace(/:/g, ''), 'hex').copy(f, 0);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(40, 16);
  f[23] = 6;
  Buffer.from(ipDst.split('.').map(Number)).copy(f, 30);
  f.writeUInt16BE(tcpDst, 36);
  f[46] = 0x50;
  const k = new FlowKey();
  k.inPort = inPort;
  parseFrame(f, k);
  return keySlots(k, new Uint32Array(SLOTS));
}

const arbPacket = fc
  .record({
    inPort: fc.integer({ min: 1, max: 4 }),
    dst: fc.constantFrom('00:00:00:00:00:01', '00:00:00:00:00:02', '00:00:00:00:00:03'),
    ipDst: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.1.0.5', '192.168.0.1'),
    tcpDst: fc.constantFrom(22, 80, 443),
  })
  .map((p) => packetSlots(p.inPort, p.dst, p.ipDst, p.tcpDst));

describe('Classifier', () => {
  it('finds what a linear scan finds, highest priority first, through inserts and removals', () => {
    fc.assert(
      fc.property(
        fc.array(arbMatch, { maxLength: 40 }),
        fc.array(arbPacket, { minLength: 1, maxLength: 20 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        fc.boolean(),
        (ms, packets, drops, fewPriorities) => {
          const c = new Classifier<R>();
          // distinct priorities (a unique answer), or few (rules with equal matches share an entry)
          const rules: R[] = ms.map((m, i) => ({ id: i, priority: fewPriorities ? 10 * (1 + (i % 3)) + i / 100 : (i * 7919) % 1000, match: compileMatch(m) }));
          for (const r of rules) c.insert(r);
          // removal keeps the structure right (entries shrink, subtables go, maxima fall)
          const removed = rules.filter((_, i) => drops[i] === true);
          for (const r of removed) expect(c.remove(r)).toBe(true);
          for (const r of removed) expect(c.remove(r)).toBe(false);
          const live = rules.filter((r) => !removed.includes(r));
          expect(c.size).toBe(live.length);
          expect([...c.rules()].map((r) => r.id).sort((a, b) => a - b)).toEqual(live.map((r) => r.id));
          for (const r of live) {
            const same = live.filter((o) => sameMatch(o.match, r.match)).sort((a, b) => b.priority - a.priority);
            expect(c.withMatch(r.match).map((o) => o.id)).toEqual(same.map((o) => o.id));
          }
          for (const p of packets) {
            const linear = live.filter((r) => matches(r.match, p)).sort((a, b) => b.priority - a.priority)[0];
            expect(c.lookup(p)?.id).toBe(linear?.id);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps one subtable per distinct mask', () => {
    const c = new Classifier<R>();
    const rule = (id: number, priority: number, m: Match): R => {
      const match = compileMatch(m);
      return { id, priority, match };
    };
    for (let i = 0; i < 100; i++) c.insert(rule(i, 10, [{ field: 'ETH_DST', value: `00:00:00:00:00:${i.toString(16).padStart(2, '0')}` }]));
    c.insert(rule(100, 5, [{ field: 'ETH_TYPE', value: 0x0800 }, { field: 'IPV4_DST', value: '10.0.0.0', mask: '255.0.0.0' }]));
    expect(c.subtableCount).toBe(2);
    expect(c.lookup(packetSlots(1, '00:00:00:00:00:05', '10.0.0.1', 80))?.id).toBe(5);
    expect(c.lookup(packetSlots(1, '00:00:00:00:00:ff', '10.0.0.1', 80))?.id).toBe(100);
    expect(c.lookup(packetSlots(1, '00:00:00:00:00:ff', '11.0.0.1', 80))).toBeUndefined();
  });
});

describe('match relations', () => {
  it('covers, overlaps', () => {
    const any = compileMatch([]);
    const p1 = compileMatch([{ field: 'IN_PORT', value: 1 }]);
    const p1d = compileMatch([{ field: 'IN_PORT', value: 1 }, { field: 'ETH_DST', value: '00:00:00:00:00:01' }]);
    const p2 = compileMatch([{ field: 'IN_PORT', value: 2 }]);
    const d = compileMatch([{ field: 'ETH_DST', value: '00:00:00:00:00:01' }]);
    expect(covers(any, p1d)).toBe(true);
    expect(covers(p1, p1d)).toBe(true);
    expect(covers(p1d, p1)).toBe(false);
    expect(covers(p2, p1d)).toBe(false);
    expect(overlaps(p1, d)).toBe(true);
    expect(overlaps(p1, p2)).toBe(false);
    const n8 = compileMatch([{ field: 'ETH_TYPE', value: 0x800 }, { field: 'IPV4_DST', value: '10.0.0.0', mask: '255.0.0.0' }]);
    const n24 = compileMatch([{ field: 'ETH_TYPE', value: 0x800 }, { field: 'IPV4_DST', value: '10.1.2.0', mask: '255.255.255.0' }]);
    const o24 = compileMatch([{ field: 'ETH_TYPE', value: 0x800 }, { field: 'IPV4_DST', value: '11.1.2.0', mask: '255.255.255.0' }]);
    expect(overlaps(n8, n24)).toBe(true);
    expect(overlaps(n8, o24)).toBe(false);
    expect(covers(n8, n24)).toBe(true);
  });

  it('compiles every field width: IPv6 prefixes, 64-bit metadata, PBB', () => {
    const m = compileMatch([
      { field: 'METADATA', value: 0x1234567800000001n, mask: 0xffffffff0000ffffn },
      { field: 'ETH_TYPE', value: 0x86dd },
      { field: 'IPV6_DST', value: 'fe80::', mask: 'ffff::' },
    ]);
    expect([...m.used]).toEqual([2, 3, 8, 31]);
    expect(m.value[0]).toBe(0x12345678); // metadata high word
    expect(m.mask[1]).toBe(0x0000ffff); // metadata low word's mask (values are int32)
    expect(m.value[2]).toBe(0x86dd);
    expect((m.value[3] as number) >>> 0).toBe(0xfe800000); // first word of IPV6_DST
    expect((m.mask[3] as number) >>> 0).toBe(0xffff0000);
    // matches with the same mask share it
    const n = compileMatch([{ field: 'METADATA', value: 1n, mask: 0xffffffff0000ffffn }, { field: 'ETH_TYPE', value: 0x86dd }, { field: 'IPV6_DST', value: '2001::', mask: 'ffff::' }]);
    expect(n.mask).toBe(m.mask);
  });
});
