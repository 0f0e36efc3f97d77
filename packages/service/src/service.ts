// runService: the skeleton of every rumpflow daemon.
//
//   parse argv, environment and config file  (usage error: message on stderr, exit 2)
//   --help                                    (help on stdout, exit 0)
//   logger (--log-level, --pretty) on stderr
//   admin server if --admin HOST:PORT         (/healthz, /metrics, /openapi.json + app routes)
//   main(ctx): the app registers components, health checks, routes
//   start components in order                 (failure: stop the started ones, exit 1)
//   wait for SIGINT/SIGTERM or ctx.shutdown(), stop in reverse, exit 0

import { EndpointError, parseHostPort } from '@rumpflow/endpoint';
import type { Registry } from 'prom-client';
import { createAdminServer, type HttpApi, type ListenAddress, type RoutesPlugin } from './admin.js';
import {
  checkTable,
  defineOptions,
  formatHelp,
  parseCommandLine,
  UsageError,
  type CommandSpec,
  type ConfigOf,
  type OptionTable,
  type PositionalSpec,
} from './cli.js';
import { HealthRegistry, type HealthCheck } from './health.js';
import { Lifecycle, type Component, type ProcessLike } from './lifecycle.js';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from './log.js';
import { createMetricsRegistry } from './metrics.js';
import { listenUnix, type Listenable, type UnixListener } from './unix-socket.js';
import type { FastifyPluginOptions } from 'fastify';

/** The options every daemon has; with an envPrefix, each is also read from PREFIX_NAME. */
export function standardOptions(envPrefix?: string) {
  const env = (name: string): { env?: string } =>
    envPrefix !== undefined ? { env: `${envPrefix}_${name}` } : {};
  return defineOptions({
    help: { type: 'boolean', short: 'h', description: 'Show this help and exit', configKey: false },
    config: {
      type: 'string',
      valueName: 'FILE',
      description: 'Read options from a JSON or YAML file',
      configKey: false,
      ...env('CONFIG'),
    },
    'log-level': {
      type: 'string',
      valueName: 'LEVEL',
      description: 'Log level',
      default: 'info',
      choices: LOG_LEVELS,
      ...env('LOG_LEVEL'),
    },
    pretty: { type: 'boolean', description: 'Human-readable log lines instead of JSON', ...env('PRETTY') },
    admin: {
      type: 'string',
      valueName: 'HOST:PORT',
      description: 'Serve the admin HTTP API (/healthz, /metrics) here; a bare PORT binds to 127.0.0.1',
      check: checkHostPort,
      ...env('ADMIN'),
    },
  });
}

export type StandardOptions = ReturnType<typeof standardOptions>;

/** Parsed configuration of a service: its own options and the standard ones, camelCase. */
export type ServiceConfig<O extends OptionTable> = ConfigOf<O> & ConfigOf<StandardOptions>;

/** Option check for HOST:PORT values (`--admin`, an app's API address): the reason, or undefined. */
export function checkHostPort(text: string): string | undefined {
  try {
    parseHostPort(text);
    return undefined;
  } catch (err) {
    if (err instanceof EndpointError) return err.reason;
    throw err;
  }
}

export interface ServiceDefinition<O extends OptionTable> {
  /** Program name (help, logs, OpenAPI title). */
  readonly name: string;
  readonly version?: string;
  /** One paragraph for --help and the OpenAPI description. */
  readonly summary?: string;
  /** The app's own options (the standard ones are added). */
  readonly options: O;
  readonly positionals?: PositionalSpec;
  /** Environment prefix of the standard options: SWITCHD -> SWITCHD_ADMIN, SWITCHD_LOG_LEVEL, ... */
  readonly envPrefix?: string;
  /** Text at the end of --help. */
  readonly epilog?: string;
  /** How long a graceful shutdown may take (default 10 s). */
  readonly drainTimeoutMs?: number;
  /** The app: register components, health checks and routes. Throw UsageError for bad option combinations. */
  main(ctx: ServiceContext<O>): void | Promise<void>;
}

export interface ServiceContext<O extends OptionTable> {
  readonly name: string;
  readonly config: ServiceConfig<O>;
  readonly positionals: readonly string[];
  /** The config file read, if any. */
  readonly configFile: string | undefined;
  readonly logger: Logger;
  /** A component's child logger. */
  log(component: string): Logger;
  /** This service's metrics registry (served at /metrics). */
  readonly metrics: Registry;
  readonly health: HealthRegistry;
  /** Add a readiness check (GET /healthz); returns its remover. */
  addHealthCheck(name: string, check: HealthCheck): () => void;
  /** The admin server, or undefined without --admin. */
  readonly admin: HttpApi | undefined;
  /** Add admin routes (a fastify plugin with schemas; ws routes too); ignored without --admin. */
  addRoutes<P extends FastifyPluginOptions>(plugin: RoutesPlugin<P>, opts?: P & { prefix?: string }): void;
  /** Add a component: started in order after main() returns, stopped in reverse at shutdown. */
  addComponent(component: Component): void;
  /** listenUnix, plus removal of the socket file at any exit (forced ones too). */
  listenUnix(server: Listenable, path: string, mode?: number): Promise<UnixListener>;
  readonly lifecycle: Lifecycle;
  /** Aborted when shutdown begins. */
  readonly signal: AbortSignal;
  /** Begin a graceful shutdown. */
  shutdown(reason: string, exitCode?: number): void;
}

export interface Writer {
  write(text: string): unknown;
}

export interface RunOptions {
  /** Default process.argv.slice(2). */
  readonly argv?: readonly string[];
  /** Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Signals, exit and exitCode (default: the real process). */
  readonly process?: ProcessLike;
  /** --help goes here (default process.stdout). */
  readonly stdout?: Writer;
  /** Usage errors go here (default process.stderr). */
  readonly stderr?: Writer;
  /** Log destination: fd (default 2) or stream. */
  readonly logDestination?: number | NodeJS.WritableStream;
  /** Reads the config file (default fs.readFile). */
  readonly readFile?: (path: string) => Promise<string>;
  /** runService with the real process: exit this long after stopping if handles keep the event loop alive (default 5 s). */
  readonly exitGraceMs?: number;
}

export interface RunningService<O extends OptionTable> {
  readonly name: string;
  /** Undefined after --help or a usage error. */
  readonly config: ServiceConfig<O> | undefined;
  readonly logger: Logger | undefined;
  /** Where the admin server listens, with --admin. */
  readonly admin: ListenAddress | undefined;
  /** Resolves with the exit code: 0 after --help or a clean stop, 1 on failures, 2 on usage errors. */
  readonly done: Promise<number>;
  /** Graceful shutdown; resolves with the exit code. */
  shutdown(reason?: string): Promise<number>;
}

/** Start a service and return once it runs (or has exited: --help, usage error, failed start). */
export async function startService<O extends OptionTable>(
  def: ServiceDefinition<O>,
  opts: RunOptions = {},
): Promise<RunningService<O>> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const exited = (code: number, extra: Partial<RunningService<O>> = {}): RunningService<O> => ({
    name: def.name,
    config: undefined,
    logger: undefined,
    admin: undefined,
    done: Promise.resolve(code),
    shutdown: () => Promise.resolve(code),
    ...extra,
  });
  const usageError = (err: UsageError): RunningService<O> => {
    stderr.write(`${def.name}: ${err.message}\nTry '${def.name} --help' for more information.\n`);
    return exited(2);
  };

  const std = standardOptions(def.envPrefix);
  for (const name of Object.keys(def.options)) {
    if (name in std)
      throw new Error(`option --${name} is a standard option of every service; do not declare it`);
  }
  const options = { ...def.options, ...std } as O & StandardOptions;
  checkTable(options);
  const spec: CommandSpec<O & StandardOptions> = {
    name: def.name,
    options,
    ...(def.summary !== undefined ? { summary: def.summary } : {}),
    ...(def.positionals !== undefined ? { positionals: def.positionals } : {}),
    ...(def.epilog !== undefined ? { epilog: def.epilog } : {}),
  };

  let parsed;
  try {
    parsed = await parseCommandLine(spec, {
      argv: opts.argv ?? process.argv.slice(2),
      env: opts.env ?? process.env,
      ...(opts.readFile !== undefined ? { readFile: opts.readFile } : {}),
    });
  } catch (err) {
    if (err instanceof UsageError) return usageError(err);
    throw err;
  }
  if (parsed.help) {
    stdout.write(formatHelp(spec));
    return exited(0);
  }
  const config = parsed.values as ServiceConfig<O>;

  const logger = createLogger({
    name: def.name,
    level: config.logLevel as LogLevel,
    pretty: config.pretty,
    ...(opts.logDestination !== undefined ? { destination: opts.logDestination } : {}),
  });
  const lifecycle = new Lifecycle({
    logger,
    ...(opts.process !== undefined ? { process: opts.process } : {}),
    ...(def.drainTimeoutMs !== undefined ? { drainTimeoutMs: def.drainTimeoutMs } : {}),
  });
  const metrics = createMetricsRegistry({
    name: def.name,
    ...(def.version !== undefined ? { version: def.version } : {}),
  });
  const health = new HealthRegistry();
  health.register('lifecycle', () => lifecycle.healthCheck());

  let admin: HttpApi | undefined;
  if (config.admin !== undefined) {
    const where = parseHostPort(config.admin);
    const api = createAdminServer({
      name: def.name,
      logger: logger.child({ component: 'admin' }),
      health,
      metrics,
      ...(def.version !== undefined ? { version: def.version } : {}),
      ...(def.summary !== undefined ? { description: def.summary } : {}),
    });
    admin = api;
    lifecycle.add({
      name: 'admin',
      start: async () => {
        const at = await api.listen(where);
        logger.info({ url: at.url }, `admin server on ${at.url}`);
      },
      stop: () => api.close(),
    });
  }

  const ctx: ServiceContext<O> = {
    name: def.name,
    config,
    positionals: parsed.positionals,
    configFile: parsed.configFile,
    logger,
    log: (component) => logger.child({ component }),
    metrics,
    health,
    addHealthCheck: (name, check) => health.register(name, check),
    admin,
    addRoutes: (plugin, routeOpts) => {
      if (admin === undefined) logger.debug('no --admin: admin routes not served');
      else admin.register(plugin, routeOpts);
    },
    addComponent: (component) => void lifecycle.add(component),
    listenUnix: async (server, path, mode) => {
      const listener = await listenUnix(server, path, mode);
      lifecycle.removeOnExit(path, listener.ino);
      return listener;
    },
    lifecycle,
    signal: lifecycle.signal,
    shutdown: (reason, exitCode) => void lifecycle.shutdown(reason, exitCode),
  };

  logger.info({ version: def.version, configFile: parsed.configFile }, 'starting');
  try {
    await def.main(ctx);
  } catch (err) {
    if (err instanceof UsageError) return usageError(err);
    logger.fatal({ err }, 'start-up failed');
    return exited(1, { config, logger });
  }
  try {
    await lifecycle.start();
  } catch {
    // Logged, and the started components stopped, by the lifecycle.
    return exited(await lifecycle.done, { config, logger });
  }
  if (lifecycle.state === 'running') logger.info({ admin: admin?.address?.url }, 'started');
  return {
    name: def.name,
    config,
    logger,
    admin: admin?.address,
    done: lifecycle.done,
    shutdown: (reason = 'shutdown requested') => lifecycle.shutdown(reason),
  };
}

/**
 * Run a service to the end: start it, wait for shutdown, set process.exitCode.
 * Resolves with the exit code (0 ok or --help, 1 failure, 2 usage error).
 */
export async function runService<O extends OptionTable>(
  def: ServiceDefinition<O>,
  opts: RunOptions = {},
): Promise<number> {
  const proc = opts.process ?? process;
  const service = await startService(def, opts);
  const code = await service.done;
  proc.exitCode = code;
  if (opts.process === undefined) {
    // Handles left open by the app would keep the process alive after a clean stop.
    const timer = setTimeout(() => {
      service.logger?.warn('open handles after stopping: exiting');
      process.exit(code);
    }, opts.exitGraceMs ?? 5000);
    timer.unref();
  }
  return code;
}
