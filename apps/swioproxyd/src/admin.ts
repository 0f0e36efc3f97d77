// swioproxyd's admin API: metrics read from the proxy at each scrape, and /v1/connections.

import { Counter, type Registry, type RoutesPlugin, scrapedCounter, scrapedGauge } from '@rumpflow/service';
import type { ProxyTotals, SwitchProxy } from '@rumpflow/swioproxy';

export function proxyMetrics(proxy: SwitchProxy, registry: Registry): void {
  const registers = [registry];
  const gauge = (name: string, help: string, value: () => number) =>
    scrapedGauge(registry, name, help, value);
  const counter = (name: string, help: string, total: () => number) =>
    scrapedCounter(registry, name, help, total);
  /** A counter with a direction label over two totals. */
  const both = (name: string, help: string, toDevice: keyof ProxyTotals, toClient: keyof ProxyTotals) => {
    const seen = { to_device: 0, to_client: 0 };
    return new Counter({
      name,
      help,
      labelNames: ['direction'],
      registers,
      collect() {
        for (const [direction, key] of [
          ['to_device', toDevice],
          ['to_client', toClient],
        ] as const) {
          const now = proxy.totals[key];
          if (now > seen[direction]) this.inc({ direction }, now - seen[direction]);
          seen[direction] = Math.max(seen[direction], now);
        }
      },
    });
  };
  const sessions = () => proxy.sessions();
  gauge('swioproxyd_connections', 'Client connections open now', () => sessions().length);
  gauge('swioproxyd_kernel_connected', '1 while the rump kernel is reachable', () =>
    proxy.kernelConnected ? 1 : 0,
  );
  counter('swioproxyd_connections_total', 'Client connections accepted', () => proxy.totals.accepted);
  counter(
    'swioproxyd_connections_refused_total',
    'Client connections closed at once: the kernel was away or --max-connections were open',
    () => proxy.totals.refusedKernelDown + proxy.totals.refusedLimit,
  );
  counter(
    'swioproxyd_device_open_failures_total',
    'Device opens that failed (the client was closed)',
    () => proxy.totals.openFailed,
  );
  both('swioproxyd_bytes_total', 'Bytes carried, by direction', 'bytesToDevice', 'bytesToClient');
  both(
    'swioproxyd_messages_total',
    'OpenFlow messages carried, by direction',
    'messagesToDevice',
    'messagesToClient',
  );
  both(
    'swioproxyd_flow_control_pauses_total',
    'Times a direction was paused because its receiver was slow',
    'pausesToDevice',
    'pausesToClient',
  );
  counter(
    'swioproxyd_kevent_wakeups_total',
    'kevent calls that returned (kevent mode); device reads that returned (blocking mode)',
    () => proxy.wakeups,
  );
  counter(
    'swioproxyd_reconnects_total',
    'Connections to the rump kernel made again after a loss',
    () => proxy.reconnects,
  );
  gauge(
    'swioproxyd_queue_bytes_to_device',
    'Bytes from clients waiting for their device, over all connections',
    () => sessions().reduce((n, s) => n + s.queuedToDevice, 0),
  );
  gauge(
    'swioproxyd_queue_bytes_to_client',
    'Bytes from devices in client socket buffers, over all connections',
    () => sessions().reduce((n, s) => n + s.queuedToClient, 0),
  );
}

const connectionSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    listen: { type: 'string' },
    device: { type: 'string' },
    state: { type: 'string' },
    fd: { type: 'integer' },
    since: { type: 'string' },
    bytesToDevice: { type: 'integer' },
    bytesToClient: { type: 'integer' },
    messagesToDevice: { type: 'integer' },
    messagesToClient: { type: 'integer' },
    queuedToDevice: { type: 'integer' },
    queuedToClient: { type: 'integer' },
    clientPaused: { type: 'boolean' },
    devicePaused: { type: 'boolean' },
  },
} as const;

export function proxyRoutes(proxy: SwitchProxy): RoutesPlugin {
  return async (app) => {
    app.get(
      '/v1/connections',
      {
        schema: {
          summary:
            'Client connections, each with its device fd in the kernel, bytes and messages each way and queue depths',
          response: {
            200: {
              type: 'object',
              properties: {
                mode: { type: 'string' },
                kernel: {
                  type: 'object',
                  properties: {
                    connected: { type: 'boolean' },
                    pid: { type: 'integer' },
                    reconnects: { type: 'integer' },
                  },
                },
                connections: { type: 'array', items: connectionSchema },
              },
            },
          },
        },
      },
      async () => ({
        mode: proxy.mode,
        kernel: {
          connected: proxy.kernelConnected,
          ...(proxy.kernelPid !== undefined ? { pid: proxy.kernelPid } : {}),
          reconnects: proxy.reconnects,
        },
        connections: proxy.connections(),
      }),
    );
  };
}
