import { EventEmitter } from 'node:events';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError, configJsonSchema, defineOptions } from './cli.js';
import { Counter } from './metrics.js';
import {
  runService,
  standardOptions,
  startService,
  type RunOptions,
  type ServiceDefinition,
} from './service.js';

class FakeProcess extends EventEmitter {
  exitCode: number | string | undefined;
  exits: number[] = [];
  exit(code?: number): void {
    this.exits.push(code ?? 0);
  }
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') logs.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const proc = new FakeProcess();
  const opts = (argv: string[], env: Record<string, string> = {}): RunOptions => ({
    argv,
    env,
    process: proc,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    logDestination,
  });
  return { out, err, logs, proc, opts };
}

const options = defineOptions({
  greeting: { type: 'string', description: 'What to say', default: 'hello', env: 'DEMO_GREETING' },
  socket: { type: 'string', valueName: 'PATH', description: 'Unix socket to serve' },
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rf-svc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('startService / runService', () => {
  it('prints help on stdout and exits 0 without running main', async () => {
    const { out, proc, opts } = io();
    let ran = false;
    const def: ServiceDefinition<typeof options> = {
      name: 'demo',
      summary: 'A demo.',
      options,
      envPrefix: 'DEMO',
      main: () => {
        ran = true;
      },
    };
    expect(await runService(def, opts(['--help']))).toBe(0);
    expect(ran).toBe(false);
    expect(proc.exitCode).toBe(0);
    const help = out.join('');
    expect(help).toMatch(/^Usage: demo \[options\]\n/);
    for (const flag of [
      '--greeting',
      '--socket PATH',
      '--help',
      '--config FILE',
      '--log-level LEVEL',
      '--pretty',
      '--admin HOST:PORT',
    ]) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('env: DEMO_ADMIN');
  });

  it('prints usage errors on stderr and exits 2', async () => {
    const { err, proc, opts } = io();
    const def: ServiceDefinition<typeof options> = { name: 'demo', options, main: () => undefined };
    expect(await runService(def, opts(['--bogus']))).toBe(2);
    expect(err.join('')).toBe("demo: unknown option --bogus\nTry 'demo --help' for more information.\n");
    expect(proc.exitCode).toBe(2);
    const bad = io();
    expect(await runService(def, bad.opts(['--admin', 'localhost']))).toBe(2);
    expect(bad.err.join('')).toMatch(/^demo: option --admin: expected HOST:PORT/);
  });

  it('a UsageError thrown by main is a usage error too', async () => {
    const { err, opts } = io();
    const def: ServiceDefinition<typeof options> = {
      name: 'demo',
      options,
      main: (ctx) => {
        if (ctx.config.socket === undefined) throw new UsageError('--socket is needed');
      },
    };
    expect(await runService(def, opts([]))).toBe(2);
    expect(err.join('')).toContain('demo: --socket is needed');
  });

  it('runs main with config from flags, env and file, starts components, serves admin, stops on SIGTERM', async () => {
    const { proc, logs, opts } = io();
    const configFile = join(dir, 'demo.yaml');
    await writeFile(
      configFile,
      `greeting: from-file\nlog-level: debug\nsocket: ${join(dir, 'run', 'demo.sock')}\n`,
    );
    const order: string[] = [];
    const def: ServiceDefinition<typeof options> = {
      name: 'demo',
      version: '0.1.0',
      options,
      envPrefix: 'DEMO',
      main: (ctx) => {
        const greeting: string = ctx.config.greeting;
        const level: string = ctx.config.logLevel;
        order.push(`main ${greeting} ${level} ${ctx.configFile ?? ''}`);
        const said = new Counter({ name: 'demo_said_total', help: 'Greetings', registers: [ctx.metrics] });
        const server = createServer((s) => {
          said.inc();
          s.end(`${greeting}\n`);
        });
        const log = ctx.log('greeter');
        let listening = false;
        ctx.addHealthCheck('greeter', () => ({
          ok: listening,
          detail: listening ? `on ${ctx.config.socket ?? ''}` : 'not listening',
        }));
        ctx.addRoutes(async (app) => {
          app.get(
            '/greeting',
            {
              schema: { response: { 200: { type: 'object', properties: { greeting: { type: 'string' } } } } },
            },
            async () => ({ greeting }),
          );
        });
        ctx.addComponent({
          name: 'greeter',
          start: async () => {
            await ctx.listenUnix(server, ctx.config.socket ?? '', 0o660);
            listening = true;
            log.info('listening');
            order.push('start greeter');
          },
          stop: () =>
            new Promise<void>((resolve) => {
              order.push('stop greeter');
              server.close(() => resolve());
            }),
        });
      },
    };
    const svc = await startService(
      def,
      opts(['--config', configFile, '--admin', '127.0.0.1:0'], { DEMO_GREETING: 'from-env' }),
    );
    expect(order).toEqual([`main from-env debug ${configFile}`, 'start greeter']);
    expect(svc.config?.greeting).toBe('from-env');
    const admin = svc.admin;
    if (admin === undefined) throw new Error('no admin address');
    expect(admin.host).toBe('127.0.0.1');

    const socketPath = join(dir, 'run', 'demo.sock');
    expect((await stat(socketPath)).mode & 0o777).toBe(0o660);
    const reply = await new Promise<string>((resolve, reject) => {
      const c = connect(socketPath);
      let text = '';
      c.on('data', (d: Buffer) => (text += d.toString()));
      c.on('end', () => resolve(text));
      c.on('error', reject);
    });
    expect(reply).toBe('from-env\n');

    const health = await fetch(`${admin.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: 'ok',
      checks: {
        lifecycle: { ok: true, detail: 'running' },
        greeter: { ok: true, detail: `on ${socketPath}` },
      },
      failing: [],
    });
    const metrics = await (await fetch(`${admin.url}/metrics`)).text();
    expect(metrics).toContain('demo_said_total 1');
    expect(metrics).toContain('rumpflow_service_info{service="demo",version="0.1.0"} 1');
    expect(await (await fetch(`${admin.url}/greeting`)).json()).toEqual({ greeting: 'from-env' });
    const doc = (await (await fetch(`${admin.url}/openapi.json`)).json()) as {
      info: { title: string };
      paths: object;
    };
    expect(doc.info.title).toBe('demo');
    expect(Object.keys(doc.paths)).toContain('/greeting');

    expect(logs.find((l) => l['msg'] === 'listening')).toMatchObject({ name: 'demo', component: 'greeter' });
    expect(logs.find((l) => l['msg'] === 'started')).toMatchObject({ admin: admin.url });

    proc.emit('SIGTERM');
    expect(await svc.done).toBe(0);
    expect(order.at(-1)).toBe('stop greeter');
    await expect(stat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fetch(`${admin.url}/healthz`)).rejects.toThrow();
    expect(logs.map((l) => l['msg'])).toEqual(
      expect.arrayContaining(['starting', 'received SIGTERM', 'shutting down', 'stopped']),
    );
    expect(proc.listenerCount('SIGTERM')).toBe(0);
  });

  it('runs several services in one process with separate registries', async () => {
    const a = io();
    const b = io();
    const def = (name: string): ServiceDefinition<Record<never, never>> => ({
      name,
      options: {},
      main: (ctx) => {
        new Counter({ name: `${name}_only_total`, help: name, registers: [ctx.metrics] }).inc();
      },
    });
    const sa = await startService(def('alpha'), a.opts(['--admin', ':0']));
    const sb = await startService(def('beta'), b.opts(['--admin', '0']));
    const ma = await (await fetch(`${sa.admin?.url ?? ''}/metrics`)).text();
    const mb = await (await fetch(`${sb.admin?.url ?? ''}/metrics`)).text();
    expect(ma).toContain('alpha_only_total 1');
    expect(ma).not.toContain('beta_only_total');
    expect(mb).toContain('beta_only_total 1');
    expect(sa.admin?.host).toBe('127.0.0.1');
    expect(await sa.shutdown()).toBe(0);
    expect(await sb.shutdown()).toBe(0);
  });

  it('without --admin there is no listener and routes are ignored', async () => {
    const { opts } = io();
    let registered = false;
    const svc = await startService(
      {
        name: 'quiet',
        options: {},
        main: (ctx) => {
          expect(ctx.admin).toBeUndefined();
          ctx.addRoutes(async () => {
            registered = true;
          });
        },
      },
      opts([]),
    );
    expect(svc.admin).toBeUndefined();
    expect(registered).toBe(false);
    expect(await svc.shutdown()).toBe(0);
  });

  it('a failing main or component start exits 1 with a fatal log line', async () => {
    const m = io();
    const failingMain = await runService(
      { name: 'x', options: {}, main: () => Promise.reject(new Error('no kernel')) },
      m.opts([]),
    );
    expect(failingMain).toBe(1);
    expect(m.logs.find((l) => l['level'] === 60)).toMatchObject({
      msg: 'start-up failed',
      err: { message: 'no kernel' },
    });

    const c = io();
    const stops: string[] = [];
    const code = await runService(
      {
        name: 'x',
        options: {},
        main: (ctx) => {
          ctx.addComponent({ name: 'ok', stop: () => void stops.push('ok') });
          ctx.addComponent({
            name: 'bad',
            start: () => {
              throw new Error('EACCES');
            },
          });
        },
      },
      c.opts(['--admin', '127.0.0.1:0']),
    );
    expect(code).toBe(1);
    expect(stops).toEqual(['ok']);
    expect(c.proc.exitCode).toBe(1);
  });

  it('health is 503 while starting, with the lifecycle state as reason', async () => {
    const { opts } = io();
    let finish: () => void = () => undefined;
    let adminUrl = '';
    const started = startService(
      {
        name: 'slow',
        options: {},
        main: (ctx) => {
          ctx.addComponent({
            name: 'slow',
            start: () =>
              new Promise<void>((resolve) => {
                adminUrl = ctx.admin?.address?.url ?? '';
                finish = resolve;
              }),
          });
        },
      },
      opts(['--admin', '127.0.0.1:0']),
    );
    while (adminUrl === '') await new Promise((r) => setImmediate(r));
    const res = await fetch(`${adminUrl}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'unavailable',
      failing: ['lifecycle'],
      checks: { lifecycle: { ok: false, detail: 'starting' } },
    });
    finish();
    const svc = await started;
    expect((await fetch(`${adminUrl}/healthz`)).status).toBe(200);
    await svc.shutdown();
  });

  it('refuses app options that redefine standard ones', async () => {
    await expect(
      startService(
        { name: 'x', options: { admin: { type: 'string', description: '' } }, main: () => undefined },
        io().opts([]),
      ),
    ).rejects.toThrow(/--admin is a standard option/);
  });

  it('documents the standard options in the config schema', () => {
    const schema = configJsonSchema({ name: 'demo', options: { ...options, ...standardOptions('DEMO') } });
    const props = schema['properties'] as Record<string, unknown>;
    expect(Object.keys(props)).toEqual(['greeting', 'socket', 'log-level', 'pretty', 'admin']);
  });
});
