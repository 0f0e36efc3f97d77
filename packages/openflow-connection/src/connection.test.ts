import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OFPMPF_MORE, decode, encode, type Message, type OfpError } from '@rumpflow/openflow';
import { ManualTimers } from '@rumpflow/openflow-connection/testing';
import { ConnectionError, OfConnection, OfpRemoteError, type ConnectionOptions } from './connection.js';

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
    // read all that was sent (HELLO and two BARRIER_REQUESTs: 32 bytes), so that closing is a FIN, not a reset
    let got = 0;
    await new Promise<void>((r) => b.on('data', (d: Buffer) => (got += d.length) >= 32 && r()));
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

/**
 * An OfConnection on one end of a real loopback TCP pair and a raw socket, the peer, on the
 * other: the test writes the peer's bytes itself and sees every byte the connection sends.
 */
async function rawPeer(opts: ConnectionOptions = {}) {
  const [a, b] = await socketPair();
  b.on('error', () => undefined);
  const conn = new OfConnection(a, { name: 'ctl', echoIntervalMs: 0, ...opts });
  open.push(conn);
  const chunks: Buffer[] = [];
  let ended = false;
  b.on('data', (d: Buffer) => chunks.push(d));
  b.on('end', () => (ended = true));
  const received = (): Message[] => splitMessages(Buffer.concat(chunks)).map((m) => decode(m));
  let syncXid = 0x7000_0000;
  return {
    conn,
    peer: b,
    received,
    write: (m: Message) => b.write(encode(m)),
    ended: () => ended,
    /** Resolves when the peer has received a message that satisfies `pred`. */
    async waitFor(pred: (m: Message) => boolean): Promise<Message> {
      for (;;) {
        const hit = received().find(pred);
        if (hit) return hit;
        if (ended) throw new Error('the connection closed first');
        await new Promise((r) => setTimeout(r, 2));
      }
    },
    /**
     * Round trip through the connection: the peer sends an ECHO_REQUEST and waits for its
     * reply, so everything the peer sent before has been handled. (Counts as received data.)
     */
    async sync(): Promise<void> {
      const xid = ++syncXid;
      b.write(encode({ type: 'ECHO_REQUEST', xid, data: new Uint8Array(0) }));
      await this.waitFor((m) => m.type === 'ECHO_REPLY' && m.xid === xid);
    },
    /** Both HELLOs exchanged. */
    async hello(): Promise<void> {
      const started = conn.start();
      b.write(encode({ type: 'HELLO', xid: 1, version: 4, elements: [] }));
      await started;
    },
    /** Resolves once the peer has seen the connection's FIN. */
    async closed(): Promise<void> {
      while (!ended) await new Promise((r) => setTimeout(r, 2));
    },
  };
}

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
const portDescPart = (xid: number, more: boolean, ...ports: number[]): Message => ({
  type: 'MULTIPART_REPLY',
  xid,
  mpType: 'PORT_DESC',
  flags: more ? OFPMPF_MORE : 0,
  ports: ports.map(port),
});
const portStatus = (n: number): Message => ({ type: 'PORT_STATUS', xid: 0, reason: 0, desc: port(n) });

/** Collects the 'message' events of a connection. */
function messages(conn: OfConnection): Message[] {
  const seen: Message[] = [];
  conn.on('message', (m) => seen.push(m));
  return seen;
}

const reasonOf = (e: unknown) => (e as ConnectionError).reason;

describe('OfConnection: requests given up on', () => {
  it('drops a reply that arrives after its request timed out, and counts it', async () => {
    const timers = new ManualTimers();
    const p = await rawPeer({ timers });
    await p.hello();
    const seen = messages(p.conn);
    const r = p.conn.request({ type: 'BARRIER_REQUEST' }, 1000).catch((e: unknown) => e);
    const req = await p.waitFor((m) => m.type === 'BARRIER_REQUEST');
    timers.advance(1000);
    expect(reasonOf(await r)).toBe('timeout');
    p.write({ type: 'BARRIER_REPLY', xid: req.xid });
    p.write(portStatus(7)); // a real unsolicited message after it
    await p.sync();
    expect(seen.map((m) => m.type)).toEqual(['PORT_STATUS']);
    expect(p.conn.stats.lateReplies).toBe(1);
    // the abandoned xid is not handed out again while remembered
    expect(p.conn.allocXid()).not.toBe(req.xid);
  });

  it('drops the rest of a multipart reply after multipart-too-large', async () => {
    const p = await rawPeer({ maxMultipartBytes: 200 }); // one part of two ports is 144 bytes
    await p.hello();
    const seen = messages(p.conn);
    const r = p.conn.request({ type: 'MULTIPART_REQUEST', mpType: 'PORT_DESC', flags: 0 }).catch((e: unknown) => e);
    const req = await p.waitFor((m) => m.type === 'MULTIPART_REQUEST');
    p.write(portDescPart(req.xid, true, 1, 2));
    p.write(portDescPart(req.xid, true, 3, 4));
    p.write(portDescPart(req.xid, true, 5, 6));
    p.write(portDescPart(req.xid, false, 7, 8));
    expect(reasonOf(await r)).toBe('multipart-too-large');
    await p.sync();
    expect(seen).toEqual([]);
    expect(p.conn.stats.lateReplies).toBe(2);
  });

  it('rejects on an ERROR in the middle of a multipart reply and drops the parts after it', async () => {
    const p = await rawPeer();
    await p.hello();
    const seen = messages(p.conn);
    const r = p.conn.request({ type: 'MULTIPART_REQUEST', mpType: 'PORT_DESC', flags: 0 }).catch((e: unknown) => e);
    const req = await p.waitFor((m) => m.type === 'MULTIPART_REQUEST');
    p.write(portDescPart(req.xid, true, 1, 2));
    p.write({ type: 'ERROR', xid: req.xid, errType: 1, code: 13, data: new Uint8Array(0) }); // MULTIPART_BUFFER_OVERFLOW
    p.write(portDescPart(req.xid, false, 3, 4));
    const err = await r;
    expect(err).toBeInstanceOf(OfpRemoteError);
    expect([(err as OfpRemoteError).type, (err as OfpRemoteError).code]).toEqual([1, 13]);
    await p.sync();
    expect(seen).toEqual([]);
    expect(p.conn.stats.lateReplies).toBe(1);
  });

  it('rejects multipart parts of another mpType with unexpected-reply', async () => {
    const p = await rawPeer();
    await p.hello();
    const seen = messages(p.conn);
    const r = p.conn.request({ type: 'MULTIPART_REQUEST', mpType: 'PORT_DESC', flags: 0 }).catch((e: unknown) => e);
    const req = await p.waitFor((m) => m.type === 'MULTIPART_REQUEST');
    p.write(portDescPart(req.xid, true, 1, 2));
    p.write({ type: 'MULTIPART_REPLY', xid: req.xid, mpType: 'TABLE', flags: 0, stats: [] });
    const err = await r;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(reasonOf(err)).toBe('unexpected-reply');
    expect((err as Error).message).toMatch(/PORT_DESC.*TABLE/);
    await p.sync();
    expect(seen).toEqual([]);
    expect(p.conn.isReady).toBe(true);
  });

  it('restarts the deadline on each multipart part, so a long dump does not time out', async () => {
    const timers = new ManualTimers();
    const p = await rawPeer({ timers });
    await p.hello();
    const r = p.conn.request({ type: 'MULTIPART_REQUEST', mpType: 'PORT_DESC', flags: 0 }, 1000);
    const req = await p.waitFor((m) => m.type === 'MULTIPART_REQUEST');
    for (let i = 0; i < 4; i++) {
      timers.advance(800); // 3.2 s in all: far beyond one 1 s deadline, never 1 s between parts
      p.write(portDescPart(req.xid, true, 2 * i + 1, 2 * i + 2));
      await p.sync();
    }
    timers.advance(800);
    p.write(portDescPart(req.xid, false, 9));
    const reply = await r;
    expect(reply.ports.map((x) => x.portNo)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // and a peer that stops in the middle still times out, 1 s after its last part
    const r2 = p.conn.request({ type: 'MULTIPART_REQUEST', mpType: 'PORT_DESC', flags: 0 }, 1000).catch((e: unknown) => e);
    const req2 = await p.waitFor((m) => m.type === 'MULTIPART_REQUEST' && m.xid !== req.xid);
    p.write(portDescPart(req2.xid, true, 1));
    await p.sync();
    timers.advance(999);
    timers.advance(1);
    expect(reasonOf(await r2)).toBe('timeout');
  });
});

describe('OfConnection: xids', () => {
  it('refuses a caller-given xid that is already awaiting a reply, and the first request keeps it', async () => {
    const p = await rawPeer();
    await p.hello();
    const first = p.conn.request({ type: 'BARRIER_REQUEST', xid: 50 });
    const dup = await p.conn.request({ type: 'ECHO_REQUEST', xid: 50, data: new Uint8Array(0) }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ConnectionError);
    expect(reasonOf(dup)).toBe('duplicate-xid');
    const dupChecked = await p.conn
      .sendChecked({ type: 'PACKET_OUT', xid: 50, bufferId: 0xffffffff, inPort: 0xfffffffd, actions: [], data: new Uint8Array(14) })
      .catch((e: unknown) => e);
    expect(reasonOf(dupChecked)).toBe('duplicate-xid');
    await p.waitFor((m) => m.type === 'BARRIER_REQUEST' && m.xid === 50);
    p.write({ type: 'BARRIER_REPLY', xid: 50 });
    expect(await first).toMatchObject({ type: 'BARRIER_REPLY', xid: 50 });
    // nothing of the refused ones went out
    await p.sync();
    expect(p.received().filter((m) => m.xid === 50).map((m) => m.type)).toEqual(['BARRIER_REQUEST']);
  });
});

describe('OfConnection: closing', () => {
  it('on lost framing sends ERROR BAD_REQUEST/BAD_LEN with xid 0 after everything queued, then closes', async () => {
    const p = await rawPeer({ lingerMs: 10_000 });
    await p.hello();
    p.peer.pause(); // the peer reads nothing for now: our sends queue up
    let sent = 0;
    while (p.conn.queuedBytes < 200_000) {
      p.conn.send({ type: 'ECHO_REQUEST', data: new Uint8Array(1000) });
      sent++;
    }
    const closed = new Promise<Error | undefined>((r) => p.conn.once('close', r));
    p.peer.write(Buffer.from('0400000400000000', 'hex')); // length 4: framing lost
    const reason = await closed;
    expect(reasonOf(reason)).toBe('framing');
    p.peer.resume();
    await p.closed();
    const msgs = p.received();
    expect(msgs.filter((m) => m.type === 'ECHO_REQUEST')).toHaveLength(sent);
    expect(msgs[msgs.length - 1]).toMatchObject({ type: 'ERROR', xid: 0, errType: 1, code: 6 });
  });

  it('drained() rejects when the connection closes, and leaves no listener behind', async () => {
    const p = await rawPeer();
    await p.hello();
    p.peer.pause();
    while (!p.conn.stream.writableNeedDrain) p.conn.send({ type: 'ECHO_REQUEST', data: new Uint8Array(1000) });
    const before = p.conn.stream.listenerCount('drain');
    const drained = p.conn.drained().then(
      () => 'drained',
      (e: unknown) => e,
    );
    expect(p.conn.stream.listenerCount('drain')).toBe(before + 1);
    p.conn.close();
    const outcome = await Promise.race([drained, new Promise((r) => setTimeout(() => r('hung'), 2000))]);
    expect(outcome).toBeInstanceOf(ConnectionError);
    expect(reasonOf(outcome)).toBe('closed');
    expect(p.conn.stream.listenerCount('drain')).toBe(before);
    await expect(p.conn.drained()).rejects.toBeInstanceOf(ConnectionError);
  });

  it('reports a stream error as stream-error, with the cause', async () => {
    const p = await rawPeer();
    await p.hello();
    const closed = new Promise<Error | undefined>((r) => p.conn.once('close', r));
    const pendingReq = p.conn.request({ type: 'BARRIER_REQUEST' }).catch((e: unknown) => e);
    p.peer.resetAndDestroy(); // RST: ECONNRESET on our side
    const reason = await closed;
    expect(reasonOf(reason)).toBe('stream-error');
    expect(((reason as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(reasonOf(await pendingReq)).toBe('stream-error');
  });

  it('closes with hello-timeout when the peer never sends HELLO', async () => {
    const timers = new ManualTimers();
    const p = await rawPeer({ timers });
    const started = p.conn.start().catch((e: unknown) => e);
    await p.waitFor((m) => m.type === 'HELLO');
    timers.advance(9_999);
    expect(p.conn.isClosed).toBe(false);
    timers.advance(1);
    expect(reasonOf(await started)).toBe('hello-timeout');
    await p.closed();
    while (timers.pending > 0) await new Promise((r) => setTimeout(r, 2)); // the linger timer goes with 'finish'
    expect(p.received().map((m) => m.type)).toEqual(['HELLO']);
  });
});

describe('OfConnection: ERRORs and HELLO', () => {
  it('never answers an ERROR it cannot decode', async () => {
    const p = await rawPeer();
    await p.hello();
    const invalid = new Promise<OfpError>((r) => p.conn.once('invalid', r));
    p.peer.write(Buffer.from('0401000a0000002a0001', 'hex')); // an ERROR of 10 bytes: truncated
    const err = await invalid;
    expect(err.code).toBe(6); // BAD_LEN
    await p.sync();
    expect(p.received().filter((m) => m.type === 'ERROR')).toEqual([]);
    expect(p.conn.isReady).toBe(true);
  });

  it('closes without answering an ERROR that comes before HELLO', async () => {
    const p = await rawPeer();
    const started = p.conn.start().catch((e: unknown) => e);
    const text = new TextEncoder().encode('we only speak 1.0');
    p.write({ type: 'ERROR', xid: 1, errType: 0, code: 0, data: text });
    const err = await started;
    expect(reasonOf(err)).toBe('incompatible');
    expect((err as Error).message).toMatch(/ERROR before HELLO.*HELLO_FAILED\/INCOMPATIBLE.*we only speak 1\.0/);
    expect((err as Error).cause).toBeInstanceOf(OfpRemoteError);
    await p.closed();
    expect(p.received().map((m) => m.type)).toEqual(['HELLO']);
  });

  it('answers a first message other than HELLO with HELLO_FAILED carrying ASCII text', async () => {
    const p = await rawPeer();
    const started = p.conn.start().catch((e: unknown) => e);
    p.write({ type: 'FEATURES_REQUEST', xid: 9 });
    expect(reasonOf(await started)).toBe('incompatible');
    await p.closed();
    const msgs = p.received();
    expect(msgs.map((m) => m.type)).toEqual(['HELLO', 'ERROR']);
    const error = msgs[1] as Extract<Message, { type: 'ERROR' }>;
    expect(error).toMatchObject({ xid: 9, errType: 0, code: 0 });
    expect([...error.data].every((c) => c >= 0x20 && c < 0x7f)).toBe(true);
    expect(Buffer.from(error.data).toString('ascii')).toMatch(/HELLO/);
  });

  it('start() twice sends one HELLO and sets one hello timer', async () => {
    const timers = new ManualTimers();
    const p = await rawPeer({ timers });
    const a = p.conn.start();
    const b = p.conn.start();
    expect(timers.pending).toBe(1);
    p.write({ type: 'HELLO', xid: 1, version: 4, elements: [] });
    expect(await a).toBe(4);
    expect(await b).toBe(4);
    expect(await p.conn.start()).toBe(4);
    await p.sync();
    expect(p.received().filter((m) => m.type === 'HELLO')).toHaveLength(1);
    expect(timers.pending).toBe(0);
  });

  it('start() after close returns a rejected promise instead of throwing', async () => {
    const p = await rawPeer();
    p.conn.close();
    let started: Promise<number> | undefined;
    expect(() => {
      started = p.conn.start();
    }).not.toThrow();
    const err = await (started as Promise<number>).catch((e: unknown) => e);
    expect(reasonOf(err)).toBe('closed');
  });
});

describe('OfConnection: keepalive', () => {
  it('echoes echoIntervalMs after the last received byte and declares the peer dead deadAfterMs after it', async () => {
    const timers = new ManualTimers();
    const p = await rawPeer({ timers, echoIntervalMs: 5000, deadAfterMs: 15000 });
    await p.hello(); // the peer's HELLO: last received at t = 0
    const seen = new Promise<Message>((r) => p.conn.once('message', r));
    timers.advance(1000);
    p.write(portStatus(1)); // received at t = 1000
    await seen;
    const written = () => (p.conn.stream as net.Socket).bytesWritten;
    const base = written();
    timers.advance(4999); // t = 5999
    expect(written()).toBe(base);
    timers.advance(1); // t = 6000: 5 s of silence
    expect(written()).toBe(base + 8); // an empty ECHO_REQUEST
    timers.advance(4999); // t = 10999
    expect(written()).toBe(base + 8);
    timers.advance(1); // t = 11000: another 5 s without an answer
    expect(written()).toBe(base + 16);
    timers.advance(4999); // t = 15999
    expect(p.conn.isClosed).toBe(false);
    const closed = new Promise<Error | undefined>((r) => p.conn.once('close', r));
    timers.advance(1); // t = 16000: 15 s after the last byte
    expect(reasonOf(await closed)).toBe('dead-peer');
    const echoes = (await p.closed(), p.received().filter((m) => m.type === 'ECHO_REQUEST'));
    expect(echoes).toHaveLength(2);
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
