// The end-to-end harness: the real rump-kernel-server as a child process (from its sources,
// spawned by path: apps never import apps), and Node scripts run under the real rumphijack
// CLI (from its sources too), with their stdout, stderr and exit status collected. Scripts are
// written into a temporary directory inside this app, so that `@rumpflow/rumphijack` resolves
// to the same module the loader is (one hijack per program).

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rumpKernelEnv } from '@rumpflow/test-tools';

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(APP_DIR, '../..');
const SERVER_MAIN = path.join(ROOT, 'apps/rump-kernel-server/src/main.ts');
const CLI = path.join(APP_DIR, 'test/run-cli.ts');
const DEV = ['--conditions=@rumpflow/source', '--import', 'tsx'];

const children = new Set<ChildProcess>();
const servers = new Set<ChildProcess>();

export class KernelServer {
  private stderr = '';
  readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Start rump-kernel-server on unix://`sock` and wait for its 'started' line. */
  static async start(sock: string): Promise<KernelServer> {
    const url = `unix://${sock}`;
    const child = spawn(process.execPath, [...DEV, SERVER_MAIN, url], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...rumpKernelEnv(),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    servers.add(child);
    child.once('exit', () => servers.delete(child));
    const s = new KernelServer(child, url);
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (s.stderr.includes('"msg":"started"')) {
          child.stderr?.off('data', check);
          resolve();
        }
      };
      child.stderr?.on('data', check);
      child.once('exit', (code) => reject(new Error(`rump-kernel-server exited (${code}):\n${s.stderr}`)));
    });
    return s;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout's JSON lines. */
  readonly lines: unknown[];
}

export class ScriptDir {
  readonly dir = mkdtempSync(path.join(APP_DIR, 'test', '.tmp-'));

  /** Write a script (an .mjs file) and return its path. */
  script(name: string, code: string): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, code);
    return file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly done: Promise<Run>;
  /** Resolves when stdout has a line that includes `text`. */
  waitFor(text: string): Promise<void>;
}

/** `rumphijack [--] COMMAND ARGS...` through the CLI's sources, in `cwd` (default the repo root). */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv, cwd = ROOT): Spawned {
  return spawnNode([...DEV, CLI, ...args], env, cwd);
}

/** node ARGS with the given environment. */
export function spawnNode(args: readonly string[], env: NodeJS.ProcessEnv, cwd = ROOT): Spawned {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (c: string) => {
    stdout += c;
    for (const w of [...waiters]) {
      if (stdout.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr?.on('data', (c: string) => (stderr += c));
  const done = new Promise<Run>((resolve) => {
    child.once('exit', (code) => {
      children.delete(child);
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{') || l.startsWith('['))
        .map((l) => JSON.parse(l) as unknown);
      resolve({ code, stdout, stderr, lines });
    });
  });
  return {
    child,
    done,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void done.then((r) =>
          reject(new Error(`exited (${r.code}) before "${text}":\n${r.stdout}\n${r.stderr}`)),
        );
      }),
  };
}

/** SIGKILL every script still running (afterEach), and with `servers` every kernel too (afterAll). */
export async function killAll(opts: { servers?: boolean } = {}): Promise<void> {
  await Promise.all(
    [...children, ...(opts.servers ? servers : [])].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}
