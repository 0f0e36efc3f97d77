// Each fact once: ethertypes come from @rumpflow/openflow's ETH_TYPE, and address text goes
// through @rumpflow/openflow's byte-level parsers and formatters. These tests read the sources
// and hold the line against copies creeping back in.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as packet from './index.js';

const dir = new URL('./', import.meta.url);
const sources = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map(
    (f) =>
      [
        f,
        readFileSync(new URL(f, dir), 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\/\/.*$/gm, ''),
      ] as const,
  );
const hits = (re: RegExp, files = sources) =>
  files.flatMap(([f, src]) => [...src.matchAll(re)].map((m) => `${f}: ${m[0]}`));

describe('one declaration each', () => {
  it('ethertypes: none spelled here; no ETHERTYPE table of its own', () => {
    expect(hits(/\b0x(?:0?800|0?806|8035|8100|88a8|86dd|8847|8848|88e7)\b/gi)).toEqual([]);
    expect(hits(/\bETHERTYPE\b/g)).toEqual([]);
    expect('ETHERTYPE' in packet).toBe(false);
  });

  it("address text: addr.ts has no parser or hex table of its own, only openflow's", () => {
    const addr = sources.filter(([f]) => f === 'addr.ts');
    expect(hits(/\/\^|new RegExp|\.split\(|parseInt|toString\(16\)|padStart/g, addr)).toEqual([]);
    for (const f of ['macPut', 'macStr', 'ipv4Put', 'ipv4Str', 'ipv6Put', 'ipv6Str'])
      expect(hits(new RegExp(`\\b${f}\\(`, 'g'), addr).length, f).toBeGreaterThan(0);
  });
});
