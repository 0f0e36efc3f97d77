import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FDOFF,
  HijackConfigError,
  SOCKET_FAMILIES,
  inapplicableKeys,
  parseRetryConnect,
  parseRumphijack,
  routePath,
} from './config.js';

const segment = fc.stringMatching(/^[a-z0-9._-]{1,8}$/);
const absPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);

describe('RUMPHIJACK', () => {
  it("NetBSD's default: path=/rump, socket=all:nolocal, fdoff 128", () => {
    const c = parseRumphijack(undefined);
    expect(c.prefix).toBe('/rump');
    expect(c.fdoff).toBe(DEFAULT_FDOFF);
    expect([...c.sockets].sort()).toEqual(SOCKET_FAMILIES.filter((f) => f !== 'local').sort());
    expect(c.blanket).toEqual([]);
    expect(routePath(c, '/rump/dev/switch0')).toEqual({ to: 'rump', path: '/dev/switch0' });
    expect(routePath(c, '/rump')).toEqual({ to: 'rump', path: '/' });
    expect(routePath(c, '/rumpkernel/x')).toEqual({ to: 'host' });
    expect(routePath(c, 'rump/dev/zero')).toEqual({ to: 'host' });
  });

  it('path=: under the prefix (at a slash or the end) goes to the kernel, prefix stripped; nothing else does', () => {
    fc.assert(
      fc.property(absPath, absPath, segment, (prefix, rest, tail) => {
        const c = parseRumphijack(`path=${prefix}`);
        expect(routePath(c, prefix + rest)).toEqual({ to: 'rump', path: rest });
        expect(routePath(c, prefix)).toEqual({ to: 'rump', path: '/' });
        expect(routePath(c, prefix + tail)).toEqual({ to: 'host' });
        if (!rest.startsWith(prefix + '/') && rest !== prefix)
          expect(routePath(c, rest)).toEqual({ to: 'host' });
      }),
    );
  });

  it('blanket=: paths starting with any of them go to the kernel unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(absPath, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.string(),
        (list, i, more) => {
          const c = parseRumphijack(`blanket=${list.join(':')}`);
          expect(c.prefix).toBeNull();
          const b = list[i % list.length] as string;
          expect(routePath(c, b + more)).toEqual({ to: 'rump', path: b + more });
        },
      ),
    );
  });

  it('fdoff= takes 3 up to 2^30 - 1, and nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 2 ** 30 - 1 }), (n) => {
        expect(parseRumphijack(`fdoff=${n}`).fdoff).toBe(n);
      }),
    );
    for (const bad of ['fdoff=2', 'fdoff=-5', 'fdoff=12x', 'fdoff=', 'fdoff', `fdoff=${2 ** 30}`]) {
      expect(() => parseRumphijack(bad)).toThrow(HijackConfigError);
    }
  });

  it('socket= and vfs=: "all" first, then [no]name items fold left to right', () => {
    const item = fc.tuple(fc.boolean(), fc.constantFrom(...SOCKET_FAMILIES));
    fc.assert(
      fc.property(fc.boolean(), fc.array(item, { maxLength: 10 }), (all, items) => {
        const text = [...(all ? ['all'] : []), ...items.map(([on, f]) => (on ? f : `no${f}`))].join(':');
        if (text === '') return;
        const want = new Set(all ? SOCKET_FAMILIES : []);
        for (const [on, f] of items) {
          if (on) want.add(f);
          else want.delete(f);
        }
        expect([...parseRumphijack(`socket=${text}`).sockets].sort()).toEqual([...want].sort());
      }),
    );
    expect([...parseRumphijack('vfs=all:nofhcalls').vfs].sort()).toEqual(['getvfsstat', 'nfssvc']);
    expect(() => parseRumphijack('socket=all:nobluetooth')).toThrow('invalid socket specifier nobluetooth');
    expect(() => parseRumphijack('vfs=mount')).toThrow('invalid vfscall specifier mount');
  });

  it('sysctl and modctl: bare means yes; y/yes/yep/tottakai and n/no in any case', () => {
    expect(parseRumphijack('sysctl').sysctl).toBe(true);
    expect(parseRumphijack('sysctl=TOTTAKAI,modctl=yep')).toMatchObject({ sysctl: true, modctl: true });
    expect(parseRumphijack('sysctl=No,modctl=n')).toMatchObject({ sysctl: false, modctl: false });
    expect(() => parseRumphijack('sysctl=maybe')).toThrow('sysctl value should be y(es)/n(o), gave: maybe');
  });

  it('a key NetBSD does not have is an error naming it; keys that need a value say so', () => {
    const known = ['path', 'blanket', 'fdoff', 'socket', 'vfs', 'sysctl', 'modctl'];
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z_]{1,10}$/).filter((k) => !known.includes(k)),
        fc.option(fc.stringMatching(/^[a-z0-9/]{0,6}$/)),
        (key, val) => {
          expect(() => parseRumphijack(`path=/rump,${key}${val === null ? '' : `=${val}`}`)).toThrow(
            `unknown key "${key}"`,
          );
        },
      ),
    );
    expect(() => parseRumphijack('path')).toThrow('path needs a value');
  });

  it('path= and blanket= values are checked as NetBSD checks them', () => {
    for (const bad of ['path=rump', 'path=/', 'path=/rump/', 'blanket=dev', 'blanket=/dev/']) {
      expect(() => parseRumphijack(bad)).toThrow(HijackConfigError);
    }
    expect(parseRumphijack('path=//').prefix).toBe('//');
  });

  it('any input either parses or fails with HijackConfigError, never anything else', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseRumphijack(s);
        } catch (e) {
          expect(e).toBeInstanceOf(HijackConfigError);
        }
      }),
    );
  });

  it('the keys that mean nothing to fs calls are the ones reported', () => {
    expect(
      inapplicableKeys(parseRumphijack('path=/rump,socket=all,vfs=all,sysctl,modctl=n,socket=inet')),
    ).toEqual(['socket', 'vfs', 'sysctl', 'modctl']);
    expect(inapplicableKeys(parseRumphijack('path=/rump,blanket=/dev/null,fdoff=64'))).toEqual([]);
  });
});

describe('RUMPHIJACK_RETRYCONNECT', () => {
  it('die, inftime, once, N seconds; unset is no retry', () => {
    expect(parseRetryConnect(undefined)).toEqual({ policy: 'never', die: false });
    expect(parseRetryConnect('die')).toEqual({ policy: 'never', die: true });
    expect(parseRetryConnect('inftime')).toEqual({ policy: 'forever', die: false });
    expect(parseRetryConnect('once')).toEqual({ policy: 'once', die: false });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 9 }), (n) => {
        expect(parseRetryConnect(String(n))).toEqual({ policy: { seconds: n }, die: false });
      }),
    );
  });

  it('anything else is refused as NetBSD refuses it', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !['die', 'inftime', 'once'].includes(s) && !/^\+?0*[1-9][0-9]*$/.test(s)),
        (s) => {
          expect(() => parseRetryConnect(s)).toThrow(
            `RUMPHIJACK_RETRYCONNECT must be keyword or integer, got: ${s}`,
          );
        },
      ),
    );
  });
});
