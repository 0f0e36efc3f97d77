// Helpers for switchd's program tests: the real switchd as a child process (test-tools'
// ServiceProcess), free ports, switchctl run in this process with its output captured,
// external programs (ovs-ofctl, ovs-testcontroller, openssl) with their output.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceProcess, spawnService } from '@rumpflow/test-tools';
import { main as switchctlMain } from '../../switchctl/src/main.js';

export const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** switchd with `args`, logs parsed; resolves once 'started' (or rejects if it exits). */
export function startSwitchd(args: readonly string[], env: NodeJS.ProcessEnv = {}): ServiceProcess {
  return spawnService(path.join(APP, 'src/main.ts'), args, {
    name: 'switchd',
    cwd: APP,
    env: { SWITCHD_ADMIN: '', SWITCHD_LOG_LEVEL: 'info', SWITCHD_PRETTY: '', SWITCHD_CONFIG: '', ...env },
  });
}

/**
 * switchd under the rumphijack loader (`node --import @rumpflow/rumphijack`): its plain fs
 * calls on /rump/... go into the kernel at RUMP_SERVER — the third device backend.
 */
export function startSwitchdHijacked(args: readonly string[], env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@rumpflow/source',
      '--import',
      'tsx',
      '--import',
      '@rumpflow/rumphijack',
      path.join(APP, 'src/main.ts'),
      ...args,
    ],
    {
      cwd: APP,
      env: {
        ...process.env,
        SWITCHD_ADMIN: '',
        SWITCHD_LOG_LEVEL: 'info',
        SWITCHD_PRETTY: '',
        SWITCHD_CONFIG: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new ServiceProcess('switchd (rumphijack)', child);
}

/** rump-kernel-server with an rc file (lines in rumpctl's syntax) on a Unix socket. */
export function startKernel(socket: string, rc: string): ServiceProcess {
  return spawnService(
    path.resolve(APP, '../rump-kernel-server/src/main.ts'),
    ['--rc', rc, `unix://${socket}`],
    {
      name: 'rump-kernel-server',
      env: { RUMP_KERNEL_SERVER_ADMIN: '', LOG_LEVEL: 'info' },
    },
  );
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export function writeConf(file: string, lines: readonly string[]): string {
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** switchctl ARGS in this process: exit code and output. */
export async function switchctl(
  socket: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await switchctlMain(
    ['-s', socket, ...args],
    {},
    { out: (t) => void (out += t), err: (t) => void (err += t) },
  );
  return { code, out, err };
}

/** switchctl monitor in this process until `signal` aborts; lines go to `lines`. */
export function switchctlMonitor(socket: string, lines: string[], signal: AbortSignal): Promise<number> {
  return switchctlMain(
    ['-s', socket, 'monitor'],
    {},
    { out: (t) => void lines.push(t), err: (t) => void lines.push(t) },
    signal,
  );
}

export function run(
  program: string,
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: timeoutMs }, (e, out, err) => {
      const code = e
        ? typeof (e as { code?: unknown }).code === 'number'
          ? (e as { code: number }).code
          : 1
        : 0;
      resolve({ code, out, err });
    });
  });
}

/** ovs-ofctl -O OpenFlow13 ARGS; throws with its stderr on failure. */
export async function ofctl(...args: string[]): Promise<string> {
  const r = await run('ovs-ofctl', ['-O', 'OpenFlow13', ...args]);
  if (r.code !== 0) throw new Error(`ovs-ofctl ${args.join(' ')}: ${r.err}`);
  return r.out;
}

const spawned = new Set<ChildProcess>();
/** A long-running external program (ovs-testcontroller); killed by pid in killSpawned(). */
export function spawnProgram(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  const c = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  spawned.add(c);
  c.once('exit', () => spawned.delete(c));
  return c;
}
export async function killSpawned(): Promise<void> {
  await Promise.all(
    [...spawned].map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null || c.signalCode !== null) return r();
          c.once('exit', () => r());
          c.kill('SIGTERM');
        }),
    ),
  );
}
