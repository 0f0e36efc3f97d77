// swioproxyd's core: each `listen` socket serves one device of the rump kernel; every
// accepted connection opens that device for itself (its own OpenFlow channel) and a Session
// copies bytes both ways. The kernel is reached through one KernelLink; while it is down,
// connections are closed as they come, and when it goes away every session is closed (their
// fds died with the kernel's process) and the link reconnects with backoff.

import { EventEmitter } from 'node:events';
import { chmod, chown } from 'node:fs/promises';
import net from 'node:net';
import type { BackoffOptions } from '@rumpflow/endpoint';
import type { RumpClient } from '@rumpflow/rumpclient';
import { BlockingReader } from './blocking-reader.js';
import type { DeviceIo, IoMode } from './device-io.js';
import { KernelLink } from './kernel-link.js';
import { KeventMux } from './kevent-mux.js';
import { Session, type SessionInfo } from './session.js';

export interface ProxyPair {
  /** Unix socket path to listen on. */
  readonly listen: string;
  /** The device in the rump kernel, e.g. /dev/switch0. */
  readonly device: string;
}

/** What listening on a path needs (the service kit's listenUnix: mode, stale files, removal). */
export type ListenUnixFn = (
  server: net.Server,
  path: string,
  mode: number,
) => Promise<{ close(): Promise<void> }>;

export interface ProxyOptions {
  readonly pairs: readonly ProxyPair[];
  /** RUMP_SERVER: unix:///path or tcp://host:port. */
  readonly rumpServer: string;
  readonly listenUnix: ListenUnixFn;
  /** Default 'blocking', the faster in the benchmark (bench/ of apps/swioproxyd). */
  readonly mode?: IoMode;
  /** Socket file mode (default 0o600). */
  readonly socketMode?: number;
  /** Socket file group id. */
  readonly socketGid?: number;
  /** Per-connection bound of each direction's queue (default 256 KiB). */
  readonly queueBytes?: number;
  /** Connections per listener at most (default 64). */
  readonly maxConnections?: number;
  readonly backoff?: BackoffOptions;
  /** The program name the kernel lists (default swioproxyd). */
  readonly program?: string;
  readonly token?: string;
  readonly tokenFile?: string;
}

export interface ProxyTotals {
  accepted: number;
  refusedKernelDown: number;
  refusedLimit: number;
  openFailed: number;
  closed: number;
  bytesToDevice: number;
  bytesToClient: number;
  messagesToDevice: number;
  messagesToClient: number;
  pausesToDevice: number;
  pausesToClient: number;
}

export interface ProxyEvents {
  kernelUp: [pid: number];
  kernelDown: [error: Error | undefined];
  kernelRetry: [error: Error, delayMs: number];
  listening: [pair: ProxyPair];
  opened: [info: SessionInfo];
  openFailed: [pair: ProxyPair, error: Error];
  closed: [info: SessionInfo, reason: string];
}

interface Listener {
  readonly pair: ProxyPair;
  readonly server: net.Server;
  handle?: { close(): Promise<void> };
  readonly sessions: Set<Session>;
}

export class SwitchProxy extends EventEmitter<ProxyEvents> {
  readonly mode: IoMode;
  readonly totals: ProxyTotals = {
    accepted: 0,
    refusedKernelDown: 0,
    refusedLimit: 0,
    openFailed: 0,
    closed: 0,
    bytesToDevice: 0,
    bytesToClient: 0,
    messagesToDevice: 0,
    messagesToClient: 0,
    pausesToDevice: 0,
    pausesToClient: 0,
  };
  private readonly link: KernelLink;
  private io: DeviceIo | undefined;
  private readonly servers: Listener[] = [];
  private nextId = 1;
  private wakeupsBefore = 0;
  private stopped = false;

  constructor(private readonly opts: ProxyOptions) {
    super();
    this.mode = opts.mode ?? 'blocking';
    const tokenOpts = {
      ...(opts.token !== undefined ? { token: opts.token } : {}),
      ...(opts.tokenFile !== undefined ? { tokenFile: opts.tokenFile } : {}),
    };
    this.link = new KernelLink({
      url: opts.rumpServer,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      connect: { program: opts.program ?? 'swioproxyd', ...tokenOpts },
    });
    this.link.on('up', (c) => void this.kernelUp(c));
    this.link.on('down', (e) => this.kernelDown(e));
    this.link.on('retry', (e, d) => this.emit('kernelRetry', e, d));
  }

  /** Is the kernel reachable (and the readiness strategy running)? */
  get kernelConnected(): boolean {
    return this.io !== undefined;
  }

  get kernelPid(): number | undefined {
    return this.io?.client.pid;
  }

  get reconnects(): number {
    return this.link.reconnects;
  }

  get lastKernelError(): Error | undefined {
    return this.link.lastError;
  }

  /** kevent calls that returned (kevent mode) or device reads that returned (blocking mode), over every connection to the kernel. */
  get wakeups(): number {
    return this.wakeupsBefore + (this.io?.wakeups ?? 0);
  }

  get pairs(): readonly ProxyPair[] {
    return this.opts.pairs;
  }

  sessions(): Session[] {
    return this.servers.flatMap((l) => [...l.sessions]);
  }

  connections(): SessionInfo[] {
    return this.sessions().map((s) => s.info());
  }

  /** Listen on every path (in order), then start reaching the kernel. */
  async start(): Promise<void> {
    const mode = this.opts.socketMode ?? 0o600;
    for (const pair of this.opts.pairs) {
      const server = net.createServer({ allowHalfOpen: true, noDelay: true });
      const l: Listener = { pair, server, sessions: new Set() };
      server.on('connection', (s) => this.accept(l, s));
      this.servers.push(l);
      if (this.opts.socketGid === undefined) {
        l.handle = await this.opts.listenUnix(server, pair.listen, mode);
      } else {
        // bind with the owner's bits only, hand the file to the group, then widen: the
        // group never sees a socket it is not meant to reach
        l.handle = await this.opts.listenUnix(server, pair.listen, mode & 0o700);
        await chown(pair.listen, -1, this.opts.socketGid);
        await chmod(pair.listen, mode);
      }
      this.emit('listening', pair);
    }
    this.link.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const l of this.servers) for (const s of l.sessions) s.close('shutdown');
    await Promise.all(this.servers.map((l) => l.handle?.close()));
    this.io?.stop();
    this.io = undefined;
    await this.link.stop();
  }

  private async kernelUp(client: RumpClient): Promise<void> {
    const io: DeviceIo =
      this.mode === 'kevent'
        ? new KeventMux(client, () => {
            // the wait itself failed: start over with a fresh connection
            void client.close();
          })
        : new BlockingReader(client);
    try {
      await io.start();
    } catch {
      void client.close();
      return;
    }
    if (this.stopped || this.link.client !== client) {
      io.stop();
      return;
    }
    this.io = io;
    this.emit('kernelUp', client.pid);
  }

  private kernelDown(error: Error | undefined): void {
    const io = this.io;
    this.io = undefined;
    if (io) {
      this.wakeupsBefore += io.wakeups;
      io.stop();
    }
    for (const l of this.servers) for (const s of l.sessions) s.close('kernel gone', false, true);
    this.emit('kernelDown', error);
  }

  private accept(l: Listener, socket: net.Socket): void {
    const io = this.io;
    if (this.stopped || io === undefined) {
      this.totals.refusedKernelDown++;
      socket.destroy();
      return;
    }
    if (l.sessions.size >= (this.opts.maxConnections ?? 64)) {
      this.totals.refusedLimit++;
      socket.destroy();
      return;
    }
    this.totals.accepted++;
    const t = this.totals;
    const session = new Session(
      socket,
      io,
      {
        id: this.nextId++,
        listen: l.pair.listen,
        device: l.pair.device,
        queueBytes: this.opts.queueBytes ?? 256 * 1024,
      },
      {
        toDevice: (b, m) => {
          t.bytesToDevice += b;
          t.messagesToDevice += m;
        },
        toClient: (b, m) => {
          t.bytesToClient += b;
          t.messagesToClient += m;
        },
        paused: (d) => {
          if (d === 'toDevice') t.pausesToDevice++;
          else t.pausesToClient++;
        },
        closed: (s, reason) => {
          l.sessions.delete(s);
          t.closed++;
          this.emit('closed', s.info(), reason);
        },
      },
    );
    l.sessions.add(session);
    session.start().then(
      () => {
        if (session.state === 'open') this.emit('opened', session.info());
      },
      (e: unknown) => {
        t.openFailed++;
        this.emit('openFailed', l.pair, e as Error);
      },
    );
  }
}
