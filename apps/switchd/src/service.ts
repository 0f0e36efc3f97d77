// switchd as a service definition: OpenBSD's flags, the control socket, SIGHUP reload, the
// admin routes. The logic is in @rumpflow/switchd-core; src/main.ts runs this.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import {
  ConfigError,
  Switchd,
  parseConfig,
  parseDefines,
  serveControl,
  type ControlHandler,
  type SwitchdConfig,
} from '@rumpflow/switchd-core';
import {
  Gauge,
  UsageError,
  defineOptions,
  type RoutesPlugin,
  type ServiceDefinition,
} from '@rumpflow/service';

export const VERSION = '0.1.0';
export const DEFAULT_CONF = '/etc/switchd.conf';
export const DEFAULT_SOCKET = '/var/run/switchd.sock';

const positiveInt = (v: number): string | undefined =>
  Number.isInteger(v) && v > 0 && v <= 1_000_000 ? undefined : 'a positive integer';

export const options = defineOptions({
  file: {
    type: 'string',
    short: 'f',
    valueName: 'FILE',
    default: DEFAULT_CONF,
    description: 'switchd.conf to read',
  },
  define: {
    type: 'string[]',
    short: 'D',
    valueName: 'MACRO=VALUE',
    description: 'Define a macro (overrides a definition in the file)',
  },
  'cache-size': {
    type: 'number',
    short: 'c',
    valueName: 'N',
    default: 4096,
    description: 'MAC addresses the built-in controller remembers per switch',
    check: positiveInt,
  },
  timeout: {
    type: 'number',
    short: 't',
    valueName: 'SECONDS',
    default: 240,
    description: 'Forget a MAC address not seen for this long',
    check: positiveInt,
  },
  check: { type: 'boolean', short: 'n', description: 'Check the configuration, report, and exit' },
  debug: {
    type: 'boolean',
    short: 'd',
    description: 'Stay in the foreground (switchd always does; accepted for OpenBSD compatibility)',
  },
  verbose: { type: 'boolean', short: 'v', description: 'Verbose logging (debug level)' },
  socket: {
    type: 'string',
    short: 's',
    valueName: 'PATH',
    default: DEFAULT_SOCKET,
    env: 'SWITCHD_SOCKET',
    description: 'Control socket for switchctl (mode 0600)',
  },
  'private-key': {
    type: 'string',
    valueName: 'FILE',
    description: 'TLS private key (PEM) for tls:, pssl: and listen on ... tls',
  },
  certificate: { type: 'string', valueName: 'FILE', description: 'TLS certificate (PEM)' },
  'ca-cert': {
    type: 'string',
    valueName: 'FILE',
    description: 'CA certificate (PEM): peers must present a certificate it signed',
  },
  'rump-readiness': {
    type: 'string',
    valueName: 'MODE',
    default: 'read',
    choices: ['read', 'kevent'],
    description:
      'rump: devices: keep a blocking read in flight (read), or wait in kevent EVFILT_READ before each read (kevent)',
  },
  'inactivity-probe': {
    type: 'number',
    valueName: 'SECONDS',
    default: 5,
    description:
      'Send ECHO_REQUEST to a controller or switch silent this long; drop it after three times as long',
    check: (v) => (v > 0 && Number.isFinite(v) ? undefined : 'a positive number'),
  },
});

/** Read and parse the configuration file: ConfigError names file, line and column. */
export function loadConfig(file: string, defines: readonly string[]): SwitchdConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, 0, 0, (e as Error).message);
  }
  return parseConfig(text, {
    file,
    defines: parseDefines(defines),
    readFile: (p) => readFileSync(p, 'utf8'),
  });
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--${flag}: ${(e as Error).message}`);
  }
}

const arr = { type: 'array', items: { type: 'object', additionalProperties: true } } as const;

function adminRoutes(sw: Switchd): RoutesPlugin {
  return async (app) => {
    app.get(
      '/v1/devices',
      { schema: { summary: 'Devices, their controllers and fail modes', response: { 200: arr } } },
      async () => sw.devices(),
    );
    app.get(
      '/v1/controllers',
      { schema: { summary: 'Controller connections relayed to devices', response: { 200: arr } } },
      async () => sw.controllers(),
    );
    app.get(
      '/v1/macs',
      { schema: { summary: "The built-in controller's MAC tables", response: { 200: arr } } },
      async () => sw.macs(),
    );
  };
}

export const switchd: ServiceDefinition<typeof options> = {
  name: 'switchd',
  version: VERSION,
  summary:
    'switch(8) for rumpflow: reads switchd.conf, relays each switch(4) device (rump:/dev/switchN, unix:/swioproxyd.sock, or a plain path) to its OpenFlow controllers, and is a MAC-learning controller for switches that connect to its `listen on` addresses and for devices without one.',
  options,
  envPrefix: 'SWITCHD',
  epilog: [
    'switchd.conf:',
    '  ctl = "tcp:127.0.0.1:6653"',
    '  listen on 127.0.0.1 port 6633',
    '  device "unix:/run/swioproxyd/switch0.sock" fail-mode standalone forward to $ctl forward to ptcp:6634',
    '  device "rump:/dev/switch1"',
    'Examples:',
    '  switchd -n -f switchd.conf                  # check the configuration',
    '  switchd -f switchd.conf -s /tmp/switchd.sock --admin 127.0.0.1:9103',
    '  kill -HUP <pid>   or   switchctl reload    # apply a changed configuration',
  ].join('\n'),
  async main(ctx) {
    const c = ctx.config;
    let file = resolve(c.file);
    const read = (f: string): SwitchdConfig => {
      try {
        return loadConfig(f, c.define);
      } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(e.message);
        throw e;
      }
    };
    const config = read(file);
    if (c.check) {
      process.stderr.write('configuration OK\n');
      ctx.shutdown('configuration checked', 0);
      return;
    }
    if (c.verbose) ctx.logger.level = 'debug';
    const baseLevel = ctx.logger.level;

    const tlsFiles = c.privateKey !== undefined || c.certificate !== undefined;
    if (tlsFiles && (c.privateKey === undefined || c.certificate === undefined))
      throw new UsageError('--private-key and --certificate go together');
    const tls = tlsFiles
      ? {
          key: readPem('private-key', c.privateKey as string),
          cert: readPem('certificate', c.certificate as string),
          ...(c.caCert !== undefined ? { ca: readPem('ca-cert', c.caCert) } : {}),
        }
      : undefined;
    const needsTls =
      config.listen.some((l) => l.tls) ||
      config.devices.some((d) => d.forward.some((u) => u.startsWith('tls:') || u.startsWith('pssl:')));
    if (needsTls && !tls)
      throw new UsageError('tls and pssl: need --private-key and --certificate (and --ca-cert)');

    const log = ctx.log('switchd');
    const sw = new Switchd({
      log,
      cacheSize: c.cacheSize,
      timeout: c.timeout,
      tls,
      connection: { echoIntervalMs: c.inactivityProbe * 1000 },
      device: { rumpReadiness: c.rumpReadiness as 'read' | 'kevent' },
      listenUnix: (server, path) => ctx.listenUnix(server, path, 0o600),
    });

    const reload = async (next?: string) => {
      const f = next !== undefined ? resolve(next) : file;
      let cfg: SwitchdConfig;
      try {
        cfg = loadConfig(f, c.define);
      } catch (e) {
        log.error({ file: f, reason: (e as Error).message }, 'configuration not applied');
        throw e;
      }
      const r = await sw.apply(cfg);
      file = f;
      sw.stats.reloads++;
      return r;
    };

    const handler: ControlHandler = {
      async handle(req) {
        switch (req.cmd) {
          case 'show':
            switch (req.what) {
              case 'summary':
                return { ...sw.summary(), file };
              case 'switches':
                return sw.switchList();
              case 'macs':
                return sw.macs();
              case 'connections':
                return sw.controllers();
              case 'devices':
                return sw.devices();
            }
            break;
          case 'connect':
            await sw.addDevice({
              spec: req.device,
              failMode: req.failMode ?? 'secure',
              forward: req.forward ?? [],
            });
            return `device ${req.device} connected`;
          case 'disconnect':
            if (!(await sw.removeDevice(req.device))) throw new Error(`no device ${req.device}`);
            return `device ${req.device} disconnected`;
          case 'reload':
            return reload();
          case 'load':
            return reload(req.file);
          case 'log':
            ctx.logger.level = req.level === 'verbose' ? 'debug' : baseLevel;
            return `logging ${req.level}`;
        }
        return undefined;
      },
      subscribe(fn) {
        sw.on('monitor', fn);
        return () => sw.off('monitor', fn);
      },
    };

    const stat = (name: string, help: string, get: () => number) =>
      new Gauge({
        name: `switchd_${name}`,
        help,
        registers: [ctx.metrics],
        collect() {
          this.set(get());
        },
      });
    stat('devices', 'Devices configured', () => sw.devices().length);
    stat(
      'controllers_connected',
      'Controller connections relaying',
      () => sw.controllers().filter((x) => x.up).length,
    );
    stat('switches', 'Switches driven by the built-in controller', () => sw.switchList().length);
    stat('macs', 'MAC addresses learnt', () => sw.macs().length);
    stat(
      'messages_to_device_total',
      'Messages relayed from controllers to devices',
      () => sw.stats.messagesToDevice,
    );
    stat(
      'messages_to_controller_total',
      'Messages relayed from devices to controllers',
      () => sw.stats.messagesToController,
    );
    stat('errors_sent_total', 'Malformed messages refused with an OpenFlow ERROR', () => sw.stats.errorsSent);
    stat(
      'controller_connections_total',
      'Controller connections accepted or made',
      () => sw.stats.controllerConnections,
    );
    stat('reloads_total', 'Configurations re-read', () => sw.stats.reloads);
    stat('device_failures_total', 'Device channels that failed', () =>
      sw.devices().reduce((n, d) => n + d.deviceFailures, 0),
    );
    ctx.addHealthCheck('switchd', () => ({
      ok: true,
      detail: { devices: sw.devices().length, listen: sw.listenUrls() },
    }));
    ctx.addRoutes(adminRoutes(sw));

    const control = net.createServer();
    const clients = new Set<net.Socket>();
    control.on('connection', (s) => {
      clients.add(s);
      s.on('close', () => clients.delete(s));
    });
    serveControl(control, handler);
    let controlListener: { close(): Promise<void> } | undefined;
    const onHup = () => {
      log.info({ file }, 'SIGHUP: reloading');
      reload().catch(() => undefined);
    };
    ctx.addComponent({
      name: 'control',
      start: async () => {
        controlListener = await ctx.listenUnix(control, c.socket, 0o600);
        log.info({ socket: c.socket }, 'control socket');
      },
      stop: async () => {
        for (const s of clients) s.destroy(); // monitor clients would hold the close forever
        await controlListener?.close();
      },
    });
    ctx.addComponent({
      name: 'switchd',
      start: async () => {
        await sw.apply(config);
        process.on('SIGHUP', onHup);
      },
      stop: async () => {
        process.off('SIGHUP', onHup);
        await sw.stop();
      },
    });
  },
};
