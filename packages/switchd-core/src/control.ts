// The control socket between switchd and switchctl: one JSON object per line each way.
// A request gets one response line, {"ok":true,"result":...} or {"ok":false,"error":"..."};
// after a `monitor` request the server keeps sending {"event":{...}} lines until the client
// hangs up. Lines are bounded (MAX_LINE); a monitor client that stops reading loses events
// (counted in the next event's `dropped`) instead of growing switchd's memory.

import net from 'node:net';
import type { FailMode } from './config.js';
import type { MonitorEvent } from './switchd.js';

export const MAX_LINE = 64 * 1024;
/** Bytes queued to a monitor client before events are dropped. */
const MONITOR_HIGH_WATER = 1 << 20;

export const SHOW_WHAT = ['summary', 'switches', 'macs', 'connections', 'devices'] as const;
export type ShowWhat = (typeof SHOW_WHAT)[number];

export type ControlRequest =
  | { readonly cmd: 'show'; readonly what: ShowWhat }
  | {
      readonly cmd: 'connect';
      readonly device: string;
      readonly failMode?: FailMode;
      readonly forward?: readonly string[];
    }
  | { readonly cmd: 'disconnect'; readonly device: string }
  | { readonly cmd: 'reload' }
  | { readonly cmd: 'load'; readonly file: string }
  | { readonly cmd: 'log'; readonly level: 'verbose' | 'brief' }
  | { readonly cmd: 'monitor' };

export type ControlResponse =
  { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

export class ControlError extends Error {
  override readonly name = 'ControlError';
}

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 4096;

/** Check a decoded request line; throws ControlError naming what is wrong. */
export function checkRequest(v: unknown): ControlRequest {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ControlError('a request is a JSON object');
  const o = v as Record<string, unknown>;
  switch (o['cmd']) {
    case 'show':
      if (!SHOW_WHAT.includes(o['what'] as ShowWhat))
        throw new ControlError(`show: what must be one of ${SHOW_WHAT.join(', ')}`);
      return { cmd: 'show', what: o['what'] as ShowWhat };
    case 'connect': {
      if (!isStr(o['device'])) throw new ControlError('connect: device missing');
      const fm = o['failMode'];
      if (fm !== undefined && fm !== 'secure' && fm !== 'standalone')
        throw new ControlError('connect: failMode must be secure or standalone');
      const fw = o['forward'];
      if (fw !== undefined && !(Array.isArray(fw) && fw.length <= 64 && fw.every(isStr)))
        throw new ControlError('connect: forward must be a list of URIs');
      return {
        cmd: 'connect',
        device: o['device'],
        ...(fm !== undefined ? { failMode: fm } : {}),
        ...(fw !== undefined ? { forward: fw as string[] } : {}),
      };
    }
    case 'disconnect':
      if (!isStr(o['device'])) throw new ControlError('disconnect: device missing');
      return { cmd: 'disconnect', device: o['device'] };
    case 'reload':
      return { cmd: 'reload' };
    case 'load':
      if (!isStr(o['file'])) throw new ControlError('load: file missing');
      return { cmd: 'load', file: o['file'] };
    case 'log':
      if (o['level'] !== 'verbose' && o['level'] !== 'brief')
        throw new ControlError('log: level must be verbose or brief');
      return { cmd: 'log', level: o['level'] };
    case 'monitor':
      return { cmd: 'monitor' };
    default:
      throw new ControlError(`unknown command ${JSON.stringify(o['cmd'])}`);
  }
}

export interface ControlHandler {
  /** Answer a request (not monitor); a thrown Error becomes {"ok":false}. */
  handle(req: Exclude<ControlRequest, { cmd: 'monitor' }>): Promise<unknown>;
  /** Subscribe to monitor events; returns the unsubscriber. */
  subscribe(fn: (e: MonitorEvent) => void): () => void;
}

/** Splits a byte stream into lines of at most MAX_LINE bytes. */
class LineSplitter {
  private buf = '';
  push(chunk: string): string[] {
    this.buf += chunk;
    const lines = this.buf.split('\n');
    this.buf = lines.pop() ?? '';
    if (this.buf.length > MAX_LINE || lines.some((l) => l.length > MAX_LINE))
      throw new ControlError(`line longer than ${MAX_LINE} bytes`);
    return lines.filter((l) => l.trim() !== '');
  }
}

/** Serve the control protocol on `server` (a net.Server the caller listens with mode 0600). */
export function serveControl(server: net.Server, handler: ControlHandler): void {
  server.on('connection', (sock) => {
    sock.setEncoding('utf8');
    const lines = new LineSplitter();
    let unsubscribe: (() => void) | undefined;
    let chain = Promise.resolve();
    const reply = (r: ControlResponse) => {
      if (!sock.destroyed) sock.write(`${JSON.stringify(r)}\n`);
    };
    sock.on('data', (chunk: string) => {
      let got: string[];
      try {
        got = lines.push(chunk);
      } catch (e) {
        reply({ ok: false, error: (e as Error).message });
        sock.end();
        return;
      }
      for (const line of got) {
        chain = chain.then(async () => {
          let req: ControlRequest;
          try {
            req = checkRequest(JSON.parse(line));
          } catch (e) {
            reply({
              ok: false,
              error: e instanceof SyntaxError ? `not JSON: ${e.message}` : (e as Error).message,
            });
            return;
          }
          if (req.cmd === 'monitor') {
            if (unsubscribe) return;
            let dropped = 0;
            reply({ ok: true, result: 'monitoring' });
            unsubscribe = handler.subscribe((event) => {
              if (sock.writableLength > MONITOR_HIGH_WATER) {
                dropped++;
                return;
              }
              sock.write(`${JSON.stringify({ event, ...(dropped > 0 ? { dropped } : {}) })}\n`);
              dropped = 0;
            });
            return;
          }
          try {
            reply({ ok: true, result: await handler.handle(req) });
          } catch (e) {
            reply({ ok: false, error: (e as Error).message });
          }
        });
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => unsubscribe?.());
  });
}

/** Send one request to switchd's control socket and return its result (throws ControlError). */
export async function controlRequest(
  path: string,
  req: ControlRequest,
  timeoutMs = 10_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path });
    sock.setEncoding('utf8');
    const lines = new LineSplitter();
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new ControlError(`${path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(new ControlError(`${path}: ${e.message}`));
    });
    sock.on('data', (chunk: string) => {
      let got: string[];
      try {
        got = lines.push(chunk);
      } catch (e) {
        sock.destroy();
        reject(e);
        return;
      }
      const first = got[0];
      if (first === undefined) return;
      clearTimeout(timer);
      sock.end();
      try {
        const r = JSON.parse(first) as ControlResponse;
        if (r.ok) resolve(r.result);
        else reject(new ControlError(r.error));
      } catch (e) {
        reject(new ControlError(`bad answer: ${(e as Error).message}`));
      }
    });
  });
}

/** Subscribe to the monitor stream; resolves when the connection ends. `stop` aborts it. */
export function controlMonitor(
  path: string,
  onEvent: (e: MonitorEvent, dropped: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path });
    sock.setEncoding('utf8');
    const lines = new LineSplitter();
    let first = true;
    signal?.addEventListener('abort', () => sock.destroy(), { once: true });
    sock.on('connect', () => sock.write(`${JSON.stringify({ cmd: 'monitor' })}\n`));
    sock.on('error', (e) => reject(new ControlError(`${path}: ${e.message}`)));
    sock.on('close', () => resolve());
    sock.on('data', (chunk: string) => {
      try {
        for (const line of lines.push(chunk)) {
          const v = JSON.parse(line) as ControlResponse | { event: MonitorEvent; dropped?: number };
          if (first) {
            first = false;
            if ('ok' in v && !v.ok) throw new ControlError(v.error);
            continue;
          }
          if ('event' in v) onEvent(v.event, v.dropped ?? 0);
        }
      } catch (e) {
        sock.destroy();
        reject(e);
      }
    });
  });
}
