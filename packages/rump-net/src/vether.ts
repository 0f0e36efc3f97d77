// vether(4): a virtual Ethernet interface whose wire is whatever it is attached to (a
// switch's LOCAL port, or an ordinary member port). Behind it sits a minimal host stack for
// its IPv4 address (`inet 10.0.0.254/24`): it answers ARP requests for the address and ICMP
// echo requests to it, so a switch's LOCAL port reaches something pingable. Frames from the
// switch count as input (ipackets), the stack's answers as output (opackets). Frames for
// other hosts are counted in iqdrops unless the interface is PROMISC (then just ignored).

import { ETH_TYPE } from '@rumpflow/openflow';
import {
  FlowKey,
  IPPROTO,
  buildArp,
  buildIcmpEcho,
  ipv4ToString,
  macFromString,
  macToString,
  parseFrame,
} from '@rumpflow/packet';
import { IFF } from '@rumpflow/sysproxy';
import { Interface } from './ifnet.js';

const BROADCAST = 0xffffffffffff;
const ICMP_ECHO_REQUEST = 8;

export class VetherInterface extends Interface {
  private readonly key = new FlowKey();
  private readonly macNum: number;

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

  /** What the host stack answers to a frame, if anything. */
  private answer(frame: Uint8Array, k: FlowKey): Uint8Array | undefined {
    const a = this.address;
    if (!a) return undefined;
    const mine = a.addr;
    if (k.ethType === ETH_TYPE.ARP && k.arpOp === 1 && ipv4ToString(k.arpTpa) === mine) {
      return buildArp({
        op: 'reply',
        srcMac: this.mac,
        dstMac: macToString(k.arpSha),
        sha: this.mac,
        spa: mine,
        tha: macToString(k.arpSha),
        tpa: ipv4ToString(k.arpSpa),
      });
    }
    if (
      k.ethType === ETH_TYPE.IPV4 &&
      k.ipProto === IPPROTO.ICMP &&
      k.icmpType === ICMP_ECHO_REQUEST &&
      k.icmpCode === 0 &&
      k.ethDst === this.macNum &&
      ipv4ToString(k.ipv4Dst) === mine &&
      k.l4Off >= 0 &&
      frame.length >= k.l4Off + 8
    ) {
      const l4 = k.l4Off;
      const id = ((frame[l4 + 4] as number) << 8) | (frame[l4 + 5] as number);
      const seq = ((frame[l4 + 6] as number) << 8) | (frame[l4 + 7] as number);
      // The IPv4 total length bounds the echo data (the frame may carry Ethernet padding).
      const l3 = k.l3Off;
      const total = ((frame[l3 + 2] as number) << 8) | (frame[l3 + 3] as number);
      const end = Math.min(frame.length, l3 + total);
      return buildIcmpEcho({
        type: 'reply',
        srcMac: this.mac,
        dstMac: macToString(k.ethSrc),
        src: mine,
        dst: ipv4ToString(k.ipv4Src),
        id,
        seq,
        payload: frame.slice(l4 + 8, Math.max(l4 + 8, end)),
      });
    }
    return undefined;
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
