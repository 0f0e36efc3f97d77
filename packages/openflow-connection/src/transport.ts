// Reaching peers: active connections that reconnect with exponential backoff and jitter,
// and passive listeners that accept many connections, over TCP, TLS and Unix sockets named
// in the one endpoint grammar (@rumpflow/endpoint).

import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { type ActiveEndpoint, type PassiveEndpoint, formatEndpoint } from '@rumpflow/endpoint';
import { type ConnectionOptions, OfConnection, type Timers, realTimers } from './connection.js';

/** TLS material as PEM text or buffers (the app reads the files). */
export interface TlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** CA that signed the peer's certificate; when given, the peer must present one. */
  readonly ca?: string | Buffer;
  /** Server name to verify on active connections (default: the endpoint's host). */
  readonly servername?: string;
}

export interface BackoffOptions {
  /** Upper bound of the first retry delay (default 1000 ms). */
  readonly initialMs?: number;
  /** Largest delay (default 8000 ms). */
  readonly maxMs?: number;
  /** Fraction of each delay drawn at random (default 0.5: delay in [d/2, d]). */
  readonly jitter?: number;
}

/** Delay before retry number `attempt` (0-based): min(max, initial * 2^attempt), jittered. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialMs ?? 1000;
  const max = opts.maxMs ?? 8000;
  const jitter = opts.jitter ?? 0.5;
  const d = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(d * (1 - jitter * random()));
}

/** Open a byte stream to an active endpoint; resolves once connected (TLS: handshaken). */
export function openStream(ep: ActiveEndpoint, tlsOpts?: TlsOptions): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let s: net.Socket;
    if (ep.kind === 'tls') {
      if (!tlsOpts) {
        reject(new Error(`${formatEndpoint(ep)}: tls: needs a certificate, key and CA`));
        return;
      }
      s = tls.connect({
        host: ep.host,
        port: ep.port,
        cert: tlsOpts.cert,
        key: tlsOpts.key,
        ...(tlsOpts.ca ? { ca: tlsOpts.ca } : {}),
        servername: tlsOpts.servername ?? (net.isIP(ep.host) ? undefined : ep.host),
        checkServerIdentity: tlsOpts.servername || !net.isIP(ep.host) ? tls.checkServerIdentity : () => undefined,
      });
      s.once('secureConnect', () => done());
    } else {
      s = ep.kind === 'unix' ? net.connect({ path: ep.path }) : net.connect({ host: ep.host, port: ep.port });
      s.once('connect', () => done());
    }
    const onError = (e: Error) => reject(e);
    s.once('error', onError);
    function done(): void {
      s.off('error', onError);
      s.setNoDelay?.(true);
      resolve(s);
    }
  });
}

export interface ActiveOptions {
  readonly connection?: ConnectionOptions;
  readonly tls?: TlsOptions;
  readonly backoff?: BackoffOptions;
  readonly timers?: Timers;
  readonly random?: () => number;
}

export interface ActiveEvents {
  /** A new connection that has completed HELLO. */
  connection: [conn: OfConnection];
  /** The connection (or an attempt) ended; a retry follows. */
  disconnect: [reason: Error | undefined];
  /** The next attempt is in `delayMs`. */
  retry: [delayMs: number, attempt: number];
}

/**
 * An active endpoint that keeps itself connected: connect, HELLO, and on any failure retry
 * after backoffDelay(attempt) — the first retry within 1 s, then doubling up to 8 s; the
 * attempt count resets after a HELLO exchange succeeds.
 */
export class ActiveConnector extends EventEmitter<ActiveEvents> {
  private attempt = 0;
  private timer: unknown;
  private stopped = true;
  private conn: OfConnection | undefined;
  private readonly timers: Timers;

  constructor(
    readonly endpoint: ActiveEndpoint,
    private readonly opts: ActiveOptions = {},
  ) {
    super();
    this.timers = opts.timers ?? realTimers;
  }

  /** The live connection, if any. */
  get connection(): OfConnection | undefined {
    return this.conn?.isReady ? this.conn : undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.tryConnect();
  }

  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    this.conn?.close();
    this.conn = undefined;
  }

  private async tryConnect(): Promise<void> {
    if (this.stopped) return;
    let stream: Duplex;
    try {
      stream = await openStream(this.endpoint, this.opts.tls);
    } catch (e) {
      this.scheduleRetry(e as Error);
      return;
    }
    if (this.stopped) {
      stream.destroy();
      return;
    }
    const conn = new OfConnection(stream, {
      name: formatEndpoint(this.endpoint),
      ...(this.opts.timers ? { timers: this.opts.timers } : {}),
      ...this.opts.connection,
    });
    this.conn = conn;
    conn.once('close', (reason) => {
      if (this.conn === conn) this.conn = undefined;
      this.scheduleRetry(reason);
    });
    try {
      await conn.start();
    } catch {
      return; // close has been emitted and a retry scheduled
    }
    this.attempt = 0;
    this.emit('connection', conn);
  }

  private scheduleRetry(reason: Error | undefined): void {
    if (this.stopped) return;
    this.emit('disconnect', reason);
    const delay = backoffDelay(this.attempt, this.opts.backoff, this.opts.random);
    this.emit('retry', delay, this.attempt);
    this.attempt++;
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => void this.tryConnect(), delay);
  }
}

export interface PassiveOptions {
  readonly connection?: ConnectionOptions;
  readonly tls?: TlsOptions;
  /**
   * How to listen on a Unix socket path (punix:) — the service kit's listenUnix, which
   * creates the socket with a restrictive mode from the first instant.
   */
  readonly listenUnix?: (server: net.Server, path: string) => Promise<{ close(): Promise<void> }>;
}

export interface PassiveListener {
  /** The bound address: port for ptcp/pssl (useful with port 0), path for punix. */
  readonly address: { port?: number; addr?: string; path?: string };
  close(): Promise<void>;
}

/**
 * Listen on a passive endpoint; every accepted connection gets an OfConnection that is
 * started (HELLO sent) and handed to `onConnection`. Closing stops accepting; connections
 * already accepted stay up until their owner closes them.
 */
export async function listenPassive(
  ep: PassiveEndpoint,
  onConnection: (conn: OfConnection) => void,
  opts: PassiveOptions = {},
): Promise<PassiveListener> {
  const accept = (socket: Duplex, name: string) => {
    const conn = new OfConnection(socket, { name, ...opts.connection });
    onConnection(conn);
    conn.start().catch(() => undefined);
  };
  let server: net.Server;
  if (ep.kind === 'pssl') {
    if (!opts.tls) throw new Error(`${formatEndpoint(ep)}: pssl: needs a certificate, key and CA`);
    server = tls.createServer(
      {
        cert: opts.tls.cert,
        key: opts.tls.key,
        ...(opts.tls.ca ? { ca: opts.tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
      },
      (s) => accept(s, `${s.remoteAddress}:${s.remotePort}`),
    );
  } else {
    server = net.createServer((s) => {
      s.setNoDelay?.(true);
      accept(s, ep.kind === 'punix' ? `${ep.path}` : `${s.remoteAddress}:${s.remotePort}`);
    });
  }
  let unix: { close(): Promise<void> } | undefined;
  if (ep.kind === 'punix') {
    if (!opts.listenUnix) throw new Error('punix: needs the service kit listenUnix (socket mode)');
    unix = await opts.listenUnix(server, ep.path);
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: ep.port, host: ep.addr }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
  const a = server.address();
  const address = typeof a === 'string' || a === null ? { path: ep.kind === 'punix' ? ep.path : String(a) } : { port: a.port, addr: a.address };
  return {
    address,
    // a Unix listener also removes its socket file
    close: () => (unix ? unix.close() : new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}
