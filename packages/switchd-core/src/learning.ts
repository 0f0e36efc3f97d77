// switchd's built-in controller on one OpenFlow connection: the shared learning-switch core
// (packages/learning-switch), keyed by the datapath id the switch reports in FEATURES.
// Used for switches that connect to `listen on`, for devices without `forward to`, and for
// fail-mode standalone devices while no controller is connected.

import { EventEmitter } from 'node:events';
import { OFPFC, OFPTT, flowMod } from '@rumpflow/openflow';
import type { LearningSwitch, LearningSwitches } from '@rumpflow/learning-switch';
import type { OfConnection } from '@rumpflow/openflow-connection';

/** Cookie of the flows the built-in controller installs (the learning core's default). */
export const LEARNING_COOKIE = 0x1fn;

export interface LearningEvents {
  up: [dpid: bigint];
  close: [reason: Error | undefined];
}

export class LearningController extends EventEmitter<LearningEvents> {
  dpid: bigint | undefined;
  private sw: LearningSwitch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly since = Date.now();

  constructor(
    readonly conn: OfConnection,
    private readonly switches: LearningSwitches,
    /** How often aged MAC entries are dropped. */
    private readonly expireEveryMs = 1000,
  ) {
    super();
    conn.on('close', (reason) => this.finish(reason));
  }

  /** HELLO, FEATURES, then the table-miss entry; resolves once the switch is driven. */
  async start(): Promise<void> {
    try {
      await this.conn.start();
      const features = await this.conn.request({ type: 'FEATURES_REQUEST' });
      if (this.closed) return;
      this.dpid = features.datapathId;
      const sw = this.switches.of(features.datapathId);
      this.sw = sw;
      this.conn.on('message', (msg) => {
        for (const m of sw.onMessage(msg)) this.send(m);
      });
      for (const m of sw.onConnect()) this.send(m);
      this.timer = setInterval(() => sw.expire(), this.expireEveryMs);
      this.timer.unref();
      this.emit('up', features.datapathId);
    } catch (e) {
      this.conn.close(e as Error);
    }
  }

  get table(): LearningSwitch | undefined {
    return this.sw;
  }

  private send(m: Parameters<OfConnection['send']>[0]): void {
    try {
      this.conn.send(m);
    } catch (e) {
      this.conn.close(e as Error); // send queue full: the switch is not reading
    }
  }

  /**
   * Stop driving the switch. With `removeFlows`, the flows it installed go first (a
   * controller taking over a standalone device starts from the switch's own flows only).
   */
  async stop(removeFlows: boolean): Promise<void> {
    if (removeFlows && this.conn.isReady) {
      this.send(
        flowMod({
          cookie: LEARNING_COOKIE,
          cookieMask: 0xffffffffffffffffn,
          tableId: OFPTT.ALL,
          command: OFPFC.DELETE,
        }),
      );
      await this.conn.barrier(2000).catch(() => undefined);
    }
    this.conn.close();
  }

  private finish(reason: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.emit('close', reason);
  }
}
