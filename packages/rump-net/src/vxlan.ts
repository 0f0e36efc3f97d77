// vxlan(4): an Ethernet port carried in VXLAN (RFC 7348) over UDP.
//
//   header: flags (0x08: the I bit, VNI valid), 3 reserved bytes, VNI (24 bits), 1 reserved byte
//
// The UDP socket exists only while the interface is UP and has a tunnel (`tunnel SRC:PORT
// DST:PORT`); it is bound to SRC:PORT. Datagrams are taken from any source port of DST's
// address (Linux sends from a port hashed from the inner flow); other senders are counted in
// ierrors. A datagram too short for the header and an Ethernet header, or without the I bit,
// is counted in badhdr; one for another VNI than `vnetid` in badvni (both also in ierrors);
// without a vnetid any VNI is accepted and frames go out with VNI 0. The VNI reaches the
// switch as TUNNEL_ID. Output is bounded: at most `maxPending` datagrams handed to the socket
// and not yet sent; beyond that a frame is dropped and counted in oerrors.

import { createSocket, type Socket } from 'node:dgram';
import { ERRNO } from '@rumpflow/sysproxy';
import { Interface, NetError } from './ifnet.js';

export const VXLAN_HEADER_LEN = 8;
const ETHER_HEADER_LEN = 14;
const FLAG_I = 0x08;
export const MAX_VNI = 0xffffff;

export interface Tunnel {
  readonly src: string;
  readonly srcport: number;
  readonly dst: string;
  readonly dstport: number;
}

export interface VxlanOptions {
  /** Datagrams in flight to the socket before frames are dropped (default 1024). */
  readonly maxPending?: number;
}

/** VXLAN-encapsulate `frame` with `vni` (header + frame in one new buffer). */
export function vxlanEncap(frame: Uint8Array, vni: number): Uint8Array {
  const out = new Uint8Array(VXLAN_HEADER_LEN + frame.length);
  out[0] = FLAG_I;
  out[4] = (vni >>> 16) & 0xff;
  out[5] = (vni >>> 8) & 0xff;
  out[6] = vni & 0xff;
  out.set(frame, VXLAN_HEADER_LEN);
  return out;
}

/** The VNI and inner frame of a VXLAN datagram, or undefined when the header is malformed. */
export function vxlanDecap(d: Uint8Array): { vni: number; frame: Uint8Array } | undefined {
  if (d.length < VXLAN_HEADER_LEN + ETHER_HEADER_LEN || ((d[0] as number) & FLAG_I) === 0) return undefined;
  const vni = ((d[4] as number) << 16) | ((d[5] as number) << 8) | (d[6] as number);
  return { vni, frame: d.subarray(VXLAN_HEADER_LEN) };
}

export class VxlanInterface extends Interface {
  tunnel: Tunnel | undefined;
  vnetid: number | undefined;
  private socket: Socket | undefined;
  private pending = 0;
  private lastVni = 0;
  private lastTunnelId = 0n;
  /** The send callback, one function for every datagram. */
  private readonly sent = (err: Error | null): void => {
    this.pending--;
    if (err) this.counters.oerrors++;
  };
  private readonly maxPending: number;

  constructor(name: string, mac: string, opts: VxlanOptions = {}) {
    super(name, 'vxlan', mac);
    this.maxPending = opts.maxPending ?? 1024;
  }

  get running(): boolean {
    return this.socket !== undefined;
  }

  /** The bound local port (useful with port 0), or undefined. */
  get localPort(): number | undefined {
    return this.socket?.address().port;
  }

  /** Set or clear the tunnel; while UP the socket is rebound at once. */
  setTunnel(t: Tunnel | undefined): Promise<void> {
    if (t && (t.dstport === 0 || !/^\d+\.\d+\.\d+\.\d+$/.test(t.dst)))
      return Promise.reject(new NetError(ERRNO.EINVAL, 'tunnel destination'));
    return this.exclusive(async () => {
      const wasRunning = this.running;
      try {
        await this.unbind();
        this.tunnel = t;
        if (this.up) await this.bind();
      } finally {
        if (this.running !== wasRunning) this.linkChanged();
      }
    });
  }

  setVnetid(vni: number | undefined): void {
    if (vni !== undefined && (!Number.isInteger(vni) || vni < 0 || vni > MAX_VNI))
      throw new NetError(ERRNO.EINVAL, `vnetid ${vni}: 0..${MAX_VNI}`);
    this.vnetid = vni;
  }

  protected async start(): Promise<void> {
    await this.bind();
  }

  protected async stop(): Promise<void> {
    await this.unbind();
  }

  private async bind(): Promise<void> {
    const t = this.tunnel;
    if (!t || this.socket) return;
    // Larger socket buffers absorb bursts (the host caps them at its rmem_max/wmem_max).
    const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    s.on('message', (msg, rinfo) => this.input(msg, rinfo.address));
    // An ICMP port unreachable for an earlier send surfaces here: the output failed.
    s.on('error', () => this.counters.oerrors++);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(t.srcport, t.src, () => {
        s.off('error', reject);
        resolve();
      });
    }).catch((e: NodeJS.ErrnoException) => {
      s.close();
      throw new NetError(
        e.code === 'EADDRINUSE' ? ERRNO.EADDRINUSE : ERRNO.EADDRNOTAVAIL,
        `bind ${t.src}:${t.srcport}: ${e.message}`,
      );
    });
    this.socket = s;
  }

  private async unbind(): Promise<void> {
    const s = this.socket;
    if (!s) return;
    this.socket = undefined;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private input(d: Uint8Array, from: string): void {
    const c = this.counters;
    if (from !== this.tunnel?.dst) {
      c.ierrors++;
      return;
    }
    const v = vxlanDecap(d);
    if (!v) {
      c.badhdr++;
      c.ierrors++;
      return;
    }
    if (this.vnetid !== undefined && v.vni !== this.vnetid) {
      c.badvni++;
      c.ierrors++;
      return;
    }
    c.ipackets++;
    c.ibytes += v.frame.length;
    this.tap(v.frame, 'in');
    // one BigInt per VNI change rather than per frame
    if (v.vni !== this.lastVni) {
      this.lastVni = v.vni;
      this.lastTunnelId = BigInt(v.vni);
    }
    if (this.consumer) this.consumer(v.frame, this.lastTunnelId);
    else c.iqdrops++;
  }

  send(frame: Uint8Array): void {
    const s = this.socket;
    const t = this.tunnel;
    if (!s || !t || !this.up) {
      this.counters.oerrors++;
      return;
    }
    if (this.pending >= this.maxPending || frame.length > this.mtu + ETHER_HEADER_LEN + 4) {
      this.counters.oerrors++;
      return;
    }
    this.tap(frame, 'out');
    const d = vxlanEncap(frame, this.vnetid ?? 0);
    this.pending++;
    this.counters.opackets++;
    this.counters.obytes += frame.length;
    s.send(d, t.dstport, t.dst, this.sent);
  }
}
