// ofc for tests: the real service (src/service.ts) started in this process with
// startService(ofc, { argv }), its pino JSON log captured and parsed, the OpenFlow listeners
// and the API URL learnt from the start-up lines ('listening', 'api server on ...'), a fake
// process object so that signals stay with the test runner. Plus small clients: HTTP with
// exact JSON, and the /v1/events websocket with a queue to wait on.

import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { parseJson, stringifyJson } from '@rumpflow/openflow';
import { type RunningService, startService } from '@rumpflow/service';
import WebSocket from 'ws';
import { ofc, type options } from '../src/service.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

class FakeProcess extends EventEmitter {
  exitCode: number | string | undefined;
  exit(): void {}
}

const running = new Set<OfcInstance>();

export class OfcInstance {
  readonly logs: LogLine[] = [];
  private readonly watchers = new Set<() => void>();
  service: RunningService<typeof options> | undefined;

  constructor(readonly argv: readonly string[]) {}

  /** The bound OpenFlow listeners (ptcp:PORT:ADDR, ...). */
  get listeners(): string[] {
    return this.logs.filter((l) => l.msg === 'listening').map((l) => l.url as string);
  }

  /** The first ptcp listener's port. */
  get port(): number {
    const ptcp = this.listeners.find((u) => u.startsWith('ptcp:'));
    if (!ptcp) throw new Error(`no ptcp listener:\n${this.text}`);
    return Number(ptcp.split(':')[1]);
  }

  /** The API's base URL. */
  get api(): string {
    const l = this.logs.find((x) => x.msg.startsWith('api server on '));
    if (!l) throw new Error(`no API server in the log:\n${this.text}`);
    return l.url as string;
  }

  get admin(): string {
    const a = this.service?.admin;
    if (!a) throw new Error('no admin server');
    return a.url;
  }

  get text(): string {
    return this.logs.map((l) => JSON.stringify(l)).join('\n');
  }

  /** Resolves with the first log line `match` accepts (those already logged included). */
  waitFor(match: (l: LogLine) => boolean, timeoutMs = 20_000, what = 'a log line'): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(new Error(`timed out waiting for ${what}; log:\n${this.text}`));
      }, timeoutMs);
      const check = (): void => {
        const hit = this.logs.find(match);
        if (!hit) return;
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve(hit);
      };
      this.watchers.add(check);
      check();
    });
  }

  /** Log lines from now on only (for waitFor after an action). */
  mark(): number {
    return this.logs.length;
  }

  since(mark: number, match: (l: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine> {
    const seen = new Set(this.logs.slice(0, mark));
    return this.waitFor((l) => !seen.has(l) && match(l), timeoutMs, what);
  }

  async start(): Promise<this> {
    const log = new PassThrough();
    let partial = '';
    log.setEncoding('utf8');
    log.on('data', (chunk: string) => {
      partial += chunk;
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 60, msg: line });
        }
      }
      for (const w of [...this.watchers]) w();
    });
    const err: string[] = [];
    this.service = await startService(ofc, {
      argv: ['--log-level', 'debug', ...this.argv],
      env: {},
      process: new FakeProcess(),
      logDestination: log,
      stdout: { write: (t: string) => err.push(t) },
      stderr: { write: (t: string) => err.push(t) },
    });
    if (this.service.config === undefined) throw new Error(`ofc did not start: ${err.join('')}`);
    running.add(this);
    return this;
  }

  async stop(): Promise<number> {
    running.delete(this);
    return (await this.service?.shutdown()) ?? 0;
  }
}

/** Start ofc in this process with `argv` (add '--listen ptcp:0' and '--api 0' for free ports). */
export function startOfc(argv: readonly string[]): Promise<OfcInstance> {
  return new OfcInstance(argv).start();
}

export async function stopAllOfc(): Promise<void> {
  await Promise.all([...running].map((o) => o.stop()));
}

export interface HttpReply {
  readonly status: number;
  readonly text: string;
  /** The body parsed exactly: integers beyond 2^53 as bigint (parseJson). */
  readonly json: unknown;
}

/** An HTTP request; `body` is sent as exact JSON text (or as is, when a string). */
export async function http(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpReply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : stringifyJson(body);
    if (!('content-type' in headers))
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const r = await fetch(url, init);
  const text = await r.text();
  let json: unknown;
  try {
    // JSON.parse is exact while no integer has 16 digits or more (and much faster on big replies)
    json = text === '' ? undefined : /\d{16}/.test(text) ? parseJson(text) : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, text, json };
}

/** The /v1/events stream: every event received, and a way to wait for one. */
export class EventStream {
  readonly events: Record<string, unknown>[] = [];
  private readonly watchers = new Set<() => void>();
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.events.push(parseJson(data.toString('utf8')) as Record<string, unknown>);
      for (const w of [...this.watchers]) w();
    });
  }

  /** Connect and wait for the stream's hello. */
  static async open(url: string): Promise<EventStream> {
    const ws = new WebSocket(url);
    const s = new EventStream(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => resolve());
    });
    await s.next((e) => e['event'] === 'hello');
    return s;
  }

  /** The first event (already received or to come) `match` accepts. */
  next(
    match: (e: Record<string, unknown>) => boolean,
    timeoutMs = 20_000,
    what = 'an event',
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(
          new Error(`timed out waiting for ${what}; got ${this.events.map((e) => e['event']).join(', ')}`),
        );
      }, timeoutMs);
      const check = (): void => {
        const hit = this.events.find(match);
        if (!hit) return;
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve(hit);
      };
      this.watchers.add(check);
      check();
    });
  }

  close(): void {
    this.ws.close();
  }
}
