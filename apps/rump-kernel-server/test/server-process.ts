// The real rump-kernel-server as a child process, for the end-to-end tests and the benchmark:
// a thin layer over @rumpflow/test-tools' ServiceProcess (which spawns it under tsx with the
// source condition and parses its pino log lines) that adds what this server logs — the admin
// URL and the sysproxy listeners ('admin server on ...', 'listening') — and a clean
// environment, so that no caller's RUMP_KERNEL_SERVER_* settings change what the tests read.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ServiceExit,
  type ServiceLogLine,
  ServiceProcess,
  killAllServices,
  rumpKernelEnv,
  spawnServiceChild,
} from '@rumpflow/test-tools';

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MAIN = path.join(APP_DIR, 'src', 'main.ts');

/** One parsed log line (pino JSON). */
export type LogLine = ServiceLogLine;
export type Exit = ServiceExit;

export class ServerProcess extends ServiceProcess {
  get pid(): number {
    return this.child.pid as number;
  }

  /** The admin server's base URL ('admin server on http://...'). */
  get adminUrl(): string {
    const l = this.logs.find((x) => typeof x.msg === 'string' && x.msg.startsWith('admin server on '));
    if (!l) throw new Error(`no admin server in the log:\n${this.stderr}`);
    return l.url as string;
  }

  /** The sysproxy listeners, in order, with bound TCP ports ('listening' lines). */
  get listeners(): string[] {
    return this.logs
      .filter((l) => l.msg === 'listening' && typeof l.url === 'string')
      .map((l) => l.url as string);
  }

  /** The listener of a kind (unix or tcp). */
  url(kind: 'unix' | 'tcp'): string {
    const u = this.listeners.find((x) => x.startsWith(`${kind}://`));
    if (!u) throw new Error(`no ${kind} listener in the log:\n${this.stderr}`);
    return u;
  }
}

/** Spawn rump-kernel-server with `args` (no waiting: see ready()). */
export function spawnServer(args: readonly string[], env: NodeJS.ProcessEnv = {}): ServerProcess {
  const child = spawnServiceChild(MAIN, args, {
    cwd: APP_DIR,
    // the log lines this harness reads need level info and JSON, whatever the caller's environment
    env: { ...rumpKernelEnv(), ...env },
  });
  return new ServerProcess('rump-kernel-server', child);
}

/** Spawn and wait until it runs. */
export function startServer(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  return spawnServer(args, env).ready();
}

/** SIGKILL every child still running and wait for them (afterEach/afterAll). */
export const killAll = killAllServices;

export interface TempDir {
  readonly dir: string;
  remove(): void;
}

/** A fresh temporary directory and its remover. */
export function tempDir(prefix = 'rks-'): TempDir {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
