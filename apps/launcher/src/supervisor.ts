// Runs a plan's services as child processes: each one's stdout and stderr go to a log file in
// the run directory; start() waits until it is healthy (GET /healthz answers 200, or its TCP
// port accepts) before the next one starts; stop() ends them in reverse order (SIGTERM, then
// SIGKILL after a grace period) and removes any socket file a service left behind.

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import type { ServicePlan } from './topology.js';

export interface Running {
  readonly plan: ServicePlan;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Set when the process has exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
}

export class StartError extends Error {
  constructor(
    readonly service: string,
    message: string,
    readonly logTail: string,
  ) {
    super(`${service}: ${message}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Is the service healthy right now? */
export async function healthy(s: ServicePlan, timeoutMs = 1000): Promise<boolean> {
  const h = s.health;
  if ('admin' in h) {
    try {
      const res = await fetch(`${h.admin}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    const sock = connect(h.tcp.port, h.tcp.host);
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export class Supervisor {
  readonly running: Running[] = [];
  private readonly logs: WriteStream[] = [];

  constructor(
    private readonly runDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Start one service and wait until it is healthy (or fail with its log's tail). */
  async start(s: ServicePlan, timeoutMs = 30_000): Promise<Running> {
    const logFile = path.join(this.runDir, 'logs', `${s.name}.log`);
    const log = createWriteStream(logFile);
    this.logs.push(log);
    const child = spawn(s.command, s.args, {
      env: { ...this.env, ...s.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group: Ctrl-C reaches only the launcher, which stops the services in order
      detached: true,
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    let resolveExit!: () => void;
    const r: Running = {
      plan: s,
      child,
      logFile,
      exit: undefined,
      exited: new Promise((res) => (resolveExit = res)),
    };
    let spawnError: Error | undefined;
    child.once('error', (e) => {
      spawnError = e;
      r.exit = { code: 127, signal: null };
      resolveExit();
    });
    child.once('exit', (code, signal) => {
      r.exit = { code, signal };
      resolveExit();
    });
    this.running.push(r);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (r.exit) {
        await sleep(50); // let the log catch the last lines
        throw new StartError(
          s.name,
          spawnError
            ? spawnError.message
            : `exited (${r.exit.signal ?? `code ${r.exit.code}`}) while starting`,
          tail(logFile),
        );
      }
      if (await healthy(s)) return r;
      if (Date.now() > deadline)
        throw new StartError(s.name, `not healthy within ${timeoutMs / 1000} s`, tail(logFile));
      await sleep(100);
    }
  }

  /** Stop every service, last started first; SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    for (const r of [...this.running].reverse()) {
      if (!r.exit) {
        r.child.kill('SIGTERM');
        const killed = await Promise.race([r.exited.then(() => false), sleep(graceMs).then(() => true)]);
        if (killed) {
          r.child.kill('SIGKILL');
          await r.exited;
        }
      }
      for (const sock of r.plan.sockets) rmSync(sock, { force: true });
    }
    await Promise.all(this.logs.map((l) => new Promise((res) => l.end(res))));
  }

  /** Services that exited on their own. */
  get failed(): Running[] {
    return this.running.filter((r) => r.exit !== undefined);
  }
}
