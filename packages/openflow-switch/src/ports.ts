// Ports as the datapath sees them. The switch has no I/O of its own: whoever attaches a port
// (the rump kernel's ifnet glue, a test, a benchmark) hands in its number, name, address and a
// `send(frame)` callback, and feeds received frames to `Datapath.receiveFrame`. A port keeps the
// counters PORT_STATS reports and its ofp_port description for PORT_DESC and PORT_STATUS.
//
// Liveness: OFPPS_LIVE (what fast-failover groups watch) is kept by the switch, as Open vSwitch
// decides it: set unless the port is administratively down (OFPPC_PORT_DOWN) or its link is
// (OFPPS_LINK_DOWN).
//
// Queues: every port has exactly one queue, queue 0, with no rate properties (the switch does
// no scheduling). SET_QUEUE may name only it; QUEUE stats report the port's transmit counters
// for it (tx_errors: frames the port could not send), QUEUE_GET_CONFIG lists it.

import {
  OFPP,
  OFPPC,
  OFPPS,
  type Port as OfpPort,
  type PortStats,
  type QueueStats,
} from '@rumpflow/openflow';

/** What the attacher of a port hands in. */
export interface PortSpec {
  /** 1..OFPP.MAX (0xffffff00), or OFPP.LOCAL for the switch's local port. */
  readonly portNo: number;
  /** At most 15 characters (ofp_port.name is 16 bytes with its NUL). */
  readonly name: string;
  /** 'aa:bb:cc:dd:ee:ff'. */
  readonly hwAddr: string;
  /** OFPPC_* bits (default 0). */
  readonly config?: number;
  /** OFPPS_* bits (default LIVE). */
  readonly state?: number;
  /** OFPPF_* bitmaps (default 0: unknown). */
  readonly curr?: number;
  readonly advertised?: number;
  readonly supported?: number;
  readonly peer?: number;
  /** kbps (default 0). */
  readonly currSpeed?: number;
  readonly maxSpeed?: number;
  /**
   * Transmit a frame. The frame is only valid during the call (the pipeline may send the same
   * buffer elsewhere or rewrite it afterwards): copy it to keep it.
   */
  send(frame: Uint8Array): void;
}

/** The changes `Datapath.modifyPort` accepts (a link going down, a speed change...). */
export type PortChange = Partial<
  Pick<PortSpec, 'config' | 'state' | 'curr' | 'advertised' | 'supported' | 'peer' | 'currSpeed' | 'maxSpeed'>
>;

/** Configuration bits PORT_MOD may change (OFPPC_PORT_DOWN | NO_RECV | NO_FWD | NO_PACKET_IN). */
export const PORT_CONFIG_BITS = OFPPC.PORT_DOWN | OFPPC.NO_RECV | OFPPC.NO_FWD | OFPPC.NO_PACKET_IN;

/** A port attached to the datapath, with its counters. */
export class SwitchPort {
  readonly portNo: number;
  readonly name: string;
  readonly hwAddr: string;
  config: number;
  state: number;
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  currSpeed: number;
  maxSpeed: number;
  readonly send: (frame: Uint8Array) => void;
  rxPackets = 0;
  rxBytes = 0;
  rxDropped = 0;
  txPackets = 0;
  txBytes = 0;
  txDropped = 0;

  constructor(
    spec: PortSpec,
    /** Clock reading (ms) when the port was attached (PORT_STATS duration). */
    readonly addedAt: number,
  ) {
    const n = spec.portNo;
    if (!Number.isInteger(n) || n < 1 || (n > OFPP.MAX && n !== OFPP.LOCAL))
      throw new RangeError(`port number ${n}: 1..0xffffff00 or LOCAL`);
    if (Buffer.byteLength(spec.name) > 15)
      throw new RangeError(`port name ${JSON.stringify(spec.name)}: at most 15 bytes`);
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(spec.hwAddr))
      throw new RangeError(`port hardware address ${spec.hwAddr}`);
    this.portNo = n;
    this.name = spec.name;
    this.hwAddr = spec.hwAddr.toLowerCase();
    this.config = spec.config ?? 0;
    this.state = spec.state ?? OFPPS.LIVE;
    this.syncLive();
    this.curr = spec.curr ?? 0;
    this.advertised = spec.advertised ?? 0;
    this.supported = spec.supported ?? 0;
    this.peer = spec.peer ?? 0;
    this.currSpeed = spec.currSpeed ?? 0;
    this.maxSpeed = spec.maxSpeed ?? 0;
    this.send = spec.send;
  }

  /** Set or clear OFPPS_LIVE from PORT_DOWN and LINK_DOWN (call after changing either). */
  syncLive(): void {
    const live = (this.config & OFPPC.PORT_DOWN) === 0 && (this.state & OFPPS.LINK_DOWN) === 0;
    this.state = live ? this.state | OFPPS.LIVE : this.state & ~OFPPS.LIVE;
  }

  /** Live for fast-failover groups. */
  get live(): boolean {
    return (this.state & OFPPS.LIVE) !== 0;
  }

  /** Frames received on the port enter the pipeline (not administratively down, NO_RECV unset). */
  get receives(): boolean {
    return (this.config & (OFPPC.PORT_DOWN | OFPPC.NO_RECV)) === 0;
  }

  /** Frames sent to the port leave (not down, NO_FWD unset, link up). */
  get forwards(): boolean {
    return (this.config & (OFPPC.PORT_DOWN | OFPPC.NO_FWD)) === 0 && (this.state & OFPPS.LINK_DOWN) === 0;
  }

  /** Transmit, counting; frames the port may not forward are counted as dropped. */
  transmit(frame: Uint8Array): void {
    if (!this.forwards) {
      this.txDropped++;
      return;
    }
    this.txPackets++;
    this.txBytes += frame.length;
    this.send(frame);
  }

  /** ofp_port (PORT_DESC, PORT_STATUS). */
  describe(): OfpPort {
    return {
      portNo: this.portNo,
      hwAddr: this.hwAddr,
      name: this.name,
      config: this.config,
      state: this.state,
      curr: this.curr,
      advertised: this.advertised,
      supported: this.supported,
      peer: this.peer,
      currSpeed: this.currSpeed,
      maxSpeed: this.maxSpeed,
    };
  }

  /** Time attached, as ofp duration_sec and duration_nsec. */
  private duration(now: number): { durationSec: number; durationNsec: number } {
    const d = Math.max(0, now - this.addedAt);
    const sec = Math.floor(d / 1000);
    return { durationSec: sec, durationNsec: Math.min(999_999_999, Math.round((d - sec * 1000) * 1e6)) };
  }

  /** ofp_queue_stats of the port's one queue (queue 0). */
  queueStats(now: number): QueueStats {
    return {
      portNo: this.portNo,
      queueId: 0,
      txBytes: BigInt(this.txBytes),
      txPackets: BigInt(this.txPackets),
      txErrors: BigInt(this.txDropped),
      ...this.duration(now),
    };
  }

  /** ofp_port_stats; counters this datapath does not keep (errors, collisions) are 0. */
  stats(now: number): PortStats {
    return {
      portNo: this.portNo,
      rxPackets: BigInt(this.rxPackets),
      txPackets: BigInt(this.txPackets),
      rxBytes: BigInt(this.rxBytes),
      txBytes: BigInt(this.txBytes),
      rxDropped: BigInt(this.rxDropped),
      txDropped: BigInt(this.txDropped),
      rxErrors: 0n,
      txErrors: 0n,
      rxFrameErr: 0n,
      rxOverErr: 0n,
      rxCrcErr: 0n,
      collisions: 0n,
      ...this.duration(now),
    };
  }
}
