// Metrics: one prom-client registry per app (never the global one), so several apps can
// run in one process (tests) without their metrics colliding.

import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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
