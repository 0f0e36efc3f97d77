// The MAC-learning controller core that switchd (for switches without a controller) and
// ofc's `learning` app share. It behaves like Ryu's simple_switch_13 and OpenBSD switchd's
// built-in controller: a table-miss entry sends unknown traffic to the controller; each
// PACKET_IN teaches the source address's port; a known destination gets a flow
// (in_port + eth_src + eth_dst -> output, idle timeout) and the packet is sent on; an
// unknown or group destination is flooded. A host seen on a new port has its flows toward
// the old port deleted. No I/O: messages in, messages out, time from a clock the caller
// gives.

import {
  OFPCML,
  OFPFC,
  OFPFF,
  OFPG,
  OFPP,
  OFPPC,
  OFPPR,
  OFPPS,
  OFP_NO_BUFFER,
  type Message,
  type MessageOf,
  type UnsentMessage,
  macStr,
} from '@rumpflow/openflow';

export interface LearningOptions {
  /** Most MAC addresses remembered per datapath; the least recently seen go first (default 8192). */
  readonly maxMacs?: number;
  /** Forget an address not seen for this long (default 300 s, like a bridge). */
  readonly ageMs?: number;
  /** Idle timeout of installed flows, seconds (default 60). */
  readonly idleTimeout?: number;
  /** Hard timeout of installed flows, seconds (default 0: none). */
  readonly hardTimeout?: number;
  /** Priority of installed flows (default 1; the table-miss entry has 0). */
  readonly priority?: number;
  /** Table the flows go in (default 0). */
  readonly tableId?: number;
  /** Cookie marking this core's flows, so they can be told apart and deleted (default 0x1f). */
  readonly cookie?: bigint;
  /** Milliseconds clock (default Date.now). */
  readonly now?: () => number;
}

export interface MacEntry {
  readonly mac: string;
  readonly port: number;
  /** When the address was last seen as a source, by the clock. */
  readonly lastSeen: number;
}

export interface LearningStats {
  packetIns: number;
  flooded: number;
  forwarded: number;
  flowsInstalled: number;
  learned: number;
  moved: number;
  /** Packets dropped because their destination is behind the port they came in on. */
  dropped: number;
  aged: number;
  evicted: number;
}

/** Per-datapath learning switch state. */
export class LearningSwitch {
  private readonly macs = new Map<string, { port: number; lastSeen: number }>();
  private readonly opts: Required<Omit<LearningOptions, 'now'>>;
  private readonly now: () => number;
  readonly stats: LearningStats = {
    packetIns: 0,
    flooded: 0,
    forwarded: 0,
    flowsInstalled: 0,
    learned: 0,
    moved: 0,
    dropped: 0,
    aged: 0,
    evicted: 0,
  };

  constructor(options: LearningOptions = {}) {
    this.opts = {
      maxMacs: options.maxMacs ?? 8192,
      ageMs: options.ageMs ?? 300_000,
      idleTimeout: options.idleTimeout ?? 60,
      hardTimeout: options.hardTimeout ?? 0,
      priority: options.priority ?? 1,
      tableId: options.tableId ?? 0,
      cookie: options.cookie ?? 0x1fn,
    };
    this.now = options.now ?? Date.now;
  }

  /** What to send when the switch connects: forget its old flows, install the table-miss entry. */
  onConnect(): UnsentMessage[] {
    this.macs.clear();
    return [
      this.flowMod({
        command: OFPFC.DELETE,
        cookieMask: 0xffffffffffffffffn,
        priority: 0,
        match: [],
        instructions: [],
      }),
      this.flowMod({
        command: OFPFC.ADD,
        priority: 0,
        idleTimeout: 0,
        hardTimeout: 0,
        flags: 0,
        match: [],
        instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: OFPP.CONTROLLER, maxLen: OFPCML.NO_BUFFER }] }],
      }),
    ];
  }

  /** Handle a message from the switch; returns the messages to send back. */
  onMessage(msg: Message): UnsentMessage[] {
    switch (msg.type) {
      case 'PACKET_IN':
        return this.onPacketIn(msg);
      case 'PORT_STATUS':
        return this.onPortStatus(msg);
      case 'FLOW_REMOVED':
        this.onFlowRemoved(msg);
        return [];
      default:
        return [];
    }
  }

  /** The MAC table, most recently seen first. */
  table(): MacEntry[] {
    return [...this.macs.entries()].map(([mac, e]) => ({ mac, port: e.port, lastSeen: e.lastSeen })).reverse();
  }

  /** Port of a learned address, if it has not aged out. */
  lookup(mac: string): number | undefined {
    const e = this.macs.get(mac);
    if (!e) return undefined;
    if (this.now() - e.lastSeen >= this.opts.ageMs) {
      this.macs.delete(mac);
      this.stats.aged++;
      return undefined;
    }
    return e.port;
  }

  /** Drop aged entries (call now and then; lookups also age lazily). Returns how many. */
  expire(): number {
    const t = this.now();
    let n = 0;
    for (const [mac, e] of this.macs) {
      if (t - e.lastSeen >= this.opts.ageMs) {
        this.macs.delete(mac);
        n++;
      }
    }
    this.stats.aged += n;
    return n;
  }

  /** Learn `mac` on `port`; returns the port it was on before if it moved there. */
  private learn(mac: string, port: number): number | undefined {
    const old = this.macs.get(mac);
    let movedFrom: number | undefined;
    if (old) {
      if (old.port !== port) {
        this.stats.moved++;
        movedFrom = old.port;
      }
      this.macs.delete(mac); // re-insert: Map order is recency order
    } else {
      this.stats.learned++;
      if (this.macs.size >= this.opts.maxMacs) {
        const oldest = this.macs.keys().next().value as string;
        this.macs.delete(oldest);
        this.stats.evicted++;
      }
    }
    this.macs.set(mac, { port, lastSeen: this.now() });
    return movedFrom;
  }

  private onPacketIn(pi: MessageOf<'PACKET_IN'>): UnsentMessage[] {
    this.stats.packetIns++;
    const inPortOxm = pi.match.find((o) => o.field === 'IN_PORT');
    if (!inPortOxm || pi.data.length < 14) return [];
    const inPort = inPortOxm.value as number;
    const dst = macStr(pi.data, 0);
    const src = macStr(pi.data, 6);
    const srcIsGroup = (pi.data[6]! & 1) === 1;
    const movedFrom = srcIsGroup ? undefined : this.learn(src, inPort);
    // the host moved: our flows toward it still output to its old port, and its own traffic
    // toward it would keep them alive; delete them (any table, this core's cookie only)
    const out0: UnsentMessage[] = movedFrom === undefined ? [] : [this.deleteFlowsTo(src, movedFrom)];

    const out = (pi.data[0]! & 1) === 1 ? undefined : this.lookup(dst);
    const data = pi.bufferId === OFP_NO_BUFFER ? pi.data : new Uint8Array(0);
    if (out === undefined || srcIsGroup) {
      this.stats.flooded++;
      return [...out0, this.packetOut(pi, inPort, OFPP.FLOOD, data)];
    }
    if (out === inPort) {
      // the destination is behind the port it came in on: drop the packet, and let go of a
      // buffered one (a PACKET_OUT without actions)
      this.stats.dropped++;
      if (pi.bufferId === OFP_NO_BUFFER) return out0;
      return [...out0, { type: 'PACKET_OUT', bufferId: pi.bufferId, inPort, actions: [], data: new Uint8Array(0) }];
    }
    this.stats.forwarded++;
    this.stats.flowsInstalled++;
    const flow = this.flowMod({
      command: OFPFC.ADD,
      priority: this.opts.priority,
      flags: OFPFF.SEND_FLOW_REM,
      match: [
        { field: 'IN_PORT', value: inPort },
        { field: 'ETH_SRC', value: src },
        { field: 'ETH_DST', value: dst },
      ],
      instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: out, maxLen: 0 }] }],
      // a buffered packet is released by the flow itself
      bufferId: pi.bufferId,
    });
    if (pi.bufferId !== OFP_NO_BUFFER) return [...out0, flow];
    return [...out0, flow, this.packetOut(pi, inPort, out, data)];
  }

  /** FLOW_MOD DELETE of this core's flows, in every table, matching eth_dst=mac that output to `port`. */
  private deleteFlowsTo(mac: string, port: number): UnsentMessage {
    return this.flowMod({
      command: OFPFC.DELETE,
      cookieMask: 0xffffffffffffffffn,
      outPort: port,
      priority: 0,
      match: [{ field: 'ETH_DST', value: mac }],
      instructions: [],
    });
  }

  private onPortStatus(ps: MessageOf<'PORT_STATUS'>): UnsentMessage[] {
    const port = ps.desc.portNo;
    const down =
      ps.reason === OFPPR.DELETE || (ps.desc.state & OFPPS.LINK_DOWN) !== 0 || (ps.desc.config & OFPPC.PORT_DOWN) !== 0;
    if (!down) return [];
    for (const [mac, e] of this.macs) if (e.port === port) this.macs.delete(mac);
    // flows toward the port and from it are stale: delete ours, even when no address is
    // learned there any more (one that aged out can still have a flow kept alive by traffic)
    return [
      this.flowMod({ command: OFPFC.DELETE, cookieMask: 0xffffffffffffffffn, outPort: port, priority: 0, match: [], instructions: [] }),
      this.flowMod({
        command: OFPFC.DELETE,
        cookieMask: 0xffffffffffffffffn,
        priority: 0,
        match: [{ field: 'IN_PORT', value: port }],
        instructions: [],
      }),
    ];
  }

  /** A learned flow went away: its destination may have moved; forget it if not seen since. */
  private onFlowRemoved(fr: MessageOf<'FLOW_REMOVED'>): void {
    if (fr.cookie !== this.opts.cookie) return;
    const dst = fr.match.find((o) => o.field === 'ETH_DST');
    if (!dst) return;
    const e = this.macs.get(dst.value as string);
    if (e && this.now() - e.lastSeen >= fr.idleTimeout * 1000) this.macs.delete(dst.value as string);
  }

  private flowMod(f: Partial<MessageOf<'FLOW_MOD'>> & Pick<MessageOf<'FLOW_MOD'>, 'command' | 'match' | 'instructions'>): UnsentMessage {
    return {
      type: 'FLOW_MOD',
      cookie: this.opts.cookie,
      cookieMask: 0n,
      tableId: f.command === OFPFC.DELETE ? 0xff : this.opts.tableId,
      idleTimeout: this.opts.idleTimeout,
      hardTimeout: this.opts.hardTimeout,
      priority: this.opts.priority,
      bufferId: OFP_NO_BUFFER,
      outPort: OFPP.ANY,
      outGroup: OFPG.ANY,
      flags: 0,
      ...f,
    };
  }

  private packetOut(pi: MessageOf<'PACKET_IN'>, inPort: number, port: number, data: Uint8Array): UnsentMessage {
    return {
      type: 'PACKET_OUT',
      bufferId: pi.bufferId,
      inPort,
      actions: [{ type: 'OUTPUT', port, maxLen: 0 }],
      data,
    };
  }
}

/** Learning switches by datapath id, for a controller serving many switches. */
export class LearningSwitches {
  private readonly byDpid = new Map<bigint, LearningSwitch>();
  constructor(private readonly options: LearningOptions = {}) {}

  /** The state of one datapath, created on first use. */
  of(dpid: bigint): LearningSwitch {
    let s = this.byDpid.get(dpid);
    if (!s) {
      s = new LearningSwitch(this.options);
      this.byDpid.set(dpid, s);
    }
    return s;
  }

  forget(dpid: bigint): void {
    this.byDpid.delete(dpid);
  }

  get datapaths(): bigint[] {
    return [...this.byDpid.keys()];
  }
}
