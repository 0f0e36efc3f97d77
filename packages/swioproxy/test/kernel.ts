// The real rump-kernel-server as a child process with switch0 made at boot (--rc), and what
// the tests read from its admin API: the fds of a process (/v1/procs) and a switch's channel
// and flow counts (/v1/switches/:name).

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type ServiceProcess, spawnRumpKernel } from '@rumpflow/test-tools';

export interface Kernel {
  readonly proc: ServiceProcess;
  readonly url: string;
  readonly admin: string;
}

/** Start a kernel listening on unix://DIR/rump.sock with switch0 (and the extra rc lines). */
export async function startKernel(dir: string, rcLines: readonly string[] = []): Promise<Kernel> {
  const rc = path.join(dir, 'rc');
  writeFileSync(rc, ['ifconfig switch0 create', 'ifconfig switch0 up', ...rcLines, ''].join('\n'));
  const sock = path.join(dir, 'rump.sock');
  const proc = spawnRumpKernel(['--rc', rc, '--admin', '127.0.0.1:0', `unix://${sock}`]);
  await proc.ready();
  const line = proc.logs.find((l) => l.msg.startsWith('admin server on '));
  if (!line) throw new Error(`no admin server line:\n${proc.stderr}`);
  return { proc, url: `unix://${sock}`, admin: line.url as string };
}

export interface KernelFd {
  fd: number;
  kind: string;
  name: string;
}

/** The open fds of process `pid` in the kernel (empty when it has none or is gone). */
export async function kernelFds(k: Kernel, pid: number): Promise<KernelFd[]> {
  const r = (await (await fetch(`${k.admin}/v1/procs?pid=${pid}`)).json()) as {
    procs: { fds: KernelFd[] }[];
  };
  return r.procs[0]?.fds ?? [];
}

export async function switchState(k: Kernel, name = 'switch0'): Promise<{ channels: number; flows: number }> {
  const r = await fetch(`${k.admin}/v1/switches/${name}`);
  if (!r.ok) throw new Error(`/v1/switches/${name}: ${r.status}`);
  return (await r.json()) as { channels: number; flows: number };
}

/** Poll `f` until it returns true (every 20 ms, up to timeoutMs). */
export async function eventually(
  f: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await f()) return;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
