// The sysproxy listeners of a rump kernel: every `unix:///path` and `tcp://addr:port`
// given, each accepted connection a Session. TCP stays on loopback unless remote addresses
// are explicitly allowed, and then only with a token: whoever reaches the listener can make
// any syscall, reboot included. At most maxConnections at once, handshaken or not (each must
// handshake within the session's deadline), so unauthenticated peers cannot take them all.

import net from 'node:net';
import { type RumpServerUrl, formatRumpServer } from '@rumpflow/endpoint';
import type { Kernel } from './kernel.js';
import { Session, type SessionOptions } from './session.js';

/** How to listen on a Unix socket with a mode (the service kit's listenUnix). */
export type ListenUnix = (server: net.Server, path: string, mode: number) => Promise<{ close(): Promise<void> }>;

export interface RumpServerOptions extends SessionOptions {
  /** Mode of Unix socket files (default 0600). */
  readonly socketMode?: number;
  /** Accept TCP listeners on addresses other than loopback (an authToken is then required). */
  readonly allowRemote?: boolean;
  /** Most connections at once (default 1024); a connection beyond is closed at once. */
  readonly maxConnections?: number;
  readonly listenUnix: ListenUnix;
}

export const DEFAULT_MAX_CONNECTIONS = 1024;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface Listener {
  readonly url: string;
  /** The bound TCP port (useful with port 0). */
  readonly port?: number;
  close(): Promise<void>;
}

export class RumpServer {
  readonly sessions = new Set<Session>();
  readonly listeners: Listener[] = [];
  /** Traffic of sessions that have ended (live ones count their own). */
  readonly closedTotals = { sessions: 0, bytesIn: 0, bytesOut: 0, frames: 0, protocolErrors: 0 };
  /** Connections closed at once because maxConnections were open. */
  refused = 0;

  constructor(
    readonly kernel: Kernel,
    private readonly opts: RumpServerOptions,
  ) {}

  /** Check a URL can be served under the options (before anything listens). */
  check(url: RumpServerUrl): void {
    if (url.kind !== 'tcp' || isLoopback(url.host)) return;
    if (!this.opts.allowRemote) {
      throw new Error(`${formatRumpServer(url)}: not a loopback address; allow other addresses explicitly (--allow-remote)`);
    }
    if (!this.opts.authToken) throw new Error(`${formatRumpServer(url)}: a listener off loopback needs a token (--auth-token-file)`);
  }

  async listen(url: RumpServerUrl): Promise<Listener> {
    this.check(url);
    // half-open: a client that shuts down its side still gets the replies of the calls it sent
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    let listener: Listener;
    if (url.kind === 'unix') {
      const l = await this.opts.listenUnix(server, url.path, this.opts.socketMode ?? 0o600);
      listener = { url: formatRumpServer(url), close: () => l.close() };
    } else {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: url.host, port: url.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const port = (server.address() as net.AddressInfo).port;
      listener = {
        url: formatRumpServer({ ...url, port }),
        port,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    }
    this.listeners.push(listener);
    return listener;
  }

  private accept(socket: net.Socket): void {
    if (this.sessions.size >= (this.opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS)) {
      this.refused++;
      socket.destroy();
      return;
    }
    socket.setNoDelay?.(true);
    const peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
    const s = new Session(this.kernel, socket, { ...this.opts, peer }, (x) => {
      this.sessions.delete(x);
      const t = this.closedTotals;
      t.sessions++;
      t.bytesIn += x.stats.bytesIn;
      t.bytesOut += x.stats.bytesOut;
      t.frames += x.stats.frames;
      t.protocolErrors += x.stats.protocolErrors;
    });
    this.sessions.add(s);
  }

  /** Totals over every session, ended and live. */
  totals(): { sessions: number; bytesIn: number; bytesOut: number; frames: number; protocolErrors: number } {
    const t = { ...this.closedTotals };
    for (const s of this.sessions) {
      t.bytesIn += s.stats.bytesIn;
      t.bytesOut += s.stats.bytesOut;
      t.frames += s.stats.frames;
      t.protocolErrors += s.stats.protocolErrors;
    }
    t.sessions += this.sessions.size;
    return t;
  }

  /** Stop listening and end every session (their processes exit). */
  async close(): Promise<void> {
    const closing = this.listeners.splice(0).map((l) => l.close());
    for (const s of [...this.sessions]) s.close();
    await Promise.all(closing);
  }
}
