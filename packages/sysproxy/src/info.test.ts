import { describe, expect, it } from 'vitest';
import { parseKtraceFilter } from './kinfo.js';
import { parseTokenFile } from './token.js';

describe('parseTokenFile', () => {
  it('takes the first line, trimmed, as server and clients both must', () => {
    expect(parseTokenFile('s3cret\n')).toBe('s3cret');
    expect(parseTokenFile('  s3cret \r\nsecond line\n')).toBe('s3cret');
    expect(parseTokenFile('\ufeffs3cret')).toBe('s3cret');
    expect(parseTokenFile('')).toBe('');
    expect(parseTokenFile('\nlater')).toBe('');
  });
});

describe('parseKtraceFilter', () => {
  it('accepts pid and syscalls, refuses anything else with a reason', () => {
    expect(parseKtraceFilter('{}')).toEqual({});
    expect(parseKtraceFilter('{"pid":3,"syscalls":["read"]}')).toEqual({ pid: 3, syscalls: ['read'] });
    expect(() => parseKtraceFilter('{"pid":"one"}')).toThrow(/pid must be a number/);
    expect(() => parseKtraceFilter('{"syscalls":[1]}')).toThrow(/list of names/);
    expect(() => parseKtraceFilter('[1]')).toThrow(/must be an object/);
    expect(() => parseKtraceFilter('null')).toThrow(/must be an object/);
    expect(() => parseKtraceFilter('nope')).toThrow(/not JSON/);
  });
});
