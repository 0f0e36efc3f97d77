// ofc (in this process) with scripted switches (test/fake-switch.ts): the connect handshake,
// the apps' order and held messages, reconnects, the REST API's exact JSON, its error
// answers (404, 400, the switch's ERROR, 504, 502), Ryu clients' content types, the event
// stream and the OpenAPI document. Open vSwitch is in ovs.test.ts.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { OFPP, OFP_NO_BUFFER, errorCode, OFPET, type Message } from '@rumpflow/openflow';
import { buildArp } from '@rumpflow/packet';
import { startService } from '@rumpflow/service';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventStream, http, type OfcInstance, startOfc, stopAllOfc } from './ofc.js';
import { FakeSwitch } from './fake-switch.js';
import { ofc as ofcService } from '../src/service.js';

const BIG = 0xfedcba9876543210n; // beyond 2^53: a double would round it
const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'no-ipv6.mjs');

const switches: FakeSwitch[] = [];
async function fake(ofc: OfcInstance, dpid: bigint, script?: FakeSwitch['script']): Promise<FakeSwitch> {
  const m = ofc.mark();
  const sw = await FakeSwitch.connect(ofc.port, { dpid, ...(script ? { script } : {}) });
  switches.push(sw);
  await ofc.since(
    m,
    (l) => l.msg.startsWith(`switch ${dpid.toString(16).padStart(16, '0')} connected`),
    10_000,
    'the switch to enter',
  );
  return sw;
}
afterEach(() => {
  for (const s of switches.splice(0)) s.close();
});
afterAll(stopAllOfc);

const isFlowMod = (m: Message) => m.type === 'FLOW_MOD';

describe('ofc with the learning app', () => {
  let ofc: OfcInstance;
  beforeAll(async () => {
    ofc = await startOfc([
      '--listen',
      'ptcp:0',
      '--api',
      '0',
      '--request-timeout',
      '3', // short enough for the 504 test, long enough for a loaded CI machine
      '--learning-idle-timeout',
      '30',
    ]);
  });
  afterAll(() => ofc.stop());

  it('asks a new switch for FEATURES, PORT_DESC and DESC, then knows it by its exact datapath id', async () => {
    const sw = await fake(ofc, BIG);
    expect(sw.received.slice(0, 4).map((m) => (m.type === 'MULTIPART_REQUEST' ? m.mpType : m.type))).toEqual([
      'FEATURES_REQUEST',
      'SET_CONFIG',
      'PORT_DESC',
      'DESC',
    ]);
    expect(sw.received[1]).toMatchObject({ flags: 0, missSendLen: 0xffff });
    const r = await http('GET', `${ofc.api}/stats/switches`);
    expect(r.status).toBe(200);
    expect(r.text).toBe(`[${BIG}]`); // every digit, never 18364758544493064000
    expect(r.json).toEqual([BIG]);
    const desc = await http('GET', `${ofc.api}/stats/desc/${BIG}`);
    expect(desc.json).toEqual({
      [BIG.toString()]: {
        mfr_desc: 'rumpflow',
        hw_desc: 'fake',
        sw_desc: 'fake-switch',
        serial_num: '1',
        dp_desc: 'a test double',
      },
    });
    expect((await http('GET', `${ofc.api}/stats/desc/0x${BIG.toString(16)}`)).status).toBe(200);
  });

  it('learning: table-miss on connect, flood unknown destinations, flow + output for known ones', async () => {
    const sw = await fake(ofc, 7n);
    const miss = await sw.next((m) => isFlowMod(m) && m.type === 'FLOW_MOD' && m.command === 0);
    expect(miss).toMatchObject({
      priority: 0,
      cookie: 0x1fn,
      instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: OFPP.CONTROLLER }] }],
    });
    const a = buildArp({
      op: 'request',
      srcMac: '02:00:00:00:00:0a',
      sha: '02:00:00:00:00:0a',
      spa: '10.0.0.1',
      tpa: '10.0.0.2',
    });
    const b = buildArp({
      op: 'reply',
      srcMac: '02:00:00:00:00:0b',
      sha: '02:00:00:00:00:0b',
      spa: '10.0.0.2',
      tha: '02:00:00:00:00:0a',
      tpa: '10.0.0.1',
    });
    const pin = (port: number, data: Uint8Array) =>
      sw.send({
        type: 'PACKET_IN',
        bufferId: OFP_NO_BUFFER,
        totalLen: data.length,
        reason: 0,
        tableId: 0,
        cookie: 0x1fn,
        match: [{ field: 'IN_PORT', value: port }],
        data,
      });
    pin(1, a);
    expect(await sw.next((m) => m.type === 'PACKET_OUT')).toMatchObject({
      inPort: 1,
      actions: [{ type: 'OUTPUT', port: OFPP.FLOOD }],
    });
    pin(2, b);
    const flow = await sw.next((m) => m.type === 'FLOW_MOD' && m.priority === 1);
    expect(flow).toMatchObject({
      idleTimeout: 30,
      match: [
        { field: 'IN_PORT', value: 2 },
        { field: 'ETH_SRC', value: '02:00:00:00:00:0b' },
        { field: 'ETH_DST', value: '02:00:00:00:00:0a' },
      ],
      instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 1 }] }],
    });
  });

  it('answers 404 for an unknown switch and 400 for bodies Ryu would refuse', async () => {
    await fake(ofc, 8n);
    const missing = await http('GET', `${ofc.api}/stats/flow/9`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({
      error: 'Not Found',
      message: expect.stringContaining('no switch with datapath id 9'),
    });
    expect((await http('POST', `${ofc.api}/stats/flowentry/add`, { dpid: 9 })).status).toBe(404);
    const unknown = await http('POST', `${ofc.api}/stats/flowentry/add`, { dpid: 8, match: { nw_tos: 1 } });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ error: 'Bad Request', message: 'unknown match field "nw_tos"' });
    expect((await http('POST', `${ofc.api}/stats/flowentry/add`, { match: {} })).status).toBe(400); // no dpid: the schema
    expect((await http('POST', `${ofc.api}/stats/flowentry/add`, '{"dpid": 8,')).json).toMatchObject({
      error: 'Bad Request',
      message: expect.stringContaining('not JSON'),
    });
    expect((await http('POST', `${ofc.api}/stats/flowentry/jump`, { dpid: 8 })).status).toBe(404);
    expect((await http('GET', `${ofc.api}/stats/flow/zz`)).status).toBe(400);
  });

  it("turns the switch's ERROR into 4xx/5xx naming its type and code", async () => {
    const sw = await fake(ofc, 10n, (m) =>
      m.type === 'FLOW_MOD' && m.priority === 4242
        ? {
            type: 'ERROR',
            xid: m.xid,
            errType: OFPET.BAD_MATCH,
            code: errorCode('BAD_MATCH', 'BAD_PREREQ'),
            data: new Uint8Array(0),
          }
        : m.type === 'GROUP_MOD'
          ? {
              type: 'ERROR',
              xid: m.xid,
              errType: OFPET.GROUP_MOD_FAILED,
              code: errorCode('GROUP_MOD_FAILED', 'GROUP_EXISTS'),
              data: new Uint8Array(0),
            }
          : undefined,
    );
    const r = await http('POST', `${ofc.api}/stats/flowentry/add`, {
      dpid: 10,
      priority: 4242,
      match: { nw_dst: '10.0.0.1' },
      actions: [],
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      error: 'OFPET_BAD_MATCH',
      code: 'OFPBMC_BAD_PREREQ',
      message: 'the switch refused the request: OFPET_BAD_MATCH OFPBMC_BAD_PREREQ',
      error_type: 4,
      error_code: 9,
    });
    const g = await http('POST', `${ofc.api}/stats/groupentry/add`, { dpid: 10, group_id: 1, buckets: [] });
    expect(g.status).toBe(409);
    expect(g.json).toMatchObject({ error: 'OFPET_GROUP_MOD_FAILED', code: 'OFPGMFC_GROUP_EXISTS' });
    const ok = await http('POST', `${ofc.api}/stats/flowentry/add`, {
      dpid: 10,
      priority: 1,
      actions: [{ type: 'OUTPUT', port: 1 }],
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('');
    expect(sw.received.some((m) => m.type === 'FLOW_MOD' && m.priority === 1 && m.tableId === 0)).toBe(true);
  });

  it('answers 504 when the switch does not answer in time, 502 when it goes away meanwhile', async () => {
    const sw = await fake(ofc, 11n, (m) =>
      m.type === 'MULTIPART_REQUEST' && (m.mpType === 'TABLE' || m.mpType === 'GROUP') ? 'ignore' : undefined,
    );
    const slow = await http('GET', `${ofc.api}/stats/table/11`);
    expect(slow.status).toBe(504);
    expect(slow.json).toMatchObject({ error: 'Gateway Timeout' });
    const pending = http('GET', `${ofc.api}/stats/group/11`);
    await sw.next((m) => m.type === 'MULTIPART_REQUEST' && m.mpType === 'GROUP');
    sw.close();
    const gone = await pending;
    expect(gone.status).toBe(502);
  });

  it('takes bodies the way Ryu clients send them: curl -d (form-encoded), no content type, exact big numbers', async () => {
    const sw = await fake(ofc, BIG - 1n);
    const body = `{"dpid": ${BIG - 1n}, "cookie": 18446744073709551615, "priority": "0x10", "match": {"in_port": 1}, "actions": [{"type": "OUTPUT", "port": "CONTROLLER"}]}`;
    const form = await http('POST', `${ofc.api}/stats/flowentry/add`, body, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(200);
    const fm = await sw.next((m) => m.type === 'FLOW_MOD' && m.priority === 16);
    expect(fm).toMatchObject({ cookie: 0xffffffffffffffffn, match: [{ field: 'IN_PORT', value: 1 }] });
    const r = await fetch(`${ofc.api}/stats/flowentry/delete`, {
      method: 'POST',
      body: `{"dpid": "${BIG - 1n}"}`,
    });
    expect(r.status).toBe(200);
  });

  it('streams switch events with decoded headers, filtered by event and dpid', async () => {
    const all = await EventStream.open(`${ofc.api.replace('http', 'ws')}/v1/events`);
    const some = await EventStream.open(
      `${ofc.api.replace('http', 'ws')}/v1/events?event=packet_in,error&dpid=0x${BIG.toString(16)}`,
    );
    const sw = await fake(ofc, BIG);
    const enter = await all.next((e) => e['event'] === 'switch_enter' && e['dpid'] === BIG);
    expect(enter).toMatchObject({
      n_tables: 4,
      desc: { sw_desc: 'fake-switch' },
      ports: [{ port_no: 1, name: 'p1' }, { port_no: 2 }, { port_no: 3 }],
    });
    const arp = buildArp({
      op: 'request',
      srcMac: '02:00:00:00:00:0a',
      sha: '02:00:00:00:00:0a',
      spa: '10.0.0.1',
      tpa: '10.0.0.2',
    });
    sw.send({
      type: 'PACKET_IN',
      bufferId: OFP_NO_BUFFER,
      totalLen: arp.length,
      reason: 1,
      tableId: 0,
      cookie: 5n,
      match: [{ field: 'IN_PORT', value: 3 }],
      data: arp,
    });
    sw.send({ type: 'ERROR', xid: 0, errType: OFPET.BAD_REQUEST, code: 1, data: new Uint8Array([4, 99]) });
    sw.send({
      type: 'PORT_STATUS',
      reason: 1,
      desc: {
        portNo: 3,
        hwAddr: '02:00:00:00:00:03',
        name: 'p3',
        config: 0,
        state: 1,
        curr: 0,
        advertised: 0,
        supported: 0,
        peer: 0,
        currSpeed: 0,
        maxSpeed: 0,
      },
    });
    const pin = await some.next((e) => e['event'] === 'packet_in');
    expect(pin).toMatchObject({
      dpid: BIG,
      in_port: 3,
      reason: 'ACTION',
      cookie: 5,
      match: { in_port: 3 },
      packet: {
        eth_src: '02:00:00:00:00:0a',
        eth_dst: 'ff:ff:ff:ff:ff:ff',
        eth_type: 0x0806,
        arp_op: 1,
        arp_spa: '10.0.0.1',
        arp_tpa: '10.0.0.2',
      },
      data: Buffer.from(arp).toString('hex'),
    });
    expect(await some.next((e) => e['event'] === 'error')).toMatchObject({
      error: 'OFPET_BAD_REQUEST',
      code: 'OFPBRC_BAD_TYPE',
      data: '0463',
    });
    expect(await all.next((e) => e['event'] === 'port_status')).toMatchObject({
      reason: 'DELETE',
      port: { port_no: 3 },
    });
    sw.close();
    expect(await all.next((e) => e['event'] === 'switch_leave' && e['dpid'] === BIG)).toMatchObject({
      reason: expect.any(String),
    });
    expect(some.events.map((e) => e['event'])).toEqual(['hello', 'packet_in', 'error']);
    all.close();
    some.close();
  });

  it('a switch that connects again under the same datapath id replaces its old connection', async () => {
    const events = await EventStream.open(`${ofc.api.replace('http', 'ws')}/v1/events?dpid=12`);
    const first = await fake(ofc, 12n);
    const closed = new Promise((resolve) => first.conn.once('close', resolve));
    await fake(ofc, 12n);
    await closed;
    await events.next((e) => e['event'] === 'switch_leave');
    expect(events.events.map((e) => e['event'])).toEqual([
      'hello',
      'switch_enter',
      'switch_leave',
      'switch_enter',
    ]);
    expect(
      ((await http('GET', `${ofc.api}/stats/switches`)).json as number[]).filter((d) => d === 12),
    ).toHaveLength(1);
    events.close();
  });

  it('serves an OpenAPI document of every route', async () => {
    const doc = (await http('GET', `${ofc.api}/openapi.json`)).json as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const expected = [
      'GET /stats/switches',
      'GET /stats/desc/{dpid}',
      'GET /stats/flow/{dpid}',
      'POST /stats/flow/{dpid}',
      'GET /stats/flowdesc/{dpid}',
      'POST /stats/flowdesc/{dpid}',
      'GET /stats/aggregateflow/{dpid}',
      'POST /stats/aggregateflow/{dpid}',
      'GET /stats/port/{dpid}',
      'GET /stats/port/{dpid}/{port}',
      'GET /stats/portdesc/{dpid}',
      'GET /stats/table/{dpid}',
      'GET /stats/tablefeatures/{dpid}',
      'GET /stats/queue/{dpid}',
      'GET /stats/queueconfig/{dpid}',
      'GET /stats/group/{dpid}',
      'GET /stats/groupdesc/{dpid}',
      'GET /stats/groupfeatures/{dpid}',
      'GET /stats/meter/{dpid}',
      'GET /stats/meterconfig/{dpid}',
      'GET /stats/meterfeatures/{dpid}',
      'GET /stats/role/{dpid}',
      ...['add', 'modify', 'modify_strict', 'delete', 'delete_strict'].map(
        (c) => `POST /stats/flowentry/${c}`,
      ),
      'DELETE /stats/flowentry/clear/{dpid}',
      ...['add', 'modify', 'delete'].flatMap((c) => [
        `POST /stats/groupentry/${c}`,
        `POST /stats/meterentry/${c}`,
      ]),
      'POST /stats/portdesc/modify',
      'POST /stats/role',
      'POST /stats/sendpacket',
      'POST /stats/experimenter/{dpid}',
      'GET /v1/events',
      'GET /openapi.json',
    ];
    for (const r of expected) expect(routes).toContain(r);
    // the event stream is a websocket: a plain GET is told so
    expect(await http('GET', `${ofc.api}/v1/events`)).toMatchObject({
      status: 426,
      json: { error: 'Upgrade Required' },
    });
    const add = doc.paths['/stats/flowentry/add']?.['post'] as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    };
    expect(Object.keys(Object.values(add.requestBody.content)[0]?.schema.properties ?? {})).toEqual(
      expect.arrayContaining([
        'dpid',
        'cookie',
        'cookie_mask',
        'table_id',
        'idle_timeout',
        'hard_timeout',
        'priority',
        'flags',
        'match',
        'actions',
      ]),
    );
  });
});

describe('apps', () => {
  afterEach(stopAllOfc);

  it('an app module (the README example) installs its flow on connect; hub floods through the controller', async () => {
    const ofc = await startOfc(['--listen', 'ptcp:0', '--app', 'hub', '--app', EXAMPLE, '--admin', '0']);
    const sw = await fake(ofc, 3n);
    await sw.next((m) => m.type === 'FLOW_MOD' && m.cookie === 6n);
    expect(sw.received.find((m) => m.type === 'FLOW_MOD' && m.cookie === 6n)).toMatchObject({
      priority: 100,
      match: [{ field: 'ETH_TYPE', value: 0x86dd }],
      instructions: [],
    });
    // the hub's table-miss was sent first: apps run in the order given
    expect(sw.received.findIndex((m) => m.type === 'FLOW_MOD' && m.cookie === 0x2fn)).toBeLessThan(
      sw.received.findIndex((m) => m.type === 'FLOW_MOD' && m.cookie === 6n),
    );
    const frame = new Uint8Array(60).fill(0xff);
    sw.send({
      type: 'PACKET_IN',
      bufferId: 77,
      totalLen: 60,
      reason: 0,
      tableId: 0,
      cookie: 0n,
      match: [{ field: 'IN_PORT', value: 2 }],
      data: frame,
    });
    const out = await sw.next((m) => m.type === 'PACKET_OUT');
    expect(out).toMatchObject({ bufferId: 77, inPort: 2, actions: [{ type: 'OUTPUT', port: OFPP.FLOOD }] });
    expect(out.type === 'PACKET_OUT' && out.data.length).toBe(0); // buffered: the switch has the frame
    await expect
      .poll(async () => (await http('GET', `${ofc.admin}/metrics`)).text)
      .toContain('ofc_no_ipv6_packet_ins_total{dpid="3"} 1');
    expect(ofc.logs.some((l) => l.msg === 'dropping IPv6 on 0000000000000003')).toBe(true);
  });

  it("holds a switch's messages until every app's onSwitchEnter has finished", async () => {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
    const ofc = await startOfc(['--listen', 'ptcp:0', '--app', path.join(dir, 'slow-enter.mjs')]);
    const sw = await FakeSwitch.connect(ofc.port, {
      dpid: 4n,
      script: (m) => {
        if (m.type === 'MULTIPART_REQUEST' && m.mpType === 'DESC') {
          // a PACKET_IN right behind the last handshake reply
          setImmediate(() =>
            sw.send({
              type: 'PACKET_IN',
              bufferId: OFP_NO_BUFFER,
              totalLen: 0,
              reason: 0,
              tableId: 0,
              cookie: 0n,
              match: [],
              data: new Uint8Array(14),
            }),
          );
        }
        return undefined;
      },
    });
    switches.push(sw);
    const order = await ofc.waitFor((l) => l.msg === 'slow-enter: order', 10_000);
    expect(order['order']).toEqual(['enter start', 'enter done', 'packet in']);
  });

  it('refuses bad combinations and files with a usage error', async () => {
    const err: string[] = [];
    const run = async (argv: string[]) => {
      err.length = 0;
      const s = await startService(ofcService, {
        argv,
        env: {},
        stderr: { write: (t: string) => err.push(t) },
        logDestination: new PassThrough(),
      });
      return { code: await s.done, text: err.join('') };
    };
    expect(await run(['--app', 'learning', '--app', 'hub'])).toMatchObject({
      code: 2,
      text: expect.stringContaining('learning and hub both forward'),
    });
    expect(await run(['--app', 'static'])).toMatchObject({
      code: 2,
      text: expect.stringContaining('--app static needs --static-flows FILE'),
    });
    expect(await run(['--app', 'teleport'])).toMatchObject({
      code: 2,
      text: expect.stringContaining('unknown app "teleport"'),
    });
    expect(await run(['--listen', 'tcp:1.2.3.4'])).toMatchObject({
      code: 2,
      text: expect.stringContaining('a passive one'),
    });
    expect(await run(['--listen', 'pssl:0'])).toMatchObject({
      code: 2,
      text: expect.stringContaining('--private-key and --certificate'),
    });
    const bad = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'bad-flows.txt');
    const r = await run(['--listen', 'ptcp:0', '--app', 'static', '--static-flows', bad]);
    expect(r.code).toBe(2);
    expect(r.text).toContain(`${bad}:3: `);
    expect(readFileSync(bad, 'utf8').split('\n')[2]).toContain('nw_dst');
  });
});

describe('keepalive', () => {
  afterEach(stopAllOfc);

  it('a silent switch is dropped after three inactivity probes; one that answers ECHO stays', async () => {
    const ofc = await startOfc([
      '--listen',
      'ptcp:0',
      '--api',
      '0',
      '--inactivity-probe',
      '0.2',
      '--app',
      'hub',
    ]);
    const events = await EventStream.open(`${ofc.api.replace('http', 'ws')}/v1/events?event=switch_leave`);
    const alive = await fake(ofc, 21n);
    const silent = await fake(ofc, 22n);
    silent.conn.stream.pause(); // reads nothing more, so answers no ECHO_REQUEST
    const leave = await events.next((e) => e['dpid'] === 22, 5000, 'the silent switch to be dropped');
    expect(leave['reason']).toMatch(/nothing received for \d+ ms/);
    await new Promise((r) => setTimeout(r, 800)); // > 3 probes
    expect(alive.conn.isClosed).toBe(false);
    expect((await http('GET', `${ofc.api}/stats/switches`)).json).toEqual([21]);
    expect(events.events.filter((e) => e['event'] === 'switch_leave')).toHaveLength(1);
    events.close();
  });
});
