// The interface layer: a named interface (vxlan0, vether0, switch0) with BSD's flags, MTU,
// MAC address, link state and if_data counters, and two attachment points:
//
//   - `attach(consumer)`: who takes the frames the interface brings in from its wire (a
//     switch port feeding its datapath, or nobody);
//   - `send(frame)`: a frame handed to the interface by whoever it is attached to.
//
// What "the wire" is depends on the driver (UDP for vxlan, the switch's LOCAL port for
// vether), so each driver counts its own ipackets/opackets. Capture taps see every frame the
// interface moves, in either direction.

import { IFF, LINK_STATE } from '@rumpflow/sysproxy';

/** BSD's if_data counters, plus the VXLAN drops (a wrong VNI, a malformed header). */
export interface IfCounters {
  ipackets: number;
  opackets: number;
  ibytes: number;
  obytes: number;
  ierrors: number;
  oerrors: number;
  iqdrops: number;
  collisions: number;
  badvni: number;
  badhdr: number;
}

export function zeroCounters(): IfCounters {
  return {
    ipackets: 0,
    opackets: 0,
    ibytes: 0,
    obytes: 0,
    ierrors: 0,
    oerrors: 0,
    iqdrops: 0,
    collisions: 0,
    badvni: 0,
    badhdr: 0,
  };
}

/** Direction of a tapped frame, as seen from the interface. */
export type TapDirection = 'in' | 'out';
export type Tap = (frame: Uint8Array, dir: TapDirection) => void;

/** Takes the frames an interface brings in (with the VXLAN VNI as tunnel id, 0n otherwise). */
export type FrameConsumer = (frame: Uint8Array, tunnelId: bigint) => void;

/** A link-state listener (a switch turning it into PORT_STATUS). */
export type LinkListener = (up: boolean) => void;

/** Errors an interface operation raises: the errno the ioctl answers with. */
export class NetError extends Error {
  override readonly name = 'NetError';
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_MTU = 1500;
export const MIN_MTU = 68;
export const MAX_MTU = 9000;

export abstract class Interface {
  /** IFF_UP and IFF_PROMISC as set; IFF_RUNNING comes from the driver (`running`). */
  private adminFlags = 0;
  mtu = DEFAULT_MTU;
  readonly counters: IfCounters = zeroCounters();
  /** One IPv4 address with its prefix length, or none. */
  address: { addr: string; prefixlen: number } | undefined;
  protected consumer: FrameConsumer | undefined;
  /** The switch this interface is a member of, by name. */
  memberOf: string | undefined;
  private readonly taps = new Set<Tap>();
  private readonly linkListeners = new Set<LinkListener>();
  private opChain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    /** The cloner: "vxlan", "vether", "switch". */
    readonly driver: string,
    readonly mac: string,
  ) {}

  get flags(): number {
    return this.adminFlags | IFF.BROADCAST | IFF.SIMPLEX | IFF.MULTICAST | (this.running ? IFF.RUNNING : 0);
  }

  get up(): boolean {
    return (this.adminFlags & IFF.UP) !== 0;
  }

  /** The driver is ready to move frames. */
  abstract get running(): boolean;

  get linkState(): number {
    return this.running ? LINK_STATE.UP : LINK_STATE.DOWN;
  }

  /**
   * Run `fn` after every operation started before it: ioctls from several clients may
   * configure one interface at once, and bringing a driver up or down takes time (a socket
   * to bind), so its operations are serialized.
   */
  protected exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.opChain.then(fn, fn);
    this.opChain = r.catch(() => undefined);
    return r;
  }

  /** Set IFF_UP/IFF_PROMISC (other bits are ignored, as BSD ignores read-only ones). */
  setFlags(flags: number): Promise<void> {
    return this.exclusive(async () => {
      const before = this.adminFlags;
      const wasUp = this.up;
      const wasRunning = this.running;
      this.adminFlags = flags & (IFF.UP | IFF.PROMISC);
      try {
        if (this.up && !wasUp) await this.start();
        else if (!this.up && wasUp) await this.stop();
      } catch (e) {
        // the driver could not come up (a port in use): the interface stays as it was
        this.adminFlags = before;
        throw e;
      } finally {
        if (this.running !== wasRunning) this.linkChanged();
      }
    });
  }

  /** Bring the driver up (IFF_UP set). */
  protected abstract start(): Promise<void>;
  /** Bring it down (IFF_UP cleared, or destroy). */
  protected abstract stop(): Promise<void>;

  /** A frame handed to this interface by what it is attached to. */
  abstract send(frame: Uint8Array): void;

  setMtu(mtu: number): void {
    if (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU)
      throw new NetError(22, `mtu ${mtu}: ${MIN_MTU}..${MAX_MTU}`);
    this.mtu = mtu;
  }

  attach(consumer: FrameConsumer | undefined): void {
    this.consumer = consumer;
  }

  addTap(t: Tap): () => void {
    this.taps.add(t);
    return () => this.taps.delete(t);
  }

  protected tap(frame: Uint8Array, dir: TapDirection): void {
    if (this.taps.size === 0) return;
    for (const t of this.taps) t(frame, dir);
  }

  onLink(l: LinkListener): () => void {
    this.linkListeners.add(l);
    return () => this.linkListeners.delete(l);
  }

  /** Tell listeners the link went up or down (drivers call it when `running` changes). */
  protected linkChanged(): void {
    const up = this.running;
    for (const l of [...this.linkListeners]) l(up);
  }

  /** Tear down: stop the driver, detach everything. */
  destroy(): Promise<void> {
    return this.exclusive(async () => {
      if (this.up) await this.stop();
      this.adminFlags = 0;
      this.consumer = undefined;
      this.taps.clear();
      this.linkListeners.clear();
    });
  }
}
