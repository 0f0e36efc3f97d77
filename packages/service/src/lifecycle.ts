// Lifecycle: ordered start-up, graceful shutdown, exit codes.
//
// Components start in the order they were added and stop in reverse. SIGINT or SIGTERM
// starts a graceful shutdown: every component's stop() (close listeners, end connections)
// within a drain timeout, then the registered socket files are removed. A second signal
// exits at once with 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
// An uncaught exception or unhandled rejection is logged and shuts the service down with
// exit code 1. The process is injected (ProcessLike), so tests can signal a fake one.

import { constants } from 'node:os';
import type { HealthCheckResult } from './health.js';
import type { Logger } from './log.js';
import { removeSocketFileSync } from './unix-socket.js';

export interface Component {
  readonly name: string;
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

export type LifecycleState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

type Listener = (...args: unknown[]) => void;

/** The parts of `process` the lifecycle uses. */
export interface ProcessLike {
  on(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
  exit(code?: number): void;
  exitCode?: number | string | undefined;
}

export interface LifecycleOptions {
  readonly logger: Logger;
  /** Default: the real process. */
  readonly process?: ProcessLike;
  /** Signals that start a graceful shutdown (default SIGINT, SIGTERM). */
  readonly signals?: readonly NodeJS.Signals[];
  /** How long stopping may take in all before the process is forced to exit (default 10 s). */
  readonly drainTimeoutMs?: number;
  /** Handle uncaughtException and unhandledRejection (default true). */
  readonly handleErrors?: boolean;
}

export class Lifecycle {
  readonly #components: Component[] = [];
  readonly #started: Component[] = [];
  readonly #socketFiles = new Map<string, number | undefined>();
  readonly #log: Logger;
  readonly #proc: ProcessLike;
  readonly #signals: readonly NodeJS.Signals[];
  readonly #drainTimeoutMs: number;
  readonly #handleErrors: boolean;
  readonly #abort = new AbortController();
  readonly #listeners: Array<[string, Listener]> = [];
  #state: LifecycleState = 'idle';
  #exitCode = 0;
  #stopping: Promise<number> | undefined;
  #inProgress: Promise<void> | undefined;
  #resolveDone!: (code: number) => void;
  /** Resolves with the exit code once the service has stopped. */
  readonly done: Promise<number>;

  constructor(opts: LifecycleOptions) {
    this.#log = opts.logger;
    this.#proc = opts.process ?? process;
    this.#signals = opts.signals ?? ['SIGINT', 'SIGTERM'];
    this.#drainTimeoutMs = opts.drainTimeoutMs ?? 10_000;
    this.#handleErrors = opts.handleErrors ?? true;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Aborted when shutdown begins: long-running loops and requests watch it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get exitCode(): number {
    return this.#exitCode;
  }

  /** Add a component; it starts after those added before it and stops before them. */
  add(component: Component): this {
    if (this.#state !== 'idle')
      throw new Error(`cannot add component "${component.name}" while ${this.#state}`);
    this.#components.push(component);
    return this;
  }

  /** A socket file to remove at exit, even a forced one (with ino: only that very file). */
  removeOnExit(path: string, ino?: number): void {
    this.#socketFiles.set(path, ino);
  }

  /** Health check: ok while running, the state otherwise. */
  healthCheck(): HealthCheckResult {
    return this.#state === 'running' ? { ok: true, detail: 'running' } : { ok: false, detail: this.#state };
  }

  /** Watch signals and errors, then start the components in order. Rejects if one fails (after stopping the rest). */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`cannot start while ${this.#state}`);
    this.#state = 'starting';
    this.#attach();
    for (const c of this.#components) {
      if (this.#stopping !== undefined) break;
      try {
        this.#log.debug({ component: c.name }, 'starting component');
        this.#inProgress = (async () => {
          await c.start?.();
          this.#started.push(c);
        })();
        await this.#inProgress;
      } catch (err) {
        this.#log.fatal({ err, component: c.name }, `start-up failed: ${c.name}`);
        await this.shutdown(`start-up of ${c.name} failed`, 1);
        throw err;
      }
    }
    if (this.#stopping === undefined) {
      this.#state = 'running';
      this.#log.debug('all components started');
    }
  }

  /** Stop every started component in reverse order; idempotent. Resolves with the exit code. */
  shutdown(reason: string, exitCode = 0): Promise<number> {
    this.#setExitCode(exitCode);
    this.#stopping ??= this.#stop(reason);
    return this.#stopping;
  }

  #setExitCode(code: number): void {
    if (this.#exitCode === 0 && code !== 0) this.#exitCode = code;
  }

  async #stop(reason: string): Promise<number> {
    this.#state = 'stopping';
    this.#log.info({ reason }, 'shutting down');
    this.#abort.abort(new Error(`shutting down: ${reason}`));
    let timer: NodeJS.Timeout | undefined;
    let pending = '';
    const drained = (async () => {
      // A component whose start() is under way is stopped once it has started.
      await this.#inProgress?.catch(() => undefined);
      for (const c of [...this.#started].reverse()) {
        pending = c.name;
        try {
          this.#log.debug({ component: c.name }, 'stopping component');
          await c.stop?.();
        } catch (err) {
          this.#log.error({ err, component: c.name }, `stopping ${c.name} failed`);
          this.#setExitCode(1);
        }
      }
      return true;
    })();
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#drainTimeoutMs);
    });
    const ok = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    this.#removeSocketFiles();
    if (!ok) {
      this.#setExitCode(1);
      this.#log.error(
        { component: pending, drainTimeoutMs: this.#drainTimeoutMs },
        `drain timeout: ${pending} did not stop; exiting`,
      );
      this.#finish();
      this.#proc.exit(this.#exitCode);
      return this.#exitCode;
    }
    this.#finish();
    this.#log.info({ exitCode: this.#exitCode }, 'stopped');
    return this.#exitCode;
  }

  #finish(): void {
    this.#state = 'stopped';
    this.#detach();
    this.#proc.exitCode = this.#exitCode;
    this.#resolveDone(this.#exitCode);
  }

  #removeSocketFiles(): void {
    for (const [path, ino] of this.#socketFiles) {
      if (removeSocketFileSync(path, ino)) this.#log.debug({ path }, 'removed socket file');
    }
  }

  #attach(): void {
    for (const sig of this.#signals) {
      const onSignal = (): void => {
        if (this.#stopping === undefined) {
          this.#log.info({ signal: sig }, `received ${sig}`);
          void this.shutdown(sig, 0);
          return;
        }
        const code = 128 + (constants.signals[sig] ?? 0);
        this.#log.warn({ signal: sig, exitCode: code }, `received ${sig} again: exiting now`);
        this.#removeSocketFiles();
        this.#exitCode = code;
        this.#proc.exitCode = code;
        this.#proc.exit(code);
      };
      this.#on(sig, onSignal);
    }
    if (this.#handleErrors) {
      this.#on('uncaughtException', (err: unknown) => this.#fatal('uncaught exception', err));
      this.#on('unhandledRejection', (reason: unknown) => this.#fatal('unhandled promise rejection', reason));
    }
  }

  #fatal(what: string, err: unknown): void {
    this.#log.fatal({ err }, what);
    this.#setExitCode(1);
    void this.shutdown(what, 1);
  }

  #on(event: string, listener: Listener): void {
    this.#proc.on(event, listener);
    this.#listeners.push([event, listener]);
  }

  #detach(): void {
    for (const [event, listener] of this.#listeners) this.#proc.removeListener(event, listener);
    this.#listeners.length = 0;
  }
}
