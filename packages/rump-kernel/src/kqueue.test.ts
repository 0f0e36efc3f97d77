import { describe, expect, it } from 'vitest';
import { ERRNO, EV, EVFILT, NOTE, O, POLL, SYSCALLS, type Kevent, type SyscallName, type Value, keventFromValue, keventToValue } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import type { Driver } from './devices.js';
import type { FileObject } from './file.js';
import { Kernel, type KernelOptions } from './kernel.js';
import { type Kqueue, MAX_TIMERS_PER_PROCESS } from './kqueue.js';
import type { Process } from './process.js';
import { ManualTimers } from './timers.js';
import { Interrupt, WaitChannel } from './wait.js';

const call = (k: Kernel, p: Process, name: SyscallName, args: Value[], intr = new Interrupt()) =>
  k.syscall(p, SYSCALLS[name].number, args, intr);

const ev = (ident: number, filter: number, flags: number, extra: Partial<Kevent> = {}): Value =>
  keventToValue({ ident, filter, flags, fflags: 0, data: 0, udata: 0, ...extra });

async function kevent(k: Kernel, p: Process, kq: number, changes: Value[], n: number, timeoutNs: number | null, intr?: Interrupt): Promise<Kevent[]> {
  const [count, events] = (await call(k, p, '__kevent50', [kq, changes, n, timeoutNs], intr)) as [number, Value[]];
  expect(count).toBe(events.length);
  return events.map(keventFromValue);
}

async function setup(opts: KernelOptions = {}): Promise<{ k: Kernel; p: Process; kq: number; r: number; w: number }> {
  const k = new Kernel(opts);
  const p = k.newProcess('kq');
  const [kq] = (await call(k, p, 'kqueue', [])) as [number];
  const [, r, w] = (await call(k, p, 'pipe2', [0])) as [number, number, number];
  return { k, p, kq, r, w };
}

const text = (s: string) => new TextEncoder().encode(s);

/** Let every pending callback and promise run (the calls under test block on wake-ups, not time). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** Whether `p` has settled by now. */
async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  return done;
}

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
    const timers = new ManualTimers();
    const { k, p, kq, r, w } = await setup({ timers });
    await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD)], 0, 0);
    const timed = kevent(k, p, kq, [], 8, 30e6); // 30 ms timeout
    timers.advance(29);
    expect(await isSettled(timed)).toBe(false);
    timers.advance(1);
    expect(await timed).toEqual([]);
    expect(timers.pending).toBe(0);
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
    const timers = new ManualTimers(1_700_000_000_000);
    const { k, p, kq } = await setup({ timers });
    await kevent(k, p, kq, [ev(1, EVFILT.TIMER, EV.ADD, { data: 10 })], 0, 0); // 10 ms
    const waiting = kevent(k, p, kq, [], 8, null);
    timers.advance(10);
    expect(await waiting).toMatchObject([{ ident: 1, filter: EVFILT.TIMER, data: 1 }]);
    timers.advance(25); // two more expirations, counted in one event
    expect(await kevent(k, p, kq, [], 8, 0)).toMatchObject([{ ident: 1, data: 2 }]);
    await kevent(k, p, kq, [ev(2, EVFILT.TIMER, EV.ADD | EV.ONESHOT, { data: 5000, fflags: NOTE.USECONDS })], 0, 0);
    await kevent(k, p, kq, [ev(1, EVFILT.TIMER, EV.DELETE)], 0, 0);
    timers.advance(5);
    expect(await kevent(k, p, kq, [], 8, 0)).toMatchObject([{ ident: 2, data: 1 }]);
    // NOTE_ABSTIME: once, at a time of the kernel's clock (ms since the epoch)
    await kevent(k, p, kq, [ev(3, EVFILT.TIMER, EV.ADD, { data: timers.now() + 100, fflags: NOTE.ABSTIME })], 0, 0);
    timers.advance(99);
    expect(await kevent(k, p, kq, [], 8, 0)).toEqual([]);
    timers.advance(1);
    expect(await kevent(k, p, kq, [], 8, 0)).toMatchObject([{ ident: 3, data: 1 }]);
    timers.advance(1000);
    expect(await kevent(k, p, kq, [], 8, 0)).toEqual([]);
    expect(timers.pending).toBe(0);
  });

  it('EVFILT_TIMER beyond 2^31-1 ms waits that long (Node alone would fire it after 1 ms)', async () => {
    const { k, p, kq } = await setup(); // real timers
    await kevent(k, p, kq, [ev(1, EVFILT.TIMER, EV.ADD, { data: 2 ** 31 }), ev(2, EVFILT.TIMER, EV.ADD, { data: 2 ** 32, fflags: NOTE.SECONDS })], 0, 0);
    expect(await kevent(k, p, kq, [], 8, 50e6)).toEqual([]);
    await call(k, p, 'close', [kq]);
  });

  it('keeps no timer referenced: a periodic EVFILT_TIMER never holds the process open', async () => {
    const { k, p, kq } = await setup(); // real timers
    const referenced = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = referenced();
    await kevent(k, p, kq, [ev(1, EVFILT.TIMER, EV.ADD, { data: 1 })], 0, 0);
    await kevent(k, p, kq, [], 8, null); // the first expiry: re-armed
    await kevent(k, p, kq, [], 8, null); // the second
    expect(referenced()).toBe(before);
    await call(k, p, 'close', [kq]);
  });

  it('bounds EVFILT_TIMER registrations per process over all its kqueues (ENOMEM)', async () => {
    const timers = new ManualTimers();
    const { k, p, kq } = await setup({ timers });
    const many = Array.from({ length: MAX_TIMERS_PER_PROCESS }, (_, i) => ev(i, EVFILT.TIMER, EV.ADD, { data: 1000 }));
    expect(await kevent(k, p, kq, many, 8, 0)).toEqual([]);
    const [kq2] = (await call(k, p, 'kqueue', [])) as [number];
    const one = ev(9999, EVFILT.TIMER, EV.ADD | EV.RECEIPT, { data: 1000 });
    expect(await kevent(k, p, kq2, [one], 8, 0)).toMatchObject([{ ident: 9999, data: ERRNO.ENOMEM }]);
    await kevent(k, p, kq, [ev(0, EVFILT.TIMER, EV.DELETE)], 0, 0);
    expect(await kevent(k, p, kq2, [one], 8, 0)).toMatchObject([{ ident: 9999, data: 0 }]);
    await call(k, p, 'close', [kq]); // its timers go with it
    expect(timers.pending).toBe(1);
  });

  it('leaves no waiter, listener or timer behind when kevent and poll time out', async () => {
    const timers = new ManualTimers();
    const { k, p, kq, r } = await setup({ timers });
    await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD)], 0, 0);
    const kqChannel = (p.entry(kq).file.object as Kqueue).channel;
    const pipeChannel = p.entry(r).file.object.channel;
    for (let i = 0; i < 20; i++) {
      const a = kevent(k, p, kq, [], 8, 1e6);
      const b = call(k, p, 'poll', [[[r, POLL.IN]], 1]);
      await settle();
      timers.advance(1);
      expect(await a).toEqual([]);
      expect(await b).toEqual([0, [0]]);
    }
    expect(kqChannel.waiting).toBe(0);
    expect(pipeChannel.waiting).toBe(1); // the kqueue's registration
    expect(timers.pending).toBe(0);
  });

  it('refuses a kqueue watching itself (EINVAL); two watching each other neither recurse nor hang', async () => {
    const { k, p, kq } = await setup();
    expect(await kevent(k, p, kq, [ev(kq, EVFILT.READ, EV.ADD)], 8, 0)).toMatchObject([{ ident: kq, flags: EV.ADD | EV.ERROR, data: ERRNO.EINVAL }]);
    const [kq2] = (await call(k, p, 'kqueue', [])) as [number];
    await kevent(k, p, kq, [ev(kq2, EVFILT.READ, EV.ADD)], 0, 0);
    await kevent(k, p, kq2, [ev(kq, EVFILT.READ, EV.ADD)], 0, 0);
    expect(await call(k, p, 'poll', [[[kq, POLL.IN], [kq2, POLL.IN]], 0])).toEqual([0, [0, 0]]);
    // an event in kq2 makes kq readable, and the wake-up reaches a kevent waiting on kq
    const waiting = kevent(k, p, kq, [], 8, null);
    await kevent(k, p, kq2, [ev(7, EVFILT.USER, EV.ADD, { fflags: NOTE.TRIGGER })], 0, 0);
    expect(await waiting).toMatchObject([{ ident: kq2, filter: EVFILT.READ, data: 1 }]);
  });

  it('EV_CLEAR on a pipe end sees only the other side\'s activity', async () => {
    const { k, p, kq, r, w } = await setup();
    await call(k, p, 'write', [w, text('abcd')]);
    expect(await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD | EV.CLEAR), ev(w, EVFILT.WRITE, EV.ADD | EV.CLEAR)], 8, 0)).toHaveLength(2);
    expect(await kevent(k, p, kq, [], 8, 0)).toEqual([]);
    // the reader's own read: no new data to read, but room to write
    await call(k, p, 'read', [r, 1]);
    expect(await kevent(k, p, kq, [], 8, 0)).toMatchObject([{ ident: w, filter: EVFILT.WRITE }]);
    // the writer's write: new data to read, nothing new for the writer
    await call(k, p, 'write', [w, text('e')]);
    expect(await kevent(k, p, kq, [], 8, 0)).toMatchObject([{ ident: r, filter: EVFILT.READ, data: 4 }]);
  });

  it('a negative timeout is EINVAL', async () => {
    const { k, p, kq } = await setup();
    await expect(kevent(k, p, kq, [], 8, -1)).rejects.toMatchObject({ errno: ERRNO.EINVAL });
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
    const timers = new ManualTimers();
    const { k, p, r, w } = await setup({ timers });
    const poll = (fds: [number, number][], t: number, intr?: Interrupt) => call(k, p, 'poll', [fds, t], intr) as Promise<[number, number[]]>;
    expect(await poll([[r, POLL.IN], [w, POLL.OUT], [99, POLL.IN]], 0)).toEqual([2, [0, POLL.OUT, POLL.NVAL]]);
    const timed = poll([[r, POLL.IN]], 30);
    timers.advance(29);
    expect(await isSettled(timed)).toBe(false);
    timers.advance(1);
    expect(await timed).toEqual([0, [0]]);
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

  it('ignores entries with a negative fd (revents 0), as POSIX says', async () => {
    const { k, p, r, w } = await setup();
    expect(await call(k, p, 'poll', [[[-1, POLL.IN], [w, POLL.OUT]], 0])).toEqual([1, [0, POLL.OUT]]);
    const waiting = call(k, p, 'poll', [[[-5, POLL.IN], [r, POLL.IN]], -1]);
    expect(await isSettled(waiting)).toBe(false);
    await call(k, p, 'write', [w, text('x')]);
    expect(await waiting).toEqual([1, [0, POLL.IN]]);
  });

  it('keeps waiting, without spinning, when dup2 puts a file that is not ready where a polled fd was', async () => {
    // /dev/quiet: never ready until the test says so; counts how often it is looked at
    let scans = 0;
    let ready = false;
    const channel = new WaitChannel();
    const quiet: FileObject = {
      kind: 'vnode',
      name: '/dev/quiet',
      channel,
      readiness: () => {
        scans++;
        return { readable: ready ? 1 : 0, writable: 0, eof: false, hangup: false };
      },
      close: () => undefined,
    };
    const driver: Driver = { description: 'quiet device', open: () => quiet };
    const { k, p, r } = await setup();
    k.devices.register('quiet', driver);
    const [q] = (await call(k, p, 'open', ['/dev/quiet', O.RDONLY, 0])) as [number];
    const waiting = call(k, p, 'poll', [[[r, POLL.IN]], -1]);
    await settle();
    await call(k, p, 'dup2', [q, r]);
    // microtasks only: a poll spinning in a microtask loop would starve a macrotask forever
    for (let i = 0; i < 200; i++) await Promise.resolve();
    const scansWhileWaiting = scans;
    ready = true;
    channel.wake();
    expect(await waiting).toEqual([1, [POLL.IN]]);
    expect(scansWhileWaiting).toBeLessThanOrEqual(2);
  });

  it('works with nonblocking kqueues (kqueue1) being polled', async () => {
    const { k, p, r, w } = await setup();
    const [kq] = (await call(k, p, 'kqueue1', [O.NONBLOCK | O.CLOEXEC])) as [number];
    await kevent(k, p, kq, [ev(r, EVFILT.READ, EV.ADD)], 0, 0);
    await call(k, p, 'write', [w, text('x')]);
    expect(await call(k, p, 'poll', [[[kq, POLL.IN]], 0])).toEqual([1, [POLL.IN]]);
  });
});
