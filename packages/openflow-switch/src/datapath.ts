// The datapath: switch(4)'s engine with no I/O of its own. Everything outside is handed in:
//
//   const dp = new Datapath({ datapathId: 1n, now: () => performance.now() });
//   dp.addPort({ portNo: 1, name: 'vxlan0', hwAddr: '02:00:00:00:00:01', send: (f) => ifnet.output(f) });
//   const ch = dp.openChannel((bytes) => socket.write(bytes), { onClose: () => socket.end() });
//   socket.on('data', (b) => ch.receive(b));   // OpenFlow bytes in, bytes out
//   ifnet.on('input', (f) => dp.receiveFrame(1, f));
//   setInterval(() => dp.tick(), 1000);         // timeouts, at most one second late
//
// Controller channels (channel.ts) decode, check and dispatch messages (control.ts, stats.ts);
// frames run through the pipeline (pipeline.ts) whose actions (actions.ts) call back here for
// OUTPUT, GROUP, METER and PACKET_IN. Asynchronous messages (PACKET_IN, FLOW_REMOVED, PORT_STATUS) go to the
// channels whose role and async masks ask for them (roles.ts).

import {
  type Action,
  OFP_NO_BUFFER,
  OFPC_FRAG,
  OFPCML,
  OFPFF,
  OFPP,
  OFPPC,
  OFPPR,
  OFPPS,
  OFPR,
  type FlowRemoved,
  type Match,
  type Message,
  type PacketIn,
  type PortStatus,
  encode,
  ofpError,
} from '@rumpflow/openflow';
import { FRAG, parseFrame } from '@rumpflow/packet';
import { type ActionHost, type Resources, executeList } from './actions.js';
import { type Buffered, PacketBuffers } from './buffers.js';
import { Channel, type ChannelOptions } from './channel.js';
import { FlowTables, type Removal, reportedCounts } from './flow-table.js';
import { type GroupLimits, GroupTable } from './groups.js';
import { type MeterLimits, MeterTable } from './meters.js';
import { Packet } from './packet-context.js';
import { runPipeline } from './pipeline.js';
import { type PortChange, type PortSpec, SwitchPort } from './ports.js';
import { type AsyncKind, Election, wantsAsync } from './roles.js';

/** DESC strings (ofp_desc). */
export interface Description {
  mfrDesc: string;
  hwDesc: string;
  swDesc: string;
  serialNum: string;
  dpDesc: string;
}

export interface DatapathOptions {
  readonly datapathId: bigint;
  /** The clock, in milliseconds (any origin; fractions allowed). */
  readonly now: () => number;
  /** Flow tables, 1..255 (default 255: ids 0..254). */
  readonly nTables?: number;
  /** Flow entries per table before TABLE_FULL (default 65536). */
  readonly maxFlowsPerTable?: number;
  /**
   * Packet buffers for PACKET_IN (default 256; 0: none, every PACKET_IN carries the whole
   * frame). See buffers.ts.
   */
  readonly nBuffers?: number;
  /** Group table limits (groups.ts). */
  readonly groupLimits?: GroupLimits;
  /** Meter table limits (meters.ts). */
  readonly meterLimits?: MeterLimits;
  /** How long a buffered packet waits for its PACKET_OUT or FLOW_MOD (ms, default 5000). */
  readonly bufferLifetimeMs?: number;
  readonly description?: Partial<Description>;
  /** Largest multipart reply message (default 65528: below the 65535 limit, a multiple of 8). */
  readonly maxReplyLen?: number;
}

/** Nested pipeline runs allowed (a port's send() feeding a frame back in, and so on). */
const MAX_DEPTH = 8;
const ALL_ONES = 0xffffffffffffffffn;
/**
 * Most frame bytes a PACKET_IN can carry: 65535 less its fixed part (24 bytes), the largest
 * match it sends (IN_PORT, IN_PHY_PORT, METADATA, TUNNEL_ID: 48 bytes padded) and 2 of padding.
 */
const MAX_PACKET_IN_DATA = 0xffff - 24 - 48 - 2;

export class Datapath implements ActionHost, Resources {
  readonly datapathId: bigint;
  readonly nBuffers: number;
  /** @internal The packet buffers (undefined when nBuffers is 0). */
  readonly buffers: PacketBuffers | undefined;
  readonly flows: FlowTables;
  readonly groups: GroupTable;
  readonly meters: MeterTable;
  readonly description: Description;
  readonly maxReplyLen: number;
  readonly election = new Election();
  /** OFPC_FRAG_* (SET_CONFIG): NORMAL or DROP. */
  fragFlags: number = OFPC_FRAG.NORMAL;
  readonly now: () => number;

  private readonly portMap = new Map<number, SwitchPort>();
  /** Ports in attachment order, replaced (not mutated) on change: safe to iterate while sending. */
  private portList: readonly SwitchPort[] = [];
  /** Channels, replaced on change for the same reason. */
  private channelList: readonly Channel[] = [];
  private nextChannelId = 1;
  private readonly pool: Packet[] = [];
  private depth = 0;

  constructor(opts: DatapathOptions) {
    if (opts.datapathId < 0n || opts.datapathId > ALL_ONES) throw new RangeError('datapath id: 64 bits');
    this.nBuffers = opts.nBuffers ?? 256;
    this.buffers = this.nBuffers > 0 ? new PacketBuffers(this.nBuffers, opts.bufferLifetimeMs) : undefined;
    this.datapathId = opts.datapathId;
    this.now = opts.now;
    this.flows = new FlowTables(opts.nTables ?? 255, opts.maxFlowsPerTable ?? 65536, opts.now);
    this.groups = new GroupTable(opts.now, opts.groupLimits);
    this.meters = new MeterTable(opts.now, opts.meterLimits);
    this.maxReplyLen = Math.min(opts.maxReplyLen ?? 65528, 0xffff);
    if (this.maxReplyLen < 1024) throw new RangeError('maxReplyLen below 1024');
    this.description = {
      mfrDesc: 'rumpflow',
      hwDesc: 'switch(4) datapath',
      swDesc: 'rumpflow openflow-switch 0.1.0',
      serialNum: 'None',
      dpDesc: `switch dpid 0x${opts.datapathId.toString(16).padStart(16, '0')}`,
      ...opts.description,
    };
    for (const [k, v] of Object.entries(this.description)) {
      const max = k === 'serialNum' ? 31 : 255;
      if (new TextEncoder().encode(v).length > max)
        throw new RangeError(`description ${k}: at most ${max} bytes`);
    }
  }

  get nTables(): number {
    return this.flows.tables.length;
  }

  // ---------------------------------------------------------------------------------------
  // Channels

  /** Open a controller channel; it sends its HELLO through `send` at once. */
  openChannel(send: (bytes: Uint8Array) => void, opts: ChannelOptions = {}): Channel {
    const ch = new Channel(this, this.nextChannelId++, send, opts);
    this.channelList = [...this.channelList, ch];
    ch.start();
    return ch;
  }

  /** The channels open now (negotiated or not). */
  get channels(): readonly Channel[] {
    return this.channelList;
  }

  /** @internal Called by Channel when it closes. */
  detach(ch: Channel): void {
    this.channelList = this.channelList.filter((c) => c !== ch);
  }

  /** Send an encoded asynchronous message to every negotiated channel whose role and masks want it. */
  private broadcast(kind: AsyncKind, reason: number, make: () => Message): void {
    let bytes: Uint8Array | undefined;
    for (const ch of this.channelList) {
      if (!ch.negotiated || !wantsAsync(ch.role, ch.asyncConfig, kind, reason)) continue;
      bytes ??= encode(make());
      ch.sendBytes(bytes);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Ports

  /** Attach a port (PORT_STATUS ADD to the channels). */
  addPort(spec: PortSpec): SwitchPort {
    if (this.portMap.has(spec.portNo)) throw new RangeError(`port ${spec.portNo} is already attached`);
    const p = new SwitchPort(spec, this.now());
    this.portMap.set(p.portNo, p);
    this.portList = [...this.portList, p];
    this.portStatus(OFPPR.ADD, p);
    return p;
  }

  /** Detach a port (PORT_STATUS DELETE). Flow entries naming it stay, as the specification allows. */
  removePort(portNo: number): boolean {
    const p = this.portMap.get(portNo);
    if (!p) return false;
    this.portMap.delete(portNo);
    this.portList = this.portList.filter((x) => x !== p);
    this.portStatus(OFPPR.DELETE, p);
    return true;
  }

  /** Change a port's state or configuration (a link going down...): PORT_STATUS MODIFY if anything changed. */
  modifyPort(portNo: number, change: PortChange): boolean {
    const p = this.portMap.get(portNo);
    if (!p) return false;
    let changed = false;
    const before = p.state;
    for (const [k, v] of Object.entries(change) as [keyof PortChange, number | undefined][]) {
      if (v === undefined || p[k] === v) continue;
      p[k] = v;
      changed = true;
    }
    p.syncLive();
    if (changed || p.state !== before) this.portStatus(OFPPR.MODIFY, p);
    return true;
  }

  /** The port's link went up or down (OFPPS_LINK_DOWN, and LIVE with it): PORT_STATUS MODIFY. */
  setLink(portNo: number, up: boolean): boolean {
    const p = this.portMap.get(portNo);
    if (!p) return false;
    return this.modifyPort(portNo, { state: up ? p.state & ~OFPPS.LINK_DOWN : p.state | OFPPS.LINK_DOWN });
  }

  port(portNo: number): SwitchPort | undefined {
    return this.portMap.get(portNo);
  }

  get ports(): readonly SwitchPort[] {
    return this.portList;
  }

  /** @internal PORT_STATUS to the channels that want `reason`. */
  portStatus(reason: number, p: SwitchPort): void {
    this.broadcast('portStatus', reason, (): PortStatus => ({
      type: 'PORT_STATUS',
      xid: 0,
      reason,
      desc: p.describe(),
    }));
  }

  // ---------------------------------------------------------------------------------------
  // Groups and meters. The GROUP action calls group() and the METER instruction meter(); the
  // group and meter tables (groups.ts, meters.ts) do the work. checkActions/checkInstructions
  // refuse flow entries naming a group or meter that does not exist.

  groupExists(groupId: number): boolean {
    return this.groups.has(groupId);
  }

  meterExists(meterId: number): boolean {
    return this.meters.has(meterId);
  }

  /** GROUP (ActionHost): run the group's buckets (those that rewrite through executeOnCopy). */
  group(pkt: Packet, groupId: number): void {
    this.groups.execute(pkt, groupId, this);
  }

  /** METER (ActionHost): false when the meter drops the packet. */
  meter(pkt: Packet, meterId: number): boolean {
    return this.meters.execute(pkt, meterId);
  }

  /** Run `actions` on an independent copy of `pkt` (a group bucket), at the next nesting depth. */
  executeOnCopy(pkt: Packet, actions: readonly Action[]): void {
    const copy = this.enter();
    if (copy === undefined) return;
    try {
      copy.copyFrom(pkt);
      executeList(actions, copy, this);
    } finally {
      this.depth--;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Packets

  /**
   * A frame received on a port: parsed, counted, run through the pipeline. The datapath may
   * hand the same buffer to ports' send() and its actions rewrite it in place: hand in a buffer
   * the caller no longer needs. `tunnelId` is
   * the TUNNEL_ID pipeline field (the VNI of a VXLAN port, for instance).
   */
  receiveFrame(portNo: number, frame: Uint8Array, tunnelId = 0n): void {
    const port = this.portMap.get(portNo);
    if (port === undefined) return;
    if (!port.receives) {
      port.rxDropped++;
      return;
    }
    port.rxPackets++;
    port.rxBytes += frame.length;
    this.process(frame, portNo, tunnelId, 0);
  }

  /** Run a frame through the tables from `startTable` in a fresh packet context. */
  private process(frame: Uint8Array, inPort: number, tunnelId: bigint, startTable: number): void {
    const pkt = this.acquire(frame, inPort, tunnelId);
    if (pkt === undefined) return;
    try {
      if (this.fragFlags === OFPC_FRAG.DROP && (pkt.key.ipFrag & FRAG.ANY) !== 0) return;
      runPipeline(pkt, this.flows.tables, startTable, this, this.now());
    } finally {
      this.depth--;
    }
  }

  /** The packet context of the next nesting depth (undefined: too deep, drop); the caller decrements depth. */
  private enter(): Packet | undefined {
    if (this.depth >= MAX_DEPTH) return undefined;
    let pkt = this.pool[this.depth];
    if (pkt === undefined) {
      pkt = new Packet();
      this.pool[this.depth] = pkt;
    }
    this.depth++;
    return pkt;
  }

  /** A packet context for this nesting depth, reset and parsed (undefined: too deep, drop). */
  private acquire(frame: Uint8Array, inPort: number, tunnelId: bigint): Packet | undefined {
    const pkt = this.enter();
    if (pkt === undefined) return undefined;
    pkt.reset(frame, inPort);
    const key = pkt.key;
    key.inPort = inPort;
    key.inPhyPort = inPort;
    key.metadata = 0n;
    key.tunnelId = tunnelId;
    parseFrame(frame, key);
    return pkt;
  }

  /** @internal PACKET_OUT: execute `run` on the packet (actions not tied to a flow entry). */
  packetOut(frame: Uint8Array, inPort: number, run: (pkt: Packet) => void, tunnelId = 0n): void {
    const pkt = this.acquire(frame, inPort, tunnelId);
    if (pkt === undefined) return;
    try {
      pkt.detached = true;
      pkt.cookie = ALL_ONES;
      run(pkt);
    } finally {
      this.depth--;
    }
  }

  /** OUTPUT (ActionHost). */
  output(pkt: Packet, port: number, maxLen: number): void {
    switch (port) {
      case OFPP.CONTROLLER:
        // A table-miss entry's packet-ins are NO_MATCH (1.3.5 section 7.4.1), the others ACTION.
        this.packetIn(pkt, pkt.tableMiss ? OFPR.NO_MATCH : OFPR.ACTION, maxLen);
        return;
      case OFPP.IN_PORT:
        this.portMap.get(pkt.inPort)?.transmit(pkt.frame);
        return;
      case OFPP.ALL:
      case OFPP.FLOOD:
        // every standard port (physical, logical and LOCAL; 1.3.5 sections 4.1 and 4.5) but
        // the ingress port; NO_FWD ports drop in transmit()
        for (const p of this.portList) {
          if (p.portNo === pkt.inPort) continue;
          if (port === OFPP.FLOOD && (p.state & OFPPS.BLOCKED) !== 0) continue;
          p.transmit(pkt.frame);
        }
        return;
      case OFPP.TABLE:
        // Only PACKET_OUT may name TABLE (validate() refuses it in flow entries). The tables
        // may rewrite the frame: they get a copy, later actions of the PACKET_OUT the original.
        this.process(Uint8Array.prototype.slice.call(pkt.frame), pkt.inPort, pkt.key.tunnelId, 0);
        return;
      default:
        // A packet leaves by its ingress port only through OFPP_IN_PORT (1.3.5 section 4.5).
        if (port === pkt.inPort) return;
        this.portMap.get(port)?.transmit(pkt.frame);
    }
  }

  /** A TTL decrement found 0 or 1 (ActionHost): PACKET_IN INVALID_TTL, cut to miss_send_len. */
  invalidTtl(pkt: Packet): void {
    this.packetIn(pkt, OFPR.INVALID_TTL, -1);
  }

  /**
   * PACKET_IN to the channels that want `reason`, carrying the frame as rewritten so far.
   * `maxLen` is the OUTPUT action's max_len, or -1 for each channel's miss_send_len (packets
   * sent without an OUTPUT:CONTROLLER action). With packet buffers the packet is buffered once
   * (whichever channels receive it) and each channel gets at most that many bytes; a length of
   * OFPCML_NO_BUFFER, no buffers configured, or every buffer taken: the whole frame with
   * buffer_id NO_BUFFER (1.3.5 section 7.4.1: an unbuffered packet is always sent whole).
   */
  private packetIn(pkt: Packet, reason: number, maxLen: number): void {
    const from = this.portMap.get(pkt.inPort);
    if (from !== undefined && (from.config & OFPPC.NO_PACKET_IN) !== 0) return;
    if (!this.meters.admitPacketIn(pkt.frame.length)) return; // the CONTROLLER virtual meter
    const frame = pkt.frame;
    let bufferId: number | undefined; // buffered on the first channel that asks for it
    const encoded = new Map<number, Uint8Array>(); // by bytes sent (-1: whole, unbuffered)
    for (const ch of this.channelList) {
      if (!ch.negotiated || !wantsAsync(ch.role, ch.asyncConfig, 'packetIn', reason)) continue;
      const want = maxLen >= 0 ? maxLen : ch.missSendLen;
      if (want !== OFPCML.NO_BUFFER && this.buffers !== undefined && bufferId === undefined)
        bufferId = this.buffers.store(frame, pkt.inPort, pkt.key.tunnelId, this.now());
      const buffered = want !== OFPCML.NO_BUFFER && bufferId !== undefined && bufferId !== OFP_NO_BUFFER;
      const len = buffered ? Math.min(want, frame.length, MAX_PACKET_IN_DATA) : -1;
      if (!buffered && frame.length > MAX_PACKET_IN_DATA) continue; // cannot be carried whole in one message
      let bytes = encoded.get(len);
      if (bytes === undefined) {
        const m: PacketIn = {
          type: 'PACKET_IN',
          xid: 0,
          bufferId: buffered ? (bufferId as number) : OFP_NO_BUFFER,
          totalLen: frame.length,
          reason,
          tableId: pkt.tableId,
          cookie: pkt.detached ? ALL_ONES : pkt.cookie,
          match: contextMatch(pkt),
          data: len < 0 ? frame : frame.subarray(0, len),
        };
        bytes = encode(m);
        encoded.set(len, bytes);
      }
      ch.sendBytes(bytes);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Packet buffers

  /** @internal Release a buffered packet (PACKET_OUT, FLOW_MOD): BUFFER_UNKNOWN / BUFFER_EMPTY otherwise. */
  takeBuffer(bufferId: number): Buffered {
    const b = this.buffers?.take(bufferId) ?? 'unknown';
    if (b === 'unknown')
      throw ofpError('BAD_REQUEST', 'BUFFER_UNKNOWN', `buffer ${bufferId} does not exist or has expired`);
    if (b === 'empty') throw ofpError('BAD_REQUEST', 'BUFFER_EMPTY', `buffer ${bufferId} was already used`);
    return b;
  }

  /** @internal A released packet through the tables from table 0 (FLOW_MOD with a buffer_id). */
  runBuffered(b: Buffered): void {
    this.process(b.frame, b.inPort, b.tunnelId, 0);
  }

  // ---------------------------------------------------------------------------------------
  // Flow removal

  /** Expire idle and hard timeouts and buffered packets; call at least once a second. */
  tick(): void {
    this.buffers?.expire(this.now());
    this.flowRemoved(this.flows.expire());
  }

  /** @internal FLOW_REMOVED for removed entries that asked for it. */
  flowRemoved(removals: readonly Removal[]): void {
    for (const { entry: e, reason } of removals) {
      if ((e.flags & OFPFF.SEND_FLOW_REM) === 0) continue;
      this.broadcast('flowRemoved', reason, (): FlowRemoved => {
        const d = this.flows.duration(e);
        return {
          type: 'FLOW_REMOVED',
          xid: 0,
          cookie: e.cookie,
          priority: e.priority,
          reason,
          tableId: e.tableId,
          durationSec: d.sec,
          durationNsec: d.nsec,
          idleTimeout: e.idleTimeout,
          hardTimeout: e.hardTimeout,
          ...reportedCounts(e),
          match: e.oxms,
        };
      });
    }
  }
}

/**
 * The PACKET_IN match: the pipeline fields that cannot be read from the packet (1.3.5 section
 * 7.4.1): IN_PORT, and IN_PHY_PORT, METADATA and TUNNEL_ID when they say something (not zero,
 * not equal to IN_PORT).
 */
function contextMatch(pkt: Packet): Match {
  const k = pkt.key;
  const m: Match = [{ field: 'IN_PORT', value: k.inPort }];
  if (k.inPhyPort !== k.inPort && k.inPhyPort !== 0) m.push({ field: 'IN_PHY_PORT', value: k.inPhyPort });
  if (k.metadata !== 0n) m.push({ field: 'METADATA', value: k.metadata });
  if (k.tunnelId !== 0n) m.push({ field: 'TUNNEL_ID', value: k.tunnelId });
  return m;
}
