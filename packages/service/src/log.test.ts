import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { componentLogger, createLogger, isLogLevel } from './log.js';

function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with name, level filter and component children', () => {
    const out = capture();
    const log = createLogger({ name: 'demo', level: 'info', destination: out.stream });
    log.debug('hidden');
    log.info({ port: 1 }, 'hello');
    componentLogger(log, 'admin').warn('child');
    const lines = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ name: 'demo', level: 30, msg: 'hello', port: 1, pid: process.pid });
    expect(lines[1]).toMatchObject({ name: 'demo', level: 40, msg: 'child', component: 'admin' });
  });

  it('serializes errors under err', () => {
    const out = capture();
    const log = createLogger({ name: 'demo', destination: out.stream });
    log.error({ err: new Error('boom') }, 'failed');
    const line = JSON.parse(out.lines()[0] ?? '{}') as { err: { message: string; stack: string } };
    expect(line.err.message).toBe('boom');
    expect(line.err.stack).toContain('Error: boom');
  });

  it('writes human-readable lines with --pretty', () => {
    const out = capture();
    const log = createLogger({
      name: 'demo',
      level: 'debug',
      pretty: true,
      colorize: false,
      destination: out.stream,
    });
    log.debug({ component: 'x' }, 'pretty line');
    const [line] = out.lines();
    expect(line).toMatch(/DEBUG.*\(demo\).*pretty line/);
    expect(() => JSON.parse(line ?? '')).toThrow();
  });

  it('knows the levels', () => {
    expect(isLogLevel('trace')).toBe(true);
    expect(isLogLevel('fatal')).toBe(true);
    expect(isLogLevel('loud')).toBe(false);
  });
});
