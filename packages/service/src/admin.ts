// HTTP APIs of the daemons: the admin server (--admin HOST:PORT) and any app API (ofc --api).
//
// One fastify instance per API, with: the app's pino child logger (request lines at debug),
// errors as JSON { error, message }, @fastify/websocket for ws streams, @fastify/swagger
// turning every route's JSON schema into GET /openapi.json. The admin server adds
// GET /healthz (readiness from the health registry) and GET /metrics (Prometheus text).
// Apps add routes as fastify plugins, next to their schemas, before the server listens.
//
// The admin server keeps web pages out (browserGuard): it has no authentication, and a web
// browser on the same machine can reach loopback. A page may point its own host name at
// 127.0.0.1 (DNS rebinding) and then read /v1/procs or /metrics as same-origin; and any page
// may open a websocket to any address, the /v1/ktrace stream included. So a request whose
// Host is not one of the server's own names is refused (403), and so is a websocket upgrade
// (or any request other than GET/HEAD/OPTIONS) whose Origin is not the server itself.

import { STATUS_CODES } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import {
  LogController,
  fastify,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyPluginOptions,
  type FastifyRequest,
} from 'fastify';
import type { Registry } from 'prom-client';
import type { HealthRegistry } from './health.js';
import type { Logger } from './log.js';

// Re-exported so that the declarations import both plugins: apps' route options then know
// { websocket: true } and schema summary/tags/hide without importing the plugins themselves.
export type { WebSocket, WebsocketHandler } from '@fastify/websocket';
export type { SwaggerOptions } from '@fastify/swagger';

/** JSON schema of every 4xx/5xx body: { error: "Not Found", message: "no route GET /x" }. */
export const errorResponseSchema = {
  type: 'object',
  properties: {
    error: { type: 'string', description: 'HTTP reason phrase' },
    message: { type: 'string', description: 'What went wrong' },
  },
  required: ['error', 'message'],
} as const;

const healthCheckSchema = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, detail: { description: 'Why: text or JSON' } },
  required: ['ok'],
} as const;

const healthSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: { type: 'object', additionalProperties: healthCheckSchema },
    failing: { type: 'array', items: { type: 'string' }, description: 'Names of the failing checks' },
  },
  required: ['status', 'checks', 'failing'],
} as const;

export interface HttpApiOptions {
  /** App name: OpenAPI title. */
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  /** Logger of this API (a child of the app's logger). */
  readonly logger: Logger;
}

export interface AdminServerOptions extends HttpApiOptions {
  readonly health: HealthRegistry;
  readonly metrics: Registry;
  /**
   * Host names it answers to besides its own (loopback names, its listen address; any IP
   * address when it listens on all of them): a reverse proxy's name, a container's service name.
   */
  readonly allowedHosts?: readonly string[];
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
}

/** Routes of an app: an async fastify plugin, with its routes' JSON schemas. */
export type RoutesPlugin<Opts extends FastifyPluginOptions = FastifyPluginOptions> = FastifyPluginAsync<Opts>;

/** A fastify server with rumpflow's conventions. Register routes, then listen. */
export class HttpApi {
  readonly fastify: FastifyInstance;
  #address: ListenAddress | undefined;
  #listenHost: string | undefined;

  constructor(opts: HttpApiOptions) {
    const app = fastify({
      loggerInstance: opts.logger,
      logController: new LogController({ disableRequestLogging: true }),
    }) as unknown as FastifyInstance;
    this.fastify = app;

    app.addHook('onResponse', async (request, reply) => {
      request.log.debug(
        { method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime },
        'request',
      );
    });
    app.setNotFoundHandler((request, reply) => {
      void reply
        .status(404)
        .send({ error: STATUS_CODES[404], message: `no route ${request.method} ${request.url}` });
    });
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const status =
        typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600
          ? err.statusCode
          : 500;
      if (status >= 500) request.log.error({ err }, 'request failed');
      else request.log.debug({ err: err.message }, 'bad request');
      void reply.status(status).send({ error: STATUS_CODES[status] ?? 'Error', message: err.message });
    });

    void app.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: opts.name,
          version: opts.version ?? '0.0.0',
          ...(opts.description !== undefined ? { description: opts.description } : {}),
        },
      },
    });
    void app.register(fastifyWebsocket);
    void app.register(async (instance) => {
      instance.get(
        '/openapi.json',
        {
          schema: {
            summary: 'OpenAPI 3 document of every route of this server',
            tags: ['meta'],
            response: {
              200: { description: 'OpenAPI document', type: 'object', additionalProperties: true },
            },
          },
        },
        async () => instance.swagger(),
      );
    });
  }

  /** Add routes: a fastify plugin (routes with their schemas; `{ websocket: true }` for ws). Before listen(). */
  register<Opts extends FastifyPluginOptions>(
    plugin: RoutesPlugin<Opts>,
    opts?: Opts & { prefix?: string },
  ): this {
    void this.fastify.register(plugin, opts as Opts);
    return this;
  }

  /** Load plugins without listening (for inject and openapi()). */
  async ready(): Promise<void> {
    await this.fastify.ready();
  }

  /** The OpenAPI document (after ready()). */
  openapi(): unknown {
    return this.fastify.swagger();
  }

  /** Listen on host:port (port 0: any free port). */
  async listen(addr: { readonly host: string; readonly port: number }): Promise<ListenAddress> {
    this.#listenHost = addr.host;
    await this.fastify.listen({ host: addr.host, port: addr.port });
    const info = this.fastify.server.address() as AddressInfo;
    const host = info.address;
    this.#address = {
      host,
      port: info.port,
      url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`,
    };
    return this.#address;
  }

  /** Where it listens, once listening. */
  get address(): ListenAddress | undefined {
    return this.#address;
  }

  /** The host listen() was given (a name, an address, or a wildcard such as 0.0.0.0). */
  get listenHost(): string | undefined {
    return this.#listenHost;
  }

  async close(): Promise<void> {
    await this.fastify.close();
  }
}

/** A bare API server with rumpflow's conventions (errors, ws, /openapi.json). */
export function createHttpApi(opts: HttpApiOptions): HttpApi {
  return new HttpApi(opts);
}

/** The host name of a Host header or URL host: 'a.example:80' -> 'a.example', '[::1]:9100' -> '::1'. */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colon = h.indexOf(':');
  // more than one colon without brackets: a bare IPv6 address
  return colon >= 0 && h.indexOf(':', colon + 1) < 0 ? h.slice(0, colon) : h;
}

const isLoopbackName = (h: string): boolean =>
  h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
const isWildcard = (h: string | undefined): boolean => h === '0.0.0.0' || h === '::' || h === '';

/** Is `hostname` (from a Host header) one of the server's own names? */
function ownName(api: HttpApi, extra: ReadonlySet<string>, hostname: string): boolean {
  if (isLoopbackName(hostname) || extra.has(hostname)) return true;
  const listen = api.listenHost === undefined ? undefined : hostnameOf(api.listenHost);
  if (hostname === listen || hostname === api.address?.host.toLowerCase()) return true;
  // listening on every address: clients may use any of them, and an address cannot be rebound
  return isWildcard(listen) && isIP(hostname) !== 0;
}

/** Why a request must be refused as coming from a web page elsewhere, or undefined. */
function foreignRequest(api: HttpApi, extra: ReadonlySet<string>, req: FastifyRequest): string | undefined {
  const host = req.headers.host;
  if (host !== undefined && !ownName(api, extra, hostnameOf(host))) return `host ${host} is not this server`;
  const origin = req.headers.origin;
  const upgrade = req.headers.upgrade?.toLowerCase() === 'websocket';
  const reads = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
  if (origin === undefined || (reads && !upgrade)) return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return `origin ${origin} is not this server`;
  }
  return host !== undefined && originHost === host.toLowerCase() ? undefined : `origin ${origin} is not this server`;
}

/** Refuse (403) what web pages of other sites send (see the top of the file). */
function browserGuard(api: HttpApi, allowedHosts: readonly string[]): void {
  const extra = new Set(allowedHosts.map((h) => h.toLowerCase()));
  api.fastify.addHook('onRequest', async (request, reply) => {
    const why = foreignRequest(api, extra, request);
    if (why === undefined) return;
    request.log.debug({ host: request.headers.host, origin: request.headers.origin }, 'refused a foreign request');
    // close: a refused websocket upgrade's socket is nobody's to keep
    return reply.status(403).header('connection', 'close').send({ error: STATUS_CODES[403], message: why });
  });
}

/** The admin server: /healthz, /metrics, /openapi.json, plus the app's routes; web pages of other sites kept out. */
export function createAdminServer(opts: AdminServerOptions): HttpApi {
  const api = new HttpApi(opts);
  browserGuard(api, opts.allowedHosts ?? []);
  const { health, metrics } = opts;
  const routes: FastifyPluginAsync = async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          summary: 'Readiness: every health check of the service, with reasons',
          tags: ['admin'],
          response: {
            200: { description: 'Ready: every check is ok', ...healthSchema },
            503: { description: 'Not ready: some checks fail (see failing)', ...healthSchema },
          },
        },
      },
      async (_request, reply) => {
        const report = await health.evaluate();
        return reply
          .status(report.ok ? 200 : 503)
          .header('cache-control', 'no-store')
          .send({ status: report.ok ? 'ok' : 'unavailable', checks: report.checks, failing: report.failing });
      },
    );
    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Metrics in the Prometheus text exposition format',
          tags: ['admin'],
          produces: ['text/plain'],
          response: { 200: { description: 'Prometheus text format 0.0.4', type: 'string' } },
        },
      },
      async (_request, reply) => {
        const text = await metrics.metrics();
        return reply.type(metrics.contentType).header('cache-control', 'no-store').send(text);
      },
    );
  };
  api.register(routes);
  return api;
}
