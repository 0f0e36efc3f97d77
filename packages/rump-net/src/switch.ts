// switch(4): the interface wrapping one OpenFlow datapath (@rumpflow/openflow-switch).
//
// - Members are other interfaces attached as ports, numbered as given or the lowest free
//   number from 1; one member may be the LOCAL port (`addlocal vether0`). A member's frames
//   enter the datapath with its port number (and the VXLAN VNI as TUNNEL_ID); the datapath's
//   output to a port is handed to the member's `send`. A member's link going down or up is a
//   PORT_STATUS MODIFY (OFPPS_LINK_DOWN).
// - Frames enter the datapath only while the switch is UP (else counted in iqdrops).
// - The datapath id defaults to a hash of the host id and the switch's name, so it is the
//   same across restarts on one host; `datapath ID` sets it. A new id is a new switch to its
//   controllers: the datapath is rebuilt with the same ports (flow entries are cleared) and
//   every open channel is reset (readers of /dev/switchN see end of file and reopen).
// - Flow timeouts: the datapath's tick() runs once a second on the kernel's timers.
// - Channel taps see the OpenFlow bytes of every channel (DLT_OPENFLOW capture).

import { createHash } from 'node:crypto';
import { FramingError, MessageFramer, OFPP, OFPPS } from '@rumpflow/openflow';
import { type Channel, Datapath } from '@rumpflow/openflow-switch';
import { ERRNO } from '@rumpflow/sysproxy';
import type { Timers } from '@rumpflow/rump-kernel';
import { Interface, NetError } from './ifnet.js';

export interface Member {
  readonly portNo: number;
  readonly ifp: Interface;
  readonly local: boolean;
  readonly detach: () => void;
}

/** Direction of channel bytes (OpenBSD's DLT_OPENFLOW_TO_SWITCH / _TO_CONTROLLER). */
export type ChannelDirection = 'to-switch' | 'to-controller';
export type ChannelTap = (bytes: Uint8Array, dir: ChannelDirection, datapathId: bigint) => void;

/** One attachment of a controller to the switch (a /dev/switchN opener). */
export interface ChannelUser {
  /** Bytes for the controller. */
  deliver(bytes: Uint8Array): void;
  /** The channel is gone (the switch reset it, or was destroyed, or the channel closed itself). */
  reset(reason: string): void;
}

export interface SwitchOptions {
  readonly timers: Timers;
  /** Identifies the host in the default datapath id (a machine id or host name). */
  readonly hostId: string;
  /** Clock of the datapath in ms (default performance.now). */
  readonly now?: () => number;
  /** Flow entries per table before TABLE_FULL (default 262144). */
  readonly maxFlowsPerTable?: number;
}

/** Flow entries per table of a kernel switch by default: room for 100,000-flow tables. */
export const DEFAULT_MAX_FLOWS_PER_TABLE = 262144;

/** The default datapath id of a switch: 64 bits of SHA-256 over the host id and the name. */
export function defaultDatapathId(hostId: string, name: string): bigint {
  const h = createHash('sha256').update(`${hostId}\0${name}`).digest();
  return h.readBigUInt64BE(0);
}

export class SwitchInterface extends Interface {
  private dp: Datapath;
  private readonly members = new Map<number, Member>();
  private readonly users = new Map<ChannelUser, Channel>();
  private readonly channelTaps = new Set<ChannelTap>();
  private timer: unknown;
  private destroyed = false;

  constructor(
    name: string,
    mac: string,
    private readonly opts: SwitchOptions,
  ) {
    super(name, 'switch', mac);
    this.dp = this.newDatapath(defaultDatapathId(opts.hostId, name));
    this.arm();
  }

  get datapath(): Datapath {
    return this.dp;
  }

  get datapathId(): bigint {
    return this.dp.datapathId;
  }

  get running(): boolean {
    return this.up;
  }

  protected async start(): Promise<void> {}
  protected async stop(): Promise<void> {}

  /** Nothing sends through a switch as if it were a port. */
  send(): void {
    this.counters.oerrors++;
  }

  private newDatapath(id: bigint): Datapath {
    return new Datapath({
      datapathId: id,
      now: this.opts.now ?? (() => performance.now()),
      maxFlowsPerTable: this.opts.maxFlowsPerTable ?? DEFAULT_MAX_FLOWS_PER_TABLE,
    });
  }

  private arm(): void {
    this.timer = this.opts.timers.setTimeout(() => {
      if (this.destroyed) return;
      this.dp.tick();
      this.arm();
    }, 1000);
  }

  // ---- members --------------------------------------------------------------------------

  get ports(): readonly Member[] {
    return [...this.members.values()].sort((a, b) => a.portNo - b.portNo);
  }

  memberByName(name: string): Member | undefined {
    for (const m of this.members.values()) if (m.ifp.name === name) return m;
    return undefined;
  }

  private freePortNo(): number {
    let n = 1;
    while (this.members.has(n)) n++;
    return n;
  }

  /** Attach `ifp` as port `portNo` (0: the lowest free number), or as LOCAL. */
  addMember(ifp: Interface, portNo: number, local: boolean): number {
    if (ifp === this || ifp.driver === 'switch')
      throw new NetError(ERRNO.EINVAL, `${ifp.name} cannot be a switch port`);
    if (ifp.memberOf !== undefined)
      throw new NetError(ERRNO.EBUSY, `${ifp.name} is a port of ${ifp.memberOf}`);
    let n: number;
    if (local) {
      n = OFPP.LOCAL;
      if (this.members.has(n)) throw new NetError(ERRNO.EEXIST, `${this.name} has a local port`);
    } else {
      n = portNo === 0 ? this.freePortNo() : portNo;
      if (n < 1 || n > OFPP.MAX) throw new NetError(ERRNO.EINVAL, `port number ${n}: 1..${OFPP.MAX}`);
      if (this.members.has(n)) throw new NetError(ERRNO.EEXIST, `port ${n} of ${this.name} is taken`);
    }
    this.attachPort(ifp, n, local);
    return n;
  }

  private attachPort(ifp: Interface, n: number, local: boolean): void {
    this.dp.addPort({
      portNo: n,
      name: ifp.name,
      hwAddr: ifp.mac,
      state: ifp.running ? OFPPS.LIVE : OFPPS.LINK_DOWN,
      send: (frame) => {
        this.counters.opackets++;
        this.counters.obytes += frame.length;
        ifp.send(frame);
      },
    });
    ifp.attach((frame, tunnelId) => {
      if (!this.up) {
        this.counters.iqdrops++;
        return;
      }
      this.counters.ipackets++;
      this.counters.ibytes += frame.length;
      this.dp.receiveFrame(n, frame, tunnelId);
    });
    const offLink = ifp.onLink((up) => this.dp.modifyPort(n, { state: up ? OFPPS.LIVE : OFPPS.LINK_DOWN }));
    ifp.memberOf = this.name;
    this.members.set(n, {
      portNo: n,
      ifp,
      local,
      detach: () => {
        offLink();
        ifp.attach(undefined);
        ifp.memberOf = undefined;
      },
    });
  }

  delMember(name: string): void {
    const m = this.memberByName(name);
    if (!m) throw new NetError(ERRNO.ENOENT, `${name} is not a port of ${this.name}`);
    this.dp.removePort(m.portNo);
    m.detach();
    this.members.delete(m.portNo);
  }

  /** Renumber a member (`portno IF N`): a PORT_STATUS DELETE and ADD. */
  setPortNo(name: string, portNo: number): void {
    const m = this.memberByName(name);
    if (!m) throw new NetError(ERRNO.ENOENT, `${name} is not a port of ${this.name}`);
    if (m.local) throw new NetError(ERRNO.EINVAL, `${name} is the local port`);
    if (m.portNo === portNo) return;
    if (portNo < 1 || portNo > OFPP.MAX)
      throw new NetError(ERRNO.EINVAL, `port number ${portNo}: 1..${OFPP.MAX}`);
    if (this.members.has(portNo)) throw new NetError(ERRNO.EEXIST, `port ${portNo} of ${this.name} is taken`);
    this.delMember(name);
    this.attachPort(m.ifp, portNo, false);
  }

  // ---- datapath id ------------------------------------------------------------------------

  /** A new datapath id: a new datapath with the same ports, every channel reset. */
  setDatapathId(id: bigint): void {
    if (id < 0n || id > 0xffffffffffffffffn) throw new NetError(ERRNO.EINVAL, 'datapath id: 64 bits');
    if (id === this.dp.datapathId) return;
    const ports = this.ports;
    for (const [u, ch] of [...this.users]) {
      ch.close();
      this.users.delete(u);
      u.reset('datapath id changed');
    }
    for (const m of ports) {
      this.dp.removePort(m.portNo);
      m.detach();
    }
    this.members.clear();
    this.dp = this.newDatapath(id);
    for (const m of ports) this.attachPort(m.ifp, m.portNo, m.local);
  }

  // ---- channels ----------------------------------------------------------------------------

  /** Attach a controller channel; its HELLO is delivered at once. */
  openChannel(user: ChannelUser): (bytes: Uint8Array) => void {
    if (this.destroyed) throw new NetError(ERRNO.ENXIO, `${this.name} is gone`);
    const dpid = this.dp.datapathId;
    const ch = this.dp.openChannel(
      (bytes) => {
        for (const t of this.channelTaps) t(bytes, 'to-controller', dpid);
        user.deliver(bytes);
      },
      {
        onClose: (reason) => {
          this.users.delete(user);
          user.reset(reason);
        },
      },
    );
    this.users.set(user, ch);
    // Captures see whole messages: what the controller writes is framed for them (a write
    // may end inside a message); the channel itself frames its input on its own.
    let framer: MessageFramer | undefined;
    return (bytes) => {
      if (ch.closed) return;
      if (this.channelTaps.size > 0) {
        framer ??= new MessageFramer();
        let msgs: Uint8Array[];
        try {
          msgs = framer.push(bytes.slice());
        } catch (e) {
          if (!(e instanceof FramingError)) throw e;
          msgs = e.messages;
          framer = undefined;
        }
        for (const m of msgs) for (const t of this.channelTaps) t(m, 'to-switch', dpid);
      } else framer = undefined;
      ch.receive(bytes);
    };
  }

  /** Detach a controller (its opener closed): flows and ports stay. */
  closeChannel(user: ChannelUser): void {
    const ch = this.users.get(user);
    if (!ch) return;
    this.users.delete(user);
    ch.close();
  }

  get channelCount(): number {
    return this.users.size;
  }

  addChannelTap(t: ChannelTap): () => void {
    this.channelTaps.add(t);
    return () => this.channelTaps.delete(t);
  }

  override async destroy(): Promise<void> {
    this.destroyed = true;
    this.opts.timers.clearTimeout(this.timer);
    for (const [u, ch] of [...this.users]) {
      ch.close();
      u.reset('switch destroyed');
    }
    this.users.clear();
    for (const m of this.ports) {
      this.dp.removePort(m.portNo);
      m.detach();
    }
    this.members.clear();
    this.channelTaps.clear();
    await super.destroy();
  }
}
