import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ControlError,
  MAX_LINE,
  checkRequest,
  controlMonitor,
  controlRequest,
  serveControl,
  type ControlHandler,
} from './control.js';
import type { MonitorEvent } from './switchd.js';

let dir: string;
let path: string;
let server: net.Server;
const events = new EventEmitter<{ e: [MonitorEvent] }>();
const handled: unknown[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchd-control-'));
  path = join(dir, 'ctl.sock');
  const handler: ControlHandler = {
    async handle(req) {
      handled.push(req);
      if (req.cmd === 'disconnect') throw new Error(`no device ${req.device}`);
      return { echo: req };
    },
    subscribe(fn) {
      events.on('e', fn);
      return () => events.off('e', fn);
    },
  };
  server = net.createServer();
  serveControl(server, handler);
  await new Promise<void>((r) => server.listen(path, r));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** Raw lines in, the first answer line out. */
async function raw(text: string): Promise<string> {
  const s = net.createConnection({ path });
  s.setEncoding('utf8');
  let got = '';
  s.write(text);
  return new Promise((resolve) =>
    s.on('data', (d: string) => {
      got += d;
      const nl = got.indexOf('\n');
      if (nl >= 0) {
        s.destroy();
        resolve(got.slice(0, nl));
      }
    }),
  );
}

describe('control protocol', () => {
  it('answers requests and reports handler errors', async () => {
    expect(await controlRequest(path, { cmd: 'show', what: 'macs' })).toEqual({
      echo: { cmd: 'show', what: 'macs' },
    });
    await expect(controlRequest(path, { cmd: 'disconnect', device: '/dev/switch9' })).rejects.toThrow(
      /no device \/dev\/switch9/,
    );
  });

  it('refuses malformed requests with an error line, never a crash', async () => {
    expect(JSON.parse(await raw('{nope\n'))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^not JSON/),
    });
    expect(JSON.parse(await raw('{"cmd":"show","what":"everything"}\n'))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/show: what/),
    });
    expect(JSON.parse(await raw('[1,2]\n'))).toMatchObject({ ok: false });
    expect(JSON.parse(await raw(`${'x'.repeat(MAX_LINE + 10)}`))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/longer than/),
    });
    // still serving
    expect(await controlRequest(path, { cmd: 'reload' })).toEqual({ echo: { cmd: 'reload' } });
  });

  it('streams monitor events until the client hangs up', async () => {
    const got: MonitorEvent[] = [];
    const stop = new AbortController();
    const done = controlMonitor(path, (e) => got.push(e), stop.signal);
    await new Promise((r) => setTimeout(r, 100));
    const e: MonitorEvent = {
      time: 't',
      device: 'unix:/x',
      controller: 'c',
      dir: 'to-device',
      type: 'FLOW_MOD',
      text: 'OFPT_FLOW_MOD',
    };
    events.emit('e', e);
    events.emit('e', { ...e, type: 'BARRIER_REQUEST' });
    await new Promise((r) => setTimeout(r, 100));
    expect(got.map((x) => x.type)).toEqual(['FLOW_MOD', 'BARRIER_REQUEST']);
    stop.abort();
    await done;
    await new Promise((r) => setTimeout(r, 50));
    expect(events.listenerCount('e')).toBe(0);
  });

  it('checkRequest: any JSON value is a request or a ControlError (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            cmd: fc.constantFrom('show', 'connect', 'load', 'log', 'x'),
            what: fc.jsonValue(),
            device: fc.jsonValue(),
            level: fc.jsonValue(),
          }),
        ),
        (v) => {
          try {
            const r = checkRequest(v);
            expect(typeof r.cmd).toBe('string');
          } catch (e) {
            expect(e).toBeInstanceOf(ControlError);
          }
        },
      ),
    );
  });
});
