// Metrics: one prom-client registry per app (never the global one), so several apps can
// run in one process (tests) without their metrics colliding.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Summary, Registry } from 'prom-client';

export interface MetricsOptions {
  /** App name, the `service` label of rumpflow_service_info. */
  readonly name: string;
  readonly version?: string;
  /** Process metrics (CPU, memory, event loop lag, handles, GC); default true. */
  readonly defaultMetrics?: boolean;
}

/** A fresh registry with the process metrics and `rumpflow_service_info{service,version} 1`. */
export function createMetricsRegistry(opts: MetricsOptions): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: 'rumpflow_service_info',
    help: 'Constant 1, labelled with the service name and version',
    labelNames: ['service', 'version'] as const,
    registers: [registry],
  });
  info.set({ service: opts.name, version: opts.version ?? 'unknown' }, 1);
  return registry;
}

/** A gauge with no labels set from `value()` at each scrape (nothing to update per event). */
export function scrapedGauge(registry: Registry, name: string, help: string, value: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(value());
    },
  });
}

/**
 * A counter that follows `total()`, a running total kept elsewhere that only grows: at each
 * scrape it advances by what the total gained since the last one (a counter cannot be set).
 */
export function scrapedCounter(registry: Registry, name: string, help: string, total: () => number): Counter {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = total();
      if (now > seen) this.inc(now - seen);
      seen = Math.max(seen, now);
    },
  });
}
