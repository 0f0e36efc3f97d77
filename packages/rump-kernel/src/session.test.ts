// The server side of sysproxy over real Unix sockets, driven with raw frames.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLASS,
  ERRNO,
  FrameSplitter,
  SYSCALLS,
  TYPE,
  cancelRequest,
  decodeFrame,
  encodeFrame,
  joinRequest,
  newProcessRequest,
  parseBanner,
  pingRequest,
  syscallRequest,
  type Frame,
} from '@rumpflow/sysproxy';
import { Kernel } from './kernel.js';
import { Session, type SessionOptions } from './session.js';
import { ManualTimers } from './timers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function server(opts: SessionOptions = {}): Promise<{ kernel: Kernel; path: string; sessions: Set<Session> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rk-'));
  const path = join(dir, 'rump.sock');
  const kernel = new Kernel();
  const sessions = new Set<Session>();
  // half-open, as RumpServer: a client's half-close must not end the replies
  const srv = net.createServer({ allowHalfOpen: true }, (s) => sessions.add(new Session(kernel, s, opts, (x) => sessions.delete(x))));
  await new Promise<void>((r) => srv.listen(path, () => r()));
  cleanups.push(() => {
    for (const s of sessions) s.close();
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { kernel, path, sessions };
}

/** A raw protocol client: the banner, then frames in and out. */
class Raw {
  banner = '';
  private buf = Buffer.alloc(0);
  private readonly split = new FrameSplitter();
  readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      if (!this.banner) {
        this.buf = Buffer.concat([this.buf, d]);
        const nl = this.buf.indexOf(10);
        if (nl < 0) return;
        this.banner = this.buf.subarray(0, nl + 1).toString();
        d = this.buf.subarray(nl + 1);
      }
      for (const f of this.split.push(d)) this.frames.push(decodeFrame(f));
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static async open(path: string): Promise<Raw> {
    const s = net.connect(path);
    await new Promise<void>((r) => s.once('connect', () => r()));
    const raw = new Raw(s);
    await raw.until(() => raw.banner !== '');
    return raw;
  }
  send(f: Frame | Uint8Array): void {
    this.sock.write(f instanceof Uint8Array ? f : encodeFrame(f));
  }
  async until(cond: () => boolean): Promise<void> {
    while (!cond()) {
      if (this.closed) return;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  async reply(reqno: number): Promise<Frame> {
    await this.until(() => this.frames.some((f) => f.reqno === reqno) || this.closed);
    const f = this.frames.find((x) => x.reqno === reqno);
    if (!f) throw new Error(`no reply to ${reqno}`);
    return f;
  }
  async call(reqno: number, name: keyof typeof SYSCALLS, args: Frame['body']): Promise<Frame> {
    this.send(syscallRequest(reqno, SYSCALLS[name].number, args));
    return this.reply(reqno);
  }
  /** Open and make a new process; returns the client. */
  static async process(path: string): Promise<Raw> {
    const c = await Raw.open(path);
    c.send(newProcessRequest(1, 'test'));
    await c.reply(1);
    return c;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const frameBytes = (frames: Frame[]) => Buffer.concat(frames.map((f) => encodeFrame(f)));

describe('Session', () => {
  it('sends the banner, makes a process, runs syscalls', async () => {
    const { path, kernel } = await server();
    const c = await Raw.open(path);
    expect(parseBanner(c.banner)).toMatchObject({ version: 1, auth: 'none', implementation: 'rump-kernel-server' });
    c.send(newProcessRequest(1, 'test'));
    const hs = await c.reply(1);
    expect(hs).toMatchObject({ cls: CLASS.RESPONSE, type: TYPE.HANDSHAKE, aux: 0 });
    const [pid, secret] = hs.body as [number, Uint8Array];
    expect(secret).toHaveLength(16);
    expect(kernel.processes.get(pid)?.program).toBe('test');
    expect((await c.call(2, 'getpid', [])).body).toEqual([pid, 0]);
    expect(await c.call(3, 'close', [9])).toMatchObject({ aux: ERRNO.EBADF });
    c.send(pingRequest(4));
    expect(await c.reply(4)).toMatchObject({ type: TYPE.PING, cls: CLASS.RESPONSE });
  });

  it('lets many calls block at once and answers in completion order; cancel ends one', async () => {
    const { path } = await server();
    const c = await Raw.open(path);
    c.send(newProcessRequest(1, 'test'));
    await c.reply(1);
    const pipes: number[][] = [];
    for (let i = 0; i < 200; i++) pipes.push((await c.call(100 + i, 'pipe2', [0])).body.slice(1) as number[]);
    // 200 reads blocked at once (NetBSD's sysproxy stops at 128 workers)
    pipes.forEach(([r], i) => c.send(syscallRequest(1000 + i, SYSCALLS.read.number, [r as number, 10])));
    expect((await c.call(5, 'getpid', [])).aux).toBe(0); // not held up
    // answer them in reverse order
    for (let i = 199; i >= 1; i--) c.send(syscallRequest(2000 + i, SYSCALLS.write.number, [pipes[i]![1] as number, new Uint8Array([i])]));
    await c.until(() => c.frames.filter((f) => f.reqno >= 1000 && f.reqno < 1200).length === 199);
    c.send(cancelRequest(3, 1000));
    expect(await c.reply(1000)).toMatchObject({ aux: ERRNO.ECANCELED });
    expect((await c.reply(1199)).body).toEqual([1, Buffer.from([199])]);
  });

  it('joins a second connection into the same process, and cleans up with the last', async () => {
    const { path, kernel } = await server();
    const a = await Raw.open(path);
    a.send(newProcessRequest(1, 'switchd'));
    const [pid, secret] = (await a.reply(1)).body as [number, Uint8Array];
    const [, r, w] = (await a.call(2, 'pipe2', [0])).body as number[];
    const b = await Raw.open(path);
    b.send(joinRequest(1, pid, secret));
    expect((await b.reply(1)).body[0]).toBe(pid);
    expect((await b.call(2, 'write', [w as number, new Uint8Array([7])])).body).toEqual([1]);
    expect((await a.call(3, 'read', [r as number, 1])).body).toEqual([1, Buffer.from([7])]);
    const bad = await Raw.open(path);
    bad.send(joinRequest(1, pid, new Uint8Array(16)));
    expect(await bad.reply(1)).toMatchObject({ aux: ERRNO.ESRCH });
    a.sock.destroy();
    await new Promise((res) => setTimeout(res, 20));
    expect(kernel.processes.get(pid)?.fds.size).toBe(2);
    b.sock.destroy();
    await new Promise((res) => setTimeout(res, 20));
    expect(kernel.processes.has(pid)).toBe(false);
  });

  it('requires the token when one is set', async () => {
    const { path } = await server({ authToken: 's3cret' });
    const c = await Raw.open(path);
    expect(parseBanner(c.banner).auth).toBe('token');
    c.send(newProcessRequest(1, 'x'));
    expect(await c.reply(1)).toMatchObject({ aux: ERRNO.ENEEDAUTH });
    const d = await Raw.open(path);
    d.send(newProcessRequest(1, 'x', 'wrong!'));
    expect(await d.reply(1)).toMatchObject({ aux: ERRNO.EAUTH });
    await d.until(() => d.closed);
    const e = await Raw.open(path);
    e.send(newProcessRequest(1, 'x', 's3cret'));
    expect(await e.reply(1)).toMatchObject({ aux: 0 });
  });

  it('answers malformed frames with error frames, closing when framing is lost', async () => {
    const { path, kernel } = await server({ maxFrame: 4096 });
    const c = await Raw.open(path);
    c.send(syscallRequest(1, 20, []));
    expect(await c.reply(1)).toMatchObject({ cls: CLASS.ERROR, aux: ERRNO.ENEEDAUTH });
    await c.until(() => c.closed);

    const d = await Raw.open(path);
    d.send(newProcessRequest(1, 'x'));
    await d.reply(1);
    const junk = Buffer.from(encodeFrame(syscallRequest(2, 20, [])));
    junk[16] = 0x77; // a body that is not values... (getpid has none: append one)
    d.send(Buffer.concat([Buffer.from('000000110000000200000002' + '00000014', 'hex'), Buffer.from([0x77])]));
    expect(await d.reply(2)).toMatchObject({ cls: CLASS.ERROR, aux: ERRNO.EINVAL });
    expect((await d.call(3, 'getpid', [])).aux).toBe(0); // still serving
    d.send(syscallRequest(4, SYSCALLS.write.number, [0, new Uint8Array(8000)])); // beyond maxFrame
    expect(await d.reply(4)).toMatchObject({ cls: CLASS.ERROR, aux: ERRNO.EMSGSIZE });
    await d.until(() => d.closed);
    expect(d.closed).toBe(true);
    await new Promise((res) => setTimeout(res, 20));
    expect(kernel.processes.size).toBe(0);
  });
});

describe('Session limits and endings', () => {
  it('holds calls beyond the reply budget while the client does not read, and answers every one once it does', async () => {
    const { path, kernel, sessions } = await server({ maxQueuedBytes: 256 * 1024 });
    let completed = 0;
    kernel.trace.subscribe((r) => void (r.syscall === 'read' && completed++));
    const c = await Raw.process(path);
    const z = (await c.call(2, 'open', ['/dev/zero', 0, 0])).body[0] as number;
    c.sock.pause(); // a client that sends and never reads
    const reads = Array.from({ length: 100 }, (_, i) => syscallRequest(100 + i, SYSCALLS.read.number, [z, 64 * 1024]));
    c.send(frameBytes(reads));
    await sleep(200);
    const [session] = [...sessions];
    // 6.4 MB of replies asked for: the server made only a few budgets' worth
    expect(completed).toBeLessThan(40);
    expect(session!.callsHeld).toBeGreaterThan(0);
    expect(session!.replyBytes).toBeLessThanOrEqual(3 * 256 * 1024);
    c.sock.resume();
    await c.until(() => c.frames.filter((f) => f.reqno >= 100).length === 100);
    expect(c.frames.filter((f) => f.reqno >= 100).every((f) => f.aux === 0 && (f.body[1] as Uint8Array).length === 64 * 1024)).toBe(true);
    expect(session!.replyBytes).toBe(0);
  });

  it('cancels a call still waiting for admission', async () => {
    const { path } = await server({ maxQueuedBytes: 64 * 1024 });
    const c = await Raw.process(path);
    const z = (await c.call(2, 'open', ['/dev/zero', 0, 0])).body[0] as number;
    // two reads of 64 KiB: the second waits for the first; the cancel in the same chunk finds it waiting
    c.send(frameBytes([syscallRequest(10, SYSCALLS.read.number, [z, 65536]), syscallRequest(11, SYSCALLS.read.number, [z, 65536]), cancelRequest(12, 11)]));
    expect(await c.reply(11)).toMatchObject({ cls: CLASS.RESPONSE, aux: ERRNO.ECANCELED });
    expect(await c.reply(10)).toMatchObject({ aux: 0 });
    expect((await c.call(13, 'getpid', [])).aux).toBe(0);
  });

  it('answers the calls in flight after the client half-closes, then ends', async () => {
    const { path, kernel } = await server();
    const a = await Raw.process(path);
    const [pid, secret] = (await a.reply(1)).body as [number, Uint8Array];
    const [, r, w] = (await a.call(2, 'pipe2', [0])).body as number[];
    a.send(syscallRequest(3, SYSCALLS.read.number, [r as number, 5])); // blocks
    await sleep(20);
    a.sock.end(); // no more requests
    const b = await Raw.open(path);
    b.send(joinRequest(1, pid, secret));
    await b.reply(1);
    await sleep(20);
    expect((await b.call(2, 'write', [w as number, new TextEncoder().encode('hello')])).body).toEqual([5]);
    expect((await a.reply(3)).body).toEqual([5, Buffer.from('hello')]);
    await a.until(() => a.closed);
    expect(kernel.processes.get(pid)?.connections).toBe(1);
  });

  it('cancels what a half-closed client still has blocked once the grace is over, then ends', async () => {
    const timers = new ManualTimers();
    const { path, kernel } = await server({ timers, halfCloseGraceMs: 1000 });
    const c = await Raw.process(path);
    const [pid] = (await c.reply(1)).body as [number];
    const [, r] = (await c.call(2, 'pipe2', [0])).body as number[];
    c.send(syscallRequest(3, SYSCALLS.read.number, [r as number, 5])); // nobody will write
    await sleep(20);
    c.sock.end();
    await sleep(20);
    timers.advance(999);
    await sleep(20);
    expect(c.closed).toBe(false);
    timers.advance(1);
    expect(await c.reply(3)).toMatchObject({ cls: CLASS.RESPONSE, aux: ERRNO.ECANCELED });
    await c.until(() => c.closed);
    expect(kernel.processes.has(pid)).toBe(false);
  });

  it('sends what is queued, and the last error frame, before ending a connection', async () => {
    const { path } = await server();
    const c = await Raw.process(path);
    const z = (await c.call(2, 'open', ['/dev/zero', 0, 0])).body[0] as number;
    c.sock.pause();
    c.send(frameBytes([1, 2, 3].map((i) => syscallRequest(10 + i, SYSCALLS.read.number, [z, 1024 * 1024]))));
    await sleep(100); // three replies of 1 MiB wait in the server, far beyond the socket's buffers
    c.send(Buffer.from('0000000400000063', 'hex')); // a length below the header: fatal
    await sleep(100);
    c.sock.resume();
    await c.until(() => c.closed);
    expect(c.frames.slice(-4).map((f) => [f.reqno, f.cls, f.aux])).toEqual([
      [11, CLASS.RESPONSE, 0],
      [12, CLASS.RESPONSE, 0],
      [13, CLASS.RESPONSE, 0],
      [0x63, CLASS.ERROR, ERRNO.EMSGSIZE],
    ]);
  });

  it('ends a connection that does not handshake within the deadline (ETIMEDOUT)', async () => {
    const timers = new ManualTimers();
    const { path, sessions } = await server({ timers, handshakeTimeoutMs: 10_000 });
    const idle = await Raw.open(path);
    const quick = await Raw.process(path);
    timers.advance(9_999);
    await sleep(20);
    expect(idle.closed).toBe(false);
    timers.advance(1);
    await idle.until(() => idle.closed);
    expect(idle.frames).toMatchObject([{ cls: CLASS.ERROR, type: TYPE.HANDSHAKE, aux: ERRNO.ETIMEDOUT }]);
    // a connection that did handshake stays
    expect((await quick.call(2, 'getpid', [])).aux).toBe(0);
    expect(sessions.size).toBe(1);
  });
});
