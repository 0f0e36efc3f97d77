// ofc against a real switch: Open vSwitch's ovs-vswitchd with the dummy datapath (no root,
// no kernel module; test-tools' Ovs), bridges connecting to ofc's listener or listening for
// ofc to connect. The handshake, every REST endpoint, learning, static flows and their
// reinstallation after a reconnect, the monitor's metrics, the error mapping, the event
// stream, reconnects both ways, and two switches at once.
// Without Open vSwitch the suite is skipped, loudly.

import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUdp } from '@rumpflow/packet';
import { Ovs, ovsMissing, stopAllOvs, warnSkipped } from '@rumpflow/test-tools';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventStream, http, type OfcInstance, startOfc, stopAllOfc } from './ofc.js';

const MISSING = ovsMissing();
if (MISSING !== undefined) {
  warnSkipped(
    'apps/ofc/test/ovs.test.ts',
    `Open vSwitch cannot run here (${MISSING})`,
    ['ofc is NOT being tested against a real switch (those tests are SKIPPED).'],
    ['Install it with:  DEBIAN_FRONTEND=noninteractive apt-get install -y openvswitch-switch'],
  );
}

const FLOWS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'flows.txt');
const BIG = 0xfedcba9876543210n; // br0's datapath id: beyond 2^53
const HOOK_MS = 90_000;

const mac = (n: number) => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
const udp = (from: number, to: number) =>
  buildUdp({
    srcMac: mac(from),
    dstMac: mac(to),
    src: `10.0.0.${from}`,
    dst: `10.0.0.${to}`,
    srcPort: 1000 + from,
    dstPort: 2000 + to,
    padTo: 60,
  });

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Poll until `check` passes (the test's timeout bounds it). */
const eventually = (check: () => Promise<unknown> | unknown, timeout = 20_000) =>
  expect
    .poll(
      async () => {
        try {
          await check();
          return true;
        } catch (e) {
          return (e as Error).message;
        }
      },
      { timeout, interval: 100 },
    )
    .toBe(true);

describe.skipIf(MISSING !== undefined)('ofc against Open vSwitch', () => {
  let ovs: Ovs;
  let ofc: OfcInstance;
  let events: EventStream;
  const api = (p: string) => `${ofc.api}${p}`;
  const get = async (p: string) => {
    const r = await http('GET', api(p));
    if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${r.text}`);
    return r.json as Record<string, Record<string, unknown>[]>;
  };
  const post = (p: string, body?: unknown) => http('POST', api(p), body);
  const ok = async (p: string, body?: unknown) => {
    const r = await post(p, body);
    expect(r.status, `${p}: ${r.text}`).toBe(200);
    return r;
  };
  const one = async (p: string, dpid: bigint) => (await get(p))[dpid.toString()] as Record<string, unknown>[];

  beforeAll(async () => {
    ovs = await Ovs.start();
    ofc = await startOfc([
      '--listen',
      'ptcp:0',
      '--api',
      '0',
      '--admin',
      '0',
      // the table features of Open vSwitch's 254 tables are 13 MB of JSON: room for a loaded machine
      '--request-timeout',
      '30',
      '--app',
      'learning',
      '--app',
      'static',
      '--static-flows',
      FLOWS,
      '--app',
      'monitor',
      '--monitor-interval',
      '1',
    ]);
    events = await EventStream.open(`${ofc.api.replace('http', 'ws')}/v1/events`);
    const target = `tcp:127.0.0.1:${ofc.port}`;
    await ovs.addBridge('br0', { dpid: BIG, ports: 3, controller: [target] });
    await ovs.addBridge('br1', { dpid: 2n, ports: 2, controller: [target] });
    await events.next((e) => e['event'] === 'switch_enter' && e['dpid'] === BIG, 30_000, 'br0 to connect');
    await events.next((e) => e['event'] === 'switch_enter' && e['dpid'] === 2, 30_000, 'br1 to connect');
    await ofc.waitFor(
      (l) => l.msg === `static: 3 of 3 flows installed on ${BIG.toString(16)}`,
      20_000,
      "br0's static flows",
    );
  }, HOOK_MS);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    // what ofc and Open vSwitch said, for whoever reads the failure
    const leaves = events.events.filter((e) => e['event'] === 'switch_leave');
    console.warn(
      [
        `switch_leave events: ${JSON.stringify(leaves.map((e) => ({ dpid: String(e['dpid']), reason: e['reason'], time: e['time'] })))}`,
        ...ofc.logs.filter((l) => l.level >= 40).map((l) => JSON.stringify(l)),
        ...ovs
          .log()
          .split('\n')
          .filter((l) => /WARN|ERR|rconn|connmgr/.test(l))
          .slice(-30),
      ].join('\n'),
    );
  });

  afterAll(async () => {
    events?.close();
    try {
      await stopAllOfc();
    } finally {
      await stopAllOvs();
    }
  }, HOOK_MS);

  it('knows both switches by their exact datapath ids, with what FEATURES, PORT_DESC and DESC said', async () => {
    const r = await http('GET', api('/stats/switches'));
    expect(r.text).toBe(`[2,${BIG}]`);
    const enter = events.events.find((e) => e['event'] === 'switch_enter' && e['dpid'] === BIG);
    expect(enter).toMatchObject({
      n_tables: 254,
      desc: { mfr_desc: 'Nicira, Inc.', hw_desc: 'Open vSwitch' },
    });
    const desc = (await get(`/stats/desc/${BIG}`))[BIG.toString()] as unknown as Record<string, string>;
    expect(desc['sw_desc']).toMatch(/^\d+\.\d+\.\d+/);
    const ports = await one(`/stats/portdesc/${BIG}`, BIG);
    expect(ports.map((p) => [p['port_no'], p['name']])).toEqual(
      expect.arrayContaining([
        ['LOCAL', 'br0'],
        [1, 'br0-p1'],
        [2, 'br0-p2'],
        [3, 'br0-p3'],
      ]),
    );
    // Open vSwitch's own view (its database is refreshed every few seconds)
    await eventually(async () => expect(await ovs.controllerConnected('br0')).toBe(true), 30_000);
  });

  it('learning: frames both ways leave the learned flows in the switch, and the switch forwards', async () => {
    await ovs.receive('br0', 1, udp(1, 2)); // unknown destination: flooded
    await ovs.receive('br0', 2, udp(2, 1)); // known: a flow 2 -> 1
    await ovs.receive('br0', 1, udp(1, 2)); // known now: a flow 1 -> 2
    await eventually(async () => {
      const flows = (await ovs.dumpFlows('br0')).join('\n');
      expect(flows).toMatch(
        /cookie=0x1f, .*idle_timeout=60, send_flow_rem priority=1,in_port=2,dl_src=02:00:00:00:00:02,dl_dst=02:00:00:00:00:01 actions=output:1/,
      );
      expect(flows).toMatch(
        /cookie=0x1f, .*priority=1,in_port=1,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02 actions=output:2/,
      );
    });
    const learned = (await one(`/stats/flow/${BIG}`, BIG)).filter((f) => f['priority'] === 1);
    expect(learned).toContainEqual(
      expect.objectContaining({
        cookie: 31,
        idle_timeout: 60,
        flags: 1,
        table_id: 0,
        match: { in_port: 2, dl_src: mac(2), dl_dst: mac(1) },
        actions: ['OUTPUT:1'],
      }),
    );
    // the first frame was flooded: out of ports 2 and 3, never back out of 1
    const tx = Object.fromEntries(
      (await one(`/stats/port/${BIG}`, BIG)).map((p) => [String(p['port_no']), Number(p['tx_packets'])]),
    );
    expect(tx['3']).toBeGreaterThanOrEqual(1);
    expect(tx['2']).toBeGreaterThanOrEqual(2);
    // br1 learned nothing from br0's traffic
    expect((await ovs.dumpFlows('br1')).join('\n')).not.toContain('dl_src=02:00:00:00:00:01');
    const pin = await events.next((e) => e['event'] === 'packet_in' && e['dpid'] === BIG);
    expect(pin).toMatchObject({
      in_port: 1,
      reason: 'NO_MATCH',
      packet: { eth_src: mac(1), ipv4_dst: '10.0.0.2', udp_src: 1001, udp_dst: 2002 },
    });
  });

  it('static: the flow file is in the switch, every table it names', async () => {
    const flows = (await ovs.dumpFlows('br0', 'cookie=0x5a/-1')).join('\n');
    expect(flows).toMatch(/priority=200,ip,nw_dst=10\.9\.9\.9 actions=drop/);
    expect(flows).toMatch(/priority=150,in_port=3 actions=output:1/);
    expect(flows).toMatch(/table=1, .*priority=5,arp actions=NORMAL/);
  });

  it('flow entries: add, filter, modify, modify_strict, delete_strict, delete, aggregate', async () => {
    const d = Number(2n);
    // the body of Ryu's documentation
    await ok('/stats/flowentry/add', {
      dpid: d,
      cookie: 1,
      cookie_mask: 1,
      table_id: 0,
      idle_timeout: 30,
      hard_timeout: 30,
      priority: 11111,
      flags: 1,
      match: { in_port: 1 },
      actions: [{ type: 'OUTPUT', port: 2 }],
    });
    await ok('/stats/flowentry/add', {
      dpid: d,
      cookie: '0xfedcba9876543210',
      priority: 22,
      match: { dl_type: 2048, nw_proto: 6, tp_dst: 80, nw_dst: '10.1.0.0/16' },
      actions: [
        { type: 'SET_FIELD', field: 'ipv4_dst', value: '10.1.2.3' },
        { type: 'OUTPUT', port: 'IN_PORT' },
      ],
    });
    expect((await ovs.dumpFlows('br1')).join('\n')).toMatch(
      /cookie=0x1, .*idle_timeout=30, hard_timeout=30, send_flow_rem priority=11111,in_port=1 actions=output:2/,
    );
    const big = (await (
      await post('/stats/flow/2', { cookie: BIG, cookie_mask: '18446744073709551615' })
    ).json) as Record<string, Record<string, unknown>[]>;
    expect(big['2']).toEqual([
      expect.objectContaining({
        cookie: BIG,
        priority: 22,
        match: { dl_type: 2048, nw_proto: 6, nw_dst: '10.1.0.0/255.255.0.0', tp_dst: 80 },
        actions: ['SET_FIELD: {ipv4_dst:10.1.2.3}', 'OUTPUT:IN_PORT'],
      }),
    ]);
    expect(
      ((await (await post('/stats/flow/2', { priority: 11111 })).json) as Record<string, unknown[]>)['2'],
    ).toHaveLength(1);
    await ok('/stats/flowentry/modify', {
      dpid: d,
      cookie: 1,
      cookie_mask: 0xff,
      match: { in_port: 1 },
      actions: [{ type: 'OUTPUT', port: 'FLOOD' }],
    });
    expect((await ovs.dumpFlows('br1', 'cookie=0x1/-1')).join('\n')).toContain('actions=FLOOD');
    await ok('/stats/flowentry/modify_strict', {
      dpid: d,
      priority: 11111,
      match: { in_port: 1 },
      actions: [{ type: 'OUTPUT', port: 'CONTROLLER', max_len: 128 }],
    });
    expect((await ovs.dumpFlows('br1', 'cookie=0x1/-1')).join('\n')).toContain('actions=CONTROLLER:128');
    const agg = (await get('/stats/aggregateflow/2'))['2']?.[0];
    expect(agg).toMatchObject({ flow_count: expect.any(Number) });
    const aggCookie = (await (
      await post('/stats/aggregateflow/2', { cookie: 1, cookie_mask: '0xffffffffffffffff' })
    ).json) as Record<string, Record<string, unknown>[]>;
    expect(aggCookie['2']?.[0]).toMatchObject({ flow_count: 1 });
    await ok('/stats/flowentry/delete_strict', { dpid: d, priority: 11111, match: { in_port: 2 } }); // no such flow: nothing to delete, no error
    expect(await ovs.dumpFlows('br1', 'cookie=0x1/-1')).toHaveLength(1);
    await ok('/stats/flowentry/delete_strict', { dpid: d, priority: 11111, match: { in_port: 1 } });
    expect(await ovs.dumpFlows('br1', 'cookie=0x1/-1')).toHaveLength(0);
    await ok('/stats/flowentry/delete', {
      dpid: d,
      table_id: 'ALL',
      cookie: BIG,
      cookie_mask: '0xffffffffffffffff',
    });
    expect(await ovs.dumpFlows('br1', `cookie=0x${BIG.toString(16)}/-1`)).toHaveLength(0);
    // instructions come back as Ryu prints them
    await ok('/stats/meterentry/add', {
      dpid: d,
      meter_id: 5,
      flags: 'PKTPS',
      bands: [{ type: 'DROP', rate: 100 }],
    });
    await ok('/stats/flowentry/add', {
      dpid: d,
      table_id: 1,
      priority: 9,
      match: { metadata: '0x5/0xff' },
      actions: [
        { type: 'METER', meter_id: 5 },
        { type: 'WRITE_ACTIONS', actions: [{ type: 'OUTPUT', port: 1 }] },
        { type: 'GOTO_TABLE', table_id: 2 },
        { type: 'WRITE_METADATA', metadata: 1, metadata_mask: 1 },
      ],
    });
    const t1 = (await (
      await post('/stats/flow/2', { table_id: 1, priority: 9 })
    ).json) as Record<string, Record<string, unknown>[]>;
    expect(t1['2']?.[0]).toMatchObject({
      table_id: 1,
      match: { metadata: '5/255' },
      actions: ['METER:5', { WRITE_ACTIONS: ['OUTPUT:1'] }, 'WRITE_METADATA:0x1/0x1', 'GOTO_TABLE:2'],
    });
  });

  it('groups: add, modify, delete, desc, stats, features; duplicates and unknown groups mapped', async () => {
    await ok('/stats/groupentry/add', {
      dpid: 2,
      type: 'SELECT',
      group_id: 7,
      buckets: [
        { weight: 10, actions: [{ type: 'OUTPUT', port: 1 }] },
        { weight: 20, actions: [{ type: 'OUTPUT', port: 2 }] },
      ],
    });
    expect((await one('/stats/groupdesc/2', 2n)).find((g) => g['group_id'] === 7)).toMatchObject({
      type: 'SELECT',
      buckets: [
        { weight: 10, actions: ['OUTPUT:1'] },
        { weight: 20, actions: ['OUTPUT:2'] },
      ],
    });
    const dup = await post('/stats/groupentry/add', { dpid: 2, type: 'ALL', group_id: 7, buckets: [] });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({
      error: 'OFPET_GROUP_MOD_FAILED',
      code: 'OFPGMFC_GROUP_EXISTS',
      error_type: 6,
      error_code: 0,
    });
    await ok('/stats/groupentry/modify', {
      dpid: 2,
      type: 'ALL',
      group_id: 7,
      buckets: [{ actions: [{ type: 'OUTPUT', port: 2 }] }],
    });
    expect((await one('/stats/group/2/7', 2n))[0]).toMatchObject({
      group_id: 7,
      ref_count: 0,
      bucket_stats: [{ packet_count: 0, byte_count: 0 }],
    });
    const unknown = await post('/stats/groupentry/modify', { dpid: 2, group_id: 99, buckets: [] });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'OFPGMFC_UNKNOWN_GROUP' });
    await ok('/stats/groupentry/delete', { dpid: 2, group_id: 7 });
    expect((await one('/stats/groupdesc/2', 2n)).some((g) => g['group_id'] === 7)).toBe(false);
    expect((await one('/stats/groupfeatures/2', 2n))[0]).toMatchObject({
      types: ['ALL', 'SELECT', 'INDIRECT', 'FF'],
      max_groups: [
        { ALL: expect.any(Number) },
        { SELECT: expect.any(Number) },
        { INDIRECT: expect.any(Number) },
        { FF: expect.any(Number) },
      ],
    });
  });

  it('meters: add, modify, delete, config, stats, features', async () => {
    await ok('/stats/meterentry/add', {
      dpid: 2,
      meter_id: 1,
      flags: ['KBPS', 'BURST', 'STATS'],
      bands: [{ type: 'DROP', rate: 1000, burst_size: 100 }],
    });
    expect((await one('/stats/meterconfig/2/1', 2n))[0]).toEqual({
      flags: ['KBPS', 'BURST', 'STATS'],
      bands: [{ rate: 1000, burst_size: 100, type: 'DROP' }],
      meter_id: 1,
    });
    const dup = await post('/stats/meterentry/add', {
      dpid: 2,
      meter_id: 1,
      flags: 'KBPS',
      bands: [{ type: 'DROP', rate: 1 }],
    });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ error: 'OFPET_METER_MOD_FAILED', code: 'OFPMMFC_METER_EXISTS' });
    await ok('/stats/meterentry/modify', {
      dpid: 2,
      meter_id: 1,
      flags: 'KBPS',
      bands: [{ type: 'DROP', rate: 2000 }],
    });
    expect((await one('/stats/meterconfig/2/1', 2n))[0]).toMatchObject({
      bands: [{ rate: 2000, type: 'DROP' }],
    });
    expect((await one('/stats/meter/2', 2n)).find((m) => m['meter_id'] === 1)).toMatchObject({
      flow_count: 0,
      band_stats: [{ packet_band_count: 0, byte_band_count: 0 }],
    });
    await ok('/stats/meterentry/delete', { dpid: 2, meter_id: 1 });
    expect((await one('/stats/meterconfig/2', 2n)).some((m) => m['meter_id'] === 1)).toBe(false);
    expect((await one('/stats/meterfeatures/2', 2n))[0]).toMatchObject({
      band_types: expect.arrayContaining(['DROP']),
      capabilities: expect.arrayContaining(['KBPS', 'PKTPS']),
    });
  });

  it('tables, table features, queues, port stats of one port', async () => {
    const tables = await one('/stats/table/2', 2n);
    expect(tables).toHaveLength(254);
    expect(tables[0]).toMatchObject({ table_id: 0, active_count: expect.any(Number) });
    // several multipart parts, reassembled; 13 MB of JSON, read with JSON.parse (exactness is checked elsewhere)
    const reply = await fetch(api('/stats/tablefeatures/2'));
    expect(reply.status).toBe(200);
    const features = (JSON.parse(await reply.text()) as Record<string, Record<string, unknown>[]>)['2'] ?? [];
    expect(features).toHaveLength(254);
    expect(features[0]).toMatchObject({
      table_id: 0,
      max_entries: expect.any(Number),
      properties: expect.arrayContaining([expect.objectContaining({ type: 'INSTRUCTIONS' })]),
    });
    expect((await one('/stats/queueconfig/2/1', 2n))[0]).toMatchObject({ port: 1 });
    expect(Array.isArray(await one('/stats/queue/2', 2n))).toBe(true);
    const p1 = await one('/stats/port/2/1', 2n);
    expect(p1).toHaveLength(1);
    expect(p1[0]).toMatchObject({ port_no: 1, rx_packets: expect.any(Number) });
  });

  it('port modify, send packet, roles, experimenter', async () => {
    const status = events.events.length;
    await ok('/stats/portdesc/modify', { dpid: 2, port_no: 2, config: 1, mask: 1 });
    expect((await one('/stats/portdesc/2', 2n)).find((p) => p['port_no'] === 2)).toMatchObject({ config: 1 });
    await events.next(
      (e) => events.events.indexOf(e) >= status && e['event'] === 'port_status' && e['dpid'] === 2,
      10_000,
      'PORT_STATUS',
    );
    await ok('/stats/portdesc/modify', { dpid: 2, port_no: 2, config: 0, mask: 1 });
    expect((await post('/stats/portdesc/modify', { dpid: 2, port_no: 42, config: 1, mask: 1 })).status).toBe(
      404,
    );

    const before = Number((await one('/stats/port/2/1', 2n))[0]?.['tx_packets']);
    await ok('/stats/sendpacket', {
      dpid: 2,
      in_port: 'CONTROLLER',
      actions: [{ type: 'OUTPUT', port: 1 }],
      data: Buffer.from(udp(9, 8)).toString('base64'),
    });
    await eventually(async () =>
      expect(Number((await one('/stats/port/2/1', 2n))[0]?.['tx_packets'])).toBe(before + 1),
    );

    expect((await ok('/stats/role', { dpid: 2, role: 'MASTER' })).json).toEqual({
      2: [{ generation_id: 0, role: 'MASTER' }],
    });
    expect(await one('/stats/role/2', 2n)).toEqual([{ generation_id: 0, role: 'MASTER' }]);
    await ok('/stats/role', { dpid: 2, role: 'SLAVE' });
    const slave = await post('/stats/flowentry/add', { dpid: 2, priority: 3, actions: [] });
    expect(slave.status).toBe(403);
    expect(slave.json).toMatchObject({ error: 'OFPET_BAD_REQUEST', code: 'OFPBRC_IS_SLAVE' });
    await ok('/stats/role', { dpid: 2, role: 'EQUAL' });

    const exp = await post('/stats/experimenter/2', {
      experimenter: 0x12345,
      exp_type: 1,
      data_type: 'ascii',
      data: 'hello',
    });
    expect(exp.status).toBe(501);
    expect(exp.json).toMatchObject({ error: 'OFPET_BAD_REQUEST', code: 'OFPBRC_BAD_EXPERIMENTER' });
  });

  it("maps the switch's other refusals: BAD_PREREQ, BAD_TABLE_ID, BAD_VALUE", async () => {
    const prereq = await post('/stats/flowentry/add', {
      dpid: 2,
      match: { nw_dst: '10.0.0.1' },
      actions: [],
    });
    expect(prereq.status).toBe(400);
    expect(prereq.json).toMatchObject({
      error: 'OFPET_BAD_MATCH',
      code: 'OFPBMC_BAD_PREREQ',
      message: expect.any(String),
    });
    const table = await post('/stats/flowentry/add', { dpid: 2, table_id: 255, actions: [] });
    expect(table.json).toMatchObject({ error: 'OFPET_FLOW_MOD_FAILED', code: 'OFPFMFC_BAD_TABLE_ID' });
    const value = await post('/stats/flowentry/add', {
      dpid: 2,
      match: { dl_type: 2048, ip_dscp: 64 },
      actions: [],
    });
    expect(value.json).toMatchObject({ error: 'OFPET_BAD_MATCH', code: 'OFPBMC_BAD_VALUE' });
    await eventually(async () =>
      expect((await http('GET', `${ofc.admin}/metrics`)).text).toContain(
        'ofc_switch_errors_total{type="BAD_MATCH",code="BAD_PREREQ"}',
      ),
    );
  });

  it('streams FLOW_REMOVED and PORT_STATUS', async () => {
    await ok('/stats/flowentry/add', {
      dpid: 2,
      cookie: 77,
      priority: 321,
      flags: 1,
      match: { in_port: 2 },
      actions: [],
    });
    await ok('/stats/flowentry/delete', { dpid: 2, cookie: 77, cookie_mask: 0xff });
    expect(await events.next((e) => e['event'] === 'flow_removed' && e['cookie'] === 77)).toMatchObject({
      dpid: 2,
      reason: 'DELETE',
      priority: 321,
      match: { in_port: 2 },
    });
    await ovs.addPort('br1', 9);
    expect(await events.next((e) => e['event'] === 'port_status' && e['reason'] === 'ADD')).toMatchObject({
      dpid: 2,
      port: { port_no: 9, name: 'br1-p9' },
    });
    expect((await one('/stats/portdesc/2', 2n)).some((p) => p['port_no'] === 9)).toBe(true);
  });

  it('monitor: port and flow stats of both switches in the metrics', async () => {
    await eventually(async () => {
      const text = (await http('GET', `${ofc.admin}/metrics`)).text;
      expect(text).toMatch(new RegExp(`ofc_port_tx_packets\\{dpid="${BIG}",port="2"\\} [1-9]`));
      expect(text).toMatch(/ofc_table_flows\{dpid="2",table="0"\} [1-9]/);
      expect(text).toMatch(new RegExp(`ofc_table_flows\\{dpid="${BIG}",table="1"\\} 1`));
      expect(text).toMatch(/ofc_monitor_polls_total\{dpid="2",result="ok"\} [1-9]/);
      expect(text).toMatch(/ofc_switches 2/);
    });
  });

  it('a switch that reconnects gets its static flows again; DELETE /stats/flowentry/clear empties it', async () => {
    await ok('/stats/flowentry/delete', {
      dpid: BIG.toString(),
      table_id: 'ALL',
      cookie: 0x5a,
      cookie_mask: '0xffffffffffffffff',
    });
    expect(await ovs.dumpFlows('br0', 'cookie=0x5a/-1')).toHaveLength(0);
    const mark = events.events.length;
    await ovs.delController('br0');
    await events.next(
      (e) => events.events.indexOf(e) >= mark && e['event'] === 'switch_leave' && e['dpid'] === BIG,
      20_000,
      'br0 to leave',
    );
    expect((await http('GET', api(`/stats/flow/${BIG}`))).status).toBe(404);
    await ovs.setController('br0', `tcp:127.0.0.1:${ofc.port}`);
    await events.next(
      (e) => events.events.indexOf(e) >= mark && e['event'] === 'switch_enter' && e['dpid'] === BIG,
      30_000,
      'br0 to come back',
    );
    await eventually(async () => expect(await ovs.dumpFlows('br0', 'cookie=0x5a/-1')).toHaveLength(3));
    const clear = await http('DELETE', api(`/stats/flowentry/clear/${BIG}`));
    expect(clear.status).toBe(200);
    expect(await ovs.dumpFlows('br0')).toEqual([]);
  });
});

describe.skipIf(MISSING !== undefined)('ofc connecting to a switch that listens (--connect)', () => {
  afterAll(async () => {
    try {
      await stopAllOfc();
    } finally {
      await stopAllOvs();
    }
  }, HOOK_MS);

  it(
    'connects, runs the hub, reconnects after the switch drops it, and shows both in the events',
    async () => {
      const ovs = await Ovs.start();
      const port = await freePort();
      await ovs.addBridge('br9', { dpid: 9n, ports: 2, controller: [`ptcp:${port}:127.0.0.1`] });
      const ofc = await startOfc(['--connect', `tcp:127.0.0.1:${port}`, '--app', 'hub', '--api', '0']);
      const events = await EventStream.open(`${ofc.api.replace('http', 'ws')}/v1/events?dpid=9`);
      await events.next((e) => e['event'] === 'switch_enter', 30_000, 'br9 to be connected');
      expect(ofc.listeners).toEqual([]); // --connect alone: no default listener
      expect((await ovs.dumpFlows('br9')).join('\n')).toMatch(
        /cookie=0x2f, .*priority=0 actions=CONTROLLER:65535/,
      );
      // the hub floods every packet through the controller
      await ovs.receive('br9', 1, udp(1, 2));
      await events.next((e) => e['event'] === 'packet_in', 10_000, 'a packet in');
      const txOf2 = async () =>
        Number(
          (
            (await http('GET', `${ofc.api}/stats/port/9/2`)).json as Record<string, Record<string, unknown>[]>
          )['9']?.[0]?.['tx_packets'],
        );
      await eventually(async () => expect(await txOf2()).toBe(1));
      expect(await ovs.dumpFlows('br9')).toHaveLength(1); // the hub installs nothing else
      // the switch drops the connection; it listens again; ofc comes back by itself
      await ovs.delController('br9');
      await events.next((e) => e['event'] === 'switch_leave', 20_000, 'br9 to leave');
      await ovs.setController('br9', `ptcp:${port}:127.0.0.1`);
      await eventually(
        () => expect(events.events.filter((e) => e['event'] === 'switch_enter')).toHaveLength(2),
        30_000,
      );
      events.close();
    },
    HOOK_MS,
  );
});
