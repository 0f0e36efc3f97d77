// The real rump-kernel-server as a child process, for the end-to-end tests and the benchmark:
// `node --conditions=@rumpflow/source --import tsx src/main.ts ARGS...`, its pino JSON log
// lines (stderr) parsed as they come, the admin URL and the sysproxy listeners learnt from
// them ('admin server on ...', 'listening'), and every child ever started killed by
// killAll() so that no test leaves a process behind.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MAIN = path.join(APP_DIR, 'src', 'main.ts');

/** One parsed log line (pino JSON). */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const children = new Set<ChildProcess>();

export class ServerProcess {
  readonly logs: LogLine[] = [];
  /** stderr lines that are not JSON (usage errors). */
  readonly text: string[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly watchers = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    children.add(child);
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      partial += chunk;
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        this.line(line);
      }
      this.notify();
    });
    child.stdout?.resume();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (partial !== '') this.line(partial);
        partial = '';
        this.exit = { code, signal };
        children.delete(child);
        this.notify();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Everything on stderr so far, for failure messages. */
  get stderr(): string {
    return [...this.text, ...this.logs.map((l) => JSON.stringify(l))].join('\n');
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

  /** Resolves with the first log line `match` accepts; rejects if the process exits first. */
  waitFor(match: (l: LogLine) => boolean, what = 'log line'): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.logs.find(match);
        if (hit) {
          this.watchers.delete(check);
          resolve(hit);
        } else if (this.exit) {
          this.watchers.delete(check);
          reject(
            new Error(
              `rump-kernel-server exited (${JSON.stringify(this.exit)}) before ${what}:\n${this.stderr}`,
            ),
          );
        }
      };
      this.watchers.add(check);
      check();
    });
  }

  /** Wait until the service says 'started' (every listener up). */
  async ready(): Promise<this> {
    await this.waitFor((l) => l.msg === 'started', "'started'");
    return this;
  }

  /** SIGTERM (or `signal`), then the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    return this.exited;
  }

  private line(line: string): void {
    if (line.trim() === '') return;
    try {
      const v = JSON.parse(line) as unknown;
      if (typeof v === 'object' && v !== null && 'msg' in v) {
        this.logs.push(v as LogLine);
        return;
      }
    } catch {
      // not JSON: a usage error or a stack
    }
    this.text.push(line);
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }
}

/** Spawn rump-kernel-server with `args` (no waiting: see ready()). */
export function spawnServer(args: readonly string[], env: NodeJS.ProcessEnv = {}): ServerProcess {
  const child = spawn(process.execPath, ['--conditions=@rumpflow/source', '--import', 'tsx', MAIN, ...args], {
    cwd: APP_DIR,
    // the log lines this harness reads need level info and JSON, whatever the caller's environment
    env: {
      ...process.env,
      RUMP_KERNEL_SERVER_ADMIN: '',
      RUMP_KERNEL_SERVER_CONFIG: '',
      RUMP_KERNEL_SERVER_LOG_LEVEL: 'info',
      RUMP_KERNEL_SERVER_PRETTY: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ServerProcess(child);
}

/** Spawn and wait until it runs. */
export function startServer(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  return spawnServer(args, env).ready();
}

/** SIGKILL every child still running and wait for them (afterEach/afterAll). */
export async function killAll(): Promise<void> {
  const left = [...children];
  await Promise.all(
    left.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}

export interface TempDir {
  readonly dir: string;
  remove(): void;
}

/** A fresh temporary directory and its remover. */
export function tempDir(prefix = 'rks-'): TempDir {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
