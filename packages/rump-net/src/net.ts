// The network of one rump kernel: the interfaces, their cloners (vxlanN, vetherN, switchN)
// and the interface ioctls (@rumpflow/sysproxy's ifioctl table) that configure them, as
// BSD's ifconfig drives them through a socket. `attach(kernel)` installs the ioctls on the
// kernel's sockets, /dev/bpf, and a /dev/switchN for each switch while it exists.
//
// Errors are errnos, as BSD answers: no such interface ENXIO, a name taken EEXIST, an ioctl
// the interface's driver does not do ENOTTY, a malformed argument or value EINVAL, an
// address or tunnel asked for but not set EADDRNOTAVAIL.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  type IoContext,
  type IoctlResult,
  type Kernel,
  KernelError,
  type Timers,
} from '@rumpflow/rump-kernel';
import {
  ERRNO,
  IFBIF,
  type IfIoctlName,
  type IfIoctlOut,
  IfIoctlError,
  decodeIfIoctlIn,
  encodeIfIoctlOut,
  ifIoctlName,
} from '@rumpflow/sysproxy';
import { bpfDriver } from './bpf.js';
import { type IfCounters, type Interface, NetError } from './ifnet.js';
import { type SwitchDeviceOptions, type SwitchDeviceStats, switchDriver } from './switch-device.js';
import { SwitchInterface } from './switch.js';
import { VetherInterface } from './vether.js';
import { type Tunnel, type VxlanOptions, VxlanInterface } from './vxlan.js';

export const CLONERS = ['switch', 'vether', 'vxlan'] as const;
export type ClonerName = (typeof CLONERS)[number];

/** The host's identity for stable datapath ids and MACs: /etc/machine-id, else the host name. */
export function hostIdentity(): string {
  try {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    if (id) return id;
  } catch {
    // no machine id: the host name will do
  }
  return hostname();
}

/** A locally administered unicast MAC from the host id and the interface name. */
export function interfaceMac(hostId: string, name: string): string {
  const h = createHash('sha256').update(`mac\0${hostId}\0${name}`).digest();
  const b = [0x02, h[0] as number, h[1] as number, h[2] as number, h[3] as number, h[4] as number];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export interface NetworkOptions {
  readonly timers: Timers;
  /** The switches' datapath clock in ms (default performance.now). */
  readonly now?: () => number;
  /** Flow entries per table of each switch (default 262144). */
  readonly maxFlowsPerTable?: number;
  /** Default: hostIdentity(). */
  readonly hostId?: string;
  /** At most this many interfaces (default 256; ENOSPC beyond). */
  readonly maxInterfaces?: number;
  readonly vxlan?: VxlanOptions;
  readonly switchDevice?: Omit<SwitchDeviceOptions, 'ioctl'>;
  /** Capture buffer per /dev/bpf open, bytes. */
  readonly bpfBufferSize?: number;
}

/** What the admin API and `ifconfig -a` show of one interface. */
export interface InterfaceSummary {
  name: string;
  driver: string;
  flags: number;
  mtu: number;
  mac: string;
  linkState: number;
  counters: IfCounters;
  address?: { addr: string; prefixlen: number };
  memberOf?: string;
  tunnel?: Tunnel;
  vnetid?: number;
  datapathId?: string;
  ports?: { member: string; portNo: number; local: boolean }[];
}

const ok = (out: Uint8Array | null = null): IoctlResult => ({ ret: 0, out });

function out<N extends IfIoctlName>(name: N, v: IfIoctlOut<N>): IoctlResult {
  return ok(encodeIfIoctlOut(name, v));
}

export class Network {
  readonly interfaces = new Map<string, Interface>();
  readonly deviceStats = new Map<string, SwitchDeviceStats>();
  readonly hostId: string;
  private kernel: Kernel | undefined;
  private readonly maxInterfaces: number;

  constructor(private readonly opts: NetworkOptions) {
    this.hostId = opts.hostId ?? hostIdentity();
    this.maxInterfaces = opts.maxInterfaces ?? 256;
  }

  /** Install the interface ioctls on `kernel`'s sockets and /dev/bpf in its device switch. */
  attach(kernel: Kernel): void {
    this.kernel = kernel;
    kernel.socketIoctl = (cmd, data, ctx) => this.ioctl(cmd, data, ctx);
    kernel.devices.register(
      'bpf',
      bpfDriver({
        lookup: (n) => this.interfaces.get(n),
        timers: this.opts.timers,
        ...(this.opts.bpfBufferSize ? { bufferSize: this.opts.bpfBufferSize } : {}),
      }),
    );
  }

  get(name: string): Interface {
    const i = this.interfaces.get(name);
    if (!i) throw new NetError(ERRNO.ENXIO, `no interface ${name}`);
    return i;
  }

  switch(name: string): SwitchInterface {
    const i = this.get(name);
    if (!(i instanceof SwitchInterface)) throw new NetError(ERRNO.ENOTTY, `${name} is not a switch`);
    return i;
  }

  private vxlan(name: string): VxlanInterface {
    const i = this.get(name);
    if (!(i instanceof VxlanInterface)) throw new NetError(ERRNO.ENOTTY, `${name} is not a vxlan interface`);
    return i;
  }

  /** Create an interface through its cloner ("vxlan0", "vether0", "switch0"). */
  create(name: string): Interface {
    const m = /^(switch|vether|vxlan)(0|[1-9]\d{0,4})$/.exec(name);
    if (!m) throw new NetError(ERRNO.EINVAL, `no cloner makes ${JSON.stringify(name)}`);
    if (this.interfaces.has(name)) throw new NetError(ERRNO.EEXIST, `${name} exists`);
    if (this.interfaces.size >= this.maxInterfaces)
      throw new NetError(ERRNO.ENOSPC, `at most ${this.maxInterfaces} interfaces`);
    const mac = interfaceMac(this.hostId, name);
    let ifp: Interface;
    switch (m[1] as ClonerName) {
      case 'vxlan':
        ifp = new VxlanInterface(name, mac, this.opts.vxlan);
        break;
      case 'vether':
        ifp = new VetherInterface(name, mac);
        break;
      case 'switch': {
        const sw = new SwitchInterface(name, mac, {
          timers: this.opts.timers,
          hostId: this.hostId,
          ...(this.opts.now ? { now: this.opts.now } : {}),
          ...(this.opts.maxFlowsPerTable ? { maxFlowsPerTable: this.opts.maxFlowsPerTable } : {}),
        });
        const stats: SwitchDeviceStats = {
          opens: 0,
          openNow: 0,
          bytesToController: 0,
          bytesToSwitch: 0,
          asyncDropped: 0,
          overflowResets: 0,
        };
        this.kernel?.devices.register(
          name,
          switchDriver(sw, stats, {
            ...this.opts.switchDevice,
            ioctl: (cmd, data, ctx) => this.ioctl(cmd, data, ctx),
          }),
        );
        this.deviceStats.set(name, stats);
        ifp = sw;
        break;
      }
    }
    this.interfaces.set(name, ifp);
    return ifp;
  }

  async destroy(name: string): Promise<void> {
    const ifp = this.get(name);
    this.interfaces.delete(name);
    if (ifp.memberOf !== undefined) {
      const sw = this.interfaces.get(ifp.memberOf);
      if (sw instanceof SwitchInterface) sw.delMember(name);
    }
    if (ifp instanceof SwitchInterface) {
      this.kernel?.devices.unregister(name);
      this.deviceStats.delete(name);
    }
    await ifp.destroy();
  }

  /** Destroy every interface (the kernel is going down). */
  async close(): Promise<void> {
    // Switches first, so members are detached before they go.
    const names = [...this.interfaces.keys()].sort(
      (a, b) => Number(b.startsWith('switch')) - Number(a.startsWith('switch')),
    );
    for (const n of names) await this.destroy(n);
  }

  /** Interfaces sorted by driver and unit. */
  list(): Interface[] {
    const unit = (n: string) => Number(/\d+$/.exec(n)?.[0] ?? 0);
    return [...this.interfaces.values()].sort((a, b) =>
      a.driver === b.driver ? unit(a.name) - unit(b.name) : a.driver < b.driver ? -1 : 1,
    );
  }

  summary(ifp: Interface): InterfaceSummary {
    const s: InterfaceSummary = {
      name: ifp.name,
      driver: ifp.driver,
      flags: ifp.flags,
      mtu: ifp.mtu,
      mac: ifp.mac,
      linkState: ifp.linkState,
      counters: { ...ifp.counters },
    };
    if (ifp.address) s.address = { ...ifp.address };
    if (ifp.memberOf !== undefined) s.memberOf = ifp.memberOf;
    if (ifp instanceof VxlanInterface) {
      if (ifp.tunnel) s.tunnel = { ...ifp.tunnel };
      if (ifp.vnetid !== undefined) s.vnetid = ifp.vnetid;
    }
    if (ifp instanceof SwitchInterface) {
      s.datapathId = `0x${ifp.datapathId.toString(16).padStart(16, '0')}`;
      s.ports = ifp.ports.map((m) => ({ member: m.ifp.name, portNo: m.portNo, local: m.local }));
    }
    return s;
  }

  /** An interface ioctl: its result, or a KernelError with BSD's errno. */
  async ioctl(cmd: number, data: Uint8Array | null, _ctx?: IoContext): Promise<IoctlResult> {
    try {
      return await this.dispatch(cmd, data);
    } catch (e) {
      if (e instanceof NetError || e instanceof IfIoctlError) throw new KernelError(e.errno, e.message);
      throw e;
    }
  }

  private async dispatch(cmd: number, data: Uint8Array | null): Promise<IoctlResult> {
    const name = ifIoctlName(cmd);
    switch (name) {
      case 'SIOCIFCREATE':
        this.create(decodeIfIoctlIn(name, data).name);
        return ok();
      case 'SIOCIFDESTROY':
        await this.destroy(decodeIfIoctlIn(name, data).name);
        return ok();
      case 'SIOCIFGCLONERS':
        return out(name, { cloners: CLONERS.map((c) => ({ name: c })) });
      case 'SIOCGIFCONF':
        return out(name, { interfaces: this.list().map((i) => ({ name: i.name })) });
      case 'SIOCGIFFLAGS': {
        const i = this.get(decodeIfIoctlIn(name, data).name);
        return out(name, { name: i.name, flags: i.flags });
      }
      case 'SIOCSIFFLAGS': {
        const a = decodeIfIoctlIn(name, data);
        await this.get(a.name).setFlags(a.flags);
        return ok();
      }
      case 'SIOCGIFMTU': {
        const i = this.get(decodeIfIoctlIn(name, data).name);
        return out(name, { name: i.name, mtu: i.mtu });
      }
      case 'SIOCSIFMTU': {
        const a = decodeIfIoctlIn(name, data);
        this.get(a.name).setMtu(a.mtu);
        return ok();
      }
      case 'SIOCAIFADDR': {
        const a = decodeIfIoctlIn(name, data);
        if (a.prefixlen > 32) throw new NetError(ERRNO.EINVAL, `prefix length ${a.prefixlen}`);
        this.get(a.name).address = { addr: a.addr, prefixlen: a.prefixlen };
        return ok();
      }
      case 'SIOCDIFADDR': {
        const a = decodeIfIoctlIn(name, data);
        const i = this.get(a.name);
        if (i.address?.addr !== a.addr)
          throw new NetError(ERRNO.EADDRNOTAVAIL, `${a.addr} is not on ${a.name}`);
        i.address = undefined;
        return ok();
      }
      case 'SIOCGIFADDR': {
        const i = this.get(decodeIfIoctlIn(name, data).name);
        if (!i.address) throw new NetError(ERRNO.EADDRNOTAVAIL, `${i.name} has no address`);
        return out(name, { name: i.name, ...i.address });
      }
      case 'SIOCGIFDATA': {
        const i = this.get(decodeIfIoctlIn(name, data).name);
        const c = i.counters;
        const u = (n: number) => BigInt(n);
        return out(name, {
          name: i.name,
          driver: i.driver,
          flags: i.flags,
          mtu: i.mtu,
          linkState: i.linkState,
          mac: i.mac,
          ipackets: u(c.ipackets),
          opackets: u(c.opackets),
          ibytes: u(c.ibytes),
          obytes: u(c.obytes),
          ierrors: u(c.ierrors),
          oerrors: u(c.oerrors),
          iqdrops: u(c.iqdrops),
          collisions: u(c.collisions),
          badvni: u(c.badvni),
          badhdr: u(c.badhdr),
        });
      }
      case 'SIOCSLIFPHYADDR': {
        const a = decodeIfIoctlIn(name, data);
        await this.vxlan(a.name).setTunnel({
          src: a.src,
          srcport: a.srcport,
          dst: a.dst,
          dstport: a.dstport,
        });
        return ok();
      }
      case 'SIOCGLIFPHYADDR': {
        const v = this.vxlan(decodeIfIoctlIn(name, data).name);
        if (!v.tunnel) throw new NetError(ERRNO.EADDRNOTAVAIL, `${v.name} has no tunnel`);
        return out(name, { name: v.name, ...v.tunnel });
      }
      case 'SIOCDIFPHYADDR':
        await this.vxlan(decodeIfIoctlIn(name, data).name).setTunnel(undefined);
        return ok();
      case 'SIOCSVNETID': {
        const a = decodeIfIoctlIn(name, data);
        this.vxlan(a.name).setVnetid(a.vnetid);
        return ok();
      }
      case 'SIOCGVNETID': {
        const v = this.vxlan(decodeIfIoctlIn(name, data).name);
        if (v.vnetid === undefined) throw new NetError(ERRNO.EADDRNOTAVAIL, `${v.name} has no vnetid`);
        return out(name, { name: v.name, vnetid: v.vnetid });
      }
      case 'SIOCBRDGADD':
      case 'SIOCBRDGADDL': {
        const a = decodeIfIoctlIn(name, data);
        const sw = this.switch(a.name);
        const portno = sw.addMember(this.get(a.member), a.portno, name === 'SIOCBRDGADDL');
        return out(name, { name: a.name, member: a.member, portno });
      }
      case 'SIOCBRDGDEL': {
        const a = decodeIfIoctlIn(name, data);
        this.switch(a.name).delMember(a.member);
        return ok();
      }
      case 'SIOCSWSPORTNO': {
        const a = decodeIfIoctlIn(name, data);
        this.switch(a.name).setPortNo(a.member, a.portno);
        return ok();
      }
      case 'SIOCBRDGIFS': {
        const sw = this.switch(decodeIfIoctlIn(name, data).name);
        return out(name, {
          name: sw.name,
          ports: sw.ports.map((m) => ({
            member: m.ifp.name,
            portno: m.portNo,
            flags: m.local ? IFBIF.LOCAL : 0,
          })),
        });
      }
      case 'SIOCSWSDPID': {
        const a = decodeIfIoctlIn(name, data);
        this.switch(a.name).setDatapathId(a.datapath);
        return ok();
      }
      case 'SIOCSWGDPID': {
        const sw = this.switch(decodeIfIoctlIn(name, data).name);
        return out(name, { name: sw.name, datapath: sw.datapathId });
      }
      default:
        throw new NetError(
          ERRNO.ENOTTY,
          `ioctl 0x${(cmd >>> 0).toString(16)}${name ? ` (${name})` : ''} is not an interface ioctl`,
        );
    }
  }
}
