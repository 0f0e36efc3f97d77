import { request } from 'node:http';
import { Writable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdminServer, createHttpApi, errorResponseSchema, type HttpApi } from './admin.js';
import { HealthRegistry } from './health.js';
import { createLogger } from './log.js';
import { Counter, createMetricsRegistry } from './metrics.js';

function setup(level: 'info' | 'debug' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const logger = createLogger({ name: 'demo', level, destination });
  const health = new HealthRegistry();
  const metrics = createMetricsRegistry({ name: 'demo', version: '1.2.3' });
  const admin = createAdminServer({
    name: 'demo',
    version: '1.2.3',
    logger: logger.child({ component: 'admin' }),
    health,
    metrics,
  });
  servers.push(admin);
  return { admin, health, metrics, lines };
}

const servers: HttpApi[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('admin server (inject)', () => {
  it('GET /healthz is 200 with every check when all are ok', async () => {
    const { admin, health } = setup();
    health.register('kernel', () => ({ ok: true, detail: 'connected' }));
    const res = await admin.fastify.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      status: 'ok',
      checks: { kernel: { ok: true, detail: 'connected' } },
      failing: [],
    });
  });

  it('GET /healthz is 503 with the failing reasons', async () => {
    const { admin, health } = setup();
    health.register('kernel', () => ({ ok: true }));
    health.register('controller', () => ({ ok: false, detail: 'tcp:127.0.0.1:6653: ECONNREFUSED' }));
    const res = await admin.fastify.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'unavailable',
      checks: { kernel: { ok: true }, controller: { ok: false, detail: 'tcp:127.0.0.1:6653: ECONNREFUSED' } },
      failing: ['controller'],
    });
  });

  it('GET /metrics is Prometheus text with process metrics, service info and app metrics', async () => {
    const { admin, metrics } = setup();
    const frames = new Counter({ name: 'demo_frames_total', help: 'Frames seen', registers: [metrics] });
    frames.inc(3);
    const res = await admin.fastify.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE demo_frames_total counter\ndemo_frames_total 3');
    expect(res.body).toContain('rumpflow_service_info{service="demo",version="1.2.3"} 1');
    expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(res.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('keeps per-app registries apart', async () => {
    const a = setup();
    const b = setup();
    new Counter({ name: 'only_in_a', help: 'a', registers: [a.metrics] }).inc();
    expect((await a.admin.fastify.inject({ url: '/metrics' })).body).toContain('only_in_a 1');
    expect((await b.admin.fastify.inject({ url: '/metrics' })).body).not.toContain('only_in_a');
  });

  it('serves app routes registered as plugins, validates them and documents them in /openapi.json', async () => {
    const { admin } = setup();
    const routes: FastifyPluginAsync = async (app) => {
      app.post(
        '/flows',
        {
          schema: {
            summary: 'Add a flow',
            tags: ['flows'],
            body: {
              type: 'object',
              properties: {
                priority: { type: 'integer', minimum: 0, maximum: 65535 },
                match: { type: 'string' },
              },
              required: ['priority'],
              additionalProperties: false,
            },
            response: {
              201: { type: 'object', properties: { id: { type: 'integer' } } },
              400: errorResponseSchema,
            },
          },
        },
        async (request, reply) =>
          reply.status(201).send({ id: (request.body as { priority: number }).priority + 1 }),
      );
    };
    admin.register(routes, { prefix: '/api' });
    const ok = await admin.fastify.inject({ method: 'POST', url: '/api/flows', payload: { priority: 7 } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ id: 8 });

    const bad = await admin.fastify.inject({
      method: 'POST',
      url: '/api/flows',
      payload: { priority: 'high' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'Bad Request', message: 'body/priority must be integer' });

    const doc = (await admin.fastify.inject({ url: '/openapi.json' })).json() as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<
        string,
        Record<string, { summary?: string; responses: Record<string, unknown>; requestBody?: unknown }>
      >;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: 'demo', version: '1.2.3' });
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/flows', '/healthz', '/metrics', '/openapi.json']);
    expect(doc.paths['/api/flows']?.['post']?.summary).toBe('Add a flow');
    expect(doc.paths['/api/flows']?.['post']?.requestBody).toBeDefined();
    expect(Object.keys(doc.paths['/healthz']?.['get']?.responses ?? {})).toEqual(['200', '503']);
    expect(doc.paths['/metrics']?.['get']?.responses['200']).toMatchObject({ content: { 'text/plain': {} } });
  });

  it('answers 404 and thrown errors as JSON { error, message }', async () => {
    const { admin, lines } = setup();
    admin.register(async (app) => {
      app.get('/boom', async () => {
        throw new Error('kernel went away');
      });
      app.get('/teapot', async () => {
        throw Object.assign(new Error('short and stout'), { statusCode: 418 });
      });
    });
    const missing = await admin.fastify.inject({ url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'Not Found', message: 'no route GET /nope' });
    const boom = await admin.fastify.inject({ url: '/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.json()).toEqual({ error: 'Internal Server Error', message: 'kernel went away' });
    expect(lines.find((l) => l['msg'] === 'request failed')).toMatchObject({ component: 'admin', level: 50 });
    const teapot = await admin.fastify.inject({ url: '/teapot' });
    expect(teapot.statusCode).toBe(418);
    expect(teapot.json()).toEqual({ error: "I'm a Teapot", message: 'short and stout' });
  });

  it('logs requests at debug only', async () => {
    const quiet = setup('info');
    await quiet.admin.fastify.inject({ url: '/healthz' });
    expect(quiet.lines.filter((l) => l['msg'] === 'request')).toEqual([]);
    const loud = setup('debug');
    await loud.admin.fastify.inject({ url: '/healthz' });
    expect(loud.lines.find((l) => l['msg'] === 'request')).toMatchObject({
      method: 'GET',
      url: '/healthz',
      statusCode: 200,
      component: 'admin',
    });
  });

  it('streams over websockets', async () => {
    const { admin } = setup();
    admin.register(async (app) => {
      app.get('/events', { websocket: true }, (socket) => {
        socket.on('message', (data: Buffer) => socket.send(`echo ${data.toString()}`));
        socket.send('hello');
      });
    });
    await admin.ready();
    const received: string[] = [];
    let resolveTwo: () => void = () => undefined;
    const two = new Promise<void>((resolve) => (resolveTwo = resolve));
    const ws = await admin.fastify.injectWS(
      '/events',
      {},
      {
        onInit: (socket) =>
          socket.on('message', (data: Buffer) => {
            received.push(data.toString());
            if (received.length === 2) resolveTwo();
          }),
      },
    );
    ws.send('ping');
    await two;
    ws.terminate();
    expect(received.sort()).toEqual(['echo ping', 'hello']);
  });
});

describe('admin server (real listener)', () => {
  it('listens on 127.0.0.1:0 and answers fetch on /healthz and /metrics', async () => {
    const { admin, health } = setup();
    let ready = false;
    health.register('warm', () => ({ ok: ready, detail: ready ? 'warm' : 'warming up' }));
    const at = await admin.listen({ host: '127.0.0.1', port: 0 });
    expect(at.host).toBe('127.0.0.1');
    expect(at.port).toBeGreaterThan(0);
    expect(at.url).toBe(`http://127.0.0.1:${at.port}`);
    expect(admin.address).toEqual(at);

    const cold = await fetch(`${at.url}/healthz`);
    expect(cold.status).toBe(503);
    expect(await cold.json()).toMatchObject({
      status: 'unavailable',
      failing: ['warm'],
      checks: { warm: { ok: false, detail: 'warming up' } },
    });
    ready = true;
    const warm = await fetch(`${at.url}/healthz`);
    expect(warm.status).toBe(200);
    expect(await warm.json()).toMatchObject({ status: 'ok' });

    const metrics = await fetch(`${at.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain('rumpflow_service_info{service="demo",version="1.2.3"} 1');
  });

  it('a bare API has /openapi.json but no /healthz', async () => {
    const logger = createLogger({ name: 'api', level: 'silent' });
    const api = createHttpApi({ name: 'ofc', logger });
    servers.push(api);
    api.register(async (app) => {
      app.get(
        '/stats/switches',
        { schema: { response: { 200: { type: 'array', items: { type: 'string' } } } } },
        async () => ['1'],
      );
    });
    await api.ready();
    expect((await api.fastify.inject({ url: '/healthz' })).statusCode).toBe(404);
    expect(Object.keys((api.openapi() as { paths: object }).paths)).toEqual([
      '/openapi.json',
      '/stats/switches',
    ]);
  });
});

describe('admin server: web pages of other sites kept out', () => {
  /** A GET over a real connection with any Host header (fetch will not send one of its own choosing). */
  function getWithHost(url: string, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses a Host that is not its own (DNS rebinding), answers its own names', async () => {
    const { admin } = setup();
    const status = async (host: string) => (await admin.fastify.inject({ url: '/metrics', headers: { host } })).statusCode;
    expect(await status('evil.example:9100')).toBe(403);
    expect(await status('127.0.0.1.evil.example')).toBe(403);
    for (const own of ['localhost:9100', 'LOCALHOST', '127.0.0.1:9100', '127.1.2.3', '[::1]:9100', 'app.localhost']) {
      expect([own, await status(own)]).toEqual([own, 200]);
    }
    const refused = await admin.fastify.inject({ url: '/v1/anything', headers: { host: 'evil.example' } });
    expect(refused.json()).toEqual({ error: 'Forbidden', message: 'host evil.example is not this server' });
  });

  it('answers the address it listens on; any IP address when listening on all; and allowedHosts', async () => {
    const logger = createLogger({ name: 'demo', level: 'silent' });
    const health = new HealthRegistry();
    const metrics = createMetricsRegistry({ name: 'demo', defaultMetrics: false });
    const admin = createAdminServer({ name: 'demo', logger, health, metrics, allowedHosts: ['rump-kernel-server'] });
    servers.push(admin);
    const at = await admin.listen({ host: '0.0.0.0', port: 0 });
    const url = `http://127.0.0.1:${at.port}/healthz`;
    expect(await getWithHost(url, `10.1.2.3:${at.port}`)).toBe(200);
    expect(await getWithHost(url, `rump-kernel-server:${at.port}`)).toBe(200);
    expect(await getWithHost(url, `evil.example:${at.port}`)).toBe(403);
    const named = setup().admin;
    const at2 = await named.listen({ host: '127.0.0.1', port: 0 });
    expect(await getWithHost(`${at2.url}/healthz`, `127.0.0.1:${at2.port}`)).toBe(200);
    expect(await getWithHost(`${at2.url}/healthz`, `10.1.2.3:${at2.port}`)).toBe(403);
  });

  it('refuses a websocket upgrade, or a request that changes something, from another origin', async () => {
    const { admin } = setup();
    admin.register(async (app) => {
      app.get('/events', { websocket: true }, (socket) => socket.send('hello'));
      app.post('/flows', async () => ({ ok: true }));
    });
    await admin.ready();
    const open = (headers: Record<string, string>) => admin.fastify.injectWS('/events', { headers });
    await expect(open({ host: 'localhost:9100', origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(open({ host: 'localhost:9100', origin: 'null' })).rejects.toThrow(/403/);
    await expect(open({ host: 'evil.example', origin: 'http://evil.example' })).rejects.toThrow(/403/);
    // same origin, or no origin at all (not a browser): served
    const served: Record<string, string>[] = [{ host: 'localhost:9100', origin: 'http://localhost:9100' }, { host: 'localhost:9100' }];
    for (const headers of served) {
      const ws = await open(headers);
      ws.terminate();
    }
    const post = (origin: string) => admin.fastify.inject({ method: 'POST', url: '/flows', headers: { host: 'localhost:9100', origin } });
    expect((await post('http://evil.example')).statusCode).toBe(403);
    expect((await post('http://localhost:9100')).statusCode).toBe(200);
    // a plain GET from elsewhere is harmless (the browser keeps the answer from the page): served
    expect((await admin.fastify.inject({ url: '/healthz', headers: { host: 'localhost:9100', origin: 'http://evil.example' } })).statusCode).toBe(200);
  });
});
