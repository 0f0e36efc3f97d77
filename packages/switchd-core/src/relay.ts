// One controller connection relayed to its own device channel.
//
// Both ends are OfConnections, so each side's HELLO, echo keepalive (switchd's echo replies
// are its own and never reach the device, nor the device's the controller) and malformed
// input (answered with the ERROR of the right type and code by the connection library, and
// not forwarded) are handled where they arrive. Every other message is forwarded as the
// bytes that came in. Flow control: while one side's socket has more than HIGH_WATER bytes
// queued, the other side is not read, so memory stays bounded whatever the peers do.
// Messages a controller sends before the device channel is open wait in a bounded backlog.

import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { OfConnection, type ConnectionOptions } from '@rumpflow/openflow-connection';
import type { Message } from '@rumpflow/openflow';

/** Bytes queued towards one side before the other side stops being read. */
const HIGH_WATER = 1 << 20;
/** Bytes a controller may send before the device channel is open. */
const MAX_BACKLOG = 1 << 20;

export type Direction = 'to-device' | 'to-controller';

export interface RelayInfo {
  readonly device: string;
  /** The controller URI from the configuration (ptcp:6634, tcp:10.0.0.1:6653). */
  readonly target: string;
  /** The connection's peer. */
  readonly peer: string;
  readonly active: boolean;
}

export interface RelayEvents {
  /** Device channel open and HELLO exchanged: messages flow. */
  up: [];
  /** A message relayed (decoded); `monitor` and the logs watch these. */
  message: [dir: Direction, msg: Message];
  /** A message refused with an ERROR (from either side). */
  invalid: [dir: Direction, reason: string];
  close: [reason: Error | undefined];
}

let nextId = 1;

export class Relay extends EventEmitter<RelayEvents> {
  readonly id = nextId++;
  readonly since = Date.now();
  private device: OfConnection | undefined;
  private backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  private closed = false;
  readonly counts = { toDevice: 0, toController: 0, errors: 0 };

  constructor(
    readonly controller: OfConnection,
    readonly info: RelayInfo,
    private readonly openDevice: () => Promise<Duplex>,
    private readonly deviceOptions: ConnectionOptions = {},
  ) {
    super();
  }

  get isUp(): boolean {
    return this.device?.isReady === true && !this.closed;
  }

  /** Open the device channel and relay until either side closes. Never rejects. */
  async start(): Promise<void> {
    const ctl = this.controller;
    ctl.on('message', (msg, bytes) => {
      this.counts.toDevice++;
      this.emit('message', 'to-device', msg);
      const dev = this.device;
      if (dev?.isReady) this.write(dev, ctl, bytes);
      else if (this.backlogBytes + bytes.length > MAX_BACKLOG)
        this.close(new Error('controller sent too much before the device opened'));
      else {
        this.backlog.push(bytes);
        this.backlogBytes += bytes.length;
      }
    });
    ctl.on('invalid', (e) => {
      this.counts.errors++;
      this.emit('invalid', 'to-device', e.message);
    });
    ctl.on('close', (reason) => this.close(reason));
    if (ctl.isClosed) return this.close(undefined);
    let stream: Duplex;
    try {
      stream = await this.openDevice();
    } catch (e) {
      return this.close(new Error(`${this.info.device}: ${(e as Error).message}`, { cause: e }));
    }
    if (this.closed) {
      stream.destroy();
      return;
    }
    const dev = new OfConnection(stream, {
      name: this.info.device,
      echoIntervalMs: 0,
      ...this.deviceOptions,
    });
    this.device = dev;
    dev.on('message', (msg, bytes) => {
      this.counts.toController++;
      this.emit('message', 'to-controller', msg);
      this.write(ctl, dev, bytes);
    });
    dev.on('invalid', (e) => {
      this.counts.errors++;
      this.emit('invalid', 'to-controller', e.message);
    });
    dev.on('close', (reason) =>
      // the device channel failed: the controller must see a fresh switch when it reconnects
      this.close(reason ?? new Error(`${this.info.device}: device channel closed`)),
    );
    try {
      await dev.start();
    } catch {
      return; // closed: handled above
    }
    if (this.closed) return;
    for (const b of this.backlog) this.write(dev, ctl, b);
    this.backlog = [];
    this.backlogBytes = 0;
    this.emit('up');
  }

  /** Write `bytes` to `to`'s socket; stop reading `from` while `to` is backed up. */
  private write(to: OfConnection, from: OfConnection, bytes: Uint8Array): void {
    const s = to.stream;
    if (s.destroyed || s.writableEnded) return;
    s.write(bytes);
    if (s.writableLength > HIGH_WATER && !from.stream.isPaused()) {
      from.stream.pause();
      s.once('drain', () => from.stream.resume());
    }
  }

  close(reason: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.backlog = [];
    this.controller.close(reason);
    this.device?.close();
    this.emit('close', reason);
  }
}
