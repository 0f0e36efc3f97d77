// A real rump-kernel-server for rumpctl's tests: its own temporary directory and sysproxy
// socket, the environment cleared of the server's RUMP_KERNEL_SERVER_* settings.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ServiceProcess, spawnRumpKernel } from '@rumpflow/test-tools';

export interface TestKernel {
  readonly dir: string;
  readonly server: ServiceProcess;
  /** RUMP_SERVER for it: unix://DIR/rump.sock */
  readonly url: string;
}

export async function startKernel(prefix: string): Promise<TestKernel> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const url = `unix://${path.join(dir, 'rump.sock')}`;
  const server = spawnRumpKernel([url]);
  await server.ready();
  return { dir, server, url };
}
