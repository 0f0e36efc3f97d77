// The real rump-kernel-server for other projects' tests and benches: its sources (through
// the service harness's tsx) as a child process, with the server's own RUMP_KERNEL_SERVER_*
// settings cleared, so the kernel is exactly what the arguments say and its log lines are
// JSON the harnesses can read.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServiceProcess, spawnService } from './service-process.js';

/** apps/rump-kernel-server's entry point (sources). */
export const RUMP_KERNEL_SERVER_MAIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../apps/rump-kernel-server/src/main.ts',
);

/** The environment of a test kernel: no admin listener or config file from outside, JSON logs at `level`. */
export function rumpKernelEnv(level: 'info' | 'warn' = 'info'): NodeJS.ProcessEnv {
  return {
    RUMP_KERNEL_SERVER_ADMIN: '',
    RUMP_KERNEL_SERVER_CONFIG: '',
    RUMP_KERNEL_SERVER_LOG_LEVEL: level,
    RUMP_KERNEL_SERVER_PRETTY: '',
  };
}

export interface RumpKernelOptions {
  /** The name in its log and errors (default rump-kernel-server). */
  readonly name?: string;
  readonly level?: 'info' | 'warn';
  readonly nodeArgs?: readonly string[];
}

/** Spawn rump-kernel-server with `args` (no waiting: see ready()). */
export function spawnRumpKernel(args: readonly string[], o: RumpKernelOptions = {}): ServiceProcess {
  return spawnService(RUMP_KERNEL_SERVER_MAIN, args, {
    name: o.name ?? 'rump-kernel-server',
    env: rumpKernelEnv(o.level),
    ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}),
  });
}
