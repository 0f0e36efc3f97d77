import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OFPMPF_MORE, decode, encode, type Message } from '@rumpflow/openflow';
import { ConnectionError, OfConnection, OfpRemoteError } from './connection.js';
import { ManualTimers } from './manual-timers.js';

/** A connected pair of real TCP sockets on loopback. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const s = await accepted;
  server.close();
  return [client, s];
}

const open: OfConnection[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

async function pair(opts: ConstructorParameters<typeof OfConnection>[1] = {}): Promise<[OfConnection, OfConnection]> {
  const [a, b] = await socketPair();
  const ctl = new OfConnection(a, { name: 'controller', ...opts });
  const sw = new OfConnection(b, { name: 'switch', ...opts });
  open.push(ctl, sw);
  await Promise.all([ctl.start(), sw.start()]);
  return [ctl, sw];
}

const features = (xid: number): Message => ({
  type: 'FEATURES_REPLY',
  xid,
  datapathId: 0x1n,
  nBuffers: 0,
  nTables: 254,
  auxiliaryId: 0,
  capabilities: 0,
  reserved: 0,
});

describe('OfConnection', () => {
  it('negotiates OpenFlow 1.3 and answers requests by xid', async () => {
    const [ctl, sw] = await pair();
    expect(ctl.isReady && sw.isReady).toBe(true);
    sw.on('message', (m) => {
      if (m.type === 'FEATURES_REQUEST') sw.send(features(m.xid));
    });
    const reply = await ctl.request({ type: 'FEATURES_REQUEST' });
    expect(reply.type).toBe('FEATURES_REPLY');
    expect(reply.datapathId).toBe(1n);
  });

  it('matches replies to requests when they arrive out of order', async () => {
    const [ctl, sw] = await pair();
    const seen: number[] = [];
    sw.on('message', (m) => {
      if (m.type !== 'ECHO_REQUEST' && m.type !== 'BARRIER_REQUEST') return;
      seen.push(m.xid);
      if (seen.length === 20) for (const x of seen.reverse()) sw.send({ type: 'BARRIER_REPLY', xid: x });
    });
    const replies = await Promise.all(Array.from({ length: 20 }, () => ctl.request({ type: 'BARRIER_REQUEST' })));
    expect(new Set(replies.map((r) => r.xid)).size).toBe(20);
  });

  it('answers ECHO_REQUEST by itself', async () => {
    const [ctl] = await pair();
    const r = await ctl.request({ type: 'ECHO_REQUEST', data: new Uint8Array([1, 2, 3]) });
    expect([...r.data]).toEqual([1, 2, 3]);
  });

  it('reassembles multipart replies into one result', async () => {
    const [ctl, sw] = await pair();
    sw.on('message', (m) => {
      if (m.type !== 'MULTIPART_REQUEST') return;
      const port = (n: number) => ({
        portNo: n,
        hwAddr: '00:00:00:00:00:01',
        name: `p${n}`,
        config: 0,
        state: 0,
        curr: 0,
        advertised: 0,
        supported: 0,
        peer: 0,
        currSpeed: 0,
        maxSpeed: 0,
      });
      for (let part = 0; part < 3; part++) {
        sw.send({
          type: 'MULTIPART_REPLY',
          xid: m.xid,
          mpType: 'PORT_DESC',
          flags: part < 2 ? OFPMPF_MORE : 0,
          ports: [port(2 * part + 1), port(2 * part + 2)],
        });
      }
    });
    const r = await ctl.request({ type: 'MULTIPART_REQUEST', mpType: 'PORT_DESC', flags: 0 });
    expect(r.flags).toBe(0);
    expect(r.ports.map((p) => p.portNo)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects with the ERROR the peer sent, and sendChecked() reports refusals', async () => {
    const [ctl, sw] = await pair();
    sw.on('message', (m) => {
      if (m.type === 'ROLE_REQUEST') sw.send({ type: 'ERROR', xid: m.xid, errType: 11, code: 2, data: encode(m).slice(0, 64) });
      if (m.type === 'FLOW_MOD') sw.send({ type: 'ERROR', xid: m.xid, errType: 4, code: 9, data: new Uint8Array(0) });
      if (m.type === 'BARRIER_REQUEST') sw.send({ type: 'BARRIER_REPLY', xid: m.xid });
      if (m.type === 'PACKET_OUT') return;
    });
    const err = await ctl.request({ type: 'ROLE_REQUEST', role: 2, generationId: 0n }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OfpRemoteError);
    expect([(err as OfpRemoteError).type, (err as OfpRemoteError).code]).toEqual([11, 2]);
    const flowMod: Message = {
      type: 'FLOW_MOD',
      xid: 77,
      cookie: 0n,
      cookieMask: 0n,
      tableId: 0,
      command: 0,
      idleTimeout: 0,
      hardTimeout: 0,
      priority: 0,
      bufferId: 0xffffffff,
      outPort: 0xffffffff,
      outGroup: 0xffffffff,
      flags: 0,
      match: [{ field: 'TCP_DST', value: 80 }],
      instructions: [],
    };
    await expect(ctl.sendChecked(flowMod)).rejects.toBeInstanceOf(OfpRemoteError);
    await expect(
      ctl.sendChecked({ type: 'PACKET_OUT', bufferId: 0xffffffff, inPort: 0xfffffffd, actions: [], data: new Uint8Array(14) }),
    ).resolves.toBeUndefined();
  });

  it('sends an ERROR back for a malformed message and keeps the connection', async () => {
    const [a, b] = await socketPair();
    const sw = new OfConnection(b, { name: 'switch' });
    open.push(sw);
    const received: Buffer[] = [];
    a.on('data', (d: Buffer) => received.push(d));
    const invalid = new Promise<unknown>((r) => sw.once('invalid', r));
    void sw.start();
    a.write(encode({ type: 'HELLO', xid: 1, version: 4, elements: [] }));
    await sw.ready();
    // FEATURES_REQUEST with a 4-byte body: BAD_REQUEST/BAD_LEN
    a.write(Buffer.from('0405000c0000002a00000000', 'hex'));
    await invalid;
    await new Promise((r) => setTimeout(r, 20));
    const msgs = splitMessages(Buffer.concat(received)).map((m) => decode(m));
    const error = msgs.find((m) => m.type === 'ERROR');
    expect(error).toMatchObject({ type: 'ERROR', xid: 0x2a, errType: 1, code: 6 });
    expect(sw.isReady).toBe(true);
  });

  it('refuses a peer without OpenFlow 1.3 with HELLO_FAILED/INCOMPATIBLE', async () => {
    const [a, b] = await socketPair();
    const sw = new OfConnection(b, { name: 'switch' });
    open.push(sw);
    const received: Buffer[] = [];
    a.on('data', (d: Buffer) => received.push(d));
    const started = sw.start().catch((e: unknown) => e);
    // an OpenFlow 1.0 HELLO
    a.write(Buffer.from('0100000800000001', 'hex'));
    const err = await started;
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).reason).toBe('incompatible');
    await new Promise((r) => setTimeout(r, 20));
    const msgs = splitMessages(Buffer.concat(received)).map((m) => decode(m));
    expect(msgs.map((m) => m.type)).toEqual(['HELLO', 'ERROR']);
    expect(msgs[1]).toMatchObject({ errType: 0, code: 0 });
  });

  it('sends echoes when idle and declares a silent peer dead (manual clock)', async () => {
    const timers = new ManualTimers();
    const [a, b] = await socketPair();
    const ctl = new OfConnection(a, { name: 'controller', timers, echoIntervalMs: 5000, deadAfterMs: 15000 });
    open.push(ctl);
    const received: Buffer[] = [];
    b.on('data', (d: Buffer) => received.push(d));
    void ctl.start();
    b.write(encode({ type: 'HELLO', xid: 1, version: 4, elements: [] }));
    await ctl.ready();
    timers.advance(5000);
    await new Promise((r) => setTimeout(r, 20));
    expect(splitMessages(Buffer.concat(received)).map((m) => decode(m).type)).toContain('ECHO_REQUEST');
    const closed = new Promise<Error | undefined>((r) => ctl.once('close', r));
    timers.advance(10000);
    const reason = await closed;
    expect(reason).toBeInstanceOf(ConnectionError);
    expect((reason as ConnectionError).reason).toBe('dead-peer');
  });

  it('times requests out and rejects pending ones on close', async () => {
    const timers = new ManualTimers();
    const [a, b] = await socketPair();
    const ctl = new OfConnection(a, { timers, echoIntervalMs: 0 });
    open.push(ctl);
    void ctl.start();
    b.write(encode({ type: 'HELLO', xid: 1, version: 4, elements: [] }));
    await ctl.ready();
    const r1 = ctl.request({ type: 'BARRIER_REQUEST' }, 1000).catch((e: unknown) => e);
    timers.advance(1000);
    expect(((await r1) as ConnectionError).reason).toBe('timeout');
    const r2 = ctl.request({ type: 'BARRIER_REQUEST' }).catch((e: unknown) => e);
    b.destroy();
    expect(((await r2) as ConnectionError).reason).toBe('closed');
  });

  it('bounds the send queue', async () => {
    const [a, b] = await socketPair();
    b.pause();
    const ctl = new OfConnection(a, { maxSendQueueBytes: 64 * 1024, echoIntervalMs: 0 });
    open.push(ctl);
    void ctl.start();
    b.write(encode({ type: 'HELLO', xid: 1, version: 4, elements: [] }));
    await ctl.ready();
    let refused: unknown;
    try {
      for (let i = 0; i < 10_000; i++) ctl.send({ type: 'ECHO_REQUEST', data: new Uint8Array(1000) });
    } catch (e) {
      refused = e;
    }
    expect((refused as ConnectionError).reason).toBe('send-queue-full');
    expect(ctl.queuedBytes).toBeLessThanOrEqual(64 * 1024);
  });
});

function splitMessages(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p + 4 <= b.length) {
    const len = b.readUInt16BE(p + 2);
    out.push(b.subarray(p, p + len));
    p += len;
  }
  return out;
}
