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

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function server(opts: SessionOptions = {}): Promise<{ kernel: Kernel; path: string; sessions: Set<Session> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rk-'));
  const path = join(dir, 'rump.sock');
  const kernel = new Kernel();
  const sessions = new Set<Session>();
  const srv = net.createServer((s) => sessions.add(new Session(kernel, s, opts, (x) => sessions.delete(x))));
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
}

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
