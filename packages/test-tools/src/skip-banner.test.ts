import { afterEach, describe, expect, it, vi } from 'vitest';
import { warnSkipped } from './skip-banner.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('warnSkipped', () => {
  it('prints the suite, why, what goes unchecked and the remedy between bars, on stderr', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    warnSkipped(
      'x/test/y.test.ts',
      '`peer` is not installed',
      ['the codec is NOT checked'],
      ['apt-get install peer'],
    );
    expect(warn).toHaveBeenCalledTimes(1);
    const bar = '!'.repeat(83);
    expect(warn.mock.calls[0]?.[0]).toBe(
      [
        '',
        bar,
        '!! x/test/y.test.ts SKIPPED: `peer` is not installed, so',
        '!! the codec is NOT checked',
        '!! apt-get install peer',
        bar,
        '',
      ].join('\n'),
    );
  });
});
