// The host's wire: Ethernet frames in VXLAN over one UDP socket, bound to the local address
// and sending to the switch's VXLAN port. The encapsulation is rump-net's vxlan(4) codec,
// the same bytes the switch side decodes. Datagrams with a bad header or another VNI are
// counted and dropped; sends in flight are bounded (beyond the bound a frame is dropped).

import { createSocket, type Socket } from 'node:dgram';
import { vxlanDecap, vxlanEncap } from '@rumpflow/rump-net';

export interface UdpAddress {
  readonly host: string;
  readonly port: number;
}

export interface VxlanPortOptions {
  readonly local: UdpAddress;
  readonly remote: UdpAddress;
  readonly vni: number;
  readonly onFrame: (frame: Uint8Array) => void;
  /** Datagrams handed to the socket and not yet sent (default 1024). */
  readonly maxPending?: number;
}

export interface VxlanPortCounters {
  datagramsIn: number;
  datagramsOut: number;
  /** Too short or without the VNI flag. */
  badHeader: number;
  /** For another VNI. */
  badVni: number;
  sendErrors: number;
  /** Frames dropped because too many sends were in flight. */
  sendDrops: number;
}

export class VxlanPort {
  readonly counters: VxlanPortCounters = {
    datagramsIn: 0,
    datagramsOut: 0,
    badHeader: 0,
    badVni: 0,
    sendErrors: 0,
    sendDrops: 0,
  };
  private socket: Socket | undefined;
  private pending = 0;
  private readonly maxPending: number;
  private readonly sent = (err: Error | null): void => {
    this.pending--;
    if (err) this.counters.sendErrors++;
  };

  constructor(private readonly o: VxlanPortOptions) {
    this.maxPending = o.maxPending ?? 1024;
  }

  /** The bound local address (useful with port 0), or undefined when closed. */
  get address(): UdpAddress | undefined {
    if (!this.socket) return undefined;
    const a = this.socket.address();
    return { host: a.address, port: a.port };
  }

  async open(): Promise<UdpAddress> {
    const s = createSocket({ type: 'udp4' });
    s.on('message', (msg) => this.receive(msg));
    // an ICMP port unreachable for an earlier send (the switch not up yet) surfaces here
    s.on('error', () => this.counters.sendErrors++);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(this.o.local.port, this.o.local.host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    this.socket = s;
    return this.address as UdpAddress;
  }

  send(frame: Uint8Array): void {
    const s = this.socket;
    if (!s || this.pending >= this.maxPending) {
      this.counters.sendDrops++;
      return;
    }
    this.pending++;
    this.counters.datagramsOut++;
    s.send(vxlanEncap(frame, this.o.vni), this.o.remote.port, this.o.remote.host, this.sent);
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private receive(d: Uint8Array): void {
    this.counters.datagramsIn++;
    const v = vxlanDecap(d);
    if (!v) this.counters.badHeader++;
    else if (v.vni !== this.o.vni) this.counters.badVni++;
    else this.o.onFrame(v.frame);
  }
}
