// One `device` line at work: its controller targets (active connectors, passive listeners),
// a relay per controller connection, and the built-in learning controller where the
// configuration and the fail mode call for it:
//
//   no `forward to`                 learning, always
//   fail-mode standalone            learning while no active (tcp:/tls:/unix:) controller is up
//   fail-mode secure                never: without a controller the flows stay, nothing is learned
//
// Listeners do not count as controllers for the fail mode. update() applies a changed line:
// targets that stay keep their connections.

import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { backoffDelay, formatEndpoint, isPassive, parseEndpoint, type Endpoint } from '@rumpflow/endpoint';
import type { LearningSwitches } from '@rumpflow/learning-switch';
import {
  ActiveConnector,
  OfConnection,
  RECONNECT_BACKOFF,
  listenPassive,
  type ConnectionOptions,
  type OfConnection as Conn,
  type PassiveListener,
  type TlsOptions,
} from '@rumpflow/openflow-connection';
import type { DeviceConfig, FailMode } from './config.js';
import type { DeviceBackend } from './device.js';
import { LearningController } from './learning.js';
import { Relay } from './relay.js';

/** The logging surface switchd uses (pino's). */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface LinkDeps {
  readonly backend: DeviceBackend;
  readonly switches: LearningSwitches;
  readonly log: Log;
  readonly tls?: TlsOptions | undefined;
  readonly connection?: ConnectionOptions;
  /** How punix: listeners create their socket (the service kit's listenUnix). */
  readonly listenUnix?: (server: net.Server, path: string) => Promise<{ close(): Promise<void> }>;
}

interface Target {
  readonly uri: string;
  readonly endpoint: Endpoint;
  connector?: ActiveConnector;
  listener?: PassiveListener;
  /** Bound address of a listener (ptcp:0 gets a port). */
  bound?: string;
  readonly relays: Set<Relay>;
  stopped: boolean;
}

export interface LinkEvents {
  relay: [relay: Relay];
  learning: [ctl: LearningController];
}

export class DeviceLink extends EventEmitter<LinkEvents> {
  private readonly targets = new Map<string, Target>();
  private failMode: FailMode;
  private learning: LearningController | undefined;
  private learningAttempt = 0;
  private learningTimer: NodeJS.Timeout | undefined;
  /** The built-in controller's device channel is being opened. */
  private opening = false;
  private stopped = false;
  /** Device channel failures seen (relays and learning). */
  deviceFailures = 0;

  constructor(
    private config: DeviceConfig,
    private readonly deps: LinkDeps,
  ) {
    super();
    this.failMode = config.failMode;
  }

  get spec(): string {
    return this.config.spec;
  }

  get settings(): DeviceConfig {
    return this.config;
  }

  async start(): Promise<void> {
    for (const uri of this.config.forward) await this.addTarget(uri);
    this.evaluate();
  }

  /** Apply a changed `device` line with the same SPEC; unchanged targets keep their connections. */
  async update(next: DeviceConfig): Promise<void> {
    const keep = new Set(next.forward);
    for (const [uri, t] of this.targets) if (!keep.has(uri)) await this.removeTarget(t);
    this.config = next;
    this.failMode = next.failMode;
    for (const uri of next.forward) if (!this.targets.has(uri)) await this.addTarget(uri);
    this.evaluate();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.learningTimer);
    for (const t of [...this.targets.values()]) await this.removeTarget(t);
    const l = this.learning;
    this.learning = undefined;
    l?.conn.close();
  }

  /** Relays of every target (controller connections). */
  get relays(): Relay[] {
    return [...this.targets.values()].flatMap((t) => [...t.relays]);
  }

  /** The built-in controller's connection to this device, when it drives it. */
  get learningController(): LearningController | undefined {
    return this.learning;
  }

  /** Where each passive target listens (ptcp:PORT:ADDR with the bound port). */
  get listening(): string[] {
    return [...this.targets.values()].flatMap((t) => (t.bound !== undefined ? [t.bound] : []));
  }

  get activeControllersUp(): number {
    let n = 0;
    for (const t of this.targets.values())
      if (!isPassive(t.endpoint)) for (const r of t.relays) if (r.isUp) n++;
    return n;
  }

  private async addTarget(uri: string): Promise<void> {
    const endpoint = parseEndpoint(uri);
    const t: Target = { uri, endpoint, relays: new Set(), stopped: false };
    this.targets.set(uri, t);
    const log = this.deps.log;
    const connection = this.deps.connection ?? {};
    if (isPassive(endpoint)) {
      if (endpoint.kind === 'pssl' && !this.deps.tls)
        throw new Error(`${uri}: pssl: needs a certificate and key`);
      const listener = await listenPassive(endpoint, (conn) => this.attach(t, conn, false), {
        connection,
        ...(this.deps.tls ? { tls: this.deps.tls } : {}),
        ...(this.deps.listenUnix ? { listenUnix: this.deps.listenUnix } : {}),
        onError: (e) => log.warn({ err: e, target: uri }, 'listener error'),
      });
      t.listener = listener;
      t.bound =
        endpoint.kind === 'punix'
          ? formatEndpoint(endpoint)
          : formatEndpoint({ ...endpoint, port: listener.address.port ?? endpoint.port });
      log.info({ device: this.spec, target: uri, listening: t.bound }, 'listening for controllers');
    } else {
      if (endpoint.kind === 'tls' && !this.deps.tls)
        throw new Error(`${uri}: tls: needs a certificate and key`);
      const connector = new ActiveConnector(endpoint, {
        connection,
        ...(this.deps.tls ? { tls: this.deps.tls } : {}),
      });
      connector.on('open', (conn) => this.attach(t, conn, true));
      connector.on('retry', (delayMs, attempt) =>
        log.debug({ device: this.spec, target: uri, delayMs, attempt }, 'connecting again soon'),
      );
      t.connector = connector;
      connector.start();
      log.info({ device: this.spec, target: uri }, 'connecting to controller');
    }
  }

  private async removeTarget(t: Target): Promise<void> {
    t.stopped = true;
    this.targets.delete(t.uri);
    t.connector?.stop();
    for (const r of t.relays) r.close(undefined);
    await t.listener?.close();
    this.deps.log.info({ device: this.spec, target: t.uri }, 'controller target removed');
  }

  private attach(t: Target, conn: Conn, active: boolean): void {
    if (t.stopped) {
      conn.close();
      return;
    }
    const relay = new Relay(
      conn,
      { device: this.spec, target: t.uri, peer: conn.name, active },
      () => this.deps.backend.open(),
      this.deps.connection,
    );
    t.relays.add(relay);
    const log = this.deps.log;
    relay.on('up', () => {
      log.info({ device: this.spec, controller: conn.name, target: t.uri }, 'controller connected');
      this.evaluate();
    });
    relay.on('close', (reason) => {
      t.relays.delete(relay);
      if (reason?.message.startsWith(this.spec)) this.deviceFailures++;
      log.info(
        { device: this.spec, controller: conn.name, reason: reason?.message },
        'controller disconnected',
      );
      this.evaluate();
    });
    this.emit('relay', relay);
    void relay.start();
  }

  /** Start or stop the built-in controller as the configuration and connections say. */
  private evaluate(): void {
    if (this.stopped) return;
    const want =
      this.config.forward.length === 0 || (this.failMode === 'standalone' && this.activeControllersUp === 0);
    if (want) {
      if (this.learning === undefined && !this.opening && this.learningTimer === undefined)
        this.startLearning();
      return;
    }
    clearTimeout(this.learningTimer);
    this.learningTimer = undefined;
    this.learningAttempt = 0;
    const l = this.learning;
    if (l !== undefined) {
      this.learning = undefined;
      this.deps.log.info({ device: this.spec }, 'controller connected: the built-in controller stops');
      void l.stop(true);
    }
  }

  private retryLearning(why: string): void {
    this.deviceFailures++;
    const delay = backoffDelay(this.learningAttempt++, undefined, RECONNECT_BACKOFF);
    this.deps.log.warn(
      { device: this.spec, reason: why, delayMs: delay },
      'device channel failed; opening it again soon',
    );
    this.learningTimer = setTimeout(() => {
      this.learningTimer = undefined;
      this.evaluate();
    }, delay);
    this.learningTimer.unref();
  }

  private startLearning(): void {
    const log = this.deps.log;
    this.opening = true;
    this.deps.backend.open().then(
      (stream) => {
        this.opening = false;
        if (this.stopped) {
          stream.destroy();
          return;
        }
        const conn = new OfConnection(stream, { name: this.spec, ...this.deps.connection });
        const lc = new LearningController(conn, this.deps.switches);
        this.learning = lc;
        lc.on('up', (dpid) => {
          this.learningAttempt = 0;
          log.info(
            { device: this.spec, dpid: `0x${dpid.toString(16)}` },
            'built-in controller drives the device',
          );
        });
        lc.on('close', (reason) => {
          if (this.learning !== lc) return; // stopped on purpose
          this.learning = undefined;
          this.retryLearning(reason?.message ?? 'closed');
        });
        this.emit('learning', lc);
        void lc.start();
        this.evaluate(); // a controller may have come up while the device opened
      },
      (e: Error) => {
        this.opening = false;
        if (this.stopped) return;
        this.retryLearning(e.message);
      },
    );
  }
}
