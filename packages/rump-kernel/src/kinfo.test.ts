import { describe, expect, it } from 'vitest';
import { ERRNO, O, SYSCALLS, type SyscallName, type Value } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import { Kernel } from './kernel.js';
import type { Process } from './process.js';
import { Interrupt } from './wait.js';

const call = (k: Kernel, p: Process, name: SyscallName, args: Value[]) => k.syscall(p, SYSCALLS[name].number, args, new Interrupt());
const dec = (v: Value | undefined) => new TextDecoder().decode(v as Uint8Array);

describe('/dev/kinfo, /dev/ktrace and reboot', () => {
  it('kinfo gives a JSON snapshot of processes and fds, read to EOF', async () => {
    const k = new Kernel();
    const a = k.newProcess('switchd');
    await call(k, a, 'open', ['/dev/null', O.RDWR, 0]);
    const b = k.newProcess('rumpctl');
    const [fd] = (await call(k, b, 'open', ['/dev/kinfo', O.RDONLY, 0])) as [number];
    let text = '';
    for (;;) {
      const [n, data] = await call(k, b, 'read', [fd, 7]);
      if (n === 0) break;
      text += dec(data);
    }
    const info = JSON.parse(text) as { procs: { pid: number; program: string; fds: { name: string }[] }[] };
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
