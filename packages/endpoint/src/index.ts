// One endpoint grammar for every rumpflow program.
//
// OpenFlow and tool endpoints use Open vSwitch's connection strings:
//   active   tcp:HOST[:PORT]   tls:HOST[:PORT]   unix:PATH
//   passive  ptcp:[PORT][:ADDR]   pssl:[PORT][:ADDR]   punix:PATH
// IPv6 addresses go in brackets (tcp:[::1]:6653, ptcp:6653:[::1]); the default port is
// OpenFlow's 6653; a passive endpoint without an address binds to 127.0.0.1 (unlike Open
// vSwitch, which binds to all addresses: here users ask for 0.0.0.0 explicitly).
//
// Rump kernels keep NetBSD's RUMP_SERVER URLs: unix:///abs/path, unix://rel/path,
// tcp://host:port, tcp://[v6]:port.

export * from './backoff.js';

export const OPENFLOW_PORT = 6653;
export const DEFAULT_PASSIVE_ADDR = '127.0.0.1';

export type ActiveEndpoint =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'tls'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

export type PassiveEndpoint =
  | { readonly kind: 'ptcp'; readonly port: number; readonly addr: string }
  | { readonly kind: 'pssl'; readonly port: number; readonly addr: string }
  | { readonly kind: 'punix'; readonly path: string };

export type Endpoint = ActiveEndpoint | PassiveEndpoint;

/** A rump kernel's address (RUMP_SERVER). */
export type RumpServerUrl =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** A string that is not a valid endpoint; the message says which part and why. */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid endpoint "${input}": ${reason}`);
  }
}

export interface ParseOptions {
  /** Port when none is given (default 6653). */
  readonly defaultPort?: number;
  /** Accept only active or only passive endpoints. */
  readonly only?: 'active' | 'passive';
}

const ACTIVE = new Set(['tcp', 'tls', 'unix']);
const PASSIVE = new Set(['ptcp', 'pssl', 'punix']);

/** Parse an Open vSwitch-style endpoint string. */
export function parseEndpoint(input: string, opts: ParseOptions = {}): Endpoint {
  const defaultPort = opts.defaultPort ?? OPENFLOW_PORT;
  const colon = input.indexOf(':');
  if (colon < 0) throw new EndpointError(input, 'expected METHOD:ARGS, METHOD one of tcp, tls, unix, ptcp, pssl, punix');
  const method = input.slice(0, colon);
  const rest = input.slice(colon + 1);
  if (!ACTIVE.has(method) && !PASSIVE.has(method)) {
    throw new EndpointError(input, `unknown method "${method}" (tcp, tls, unix, ptcp, pssl, punix)`);
  }
  if (opts.only === 'active' && !ACTIVE.has(method)) throw new EndpointError(input, 'a passive endpoint where an active one (tcp:, tls:, unix:) is needed');
  if (opts.only === 'passive' && !PASSIVE.has(method)) throw new EndpointError(input, 'an active endpoint where a passive one (ptcp:, pssl:, punix:) is needed');
  switch (method) {
    case 'unix':
    case 'punix':
      if (rest === '') throw new EndpointError(input, 'missing socket path');
      if (rest.startsWith('//')) throw new EndpointError(input, `"${method}:" takes a path (${method}:/run/x.sock); "unix://" URLs are for RUMP_SERVER`);
      return { kind: method, path: rest };
    case 'tcp':
    case 'tls': {
      const [host, after] = takeHost(input, rest);
      if (host === '') throw new EndpointError(input, 'missing host');
      const port = after === undefined ? defaultPort : parsePort(input, after);
      return { kind: method, host, port };
    }
    default: {
      // ptcp:[PORT][:ADDR]
      const c = rest.indexOf(':');
      const portText = c < 0 ? rest : rest.slice(0, c);
      const port = portText === '' ? defaultPort : parsePort(input, portText);
      let addr = DEFAULT_PASSIVE_ADDR;
      if (c >= 0) {
        const [a, after] = takeHost(input, rest.slice(c + 1));
        if (after !== undefined) throw new EndpointError(input, `unexpected ":${after}" after the address`);
        if (a === '') throw new EndpointError(input, 'empty bind address');
        addr = a;
      }
      return { kind: method as 'ptcp' | 'pssl', port, addr };
    }
  }
}

/** Host part, bracketed IPv6 or up to the next colon; returns the text after one colon. */
function takeHost(input: string, s: string): [string, string | undefined] {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) throw new EndpointError(input, 'unterminated [IPv6 address]');
    const host = s.slice(1, close);
    if (!isIpv6(host)) throw new EndpointError(input, `"${host}" is not an IPv6 address`);
    const after = s.slice(close + 1);
    if (after === '') return [host, undefined];
    if (!after.startsWith(':')) throw new EndpointError(input, `unexpected "${after}" after ]`);
    return [host, after.slice(1)];
  }
  const c = s.indexOf(':');
  if (c < 0) return [checkHost(input, s), undefined];
  const host = s.slice(0, c);
  const after = s.slice(c + 1);
  if (after.includes(':')) throw new EndpointError(input, 'IPv6 addresses must be written in brackets, e.g. [::1]');
  return [checkHost(input, host), after];
}

function checkHost(input: string, host: string): string {
  if (host !== '' && !/^[A-Za-z0-9.-]+$/.test(host)) throw new EndpointError(input, `"${host}" is not a host name or address`);
  return host;
}

function isIpv6(s: string): boolean {
  return /^[0-9A-Fa-f:.]+$/.test(s) && s.includes(':');
}

function parsePort(input: string, s: string): number {
  if (!/^\d+$/.test(s)) throw new EndpointError(input, `port "${s}" is not a number`);
  const n = Number(s);
  if (n > 65535) throw new EndpointError(input, `port ${n} is above 65535`);
  return n;
}

/** The canonical text of an endpoint (round-trips through parseEndpoint). */
export function formatEndpoint(e: Endpoint): string {
  const host = (h: string) => (h.includes(':') ? `[${h}]` : h);
  switch (e.kind) {
    case 'unix':
    case 'punix':
      return `${e.kind}:${e.path}`;
    case 'tcp':
    case 'tls':
      return `${e.kind}:${host(e.host)}:${e.port}`;
    default:
      return `${e.kind}:${e.port}:${host(e.addr)}`;
  }
}

export function isPassive(e: Endpoint): e is PassiveEndpoint {
  return PASSIVE.has(e.kind);
}

/** Parse a RUMP_SERVER URL: unix:///abs/path, unix://rel/path, tcp://host:port. */
export function parseRumpServer(input: string): RumpServerUrl {
  const m = /^([a-z]+):\/\/(.*)$/.exec(input);
  if (!m) throw new EndpointError(input, 'expected unix:///path or tcp://host:port (NetBSD rump server URL)');
  const [, scheme, rest] = m as unknown as [string, string, string];
  if (scheme === 'unix') {
    if (rest === '') throw new EndpointError(input, 'missing socket path');
    return { kind: 'unix', path: rest };
  }
  if (scheme === 'tcp') {
    const [host, after] = takeHost(input, rest);
    if (host === '') throw new EndpointError(input, 'missing host');
    if (after === undefined) throw new EndpointError(input, 'missing port (tcp://host:port)');
    return { kind: 'tcp', host, port: parsePort(input, after) };
  }
  throw new EndpointError(input, `unknown scheme "${scheme}" (unix, tcp)`);
}

export function formatRumpServer(u: RumpServerUrl): string {
  if (u.kind === 'unix') return `unix://${u.path}`;
  return `tcp://${u.host.includes(':') ? `[${u.host}]` : u.host}:${u.port}`;
}

/** HOST:PORT for admin listeners (`--admin`); a bare PORT or :PORT binds to 127.0.0.1. */
export function parseHostPort(input: string): { host: string; port: number } {
  if (/^:?\d+$/.test(input)) return { host: DEFAULT_PASSIVE_ADDR, port: parsePort(input, input.replace(':', '')) };
  const [host, after] = takeHost(input, input);
  if (host === '' || after === undefined) throw new EndpointError(input, 'expected HOST:PORT');
  return { host, port: parsePort(input, after) };
}
