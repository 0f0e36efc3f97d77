import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseDefines, type DeviceConfig, type SwitchdConfig } from './config.js';

const errorOf = (text: string, opts = {}): ConfigError => {
  try {
    parseConfig(text, { file: 'test.conf', ...opts });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('switchd.conf', () => {
  it('reads macros, listen and device lines with several controllers', () => {
    const cfg = parseConfig(
      [
        '# controllers',
        'ctl = "tcp:10.0.0.1:6653"',
        'port_no = 6633',
        'listen on 127.0.0.1 port $port_no',
        'listen on ::1 tls',
        'device "/dev/switch0" forward to $ctl',
        'device add "unix:/run/sw1.sock" fail-mode standalone forward to tls:ctl.example:6653 \\',
        '    forward to ptcp:6634',
        'device "rump:/dev/switch2"   # built-in controller',
      ].join('\n'),
    );
    expect(cfg).toEqual<SwitchdConfig>({
      listen: [
        { addr: '127.0.0.1', port: 6633, tls: false },
        { addr: '::1', port: 6653, tls: true },
      ],
      devices: [
        { spec: '/dev/switch0', failMode: 'secure', forward: ['tcp:10.0.0.1:6653'] },
        {
          spec: 'unix:/run/sw1.sock',
          failMode: 'standalone',
          forward: ['tls:ctl.example:6653', 'ptcp:6634'],
        },
        { spec: 'rump:/dev/switch2', failMode: 'secure', forward: [] },
      ],
    });
  });

  it('lets -D macros win over definitions in the file', () => {
    const cfg = parseConfig('ctl = "tcp:10.0.0.1"\ndevice "/dev/switch0" forward to $ctl\n', {
      defines: parseDefines(['ctl=tcp:127.0.0.1:7000']),
    });
    expect(cfg.devices[0]?.forward).toEqual(['tcp:127.0.0.1:7000']);
    expect(() => parseDefines(['novalue'])).toThrow(ConfigError);
  });

  it('includes files relative to the including one', () => {
    const files: Record<string, string> = { '/etc/sw/more.conf': 'device "/dev/switch1"\n' };
    const cfg = parseConfig('include "more.conf"\ndevice "/dev/switch0"\n', {
      file: '/etc/sw/switchd.conf',
      readFile: (p) => {
        const t = files[p];
        if (t === undefined) throw new Error('ENOENT');
        return t;
      },
    });
    expect(cfg.devices.map((d) => d.spec)).toEqual(['/dev/switch1', '/dev/switch0']);
    const e = errorOf('\n  include "nope.conf"\n', {
      readFile: () => {
        throw new Error('ENOENT: no such file');
      },
    });
    expect([e.line, e.column]).toEqual([2, 11]);
    expect(e.message).toMatch(/test\.conf:2:11: cannot include \.\/nope\.conf: ENOENT/);
    // an include loop stops at the depth limit with an error, not a stack overflow
    expect(errorOf('include "self.conf"', { readFile: () => 'include "self.conf"' }).reason).toMatch(
      /nested deeper/,
    );
  });

  it.each([
    ['devise "/dev/switch0"', 1, 1, /unknown statement "devise"/],
    ['device "/dev/switch0" forward to $nope', 1, 34, /macro \$nope is not defined/],
    ['\n\ndevice "/dev/switch0" forward to tcp:', 3, 34, /tcp:/],
    ['device "/dev/switch0" fail-mode open', 1, 33, /fail-mode must be secure or standalone/],
    ['device "/dev/switch0"\ndevice "/dev/switch0"', 2, 8, /given twice/],
    ['device "dev/switch0"', 1, 8, /absolute/],
    ['listen on 127.0.0.1 port 70000', 1, 26, /bad port/],
    ['listen 127.0.0.1', 1, 8, /expected "on"/],
    ['device "/dev/switch0', 1, 8, /unterminated/],
    ['device "/dev/switch0" forward tcp:1.2.3.4', 1, 31, /expected "to"/],
    ['x = ', 1, 5, /expected a macro value/],
    ['device "/dev/switch0" ; ', 1, 23, /unexpected character/],
  ])('names line and column of %j', (text, line, col, why) => {
    const e = errorOf(text);
    expect(e.reason).toMatch(why);
    expect([e.line, e.column]).toEqual([line, col]);
    expect(e.message.startsWith(`test.conf:${line}:${col}: `)).toBe(true);
  });

  // property: a configuration written out in the grammar reads back the same
  const word = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
  const device: fc.Arbitrary<DeviceConfig> = fc.record({
    spec: fc.oneof(
      word.map((w) => `/dev/${w}`),
      word.map((w) => `unix:/run/${w}.sock`),
      word.map((w) => `rump:/dev/${w}`),
    ),
    failMode: fc.constantFrom('secure' as const, 'standalone' as const),
    forward: fc.uniqueArray(
      fc.oneof(
        fc.integer({ min: 1, max: 65535 }).map((p) => `tcp:127.0.0.1:${p}`),
        fc.integer({ min: 1, max: 65535 }).map((p) => `ptcp:${p}`),
        word.map((w) => `tls:${w}.example:6653`),
      ),
      { maxLength: 3 },
    ),
  });
  const config = fc.record({
    listen: fc.uniqueArray(
      fc.record({
        addr: fc.constantFrom('127.0.0.1', '::1', '0.0.0.0'),
        port: fc.integer({ min: 1, max: 65535 }),
        tls: fc.boolean(),
      }),
      { maxLength: 3, selector: (l) => `${l.addr}|${l.port}` },
    ),
    devices: fc.uniqueArray(device, { maxLength: 4, selector: (d) => d.spec }),
  });
  const write = (c: SwitchdConfig, useMacros: boolean): string => {
    const lines: string[] = [];
    const macro = (v: string, i: number) => {
      if (!useMacros) return `"${v}"`;
      lines.push(`m${i} = "${v}"`);
      return `$m${i}`;
    };
    let n = 0;
    for (const l of c.listen) lines.push(`listen on ${l.addr}${l.tls ? ' tls' : ''} port ${l.port}`);
    for (const d of c.devices)
      lines.push(
        `device "${d.spec}" fail-mode ${d.failMode}${d.forward.map((u) => ` forward to ${macro(u, n++)}`).join('')}  # ${n}`,
      );
    return lines.join('\n');
  };
  it('reads back what it is given (property)', () => {
    fc.assert(
      fc.property(config, fc.boolean(), (c, m) => {
        expect(parseConfig(write(c, m))).toEqual(c);
      }),
    );
  });
  it('answers any text with a config or a ConfigError (property)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(
            ...'device listen on port tls forward to "/dev/x" tcp:1.2.3.4 $ = # \\\n\t;'.split(' '),
          ),
        }),
        (text) => {
          try {
            parseConfig(text);
          } catch (e) {
            expect(e).toBeInstanceOf(ConfigError);
          }
        },
      ),
    );
  });
});
