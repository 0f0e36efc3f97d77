// A real rump-kernel-server for rumpctl's tests: its own temporary directory and sysproxy
// socket, the environment cleared of the server's RUMP_KERNEL_SERVER_* settings.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServiceProcess, spawnService } from '@rumpflow/test-tools';

const SERVER_MAIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../rump-kernel-server/src/main.ts',
);

export interface TestKernel {
  readonly dir: string;
  readonly server: ServiceProcess;
  /** RUMP_SERVER for it: unix://DIR/rump.sock */
  readonly url: string;
}

export async function startKernel(prefix: string): Promise<TestKernel> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const url = `unix://${path.join(dir, 'rump.sock')}`;
  const server = spawnService(SERVER_MAIN, [url], {
    name: 'rump-kernel-server',
    env: {
      RUMP_KERNEL_SERVER_ADMIN: '',
      RUMP_KERNEL_SERVER_CONFIG: '',
      RUMP_KERNEL_SERVER_LOG_LEVEL: 'info',
      RUMP_KERNEL_SERVER_PRETTY: '',
    },
  });
  await server.ready();
  return { dir, server, url };
}
