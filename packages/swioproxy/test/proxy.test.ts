// SwitchProxy against a real rump-kernel-server process with switch0, in both readiness
// modes, with test controllers on the proxy's Unix socket: HELLO, FEATURES, bursts both ways,
// two controllers with different roles, flow control with a client that stops reading,
// client disconnect cleanup seen in the kernel's own fd listing, and a kernel restart.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OFPCR_ROLE, OFPFC, type Message, flowModFrom, parseFlow } from '@rumpflow/openflow';
import { listenUnix } from '@rumpflow/service';
import { killAllServices } from '@rumpflow/test-tools';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type IoMode, type Session, SwitchProxy } from '../src/index.js';
import { type Kernel, eventually, kernelFds, startKernel, switchState } from './kernel.js';
import { OfClient } from './of-client.js';

const HOOK_MS = 60_000;
const QUEUE = 64 * 1024;

function flowMod(i: number): Parameters<OfClient['bytes']>[0] {
  const ip = `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;
  return flowModFrom(parseFlow(`priority=100,ip,nw_dst=${ip},actions=output:2`, OFPFC.ADD), OFPFC.ADD);
}

describe.each<IoMode>(['kevent', 'blocking'])('swioproxy in %s mode', { timeout: 120_000 }, (mode) => {
  let dir = '';
  let kernel: Kernel;
  let proxy: SwitchProxy;
  let sock = '';
  const clients: OfClient[] = [];

  const connect = async (): Promise<OfClient> => {
    const c = await OfClient.connect(sock);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'swioproxy-'));
    kernel = await startKernel(dir);
    sock = path.join(dir, 'sw', 'switch0.sock');
    proxy = new SwitchProxy({
      pairs: [{ listen: sock, device: '/dev/switch0' }],
      rumpServer: kernel.url,
      listenUnix: (s, p, m) => listenUnix(s, p, m),
      mode,
      queueBytes: QUEUE,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    const up = new Promise((r) => proxy.once('kernelUp', r));
    await proxy.start();
    await up;
  }, HOOK_MS);

  afterAll(async () => {
    for (const c of clients) c.close();
    await proxy?.stop();
    await kernel?.proc.stop();
    await killAllServices();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, HOOK_MS);

  it('listens with mode 0600 and greets each client with the device HELLO; FEATURES round trip', async () => {
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    const c = await connect();
    await c.handshake();
    const xid = c.send({ type: 'FEATURES_REQUEST' });
    const f = await c.nextOfType('FEATURES_REPLY', xid);
    expect(f.type === 'FEATURES_REPLY' && typeof f.datapathId).toBe('bigint');
    const [info] = proxy.connections().filter((x) => x.state === 'open');
    expect(info).toMatchObject({ device: '/dev/switch0', listen: sock });
    // HELLO and FEATURES each way (the count of a write is taken when its reply arrives)
    await eventually(() => {
      const i = proxy.connections()[0];
      return i !== undefined && i.messagesToClient >= 2 && i.messagesToDevice >= 2;
    }, 'two messages counted each way');
    c.close();
  });

  it('carries 10,000 FLOW_MODs and the BARRIER reply, then 10,000 ECHOs back', async () => {
    const c = await connect();
    await c.handshake();
    const burst: Uint8Array[] = [];
    for (let i = 0; i < 10_000; i++) burst.push(c.bytes(flowMod(i)));
    const barrier = c.xid();
    burst.push(c.bytes({ type: 'BARRIER_REQUEST' }, barrier));
    // in pieces that cut messages anywhere
    const all = Buffer.concat(burst);
    for (let o = 0; o < all.length; o += 7001) c.socket.write(all.subarray(o, o + 7001));
    await c.nextOfType('BARRIER_REPLY', barrier, 60_000);
    expect(c.inbox.filter((m) => m.type === 'ERROR')).toEqual([]);
    expect((await switchState(kernel)).flows).toBe(10_000);

    const echoes: Uint8Array[] = [];
    const first = c.xid();
    for (let i = 0; i < 10_000; i++)
      echoes.push(c.bytes({ type: 'ECHO_REQUEST', data: Buffer.alloc(64, i & 0xff) }, first + i));
    c.socket.write(Buffer.concat(echoes));
    await c.until(
      () => c.inbox.filter((m) => m.type === 'ECHO_REPLY').length === 10_000,
      '10,000 ECHO_REPLYs',
      60_000,
    );
    const xids = c.inbox.filter((m) => m.type === 'ECHO_REPLY').map((m) => m.xid);
    expect(xids).toEqual(Array.from({ length: 10_000 }, (_, i) => first + i));
    c.close();
  });

  it('gives two concurrent clients their own channels: a MASTER and a SLAVE', async () => {
    const a = await connect();
    const b = await connect();
    await Promise.all([a.handshake(), b.handshake()]);
    await eventually(async () => (await switchState(kernel)).channels >= 2, 'two channels');
    const ra = a.send({ type: 'ROLE_REQUEST', role: OFPCR_ROLE.MASTER, generationId: 10n });
    expect(await a.nextOfType('ROLE_REPLY', ra)).toMatchObject({ role: OFPCR_ROLE.MASTER });
    const rb = b.send({ type: 'ROLE_REQUEST', role: OFPCR_ROLE.SLAVE, generationId: 11n });
    expect(await b.nextOfType('ROLE_REPLY', rb)).toMatchObject({ role: OFPCR_ROLE.SLAVE });
    // the slave may not modify the table; the master may
    const fb = b.send(flowMod(70_000));
    const err = (await b.nextOfType('ERROR', fb)) as Message & { errType?: number; code?: number };
    expect(err).toMatchObject({ type: 'ERROR' });
    const fa = a.send(flowMod(70_001));
    const bar = a.send({ type: 'BARRIER_REQUEST' });
    await a.nextOfType('BARRIER_REPLY', bar);
    expect(a.inbox.find((m) => m.type === 'ERROR' && m.xid === fa)).toBeUndefined();
    a.close();
    b.close();
  });

  it('keeps memory bounded when a client stops reading, and loses nothing when it reads again', async () => {
    const c = await connect();
    onTestFinished(() => c.close());
    await c.handshake();
    c.socket.pause();
    const n = 40_000; // 40,000 × 72-byte ECHOs: ~2.9 MB each way, far above every queue
    const first = c.xid();
    const echoes: Uint8Array[] = [];
    for (let i = 0; i < n; i++)
      echoes.push(c.bytes({ type: 'ECHO_REQUEST', data: Buffer.alloc(64, i & 0xff) }, first + i));
    c.socket.write(Buffer.concat(echoes));
    // this client's session: the newest
    const mine = () =>
      proxy
        .sessions()
        .reduce<Session | undefined>((a, x) => (a === undefined || x.id > a.id ? x : a), undefined);
    await eventually(
      () => mine()?.info().clientPaused === true && mine()?.info().devicePaused === true,
      'the proxy to pause both ways',
      60_000,
    );
    const s = mine()!;
    // the socket buffers of the host fill up too; then nothing moves while the client does not read
    let moved = -1;
    await eventually(
      async () => {
        const before = s.bytesToDevice + s.bytesToClient;
        await new Promise((r) => setTimeout(r, 500));
        moved = s.bytesToDevice + s.bytesToClient;
        return moved === before;
      },
      'the flow to stop',
      60_000,
    );
    const info = s.info();
    expect(info.clientPaused).toBe(true);
    expect(info.devicePaused).toBe(true);
    expect(info.queuedToDevice).toBeLessThanOrEqual(QUEUE + 65536);
    expect(info.queuedToClient).toBeLessThanOrEqual(QUEUE + 65536);
    expect(info.bytesToDevice).toBeLessThan(n * 72);
    c.socket.resume();
    await c.until(
      () => c.inbox.filter((m) => m.type === 'ECHO_REPLY').length === n,
      `${n} ECHO_REPLYs`,
      60_000,
    );
    const xids = c.inbox.filter((m) => m.type === 'ECHO_REPLY').map((m) => m.xid);
    expect(xids[0]).toBe(first);
    expect(xids[n - 1]).toBe(first + n - 1);
    c.close();
  }, 120_000);

  it('closes the device fd in the kernel when a client disconnects', async () => {
    const pid = proxy.kernelPid!;
    const devices = async () =>
      (await kernelFds(kernel, pid)).filter((f) => f.name === '/dev/switch0').length;
    await eventually(async () => (await devices()) === 0, 'earlier clients cleaned up');
    const c1 = await connect();
    const c2 = await connect();
    await Promise.all([c1.handshake(), c2.handshake()]);
    expect(await devices()).toBe(2);
    c1.close();
    await eventually(async () => (await devices()) === 1, 'one device fd after one client left');
    c2.socket.end(); // a polite close too
    await eventually(async () => (await devices()) === 0, 'no device fd after both left');
    expect(proxy.connections()).toEqual([]);
    // the kqueue (kevent mode) is all that is left
    const left = await kernelFds(kernel, pid);
    expect(left.every((f) => f.kind === 'kqueue')).toBe(true);
  });

  it('survives a kernel restart: clients are closed, it reconnects and serves again', async () => {
    const c = await connect();
    await c.handshake();
    const before = proxy.reconnects;
    const down = new Promise((r) => proxy.once('kernelDown', r));
    await kernel.proc.stop();
    await down;
    await c.until(() => c.ended, 'the client to be closed');
    expect(proxy.kernelConnected).toBe(false);
    // while the kernel is away, connections are closed at once
    const early = await connect();
    await early.until(() => early.ended, 'an early client to be closed');
    const up = new Promise((r) => proxy.once('kernelUp', r));
    kernel = await startKernel(dir);
    await up;
    expect(proxy.reconnects).toBe(before + 1);
    const d = await connect();
    await d.handshake();
    const xid = d.send({ type: 'FEATURES_REQUEST' });
    await d.nextOfType('FEATURES_REPLY', xid);
    d.close();
  }, 120_000);
});
