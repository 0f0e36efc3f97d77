// Each fact once: the ethertype table, the error numbers, the DataView accessor choice and the
// cursor type are declared in one place and used from there. These tests read the sources and
// hold the line against copies creeping back in.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, OFPET, type ErrorTypeName, errPair, errorCode } from './errors.js';

const dir = new URL('./', import.meta.url);
const sources = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => [f, stripComments(readFileSync(new URL(f, dir), 'utf8'))] as const);

/** The code without comments (comments may quote numbers: "dl_type=0x0800"). */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function hits(re: RegExp, except: readonly string[] = []): string[] {
  return sources.flatMap(([f, src]) =>
    except.includes(f) ? [] : [...src.matchAll(re)].map((m) => `${f}: ${m[0]}`),
  );
}

describe('errPair', () => {
  it('names an error as its numbers', () => {
    expect(errPair('BAD_REQUEST', 'BAD_LEN')).toEqual([1, 6]);
    expect(errPair('BAD_ACTION', 'BAD_SET_LEN')).toEqual([2, 14]);
    expect(errPair('BAD_INSTRUCTION', 'UNKNOWN_INST')).toEqual([3, 0]);
    expect(errPair('METER_MOD_FAILED', 'BAD_BAND')).toEqual([12, 8]);
    expect(errPair('TABLE_FEATURES_FAILED', 'BAD_LEN')).toEqual([13, 3]);
    for (const [type, codes] of Object.entries(ERROR_CODES)) {
      codes.forEach((code, i) => {
        expect(errPair(type as ErrorTypeName, code as never)).toEqual([OFPET[type as ErrorTypeName], i]);
        expect(errorCode(type as ErrorTypeName, code as never)).toBe(i);
      });
    }
  });

  it('refuses a code its type does not have', () => {
    expect(() => errPair('BAD_MATCH', 'NO_SUCH' as never)).toThrow(RangeError);
  });
});

describe('one declaration each', () => {
  it('ethertypes: only constants.ts spells them (ETH_TYPE)', () => {
    expect(hits(/\b0x(?:0?800|0?806|8035|8100|88a8|86dd|8847|8848|88e7)\b/gi, ['constants.ts'])).toEqual([]);
    expect(hits(/\bconst\s+ETH_\w+\s*=/g, ['constants.ts'])).toEqual([]);
  });

  it('error numbers: no [type, code] pairs spelled as numbers, only errPair/errorCode', () => {
    expect(hits(/\bOFPET\.\w+\s*,\s*\d+/g)).toEqual([]); // [OFPET.BAD_ACTION, 1], super(OFPET.X, 6, ...)
    expect(hits(/\bErrorPair\s*=\s*\[/g)).toEqual([]); // const BAD_LEN: ErrorPair = [1, 6]
    expect(hits(/\w*[Ee]rr\w*\s*[:=]\s*\[\s*\d+\s*,\s*\d+\s*\]/g)).toEqual([]); // lenErr: [6, 12]
  });

  it('DataView accessors: layout.ts chooses getUintN/setUintN in one helper', () => {
    const layout = sources.find(([f]) => f === 'layout.ts')?.[1] ?? '';
    expect(layout.match(/['"`](?:get|set)Uint(?:8|16|32)['"`]/g) ?? []).toEqual([]);
    expect(layout.match(/bytes === [124] \?/g) ?? []).toEqual([]);
  });

  it('cursors: one interface for reading and writing', () => {
    const layout = sources.find(([f]) => f === 'layout.ts')?.[1] ?? '';
    expect(layout.match(/readonly dv: DataView;/g)).toHaveLength(1);
  });
});
