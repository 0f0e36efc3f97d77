// swioproxyd --listen PATH --device /dev/switchN [--listen PATH --device /dev/switchN]...
// The I/O proxy daemon: /dev/switchN of the rump kernel at RUMP_SERVER, served on Unix sockets.

import { EndpointError, parseRumpServer } from '@rumpflow/endpoint';
import { UsageError, defineOptions, runService } from '@rumpflow/service';
import { IO_MODES, type IoMode, type ProxyPair, SwitchProxy, resolveGroup } from '@rumpflow/swioproxy';
import { proxyMetrics, proxyRoutes } from './admin.js';

const VERSION = '0.1.0';

const positiveInteger = (max: number) => (v: number) =>
  Number.isInteger(v) && v >= 1 && v <= max ? undefined : `an integer from 1 to ${max}`;

const options = defineOptions({
  listen: {
    type: 'string[]',
    valueName: 'PATH',
    description: 'Unix socket to serve the device given by the --device of the same position (repeatable)',
  },
  device: {
    type: 'string[]',
    valueName: 'PATH',
    description: 'Device in the rump kernel served on the --listen of the same position, e.g. /dev/switch0',
  },
  'rump-server': {
    type: 'string',
    env: 'RUMP_SERVER',
    valueName: 'URL',
    required: true,
    description: 'The rump kernel: unix:///path or tcp://host:port',
    check: (v) => {
      try {
        parseRumpServer(v);
        return undefined;
      } catch (e) {
        return e instanceof EndpointError ? e.reason : String(e);
      }
    },
  },
  'token-file': {
    type: 'string',
    valueName: 'FILE',
    description: "The kernel's auth token, on the first line of FILE (else $RUMP_AUTH_TOKEN)",
  },
  io: {
    type: 'string',
    default: 'blocking',
    choices: IO_MODES,
    description:
      'How devices are read: kevent (one kevent wait in the kernel for every device fd) or blocking (one blocking read in flight per fd)',
  },
  'socket-mode': {
    type: 'string',
    default: '0600',
    valueName: 'MODE',
    description: 'Mode of the socket files, octal',
    check: (v) => (/^0?[0-7]{3}$/.test(v) ? undefined : 'an octal mode such as 0600 or 0660'),
  },
  'socket-group': {
    type: 'string',
    valueName: 'GROUP',
    description: 'Group of the socket files (name or gid)',
  },
  'queue-bytes': {
    type: 'number',
    default: 256 * 1024,
    valueName: 'BYTES',
    description: 'Per connection and direction, bytes held before the sender is paused',
    check: (v) =>
      Number.isInteger(v) && v >= 4096 && v <= 64 * 1024 * 1024 ? undefined : 'from 4096 to 67108864',
  },
  'max-connections': {
    type: 'number',
    default: 64,
    valueName: 'N',
    description: 'Most client connections per socket; more are closed as they come',
    check: positiveInteger(100_000),
  },
});

/** --listen and --device, paired in order. */
function pairs(listen: readonly string[], device: readonly string[]): ProxyPair[] {
  if (listen.length === 0) throw new UsageError('give at least one --listen PATH --device /dev/switchN pair');
  if (listen.length !== device.length)
    throw new UsageError(
      `--listen and --device come in pairs: ${listen.length} --listen, ${device.length} --device`,
    );
  const seen = new Set<string>();
  return listen.map((l, i) => {
    const d = device[i] as string;
    if (!d.startsWith('/')) throw new UsageError(`--device ${d}: a path in the kernel, such as /dev/switch0`);
    if (seen.has(l)) throw new UsageError(`--listen ${l} is given twice`);
    seen.add(l);
    return { listen: l, device: d };
  });
}

await runService({
  name: 'swioproxyd',
  version: VERSION,
  summary:
    'The I/O proxy daemon: serves each --device of the rump kernel at RUMP_SERVER on its --listen Unix socket as an OpenFlow byte stream. Every client connection opens the device for itself (its own OpenFlow channel). Host sockets are served by the Node event loop; device fds either have one blocking read in flight each (--io blocking, the default) or are waited on together by one kevent call in the kernel (--io kevent).',
  options,
  envPrefix: 'SWIOPROXYD',
  epilog:
    'Example: RUMP_SERVER=unix:///tmp/rump.sock swioproxyd --listen /tmp/switch0.sock --device /dev/switch0\nThen: switchd.conf  device "unix:/tmp/switch0.sock" forward to tcp:127.0.0.1:6653',
  main(ctx) {
    const c = ctx.config;
    const list = pairs(c.listen, c.device);
    let gid: number | undefined;
    if (c.socketGroup !== undefined) {
      try {
        gid = resolveGroup(c.socketGroup);
      } catch (e) {
        throw new UsageError(`--socket-group: ${(e as Error).message}`);
      }
    }
    const proxy = new SwitchProxy({
      pairs: list,
      rumpServer: c.rumpServer,
      listenUnix: (s, path, mode) => ctx.listenUnix(s, path, mode),
      mode: c.io as IoMode,
      socketMode: parseInt(c.socketMode, 8),
      ...(gid !== undefined ? { socketGid: gid } : {}),
      queueBytes: c.queueBytes,
      maxConnections: c.maxConnections,
      ...(c.tokenFile !== undefined ? { tokenFile: c.tokenFile } : {}),
    });
    const log = ctx.log('proxy');
    proxy.on('listening', (p) => log.info({ path: p.listen, device: p.device }, 'listening'));
    proxy.on('kernelUp', (pid) =>
      log.info({ url: c.rumpServer, pid, reconnects: proxy.reconnects }, 'kernel connected'),
    );
    proxy.on('kernelDown', (e) =>
      log.warn({ url: c.rumpServer, err: e?.message }, 'kernel connection lost; its clients closed'),
    );
    proxy.on('kernelRetry', (e, ms) =>
      log.warn({ url: c.rumpServer, err: e.message, retryMs: ms }, 'kernel unreachable'),
    );
    proxy.on('opened', (i) =>
      log.info({ id: i.id, path: i.listen, device: i.device, fd: i.fd }, 'client attached'),
    );
    proxy.on('openFailed', (p, e) =>
      log.warn({ path: p.listen, device: p.device, err: e.message }, 'device open failed; client closed'),
    );
    proxy.on('closed', (i, reason) =>
      log.info(
        {
          id: i.id,
          device: i.device,
          reason,
          bytesToDevice: i.bytesToDevice,
          bytesToClient: i.bytesToClient,
        },
        'client detached',
      ),
    );
    proxyMetrics(proxy, ctx.metrics);
    ctx.addRoutes(proxyRoutes(proxy));
    ctx.addHealthCheck('kernel', () => ({
      ok: proxy.kernelConnected,
      detail: proxy.kernelConnected
        ? `connected to ${c.rumpServer} as pid ${proxy.kernelPid}`
        : `not connected to ${c.rumpServer}${proxy.lastKernelError ? `: ${proxy.lastKernelError.message}` : ''}`,
    }));
    ctx.addComponent({ name: 'proxy', start: () => proxy.start(), stop: () => proxy.stop() });
  },
});
