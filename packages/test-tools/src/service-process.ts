// A daemon of this repository as a child process, for tests and benchmarks that need the
// real program: `node --conditions=@rumpflow/source --import tsx MAIN ARGS...`, its pino JSON
// log lines (stderr) parsed as they come, so a test can wait for 'started' or 'listening'
// and read the addresses it logs. killAllServices() SIGKILLs whatever is still running.

import { type ChildProcess, spawn } from 'node:child_process';

/** One parsed log line (pino JSON). */
export interface ServiceLogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface ServiceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const children = new Set<ChildProcess>();

export class ServiceProcess {
  readonly logs: ServiceLogLine[] = [];
  /** stderr lines that are not JSON (usage errors, stacks). */
  readonly text: string[] = [];
  readonly exited: Promise<ServiceExit>;
  private exit: ServiceExit | undefined;
  private readonly watchers = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    children.add(child);
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      partial += chunk;
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        this.line(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
      }
      this.notify();
    });
    child.stdout?.resume();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (partial !== '') this.line(partial);
        this.exit = { code, signal };
        children.delete(child);
        this.notify();
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Everything on stderr so far, for failure messages. */
  get stderr(): string {
    return [...this.text, ...this.logs.map((l) => JSON.stringify(l))].join('\n');
  }

  /** Resolves with the first log line `match` accepts; rejects if the process exits first. */
  waitFor(match: (l: ServiceLogLine) => boolean, what = 'log line'): Promise<ServiceLogLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.logs.find(match);
        if (hit) {
          this.watchers.delete(check);
          resolve(hit);
        } else if (this.exit) {
          this.watchers.delete(check);
          reject(
            new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before ${what}:\n${this.stderr}`),
          );
        }
      };
      this.watchers.add(check);
      check();
    });
  }

  /** Wait for the service kit's 'started' line (every component up). */
  async ready(): Promise<this> {
    await this.waitFor((l) => l.msg === 'started', "'started'");
    return this;
  }

  /** SIGTERM (or `signal`), then the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ServiceExit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    return this.exited;
  }

  private line(line: string): void {
    if (line.trim() === '') return;
    try {
      const v = JSON.parse(line) as unknown;
      if (typeof v === 'object' && v !== null && 'msg' in v) {
        this.logs.push(v as ServiceLogLine);
        return;
      }
    } catch {
      // not JSON
    }
    this.text.push(line);
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }
}

export interface SpawnServiceOptions {
  /** For messages (default: the file name). */
  readonly name?: string;
  readonly cwd?: string;
  /** Added to the environment (after process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Node options before the program (`--cpu-prof`, `--max-old-space-size=...`). */
  readonly nodeArgs?: readonly string[];
}

/** Spawn `main` (a TypeScript entry point) under tsx with the source condition; no waiting. */
export function spawnService(
  main: string,
  args: readonly string[],
  opts: SpawnServiceOptions = {},
): ServiceProcess {
  return new ServiceProcess(opts.name ?? main.split('/').pop() ?? main, spawnServiceChild(main, args, opts));
}

/**
 * The bare child spawnService wraps, for a harness that wraps it in its own ServiceProcess
 * subclass (which must be constructed at once, before any output is lost).
 */
export function spawnServiceChild(
  main: string,
  args: readonly string[],
  opts: SpawnServiceOptions = {},
): ChildProcess {
  return spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), '--conditions=@rumpflow/source', '--import', 'tsx', main, ...args],
    {
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** SIGKILL every service still running and wait for them (afterAll). */
export async function killAllServices(): Promise<void> {
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}
