// The controller: switches by datapath id, and what happens on each connection.
//
// A connection (accepted on a passive endpoint or made by an active one) has exchanged
// HELLO when it gets here. Then: FEATURES_REQUEST (the datapath id), SET_CONFIG (miss_send_len,
// as Ryu sends it), PORT_DESC and DESC;
// a switch already known by that id loses its old connection; the switch enters (event
// 'enter', every app's onSwitchEnter in order) and only then are the messages it sent
// meanwhile handed to the apps. Keepalive (ECHO) and dead-peer detection are the
// connection's; reconnecting is the active connector's or the switch's.

import { EventEmitter } from 'node:events';
import { type ErrorMessage, type Message, OFPCML, OFPC_FRAG, errorNames } from '@rumpflow/openflow';
import type { OfConnection, Outgoing } from '@rumpflow/openflow-connection';
import { Counter, Gauge, type Logger, type Registry } from '@rumpflow/service';
import type { HandlerResult, OfcApp, Sendable } from './app.js';
import { Datapath } from './datapath.js';

export interface ControllerOptions {
  readonly log: Logger;
  readonly metrics?: Registry;
  /** Time for FEATURES, PORT_DESC and DESC to be answered (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** Default timeout of requests to switches (default 5 s). */
  readonly requestTimeoutMs?: number;
  /** Messages held per switch while the apps' onSwitchEnter run (default 4096). */
  readonly maxHeldMessages?: number;
}

export interface ControllerEvents {
  enter: [dp: Datapath];
  leave: [dp: Datapath, reason: Error | undefined];
  /** Every asynchronous message of a switch that has entered, before the apps see it. */
  message: [dp: Datapath, msg: Message];
}

export class Controller extends EventEmitter<ControllerEvents> {
  private readonly byDpid = new Map<bigint, Datapath>();
  private readonly apps: OfcApp[] = [];
  private readonly conns = new Set<OfConnection>();
  private readonly log: Logger;
  private readonly handshakeTimeoutMs: number;
  readonly requestTimeoutMs: number;
  private readonly maxHeld: number;
  private readonly received: Counter<'type'> | undefined;
  private readonly entered: Counter | undefined;
  private readonly appErrors: Counter<'app'> | undefined;
  private readonly switchErrors: Counter<'type' | 'code'> | undefined;

  constructor(opts: ControllerOptions) {
    super();
    this.log = opts.log;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.maxHeld = opts.maxHeldMessages ?? 4096;
    const registers = opts.metrics ? [opts.metrics] : undefined;
    if (registers) {
      const self = this; // eslint-disable-line @typescript-eslint/no-this-alias
      new Gauge({
        name: 'ofc_switches',
        help: 'Switches connected now',
        registers,
        collect() {
          this.set(self.byDpid.size);
        },
      });
      this.entered = new Counter({
        name: 'ofc_switch_connections_total',
        help: 'Switch connections that completed the handshake',
        registers,
      });
      this.received = new Counter({
        name: 'ofc_messages_received_total',
        help: 'Asynchronous messages from switches, by type',
        labelNames: ['type'],
        registers,
      });
      this.appErrors = new Counter({
        name: 'ofc_app_errors_total',
        help: 'App handlers that threw',
        labelNames: ['app'],
        registers,
      });
      this.switchErrors = new Counter({
        name: 'ofc_switch_errors_total',
        help: 'ERROR messages from switches (answers to requests and asynchronous ones)',
        labelNames: ['type', 'code'],
        registers,
      });
    }
  }

  /** Add an app; its handlers run after those of the apps added before it. */
  use(app: OfcApp): void {
    this.apps.push(app);
  }

  get appNames(): string[] {
    return this.apps.map((a) => a.name);
  }

  /** A switch by datapath id. */
  get(dpid: bigint): Datapath | undefined {
    return this.byDpid.get(dpid);
  }

  /** Every connected switch, by datapath id. */
  get switches(): Datapath[] {
    return [...this.byDpid.values()].sort((a, b) => (a.dpid < b.dpid ? -1 : a.dpid > b.dpid ? 1 : 0));
  }

  /** Count an ERROR a switch sent (the API's answers too). */
  countError(e: { errType: number; code: number }): void {
    const n = errorNames(e.errType, e.code);
    this.switchErrors?.inc({ type: n.type, code: n.code });
  }

  /** Take over a connection that has sent its HELLO (or is about to). */
  async attach(conn: OfConnection, address: string = conn.name): Promise<Datapath | undefined> {
    this.conns.add(conn);
    const held: Message[] = [];
    let dropped = 0;
    let dp: Datapath | undefined;
    let ready = false;
    conn.on('message', (msg) => {
      if (ready && dp) this.dispatch(dp, msg);
      else if (held.length < this.maxHeld) held.push(msg);
      else dropped++;
    });
    conn.on('invalid', (err) =>
      this.log.warn({ address, dpid: dp?.id, err: err.message }, 'refused a message from the switch'),
    );
    conn.once('close', (reason) => {
      this.conns.delete(conn);
      if (dp) this.leave(dp, reason);
      else
        this.log.info({ address, reason: reason?.message }, 'connection closed before the switch was known');
    });
    try {
      await conn.ready();
      const t = this.handshakeTimeoutMs;
      const features = await conn.request({ type: 'FEATURES_REQUEST' }, t);
      if (features.auxiliaryId !== 0) {
        this.log.info(
          { address, auxiliaryId: features.auxiliaryId },
          'auxiliary connections are not used: closing it',
        );
        conn.close();
        return undefined;
      }
      // As Ryu does: a miss_send_len, without which Open vSwitch sends no asynchronous
      // messages on the connections it accepted (ofc --connect); NO_BUFFER: whole frames.
      conn.send({ type: 'SET_CONFIG', flags: OFPC_FRAG.NORMAL, missSendLen: OFPCML.NO_BUFFER });
      const [portDesc, desc] = await Promise.all([
        conn.request({ type: 'MULTIPART_REQUEST', mpType: 'PORT_DESC', flags: 0 }, t),
        conn.request({ type: 'MULTIPART_REQUEST', mpType: 'DESC', flags: 0 }, t),
      ]);
      dp = new Datapath(conn, features, desc, portDesc.ports, address, this.requestTimeoutMs);
    } catch (e) {
      if (!conn.isClosed) {
        this.log.warn(
          { address, err: (e as Error).message },
          'switch handshake failed: closing the connection',
        );
        conn.close(e as Error);
      }
      return undefined;
    }
    const old = this.byDpid.get(dp.dpid);
    if (old) {
      this.log.info(
        { dpid: dp.id, old: old.address, address },
        'switch reconnected: closing its old connection',
      );
      old.close(new Error('replaced by a new connection of the same switch'));
    }
    this.byDpid.set(dp.dpid, dp);
    this.entered?.inc();
    this.log.info(
      { dpid: dp.id, address, ports: [...dp.ports.keys()], tables: dp.features.nTables, sw: dp.desc.swDesc },
      `switch ${dp.id} connected from ${address}`,
    );
    this.emit('enter', dp);
    for (const app of this.apps) {
      if (dp.closed) break;
      if (app.onSwitchEnter)
        await this.run(app, 'onSwitchEnter', dp, () => app.onSwitchEnter?.(dp as Datapath));
    }
    ready = true;
    if (dropped > 0)
      this.log.warn({ dpid: dp.id, dropped }, 'messages dropped while the apps set the switch up');
    for (const m of held.splice(0)) if (!dp.closed) this.dispatch(dp, m);
    return dp;
  }

  /** Close every switch connection and stop every app. */
  async stop(): Promise<void> {
    for (const c of this.conns) c.close();
    for (const app of [...this.apps].reverse()) {
      try {
        await app.stop?.();
      } catch (e) {
        this.log.error({ app: app.name, err: e }, `${app.name}: stop failed`);
      }
    }
  }

  private leave(dp: Datapath, reason: Error | undefined): void {
    if (this.byDpid.get(dp.dpid) !== dp) return;
    this.byDpid.delete(dp.dpid);
    this.log.info(
      { dpid: dp.id, address: dp.address, reason: reason?.message },
      `switch ${dp.id} disconnected`,
    );
    for (const app of this.apps) {
      try {
        app.onSwitchLeave?.(dp, reason);
      } catch (e) {
        this.appFailed(app, 'onSwitchLeave', dp, e);
      }
    }
    this.emit('leave', dp, reason);
  }

  private dispatch(dp: Datapath, msg: Message): void {
    this.received?.inc({ type: msg.type });
    if (msg.type === 'PORT_STATUS') {
      if (msg.reason === 1) dp.ports.delete(msg.desc.portNo);
      else dp.ports.set(msg.desc.portNo, msg.desc);
    } else if (msg.type === 'ERROR') {
      this.countError(msg);
      const n = errorNames(msg.errType, msg.code);
      this.log.warn(
        { dpid: dp.id, xid: msg.xid, type: n.type, code: n.code },
        `switch ${dp.id} sent ERROR ${n.type}/${n.code}`,
      );
    }
    this.emit('message', dp, msg);
    for (const app of this.apps) {
      const specific = this.specific(app, dp, msg);
      if (specific) void this.run(app, `on${msg.type}`, dp, specific);
      if (app.onMessage) void this.run(app, 'onMessage', dp, () => app.onMessage?.(dp, msg));
    }
  }

  private specific(app: OfcApp, dp: Datapath, msg: Message): (() => HandlerResult) | undefined {
    switch (msg.type) {
      case 'PACKET_IN':
        return app.onPacketIn && (() => app.onPacketIn?.(dp, msg));
      case 'FLOW_REMOVED':
        return app.onFlowRemoved && (() => app.onFlowRemoved?.(dp, msg));
      case 'PORT_STATUS':
        return app.onPortStatus && (() => app.onPortStatus?.(dp, msg));
      case 'ERROR':
        return app.onError && (() => app.onError?.(dp, msg as ErrorMessage));
      default:
        return undefined;
    }
  }

  /** Run a handler; send what it returns (synchronously when it returns an array). */
  private run(app: OfcApp, what: string, dp: Datapath, fn: () => HandlerResult): Promise<void> | undefined {
    let r: HandlerResult;
    try {
      r = fn();
    } catch (e) {
      this.appFailed(app, what, dp, e);
      return undefined;
    }
    if (r && typeof (r as Promise<Sendable>).then === 'function') {
      return (r as Promise<Sendable>).then(
        (out) => this.sendAll(app, dp, out),
        (e: unknown) => this.appFailed(app, what, dp, e),
      );
    }
    this.sendAll(app, dp, r as Sendable);
    return undefined;
  }

  private sendAll(app: OfcApp, dp: Datapath, out: Sendable): void {
    if (!out) return;
    for (const m of out as readonly Outgoing[]) {
      if (dp.closed) return;
      try {
        dp.send(m);
      } catch (e) {
        this.log.warn(
          { app: app.name, dpid: dp.id, err: (e as Error).message },
          `${app.name}: could not send ${m.type}`,
        );
      }
    }
  }

  private appFailed(app: OfcApp, what: string, dp: Datapath, e: unknown): void {
    this.appErrors?.inc({ app: app.name });
    this.log.error({ app: app.name, dpid: dp.id, err: e }, `${app.name}: ${what} failed`);
  }
}
