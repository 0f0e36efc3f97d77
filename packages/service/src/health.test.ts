import { describe, expect, it } from 'vitest';
import { HealthRegistry } from './health.js';

describe('HealthRegistry', () => {
  it('is ok with no checks, and ok only when every check is', async () => {
    const h = new HealthRegistry();
    expect(await h.evaluate()).toEqual({ ok: true, checks: {}, failing: [] });
    h.register('kernel', () => ({ ok: true, detail: 'connected to unix:///tmp/rump.sock' }));
    const remove = h.register('device', async () => ({ ok: false, detail: { open: 0, wanted: 1 } }));
    expect(await h.evaluate()).toEqual({
      ok: false,
      checks: {
        kernel: { ok: true, detail: 'connected to unix:///tmp/rump.sock' },
        device: { ok: false, detail: { open: 0, wanted: 1 } },
      },
      failing: ['device'],
    });
    remove();
    expect((await h.evaluate()).ok).toBe(true);
    expect(h.names()).toEqual(['kernel']);
  });

  it('counts throwing, rejecting, silent and malformed checks as failing, with the reason', async () => {
    const h = new HealthRegistry({ timeoutMs: 20 });
    h.register('throws', () => {
      throw new Error('no kernel');
    });
    h.register('rejects', () => Promise.reject(new Error('refused')));
    h.register('hangs', () => new Promise(() => undefined));
    h.register('malformed', () => ({}) as never);
    const report = await h.evaluate();
    expect(report.failing).toEqual(['throws', 'rejects', 'hangs', 'malformed']);
    expect(report.checks).toEqual({
      throws: { ok: false, detail: 'no kernel' },
      rejects: { ok: false, detail: 'refused' },
      hangs: { ok: false, detail: 'no answer within 20 ms' },
      malformed: { ok: false, detail: 'check returned no {ok} result' },
    });
  });

  it('refuses duplicate names', () => {
    const h = new HealthRegistry();
    h.register('a', () => ({ ok: true }));
    expect(() => h.register('a', () => ({ ok: true }))).toThrow('health check "a" is already registered');
  });
});
