// HTTP APIs of the daemons: the admin server (--admin HOST:PORT) and any app API (ofc --api).
//
// One fastify instance per API, with: the app's pino child logger (request lines at debug),
// errors as JSON { error, message }, @fastify/websocket for ws streams, @fastify/swagger
// turning every route's JSON schema into GET /openapi.json. The admin server adds
// GET /healthz (readiness from the health registry) and GET /metrics (Prometheus text).
// Apps add routes as fastify plugins, next to their schemas, before the server listens.

import { STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import {
  LogController,
  fastify,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyPluginOptions,
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

  async close(): Promise<void> {
    await this.fastify.close();
  }
}

/** A bare API server with rumpflow's conventions (errors, ws, /openapi.json). */
export function createHttpApi(opts: HttpApiOptions): HttpApi {
  return new HttpApi(opts);
}

/** The admin server: /healthz, /metrics, /openapi.json, plus the app's routes. */
export function createAdminServer(opts: AdminServerOptions): HttpApi {
  const api = new HttpApi(opts);
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
