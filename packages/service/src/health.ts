// Readiness: named health checks, evaluated together for GET /healthz.
//
// A check returns { ok, detail }; one that throws, rejects or does not answer within its
// timeout counts as failing, with the reason as detail. The service is ready when every
// check is ok.

export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface HealthCheckResult {
  readonly ok: boolean;
  /** Why, for humans and scripts: "connected to 2 controllers", "listening on /run/x.sock". */
  readonly detail?: JsonValue;
}

export type HealthCheck = () => HealthCheckResult | Promise<HealthCheckResult>;

export interface HealthReport {
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, HealthCheckResult>>;
  /** Names of the failing checks. */
  readonly failing: readonly string[];
}

export interface HealthRegistryOptions {
  /** How long one check may take before it counts as failing (default 5000 ms). */
  readonly timeoutMs?: number;
}

export class HealthRegistry {
  readonly #checks = new Map<string, HealthCheck>();
  readonly #timeoutMs: number;

  constructor(opts: HealthRegistryOptions = {}) {
    this.#timeoutMs = opts.timeoutMs ?? 5000;
  }

  /** Add a named check; returns a function that removes it. Names are unique. */
  register(name: string, check: HealthCheck): () => void {
    if (this.#checks.has(name)) throw new Error(`health check "${name}" is already registered`);
    this.#checks.set(name, check);
    return () => {
      if (this.#checks.get(name) === check) this.#checks.delete(name);
    };
  }

  names(): string[] {
    return [...this.#checks.keys()];
  }

  /** Run every check concurrently. */
  async evaluate(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.#checks].map(async ([name, check]) => [name, await this.#run(check)] as const),
    );
    const checks: Record<string, HealthCheckResult> = {};
    const failing: string[] = [];
    for (const [name, result] of entries) {
      checks[name] = result;
      if (!result.ok) failing.push(name);
    }
    return { ok: failing.length === 0, checks, failing };
  }

  async #run(check: HealthCheck): Promise<HealthCheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HealthCheckResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, detail: `no answer within ${this.#timeoutMs} ms` }),
        this.#timeoutMs,
      );
      timer.unref();
    });
    try {
      const result = await Promise.race([Promise.resolve().then(check), timeout]);
      if (typeof result !== 'object' || result === null || typeof result.ok !== 'boolean') {
        return { ok: false, detail: 'check returned no {ok} result' };
      }
      return result.detail === undefined ? { ok: result.ok } : { ok: result.ok, detail: result.detail };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}
