// Property tests: the parser never throws on any input and what it reports stays inside the
// frame; truncating a valid frame only ever removes information; random set-field sequences
// keep every checksum right (independent checker) and the key equal to a fresh parse; push
// then pop gives back the original bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ETH_TYPE } from '@rumpflow/openflow';
import { arbFrame, arbSetField } from '../test/arbitraries.js';
import { sampleFrames } from '../test/fixtures.js';
import { allValid } from '../test/verify.js';
import { popMpls, popPbb, popVlan, pushMpls, pushPbb, pushVlan } from './encap.js';
import { FlowKey } from './key.js';
import { parseFrame } from './parse.js';
import { setField } from './rewrite.js';

const RUNS = Number(process.env.PACKET_FUZZ_RUNS ?? 400);
const parse = (f: Uint8Array) => parseFrame(f, new FlowKey());

/** Invariants of any parse result. */
function checkKey(k: FlowKey, n: number): void {
  expect(typeof k.truncated).toBe('boolean');
  for (const off of [k.vlanOff, k.mplsOff, k.pbbOff, k.l3Off, k.l4Off, k.ndOptOff]) {
    expect(off).toBeGreaterThanOrEqual(-1);
    expect(off).toBeLessThan(Math.max(n, 1));
  }
  if (k.l4Off >= 0) expect(k.l4Off).toBeGreaterThan(k.l3Off);
  if (k.l3Off >= 0) expect(k.l3Off).toBeGreaterThan(k.ethTypeOff);
  expect(k.vlanVid === 0 || (k.vlanVid & 0x1000) !== 0).toBe(true);
  expect(k.vlanVid).toBeLessThanOrEqual(0x1fff);
  expect(k.ipDscp).toBeLessThan(64);
  expect(k.ipEcn).toBeLessThan(4);
  expect(k.ipv6Flabel).toBeLessThan(1 << 20);
  expect(k.ipv6Exthdr).toBeLessThan(1 << 9);
  expect(k.mplsLabel).toBeLessThan(1 << 20);
  expect(k.pbbIsid).toBeLessThan(1 << 24);
  for (const m of [k.ethDst, k.ethSrc, k.arpSha, k.arpTha, k.ndSll, k.ndTll]) expect(m).toBeLessThan(2 ** 48);
}

const DEFAULTS = new FlowKey();

describe('parse: robustness', () => {
  it('random bytes never throw and give a sane key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        checkKey(parse(b), b.length);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('random bytes behind each known ethertype never throw', () => {
    const types = Object.values(ETH_TYPE);
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.constantFrom(...types),
        fc.uint8Array({ maxLength: 120 }),
        (t1, t2, body) => {
          const f = new Uint8Array(18 + body.length);
          f[12] = t1 >> 8;
          f[13] = t1 & 0xff;
          f[16] = t2 >> 8; // after a VLAN tag, if t1 is one
          f[17] = t2 & 0xff;
          f.set(body, 18);
          checkKey(parse(f), f.length);
          // and with IP-looking first bytes
          if (f.length > 20) {
            f[14] = 0x45;
            f[18] = 0x60;
            checkKey(parse(f), f.length);
          }
        },
      ),
      { numRuns: RUNS * 5 },
    );
  });

  it('mutated valid frames never throw', () => {
    fc.assert(
      fc.property(arbFrame, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }), (f, muts) => {
        for (const [i, v] of muts) f[i % f.length] = v;
        checkKey(parse(f), f.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('truncating a valid frame only removes information', () => {
    const check = (f: Uint8Array) => {
      const full = parse(f);
      for (let n = 0; n < f.length; n++) {
        const cut = parse(f.subarray(0, n));
        checkKey(cut, n);
        for (const [name, v] of Object.entries(cut)) {
          if (name === 'truncated') continue;
          const want = (full as unknown as Record<string, unknown>)[name];
          const dflt = (DEFAULTS as unknown as Record<string, unknown>)[name];
          if (name === 'mplsDepth' || name === 'vlanDepth') expect(v).toBeLessThanOrEqual(want as number);
          else if (name === 'ipv6Exthdr') expect((v as number) & ~(want as number)).toBe(0);
          else if (name === 'ipProto' && cut.truncated)
            continue; // the extension header reached
          else if (v !== want && v !== dflt)
            expect.fail(`${name}=${String(v)} at length ${n}, full parse ${String(want)}`);
        }
      }
    };
    for (const f of Object.values(sampleFrames())) check(f);
    fc.assert(fc.property(arbFrame, check), { numRuns: RUNS / 4 });
  });
});

describe('built frames', () => {
  it('every random built frame verifies and parses untruncated', () => {
    fc.assert(
      fc.property(arbFrame, (f) => {
        expect(allValid(f)).toBe(true);
        expect(parse(f).truncated).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('rewrite: random set-field sequences', () => {
  it('keep every checksum right and the key equal to a fresh parse; a refusal changes nothing', () => {
    fc.assert(
      fc.property(arbFrame, fc.array(arbSetField, { minLength: 1, maxLength: 8 }), (f, sets) => {
        const key = parse(f);
        for (const [field, value] of sets) {
          const before = Buffer.from(f);
          const ok = setField(f, key, field, value as never);
          if (!ok) expect(f.equals(before)).toBe(true);
        }
        const fresh = parse(f);
        fresh.tunnelId = key.tunnelId;
        expect(key).toEqual(fresh);
        expect(allValid(f)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('encap: push then pop', () => {
  it('gives back the original bytes', () => {
    fc.assert(
      fc.property(
        arbFrame,
        fc.constantFrom(0x8100, 0x88a8),
        fc.constantFrom(0x8847, 0x8848),
        (f, tpid, mplsType) => {
          const key = parse(f);
          const v = pushVlan(f, key, tpid);
          expect(popVlan(v, parse(v))!.equals(f)).toBe(true);
          const m = pushMpls(f, key, mplsType);
          expect(popMpls(m, parse(m), key.ethType)!.equals(f)).toBe(true);
          const p = pushPbb(f, key);
          expect(popPbb(p, parse(p))!.equals(f)).toBe(true);
          expect(allValid(v) && allValid(p)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
