// RUMPHIJACK and RUMPHIJACK_RETRYCONNECT in NetBSD librumphijack's grammar, as pure functions.
//
// RUMPHIJACK is a comma-separated list of `key=value` (or a bare key where NetBSD allows one):
//   path=/rump          paths under the prefix go to the rump kernel, the prefix stripped
//   blanket=/a:/b       paths starting with these go to the rump kernel unchanged
//   fdoff=N             rump fd n appears to the program as n + N (3 <= N < 2^30; default 128)
//   socket=all:nolocal  which socket families are the kernel's ("all" first, then [no]family)
//   vfs=all:nonfssvc    which VFS-level calls are the kernel's (nfssvc, getvfsstat, fhcalls)
//   sysctl[=y|n]        __sysctl goes to the kernel
//   modctl[=y|n]        modctl goes to the kernel
// Without RUMPHIJACK, NetBSD's default `path=/rump,socket=all:nolocal` applies. Node programs
// have no socket(2), VFS, sysctl or modctl calls that fs reaches, so those keys are checked
// and kept, and the loader says once on stderr that they do not apply.

import type { RetryPolicy } from '@rumpflow/rumpclient';

export const RUMPHIJACK_DEFAULT = 'path=/rump,socket=all:nolocal';
/** NetBSD's FD_SETSIZE / 2. */
export const DEFAULT_FDOFF = 128;
const MAX_FDOFF = 2 ** 30 - 1; // NetBSD: below INT_MAX / 2

export const SOCKET_FAMILIES = ['local', 'inet', 'link', 'oroute', 'route', 'inet6', 'mpls'] as const;
export type SocketFamily = (typeof SOCKET_FAMILIES)[number];
export const VFS_CALLS = ['nfssvc', 'getvfsstat', 'fhcalls'] as const;
export type VfsCall = (typeof VFS_CALLS)[number];

export interface HijackConfig {
  /** The prefix of path= (no trailing slash unless it is all slashes), or null. */
  readonly prefix: string | null;
  /** blanket= prefixes, in order. */
  readonly blanket: readonly string[];
  readonly fdoff: number;
  /** Socket families routed to the kernel. */
  readonly sockets: ReadonlySet<SocketFamily>;
  readonly vfs: ReadonlySet<VfsCall>;
  readonly sysctl: boolean;
  readonly modctl: boolean;
  /** The keys that were given, in order (for the "not applicable" notice). */
  readonly keys: readonly string[];
}

/** A RUMPHIJACK or RUMPHIJACK_RETRYCONNECT value that NetBSD would refuse (it exits). */
export class HijackConfigError extends Error {
  override readonly name = 'HijackConfigError';
}

const fail = (msg: string): never => {
  throw new HijackConfigError(msg);
};

/** Parse a RUMPHIJACK value (undefined: NetBSD's default). */
export function parseRumphijack(value: string | undefined): HijackConfig {
  const text = value ?? RUMPHIJACK_DEFAULT;
  let prefix: string | null = null;
  let blanket: string[] = [];
  let fdoff = DEFAULT_FDOFF;
  // NetBSD starts with every family off, and vfs/sysctl/modctl off
  const sockets = new Set<SocketFamily>();
  const vfs = new Set<VfsCall>();
  let sysctl = false;
  let modctl = false;
  const keys: string[] = [];

  // strtok: empty items between commas are skipped
  for (const item of text.split(',').filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const val = eq < 0 ? null : item.slice(eq + 1);
    const need = (): string => val ?? fail(`RUMPHIJACK: ${key} needs a value (${key}=...) in "${text}"`);
    keys.push(key);
    switch (key) {
      case 'path':
        prefix = parsePath(need());
        break;
      case 'blanket':
        blanket = parseBlanket(need());
        break;
      case 'fdoff':
        fdoff = parseFdoff(need());
        break;
      case 'socket':
        parseToggles(need(), SOCKET_FAMILIES, sockets, 'socket');
        break;
      case 'vfs':
        parseToggles(need(), VFS_CALLS, vfs, 'vfscall');
        break;
      case 'sysctl':
        sysctl = parseYesNo(val, 'sysctl');
        break;
      case 'modctl':
        modctl = parseYesNo(val, 'modctl');
        break;
      default:
        fail(
          `RUMPHIJACK: unknown key "${key}" (NetBSD's keys: path, blanket, fdoff, socket, vfs, sysctl, modctl)`,
        );
    }
  }
  return { prefix, blanket, fdoff, sockets, vfs, sysctl, modctl, keys };
}

function parsePath(p: string): string {
  if (!p.startsWith('/')) fail('RUMPHIJACK: path= must begin with "/"');
  if (p.length < 2) fail(`RUMPHIJACK: invalid path prefix: ${p}`);
  if (p.endsWith('/') && !/^\/+$/.test(p))
    fail(`RUMPHIJACK: path= may end in a slash only if all slashes, gave ${p}`);
  return p;
}

function parseBlanket(v: string): string[] {
  const list = v.split(':').filter((s) => s !== '');
  if (list.length === 0) fail('RUMPHIJACK: blanket= needs at least one path');
  for (const b of list) {
    if (!b.startsWith('/') || b.endsWith('/')) fail(`RUMPHIJACK: invalid blanket path ${b}`);
  }
  return list;
}

function parseFdoff(v: string): number {
  if (v.startsWith('-')) fail('RUMPHIJACK: fdoff must not be negative');
  if (!/^[0-9]+$/.test(v)) fail(`RUMPHIJACK: invalid fdoff "${v}"`);
  const n = Number(v);
  if (n < 3 || n > MAX_FDOFF) fail(`RUMPHIJACK: fdoff ${v} out of range (3..${MAX_FDOFF})`);
  return n;
}

/** "all" (first only) then [no]name items separated by colons. */
function parseToggles<T extends string>(v: string, names: readonly T[], into: Set<T>, what: string): void {
  let rest = v;
  if (rest.startsWith('all')) {
    for (const n of names) into.add(n);
    rest = rest.slice(3);
    if (rest.startsWith(':')) rest = rest.slice(1);
  }
  for (const item of rest.split(':').filter((s) => s !== '')) {
    const off = item.startsWith('no');
    const name = (off ? item.slice(2) : item) as T;
    if (!names.includes(name)) fail(`RUMPHIJACK: invalid ${what} specifier ${item}`);
    if (off) into.delete(name);
    else into.add(name);
  }
}

function parseYesNo(v: string | null, key: string): boolean {
  if (v === null) return true;
  const l = v.toLowerCase();
  if (l === 'y' || l === 'yes' || l === 'yep' || l === 'tottakai') return true;
  if (l === 'n' || l === 'no') return false;
  return fail(`RUMPHIJACK: ${key} value should be y(es)/n(o), gave: ${v}`);
}

/** Where a path goes. */
export type Route = { readonly to: 'host' } | { readonly to: 'rump'; readonly path: string };

/**
 * NetBSD's path_isrump + path_host2rump for absolute paths: under path= (the prefix followed
 * by "/" or the end) the prefix is stripped ("/" if nothing is left); a blanket prefix
 * matches as a plain string prefix and the path goes unchanged. Relative paths stay on the
 * host (the program's cwd is a host directory: chdir is not hijacked).
 */
export function routePath(cfg: HijackConfig, path: string): Route {
  if (!path.startsWith('/')) return { to: 'host' };
  const p = cfg.prefix;
  if (p !== null && path.startsWith(p) && (path.length === p.length || path[p.length] === '/')) {
    const rest = path.slice(p.length);
    return { to: 'rump', path: rest === '' ? '/' : rest };
  }
  for (const b of cfg.blanket) if (path.startsWith(b)) return { to: 'rump', path };
  return { to: 'host' };
}

/** The keys given that mean nothing to a Node program's fs calls, for the one-time notice. */
export function inapplicableKeys(cfg: HijackConfig): string[] {
  return [
    ...new Set(cfg.keys.filter((k) => k === 'socket' || k === 'vfs' || k === 'sysctl' || k === 'modctl')),
  ];
}

/** What RUMPHIJACK_RETRYCONNECT asks for: rumpclient's policy, and whether to exit on a loss. */
export interface RetryConnect {
  readonly policy: RetryPolicy;
  /** RUMPCLIENT_RETRYCONN_DIE: exit the process when the connection is lost. */
  readonly die: boolean;
}

/**
 * RUMPHIJACK_RETRYCONNECT as NetBSD: "die", "inftime", "once", or a positive number of
 * seconds. Unset is librumpclient's default: no retry, calls fail with ENOTCONN.
 */
export function parseRetryConnect(value: string | undefined): RetryConnect {
  if (value === undefined) return { policy: 'never', die: false };
  if (value === 'die') return { policy: 'never', die: true };
  if (value === 'inftime') return { policy: 'forever', die: false };
  if (value === 'once') return { policy: 'once', die: false };
  if (/^[+-]?[0-9]+$/.test(value)) {
    const n = Number(value);
    if (n > 0 && Number.isSafeInteger(n)) return { policy: { seconds: n }, die: false };
  }
  return fail(`RUMPHIJACK_RETRYCONNECT must be keyword or integer, got: ${value}`);
}
