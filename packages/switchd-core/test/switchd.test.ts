// Switchd in this process against the project's switch engine behind a Unix socket (what
// swioproxyd serves) and controllers built on the OpenFlow connection library.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OFPET, flowModFrom, parseFlow, type Message } from '@rumpflow/openflow';
import type { OfConnection } from '@rumpflow/openflow-connection';
import { ActiveConnector } from '@rumpflow/openflow-connection';
import { Switchd, type SwitchdConfig } from '../src/index.js';
import { DatapathServer, TestController, eventually, frame } from '../testing/index.js';

const silent = { info() {}, warn() {}, debug() {}, error() {} };

const tableMissToController = flowModFrom(parseFlow('priority=0,actions=controller'));

let dir: string;
let dp: DatapathServer;
const cleanup: (() => Promise<unknown> | unknown)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchd-core-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(
  config: (sock: string) => SwitchdConfig,
  opts: { timeout?: number; cacheSize?: number } = {},
) {
  dp = await DatapathServer.start(join(dir, `sw-${Math.random().toString(36).slice(2)}.sock`));
  cleanup.push(() => dp.close());
  const sw = new Switchd({ log: silent, connection: { echoIntervalMs: 0 }, ...opts });
  cleanup.push(() => sw.stop());
  await sw.apply(config(`unix:${dp.path}`));
  return sw;
}

/** A test controller, and switchd relaying the device to it in fail-mode secure. */
async function relayToController(): Promise<{ ctl: TestController; sw: Switchd }> {
  const ctl = await TestController.start();
  cleanup.push(() => ctl.close());
  const sw = await setup((dev) => ({
    listen: [],
    devices: [{ spec: dev, failMode: 'secure', forward: [ctl.uri] }],
  }));
  return { ctl, sw };
}

describe('switchd relay (unix: backend)', () => {
  it('relays a controller to its own device channel: HELLO, FEATURES, flows, PACKET_IN', async () => {
    const { ctl, sw } = await relayToController();
    const c = await ctl.connection(0);
    const features = await c.request({ type: 'FEATURES_REQUEST' });
    expect(features.datapathId).toBe(0xabcn);
    await c.sendChecked(tableMissToController);
    await c.sendChecked(flowModFrom(parseFlow('priority=10,dl_dst=02:00:00:00:00:02,actions=output:2')));
    expect(
      dp
        .flows()
        .map((e) => e.priority)
        .sort(),
    ).toEqual([0, 10]);
    dp.inject(1, frame('02:00:00:00:00:02', '02:00:00:00:00:01'));
    expect(dp.sent.get(2)?.length).toBe(1);
    dp.inject(1, frame('02:00:00:00:00:09', '02:00:00:00:00:01'));
    const pi = await eventually(() => {
      const m = ctl.messages.get(c)?.find((x) => x.type === 'PACKET_IN');
      if (!m || m.type !== 'PACKET_IN') throw new Error('no PACKET_IN yet');
      return m;
    });
    expect(Buffer.from(pi.data.subarray(0, 6)).toString('hex')).toBe('020000000009');
    expect(sw.controllers()).toMatchObject([
      { device: `unix:${dp.path}`, target: ctl.uri, active: true, up: true },
    ]);
    expect(sw.stats.messagesToController).toBeGreaterThan(0);
  });

  it('answers malformed input with an ERROR and keeps relaying', async () => {
    const { ctl, sw } = await relayToController();
    const c = await ctl.connection(0);
    await c.request({ type: 'FEATURES_REQUEST' });
    // an unknown message type (250), 8 bytes
    const errors: Message[] = [];
    const raw = Uint8Array.from([4, 250, 0, 8, 0, 0, 0x12, 0x34]);
    const gotError = new Promise<Message>((resolve) => {
      const before = c.listenerCount('message');
      c.on('message', (m) => {
        if (m.type === 'ERROR') {
          errors.push(m);
          resolve(m);
        }
      });
      expect(c.listenerCount('message')).toBe(before + 1);
    });
    c.stream.write(raw);
    const err = await gotError;
    expect(err).toMatchObject({
      type: 'ERROR',
      xid: 0x1234,
      errType: OFPET.BAD_REQUEST,
      code: 1 /* BAD_TYPE */,
    });
    // still relaying
    expect((await c.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0xabcn);
    expect(sw.stats.errorsSent).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('closes the controller when the device channel fails; the reconnect sees a fresh switch', async () => {
    const { ctl } = await relayToController();
    const c0 = await ctl.connection(0);
    await c0.request({ type: 'FEATURES_REQUEST' });
    const closed = new Promise((r) => c0.once('close', r));
    dp.dropChannels();
    await closed;
    const c1 = await ctl.connection(1);
    expect((await c1.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0xabcn);
    expect(dp.accepted).toBe(2);
  });

  it('reconnects after a controller restart with the shared backoff', async () => {
    const ctl = await TestController.start();
    const port = ctl.port;
    await setup((dev) => ({ listen: [], devices: [{ spec: dev, failMode: 'secure', forward: [ctl.uri] }] }));
    await ctl.connection(0);
    await ctl.close();
    const t0 = Date.now();
    const again = await TestController.start(port);
    cleanup.push(() => again.close());
    const c = await again.connection(0, 15_000);
    expect((await c.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0xabcn);
    expect(Date.now() - t0).toBeLessThan(9000); // backoff capped at 8 s
  });

  it('fail-mode secure: without a controller the flows stay and nothing is learned', async () => {
    const ctl = await TestController.start();
    const sw = await setup((dev) => ({
      listen: [],
      devices: [{ spec: dev, failMode: 'secure', forward: [ctl.uri] }],
    }));
    const c = await ctl.connection(0);
    await c.sendChecked(flowModFrom(parseFlow('priority=7,in_port=3,actions=drop')));
    await ctl.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(dp.flows().map((e) => e.priority)).toEqual([7]);
    dp.inject(1, frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01'));
    expect(sw.macs()).toEqual([]);
    expect(dp.channels).toBe(0);
  });

  it('fail-mode standalone: the built-in controller drives the device until a controller returns', async () => {
    const ctl = await TestController.start();
    const port = ctl.port;
    await ctl.close(); // nobody there yet
    const sw = await setup((dev) => ({
      listen: [],
      devices: [{ spec: dev, failMode: 'standalone', forward: [`tcp:127.0.0.1:${port}`] }],
    }));
    // learning: table-miss to the controller, then MACs learnt and flows installed
    await eventually(() => expect(dp.flows().some((e) => e.priority === 0 && e.cookie === 0x1fn)).toBe(true));
    dp.inject(1, frame('02:00:00:00:00:02', '02:00:00:00:00:01'));
    dp.inject(2, frame('02:00:00:00:00:01', '02:00:00:00:00:02'));
    await eventually(() =>
      expect(
        sw
          .macs()
          .map((m) => [m.mac, m.port])
          .sort(),
      ).toEqual([
        ['02:00:00:00:00:01', 1],
        ['02:00:00:00:00:02', 2],
      ]),
    );
    expect(sw.devices()[0]).toMatchObject({ builtIn: true, dpid: '0x0000000000000abc' });
    await eventually(() => expect(dp.sent.get(1)?.length).toBe(1)); // the second frame went straight to port 1
    // the controller comes back: the built-in controller steps aside and takes its flows along
    const back = await TestController.start(port);
    cleanup.push(() => back.close());
    const c = await back.connection(0, 15_000);
    await c.request({ type: 'FEATURES_REQUEST' });
    await eventually(() => expect(dp.flows().filter((e) => e.cookie === 0x1fn)).toEqual([]));
    await eventually(() => expect(dp.channels).toBe(1));
    expect(sw.devices()[0]).toMatchObject({ builtIn: false, activeControllersUp: 1 });
  });

  it('a device without `forward to` is driven by the built-in controller; MACs age out (-t)', async () => {
    const sw = await setup(
      (dev) => ({ listen: [], devices: [{ spec: dev, failMode: 'secure', forward: [] }] }),
      { timeout: 1 },
    );
    await eventually(() => expect(dp.flows().some((e) => e.priority === 0)).toBe(true));
    dp.inject(1, frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01'));
    await eventually(() => expect(sw.macs().map((m) => m.mac)).toEqual(['02:00:00:00:00:01']));
    await eventually(() => expect(sw.macs()).toEqual([]), 5000);
  });

  it('applies a reload without touching unchanged connections', async () => {
    const { ctl, sw } = await relayToController();
    const c = await ctl.connection(0);
    const dev = `unix:${dp.path}`;
    // port 0: any free port (the parser wants 1..65535; apply() takes what it is given)
    const r = await sw.apply({
      listen: [{ addr: '127.0.0.1', port: 0, tls: false }],
      devices: [{ spec: dev, failMode: 'secure', forward: [ctl.uri, 'ptcp:0'] }],
    });
    expect(r.changed).toEqual([`device ${dev}`]);
    expect(r.added).toEqual([expect.stringMatching(/^listen ptcp:\d+:127\.0\.0\.1$/)]);
    expect(c.isClosed).toBe(false);
    expect(dp.accepted).toBe(1);
    const listening = sw.devices()[0]?.listening[0] as string;
    expect(listening).toMatch(/^ptcp:\d+:127\.0\.0\.1$/);
    // a second controller on the new listener gets its own device channel
    const port = Number(listening.split(':')[1]);
    const second = new ActiveConnector(
      { kind: 'tcp', host: '127.0.0.1', port },
      { connection: { echoIntervalMs: 0 } },
    );
    cleanup.push(() => second.stop());
    const got = new Promise<OfConnection>((resolve) => second.once('connection', resolve));
    second.start();
    const c2 = await got;
    expect((await c2.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0xabcn);
    expect(dp.accepted).toBe(2);
    // same configuration again: nothing changes
    const again = await sw.apply({
      listen: [],
      devices: [{ spec: dev, failMode: 'secure', forward: [ctl.uri, 'ptcp:0'] }],
    });
    expect(again.unchanged).toEqual([`device ${dev}`]);
    expect(c.isClosed).toBe(false);
    // remove the device: its controllers go
    const closed = new Promise((res) => c.once('close', res));
    await sw.apply({ listen: [], devices: [] });
    await closed;
    expect(sw.devices()).toEqual([]);
  });

  it('keeps at most -c MAC addresses per switch', async () => {
    const sw = await setup(
      (dev) => ({ listen: [], devices: [{ spec: dev, failMode: 'secure', forward: [] }] }),
      { cacheSize: 2 },
    );
    await eventually(() => expect(dp.flows().some((e) => e.priority === 0)).toBe(true));
    for (const n of [1, 2, 3]) dp.inject(1, frame('ff:ff:ff:ff:ff:ff', `02:00:00:00:00:0${n}`));
    await eventually(() =>
      expect(
        sw
          .macs()
          .map((m) => m.mac)
          .sort(),
      ).toEqual(['02:00:00:00:00:02', '02:00:00:00:00:03']),
    );
  });

  it('adds and removes devices at run time (switchctl connect/disconnect)', async () => {
    const sw = await setup(() => ({ listen: [], devices: [] }));
    const dev = `unix:${dp.path}`;
    await sw.addDevice({ spec: dev, failMode: 'secure', forward: [] });
    await expect(sw.addDevice({ spec: dev, failMode: 'secure', forward: [] })).rejects.toThrow(
      /already connected/,
    );
    await eventually(() => expect(sw.switchList()).toMatchObject([{ dpid: '0x0000000000000abc', via: dev }]));
    expect(await sw.removeDevice(dev)).toBe(true);
    expect(await sw.removeDevice(dev)).toBe(false);
    await eventually(() => expect(dp.channels).toBe(0));
    // a device that cannot be opened: retried with backoff, no crash, counted
    await sw.addDevice({ spec: `unix:${dp.path}.missing`, failMode: 'secure', forward: [] });
    await eventually(() => expect(sw.devices()[0]?.deviceFailures).toBeGreaterThan(0));
  });
});
