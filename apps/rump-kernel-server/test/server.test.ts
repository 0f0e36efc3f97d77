// rump-kernel-server as a real process, driven through its sysproxy listeners (unix:// and
// tcp://) by @rumpflow/rumpclient and by raw frames, and watched through its admin server
// (/healthz, /metrics, /v1/procs, the /v1/ktrace websocket). Every server runs as a child
// process (test/server-process.ts); none is left behind.

import { existsSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import {
  type ConnectOptions,
  EV,
  EVFILT,
  ERRNO,
  F,
  O,
  POLL,
  RumpClient,
  SyscallError,
} from '@rumpflow/rumpclient';
import {
  CLASS,
  SYSCALLS,
  TYPE,
  cancelRequest,
  encodeFrame,
  encodeValues,
  joinRequest,
  newProcessRequest,
  pingRequest,
  syscallRequest,
} from '@rumpflow/sysproxy';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { RawConnection, rawFrame } from './raw.js';
import {
  type ServerProcess,
  type TempDir,
  killAll,
  spawnServer,
  startServer,
  tempDir,
} from './server-process.js';

/** Bounds for hooks and tests that start server processes (tsx start-up is slow under load). */
const HOOK_MS = 60_000;
const SPAWNS_MS = 60_000;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Poll until `check` stops throwing (the test's own timeout bounds it). */
const eventually = (check: () => unknown, timeout = 20_000): Promise<unknown> =>
  vi.waitFor(check, { timeout, interval: 20 });

/** What a promise rejected with (fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<SyscallError> {
  try {
    await p;
  } catch (e) {
    return e as SyscallError;
  }
  throw new Error('expected a rejection, the call succeeded');
}

// Clients and raw connections of the running test, closed after it.
const open = new Set<{ close(): Promise<void> }>();

async function connect(url: string, opts: ConnectOptions = {}): Promise<RumpClient> {
  const c = await RumpClient.connect(url, { program: 'e2e', env: {}, ...opts });
  open.add(c);
  return c;
}

async function join(c: RumpClient): Promise<RumpClient> {
  const j = await c.join();
  open.add(j);
  return j;
}

async function raw(url: string): Promise<RawConnection> {
  const r = await RawConnection.open(url);
  open.add(r);
  return r;
}

async function rawProcess(url: string, token?: string): Promise<{ conn: RawConnection; pid: number }> {
  const r = await RawConnection.process(url, 'raw', token);
  open.add(r.conn);
  return r;
}

afterEach(async () => {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((c) => c.close().catch(() => undefined)));
});

afterAll(async () => {
  await killAll();
});

// --- the admin API ---------------------------------------------------------------------

interface FdInfo {
  fd: number;
  kind: string;
  name: string;
  flags: number;
  kqueueRegistrations?: number;
}
interface ProcInfo {
  pid: number;
  program: string;
  connections: number;
  callsInFlight: number;
  fds: FdInfo[];
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as T };
}

async function procs(srv: ServerProcess, pid?: number): Promise<ProcInfo[]> {
  const { status, body } = await getJson<{ procs: ProcInfo[] }>(
    `${srv.adminUrl}/v1/procs${pid === undefined ? '' : `?pid=${pid}`}`,
  );
  expect(status).toBe(200);
  return body.procs;
}

/** One sample of /metrics: `name`, with its labels if it has any (`name{a="b"}`). */
async function metric(srv: ServerProcess, name: string, absent?: number): Promise<number> {
  const text = await (await fetch(`${srv.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) {
    if (absent !== undefined) return absent;
    throw new Error(`no metric ${name}`);
  }
  return Number(line.slice(name.length + 1));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The value `read` settles on: the same in two readings `intervalMs` apart. */
async function steady(read: () => Promise<number>, intervalMs = 300): Promise<number> {
  let last = await read();
  for (;;) {
    await sleep(intervalMs);
    const now = await read();
    if (now === last) return now;
    last = now;
  }
}

/** Connect to a unix:// URL and count the bytes the server sends before it closes the connection. */
function bytesUntilClose(url: string): Promise<number> {
  const socket = net.createConnection({ path: decodeURIComponent(new URL(url).pathname) });
  let n = 0;
  return new Promise((resolve) => {
    socket.on('data', (d: Buffer) => (n += d.length));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(n));
  });
}

async function healthz(srv: ServerProcess): Promise<number> {
  return (await fetch(`${srv.adminUrl}/healthz`)).status;
}

/** A live /v1/ktrace stream, its JSON events queued. */
class Trace {
  private readonly events: Record<string, unknown>[] = [];
  private readonly waiting: ((e: Record<string, unknown>) => void)[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const e = JSON.parse(String(data)) as Record<string, unknown>;
      const w = this.waiting.shift();
      if (w) w(e);
      else this.events.push(e);
    });
  }

  static open(srv: ServerProcess, query: string, origin?: string): Promise<Trace> {
    const ws = new WebSocket(
      `${srv.adminUrl.replace(/^http/, 'ws')}/v1/ktrace${query}`,
      origin !== undefined ? { origin } : {},
    );
    const t = new Trace(ws);
    open.add(t);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(t));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  next(): Promise<Record<string, unknown>> {
    const e = this.events.shift();
    if (e) return Promise.resolve(e);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  get queued(): number {
    return this.events.length;
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.terminate();
    });
  }
}

// ---------------------------------------------------------------------------------------

describe('one server on unix:// and tcp://', () => {
  let tmp: TempDir;
  let sock: string;
  let srv: ServerProcess;
  let unixUrl: string;
  let tcpUrl: string;

  beforeAll(async () => {
    tmp = tempDir();
    sock = path.join(tmp.dir, 'rump.sock');
    srv = await startServer(['--admin', '127.0.0.1:0', `unix://${sock}`, 'tcp://127.0.0.1:0']);
    unixUrl = srv.url('unix');
    tcpUrl = srv.url('tcp');
  }, HOOK_MS);

  afterAll(async () => {
    await srv?.stop();
    tmp?.remove();
  }, HOOK_MS);

  it('listens where the log says, the socket file 0600 by default, healthy', async () => {
    expect(unixUrl).toBe(`unix://${sock}`);
    expect(tcpUrl).toMatch(/^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    const st = statSync(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    const { status, body } = await getJson<{
      status: string;
      checks: Record<string, { ok: boolean; detail: string }>;
    }>(`${srv.adminUrl}/healthz`);
    expect(status).toBe(200);
    expect(body.checks.listeners).toMatchObject({ ok: true });
    const listeners = (await getJson<{ listeners: string[] }>(`${srv.adminUrl}/v1/procs`)).body.listeners;
    expect(listeners).toEqual([unixUrl, tcpUrl]);
    for (const url of [unixUrl, tcpUrl]) {
      const c = await connect(url);
      expect(c.banner).toMatchObject({ implementation: 'rump-kernel-server', auth: 'none' });
      expect(await c.getpid()).toBe(c.pid);
    }
  });

  it('serves 20 clients x 20 blocked pipe reads at once; none holds up another', async () => {
    const N = 20;
    const M = 20;
    const clients = await Promise.all(
      range(N).map((i) => connect(i % 2 === 0 ? unixUrl : tcpUrl, { program: `c${i}` })),
    );
    const pipes = await Promise.all(clients.map((c) => Promise.all(range(M).map(() => c.pipe2()))));
    let released = false;
    let early = 0;
    const reads = clients.map((c, i) =>
      pipes[i]!.map(([r]) =>
        c.read(r, 64).then((d) => {
          if (!released) early++;
          return dec(d);
        }),
      ),
    );
    // every read has reached the kernel and is blocked there
    const pids = new Set(clients.map((c) => c.pid));
    await eventually(async () => {
      const mine = (await procs(srv)).filter((p) => pids.has(p.pid));
      expect(mine.map((p) => p.callsInFlight)).toEqual(range(N).map(() => M));
    });
    // a null syscall on each connection answers while its 20 reads (and 380 others) wait
    expect(await Promise.all(clients.map((c) => c.getpid()))).toEqual(clients.map((c) => c.pid));
    // the last read issued on a connection completes first when its pipe is written first
    const last = clients[N - 1]!;
    const [, lastW] = pipes[N - 1]![M - 1]!;
    await last.write(lastW, enc('last'));
    const lastRead = reads[N - 1]![M - 1]!;
    expect(await lastRead).toBe('last');
    expect(early).toBe(1);
    released = true;
    await Promise.all(
      clients.flatMap((c, i) =>
        pipes[i]!.slice(0, i === N - 1 ? M - 1 : M).map(([, w], j) => c.write(w, enc(`${i}:${j}`))),
      ),
    );
    const got = await Promise.all(reads.map((rs) => Promise.all(rs)));
    expect(got).toEqual(
      range(N).map((i) => range(M).map((j) => (i === N - 1 && j === M - 1 ? 'last' : `${i}:${j}`))),
    );
  });

  it('join() shares the fd table; the process lives while one connection does', async () => {
    const a = await connect(unixUrl, { program: 'joined' });
    const b = await join(a);
    expect(b.pid).toBe(a.pid);
    expect(await b.getpid()).toBe(a.pid);
    const [r, w] = await a.pipe2();
    // a read blocked on one connection does not delay the other, which feeds it
    const reading = a.read(r, 100);
    expect(await b.write(w, enc('through the shared table'))).toBe(24);
    expect(dec(await reading)).toBe('through the shared table');
    const z = await b.open('/dev/zero', O.RDONLY);
    expect(await a.read(z, 8)).toEqual(new Uint8Array(8));
    const [p] = await procs(srv, a.pid);
    expect(p).toMatchObject({ pid: a.pid, program: 'joined', connections: 2 });
    expect(p!.fds.map((f) => f.fd)).toEqual([r, w, z]);
    // a joined connection from elsewhere, with the pid and the secret
    const c = await connect(tcpUrl, { join: { pid: a.pid, secret: a.secret } });
    expect(await c.fcntl(z, F.GETFL)).toBe(O.RDONLY);
    await c.close();
    await a.close();
    expect(await b.read(z, 4)).toEqual(new Uint8Array(4));
    await eventually(async () => expect((await procs(srv, a.pid))[0]?.connections).toBe(1));
    // a wrong secret is ESRCH
    const wrong = new Uint8Array(16);
    expect(await rejection(connect(unixUrl, { join: { pid: b.pid, secret: wrong } }))).toMatchObject({
      code: 'ESRCH',
    });
    await b.close();
    await eventually(async () => expect(await procs(srv, a.pid)).toEqual([]));
    expect(await rejection(connect(unixUrl, { join: { pid: a.pid, secret: a.secret } }))).toMatchObject({
      code: 'ESRCH',
    });
  });

  it('after clients close, no process, fd, blocked call or registration is left', async () => {
    const a = await connect(unixUrl, { program: 'leaver' });
    const b = await join(a);
    const c = await connect(tcpUrl, { program: 'leaver2' });
    const [r, w] = await a.pipe2();
    const z = await a.open('/dev/zero', O.RDONLY);
    const kq = await a.kqueue();
    await a.kevent(
      kq,
      [{ ident: r, filter: EVFILT.READ, flags: EV.ADD, fflags: 0, data: 0, udata: 0 }],
      0,
      0,
    );
    const blocked = [a.read(r, 1), b.kevent(kq, [], 1, null), b.poll([{ fd: r, events: POLL.IN }], -1)];
    const [cr] = await c.pipe2();
    blocked.push(c.read(cr, 1));
    const settled = blocked.map((p) => rejection(p));
    await eventually(async () => {
      const ps = await procs(srv);
      expect(ps.find((p) => p.pid === a.pid)).toMatchObject({ connections: 2, callsInFlight: 3 });
      expect(ps.find((p) => p.pid === c.pid)).toMatchObject({ connections: 1, callsInFlight: 1 });
    });
    const [pa] = await procs(srv, a.pid);
    expect(pa!.fds.map((f) => [f.fd, f.kind])).toEqual([
      [r, 'pipe'],
      [w, 'pipe'],
      [z, 'vnode'],
      [kq, 'kqueue'],
    ]);
    expect(pa!.fds.find((f) => f.fd === kq)?.kqueueRegistrations).toBe(1);
    expect(await metric(srv, 'rumpkernel_kqueue_registrations')).toBeGreaterThanOrEqual(1);

    await Promise.all([a.close(), b.close(), c.close()]);
    for (const e of await Promise.all(settled)) expect(e).toMatchObject({ code: 'ENOTCONN' });
    await eventually(async () => expect(await procs(srv)).toEqual([]));
    await eventually(async () => {
      expect(await metric(srv, 'rumpkernel_processes')).toBe(0);
      expect(await metric(srv, 'rumpkernel_fds')).toBe(0);
      expect(await metric(srv, 'rumpkernel_calls_in_flight')).toBe(0);
      expect(await metric(srv, 'rumpkernel_kqueue_registrations')).toBe(0);
      expect(await metric(srv, 'rumpkernel_connections')).toBe(0);
    });
    expect(await healthz(srv)).toBe(200);
  });

  it('answers errno for misuse: EBADF, EINVAL, ENOSYS, ENOENT, EAGAIN, EPIPE', async () => {
    const c = await connect(unixUrl);
    const [r, w] = await c.pipe2();
    const code = async (p: Promise<unknown>): Promise<string> => (await rejection(p)).code;
    // EBADF
    expect(await code(c.read(999, 1))).toBe('EBADF');
    expect(await code(c.close(999))).toBe('EBADF');
    expect(await code(c.write(r, enc('x')))).toBe('EBADF');
    expect(await code(c.read(w, 1))).toBe('EBADF');
    expect(await code(c.dup(-1))).toBe('EBADF');
    // EINVAL from the kernel
    expect(await code(c.open('/dev/null', O.ACCMODE))).toBe('EINVAL');
    expect(await code(c.read(r, -1))).toBe('EINVAL');
    expect(await code(c.pipe2(0x1234))).toBe('EINVAL');
    expect(await code(c.fcntl(r, 999))).toBe('EINVAL');
    // EINVAL from the client, before sending (arguments of the wrong shape)
    expect(await code(c.syscall('read', [r]))).toBe('EINVAL');
    // ENOENT
    expect(await code(c.open('/etc/passwd', O.RDONLY))).toBe('ENOENT');
    expect(await code(c.open('/dev/nosuchdevice', O.RDONLY))).toBe('ENOENT');
    // EAGAIN: O_NONBLOCK (0x4) on an empty pipe, from pipe2 and from fcntl(F_SETFL)
    const [nr, nw] = await c.pipe2(O.NONBLOCK);
    expect(O.NONBLOCK).toBe(0x4);
    expect(await code(c.read(nr, 1))).toBe('EAGAIN');
    expect(await c.write(nw, new Uint8Array(65536))).toBe(65536);
    expect(await code(c.write(nw, enc('full')))).toBe('EAGAIN');
    await c.fcntl(r, F.SETFL, O.NONBLOCK);
    expect(await code(c.read(r, 1))).toBe('EAGAIN');
    // EPIPE: writing with the read end closed
    await c.close(r);
    expect(await code(c.write(w, enc('nobody')))).toBe('EPIPE');
    // the errno travels as NetBSD's number too
    const e = await rejection(c.read(12345, 1));
    expect(e).toBeInstanceOf(SyscallError);
    expect(e).toMatchObject({ errno: ERRNO.EBADF, syscall: 'read' });
    // ENOSYS and EINVAL for requests the client would not send: raw frames
    const { conn } = await rawProcess(unixUrl);
    conn.send(syscallRequest(7, 9999, []));
    expect(await conn.next()).toMatchObject({
      reqno: 7,
      cls: CLASS.RESPONSE,
      type: TYPE.SYSCALL,
      aux: ERRNO.ENOSYS,
    });
    conn.send(syscallRequest(8, 3, ['not an fd', 1]));
    expect(await conn.next()).toMatchObject({ reqno: 8, cls: CLASS.RESPONSE, aux: ERRNO.EINVAL });
    conn.send(syscallRequest(9, 20, []));
    expect(await conn.next()).toMatchObject({ reqno: 9, cls: CLASS.RESPONSE, aux: 0 });
    // a second handshake on a connection is EALREADY
    conn.send(newProcessRequest(10, 'again'));
    expect(await conn.next()).toMatchObject({ reqno: 10, type: TYPE.HANDSHAKE, aux: ERRNO.EALREADY });
  });

  it('cancels a blocked call (ECANCELED) and keeps serving', async () => {
    const { conn, pid } = await rawProcess(unixUrl);
    conn.send(syscallRequest(2, 453, [0]));
    const pipe = await conn.next();
    const rfd = pipe!.body[1] as number;
    conn.send(syscallRequest(3, 3, [rfd, 10]));
    await eventually(async () => expect((await procs(srv, pid))[0]?.callsInFlight).toBe(1));
    conn.send(cancelRequest(4, 3));
    expect(await conn.next()).toMatchObject({ reqno: 3, cls: CLASS.RESPONSE, aux: ERRNO.ECANCELED });
    conn.send(pingRequest(5));
    expect(await conn.next()).toMatchObject({ reqno: 5, cls: CLASS.RESPONSE, type: TYPE.PING });
  });

  it('answers malformed frames with an error frame, drops oversized ones, and keeps serving others', async () => {
    const bystander = await connect(tcpUrl, { program: 'bystander' });
    const errorsBefore = await metric(srv, 'rumpkernel_protocol_errors_total');
    const { conn } = await rawProcess(unixUrl);

    // a body that is not values (tag 0x09): error frame, the connection stays
    conn.write(
      rawFrame({ length: 18, reqno: 21, cls: 0, type: TYPE.SYSCALL, aux: 20 }, new Uint8Array([0x09, 0x00])),
    );
    expect(await conn.next()).toMatchObject({ reqno: 21, cls: CLASS.ERROR, aux: ERRNO.EINVAL });
    // an unknown frame type, a reserved flag, a response sent to the server
    conn.write(rawFrame({ length: 16, reqno: 22, cls: 0, type: 9, aux: 0 }));
    expect(await conn.next()).toMatchObject({ reqno: 22, cls: CLASS.ERROR, aux: ERRNO.EINVAL });
    conn.write(rawFrame({ length: 16, reqno: 23, cls: 0, flags: 1, type: TYPE.PING, aux: 0 }));
    expect(await conn.next()).toMatchObject({ reqno: 23, cls: CLASS.ERROR, aux: ERRNO.EINVAL });
    conn.write(rawFrame({ length: 16, reqno: 24, cls: 1, type: TYPE.PING, aux: 0 }));
    expect(await conn.next()).toMatchObject({ reqno: 24, cls: CLASS.ERROR, aux: ERRNO.EINVAL });
    // a list nested too deep
    const deep = encodeValues([[[[[[[[[[1]]]]]]]]]]);
    conn.write(rawFrame({ length: 16 + deep.length, reqno: 25, cls: 0, type: TYPE.SYSCALL, aux: 20 }, deep));
    expect(await conn.next()).toMatchObject({ reqno: 25, cls: CLASS.ERROR, aux: ERRNO.EINVAL });
    // a whole frame trickled one byte at a time is still one frame
    const ping = rawFrame({ length: 16, reqno: 26, cls: 0, type: TYPE.PING, aux: 0 });
    for (const byte of ping) conn.write(new Uint8Array([byte]));
    expect(await conn.next()).toMatchObject({ reqno: 26, cls: CLASS.RESPONSE, type: TYPE.PING });
    expect(await bystander.getpid()).toBe(bystander.pid);

    // oversized: a length above maxframe is fatal: error frame (EMSGSIZE), then the close
    const maxFrame = bystander.banner.maxFrame;
    conn.write(rawFrame({ length: maxFrame + 1, reqno: 27, cls: 0, type: TYPE.SYSCALL, aux: 4 }));
    expect(await conn.next()).toMatchObject({ reqno: 27, cls: CLASS.ERROR, aux: ERRNO.EMSGSIZE });
    expect(await conn.next()).toBeUndefined();
    await conn.closed;

    // below the header, and 0xffffffff, on fresh connections
    for (const length of [4, 0xffffffff]) {
      const { conn: c2 } = await rawProcess(unixUrl);
      c2.write(rawFrame({ length, reqno: 28, cls: 0, type: TYPE.PING, aux: 0 }));
      expect(await c2.next()).toMatchObject({ reqno: 28, cls: CLASS.ERROR, aux: ERRNO.EMSGSIZE });
      expect(await c2.next()).toBeUndefined();
    }

    // a request before the handshake: error frame, then the close
    const early = await raw(unixUrl);
    early.send(syscallRequest(29, 20, []));
    expect(await early.next()).toMatchObject({ reqno: 29, cls: CLASS.ERROR, aux: ERRNO.ENEEDAUTH });
    expect(await early.next()).toBeUndefined();
    // garbage that is not sysproxy at all
    const junk = await raw(tcpUrl);
    junk.write(enc('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(await junk.next()).toMatchObject({ cls: CLASS.ERROR, aux: ERRNO.EMSGSIZE });
    expect(await junk.next()).toBeUndefined();

    // the server is alive, healthy, serving, and counted the errors
    expect(srv.running).toBe(true);
    expect(await healthz(srv)).toBe(200);
    expect(await bystander.getpid()).toBe(bystander.pid);
    const fresh = await connect(unixUrl);
    expect(await fresh.getpid()).toBe(fresh.pid);
    expect(await metric(srv, 'rumpkernel_protocol_errors_total')).toBeGreaterThanOrEqual(errorsBefore + 10);
  });

  it('a join with a wrong secret over a raw socket is ESRCH and closes', async () => {
    const { pid } = await rawProcess(unixUrl);
    const r = await raw(unixUrl);
    r.send(joinRequest(1, pid, new Uint8Array(16)));
    expect(await r.next()).toMatchObject({ reqno: 1, type: TYPE.HANDSHAKE, aux: ERRNO.ESRCH });
    expect(await r.next()).toBeUndefined();
  });

  it('streams /v1/ktrace events as JSON, filtered by ?pid= and ?syscall=', async () => {
    const a = await connect(unixUrl, { program: 'traced' });
    const b = await connect(tcpUrl, { program: 'other' });
    const t = await Trace.open(srv, `?pid=${a.pid}&syscall=getpid`);
    // b's getpid and a's getppid come first, but only a's getpid passes the filter
    await b.getpid();
    await a.getppid();
    await a.getpid();
    const ev = await t.next();
    expect(ev).toMatchObject({ pid: a.pid, program: 'traced', syscall: 'getpid', result: `${a.pid}, 0` });
    expect(typeof ev.time).toBe('string');
    expect(typeof ev.durationMs).toBe('number');
    expect(ev.errno).toBeUndefined();

    // several syscalls, any pid; a failure carries its errno name
    const all = await Trace.open(srv, '?syscall=close,getppid');
    await b.getppid();
    await rejection(a.close(4242));
    expect(await all.next()).toMatchObject({ pid: b.pid, program: 'other', syscall: 'getppid' });
    expect(await all.next()).toMatchObject({ pid: a.pid, syscall: 'close', args: '4242', errno: 'EBADF' });
    // the pid filter held meanwhile
    expect(t.queued).toBe(0);

    // a query the schema refuses is not upgraded
    await expect(Trace.open(srv, '?pid=notanumber')).rejects.toThrow(/HTTP 400/);
    // nor is a web page of another site (any page may open a websocket to loopback)
    await expect(Trace.open(srv, '', 'http://evil.example')).rejects.toThrow(/HTTP 403/);
    const sameOrigin = await Trace.open(srv, '', srv.adminUrl);
    await sameOrigin.close();
  });

  it('kqueue through the server: a kevent waiting on a pipe is woken by a write from a joined connection', async () => {
    const a = await connect(unixUrl);
    const b = await join(a);
    const [r, w] = await a.pipe2();
    const kq = await a.kqueue();
    expect(
      await a.kevent(
        kq,
        [{ ident: r, filter: EVFILT.READ, flags: EV.ADD, fflags: 0, data: 0, udata: 77 }],
        0,
        0,
      ),
    ).toEqual([]);
    const waiting = a.kevent(kq, [], 4, null);
    // it waits in the kernel before anything is written
    await eventually(async () => expect((await procs(srv, a.pid))[0]?.callsInFlight).toBe(1));
    // the wait holds up nothing on its own connection
    expect(await a.getpid()).toBe(a.pid);
    expect(await b.write(w, enc('hello'))).toBe(5);
    const events = await waiting;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ ident: r, filter: EVFILT.READ, udata: 77 });
    expect(Number(events[0]!.data)).toBe(5);
    // level-triggered: still readable until read
    const again = await a.kevent(kq, [], 4, 0);
    expect(again.map((e) => Number(e.data))).toEqual([5]);
    expect(dec(await b.read(r, 16))).toBe('hello');
    expect(await a.kevent(kq, [], 4, 0)).toEqual([]);
    // EOF: closing the write end wakes a new wait with EV_EOF
    const eof = a.kevent(kq, [], 4, null);
    await eventually(async () => expect((await procs(srv, a.pid))[0]?.callsInFlight).toBe(1));
    await b.close(w);
    const [e] = await eof;
    expect(e).toMatchObject({ ident: r, filter: EVFILT.READ });
    expect(e!.flags & EV.EOF).toBe(EV.EOF);
  });

  it('labels unknown syscall numbers "unknown" in /metrics, and exposes totals as counters', async () => {
    const { conn } = await rawProcess(unixUrl);
    for (const [reqno, sysno] of [
      [7, 9999],
      [8, 12345],
    ] as const) {
      conn.send(syscallRequest(reqno, sysno, []));
      expect(await conn.next()).toMatchObject({ reqno, aux: ERRNO.ENOSYS });
    }
    const text = await (await fetch(`${srv.adminUrl}/metrics`)).text();
    expect(text).toMatch(/^rumpkernel_syscalls_total\{syscall="unknown",errno="ENOSYS"\} [1-9]\d*$/m);
    expect(text).not.toContain('syscall="#');
    for (const name of [
      'rumpkernel_bytes_in_total',
      'rumpkernel_bytes_out_total',
      'rumpkernel_protocol_errors_total',
      'rumpkernel_connections_refused_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} counter`);
    }
  });

  it('answers the calls a client sent before it half-closed, then closes', async () => {
    const conn = await raw(unixUrl);
    conn.send(newProcessRequest(1, 'half'));
    const [pid, secret] = (await conn.next())!.body as [number, Uint8Array];
    conn.send(syscallRequest(2, SYSCALLS.pipe2.number, [0]));
    const [, r, w] = (await conn.next())!.body as number[];
    conn.send(syscallRequest(3, SYSCALLS.read.number, [r!, 16])); // blocks until the write below
    await eventually(async () => expect((await procs(srv, pid))[0]?.callsInFlight).toBe(1));
    conn.socket.end(); // no more requests
    const other = await connect(unixUrl, { join: { pid, secret } });
    expect(await other.write(w!, enc('hello'))).toBe(5);
    expect(await conn.next()).toMatchObject({ reqno: 3, aux: 0, body: [5, enc('hello')] });
    expect(await conn.next()).toBeUndefined();
    await eventually(async () => expect((await procs(srv, pid))[0]?.connections).toBe(1));
  });

  // --- known bugs: these fail until fixed (see the report) ---------------------------------

  it('answers the frames before a bad length in the same chunk, then the error frame', async () => {
    // FrameSplitter.split() (packages/sysproxy/src/frame.ts) throws from check() in the middle
    // of its loop and loses the frames it had already split, so whether a request is answered
    // depends on how the stream was segmented.
    const { conn } = await rawProcess(unixUrl);
    const ping = rawFrame({ length: 16, reqno: 5, cls: 0, type: TYPE.PING, aux: 0 });
    const bad = rawFrame({ length: 4, reqno: 6, cls: 0, type: TYPE.PING, aux: 0 });
    conn.write(new Uint8Array([...ping, ...bad]));
    expect(await conn.next()).toMatchObject({ reqno: 5, cls: CLASS.RESPONSE, type: TYPE.PING });
    expect(await conn.next()).toMatchObject({ reqno: 6, cls: CLASS.ERROR, aux: ERRNO.EMSGSIZE });
    expect(await conn.next()).toBeUndefined();
  });

  it('never sends a frame above its own maxframe: readv of 1024 buffers totalling 1 MiB', async () => {
    // The kernel caps a readv at maxIo = maxframe - 4096 bytes of data (main.ts), but 1024
    // buffers cost 5 bytes of value tag and length each: the response frame is 1,053,726
    // bytes against maxframe 1,052,672, and the client drops the connection (EPROTO).
    const c = await connect(unixUrl);
    const z = await c.open('/dev/zero', O.RDONLY);
    const got = await c
      .readv(
        z,
        range(1024).map(() => 1024),
      )
      .catch((e: unknown) => e);
    expect(got).not.toBeInstanceOf(Error);
    const bufs = got as Uint8Array[];
    expect(bufs.reduce((n, b) => n + b.length, 0)).toBeLessThanOrEqual(1024 * 1024);
    expect(await c.getpid()).toBe(c.pid);
  });

  it('ends with SIGTERM: exit 0 with clients, a ktrace stream and HTTP keep-alive open; socket file removed', async () => {
    const c = await connect(unixUrl);
    const [r] = await c.pipe2();
    const blocked = rejection(c.read(r, 1));
    const t = await Trace.open(srv, '');
    const traceClosed = new Promise((resolve) => t.ws.once('close', resolve));
    expect(await healthz(srv)).toBe(200);
    expect(await srv.stop()).toEqual({ code: 0, signal: null });
    expect(existsSync(sock)).toBe(false);
    expect(await blocked).toMatchObject({ code: 'ENOTCONN' });
    await traceClosed;
  });
});

describe('connection limits: --max-connections, --handshake-timeout, the reply budget', () => {
  let tmp: TempDir;
  let srv: ServerProcess;
  let url: string;

  beforeAll(async () => {
    tmp = tempDir();
    srv = await startServer([
      '--admin',
      '127.0.0.1:0',
      '--max-connections',
      '3',
      '--handshake-timeout',
      '1',
      `unix://${path.join(tmp.dir, 'limits.sock')}`,
    ]);
    url = srv.url('unix');
  }, HOOK_MS);

  afterAll(async () => {
    await srv?.stop();
    tmp?.remove();
  }, HOOK_MS);

  it('closes connections beyond --max-connections at once, and those without a handshake after --handshake-timeout', async () => {
    const idle = await Promise.all([raw(url), raw(url), raw(url)]);
    const refused = await metric(srv, 'rumpkernel_connections_refused_total');
    expect(await bytesUntilClose(url)).toBe(0); // not even the banner
    expect(await metric(srv, 'rumpkernel_connections_refused_total')).toBe(refused + 1);
    for (const c of idle) {
      expect(await c.next()).toMatchObject({ cls: CLASS.ERROR, type: TYPE.HANDSHAKE, aux: ERRNO.ETIMEDOUT });
      expect(await c.next()).toBeUndefined();
    }
    const c = await connect(url);
    expect(await c.getpid()).toBe(c.pid);
  });

  it('bounds what a client that never reads can make it hold: 200 reads of 1 MiB from /dev/zero', async () => {
    const N = 200;
    const readsDone = () => metric(srv, 'rumpkernel_syscalls_total{syscall="read",errno="0"}', 0);
    const rss = () => metric(srv, 'process_resident_memory_bytes');
    const { conn } = await rawProcess(url);
    conn.send(syscallRequest(2, SYSCALLS.open.number, ['/dev/zero', O.RDONLY, 0]));
    const z = (await conn.next())!.body[0] as number;
    const rssBefore = await rss();
    const readsBefore = await readsDone();
    conn.socket.pause(); // 35-byte requests for 1 MiB replies, and no reading
    const read = (i: number) => encodeFrame(syscallRequest(100 + i, SYSCALLS.read.number, [z, 1024 * 1024]));
    conn.write(Buffer.concat(range(N).map(read)));
    const made = (await steady(readsDone)) - readsBefore;
    expect(made).toBeLessThan(N / 3); // about two 16 MiB budgets' worth
    expect(await metric(srv, 'rumpkernel_reply_bytes')).toBeLessThanOrEqual(3 * 16 * 1024 * 1024);
    expect(await metric(srv, 'rumpkernel_calls_held')).toBeGreaterThan(0);
    expect((await rss()) - rssBefore).toBeLessThan(100 * 1024 * 1024); // 200 MiB without the budget
    // reading, the client gets every reply
    conn.socket.resume();
    for (const i of range(N)) {
      const f = await conn.next();
      expect(f).toMatchObject({ reqno: 100 + i, aux: 0 });
      expect((f!.body[1] as Uint8Array).length).toBe(1024 * 1024);
    }
    await eventually(async () => expect(await metric(srv, 'rumpkernel_reply_bytes')).toBe(0));
  });
});

describe('authentication (--auth-token-file)', () => {
  let tmp: TempDir;
  let tokenFile: string;
  let wrongFile: string;
  let srv: ServerProcess;
  let url: string;

  beforeAll(async () => {
    tmp = tempDir();
    tokenFile = path.join(tmp.dir, 'token');
    wrongFile = path.join(tmp.dir, 'wrong');
    const sock = path.join(tmp.dir, 'auth.sock');
    // the token is the first line, for the server as for its clients
    writeFileSync(tokenFile, 's3cret-token\n# rotated by ops, 2 May\n', { mode: 0o600 });
    writeFileSync(wrongFile, 'not-the-token\n', { mode: 0o600 });
    srv = await startServer(['--auth-token-file', tokenFile, `unix://${sock}`]);
    url = srv.url('unix');
  }, HOOK_MS);

  afterAll(async () => {
    await srv?.stop();
    tmp?.remove();
  }, HOOK_MS);

  it('logs auth=token and announces it in the banner', async () => {
    expect(srv.logs.find((l) => l.msg === 'listening')).toMatchObject({ auth: 'token' });
    const r = await raw(url);
    expect(r.banner).toMatch(/^RUMPFLOW-SP\/1 rump-kernel-server \S+ auth=token maxframe=\d+$/);
  });

  it('refuses a missing token (ENEEDAUTH) and a wrong one (EAUTH)', async () => {
    expect(await rejection(connect(url))).toMatchObject({ code: 'ENEEDAUTH' });
    expect(await rejection(connect(url, { token: 'guess' }))).toMatchObject({ code: 'EAUTH' });
    expect(await rejection(connect(url, { tokenFile: wrongFile }))).toMatchObject({ code: 'EAUTH' });
    expect(
      await rejection(connect(url, { env: { RUMP_AUTH_TOKEN: 's3cret-token-but-longer' } })),
    ).toMatchObject({ code: 'EAUTH' });
    // raw: the refusal is the handshake's answer, then the connection closes
    const r = await raw(url);
    r.send(newProcessRequest(1, 'raw'));
    expect(await r.next()).toMatchObject({ reqno: 1, type: TYPE.HANDSHAKE, aux: ERRNO.ENEEDAUTH });
    expect(await r.next()).toBeUndefined();
    const r2 = await raw(url);
    r2.send(syscallRequest(1, 20, []));
    expect(await r2.next()).toMatchObject({ cls: CLASS.ERROR, aux: ERRNO.ENEEDAUTH });
    expect(await r2.next()).toBeUndefined();
  });

  it('takes the first line of the token file, as its clients do', async () => {
    const viaFile = await connect(url, { tokenFile });
    expect(await viaFile.getpid()).toBe(viaFile.pid);
    expect(await rejection(connect(url, { token: 's3cret-token\n# rotated by ops, 2 May' }))).toMatchObject({
      code: 'EAUTH',
    });
  });

  it('accepts the token (option, file, environment), for joins too', async () => {
    const a = await connect(url, { token: 's3cret-token' });
    expect(await a.getpid()).toBe(a.pid);
    const b = await connect(url, { tokenFile });
    expect(await b.getpid()).toBe(b.pid);
    const c = await connect(url, { env: { RUMP_AUTH_TOKEN: 's3cret-token' } });
    expect(await c.getpid()).toBe(c.pid);
    const j = await join(a);
    expect(await j.getpid()).toBe(a.pid);
    // a join needs the token as well
    const r = await raw(url);
    r.send(joinRequest(1, a.pid, a.secret));
    expect(await r.next()).toMatchObject({ reqno: 1, aux: ERRNO.ENEEDAUTH });
  });
});

describe('limits: --max-fds, --max-procs', () => {
  let tmp: TempDir;
  let srv: ServerProcess;

  beforeAll(async () => {
    tmp = tempDir();
    srv = await startServer([
      '--max-fds',
      '4',
      '--max-procs',
      '2',
      '--admin',
      '127.0.0.1:0',
      `unix://${path.join(tmp.dir, 'fds.sock')}`,
    ]);
  }, HOOK_MS);

  afterAll(async () => {
    await srv?.stop();
    tmp?.remove();
  }, HOOK_MS);

  it('EMFILE beyond the limit, without leaking a half-made pipe', async () => {
    const c = await connect(srv.url('unix'));
    const fds = [];
    for (let i = 0; i < 3; i++) fds.push(await c.open('/dev/null', O.RDWR));
    expect(fds).toEqual([0, 1, 2]);
    // one slot left: a pipe needs two
    expect(await rejection(c.pipe2())).toMatchObject({ code: 'EMFILE' });
    expect((await procs(srv, c.pid))[0]!.fds.map((f) => f.fd)).toEqual([0, 1, 2]);
    expect(await c.open('/dev/zero', O.RDONLY)).toBe(3);
    expect(await rejection(c.open('/dev/null', O.RDONLY))).toMatchObject({ code: 'EMFILE' });
    expect(await rejection(c.dup(0))).toMatchObject({ code: 'EMFILE' });
    expect(await rejection(c.kqueue())).toMatchObject({ code: 'EMFILE' });
    await c.close(1);
    expect(await c.dup(0)).toBe(1);
    // the limit is per process
    const other = await connect(srv.url('unix'));
    expect(await other.pipe2()).toEqual([0, 1]);
    // --max-procs 2: a third process is refused, a join is not
    expect(await rejection(connect(srv.url('unix')))).toMatchObject({ code: 'EAGAIN' });
    const j = await join(other);
    expect(await j.getpid()).toBe(other.pid);
    await other.close();
    await j.close();
    await eventually(async () => expect(await procs(srv)).toHaveLength(1));
    const third = await connect(srv.url('unix'));
    expect(await third.getpid()).toBe(third.pid);
  });

  it(
    'a server whose --max-frame is below a 4 KiB read still never sends a frame above it',
    async () => {
      // main.ts sets maxIo = max(4096, maxFrame - 4096): with --max-frame 1000 a 4096-byte read
      // is answered by a 4126-byte frame, above the banner's maxframe=1000, and the client
      // drops the connection (EPROTO). Refusing such a --max-frame (exit 2) would do as well.
      const small = spawnServer(['--max-frame', '1000', `unix://${path.join(tmp.dir, 'small.sock')}`]);
      const started = await small.ready().then(
        () => true,
        () => false,
      );
      if (!started) {
        expect(await small.exited).toEqual({ code: 2, signal: null });
        return;
      }
      const c = await connect(small.url('unix'));
      const z = await c.open('/dev/zero', O.RDONLY);
      const got = await c.read(z, 4096).catch((e: unknown) => e);
      expect(got).not.toBeInstanceOf(Error);
      expect((got as Uint8Array).length).toBeLessThanOrEqual(1000);
      expect(await c.getpid()).toBe(c.pid);
      await c.close();
      await small.stop();
    },
    SPAWNS_MS,
  );
});

describe('reconnect policies against a stopped and restarted server', () => {
  let tmp: TempDir;

  beforeAll(() => {
    tmp = tempDir();
  });

  afterAll(async () => {
    await killAll();
    tmp?.remove();
  }, HOOK_MS);

  it(
    "'never' gets ENOTCONN, 'once' gives up on a server still down, { seconds } reconnects as a new process",
    async () => {
      const sock = path.join(tmp.dir, 'restart.sock');
      const url = `unix://${sock}`;
      let srv = await startServer([url]);
      const never = await connect(url, { retry: 'never' });
      const once = await connect(url, { retry: 'once' });
      const persistent = await connect(url, {
        retry: { seconds: 30 },
        backoff: { initialMs: 20, maxMs: 200 },
      });
      const closes = {
        never: new Promise<Error | undefined>((resolve) => never.once('close', resolve)),
        once: new Promise<Error | undefined>((resolve) => once.once('close', resolve)),
      };
      const disconnected = new Promise((resolve) => persistent.once('disconnect', resolve));
      const reconnected = new Promise<{ oldPid: number; newPid: number }>((resolve) =>
        persistent.once('reconnect', resolve),
      );
      const [r] = await persistent.pipe2();
      const inFlight = rejection(persistent.read(r, 1));
      const oldPid = persistent.pid;

      expect(await srv.stop()).toEqual({ code: 0, signal: null });
      expect(existsSync(sock)).toBe(false);

      expect(await closes.never).toMatchObject({ code: 'ENOTCONN' });
      expect(never.closed).toBe(true);
      expect(await rejection(never.getpid())).toMatchObject({ code: 'ENOTCONN' });
      // its one immediate attempt found no server
      expect(await closes.once).toMatchObject({ code: 'ENOTCONN' });
      expect(await rejection(once.getpid())).toMatchObject({ code: 'ENOTCONN' });
      // the call in flight at the loss is not re-sent
      expect(await inFlight).toMatchObject({ code: 'ENOTCONN' });
      expect(await disconnected).toMatchObject({ pid: oldPid, willRetry: true });

      // a call made while reconnecting waits for the new process
      const waiting = persistent.getpid();
      srv = await startServer(['--admin', '127.0.0.1:0', url]);
      const ev = await reconnected;
      expect(ev.oldPid).toBe(oldPid);
      expect(await waiting).toBe(ev.newPid);
      expect(persistent.pid).toBe(ev.newPid);
      expect(persistent.connected).toBe(true);
      // a new process: the old fds are gone
      expect(await rejection(persistent.read(r, 1))).toMatchObject({ code: 'EBADF' });
      expect((await procs(srv)).map((p) => p.pid)).toEqual([ev.newPid]);

      // 'once' reconnects when the server is there: drop the connection in a proxy
      const proxySock = path.join(tmp.dir, 'proxy.sock');
      const proxied = new Set<net.Socket>();
      const proxy = net.createServer((down) => {
        const up = net.createConnection({ path: sock });
        proxied.add(down).add(up);
        down.pipe(up).pipe(down);
        down.on('error', () => up.destroy());
        up.on('error', () => down.destroy());
        down.on('close', () => up.destroy());
        up.on('close', () => down.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(proxySock, resolve));
      try {
        const c = await connect(`unix://${proxySock}`, { retry: 'once' });
        const before = c.pid;
        const again = new Promise<{ oldPid: number; newPid: number }>((resolve) =>
          c.once('reconnect', resolve),
        );
        for (const s of proxied) s.destroy();
        const info = await again;
        expect(info.oldPid).toBe(before);
        expect(info.newPid).not.toBe(before);
        expect(await c.getpid()).toBe(info.newPid);
        await eventually(async () => expect((await procs(srv)).map((p) => p.pid)).not.toContain(before));
        await c.close();
      } finally {
        for (const s of proxied) s.destroy();
        await new Promise<void>((resolve) => proxy.close(() => resolve()));
      }
      await persistent.close();
      expect(await srv.stop()).toEqual({ code: 0, signal: null });
    },
    SPAWNS_MS,
  );
});

describe('process lifecycle and start-up checks', () => {
  let tmp: TempDir;

  beforeAll(() => {
    tmp = tempDir();
  });

  afterAll(async () => {
    await killAll();
    tmp?.remove();
  }, HOOK_MS);

  it(
    '--socket-mode 0660; SIGTERM ends blocked calls, exits 0 and removes the socket file',
    async () => {
      const sock = path.join(tmp.dir, 'mode.sock');
      const srv = await startServer(['--socket-mode', '0660', `unix://${sock}`]);
      expect(statSync(sock).mode & 0o777).toBe(0o660);
      const c = await connect(srv.url('unix'));
      const [r] = await c.pipe2();
      const blocked = rejection(c.read(r, 1));
      const closed = new Promise<Error | undefined>((resolve) => c.once('close', resolve));
      expect(await srv.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(existsSync(sock)).toBe(false);
      expect(await blocked).toMatchObject({ code: 'ENOTCONN' });
      expect(await closed).toMatchObject({ code: 'ENOTCONN' });
      expect(srv.logs.at(-1)).toMatchObject({ msg: 'stopped', exitCode: 0 });
    },
    SPAWNS_MS,
  );

  it(
    'refuses a tcp listener on a non-loopback address (exit 2) unless --allow-remote, and that only with a token',
    async () => {
      const addr =
        Object.values(networkInterfaces())
          .flat()
          .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address ?? '0.0.0.0';
      const sock = path.join(tmp.dir, 'never.sock');
      const allowedSock = path.join(tmp.dir, 'allowed.sock');
      const tokenFile = path.join(tmp.dir, 'remote-token');
      writeFileSync(tokenFile, 'remote-s3cret\n', { mode: 0o600 });
      const [refused, badMode, noToken, remoteNoToken, tooManyProcs, allowed] = [
        spawnServer([`unix://${sock}`, `tcp://${addr}:0`]),
        spawnServer(['--socket-mode', '999', `unix://${sock}`]),
        spawnServer(['--auth-token-file', path.join(tmp.dir, 'missing'), `unix://${sock}`]),
        spawnServer(['--allow-remote', `tcp://${addr}:0`, `unix://${sock}`]),
        spawnServer(['--max-procs', '100000', `unix://${sock}`]),
        spawnServer([
          '--allow-remote',
          '--auth-token-file',
          tokenFile,
          `tcp://${addr}:0`,
          `unix://${allowedSock}`,
        ]),
      ];
      expect(await refused.exited).toEqual({ code: 2, signal: null });
      expect(refused.stderr).toContain(`tcp://${addr}:0: not a loopback address`);
      expect(refused.stderr).toContain('--allow-remote');
      expect(existsSync(sock)).toBe(false);
      expect(await badMode.exited).toEqual({ code: 2, signal: null });
      expect(badMode.stderr).toContain('--socket-mode');
      expect(await noToken.exited).toEqual({ code: 2, signal: null });
      expect(noToken.stderr).toContain('--auth-token-file');
      // remote syscall access (reboot included) only with a token
      expect(await remoteNoToken.exited).toEqual({ code: 2, signal: null });
      expect(remoteNoToken.stderr).toContain('--allow-remote needs --auth-token-file');
      // pids run to 99999: more processes than that could never be given one
      expect(await tooManyProcs.exited).toEqual({ code: 2, signal: null });
      expect(tooManyProcs.stderr).toContain('--max-procs');
      expect(existsSync(sock)).toBe(false);

      await allowed.ready();
      const where = allowed.url('tcp');
      expect(where).toMatch(new RegExp(`^tcp://${addr.replace(/\./g, '\\.')}:[1-9]\\d*$`));
      const port = where.slice(where.lastIndexOf(':') + 1);
      const remoteUrl = `tcp://${addr === '0.0.0.0' ? '127.0.0.1' : addr}:${port}`;
      expect(await rejection(connect(remoteUrl))).toMatchObject({ code: 'ENEEDAUTH' });
      const c = await connect(remoteUrl, { tokenFile });
      expect(await c.getpid()).toBe(c.pid);
      await c.close();
      // SIGINT, like SIGTERM, is a clean stop
      expect(await allowed.stop('SIGINT')).toEqual({ code: 0, signal: null });
      expect(existsSync(allowedSock)).toBe(false);
    },
    SPAWNS_MS,
  );

  it(
    'reboot(2) from a client halts the server: exit 0, socket file removed',
    async () => {
      const sock = path.join(tmp.dir, 'reboot.sock');
      const srv = await startServer([`unix://${sock}`]);
      const c = await connect(srv.url('unix'));
      expect(await c.syscall('reboot', [0])).toEqual([0]);
      expect(await srv.exited).toEqual({ code: 0, signal: null });
      expect(existsSync(sock)).toBe(false);
    },
    SPAWNS_MS,
  );
});
