// Logging: pino to stderr (fd 2), JSON lines by default, human-readable with --pretty.
//
// Both destinations write synchronously, so the last lines before an exit (a fatal error,
// "stopped") are never lost. Components log through child loggers: logger.child({ component }).

import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pinoPretty from 'pino-pretty';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** App name, the `name` field of every line. */
  readonly name: string;
  /** Default info. */
  readonly level?: LogLevel;
  /** Human-readable lines (pino-pretty) instead of JSON. */
  readonly pretty?: boolean;
  /** Where lines go: a file descriptor (default 2, stderr) or a stream (tests). */
  readonly destination?: number | NodeJS.WritableStream;
  /** Colors in pretty output (default: when the destination is a terminal). */
  readonly colorize?: boolean;
}

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/** The root logger of an app. */
export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? 'info';
  const dest = opts.destination ?? 2;
  const options = {
    name: opts.name,
    level,
    base: { pid: process.pid },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  if (opts.pretty === true) {
    const colorize = opts.colorize ?? (typeof dest === 'number' ? isTty(dest) : false);
    const stream = pinoPretty({
      destination: dest,
      sync: true,
      colorize,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
    return pino(options, stream);
  }
  const stream: DestinationStream =
    typeof dest === 'number' ? pino.destination({ fd: dest, sync: true }) : (dest as DestinationStream);
  return pino(options, stream);
}

/** A component's logger: every line carries `component`. */
export function componentLogger(logger: Logger, component: string): Logger {
  return logger.child({ component });
}

function isTty(fd: number): boolean {
  return (fd === 1 && process.stdout.isTTY) || (fd === 2 && process.stderr.isTTY);
}
