// Reaching peers: active connections that reconnect with exponential backoff and jitter,
// and passive listeners that accept many connections, over TCP, TLS and Unix sockets named
// in the one endpoint grammar (@rumpflow/endpoint).

import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { type ActiveEndpoint, type Backoff, type BackoffOptions, type PassiveEndpoint, backoffDelay, formatEndpoint } from '@rumpflow/endpoint';
import { type ConnectionOptions, ConnectionError, OfConnection, type Timers, realTimers } from './connection.js';

export type { BackoffOptions };

/** TLS material as PEM text or buffers (the app reads the files). */
export interface TlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** CA that signed the peer's certificate; when given, the peer must present one. */
  readonly ca?: string | Buffer;
  /** Server name to verify on active connections (default: the endpoint's host, name or IP address). */
  readonly servername?: string;
}

/** ActiveConnector's backoff: the first retry within 1 s, then 2 s, 4 s, capped at 8 s. */
export const RECONNECT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 8000, jitter: 0.5 };

export interface OpenStreamOptions {
  /** Give up when TCP connect plus TLS handshake take longer than this (default 10 s). */
  readonly timeoutMs?: number;
  readonly timers?: Timers;
  /** Abort the attempt: the socket is destroyed and the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Open a byte stream to an active endpoint; resolves once connected (TLS: handshaken and the
 * server's certificate verified: its chain against `ca`, its name — host name or IP
 * address — against `servername` or the endpoint's host). Rejects with the socket's error,
 * or ConnectionError('connect-timeout') after `timeoutMs` (a peer that never answers).
 */
export function openStream(ep: ActiveEndpoint, tlsOpts?: TlsOptions, opts: OpenStreamOptions = {}): Promise<Duplex> {
  const timers = opts.timers ?? realTimers;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason);
      return;
    }
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
        // SNI carries host names only; the identity check takes names and IP addresses
        // (an IP address matches the certificate's IP subjectAltNames)
        ...(tlsOpts.servername || !net.isIP(ep.host) ? { servername: tlsOpts.servername ?? ep.host } : {}),
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(tlsOpts.servername ?? ep.host, cert),
      });
      s.once('secureConnect', () => done());
    } else {
      s = ep.kind === 'unix' ? net.connect({ path: ep.path }) : net.connect({ host: ep.host, port: ep.port });
      s.once('connect', () => done());
    }
    const fail = (e: unknown) => {
      timers.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      s.off('error', onError);
      s.on('error', () => undefined);
      s.destroy();
      reject(e);
    };
    const timer = timers.setTimeout(
      () =>
        fail(
          new ConnectionError(
            'connect-timeout',
            `${formatEndpoint(ep)}: not connected${ep.kind === 'tls' ? ' (TLS handshake included)' : ''} within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const onAbort = () => fail(opts.signal?.reason);
    const onError = (e: Error) => fail(e);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    s.once('error', onError);
    function done(): void {
      timers.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      s.off('error', onError);
      s.setNoDelay?.(true);
      resolve(s);
    }
  });
}

export interface ActiveOptions {
  readonly connection?: ConnectionOptions;
  readonly tls?: TlsOptions;
  /** Fields left out come from RECONNECT_BACKOFF. */
  readonly backoff?: BackoffOptions;
  /** Give up a connect attempt (TCP connect and TLS handshake) after this long (default 10 s). */
  readonly connectTimeoutMs?: number;
  /**
   * The backoff starts over only once a connection has stayed up this long after HELLO
   * (default 10 s), so a peer that accepts and drops at once is not retried at ~1 Hz.
   */
  readonly stableAfterMs?: number;
  readonly timers?: Timers;
  readonly random?: () => number;
}

export interface ActiveEvents {
  /**
   * A new connection, before its HELLO: listeners attached here see every message (a peer
   * may send its first request in the same segment as its HELLO, before 'connection').
   */
  open: [conn: OfConnection];
  /** A new connection that has completed HELLO. */
  connection: [conn: OfConnection];
  /** The connection (or an attempt) ended; a retry follows. */
  disconnect: [reason: Error | undefined];
  /** The next attempt is in `delayMs`. */
  retry: [delayMs: number, attempt: number];
}

/**
 * An active endpoint that keeps itself connected: connect (within connectTimeoutMs), HELLO,
 * and on any failure retry after backoffDelay(attempt) — the first retry within 1 s, then
 * doubling up to 8 s; the attempt count resets once a connection has stayed up for
 * stableAfterMs after HELLO. Each start() begins a new generation: an attempt still in
 * flight from before a stop() is discarded when it completes.
 */
export class ActiveConnector extends EventEmitter<ActiveEvents> {
  private attempt = 0;
  private timer: unknown;
  private stableTimer: unknown;
  private stopped = true;
  /** Bumped by start() and stop(); attempts of an older generation are stale. */
  private generation = 0;
  /** Aborts the connect attempt in flight (on stop()). */
  private connecting: AbortController | undefined;
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

  /** Start connecting (a no-op while started); the backoff starts from the beginning. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    const gen = ++this.generation;
    void this.tryConnect(gen);
  }

  /** Close the connection and stop retrying; an attempt in flight is dropped when it completes. */
  stop(): void {
    this.stopped = true;
    this.generation++;
    this.timers.clearTimeout(this.timer);
    this.timers.clearTimeout(this.stableTimer);
    this.connecting?.abort(new Error(`${formatEndpoint(this.endpoint)}: stopped`));
    this.connecting = undefined;
    const conn = this.conn;
    this.conn = undefined;
    conn?.close();
  }

  private async tryConnect(gen: number): Promise<void> {
    if (gen !== this.generation) return;
    let stream: Duplex;
    const connecting = new AbortController();
    this.connecting = connecting;
    try {
      stream = await openStream(this.endpoint, this.opts.tls, {
        timeoutMs: this.opts.connectTimeoutMs ?? 10_000,
        timers: this.timers,
        signal: connecting.signal,
      });
    } catch (e) {
      if (gen === this.generation) this.scheduleRetry(e as Error);
      return;
    } finally {
      if (this.connecting === connecting) this.connecting = undefined;
    }
    if (gen !== this.generation) {
      stream.destroy(); // stopped (and maybe started again) while connecting
      return;
    }
    const conn = new OfConnection(stream, {
      name: formatEndpoint(this.endpoint),
      ...(this.opts.timers ? { timers: this.opts.timers } : {}),
      ...this.opts.connection,
    });
    this.conn = conn;
    this.emit('open', conn);
    conn.once('close', (reason) => {
      if (this.conn !== conn) return; // stopped: no retry
      this.conn = undefined;
      this.timers.clearTimeout(this.stableTimer);
      if (gen === this.generation) this.scheduleRetry(reason);
    });
    try {
      await conn.start();
    } catch {
      return; // close has been emitted and a retry scheduled
    }
    if (gen !== this.generation || this.conn !== conn) return;
    this.timers.clearTimeout(this.stableTimer);
    this.stableTimer = this.timers.setTimeout(() => {
      if (this.conn === conn) this.attempt = 0;
    }, this.opts.stableAfterMs ?? 10_000);
    this.emit('connection', conn);
  }

  private scheduleRetry(reason: Error | undefined): void {
    if (this.stopped) return;
    this.emit('disconnect', reason);
    const delay = backoffDelay(this.attempt, this.opts.backoff, RECONNECT_BACKOFF, this.opts.random);
    this.emit('retry', delay, this.attempt);
    this.attempt++;
    this.timers.clearTimeout(this.timer);
    const gen = this.generation;
    this.timer = this.timers.setTimeout(() => void this.tryConnect(gen), delay);
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
  /**
   * Errors of the listening socket once it listens (EMFILE or ENFILE when accepting, ...):
   * the listener keeps going. Default: a line on stderr (console.error).
   */
  readonly onError?: (err: Error) => void;
}

export interface PassiveListener {
  /** The bound address: port for ptcp/pssl (useful with port 0), path for punix. */
  readonly address: { port?: number; addr?: string; path?: string };
  /** The listening server (net.Server, or tls.Server for pssl:), e.g. for 'tlsClientError'. */
  readonly server: net.Server;
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
  const onError =
    opts.onError ?? ((e: Error) => console.error(`${formatEndpoint(ep)}: listener error: ${e.message}`));
  // without a listener an 'error' (EMFILE on accept) would crash the process
  server.on('error', (e: Error) => onError(e));
  const a = server.address();
  const address = typeof a === 'string' || a === null ? { path: ep.kind === 'punix' ? ep.path : String(a) } : { port: a.port, addr: a.address };
  return {
    address,
    server,
    // a Unix listener also removes its socket file
    close: () => (unix ? unix.close() : new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}
