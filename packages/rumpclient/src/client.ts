// RumpClient: a rump kernel process seen from the host, NetBSD's librumpclient in TypeScript.
// It owns one connection at a time and decides what losing it means (the retry policy);
// the syscall surface is api.ts, the wire is connection.ts.
//
// States: connected -> (connection lost) -> reconnecting -> connected | closed; close() from
// anywhere -> closed. While reconnecting, new calls wait for the outcome (they go to the new
// process, as NetBSD's send_with_recon resends); calls in flight at the loss rejected with
// ENOTCONN and are never re-sent.

import { type RumpServerUrl, formatRumpServer } from '@rumpflow/endpoint';
import {
  type Banner,
  ERRNO,
  type Frame,
  SYSCALLS,
  type SyscallName,
  SyscallError,
  type Value,
  checkShapes,
  pingRequest,
  syscallRequest,
} from '@rumpflow/sysproxy';
import { type CallOptions, SyscallApi } from './api.js';
import { Connection, type Handshake, type OpenOptions, abortError } from './connection.js';
import { type Env, type TokenSource, defaultProgram, resolveServer, resolveToken } from './options.js';
import { type BackoffOptions, type RetryPolicy, checkRetryPolicy, retries, retryDelay } from './retry.js';

export interface ConnectOptions extends TokenSource {
  /** The program name of the new process (default: the script's base name, or "node"). */
  readonly program?: string;
  /** What a lost connection means (default 'never'). See retry.ts. */
  readonly retry?: RetryPolicy;
  readonly backoff?: BackoffOptions;
  /** Bound on connecting, the banner and the handshake (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Largest frame accepted from the server (default 16 MiB; the banner's maxframe also applies). */
  readonly maxFrame?: number;
  /** Join this existing process instead of making a new one (see join()). */
  readonly join?: { readonly pid: number; readonly secret: Uint8Array };
  /** The environment to read RUMP_SERVER and RUMP_AUTH_TOKEN from (default process.env). */
  readonly env?: Env;
}

export interface JoinOptions {
  /** Reconnect policy of the new client (default 'never'); a reconnect makes a new process. */
  readonly retry?: RetryPolicy;
}

interface Settings extends TokenSource {
  readonly program: string;
  readonly retry: RetryPolicy;
  readonly backoff: BackoffOptions;
  readonly timeoutMs: number;
  readonly maxFrame: number | undefined;
  readonly env: Env;
}

interface Waiter {
  resolve(c: Connection): void;
  reject(e: Error): void;
}

export class RumpClient extends SyscallApi {
  private conn: Connection;
  private state: 'connected' | 'reconnecting' | 'closed' = 'connected';
  /** Why calls fail once closed. */
  private closedWhy = 'client closed';
  private readonly waiters = new Set<Waiter>();
  /** Cuts a backoff wait short (close() while reconnecting). */
  private wake: (() => void) | undefined;
  private ended: Promise<void> | undefined;
  private refd = true;

  private constructor(
    /** The server this client talks to. */
    readonly server: RumpServerUrl,
    private readonly settings: Settings,
    conn: Connection,
  ) {
    super();
    this.conn = conn;
    this.watch(conn);
  }

  /**
   * Connect to `url` (default $RUMP_SERVER), read the banner and make a new process (or join
   * one: `opts.join`). Rejects with SyscallError: the socket's errno (ECONNREFUSED, ENOENT),
   * EPROTO for a peer that is not a rumpflow sysproxy server, EAUTH/ENEEDAUTH for a refused
   * or missing token, ESRCH for a join refused, ETIMEDOUT. The retry policy governs later
   * losses only: a first connection that fails is not retried.
   */
  static async connect(url?: string, opts: ConnectOptions = {}): Promise<RumpClient> {
    const env = opts.env ?? process.env;
    const server = resolveServer(url, env);
    const settings: Settings = {
      program: opts.program ?? defaultProgram(),
      token: opts.token,
      tokenFile: opts.tokenFile,
      retry: checkRetryPolicy(opts.retry ?? 'never'),
      backoff: opts.backoff ?? {},
      timeoutMs: opts.connectTimeoutMs ?? 10_000,
      maxFrame: opts.maxFrame,
      env,
    };
    const conn = await Connection.open(server, openOptions(settings, opts.join));
    return new RumpClient(server, settings, conn);
  }

  /** The process id in the rump kernel (a new one after a reconnect). */
  get pid(): number {
    return this.conn.pid;
  }

  /** The secret that lets another connection join this process (a copy). */
  get secret(): Uint8Array {
    return this.conn.secret;
  }

  /** What the server announced. */
  get banner(): Banner {
    return this.conn.banner;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Whether the connection keeps Node's event loop alive (default yes). A library that lives
   * as long as its program (rumphijack) unrefs it while no call is in flight, as a timer's
   * unref(); the setting carries over to reconnected connections.
   */
  ref(): this {
    this.refd = true;
    this.conn.setRef(true);
    return this;
  }

  unref(): this {
    this.refd = false;
    this.conn.setRef(false);
    return this;
  }

  /** The server as a RUMP_SERVER URL. */
  get url(): string {
    return formatRumpServer(this.server);
  }

  /**
   * A second connection into this same process (shared fd table): blocking calls on one do not
   * hold up the other. Its reconnect policy is its own (default 'never').
   */
  join(opts: JoinOptions = {}): Promise<RumpClient> {
    if (this.state !== 'connected')
      return Promise.reject(new SyscallError(ERRNO.ENOTCONN, 'join', this.closedWhy));
    const settings = { ...this.settings, retry: checkRetryPolicy(opts.retry ?? 'never') };
    const join = { pid: this.conn.pid, secret: this.conn.secret };
    return Connection.open(this.server, openOptions(settings, join)).then(
      (conn) => new RumpClient(this.server, settings, conn),
    );
  }

  syscall(name: SyscallName, args: readonly Value[], opts?: CallOptions): Promise<Value[]> {
    const def = SYSCALLS[name];
    if (def === undefined)
      return Promise.reject(new SyscallError(ERRNO.ENOSYS, String(name), 'not in the syscall table'));
    const bad = checkShapes(def.args, args);
    if (bad) return Promise.reject(new SyscallError(ERRNO.EINVAL, name, bad));
    return this.send(name, (r) => syscallRequest(r, def.number, [...args]), opts).then((f) => {
      const badResult = checkShapes(def.results, f.body);
      if (badResult) throw new SyscallError(ERRNO.EPROTO, name, `bad response: ${badResult}`);
      return f.body;
    });
  }

  /** A round trip to the server (PING). */
  async ping(opts?: CallOptions): Promise<void> {
    await this.send('ping', pingRequest, opts);
  }

  protected shutdown(): Promise<void> {
    if (this.state !== 'closed') {
      this.finish('client closed', undefined);
    }
    this.ended ??= this.conn.close();
    return this.ended;
  }

  /** Send on the current connection; while reconnecting, on the next one. */
  private send(name: string, make: (reqno: number) => Frame, opts?: CallOptions): Promise<Frame> {
    const signal = opts?.signal;
    if (this.state === 'connected') return this.conn.request(name, make, signal);
    if (this.state === 'closed')
      return Promise.reject(new SyscallError(ERRNO.ENOTCONN, name, this.closedWhy));
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise<Connection>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(w);
        reject(abortError());
      };
      const w: Waiter = {
        resolve: (c) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(c);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(new SyscallError(ERRNO.ENOTCONN, name, e.message));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(w);
    }).then((c) => c.request(name, make, signal));
  }

  private watch(conn: Connection): void {
    conn.once('close', (error) => this.lost(conn, error));
    if (conn.closed) this.lost(conn, new SyscallError(ERRNO.ENOTCONN, 'connection', 'closed'));
  }

  private lost(conn: Connection, error: SyscallError): void {
    if (conn !== this.conn || this.state !== 'connected') return;
    const willRetry = retries(this.settings.retry);
    this.emit('disconnect', { pid: conn.pid, error, willRetry });
    if (this.state !== 'connected') return; // closed by a listener
    if (!willRetry) {
      this.finish(`connection lost: ${error.message}`, error);
      return;
    }
    this.state = 'reconnecting';
    void this.reconnect(conn.pid, error);
  }

  private async reconnect(oldPid: number, cause: Error): Promise<void> {
    const started = Date.now();
    let last = cause;
    for (let attempt = 0; ; attempt++) {
      const delay = retryDelay(this.settings.retry, attempt, Date.now() - started, this.settings.backoff);
      if (delay === undefined) break;
      if (delay > 0) await this.sleep(delay);
      if (this.state !== 'reconnecting') return;
      let conn: Connection;
      try {
        conn = await Connection.open(this.server, openOptions(this.settings, undefined));
      } catch (e) {
        last = e instanceof Error ? e : new Error(String(e));
        continue;
      }
      if (this.state !== 'reconnecting') {
        void conn.close();
        return;
      }
      this.conn = conn;
      this.state = 'connected';
      conn.setRef(this.refd);
      this.watch(conn);
      const waiting = [...this.waiters];
      this.waiters.clear();
      for (const w of waiting) w.resolve(conn); // their requests go out after the event
      this.emit('reconnect', { oldPid, newPid: conn.pid });
      return;
    }
    const why = `gave up reconnecting to ${this.url}: ${last.message}`;
    this.finish(why, new SyscallError(ERRNO.ENOTCONN, 'reconnect', last.message));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private finish(why: string, error: Error | undefined): void {
    this.state = 'closed';
    this.closedWhy = why;
    this.wake?.();
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w.reject(new Error(why));
    this.emit('close', error);
  }
}

function openOptions(s: Settings, join: ConnectOptions['join']): OpenOptions {
  return {
    timeoutMs: s.timeoutMs,
    maxFrame: s.maxFrame,
    handshake: async (banner): Promise<Handshake> => {
      const token = banner.auth === 'token' ? await resolveToken(s, s.env) : undefined;
      return join
        ? { kind: 'join', pid: join.pid, secret: join.secret, token }
        : { kind: 'new', program: s.program, token };
    },
  };
}
