// switchctl's command line: its words become control requests (or direct OpenFlow commands),
// mistakes are usage errors (exit 2), a switchd that is not there is an error (exit 1). The
// commands against a running switchd are tested with it in apps/switchd/test.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { controlRequestOf, main } from '../src/main.js';
import { formatShow } from '../src/format.js';

const dir = mkdtempSync(join(tmpdir(), 'switchctl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {}, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('switchctl', () => {
  it('turns words into control requests', () => {
    expect(controlRequestOf(['show', 'macs'])).toEqual({ cmd: 'show', what: 'macs' });
    expect(controlRequestOf(['show'])).toEqual({ cmd: 'show', what: 'summary' });
    expect(
      controlRequestOf([
        'connect',
        'unix:/run/sw0.sock',
        'fail-mode',
        'standalone',
        'forward',
        'to',
        'tcp:127.0.0.1:6653',
        'forward',
        'to',
        'ptcp:6634',
      ]),
    ).toEqual({
      cmd: 'connect',
      device: 'unix:/run/sw0.sock',
      failMode: 'standalone',
      forward: ['tcp:127.0.0.1:6653', 'ptcp:6634'],
    });
    expect(controlRequestOf(['disconnect', '/dev/switch0'])).toEqual({
      cmd: 'disconnect',
      device: '/dev/switch0',
    });
    expect(controlRequestOf(['load', '/etc/switchd.conf'])).toEqual({
      cmd: 'load',
      file: '/etc/switchd.conf',
    });
    expect(controlRequestOf(['log', 'verbose'])).toEqual({ cmd: 'log', level: 'verbose' });
    expect(controlRequestOf(['dump', 'flows', 'tcp:127.0.0.1:6634'])).toBeUndefined();
  });

  it('prints help, and refuses mistakes with exit 2', async () => {
    expect((await run('--help')).out).toMatch(/show summary \| switches \| macs/);
    for (const argv of [
      [],
      ['frobnicate'],
      ['show', 'nothing'],
      ['log', 'loud'],
      ['reload', 'now'],
      ['connect'],
      ['connect', '/dev/switch0', 'forward', 'tcp:1.2.3.4'],
    ]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/^switchctl: /);
    }
    expect((await run('dump', 'flows', 'ptcp:6634')).code).toBe(2); // a listener is not something to connect to
    expect((await run('dump', 'everything', 'tcp:127.0.0.1:1')).code).toBe(2);
    expect((await run('flow', 'add', 'tcp:127.0.0.1:1', 'actions=frobnicate')).err).toMatch(/frobnicate/);
    expect((await run('packet-out', 'tcp:127.0.0.1:1', '1', 'output:2', 'zz')).code).toBe(2);
  });

  it('says so when switchd is not there (exit 1)', async () => {
    const r = await run('-s', join(dir, 'none.sock'), 'show', 'summary');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/none\.sock: connect ENOENT/);
    const refused = await run('dump', 'desc', 'tcp:127.0.0.1:1', '--timeout', '2');
    expect(refused.code).toBe(1);
  });

  it('formats tables with columns sized to their contents', () => {
    const text = formatShow('macs', [
      { dpid: '0x0000000000000abc', mac: '02:00:00:00:00:01', port: 1, age: 3 },
      { dpid: '0x0000000000000abc', mac: '02:00:00:00:00:02', port: 12, age: 0 },
    ]);
    expect(text.split('\n')).toEqual([
      'DPID                MAC                PORT  AGE',
      '0x0000000000000abc  02:00:00:00:00:01  1     3',
      '0x0000000000000abc  02:00:00:00:00:02  12    0',
      '',
    ]);
  });
});
