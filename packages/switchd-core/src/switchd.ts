// switchd's state: the `listen on` listeners (switches connecting to switchd's built-in
// controller) and the device links, built from a SwitchdConfig and changed by apply() on
// reload with as little disturbance as possible: a listener or device line that did not
// change keeps its connections; a device line that changed keeps the targets it still has.

import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { LearningSwitches } from '@rumpflow/learning-switch';
import { formatMessage, type Message } from '@rumpflow/openflow';
import {
  listenPassive,
  type ConnectionOptions,
  type PassiveListener,
  type TlsOptions,
} from '@rumpflow/openflow-connection';
import type { DeviceConfig, ListenConfig, SwitchdConfig } from './config.js';
import { deviceBackend, type DeviceOpenOptions } from './device.js';
import { DeviceLink, type Log } from './device-link.js';
import { LearningController } from './learning.js';
import type { Direction, Relay } from './relay.js';

export interface SwitchdOptions {
  readonly log: Log;
  /** MAC addresses remembered per switch (-c, default 4096). */
  readonly cacheSize?: number;
  /** MAC ageing in seconds (-t, default 240). */
  readonly timeout?: number;
  readonly tls?: TlsOptions | undefined;
  readonly connection?: ConnectionOptions;
  readonly device?: DeviceOpenOptions;
  readonly listenUnix?: (server: net.Server, path: string) => Promise<{ close(): Promise<void> }>;
}

/** One relayed or refused message, for `switchctl monitor`. */
export interface MonitorEvent {
  readonly time: string;
  readonly device: string;
  readonly controller: string;
  readonly dir: Direction | 'refused';
  readonly type: string;
  readonly text: string;
}

export interface SwitchdEvents {
  monitor: [event: MonitorEvent];
}

export interface ApplyResult {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
  readonly unchanged: string[];
}

/** Counters for /metrics and `show summary`. */
export interface SwitchdStats {
  messagesToDevice: number;
  messagesToController: number;
  errorsSent: number;
  controllerConnections: number;
  reloads: number;
}

const listenKey = (l: ListenConfig) => `${l.addr}|${l.port}|${l.tls ? 'tls' : ''}`;
const sameDevice = (a: DeviceConfig, b: DeviceConfig) =>
  a.failMode === b.failMode &&
  a.forward.length === b.forward.length &&
  a.forward.every((u, i) => u === b.forward[i]);

interface ListenState {
  readonly config: ListenConfig;
  readonly listener: PassiveListener;
  readonly url: string;
  readonly switches: Set<LearningController>;
}

export class Switchd extends EventEmitter<SwitchdEvents> {
  readonly switches: LearningSwitches;
  private readonly links = new Map<string, DeviceLink>();
  private readonly listens = new Map<string, ListenState>();
  readonly stats: SwitchdStats = {
    messagesToDevice: 0,
    messagesToController: 0,
    errorsSent: 0,
    controllerConnections: 0,
    reloads: 0,
  };
  readonly startedAt = Date.now();
  /** Applies run one at a time. */
  private applying: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: SwitchdOptions) {
    super();
    const ageMs = (opts.timeout ?? 240) * 1000;
    this.switches = new LearningSwitches({
      maxMacs: opts.cacheSize ?? 4096,
      ageMs,
      // a flow must not outlive the MAC entry it was learned from by much
      idleTimeout: Math.max(1, Math.min(60, Math.floor(ageMs / 1000))),
    });
  }

  /** Make the running state match `config`. */
  apply(config: SwitchdConfig): Promise<ApplyResult> {
    const run = this.applying.then(() => this.applyNow(config));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(config: SwitchdConfig): Promise<ApplyResult> {
    const r: ApplyResult = { added: [], removed: [], changed: [], unchanged: [] };
    const log = this.opts.log;
    // listeners for switches
    const wantListen = new Map(config.listen.map((l) => [listenKey(l), l]));
    for (const [k, st] of this.listens) {
      if (wantListen.has(k)) {
        r.unchanged.push(`listen ${st.url}`);
        continue;
      }
      this.listens.delete(k);
      for (const s of st.switches) s.conn.close();
      await st.listener.close();
      r.removed.push(`listen ${st.url}`);
    }
    for (const [k, l] of wantListen) {
      if (this.listens.has(k)) continue;
      const st = await this.listenFor(l);
      this.listens.set(k, st);
      r.added.push(`listen ${st.url}`);
    }
    // devices
    const wantDev = new Map(config.devices.map((d) => [d.spec, d]));
    for (const [spec, link] of this.links) {
      if (!wantDev.has(spec)) {
        this.links.delete(spec);
        await link.stop();
        r.removed.push(`device ${spec}`);
      }
    }
    for (const [spec, d] of wantDev) {
      const link = this.links.get(spec);
      if (link === undefined) {
        await this.addDevice(d);
        r.added.push(`device ${spec}`);
      } else if (sameDevice(link.settings, d)) r.unchanged.push(`device ${spec}`);
      else {
        await link.update(d);
        r.changed.push(`device ${spec}`);
      }
    }
    log.info(r, 'configuration applied');
    return r;
  }

  /** Add a device at run time (switchctl connect); refuses a SPEC already present. */
  async addDevice(d: DeviceConfig): Promise<void> {
    if (this.links.has(d.spec)) throw new Error(`device ${d.spec} is already connected`);
    const link = new DeviceLink(d, {
      backend: deviceBackend(d.spec, this.opts.device),
      switches: this.switches,
      log: this.opts.log,
      tls: this.opts.tls,
      ...(this.opts.connection ? { connection: this.opts.connection } : {}),
      ...(this.opts.listenUnix ? { listenUnix: this.opts.listenUnix } : {}),
    });
    link.on('relay', (relay) => this.watchRelay(relay));
    this.links.set(d.spec, link);
    try {
      await link.start();
    } catch (e) {
      this.links.delete(d.spec);
      await link.stop();
      throw e;
    }
  }

  /** Remove a device at run time (switchctl disconnect). */
  async removeDevice(spec: string): Promise<boolean> {
    const link = this.links.get(spec);
    if (!link) return false;
    this.links.delete(spec);
    await link.stop();
    return true;
  }

  async stop(): Promise<void> {
    for (const link of this.links.values()) await link.stop();
    this.links.clear();
    for (const st of this.listens.values()) {
      for (const s of st.switches) s.conn.close();
      await st.listener.close();
    }
    this.listens.clear();
  }

  private async listenFor(l: ListenConfig): Promise<ListenState> {
    if (l.tls && !this.opts.tls) throw new Error(`listen on ${l.addr} tls: needs a certificate and key`);
    const switches = new Set<LearningController>();
    const ep = { kind: l.tls ? ('pssl' as const) : ('ptcp' as const), port: l.port, addr: l.addr };
    const listener = await listenPassive(
      ep,
      (conn) => {
        const lc = new LearningController(conn, this.switches);
        switches.add(lc);
        lc.on('up', (dpid) =>
          this.opts.log.info({ peer: conn.name, dpid: `0x${dpid.toString(16)}` }, 'switch connected'),
        );
        lc.on('close', (reason) => {
          switches.delete(lc);
          this.opts.log.info({ peer: conn.name, reason: reason?.message }, 'switch disconnected');
        });
        void lc.start();
      },
      {
        ...(this.opts.connection ? { connection: this.opts.connection } : {}),
        ...(l.tls && this.opts.tls ? { tls: this.opts.tls } : {}),
        onError: (e) => this.opts.log.warn({ err: e }, 'listener error'),
      },
    );
    const host = l.addr.includes(':') ? `[${l.addr}]` : l.addr;
    const url = `${l.tls ? 'pssl' : 'ptcp'}:${listener.address.port ?? l.port}:${host}`;
    this.opts.log.info({ url }, 'listening for switches');
    return { config: l, listener, url, switches };
  }

  private watchRelay(relay: Relay): void {
    this.stats.controllerConnections++;
    const dev = relay.info.device;
    relay.on('message', (dir, msg) => {
      if (dir === 'to-device') this.stats.messagesToDevice++;
      else this.stats.messagesToController++;
      if (this.listenerCount('monitor') > 0)
        this.monitor(dev, relay.info.peer, dir, msg.type, formatText(msg));
    });
    relay.on('invalid', (dir, reason) => {
      this.stats.errorsSent++;
      this.opts.log.warn(
        { device: dev, controller: relay.info.peer, dir, reason },
        'malformed message refused with an ERROR',
      );
      if (this.listenerCount('monitor') > 0) this.monitor(dev, relay.info.peer, 'refused', 'ERROR', reason);
    });
  }

  private monitor(
    device: string,
    controller: string,
    dir: MonitorEvent['dir'],
    type: string,
    text: string,
  ): void {
    this.emit('monitor', { time: new Date().toISOString(), device, controller, dir, type, text });
  }

  // -------------------------------------------------------------------------------------
  // Views for switchctl and the admin API (plain JSON: 64-bit ids as hex strings)

  devices(): DeviceView[] {
    return [...this.links.values()].map((l) => ({
      device: l.spec,
      failMode: l.settings.failMode,
      forward: [...l.settings.forward],
      listening: l.listening,
      controllersUp: l.relays.filter((r) => r.isUp).length,
      activeControllersUp: l.activeControllersUp,
      builtIn: l.learningController?.dpid !== undefined,
      dpid: hexId(l.learningController?.dpid),
      deviceFailures: l.deviceFailures,
    }));
  }

  controllers(): ControllerView[] {
    return [...this.links.values()].flatMap((l) =>
      l.relays.map((r) => ({
        id: r.id,
        device: r.info.device,
        target: r.info.target,
        peer: r.info.peer,
        active: r.info.active,
        up: r.isUp,
        since: new Date(r.since).toISOString(),
        toDevice: r.counts.toDevice,
        toController: r.counts.toController,
        errors: r.counts.errors,
      })),
    );
  }

  /** Switches driven by the built-in controller: `listen on` connections and devices. */
  switchList(): SwitchView[] {
    const out: SwitchView[] = [];
    for (const st of this.listens.values())
      for (const s of st.switches)
        out.push({ dpid: hexId(s.dpid), via: st.url, peer: s.conn.name, macs: s.table?.table().length ?? 0 });
    for (const l of this.links.values()) {
      const lc = l.learningController;
      if (lc)
        out.push({ dpid: hexId(lc.dpid), via: l.spec, peer: l.spec, macs: lc.table?.table().length ?? 0 });
    }
    return out;
  }

  macs(): MacView[] {
    const now = Date.now();
    return this.switches.datapaths.flatMap((dpid) => {
      const sw = this.switches.of(dpid);
      sw.expire(); // a switch no longer connected has no timer ageing its table
      return sw.table().map((e) => ({
        dpid: hexId(dpid),
        mac: e.mac,
        port: e.port,
        age: Math.max(0, Math.round((now - e.lastSeen) / 1000)),
      }));
    });
  }

  listenUrls(): string[] {
    return [...this.listens.values()].map((s) => s.url);
  }

  summary(): SummaryView {
    return {
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
      listen: this.listenUrls(),
      devices: this.links.size,
      controllers: this.controllers().filter((c) => c.up).length,
      switches: this.switchList().length,
      macs: this.macs().length,
      ...this.stats,
    };
  }
}

function formatText(msg: Message): string {
  try {
    return formatMessage(msg);
  } catch {
    return msg.type;
  }
}

const hexId = (id: bigint | undefined): string | null =>
  id === undefined ? null : `0x${id.toString(16).padStart(16, '0')}`;

export interface DeviceView {
  device: string;
  failMode: string;
  forward: string[];
  listening: string[];
  controllersUp: number;
  activeControllersUp: number;
  builtIn: boolean;
  dpid: string | null;
  deviceFailures: number;
}
export interface ControllerView {
  id: number;
  device: string;
  target: string;
  peer: string;
  active: boolean;
  up: boolean;
  since: string;
  toDevice: number;
  toController: number;
  errors: number;
}
export interface SwitchView {
  dpid: string | null;
  via: string;
  peer: string;
  macs: number;
}
export interface MacView {
  dpid: string | null;
  mac: string;
  port: number;
  age: number;
}
export interface SummaryView extends SwitchdStats {
  uptime: number;
  listen: string[];
  devices: number;
  controllers: number;
  switches: number;
  macs: number;
}
