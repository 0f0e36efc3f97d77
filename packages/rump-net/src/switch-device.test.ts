// /dev/switchN through the kernel's syscall layer: the interfaces configured with the ioctls
// on a socket, the device opened, read, written, polled and closed as a client would.
import { describe, expect, it } from 'vitest';
import {
  MessageFramer,
  type Message,
  OFPP,
  decode,
  encode,
  flowModFrom,
  flowStatsRequest,
  parseFlow,
} from '@rumpflow/openflow';
import { Interrupt, Kernel, KernelError, ManualTimers, type Process } from '@rumpflow/rump-kernel';
import {
  ERRNO,
  EV,
  EVFILT,
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
  keventFromValue,
  keventToValue,
} from '@rumpflow/sysproxy';
import { Network } from './net.js';

const call = (k: Kernel, p: Process, name: SyscallName, args: Value[], intr = new Interrupt()) =>
  k.syscall(p, SYSCALLS[name].number, args, intr);

async function errnoOf(pr: Promise<unknown>): Promise<number | 'success'> {
  try {
    await pr;
  } catch (e) {
    expect(e).toBeInstanceOf(KernelError);
    return (e as KernelError).errno;
  }
  return 'success';
}

interface Rig {
  k: Kernel;
  p: Process;
  net: Network;
  timers: ManualTimers;
  sock: number;
  ioctl<N extends IfIoctlName>(name: N, arg: IfIoctlIn<N>, fd?: number): Promise<IfIoctlOut<N>>;
}

async function rig(opts: { queueLimit?: number; hardLimit?: number } = {}): Promise<Rig> {
  const timers = new ManualTimers(1_700_000_000_000);
  const k = new Kernel({ timers });
  const net = new Network({ timers, now: () => timers.now(), hostId: 'test-host', switchDevice: opts });
  net.attach(k);
  const p = k.newProcess('test');
  const [sock] = (await call(k, p, '__socket30', [2, 2, 0])) as [number];
  const r: Rig = {
    k,
    p,
    net,
    timers,
    sock,
    ioctl: async (name, arg, fd = sock) => {
      const [, out] = (await call(k, p, 'ioctl', [fd, IFIOCTL[name], encodeIfIoctlIn(name, arg)])) as [
        number,
        Uint8Array | null,
      ];
      return decodeIfIoctlOut(name, out);
    },
  };
  return r;
}

const msg = (m: Message) => encode(m);
const hello = msg({
  type: 'HELLO',
  version: 4,
  xid: 1,
  elements: [{ type: 'VERSIONBITMAP', bitmaps: [1 << 4] }],
});

async function readAll(r: Rig, fd: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (;;) {
    try {
      const [, b] = (await call(r.k, r.p, 'read', [fd, 65536])) as [number, Uint8Array];
      if (b.length === 0) break;
      parts.push(b);
    } catch (e) {
      if (e instanceof KernelError && e.errno === ERRNO.EAGAIN) break;
      throw e;
    }
  }
  return Buffer.concat(parts);
}

function messages(b: Uint8Array): Message[] {
  return new MessageFramer().push(b).map((m) => decode(m));
}

/** Open /dev/switch0 non-blocking, finish the handshake; returns the fd. */
async function openChannel(r: Rig): Promise<number> {
  const [fd] = (await call(r.k, r.p, 'open', ['/dev/switch0', O.RDWR | O.NONBLOCK, 0])) as [number];
  expect(messages(await readAll(r, fd)).map((m) => m.type)).toEqual(['HELLO']);
  await call(r.k, r.p, 'write', [fd, hello]);
  return fd;
}

async function exchange(r: Rig, fd: number, m: Message): Promise<Message[]> {
  await call(r.k, r.p, 'write', [fd, msg(m)]);
  return messages(await readAll(r, fd));
}

describe('interface ioctls', () => {
  it('create, flags, list, destroy, with BSD errnos', async () => {
    const r = await rig();
    await r.ioctl('SIOCIFCREATE', { name: 'switch0' });
    await r.ioctl('SIOCIFCREATE', { name: 'vether0' });
    expect(await errnoOf(r.ioctl('SIOCIFCREATE', { name: 'switch0' }))).toBe(ERRNO.EEXIST);
    expect(await errnoOf(r.ioctl('SIOCIFCREATE', { name: 'gif0' }))).toBe(ERRNO.EINVAL);
    expect(await errnoOf(r.ioctl('SIOCGIFFLAGS', { name: 'vxlan9' }))).toBe(ERRNO.ENXIO);
    expect(await errnoOf(r.ioctl('SIOCSVNETID', { name: 'vether0', vnetid: 5 }))).toBe(ERRNO.ENOTTY);
    expect(await errnoOf(call(r.k, r.p, 'ioctl', [r.sock, IFIOCTL.SIOCIFCREATE, new Uint8Array(3)]))).toBe(
      ERRNO.EINVAL,
    );
    expect((await r.ioctl('SIOCGIFCONF', undefined)).interfaces).toEqual([
      { name: 'switch0' },
      { name: 'vether0' },
    ]);
    await r.ioctl('SIOCSIFFLAGS', { name: 'vether0', flags: IFF.UP });
    const f = (await r.ioctl('SIOCGIFFLAGS', { name: 'vether0' })).flags;
    expect(f & (IFF.UP | IFF.RUNNING)).toBe(IFF.UP | IFF.RUNNING);
    await r.ioctl('SIOCAIFADDR', { name: 'vether0', addr: '10.0.0.254', prefixlen: 24 });
    expect(await r.ioctl('SIOCGIFADDR', { name: 'vether0' })).toEqual({
      name: 'vether0',
      addr: '10.0.0.254',
      prefixlen: 24,
    });
    expect(await r.ioctl('SIOCBRDGADDL', { name: 'switch0', member: 'vether0', portno: 0 })).toMatchObject({
      portno: OFPP.LOCAL,
    });
    expect((await r.ioctl('SIOCBRDGIFS', { name: 'switch0' })).ports).toEqual([
      { member: 'vether0', portno: OFPP.LOCAL, flags: 0x1000 },
    ]);
    // the datapath id: stable for a host and a name, settable
    const id = (await r.ioctl('SIOCSWGDPID', { name: 'switch0' })).datapath;
    const again = await rig();
    await again.ioctl('SIOCIFCREATE', { name: 'switch0' });
    expect((await again.ioctl('SIOCSWGDPID', { name: 'switch0' })).datapath).toBe(id);
    await r.ioctl('SIOCSWSDPID', { name: 'switch0', datapath: 0xfedcba9876543210n });
    expect((await r.ioctl('SIOCSWGDPID', { name: 'switch0' })).datapath).toBe(0xfedcba9876543210n);
    // destroying the switch removes its device and frees the member
    await r.ioctl('SIOCIFDESTROY', { name: 'switch0' });
    expect(await errnoOf(call(r.k, r.p, 'open', ['/dev/switch0', O.RDWR, 0]))).toBe(ERRNO.ENOENT);
    await r.ioctl('SIOCIFCREATE', { name: 'switch0' });
    expect(await r.ioctl('SIOCBRDGADD', { name: 'switch0', member: 'vether0', portno: 0 })).toMatchObject({
      portno: 1,
    });
  });
});

describe('/dev/switch0', () => {
  it('reads are a byte stream (partial reads), writes may split messages anywhere, EAGAIN when empty', async () => {
    const r = await rig();
    await r.ioctl('SIOCIFCREATE', { name: 'switch0' });
    const [fd] = (await call(r.k, r.p, 'open', ['/dev/switch0', O.RDWR | O.NONBLOCK, 0])) as [number];
    const [, a] = (await call(r.k, r.p, 'read', [fd, 3])) as [number, Uint8Array];
    expect(a.length).toBe(3);
    const rest = await readAll(r, fd);
    const [h] = messages(Buffer.concat([a, rest]));
    expect(h).toMatchObject({ type: 'HELLO', version: 4 });
    expect(await errnoOf(call(r.k, r.p, 'read', [fd, 100]))).toBe(ERRNO.EAGAIN);
    // HELLO and FEATURES_REQUEST, written in three pieces cut inside messages
    const both = Buffer.concat([hello, msg({ type: 'FEATURES_REQUEST', xid: 7 })]);
    for (const [s, e] of [
      [0, 5],
      [5, 19],
      [19, both.length],
    ] as const) {
      expect(await call(r.k, r.p, 'write', [fd, both.subarray(s, e)])).toEqual([e - s]);
    }
    const [reply] = messages(await readAll(r, fd));
    const id = (await r.ioctl('SIOCSWGDPID', { name: 'switch0' })).datapath;
    expect(reply).toMatchObject({ type: 'FEATURES_REPLY', xid: 7, datapathId: id });
    // the switch ioctls work on the device too
    expect((await r.ioctl('SIOCSWGDPID', { name: 'switch0' }, fd)).datapath).toBe(id);
  });

  it('a blocking read waits for the bytes; kevent reports the bytes queued and write room', async () => {
    const r = await rig({ queueLimit: 4096 });
    await r.ioctl('SIOCIFCREATE', { name: 'switch0' });
    const [fd] = (await call(r.k, r.p, 'open', ['/dev/switch0', O.RDWR, 0])) as [number];
    const [kq] = (await call(r.k, r.p, 'kqueue', [])) as [number];
    const ev = (filter: number) =>
      keventToValue({ ident: fd, filter, flags: EV.ADD, fflags: 0, data: 0, udata: 0 });
    const [n, evs] = (await call(r.k, r.p, '__kevent50', [
      kq,
      [ev(EVFILT.READ), ev(EVFILT.WRITE)],
      8,
      0,
    ])) as [number, Value[]];
    expect(n).toBe(2);
    const byFilter = new Map(evs.map((v) => keventFromValue(v)).map((e) => [e.filter, e]));
    expect(byFilter.get(EVFILT.READ)?.data).toBe(hello.length);
    expect(byFilter.get(EVFILT.WRITE)?.data).toBe(4096 - hello.length);
    await call(r.k, r.p, 'read', [fd, 4096]);
    // nothing queued: EVFILT_READ is quiet, a blocking read waits for the ECHO_REPLY
    const [n2] = (await call(r.k, r.p, '__kevent50', [kq, [], 8, 0])) as [number, Value[]];
    expect(n2).toBe(1); // only EVFILT_WRITE
    const pending = call(r.k, r.p, 'read', [fd, 4096]);
    await call(r.k, r.p, 'write', [fd, hello]);
    await call(r.k, r.p, 'write', [
      fd,
      msg({ type: 'ECHO_REQUEST', xid: 9, data: new Uint8Array([1, 2, 3]) }),
    ]);
    const [, got] = (await pending) as [number, Uint8Array];
    expect(messages(got)).toMatchObject([{ type: 'ECHO_REPLY', xid: 9 }]);
    // poll agrees
    const [pn, revents] = (await call(r.k, r.p, 'poll', [[[fd, 0x1 | 0x4]], 0])) as [number, number[]];
    expect(pn).toBe(1);
    expect(revents[0]).toBe(0x4);
  });

  it('output queue: async messages are dropped and counted when full, writes wait for room, replies are kept', async () => {
    const r = await rig({ queueLimit: 160 });
    await r.ioctl('SIOCIFCREATE', { name: 'switch0' });
    await r.ioctl('SIOCIFCREATE', { name: 'vether0' });
    await r.ioctl('SIOCBRDGADD', { name: 'switch0', member: 'vether0', portno: 1 });
    const fd = await openChannel(r);
    // vether0's link going up and down: a PORT_STATUS (80 bytes) each time; the queue takes two
    for (let i = 0; i < 5; i++)
      await r.ioctl('SIOCSIFFLAGS', { name: 'vether0', flags: i % 2 === 0 ? IFF.UP : 0 });
    const stats = r.net.deviceStats.get('switch0');
    expect(stats?.asyncDropped).toBe(3);
    // the queue is at its limit: a non-blocking write is EAGAIN, EVFILT_WRITE is not ready
    const echo = msg({ type: 'ECHO_REQUEST', xid: 3, data: new Uint8Array(0) });
    expect(await errnoOf(call(r.k, r.p, 'write', [fd, echo]))).toBe(ERRNO.EAGAIN);
    const got = messages(await readAll(r, fd));
    expect(got.map((m) => m.type)).toEqual(['PORT_STATUS', 'PORT_STATUS']);
    // a reply beyond the limit is kept (a reply is never dropped)
    const stuff = r.net.deviceStats.get('switch0');
    await call(r.k, r.p, 'write', [fd, msg({ type: 'ECHO_REQUEST', xid: 4, data: new Uint8Array(500) })]);
    expect(messages(await readAll(r, fd))).toMatchObject([{ type: 'ECHO_REPLY', xid: 4 }]);
    expect(stuff?.overflowResets).toBe(0);
  });

  it('writes are served in the order they were made, also while one waits for room', async () => {
    const r = await rig({ queueLimit: 200 });
    await r.ioctl('SIOCIFCREATE', { name: 'switch0' });
    const [fd] = (await call(r.k, r.p, 'open', ['/dev/switch0', O.RDWR, 0])) as [number];
    const read = async () => {
      const [, b] = (await call(r.k, r.p, 'read', [fd, 65536])) as [number, Uint8Array];
      return messages(b);
    };
    expect((await read()).map((m) => m.type)).toEqual(['HELLO']);
    await call(r.k, r.p, 'write', [fd, hello]);
    // each ECHO_REPLY is 108 bytes: two fill the queue
    const echo = (xid: number) => msg({ type: 'ECHO_REQUEST', xid, data: new Uint8Array(100) });
    await call(r.k, r.p, 'write', [fd, echo(1)]);
    await call(r.k, r.p, 'write', [fd, echo(2)]);
    const third = call(r.k, r.p, 'write', [fd, echo(3)]); // waits for room
    await new Promise((resolve) => setImmediate(resolve));
    // the read makes room, and a fourth write arrives before the third has gone on: it must
    // wait its turn, or the replies (and the messages behind them) would be reordered
    const drained = read();
    const fourth = call(r.k, r.p, 'write', [fd, echo(4)]);
    expect(await third).toEqual([108]);
    expect(await fourth).toEqual([108]);
    expect((await drained).map((m) => m.xid)).toEqual([1, 2]);
    expect((await read()).map((m) => m.xid)).toEqual([3, 4]);
  });

  it('a reply past the hard limit resets the channel: the reader gets what was queued, then end of file', async () => {
    const r = await rig({ queueLimit: 100, hardLimit: 300 });
    await r.ioctl('SIOCIFCREATE', { name: 'switch0' });
    const fd = await openChannel(r);
    await call(r.k, r.p, 'write', [fd, msg({ type: 'ECHO_REQUEST', xid: 1, data: new Uint8Array(150) })]);
    // the queue is past its limit now; the next write waits, so the hard limit is reached
    // only by one request answered with more than it is
    expect(
      await errnoOf(
        call(r.k, r.p, 'write', [fd, msg({ type: 'ECHO_REQUEST', xid: 2, data: new Uint8Array(0) })]),
      ),
    ).toBe(ERRNO.EAGAIN);
    await readAll(r, fd);
    await call(r.k, r.p, 'write', [fd, msg({ type: 'ECHO_REQUEST', xid: 3, data: new Uint8Array(400) })]);
    expect(r.net.deviceStats.get('switch0')?.overflowResets).toBe(1);
    const [, eof] = (await call(r.k, r.p, 'read', [fd, 100])) as [number, Uint8Array];
    expect(eof.length).toBe(0);
    expect(await errnoOf(call(r.k, r.p, 'write', [fd, hello]))).toBe(ERRNO.ENXIO);
  });

  it('several openers, each its own channel and role; closing keeps flows; a new datapath id resets channels', async () => {
    const r = await rig();
    await r.ioctl('SIOCIFCREATE', { name: 'switch0' });
    const a = await openChannel(r);
    const b = await openChannel(r);
    expect(await exchange(r, a, { type: 'ROLE_REQUEST', xid: 1, role: 2, generationId: 1n })).toMatchObject([
      { type: 'ROLE_REPLY', role: 2 },
    ]);
    expect(await exchange(r, b, { type: 'ROLE_REQUEST', xid: 1, role: 3, generationId: 1n })).toMatchObject([
      { type: 'ROLE_REPLY', role: 3 },
    ]);
    const fm = (xid: number): Message =>
      ({ ...flowModFrom(parseFlow('priority=10,in_port=1,actions=output:2')), xid }) as Message;
    expect(await exchange(r, b, fm(5))).toMatchObject([{ type: 'ERROR', xid: 5, errType: 1, code: 10 }]); // BAD_REQUEST/IS_SLAVE
    await call(r.k, r.p, 'write', [a, msg(fm(6))]);
    expect(await exchange(r, a, { type: 'BARRIER_REQUEST', xid: 7 })).toMatchObject([
      { type: 'BARRIER_REPLY', xid: 7 },
    ]);
    await call(r.k, r.p, 'close', [a]);
    await call(r.k, r.p, 'close', [b]);
    expect(r.net.switch('switch0').channelCount).toBe(0);
    const c = await openChannel(r);
    const [stats] = await exchange(r, c, { ...flowStatsRequest(), xid: 8 });
    expect(stats).toMatchObject({ type: 'MULTIPART_REPLY', mpType: 'FLOW' });
    expect((stats as Extract<Message, { type: 'MULTIPART_REPLY'; mpType: 'FLOW' }>).stats).toHaveLength(1);
    // a new datapath id: c's stream ends, a new opener sees the new id
    await r.ioctl('SIOCSWSDPID', { name: 'switch0', datapath: 42n });
    const [, end] = (await call(r.k, r.p, 'read', [c, 100])) as [number, Uint8Array];
    expect(end.length).toBe(0);
    const d = await openChannel(r);
    expect(await exchange(r, d, { type: 'FEATURES_REQUEST', xid: 9 })).toMatchObject([
      { type: 'FEATURES_REPLY', datapathId: 42n },
    ]);
  });

  it('flow timeouts run on the kernel timers', async () => {
    const r = await rig();
    await r.ioctl('SIOCIFCREATE', { name: 'switch0' });
    const fd = await openChannel(r);
    await call(r.k, r.p, 'write', [
      fd,
      msg({ ...flowModFrom(parseFlow('hard_timeout=2,priority=1,actions=drop')), xid: 2 } as Message),
    ]);
    const dp = r.net.switch('switch0').datapath;
    expect(dp.flows.tables[0]?.activeCount).toBe(1);
    r.timers.advance(1000);
    expect(dp.flows.tables[0]?.activeCount).toBe(1);
    r.timers.advance(1000);
    expect(dp.flows.tables[0]?.activeCount).toBe(0);
  });
});
