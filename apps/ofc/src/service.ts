// ofc as a service definition: its options and how main() wires the packages together.
// src/main.ts runs it; tests start it in-process with startService(ofc, { argv }).

import { readFileSync } from 'node:fs';
import {
  type ActiveEndpoint,
  EndpointError,
  type PassiveEndpoint,
  formatEndpoint,
  parseEndpoint,
  parseHostPort,
} from '@rumpflow/endpoint';
import {
  ActiveConnector,
  type PassiveListener,
  type TlsOptions,
  listenPassive,
} from '@rumpflow/openflow-connection';
import { type ServiceDefinition, UsageError, checkHostPort, createHttpApi, defineOptions } from '@rumpflow/service';
import { apiRoutes } from './api/index.js';
import type { AppSettings } from './app.js';
import { BUILTIN_APPS, checkAppName, loadApp } from './apps/index.js';
import { Controller } from './controller.js';

export const VERSION = '0.1.0';
export const DEFAULT_LISTEN = 'ptcp:6653:127.0.0.1';

function checkEndpoints(only: 'active' | 'passive') {
  return (values: string[]): string | undefined => {
    for (const v of values) {
      try {
        parseEndpoint(v, { only });
      } catch (e) {
        if (e instanceof EndpointError) return e.message;
        throw e;
      }
    }
    return undefined;
  };
}

const positive = (v: number): string | undefined =>
  v > 0 && Number.isFinite(v) ? undefined : 'a positive number';

export const options = defineOptions({
  listen: {
    type: 'string[]',
    valueName: 'URI',
    description: `Accept switches here: ptcp:[PORT][:ADDR], pssl:[PORT][:ADDR] or punix:PATH (no ADDR: 127.0.0.1). Default ${DEFAULT_LISTEN} when neither --listen nor --connect is given`,
    check: checkEndpoints('passive'),
  },
  connect: {
    type: 'string[]',
    valueName: 'URI',
    description:
      "Connect to a switch's listener, and reconnect with backoff: tcp:HOST[:PORT], tls:HOST[:PORT] or unix:PATH",
    check: checkEndpoints('active'),
  },
  app: {
    type: 'string[]',
    valueName: 'NAME',
    default: ['learning'],
    description: `Run this app (${Object.keys(BUILTIN_APPS).join(', ')}, or a module path such as ./my-app.js); several may run together, in the order given`,
    check: (names) => names.map(checkAppName).find((m) => m !== undefined),
  },
  api: {
    type: 'string',
    valueName: 'HOST:PORT',
    description:
      'Serve the REST API (Ryu ofctl_rest paths), the /v1/events websocket and /openapi.json here; a bare PORT binds to 127.0.0.1',
    check: checkHostPort,
  },
  'static-flows': {
    type: 'string',
    valueName: 'FILE',
    description: 'Flows for the static app, in Open vSwitch flow syntax (as ovs-ofctl add-flows reads)',
  },
  'monitor-interval': {
    type: 'number',
    valueName: 'SECONDS',
    default: 10,
    description: 'How often the monitor app polls port and flow stats',
    check: positive,
  },
  'learning-idle-timeout': {
    type: 'number',
    valueName: 'SECONDS',
    default: 60,
    description: 'Idle timeout of the flows the learning app installs',
    check: (v) => (Number.isInteger(v) && v >= 0 && v <= 65535 ? undefined : 'an integer 0..65535'),
  },
  'inactivity-probe': {
    type: 'number',
    valueName: 'SECONDS',
    default: 5,
    description: 'Send ECHO_REQUEST to a switch silent this long; drop it after three times as long',
    check: positive,
  },
  'request-timeout': {
    type: 'number',
    valueName: 'SECONDS',
    default: 5,
    description: 'How long an API request waits for the switch (then 504)',
    check: positive,
  },
  'private-key': {
    type: 'string',
    valueName: 'FILE',
    description: 'TLS private key (PEM) for pssl: and tls:',
  },
  certificate: { type: 'string', valueName: 'FILE', description: 'TLS certificate (PEM) for pssl: and tls:' },
  'ca-cert': {
    type: 'string',
    valueName: 'FILE',
    description: 'CA certificate (PEM): when given, switches must present a certificate it signed',
  },
});

function readTls(c: {
  privateKey?: string | undefined;
  certificate?: string | undefined;
  caCert?: string | undefined;
}): TlsOptions {
  if (c.privateKey === undefined || c.certificate === undefined)
    throw new UsageError(
      'pssl: and tls: need --private-key and --certificate (and --ca-cert to verify switches)',
    );
  const read = (flag: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--${flag}: ${(e as Error).message}`);
    }
  };
  return {
    key: read('private-key', c.privateKey),
    cert: read('certificate', c.certificate),
    ...(c.caCert !== undefined ? { ca: read('ca-cert', c.caCert) } : {}),
  };
}

export const ofc: ServiceDefinition<typeof options> = {
  name: 'ofc',
  version: VERSION,
  summary:
    "An OpenFlow 1.3 controller for development and tests. Switches connect to its listeners (--listen) or it connects to theirs (--connect); on connect it asks for FEATURES, PORT_DESC and DESC and knows each switch by its datapath id. Apps (--app) decide what it does; --api serves a REST API in the style of Ryu's ofctl_rest and a websocket stream of events.",
  options,
  envPrefix: 'OFC',
  epilog: [
    "Apps: learning (MAC learning, as Ryu's simple_switch_13; the default), hub (flood every packet through the controller),",
    '      static (--static-flows FILE installed on every connect), monitor (port and flow stats into --admin /metrics)',
    'Examples:',
    '  ofc --api 8080                                   # learning switch on ptcp:6653:127.0.0.1',
    '  ofc --listen ptcp:6653 --app static --static-flows flows.txt --app monitor --admin :9102',
    '  ofc --connect tcp:127.0.0.1:6634 --app hub --api 127.0.0.1:8080',
    '  curl -s 127.0.0.1:8080/stats/switches; curl -s 127.0.0.1:8080/stats/flow/1',
  ].join('\n'),
  async main(ctx) {
    const c = ctx.config;
    const endpoints = <E>(values: string[], only: 'active' | 'passive'): E[] =>
      values.map((v) => {
        try {
          return parseEndpoint(v, { only }) as E;
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      });
    const passive = endpoints<PassiveEndpoint>(
      c.listen.length === 0 && c.connect.length === 0 ? [DEFAULT_LISTEN] : c.listen,
      'passive',
    );
    const active = endpoints<ActiveEndpoint>(c.connect, 'active');
    const apps = c.app;
    if (new Set(apps).size !== apps.length)
      throw new UsageError(`--app: an app is given twice (${apps.join(', ')})`);
    if (apps.includes('learning') && apps.includes('hub'))
      throw new UsageError('--app: learning and hub both forward every packet; choose one');
    if (c.staticFlows !== undefined && !apps.includes('static'))
      throw new UsageError('--static-flows is for --app static');
    const needsTls = [...passive, ...active].some((e) => e.kind === 'pssl' || e.kind === 'tls');
    const tls = needsTls ? readTls(c) : undefined;
    const apiAt = c.api !== undefined ? parseHostPort(c.api) : undefined;

    const log = ctx.log('openflow');
    const controller = new Controller({
      log,
      metrics: ctx.metrics,
      requestTimeoutMs: c.requestTimeout * 1000,
    });
    const settings: AppSettings = {
      ...(c.staticFlows !== undefined ? { staticFlows: c.staticFlows } : {}),
      monitorInterval: c.monitorInterval,
      learningIdleTimeout: c.learningIdleTimeout,
    };
    for (const name of apps) {
      controller.use(
        await loadApp(name, { log: ctx.log(`app:${name}`), metrics: ctx.metrics, controller, settings }),
      );
    }

    const connection = { echoIntervalMs: c.inactivityProbe * 1000 };
    const listeners: { url: string; listener: PassiveListener }[] = [];
    const connectors: ActiveConnector[] = [];
    ctx.addHealthCheck('openflow', () => ({
      ok: listeners.length === passive.length,
      detail: {
        listening: listeners.map((l) => l.url),
        connecting: active.map((e) => formatEndpoint(e)),
        switches: controller.switches.map((d) => d.id),
      },
    }));
    ctx.addComponent({
      name: 'openflow',
      start: async () => {
        for (const ep of passive) {
          const listener = await listenPassive(ep, (conn) => void controller.attach(conn), {
            connection,
            ...(tls ? { tls } : {}),
            listenUnix: (server, path) => ctx.listenUnix(server, path, 0o600),
          });
          const url =
            ep.kind === 'punix'
              ? formatEndpoint(ep)
              : formatEndpoint({ ...ep, port: listener.address.port ?? ep.port });
          listeners.push({ url, listener });
          log.info({ url }, 'listening');
        }
        for (const ep of active) {
          const target = formatEndpoint(ep);
          const connector = new ActiveConnector(ep, { connection, ...(tls ? { tls } : {}) });
          connector.on('connection', (conn) => void controller.attach(conn, target));
          connector.on('retry', (delayMs, attempt) =>
            log.debug({ target, delayMs, attempt }, 'connecting again soon'),
          );
          connector.on('disconnect', (reason) =>
            log.debug({ target, reason: reason?.message }, 'not connected'),
          );
          connectors.push(connector);
          connector.start();
          log.info({ target }, 'connecting');
        }
      },
      stop: async () => {
        for (const k of connectors) k.stop();
        // stop accepting; a listener's close waits for its connections, which controller.stop() ends
        const closing = Promise.all(listeners.map((l) => l.listener.close()));
        await controller.stop();
        await closing;
      },
    });

    if (apiAt !== undefined) {
      const api = createHttpApi({
        name: 'ofc',
        version: VERSION,
        description: 'ofc: Ryu ofctl_rest-style REST API and event stream',
        logger: ctx.log('api'),
      });
      api.register(apiRoutes(controller));
      ctx.addComponent({
        name: 'api',
        start: async () => {
          const at = await api.listen(apiAt);
          ctx.logger.info({ url: at.url }, `api server on ${at.url}`);
        },
        stop: () => api.close(),
      });
    }
  },
};
