// Syscalls over one connection: the typed methods and their encoding, errno failures,
// concurrency with answers out of order, blocking calls, cancellation by AbortSignal, error
// frames, and a server that breaks the stream.

import { once } from 'node:events';
import { CLASS, HEADER_LEN, TYPE, type Value, encodeFrame, protocolError } from '@rumpflow/sysproxy';
import { describe, expect, it } from 'vitest';
import { ERRNO, EV, EVFILT, POLL, SyscallError } from '../src/index.js';
import { SyscallError as ServerError } from '@rumpflow/sysproxy';
import type { Handler } from './scripted-server.js';
import { client, server } from './helpers.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('resolved'),
    (e: unknown) => e,
  );
}

async function errnoOf(p: Promise<unknown>): Promise<string> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(SyscallError);
  return (e as SyscallError).code;
}

const syscallFrames = (srv: Awaited<ReturnType<typeof server>>) =>
  srv.framesOf(TYPE.SYSCALL).map((r) => r.frame);

describe('typed syscalls', () => {
  it('carry their arguments and results as the protocol table says', async () => {
    const seen: Record<string, Value[]> = {};
    const record =
      (results: Value[]): Handler =>
      ({ args }) => {
        seen.last = args;
        return results;
      };
    const srv = await server({
      handlers: {
        open: record([5]),
        ioctl: record([0, new Uint8Array([9, 8])]),
        fcntl: record([4]),
        dup2: record([7]),
        readv: record([3, [new Uint8Array([1]), new Uint8Array([2, 3])]]),
        writev: record([4]),
        poll: record([1, [0, POLL.IN]]),
        kqueue: record([8]),
        kqueue1: record([9]),
        __socket30: record([10]),
        __kevent50: record([1, [[3, EVFILT.READ, EV.ADD, 0, 2n ** 62n, 77]]]),
        getppid: record([1]),
      },
    });
    const c = await client(srv.url);
    const last = (): Value[] | undefined => seen.last;

    expect(await c.open('/dev/switch0', 2)).toBe(5);
    expect(last()).toEqual(['/dev/switch0', 2, 0]);
    expect(await c.ioctl(5, 0xc0104401, new Uint8Array([1]))).toEqual({
      ret: 0,
      out: new Uint8Array([9, 8]),
    });
    expect(last()).toEqual([5, 0xc0104401, new Uint8Array([1])]);
    await c.ioctl(5, 0x20004402);
    expect(last()).toEqual([5, 0x20004402, null]);
    expect(await c.fcntl(5, 3)).toBe(4);
    expect(last()).toEqual([5, 3, 0]);
    expect(await c.dup2(5, 7)).toBe(7);
    expect(await c.readv(5, [1, 2])).toEqual([new Uint8Array([1]), new Uint8Array([2, 3])]);
    expect(last()).toEqual([5, [1, 2]]);
    expect(await c.writev(5, [text('ab'), text('cd')])).toBe(4);
    expect(last()).toEqual([5, [text('ab'), text('cd')]]);
    expect(
      await c.poll(
        [
          { fd: 5, events: POLL.OUT },
          { fd: 6, events: POLL.IN },
        ],
        250,
      ),
    ).toEqual([0, POLL.IN]);
    expect(last()).toEqual([
      [
        [5, POLL.OUT],
        [6, POLL.IN],
      ],
      250,
    ]);
    expect(await c.kqueue()).toBe(8);
    expect(await c.kqueue1(0x400000)).toBe(9);
    expect(await c.socket(2, 1)).toBe(10);
    expect(last()).toEqual([2, 1, 0]);
    const ev = { ident: 5, filter: EVFILT.READ, flags: EV.ADD, fflags: 0, data: 0, udata: 2n ** 63n - 1n };
    expect(await c.kevent(8, [ev], 4, 1_000_000n)).toEqual([
      { ident: 3, filter: EVFILT.READ, flags: EV.ADD, fflags: 0, data: 2n ** 62n, udata: 77 },
    ]);
    expect(last()).toEqual([8, [[5, EVFILT.READ, EV.ADD, 0, 0, 2n ** 63n - 1n]], 4, 1_000_000]);
    await c.kevent(8, [], 1);
    expect(last()).toEqual([8, [], 1, null]);
    expect(await c.getppid()).toBe(1);
    expect(await c.syscall('getpid', [])).toEqual([c.pid, 1]);
    // every request named its NetBSD syscall number
    expect(syscallFrames(srv).map((f) => f.aux)).toEqual([
      5, 54, 54, 92, 90, 120, 121, 209, 344, 455, 394, 435, 435, 39, 20,
    ]);
  });

  it('move bytes through a pipe; close(fd) closes only the fd', async () => {
    const srv = await server();
    const c = await client(srv.url);
    const [r, w] = await c.pipe2();
    expect(await c.write(w, text('hello'))).toBe(5);
    expect(new TextDecoder().decode(await c.read(r, 3))).toBe('hel');
    expect(new TextDecoder().decode(await c.read(r, 100))).toBe('lo');
    const d = await c.dup(r);
    await c.close(w);
    expect(await c.read(d, 10)).toHaveLength(0); // end of file
    expect(c.connected).toBe(true);
  });

  it('reject with SyscallError carrying the errno and the call', async () => {
    const srv = await server();
    const c = await client(srv.url);
    const e = await rejection(c.read(42, 1));
    expect(e).toBeInstanceOf(SyscallError);
    expect(e).toMatchObject({ errno: ERRNO.EBADF, code: 'EBADF', syscall: 'read' });
    expect(await errnoOf(c.open('/nowhere', 0))).toBe('ENOSYS'); // the scripted server has no open
  });

  it('refuse arguments that cannot be sent, locally', async () => {
    const srv = await server({ maxFrame: 4096 });
    const c = await client(srv.url);
    expect(await errnoOf(c.syscall('read', ['x', 1]))).toBe('EINVAL');
    expect(await errnoOf(c.write(1.5, text('x')))).toBe('EINVAL');
    expect(await errnoOf(c.write(3, new Uint8Array(5000)))).toBe('EMSGSIZE');
    expect(syscallFrames(srv)).toHaveLength(0);
    expect(await c.getpid()).toBe(c.pid);
  });

  it('reject a result of the wrong shape with EPROTO, and go on', async () => {
    const srv = await server({ handlers: { getppid: () => ['one'] } });
    const c = await client(srv.url);
    expect(await errnoOf(c.getppid())).toBe('EPROTO');
    expect(await c.getpid()).toBe(c.pid);
  });

  it('ping', async () => {
    const srv = await server();
    const c = await client(srv.url);
    await c.ping();
    expect(srv.framesOf(TYPE.PING)).toHaveLength(1);
  });
});

describe('concurrency', () => {
  it('runs 200 calls at once on one connection, answered out of order', async () => {
    const N = 200;
    const held: { fd: number; release: () => void }[] = [];
    let allIn!: () => void;
    const arrived = new Promise<void>((r) => (allIn = r));
    const srv = await server({
      handlers: {
        dup: async ({ args }) => {
          const fd = args[0] as number;
          await new Promise<void>((release) => {
            held.push({ fd, release });
            if (held.length === N) allIn();
          });
          return [fd + 1000];
        },
      },
    });
    const c = await client(srv.url);
    const calls = Array.from({ length: N }, (_, i) => c.dup(i));
    await arrived;
    // all 200 are in flight together, under distinct request numbers
    expect(new Set(syscallFrames(srv).map((f) => f.reqno)).size).toBe(N);
    // answer in a scrambled order: reversed odds, then evens
    const order = [...held.filter((h) => h.fd % 2 === 1).reverse(), ...held.filter((h) => h.fd % 2 === 0)];
    for (const h of order) h.release();
    expect(await Promise.all(calls)).toEqual(Array.from({ length: N }, (_, i) => i + 1000));
  });

  it('a blocked read holds up nothing else', async () => {
    const srv = await server();
    const c = await client(srv.url);
    const [r, w] = await c.pipe2();
    const reading = c.read(r, 64);
    expect(await c.getpid()).toBe(c.pid);
    await c.write(w, text('late'));
    expect(new TextDecoder().decode(await reading)).toBe('late');
  });
});

describe('AbortSignal', () => {
  it('sends CANCEL for the call and rejects it with an AbortError', async () => {
    const srv = await server();
    const c = await client(srv.url);
    const [r, w] = await c.pipe2();
    const ac = new AbortController();
    const reading = c.read(r, 10, { signal: ac.signal });
    const readFrame = await srv.waitForFrame((f) => f.type === TYPE.SYSCALL && f.aux === 3);
    ac.abort();
    const e = await rejection(reading);
    expect(e).toBeInstanceOf(DOMException);
    expect((e as DOMException).name).toBe('AbortError');
    const cancel = await srv.waitForFrame((f) => f.type === TYPE.CANCEL);
    expect(cancel.frame).toMatchObject({ cls: CLASS.REQUEST, aux: readFrame.frame.reqno, body: [] });
    // the server's ECANCELED answer comes and is dropped; the connection goes on
    await c.write(w, text('after'));
    expect(new TextDecoder().decode(await c.read(r, 10))).toBe('after');
  });

  it('never gives a late answer to an aborted call to another call', async () => {
    let releaseLate!: () => void;
    const late = new Promise<void>((r) => (releaseLate = r));
    const srv = await server({
      handlers: {
        // ignores CANCEL: completes later with a result of its own
        dup: async ({ args }) => {
          if (args[0] === 1313) {
            await late;
            return [666];
          }
          return [(args[0] as number) + 1];
        },
      },
    });
    const c = await client(srv.url);
    const ac = new AbortController();
    const doomed = c.dup(1313, { signal: ac.signal });
    await srv.waitForFrame((f) => f.type === TYPE.SYSCALL);
    ac.abort();
    expect((await rejection(doomed)) as DOMException).toMatchObject({ name: 'AbortError' });
    const others = Array.from({ length: 20 }, (_, i) => c.dup(i));
    releaseLate();
    expect(await Promise.all(others)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await c.getpid()).toBe(c.pid);
  });

  it('rejects at once for a signal already aborted, sending nothing', async () => {
    const srv = await server();
    const c = await client(srv.url);
    const e = await rejection(c.getpid({ signal: AbortSignal.abort() }));
    expect((e as DOMException).name).toBe('AbortError');
    expect(syscallFrames(srv)).toHaveLength(0);
    expect(srv.framesOf(TYPE.CANCEL)).toHaveLength(0);
  });

  it('sends no CANCEL for a call that already completed', async () => {
    const srv = await server();
    const c = await client(srv.url);
    const ac = new AbortController();
    expect(await c.getpid({ signal: ac.signal })).toBe(c.pid);
    ac.abort();
    await c.ping();
    expect(srv.framesOf(TYPE.CANCEL)).toHaveLength(0);
  });
});

describe('error frames', () => {
  it('reject the call they name with their errno', async () => {
    const srv = await server({
      onFrame: (conn, f) => {
        if (f.type !== TYPE.SYSCALL || f.aux !== 39) return false;
        conn.send(protocolError(f.reqno, TYPE.SYSCALL, ERRNO.EBADMSG, 'cannot parse that'));
        return true;
      },
    });
    const c = await client(srv.url);
    const e = await rejection(c.getppid());
    expect(e).toBeInstanceOf(SyscallError);
    expect(e).toMatchObject({ errno: ERRNO.EBADMSG, syscall: 'getppid' });
    expect((e as Error).message).toMatch(/cannot parse that/);
    expect(await c.getpid()).toBe(c.pid);
  });

  it('reject every pending call when they name no call of ours', async () => {
    const srv = await server({
      onFrame: (conn, f) => {
        if (f.type !== TYPE.SYSCALL || f.aux !== 39) return false;
        conn.send(protocolError(0xfffffff0, TYPE.SYSCALL, ERRNO.EINVAL, 'unreadable frame'));
        return true;
      },
    });
    const c = await client(srv.url);
    const [r] = await c.pipe2();
    const blocked = [errnoOf(c.read(r, 1)), errnoOf(c.read(r, 2))];
    await srv.waitForFrame((f) => f.type === TYPE.SYSCALL && f.aux === 3 && f.body[1] === 2);
    expect(await Promise.all([...blocked, errnoOf(c.getppid())])).toEqual(['EINVAL', 'EINVAL', 'EINVAL']);
    expect(await c.getpid()).toBe(c.pid);
  });
});

describe('a server that breaks the stream', () => {
  it('a response above maxframe: the connection is dropped, pending calls fail EPROTO', async () => {
    const srv = await server({
      maxFrame: 4096,
      onFrame: (conn, f) => {
        if (f.type !== TYPE.SYSCALL || f.aux !== 39) return false;
        const header = new Uint8Array(HEADER_LEN);
        const dv = new DataView(header.buffer);
        dv.setUint32(0, 4097);
        dv.setUint32(4, f.reqno);
        header[8] = CLASS.RESPONSE;
        dv.setUint16(10, TYPE.SYSCALL);
        conn.sendRaw(header);
        return true;
      },
    });
    const c = await client(srv.url);
    const [r] = await c.pipe2();
    const blocked = errnoOf(c.read(r, 1));
    const disconnected = once(c, 'disconnect');
    expect(await errnoOf(c.getppid())).toBe('EPROTO');
    expect(await blocked).toBe('EPROTO');
    const [info] = (await disconnected) as [{ error: SyscallError; willRetry: boolean }];
    expect(info.error.code).toBe('EPROTO');
    expect(info.error.message).toMatch(/outside 16\.\.4096/);
    expect(info.willRetry).toBe(false);
    expect(await errnoOf(c.getpid())).toBe('ENOTCONN');
  });

  it('a frame that does not decode: EPROTO', async () => {
    const srv = await server({
      onFrame: (conn, f) => {
        if (f.type !== TYPE.SYSCALL) return false;
        const bad = encodeFrame({
          reqno: f.reqno,
          cls: CLASS.RESPONSE,
          type: TYPE.SYSCALL,
          aux: 0,
          body: [1],
        });
        bad[HEADER_LEN] = 0x09; // no such value tag
        conn.sendRaw(bad);
        return true;
      },
    });
    const c = await client(srv.url);
    expect(await errnoOf(c.getpid())).toBe('EPROTO');
    expect(c.closed).toBe(true);
  });

  it('a handler failure still answers with its errno (test double sanity)', async () => {
    const srv = await server({
      handlers: {
        getppid: () => {
          throw new ServerError(ERRNO.EPERM, 'getppid');
        },
      },
    });
    const c = await client(srv.url);
    expect(await errnoOf(c.getppid())).toBe('EPERM');
  });
});
