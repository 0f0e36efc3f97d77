import { describe, expect, it } from 'vitest';
import { ERRNO, EV, EVFILT, NOTE, O, POLL, SYSCALLS, type Kevent, type SyscallName, type Value, keventFromValue, keventToValue } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import { Kernel } from './kernel.js';
import type { Kqueue } from './kqueue.js';
import type { Process } from './process.js';
import { Interrupt } from './wait.js';

const call = (k: Kernel, p: Process, name: SyscallName, args: Value[], intr = new Interrupt()) =>
  k.syscall(p, SYSCALLS[name].number, args, intr);

const ev = (ident: number, filter: number, flags: number, extra: Partial<Kevent> = {}): Value =>
  keventToValue({ ident, filter, flags, fflags: 0, data: 0, udata: 0, ...extra });

async function kevent(k: Kernel, p: Process, kq: number, changes: Value[], n: number, timeoutNs: number | null, intr?: Interrupt): Promise<Kevent[]> {
  const [count, events] = (await call(k, p, '__kevent50', [kq, changes, n, timeoutNs], intr)) as [number, Value[]];
  expect(count).toBe(events.length);
  return events.map(keventFromValue);
}

async function setup(): Promise<{ k: Kernel; p: Process; kq: number; r: number; w: number }> {
  const k = new Kernel();
  const p = k.newProcess('kq');
  const [kq] = (await call(k, p, 'kqueue', [])) as [number];
  const [, r, w] = (await call(k, p, 'pipe2', [0])) as [number, number, number];
  return { k, p, kq, r, w };
}

const text = (s: string) => new TextEncoder().encode(s);

describe('kevent', () => {
  it('EVFILT_READ reports bytes readable and EV_EOF when the writer closes', async () => {
    const { k, p, kq, r, w } = await setup();
    expect(await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD)], 8, 0)).toEqual([]);
    await call(k, p, 'write', [w, text('hello')]);
    expect(await kevent(k, p, kq, [], 8, 0)).toMatchObject([{ ident: r, filter: EVFILT.READ, data: 5, flags: 0 }]);
    // level-triggered: still there until read
    expect(await kevent(k, p, kq, [], 8, 0)).toHaveLength(1);
    await call(k, p, 'read', [r, 5]);
    expect(await kevent(k, p, kq, [], 8, 0)).toEqual([]);
    await call(k, p, 'close', [w]);
    const [e] = await kevent(k, p, kq, [], 8, 0);
    expect((e?.flags ?? 0) & EV.EOF).toBe(EV.EOF);
  });

  it('blocks until another call writes, without holding it up, and honours the timeout', async () => {
    const { k, p, kq, r, w } = await setup();
    await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD)], 0, 0);
    const t0 = Date.now();
    expect(await kevent(k, p, kq, [], 8, 30e6)).toEqual([]); // 30 ms timeout
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    const waiting = kevent(k, p, kq, [], 8, null);
    await call(k, p, 'write', [w, text('x')]); // runs while kevent waits
    expect(await waiting).toMatchObject([{ ident: r, data: 1 }]);
  });

  it('EVFILT_WRITE reports room in the pipe and EV_EOF when the reader is gone', async () => {
    const { k, p, kq, r, w } = await setup();
    const [e] = await kevent(k, p, kq, [ev(w, EVFILT.WRITE, EV.ADD)], 8, 0);
    expect(e).toMatchObject({ ident: w, filter: EVFILT.WRITE, data: 65536 });
    await call(k, p, 'close', [r]);
    const [e2] = await kevent(k, p, kq, [], 8, 0);
    expect((e2?.flags ?? 0) & EV.EOF).toBe(EV.EOF);
  });

  it('EV_ONESHOT, EV_CLEAR, EV_DISPATCH, EV_DISABLE/EV_ENABLE and EV_DELETE', async () => {
    const { k, p, kq, r, w } = await setup();
    await call(k, p, 'write', [w, text('abc')]);
    expect(await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD | EV.ONESHOT)], 8, 0)).toHaveLength(1);
    expect(await kevent(k, p, kq, [], 8, 0)).toEqual([]); // gone after one delivery
    expect((k.processes.get(p.pid)?.entry(kq).file.object as Kqueue).registrations).toBe(0);

    expect(await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD | EV.CLEAR)], 8, 0)).toHaveLength(1);
    expect(await kevent(k, p, kq, [], 8, 0)).toEqual([]); // edge: no change since
    await call(k, p, 'write', [w, text('d')]);
    expect(await kevent(k, p, kq, [], 8, 0)).toMatchObject([{ data: 4 }]);

    await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.DELETE)], 0, 0);
    expect(await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD | EV.DISPATCH)], 8, 0)).toHaveLength(1);
    expect(await kevent(k, p, kq, [], 8, 0)).toEqual([]); // disabled after dispatch
    expect(await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ENABLE)], 8, 0)).toHaveLength(1);
    await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.DISABLE)], 0, 0);
    expect(await kevent(k, p, kq, [], 8, 0)).toEqual([]);
    await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.DELETE)], 0, 0);
    expect(await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.DELETE)], 8, 0)).toMatchObject([{ flags: EV.DELETE | EV.ERROR, data: ERRNO.ENOENT }]);
  });

  it('EV_RECEIPT acknowledges each change; errors come back as EV_ERROR or fail the call', async () => {
    const { k, p, kq, r } = await setup();
    expect(await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD | EV.RECEIPT), ev(77, EVFILT.READ, EV.ADD)], 8, 0)).toMatchObject([
      { ident: r, flags: EV.ADD | EV.RECEIPT | EV.ERROR, data: 0 },
      { ident: 77, flags: EV.ADD | EV.ERROR, data: ERRNO.EBADF },
    ]);
    await expect(kevent(k, p, kq, [ev(77, EVFILT.READ, EV.ADD)], 0, 0)).rejects.toMatchObject({ errno: ERRNO.EBADF });
    await expect(kevent(k, p, kq, [ev(1, 99, EV.ADD)], 0, 0)).rejects.toMatchObject({ errno: ERRNO.EINVAL });
    await expect(call(k, p, '__kevent50', [r, [], 1, 0])).rejects.toMatchObject({ errno: ERRNO.EBADF });
  });

  it('EVFILT_TIMER fires periodically, counting expirations, in the units asked', async () => {
    const { k, p, kq } = await setup();
    await kevent(k, p, kq, [ev(1, EVFILT.TIMER, EV.ADD, { data: 10 })], 0, 0); // 10 ms
    const [e] = await kevent(k, p, kq, [], 8, null);
    expect(e).toMatchObject({ ident: 1, filter: EVFILT.TIMER });
    expect(Number(e?.data)).toBeGreaterThanOrEqual(1);
    await kevent(k, p, kq, [ev(2, EVFILT.TIMER, EV.ADD | EV.ONESHOT, { data: 5000, fflags: NOTE.USECONDS })], 0, 0);
    await kevent(k, p, kq, [ev(1, EVFILT.TIMER, EV.DELETE)], 0, 0);
    expect(await kevent(k, p, kq, [], 8, null)).toMatchObject([{ ident: 2, data: 1 }]);
  });

  it('EVFILT_USER triggers with NOTE_TRIGGER and carries fflags', async () => {
    const { k, p, kq } = await setup();
    await kevent(k, p, kq, [ev(5, EVFILT.USER, EV.ADD | EV.CLEAR)], 0, 0);
    expect(await kevent(k, p, kq, [], 8, 0)).toEqual([]);
    const waiting = kevent(k, p, kq, [], 8, null);
    await kevent(k, p, kq, [ev(5, EVFILT.USER, 0, { fflags: NOTE.TRIGGER | NOTE.FFCOPY | 0x42 })], 0, 0);
    expect(await waiting).toMatchObject([{ ident: 5, filter: EVFILT.USER, fflags: 0x42 }]);
    expect(await kevent(k, p, kq, [], 8, 0)).toEqual([]);
  });

  it('drops registrations when their fd closes, and ends a blocked kevent when its process exits', async () => {
    const { k, p, kq, r } = await setup();
    await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD)], 0, 0);
    await call(k, p, 'close', [r]);
    expect((p.entry(kq).file.object as Kqueue).registrations).toBe(0);
    const blocked = kevent(k, p, kq, [], 8, null).catch((e: unknown) => e);
    k.detach(p);
    expect(((await blocked) as KernelError).errno).toBe(ERRNO.ESRCH);
  });

  it('cancels a blocked kevent', async () => {
    const { k, p, kq } = await setup();
    const intr = new Interrupt();
    const blocked = kevent(k, p, kq, [], 8, null, intr).catch((e: unknown) => e);
    intr.fire(new KernelError(ERRNO.ECANCELED));
    expect(((await blocked) as KernelError).errno).toBe(ERRNO.ECANCELED);
  });
});

describe('poll', () => {
  it('reports POLLIN, POLLOUT, POLLHUP and POLLNVAL, and waits with a timeout', async () => {
    const { k, p, r, w } = await setup();
    const poll = (fds: [number, number][], t: number, intr?: Interrupt) => call(k, p, 'poll', [fds, t], intr) as Promise<[number, number[]]>;
    expect(await poll([[r, POLL.IN], [w, POLL.OUT], [99, POLL.IN]], 0)).toEqual([2, [0, POLL.OUT, POLL.NVAL]]);
    const t0 = Date.now();
    expect(await poll([[r, POLL.IN]], 30)).toEqual([0, [0]]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    const waiting = poll([[r, POLL.IN]], -1);
    await call(k, p, 'write', [w, text('x')]);
    expect(await waiting).toEqual([1, [POLL.IN]]);
    await call(k, p, 'close', [w]);
    expect((await poll([[r, POLL.IN]], 0))[1][0]).toBe(POLL.IN | POLL.HUP);
  });

  it('ends a wait with POLLNVAL when a polled fd is closed', async () => {
    const { k, p, r } = await setup();
    const waiting = call(k, p, 'poll', [[[r, POLL.IN]], -1]);
    await call(k, p, 'close', [r]);
    expect(await waiting).toEqual([1, [POLL.NVAL]]);
  });

  it('works with nonblocking kqueues (kqueue1) being polled', async () => {
    const { k, p, r, w } = await setup();
    const [kq] = (await call(k, p, 'kqueue1', [O.NONBLOCK | O.CLOEXEC])) as [number];
    await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD)], 0, 0);
    await call(k, p, 'write', [w, text('x')]);
    expect(await call(k, p, 'poll', [[[kq, POLL.IN]], 0])).toEqual([1, [POLL.IN]]);
  });
});
