import { describe, expect, it } from 'vitest';
import { ERRNO, F, FD_CLOEXEC, O, S_IF, SYSCALLS, type SyscallName, type Value } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import { Kernel, PID_MAX, type SyscallRecord } from './kernel.js';
import { PIPE_BUF, PIPE_BUF_SIZE } from './pipe.js';
import type { Process } from './process.js';
import { Interrupt } from './wait.js';

const call = (k: Kernel, p: Process, name: SyscallName, args: Value[], intr = new Interrupt()) =>
  k.syscall(p, SYSCALLS[name].number, args, intr);

async function errnoOf(pr: Promise<unknown>): Promise<string> {
  try {
    await pr;
  } catch (e) {
    expect(e).toBeInstanceOf(KernelError);
    return Object.entries(ERRNO).find(([, v]) => v === (e as KernelError).errno)?.[0] ?? String((e as KernelError).errno);
  }
  return 'success';
}

const text = (s: string) => new TextEncoder().encode(s);

/** Whether `p` has settled once every pending callback has run. */
async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise<void>((r) => setImmediate(r));
  return done;
}

describe('Kernel syscalls', () => {
  it('opens devices at the lowest free fd; /dev/null and /dev/zero behave', async () => {
    const k = new Kernel();
    const p = k.newProcess('test');
    expect(await call(k, p, 'open', ['/dev/null', O.RDWR, 0])).toEqual([0]);
    expect(await call(k, p, 'open', ['/dev/zero', O.RDONLY, 0])).toEqual([1]);
    expect(await call(k, p, 'write', [0, text('abc')])).toEqual([3]);
    expect(await call(k, p, 'read', [0, 10])).toEqual([0, new Uint8Array(0)]);
    expect(await call(k, p, 'read', [1, 4])).toEqual([4, new Uint8Array(4)]);
    expect(await errnoOf(call(k, p, 'write', [1, text('x')]))).toBe('EBADF'); // read-only
    expect(await call(k, p, 'close', [0])).toEqual([0]);
    expect(await call(k, p, 'open', ['/dev/null', O.WRONLY, 0])).toEqual([0]);
    expect(await errnoOf(call(k, p, 'open', ['/dev/nonesuch', O.RDONLY, 0]))).toBe('ENOENT');
    expect(await errnoOf(call(k, p, 'open', ['/etc/passwd', O.RDONLY, 0]))).toBe('ENOENT');
  });

  it('fstat: devices are character devices, a pipe a FIFO holding what is written to it', async () => {
    const k = new Kernel();
    const p = k.newProcess('test');
    await call(k, p, 'open', ['/dev/zero', O.RDONLY, 0]);
    const [, r, w] = (await call(k, p, 'pipe2', [0])) as number[];
    await call(k, p, 'write', [w as number, text('hello')]);
    expect(await call(k, p, '__fstat50', [0])).toEqual([0, [S_IF.CHR | 0o666, 1, 0, 0, 0, 0, 65536]]);
    expect(await call(k, p, '__fstat50', [r as number])).toEqual([0, [S_IF.IFO | 0o666, 1, 0, 0, 0, 5, 65536]]);
    expect(await errnoOf(call(k, p, '__fstat50', [9]))).toBe('EBADF');
  });

  it('gives errno for every misuse', async () => {
    const k = new Kernel({ maxFds: 4 });
    const p = k.newProcess('test');
    expect(await errnoOf(call(k, p, 'close', [7]))).toBe('EBADF');
    expect(await errnoOf(call(k, p, 'read', [7, 1]))).toBe('EBADF');
    expect(await errnoOf(call(k, p, 'read', [0, -1]))).toBe('EINVAL');
    expect(await errnoOf(k.syscall(p, 9999, [], new Interrupt()))).toBe('ENOSYS');
    expect(await errnoOf(k.syscall(p, SYSCALLS.write.number, [1, 'not bytes'], new Interrupt()))).toBe('EINVAL');
    expect(await errnoOf(call(k, p, 'fcntl', [7, F.GETFL, 0]))).toBe('EBADF');
    expect(await errnoOf(call(k, p, 'pipe2', [0x1000]))).toBe('EINVAL');
    expect(await errnoOf(call(k, p, 'ioctl', [await call(k, p, 'open', ['/dev/null', O.RDWR, 0]).then((r) => r[0] as number), 0x4004667f, null]))).toBe('ENOTTY');
    for (let i = 0; i < 3; i++) await call(k, p, 'open', ['/dev/null', O.RDWR, 0]);
    expect(await errnoOf(call(k, p, 'open', ['/dev/null', O.RDWR, 0]))).toBe('EMFILE');
    expect(await errnoOf(call(k, p, '__socket30', [99, 2, 0]))).toBe('EAFNOSUPPORT');
    const [s] = await call(k, p, 'close', [3]).then(() => call(k, p, '__socket30', [2, 2, 0]));
    expect(await errnoOf(call(k, p, 'ioctl', [s as number, 0xc0906911, new Uint8Array(144)]))).toBe('ENOTTY');
  });

  it('shares open file descriptions between dup()ed fds, with per-fd close-on-exec', async () => {
    const k = new Kernel();
    const p = k.newProcess('test');
    const [, r, w] = (await call(k, p, 'pipe2', [O.CLOEXEC])) as number[];
    expect(await call(k, p, 'fcntl', [r as number, F.GETFD, 0])).toEqual([FD_CLOEXEC]);
    const [d] = (await call(k, p, 'dup', [w as number])) as number[];
    expect(await call(k, p, 'fcntl', [d as number, F.GETFD, 0])).toEqual([0]);
    await call(k, p, 'fcntl', [d as number, F.SETFL, O.NONBLOCK]);
    expect(await call(k, p, 'fcntl', [w as number, F.GETFL, 0])).toEqual([O.WRONLY | O.NONBLOCK]); // shared description
    expect(await call(k, p, 'dup2', [r as number, 10])).toEqual([10]);
    expect(await call(k, p, 'fcntl', [r as number, F.DUPFD, 20])).toEqual([20]);
    await call(k, p, 'write', [d as number, text('hello')]);
    await call(k, p, 'close', [w as number]);
    expect(await call(k, p, 'read', [10, 100])).toEqual([5, text('hello')]);
  });

  it('blocks a read on an empty pipe without holding up other calls, until a write', async () => {
    const k = new Kernel();
    const p = k.newProcess('test');
    const [, r, w] = (await call(k, p, 'pipe2', [0])) as number[];
    const blocked = call(k, p, 'read', [r as number, 100]);
    let done = false;
    void blocked.then(() => (done = true));
    // other calls proceed meanwhile
    expect(await call(k, p, 'getpid', [])).toEqual([p.pid, 0]);
    await new Promise((res) => setTimeout(res, 10));
    expect(done).toBe(false);
    expect(p.callsInFlight).toBe(1);
    await call(k, p, 'write', [w as number, text('ping')]);
    expect(await blocked).toEqual([4, text('ping')]);
    expect(p.callsInFlight).toBe(0);
  });

  it('gives EAGAIN with O_NONBLOCK, EOF after the writer closes, EPIPE after the reader closes', async () => {
    const k = new Kernel();
    const p = k.newProcess('test');
    const [, r, w] = (await call(k, p, 'pipe2', [O.NONBLOCK])) as number[];
    expect(await errnoOf(call(k, p, 'read', [r as number, 1]))).toBe('EAGAIN');
    // fill the pipe: a non-blocking write takes what fits, then EAGAIN
    expect(await call(k, p, 'write', [w as number, new Uint8Array(PIPE_BUF_SIZE + 100)])).toEqual([PIPE_BUF_SIZE]);
    expect(await errnoOf(call(k, p, 'write', [w as number, text('x')]))).toBe('EAGAIN');
    await call(k, p, 'close', [w as number]);
    expect((await call(k, p, 'read', [r as number, PIPE_BUF_SIZE * 2]))[0]).toBe(PIPE_BUF_SIZE);
    expect(await call(k, p, 'read', [r as number, 1])).toEqual([0, new Uint8Array(0)]); // EOF
    const [, r2, w2] = (await call(k, p, 'pipe2', [0])) as number[];
    await call(k, p, 'close', [r2 as number]);
    expect(await errnoOf(call(k, p, 'write', [w2 as number, text('x')]))).toBe('EPIPE');
  });

  it('wakes a call blocked on an fd with EBADF when the fd is closed, and cancels with the interrupt', async () => {
    const k = new Kernel();
    const p = k.newProcess('test');
    const [, r] = (await call(k, p, 'pipe2', [0])) as number[];
    const blocked = errnoOf(call(k, p, 'read', [r as number, 1]));
    await call(k, p, 'close', [r as number]);
    expect(await blocked).toBe('EBADF');
    const [, r2] = (await call(k, p, 'pipe2', [0])) as number[];
    const intr = new Interrupt();
    const cancelled = errnoOf(call(k, p, 'read', [r2 as number, 1], intr));
    intr.fire(new KernelError(ERRNO.ECANCELED));
    expect(await cancelled).toBe('ECANCELED');
  });

  it('keeps writes of at most PIPE_BUF bytes whole: EAGAIN without room for all, else a wait', async () => {
    const k = new Kernel();
    const p = k.newProcess('test');
    const [, r, w] = (await call(k, p, 'pipe2', [O.NONBLOCK])) as number[];
    expect(await call(k, p, 'write', [w as number, new Uint8Array(PIPE_BUF_SIZE - 100)])).toEqual([PIPE_BUF_SIZE - 100]);
    expect(await errnoOf(call(k, p, 'write', [w as number, new Uint8Array(200).fill(1)]))).toBe('EAGAIN');
    expect(await errnoOf(call(k, p, 'write', [w as number, new Uint8Array(PIPE_BUF).fill(1)]))).toBe('EAGAIN');
    // a larger write may be split: what fits goes in
    expect(await call(k, p, 'write', [w as number, new Uint8Array(PIPE_BUF + 1).fill(2)])).toEqual([100]);
    expect(await errnoOf(call(k, p, 'write', [w as number, new Uint8Array(PIPE_BUF + 1)]))).toBe('EAGAIN'); // full
    expect((await call(k, p, 'read', [r as number, PIPE_BUF_SIZE]))[0]).toBe(PIPE_BUF_SIZE);

    // blocking: an atomic write waits until all of it fits, and is never interleaved
    await call(k, p, 'fcntl', [w as number, F.SETFL, 0]);
    await call(k, p, 'write', [w as number, new Uint8Array(PIPE_BUF_SIZE - 100)]);
    const writing = call(k, p, 'write', [w as number, new Uint8Array(200).fill(0xaa)]);
    expect(await isSettled(writing)).toBe(false);
    await call(k, p, 'read', [r as number, 50]); // room for 150: still not enough
    expect(await isSettled(writing)).toBe(false);
    const [n, zeros] = (await call(k, p, 'read', [r as number, PIPE_BUF_SIZE])) as [number, Uint8Array];
    expect([n, zeros.every((b) => b === 0)]).toEqual([PIPE_BUF_SIZE - 150, true]);
    expect(await writing).toEqual([200]);
    expect(await call(k, p, 'read', [r as number, PIPE_BUF_SIZE])).toEqual([200, new Uint8Array(200).fill(0xaa)]);
  });

  it('gives EPIPE for a write of nothing with the reader gone', async () => {
    const k = new Kernel();
    const p = k.newProcess('test');
    const [, r, w] = (await call(k, p, 'pipe2', [0])) as number[];
    expect(await call(k, p, 'write', [w as number, new Uint8Array(0)])).toEqual([0]);
    await call(k, p, 'close', [r as number]);
    expect(await errnoOf(call(k, p, 'write', [w as number, new Uint8Array(0)]))).toBe('EPIPE');
  });

  it('refuses F_DUPFD from an fd beyond the table (EINVAL, not EMFILE)', async () => {
    const k = new Kernel({ maxFds: 8 });
    const p = k.newProcess('test');
    await call(k, p, 'open', ['/dev/null', O.RDWR, 0]);
    expect(await call(k, p, 'fcntl', [0, F.DUPFD, 7])).toEqual([7]);
    expect(await errnoOf(call(k, p, 'fcntl', [0, F.DUPFD, 8]))).toBe('EINVAL');
    expect(await errnoOf(call(k, p, 'fcntl', [0, F.DUPFD_CLOEXEC, 1000]))).toBe('EINVAL');
    expect(await errnoOf(call(k, p, 'fcntl', [0, F.DUPFD, 7]))).toBe('EMFILE'); // 7 is taken, nothing above it
  });

  it('closes a socket again when it cannot get an fd', async () => {
    const k = new Kernel({ maxFds: 1 });
    const p = k.newProcess('test');
    expect(await call(k, p, '__socket30', [2, 2, 0])).toEqual([0]);
    expect(k.objects.open('socket')).toBe(1);
    expect(await errnoOf(call(k, p, '__socket30', [2, 2, 0]))).toBe('EMFILE');
    expect(k.objects.open('socket')).toBe(1);
    await call(k, p, 'close', [0]);
    expect(k.objects.open('socket')).toBe(0);
  });

  it('numbers its pipes, kqueues and sockets per kernel', async () => {
    const names: string[] = [];
    for (const k of [new Kernel(), new Kernel()]) {
      const p = k.newProcess('test');
      const [, r] = (await call(k, p, 'pipe2', [0])) as number[];
      const [kq] = (await call(k, p, 'kqueue', [])) as number[];
      const [s] = (await call(k, p, '__socket30', [2, 2, 0])) as number[];
      names.push([r, kq, s].map((fd) => p.entry(fd as number).file.object.name).join(' '));
    }
    expect(names).toEqual(['pipe#1 (read end) kqueue#1 socket#1 (domain 2, type 2)', 'pipe#1 (read end) kqueue#1 socket#1 (domain 2, type 2)']);
  });

  it('refuses limits it cannot honour: more processes than pids, no fds', () => {
    expect(() => new Kernel({ maxProcesses: PID_MAX + 1 })).toThrow(RangeError);
    expect(() => new Kernel({ maxProcesses: 0 })).toThrow(/maxProcesses/);
    expect(() => new Kernel({ maxFds: 0 })).toThrow(/maxFds/);
    expect(() => new Kernel({ maxFds: 1.5 })).toThrow(/maxFds/);
    expect(new Kernel({ maxProcesses: PID_MAX }).maxProcesses).toBe(PID_MAX);
  });

  it('finds a free pid in a full pid space, wrapping around', () => {
    const k = new Kernel({ maxProcesses: PID_MAX });
    for (let i = 0; i < PID_MAX; i++) k.newProcess('filler');
    expect(() => k.newProcess('one too many')).toThrow(/process table full/);
    k.detach(k.processes.get(500) as Process);
    expect(k.newProcess('reuses').pid).toBe(500);
  });

  it('writes and reads scattered buffers', async () => {
    const k = new Kernel();
    const p = k.newProcess('test');
    const [, r, w] = (await call(k, p, 'pipe2', [0])) as number[];
    expect(await call(k, p, 'writev', [w as number, [text('ab'), text('cde')]])).toEqual([5]);
    expect(await call(k, p, 'readv', [r as number, [1, 3, 10]])).toEqual([5, [text('a'), text('bcd'), text('e')]]);
  });

  it('joins processes with the secret, and releases everything with the last connection', async () => {
    const k = new Kernel();
    const p = k.newProcess('switchd');
    const [, r] = (await call(k, p, 'pipe2', [0])) as number[];
    expect(() => k.join(p.pid, new Uint8Array(16))).toThrow(KernelError);
    const same = k.join(p.pid, p.joinSecret);
    expect(same).toBe(p);
    const blocked = errnoOf(call(k, p, 'read', [r as number, 1]));
    k.detach(p);
    expect(k.processes.has(p.pid)).toBe(true);
    k.detach(p);
    expect(await blocked).toBe('ESRCH');
    expect(k.processes.has(p.pid)).toBe(false);
    expect(p.fds.size).toBe(0);
  });

  it('reports every completed syscall', async () => {
    const k = new Kernel();
    const seen: SyscallRecord[] = [];
    k.trace.subscribe((r) => seen.push(r));
    const p = k.newProcess('tracer');
    await call(k, p, 'getpid', []);
    await errnoOf(call(k, p, 'close', [5]));
    expect(seen.map((r) => [r.program, r.syscall, r.errno])).toEqual([
      ['tracer', 'getpid', undefined],
      ['tracer', 'close', ERRNO.EBADF],
    ]);
  });
});
