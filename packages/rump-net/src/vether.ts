// vether(4): a virtual Ethernet interface whose wire is whatever it is attached to (a
// switch's LOCAL port, or an ordinary member port). Behind it sits a minimal host stack for
// its IPv4 address (`inet 10.0.0.254/24`): it answers ARP requests for the address and ICMP
// echo requests to it, so a switch's LOCAL port reaches something pingable. Frames from the
// switch count as input (ipackets), the stack's answers as output (opackets). Frames for
// other hosts are counted in iqdrops unless the interface is PROMISC (then just ignored).

import {
  FlowKey,
  type HostAddress,
  answerFrame,
  hostAddress,
  macFromString,
  parseFrame,
} from '@rumpflow/packet';
import { IFF } from '@rumpflow/sysproxy';
import { Interface } from './ifnet.js';

const BROADCAST = 0xffffffffffff;

export class VetherInterface extends Interface {
  private readonly key = new FlowKey();
  private readonly macNum: number;
  /** The stack's addresses, remade when `inet` changes. */
  private self: HostAddress | undefined;

  constructor(name: string, mac: string) {
    super(name, 'vether', mac);
    this.macNum = macFromString(mac);
  }

  get running(): boolean {
    return this.up;
  }

  protected async start(): Promise<void> {}
  protected async stop(): Promise<void> {}

  /** A frame from the wire (the switch): into the host stack. */
  send(frame: Uint8Array): void {
    const c = this.counters;
    if (!this.up) {
      c.iqdrops++;
      return;
    }
    c.ipackets++;
    c.ibytes += frame.length;
    this.tap(frame, 'in');
    const k = parseFrame(frame, this.key);
    if (k.truncated) {
      c.ierrors++;
      return;
    }
    if (k.ethDst !== this.macNum && k.ethDst !== BROADCAST) {
      if ((this.flags & IFF.PROMISC) === 0) c.iqdrops++;
      return;
    }
    const reply = this.answer(frame, k);
    if (reply) this.output(reply);
  }

  /** What the host stack answers to a frame, if anything (packages/packet's host stack). */
  private answer(frame: Uint8Array, k: FlowKey): Uint8Array | undefined {
    const a = this.address;
    if (!a) return undefined;
    if (this.self?.ip !== a.addr || this.self.mac !== this.mac) this.self = hostAddress(this.mac, a.addr);
    return answerFrame(frame, k, this.self);
  }

  /** A frame from the host stack onto the wire. */
  private output(frame: Uint8Array): void {
    const c = this.counters;
    if (!this.consumer) {
      c.oerrors++;
      return;
    }
    c.opackets++;
    c.obytes += frame.length;
    this.tap(frame, 'out');
    this.consumer(frame, 0n);
  }
}
