// Frames through the kernel's interfaces against real UDP sockets on loopback: VXLAN in and
// out of a switch, the VNI as TUNNEL_ID, the drop counters, the vether host answering ARP
// and ping through the LOCAL port, and captures from /dev/bpf read back by tshark.
import { type Socket, createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageFramer, type Message, decode, encode, flowModFrom, parseFlow } from '@rumpflow/openflow';
import { FlowKey, buildArp, buildIcmpEcho, buildUdp, macToString, parseFrame } from '@rumpflow/packet';
import { Interrupt, Kernel, type Process, realTimers } from '@rumpflow/rump-kernel';
import {
  DLT,
  IFF,
  IFIOCTL,
  type IfIoctlIn,
  type IfIoctlName,
  type IfIoctlOut,
  O,
  SYSCALLS,
  type SyscallName,
  type Value,
  decodeIfIoctlOut,
  encodeIfIoctlIn,
} from '@rumpflow/sysproxy';
import { inetChecksum, pcapOf, requireTshark, runTshark } from '@rumpflow/test-tools';
import { Network } from './net.js';
import { vxlanDecap, vxlanEncap, type VxlanInterface } from './vxlan.js';

const call = (k: Kernel, p: Process, name: SyscallName, args: Value[]) =>
  k.syscall(p, SYSCALLS[name].number, args, new Interrupt());

interface Peer {
  sock: Socket;
  port: number;
  got: Uint8Array[];
  next(): Promise<Uint8Array>;
}

async function peer(address = '127.0.0.1'): Promise<Peer> {
  const sock = createSocket('udp4');
  const got: Uint8Array[] = [];
  let waiter: (() => void) | undefined;
  sock.on('message', (m) => {
    got.push(new Uint8Array(m));
    waiter?.();
  });
  await new Promise<void>((r) => sock.bind(0, address, () => r()));
  return {
    sock,
    port: sock.address().port,
    got,
    next: async () => {
      const deadline = Date.now() + 5000;
      while (got.length === 0) {
        if (Date.now() > deadline) throw new Error('no datagram within 5 s');
        await new Promise<void>((r) => {
          waiter = r;
          setTimeout(r, 50);
        });
      }
      return got.shift() as Uint8Array;
    },
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function kernel() {
  const k = new Kernel();
  const net = new Network({ timers: realTimers, hostId: 'net-test' });
  net.attach(k);
  cleanups.push(() => net.close());
  const p = k.newProcess('test');
  const [sock] = (await call(k, p, '__socket30', [2, 2, 0])) as [number];
  const ioctl = async <N extends IfIoctlName>(
    name: N,
    arg: IfIoctlIn<N>,
    fd = sock,
  ): Promise<IfIoctlOut<N>> => {
    const [, out] = (await call(k, p, 'ioctl', [fd, IFIOCTL[name], encodeIfIoctlIn(name, arg)])) as [
      number,
      Uint8Array | null,
    ];
    return decodeIfIoctlOut(name, out);
  };
  /** A vxlan interface towards `to`, bound to an ephemeral port; returns its port. */
  const vxlan = async (
    name: string,
    to: Peer,
    vnetid: number | undefined,
    portno: number,
  ): Promise<number> => {
    await ioctl('SIOCIFCREATE', { name });
    await ioctl('SIOCSLIFPHYADDR', {
      name,
      src: '127.0.0.1',
      srcport: 0,
      dst: '127.0.0.1',
      dstport: to.port,
    });
    if (vnetid !== undefined) await ioctl('SIOCSVNETID', { name, vnetid });
    await ioctl('SIOCSIFFLAGS', { name, flags: IFF.UP });
    await ioctl('SIOCBRDGADD', { name: 'switch0', member: name, portno });
    return (net.get(name) as VxlanInterface).localPort as number;
  };
  /** Open /dev/switch0, handshake, and install flows given in ovs-ofctl syntax. */
  const flows = async (...specs: string[]): Promise<number> => {
    const [fd] = (await call(k, p, 'open', ['/dev/switch0', O.RDWR, 0])) as [number];
    await call(k, p, 'read', [fd, 65536]);
    const out: Uint8Array[] = [encode({ type: 'HELLO', version: 4, xid: 1, elements: [] })];
    specs.forEach((s, i) => out.push(encode({ ...flowModFrom(parseFlow(s)), xid: 10 + i } as Message)));
    out.push(encode({ type: 'BARRIER_REQUEST', xid: 99 }));
    await call(k, p, 'write', [fd, Buffer.concat(out)]);
    const [, reply] = (await call(k, p, 'read', [fd, 65536])) as [number, Uint8Array];
    expect(new MessageFramer().push(reply).map((m) => decode(m).type)).toEqual(['BARRIER_REPLY']);
    return fd;
  };
  await ioctl('SIOCIFCREATE', { name: 'switch0' });
  await ioctl('SIOCSIFFLAGS', { name: 'switch0', flags: IFF.UP });
  return { k, p, net, ioctl, vxlan, flows };
}

async function newPeer(address?: string): Promise<Peer> {
  const pr = await peer(address);
  cleanups.push(() => new Promise<void>((r) => pr.sock.close(() => r())));
  return pr;
}

const send = (from: Peer, port: number, d: Uint8Array) =>
  new Promise<void>((r) => from.sock.send(d, port, '127.0.0.1', () => r()));

const H1 = '02:00:00:00:00:01';
const H2 = '02:00:00:00:00:02';
const ping = (seq: number, dstMac = H2, dst = '10.0.0.2'): Uint8Array =>
  Uint8Array.from(
    buildIcmpEcho({
      type: 'request',
      srcMac: H1,
      dstMac,
      src: '10.0.0.1',
      dst,
      id: 0x77,
      seq,
      payload: new TextEncoder().encode('rumpflow ping data'),
    }),
  );

describe('vxlan', () => {
  it('encapsulation round-trips; a malformed header is refused', () => {
    const f = ping(1);
    const d = vxlanEncap(f, 0xabcdef);
    expect([...d.subarray(0, 8)]).toEqual([0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0]);
    expect(vxlanDecap(d)).toEqual({ vni: 0xabcdef, frame: f });
    const bad = d.slice();
    bad[0] = 0;
    expect(vxlanDecap(bad)).toBeUndefined();
    expect(vxlanDecap(d.subarray(0, 20))).toBeUndefined();
  });

  it('carries frames between UDP peers through the switch, the VNI matched as tun_id; drops are counted', async () => {
    const { net, ioctl, vxlan, flows } = await kernel();
    const a = await newPeer();
    const b = await newPeer();
    const aPort = await vxlan('vxlan0', a, 42, 1);
    const bPort = await vxlan('vxlan1', b, 43, 2);
    expect(aPort).toBeGreaterThan(0);
    await flows('priority=10,in_port=1,tun_id=42,actions=output:2', 'priority=10,in_port=2,actions=output:1');
    const f = ping(1);
    await send(a, aPort, vxlanEncap(f, 42));
    const out = await b.next();
    expect(vxlanDecap(out)).toEqual({ vni: 43, frame: f });
    // and back, from another source port of the remote address
    const b2 = await newPeer();
    const reply = Uint8Array.from(
      buildIcmpEcho({
        type: 'reply',
        srcMac: H2,
        dstMac: H1,
        src: '10.0.0.2',
        dst: '10.0.0.1',
        id: 0x77,
        seq: 1,
      }),
    );
    await send(b2, bPort, vxlanEncap(reply, 43));
    expect(vxlanDecap(await a.next())).toEqual({ vni: 42, frame: reply });
    // wrong VNI, malformed header, a stranger's datagram: counted, dropped
    await send(a, aPort, vxlanEncap(f, 7));
    const broken = vxlanEncap(f, 42);
    broken[0] = 0;
    await send(a, aPort, broken);
    await send(a, aPort, new Uint8Array(5));
    const stranger = await newPeer('127.0.0.2');
    await new Promise<void>((r) => stranger.sock.send(vxlanEncap(f, 42), aPort, '127.0.0.1', () => r()));
    await send(a, aPort, vxlanEncap(f, 42)); // a marker: once it is out, the others were seen
    await b.next();
    const d = await ioctl('SIOCGIFDATA', { name: 'vxlan0' });
    expect(d).toMatchObject({
      driver: 'vxlan',
      badvni: 1n,
      badhdr: 2n,
      ierrors: 4n,
      ipackets: 2n,
      opackets: 1n,
    });
    expect(d.ibytes).toBe(BigInt(2 * f.length));
    expect(b.got).toEqual([]);
    expect(net.get('vxlan1').counters.opackets).toBe(2);
  });

  it('binds its socket only while up and configured; the link state reaches the switch', async () => {
    const { net, ioctl } = await kernel();
    const a = await newPeer();
    await ioctl('SIOCIFCREATE', { name: 'vxlan0' });
    const v = net.get('vxlan0') as VxlanInterface;
    await ioctl('SIOCSIFFLAGS', { name: 'vxlan0', flags: IFF.UP });
    expect(v.running).toBe(false); // up, but no tunnel
    await ioctl('SIOCBRDGADD', { name: 'switch0', member: 'vxlan0', portno: 5 });
    const port = () => net.switch('switch0').datapath.port(5);
    expect((port()?.state ?? 0) & 1).toBe(1); // OFPPS_LINK_DOWN
    await ioctl('SIOCSLIFPHYADDR', {
      name: 'vxlan0',
      src: '127.0.0.1',
      srcport: 0,
      dst: '127.0.0.1',
      dstport: a.port,
    });
    expect(v.localPort).toBeGreaterThan(0);
    expect((port()?.state ?? 1) & 1).toBe(0);
    expect(await ioctl('SIOCGLIFPHYADDR', { name: 'vxlan0' })).toMatchObject({
      dst: '127.0.0.1',
      dstport: a.port,
    });
    // a second interface on the same local port cannot come up: EADDRINUSE, and it stays down
    await ioctl('SIOCIFCREATE', { name: 'vxlan1' });
    await ioctl('SIOCSLIFPHYADDR', {
      name: 'vxlan1',
      src: '127.0.0.1',
      srcport: v.localPort as number,
      dst: '127.0.0.1',
      dstport: a.port,
    });
    await expect(ioctl('SIOCSIFFLAGS', { name: 'vxlan1', flags: IFF.UP })).rejects.toMatchObject({
      errno: 48,
    });
    expect((await ioctl('SIOCGIFFLAGS', { name: 'vxlan1' })).flags & IFF.UP).toBe(0);
    await ioctl('SIOCSIFFLAGS', { name: 'vxlan0', flags: 0 });
    expect(v.localPort).toBeUndefined();
    expect((port()?.state ?? 0) & 1).toBe(1);
    // operations from several clients at once are serialized: up, tunnel, down, up all land
    await Promise.all([
      ioctl('SIOCSIFFLAGS', { name: 'vxlan0', flags: IFF.UP }),
      ioctl('SIOCSLIFPHYADDR', {
        name: 'vxlan0',
        src: '127.0.0.1',
        srcport: 0,
        dst: '127.0.0.1',
        dstport: a.port + 0,
      }),
      ioctl('SIOCSIFFLAGS', { name: 'vxlan0', flags: 0 }),
      ioctl('SIOCSIFFLAGS', { name: 'vxlan0', flags: IFF.UP }),
    ]);
    expect(v.running).toBe(true);
    expect((port()?.state ?? 1) & 1).toBe(0);
  });
});

describe('vether behind the LOCAL port', () => {
  it('answers ARP and ping from a VXLAN host; the capture of vxlan0 and the VXLAN datagram read back by tshark', async () => {
    const { k, p, ioctl, vxlan, flows } = await kernel();
    const a = await newPeer();
    const aPort = await vxlan('vxlan0', a, 42, 1);
    await ioctl('SIOCIFCREATE', { name: 'vether0' });
    await ioctl('SIOCAIFADDR', { name: 'vether0', addr: '10.0.0.254', prefixlen: 24 });
    await ioctl('SIOCSIFFLAGS', { name: 'vether0', flags: IFF.UP });
    await ioctl('SIOCBRDGADDL', { name: 'switch0', member: 'vether0', portno: 0 });
    await flows('priority=10,in_port=1,actions=LOCAL', 'priority=10,in_port=LOCAL,actions=output:1');
    const [bpf] = (await call(k, p, 'open', ['/dev/bpf', O.RDONLY | O.NONBLOCK, 0])) as [number];
    await call(k, p, 'ioctl', [bpf, IFIOCTL.BIOCSETIF, encodeIfIoctlIn('BIOCSETIF', { name: 'vxlan0' })]);

    const arp = buildArp({ op: 'request', srcMac: H1, sha: H1, spa: '10.0.0.1', tpa: '10.0.0.254' });
    await send(a, aPort, vxlanEncap(arp, 42));
    const arpReply = vxlanDecap(await a.next())?.frame as Uint8Array;
    const key = parseFrame(arpReply, new FlowKey());
    expect(key.arpOp).toBe(2);
    const vetherMac = macToString(key.arpSha);
    expect(vetherMac).toBe((await ioctl('SIOCGIFDATA', { name: 'vether0' })).mac);

    await send(a, aPort, vxlanEncap(ping(1, vetherMac, '10.0.0.254'), 42));
    const echo = vxlanDecap(await a.next())?.frame as Uint8Array;
    const ek = parseFrame(echo, new FlowKey());
    expect([ek.icmpType, ek.tpSrc]).toEqual([0, 0]);
    expect(inetChecksum(echo.subarray(ek.l4Off))).toBe(0);
    expect(new TextDecoder().decode(echo.subarray(ek.l4Off + 8))).toBe('rumpflow ping data');
    const vd = await ioctl('SIOCGIFDATA', { name: 'vether0' });
    expect([vd.ipackets, vd.opackets]).toEqual([2n, 2n]);

    const [, pcap] = (await call(k, p, 'read', [bpf, 1 << 20])) as [number, Uint8Array];
    const [, st] = (await call(k, p, 'ioctl', [bpf, IFIOCTL.BIOCGSTATS, null])) as [number, Uint8Array];
    expect(decodeIfIoctlOut('BIOCGSTATS', st)).toEqual({ recv: 4n, drop: 0n });
    if (
      !requireTshark('rump-net capture', [
        'the pcap of /dev/bpf and a VXLAN datagram are not dissected by tshark',
      ])
    )
      return;
    const lines = (await runTshark(pcap, ['-T', 'fields', '-e', 'frame.protocols', '-e', '_ws.col.Info']))
      .trim()
      .split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/eth:ethertype:arp\tWho has 10\.0\.0\.254\? Tell 10\.0\.0\.1/);
    expect(lines[1]).toMatch(/arp\t10\.0\.0\.254 is at/);
    expect(lines[2]).toMatch(/icmp.*Echo \(ping\) request/);
    expect(lines[3]).toMatch(/icmp.*Echo \(ping\) reply/);
    // the VXLAN datagram itself, as the peer received it, put in a UDP packet to port 4789
    const datagram = vxlanEncap(echo, 42);
    const outer = buildUdp({
      srcMac: H1,
      dstMac: H2,
      src: '127.0.0.1',
      dst: '127.0.0.1',
      srcPort: aPort,
      dstPort: 4789,
      payload: datagram,
    });
    const v = await runTshark(pcapOf([outer]), ['-V']);
    expect(v).toMatch(/Virtual eXtensible Local Area Network/);
    expect(v).toMatch(/VXLAN Network Identifier \(VNI\): 42/);
    expect(v).toMatch(/Echo \(ping\) reply/);
  });
});

describe('/dev/bpf on a switch with DLT_OPENFLOW', () => {
  it('captures the channel messages with the OpenBSD pseudo-header; tshark dissects them', async () => {
    const { k, p, net, ioctl } = await kernel();
    const [bpf] = (await call(k, p, 'open', ['/dev/bpf', O.RDONLY, 0])) as [number];
    await call(k, p, 'ioctl', [bpf, IFIOCTL.BIOCSETIF, encodeIfIoctlIn('BIOCSETIF', { name: 'switch0' })]);
    await call(k, p, 'ioctl', [bpf, IFIOCTL.BIOCSDLT, encodeIfIoctlIn('BIOCSDLT', { dlt: DLT.OPENFLOW })]);
    // DLT_OPENFLOW is a switch's: on a vether it is EINVAL
    await ioctl('SIOCIFCREATE', { name: 'vether3' });
    const [bad] = (await call(k, p, 'open', ['/dev/bpf', O.RDONLY, 0])) as [number];
    await call(k, p, 'ioctl', [bad, IFIOCTL.BIOCSETIF, encodeIfIoctlIn('BIOCSETIF', { name: 'vether3' })]);
    await expect(
      call(k, p, 'ioctl', [bad, IFIOCTL.BIOCSDLT, encodeIfIoctlIn('BIOCSDLT', { dlt: DLT.OPENFLOW })]),
    ).rejects.toMatchObject({ errno: 22 });
    await expect(call(k, p, 'ioctl', [bad, IFIOCTL.SIOCGIFCONF, null])).rejects.toMatchObject({ errno: 25 });
    const [, g] = (await call(k, p, 'ioctl', [bpf, IFIOCTL.BIOCGDLT, null])) as [number, Uint8Array];
    expect(decodeIfIoctlOut('BIOCGDLT', g).dlt).toBe(267);
    const [fd] = (await call(k, p, 'open', ['/dev/switch0', O.RDWR, 0])) as [number];
    await call(k, p, 'read', [fd, 65536]);
    const hello = encode({ type: 'HELLO', version: 4, xid: 1, elements: [] });
    const feat = encode({ type: 'FEATURES_REQUEST', xid: 2 });
    const both = Buffer.concat([hello, feat]);
    await call(k, p, 'write', [fd, both.subarray(0, 11)]); // a write ending inside a message
    await call(k, p, 'write', [fd, both.subarray(11)]);
    await call(k, p, 'read', [fd, 65536]);
    const [, pcap] = (await call(k, p, 'read', [bpf, 1 << 20])) as [number, Uint8Array];
    const dv = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
    expect(dv.getUint32(20, true)).toBe(267);
    // records: HELLO to the controller, HELLO and FEATURES_REQUEST to the switch, FEATURES_REPLY back
    const recs: { dir: number; dpid: bigint; type: number }[] = [];
    for (let o = 24; o < pcap.length;) {
      const len = dv.getUint32(o + 8, true);
      recs.push({
        dir: dv.getUint32(o + 16),
        dpid: dv.getBigUint64(o + 20),
        type: pcap[o + 16 + 12 + 1] as number,
      });
      o += 16 + len;
    }
    const dpid = (await ioctl('SIOCSWGDPID', { name: 'switch0' })).datapath;
    expect(recs).toEqual([
      { dir: 2, dpid, type: 0 },
      { dir: 1, dpid, type: 0 },
      { dir: 1, dpid, type: 5 },
      { dir: 2, dpid, type: 6 },
    ]);
    expect(net.switch('switch0').channelCount).toBe(1);
    if (
      !requireTshark('rump-net DLT_OPENFLOW capture', ['the DLT_OPENFLOW capture is not dissected by tshark'])
    )
      return;
    // tshark 4.0 has no dissector registered for link type 267: the same records under a user
    // DLT (147) whose 12-byte header is skipped before the OpenFlow dissector.
    const asUser = Uint8Array.from(pcap);
    new DataView(asUser.buffer).setUint32(20, 147, true);
    const out = await runTshark(asUser, [
      '-o',
      'uat:user_dlts:"User 0 (DLT=147)","openflow","12","","0",""',
      '-T',
      'fields',
      '-e',
      'openflow_v4.type',
    ]);
    expect(out.trim().split('\n')).toEqual(['0', '0', '5', '6']);
  });
});
