import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EndpointError,
  formatEndpoint,
  formatRumpServer,
  parseEndpoint,
  parseHostPort,
  parseRumpServer,
  type Endpoint,
} from './index.js';

describe('parseEndpoint', () => {
  it.each<[string, Endpoint]>([
    ['tcp:127.0.0.1:6653', { kind: 'tcp', host: '127.0.0.1', port: 6653 }],
    ['tcp:10.0.0.1', { kind: 'tcp', host: '10.0.0.1', port: 6653 }],
    ['tcp:ctl.example:6633', { kind: 'tcp', host: 'ctl.example', port: 6633 }],
    ['tls:[::1]:6653', { kind: 'tls', host: '::1', port: 6653 }],
    ['tls:[fe80::1]', { kind: 'tls', host: 'fe80::1', port: 6653 }],
    ['unix:/run/rumpflow/switch0.sock', { kind: 'unix', path: '/run/rumpflow/switch0.sock' }],
    ['ptcp:6634', { kind: 'ptcp', port: 6634, addr: '127.0.0.1' }],
    ['ptcp:', { kind: 'ptcp', port: 6653, addr: '127.0.0.1' }],
    ['ptcp:6653:0.0.0.0', { kind: 'ptcp', port: 6653, addr: '0.0.0.0' }],
    ['ptcp::10.1.1.1', { kind: 'ptcp', port: 6653, addr: '10.1.1.1' }],
    ['pssl:6653:[::]', { kind: 'pssl', port: 6653, addr: '::' }],
    ['punix:/tmp/sw.mgmt', { kind: 'punix', path: '/tmp/sw.mgmt' }],
  ])('%s', (text, want) => {
    expect(parseEndpoint(text)).toEqual(want);
  });

  it.each([
    ['6653', /METHOD:ARGS/],
    ['http:1.2.3.4', /unknown method "http"/],
    ['tcp:', /missing host/],
    ['tcp:1.2.3.4:http', /port "http" is not a number/],
    ['tcp:1.2.3.4:70000', /above 65535/],
    ['tcp:::1:6653', /brackets/],
    ['tcp:[::1', /unterminated/],
    ['tcp:[nothex]:1', /not an IPv6 address/],
    ['unix:', /missing socket path/],
    ['unix:///tmp/x', /RUMP_SERVER/],
    ['ptcp:6653:1.2.3.4:5', /unexpected/],
    ['tcp:bad host:1', /not a host name/],
  ])('refuses %s', (text, why) => {
    expect(() => parseEndpoint(text)).toThrow(EndpointError);
    expect(() => parseEndpoint(text)).toThrow(why);
  });

  it('restricts to active or passive endpoints when asked', () => {
    expect(() => parseEndpoint('ptcp:6653', { only: 'active' })).toThrow(/passive endpoint where an active/);
    expect(() => parseEndpoint('tcp:1.2.3.4', { only: 'passive' })).toThrow(/active endpoint where a passive/);
    expect(parseEndpoint('tcp:1.2.3.4', { defaultPort: 6634 })).toEqual({ kind: 'tcp', host: '1.2.3.4', port: 6634 });
  });

  it('formats every endpoint so that it parses back to itself', () => {
    const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain());
    const port = fc.integer({ min: 0, max: 65535 });
    const path = fc.stringMatching(/^\/[a-z0-9._-][a-z0-9/._-]{0,40}$/);
    const ep: fc.Arbitrary<Endpoint> = fc.oneof(
      fc.record({ kind: fc.constantFrom('tcp' as const, 'tls' as const), host, port }),
      fc.record({ kind: fc.constantFrom('ptcp' as const, 'pssl' as const), addr: host, port }),
      fc.record({ kind: fc.constantFrom('unix' as const, 'punix' as const), path }),
    );
    fc.assert(
      fc.property(ep, (e) => {
        expect(parseEndpoint(formatEndpoint(e))).toEqual(e);
      }),
    );
  });
});

describe('parseRumpServer', () => {
  it('reads NetBSD RUMP_SERVER URLs', () => {
    expect(parseRumpServer('unix:///tmp/rump.sock')).toEqual({ kind: 'unix', path: '/tmp/rump.sock' });
    expect(parseRumpServer('unix://rel/sock')).toEqual({ kind: 'unix', path: 'rel/sock' });
    expect(parseRumpServer('tcp://127.0.0.1:12345')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 12345 });
    expect(parseRumpServer('tcp://[::1]:12345')).toEqual({ kind: 'tcp', host: '::1', port: 12345 });
    expect(formatRumpServer(parseRumpServer('tcp://[::1]:12345'))).toBe('tcp://[::1]:12345');
    expect(formatRumpServer(parseRumpServer('unix:///a/b'))).toBe('unix:///a/b');
  });

  it('refuses what is not one', () => {
    expect(() => parseRumpServer('unix:/tmp/x')).toThrow(/unix:\/\/\/path/);
    expect(() => parseRumpServer('tcp://1.2.3.4')).toThrow(/missing port/);
    expect(() => parseRumpServer('udp://1.2.3.4:1')).toThrow(/unknown scheme "udp"/);
  });
});

describe('parseHostPort', () => {
  it('defaults the host to loopback', () => {
    expect(parseHostPort('9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseHostPort(':9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseHostPort('0.0.0.0:9000')).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(parseHostPort('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(() => parseHostPort('localhost')).toThrow(/HOST:PORT/);
  });
});
