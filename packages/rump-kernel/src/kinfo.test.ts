import { describe, expect, it } from 'vitest';
import { ERRNO, type KinfoSnapshot, O, SYSCALLS, type SyscallName, type Value } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import { Kernel } from './kernel.js';
import { KINFO_MAX_BYTES } from './kinfo.js';
import type { Process } from './process.js';
import { Interrupt } from './wait.js';

const call = (k: Kernel, p: Process, name: SyscallName, args: Value[]) => k.syscall(p, SYSCALLS[name].number, args, new Interrupt());
const dec = (v: Value | undefined) => new TextDecoder().decode(v as Uint8Array);

/** Read an fd to EOF, `n` bytes a call. */
async function readAll(k: Kernel, p: Process, fd: number, n: number): Promise<string> {
  let text = '';
  for (;;) {
    const [got, data] = await call(k, p, 'read', [fd, n]);
    if (got === 0) return text;
    text += dec(data);
  }
}

/** The trace lines of one read of /dev/ktrace. */
const traceLines = ([, data]: Value[]) =>
  dec(data)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { pid: number; syscall: string });

describe('/dev/kinfo, /dev/ktrace and reboot', () => {
  it('kinfo gives a JSON snapshot of processes and fds, read to EOF', async () => {
    const k = new Kernel();
    const a = k.newProcess('switchd');
    await call(k, a, 'open', ['/dev/null', O.RDWR, 0]);
    const b = k.newProcess('rumpctl');
    const [fd] = (await call(k, b, 'open', ['/dev/kinfo', O.RDONLY, 0])) as [number];
    const info = JSON.parse(await readAll(k, b, fd, 7)) as KinfoSnapshot;
    expect(info.truncated).toBeUndefined();
    expect(info.procs.map((p) => [p.pid, p.program])).toEqual([
      [a.pid, 'switchd'],
      [b.pid, 'rumpctl'],
    ]);
    expect(info.procs[0]?.fds.map((f) => f.name)).toEqual(['/dev/null']);
  });

  it('ktrace streams other processes\' syscalls as JSON lines, filtered, never the tracer\'s own', async () => {
    const k = new Kernel();
    const tracer = k.newProcess('rumpctl');
    const x = k.newProcess('x');
    const y = k.newProcess('y');
    const [fd] = (await call(k, tracer, 'open', ['/dev/ktrace', O.RDWR, 0])) as [number];
    await call(k, tracer, 'write', [fd, new TextEncoder().encode(JSON.stringify({ pid: x.pid }))]);
    const reading = call(k, tracer, 'read', [fd, 65536]);
    await call(k, y, 'getpid', []);
    await call(k, x, 'getpid', []);
    const [, data] = await reading;
    const lines = dec(data).trim().split('\n').map((l) => JSON.parse(l) as { pid: number; syscall: string; result: string });
    expect(lines).toEqual([expect.objectContaining({ pid: x.pid, program: 'x', syscall: 'getpid', result: `${x.pid}, 0` })]);
    await expect(call(k, tracer, 'write', [fd, new TextEncoder().encode('{"pid":"one"}')])).rejects.toMatchObject({ errno: ERRNO.EINVAL });
  });

  it('kinfo stops at KINFO_MAX_BYTES: whole processes only, and says it is truncated', async () => {
    const k = new Kernel({ maxFds: 4000 });
    for (let i = 0; i < 3; i++) {
      const p = k.newProcess(`big${i}`);
      for (let fd = 0; fd < 4000; fd++) await call(k, p, 'open', ['/dev/null', O.RDWR, 0]);
    }
    const reader = k.newProcess('rumpctl');
    const [fd] = (await call(k, reader, 'open', ['/dev/kinfo', O.RDONLY, 0])) as [number];
    const text = await readAll(k, reader, fd, 65536);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(KINFO_MAX_BYTES);
    const info = JSON.parse(text) as KinfoSnapshot;
    expect(info.truncated).toBe(true);
    expect(info.procs.length).toBeGreaterThan(0);
    expect(info.procs.map((p) => p.program)).toEqual(['big0', 'big1', 'big2'].slice(0, info.procs.length));
    for (const p of info.procs) expect(p.fds).toHaveLength(4000);
  });

  it('ktrace: two tracers never see each other\'s calls, so they cannot feed each other', async () => {
    const k = new Kernel();
    const a = k.newProcess('tracer-a');
    const b = k.newProcess('tracer-b');
    const x = k.newProcess('x');
    const [fa] = (await call(k, a, 'open', ['/dev/ktrace', O.RDONLY, 0])) as [number];
    const [fb] = (await call(k, b, 'open', ['/dev/ktrace', O.RDONLY, 0])) as [number];
    const [ra, rb] = [call(k, a, 'read', [fa, 65536]), call(k, b, 'read', [fb, 65536])];
    await call(k, x, 'getpid', []);
    expect(traceLines(await ra)).toEqual([expect.objectContaining({ pid: x.pid, syscall: 'getpid' })]);
    expect(traceLines(await rb)).toEqual([expect.objectContaining({ pid: x.pid, syscall: 'getpid' })]);
    // their reads just completed; neither read is a line for the other tracer
    let completed = 0;
    const again = [call(k, a, 'read', [fa, 65536]), call(k, b, 'read', [fb, 65536])].map((r) => r.then(() => completed++));
    await new Promise<void>((r) => setImmediate(r));
    expect(completed).toBe(0);
    // a call of a process that is not tracing ends both waits
    await call(k, x, 'close', [99]).catch(() => undefined);
    await Promise.all(again);
    k.detach(a);
    k.detach(b);
  });

  it('reboot halts through the server hook, EPERM without one', async () => {
    const k = new Kernel();
    const p = k.newProcess('rumpctl');
    await expect(call(k, p, 'reboot', [0])).rejects.toBeInstanceOf(KernelError);
    let halted = false;
    k.onHalt = () => (halted = true);
    expect(await call(k, p, 'reboot', [0])).toEqual([0]);
    await new Promise((r) => setImmediate(r));
    expect(halted).toBe(true);
  });
});
