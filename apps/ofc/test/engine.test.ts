// ofc against the project's own switch engine (@rumpflow/openflow-switch): a Datapath hosted
// in this process behind a real TCP connection, either connecting to ofc's listener or
// listening for ofc to connect (--connect). The handshake (FEATURES, PORT_DESC, DESC), the
// learning app end to end (frames flooded, flows installed, then forwarded by the engine
// without the controller), the REST flow entry round trip, the engine's own refusals mapped
// to HTTP answers, and table, aggregate and port statistics with exact counters.
//
// The engine delivers frames and sends PACKET_INs synchronously inside receiveFrame(), so
// "forwarded by the switch, no PACKET_IN" is checked at once after injecting a frame; what
// goes through ofc (PACKET_OUT, events) is polled for.

import net from 'node:net';
import { type Message, MessageFramer, decode } from '@rumpflow/openflow';
import { Datapath } from '@rumpflow/openflow-switch';
import { buildArp, buildUdp } from '@rumpflow/packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventStream, http, type OfcInstance, startOfc } from './ofc.js';

const DPID = 0x0000000000000abcn; // 2748
const D = DPID.toString();
const HOOK_MS = 30_000;

/** Host n's MAC and IPv4 address (host n sits behind port n). */
const mac = (n: number) => `0e:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
const ip = (n: number) => `10.0.0.${n}`;
const udp = (from: number, to: number, seq = 0) =>
  buildUdp({
    srcMac: mac(from),
    dstMac: mac(to),
    src: ip(from),
    dst: ip(to),
    srcPort: 1000 + seq,
    dstPort: 2000 + to,
    padTo: 60,
  });

/** Retry `check` until it passes (it throws while not yet); its last error after `timeoutMs`. */
async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() >= deadline) throw e;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The engine with three ports whose transmitted frames are recorded, hosted on TCP sockets:
 * every OpenFlow message the engine sends its controllers is decoded and kept.
 */
class EngineSwitch {
  readonly dp: Datapath;
  /** Frames each port transmitted (copies). */
  readonly sent = new Map<number, Uint8Array[]>();
  /** Frames injected (received on ports) and their bytes. */
  readonly injected = { packets: 0, bytes: 0 };
  /** Every message the engine sent to a controller, in order. */
  readonly toController: Message[] = [];
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(dpid: bigint, ports: readonly number[] = [1, 2, 3]) {
    const t0 = performance.now();
    this.dp = new Datapath({
      datapathId: dpid,
      nTables: 4,
      now: () => performance.now() - t0,
      description: { dpDesc: 'ofc engine test' },
    });
    for (const n of ports) {
      const frames: Uint8Array[] = [];
      this.sent.set(n, frames);
      this.dp.addPort({
        portNo: n,
        name: `eth${n}`,
        hwAddr: `02:00:00:00:0a:${n.toString(16).padStart(2, '0')}`,
        send: (f) => frames.push(Uint8Array.from(f)),
      });
    }
    this.timer = setInterval(() => this.dp.tick(), 1000);
    this.timer.unref();
  }

  /** Host one controller channel on `socket`. */
  attach(socket: net.Socket): void {
    this.sockets.add(socket);
    const framer = new MessageFramer();
    const ch = this.dp.openChannel(
      (bytes) => {
        for (const m of framer.push(Uint8Array.from(bytes))) this.toController.push(decode(m));
        socket.write(bytes);
      },
      { onClose: () => socket.end() },
    );
    socket.on('data', (chunk: Buffer) => ch.receive(chunk));
    socket.on('close', () => {
      ch.close();
      this.sockets.delete(socket);
    });
    socket.on('error', () => ch.close());
  }

  /** Connect actively to a controller listening on 127.0.0.1:port. */
  async connect(port: number): Promise<void> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    this.attach(socket);
  }

  /** Listen on a free port of 127.0.0.1 for a controller to connect; returns the port. */
  async listen(): Promise<number> {
    const server = net.createServer((s) => this.attach(s));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  }

  /** Drop the controller connections (the listener, if any, stays). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** A frame received from the wire on `port`. */
  inject(port: number, frame: Uint8Array): void {
    this.injected.packets++;
    this.injected.bytes += frame.length;
    this.dp.receiveFrame(port, frame);
  }

  /** PACKET_INs the engine sent so far. */
  get packetIns(): number {
    return this.toController.filter((m) => m.type === 'PACKET_IN').length;
  }

  /** How many frames each port transmitted: { 1: n, 2: n, 3: n }. */
  txCounts(): Record<number, number> {
    return Object.fromEntries([...this.sent].map(([p, f]) => [p, f.length]));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.dropConnections();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

type Stats = Record<string, Record<string, unknown>[]>;

/** REST helpers bound to one ofc. */
function restOf(ofc: () => OfcInstance) {
  const api = (p: string) => `${ofc().api}${p}`;
  const get = async (p: string) => {
    const r = await http('GET', api(p));
    if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${r.text}`);
    return r.json as Stats;
  };
  const post = (p: string, body?: unknown) => http('POST', api(p), body);
  const ok = async (p: string, body?: unknown) => {
    const r = await post(p, body);
    expect(r.status, `${p}: ${r.text}`).toBe(200);
    return r;
  };
  const one = async (p: string) => (await get(p))[D] ?? [];
  const flows = async (filter?: unknown) =>
    filter === undefined
      ? await one(`/stats/flow/${D}`)
      : (((await ok(`/stats/flow/${D}`, filter)).json as Stats)[D] ?? []);
  return { api, get, post, ok, one, flows };
}

const tableMiss = (f: Record<string, unknown>) =>
  f['priority'] === 0 && JSON.stringify(f['actions']) === '["OUTPUT:CONTROLLER"]';

describe('ofc with the engine connecting to its listener', () => {
  let ofc: OfcInstance;
  let events: EventStream;
  let sw: EngineSwitch;
  const { api, get, post, ok, one, flows } = restOf(() => ofc);
  const packetInEvents = () => events.events.filter((e) => e['event'] === 'packet_in' && e['dpid'] === 2748);

  beforeAll(async () => {
    ofc = await startOfc(['--listen', 'ptcp:0:127.0.0.1', '--api', '0', '--app', 'learning']);
    events = await EventStream.open(`${ofc.api.replace('http', 'ws')}/v1/events`);
    sw = new EngineSwitch(DPID);
    await sw.connect(ofc.port);
    await events.next(
      (e) => e['event'] === 'switch_enter' && e['dpid'] === 2748,
      10_000,
      'the engine to enter',
    );
    // the learning app's table-miss entry is in before any frame is injected
    await eventually(async () => expect((await flows()).some(tableMiss)).toBe(true));
  }, HOOK_MS);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    console.warn(
      [
        `engine -> ofc: ${sw.toController.map((m) => m.type).join(', ')}`,
        ...ofc.logs.filter((l) => l.level >= 40).map((l) => JSON.stringify(l)),
      ].join('\n'),
    );
  });

  afterAll(async () => {
    events?.close();
    try {
      await ofc?.stop();
    } finally {
      await sw?.close();
    }
  }, HOOK_MS);

  it('knows the engine by its datapath id, with its FEATURES, DESC and ports', async () => {
    expect((await http('GET', api('/stats/switches'))).json).toEqual([2748]);
    const enter = events.events.find((e) => e['event'] === 'switch_enter' && e['dpid'] === 2748);
    expect(enter).toMatchObject({ n_tables: 4, n_buffers: 256 });
    const desc = (await get(`/stats/desc/${D}`))[D] as unknown as Record<string, string>;
    expect(desc).toEqual({
      mfr_desc: sw.dp.description.mfrDesc,
      hw_desc: sw.dp.description.hwDesc,
      sw_desc: sw.dp.description.swDesc,
      serial_num: sw.dp.description.serialNum,
      dp_desc: 'ofc engine test',
    });
    expect(desc['mfr_desc']).toBe('rumpflow');
    // hex dpid in the path too
    expect((await http('GET', api('/stats/desc/0xabc'))).status).toBe(200);
    const ports = await one(`/stats/portdesc/${D}`);
    expect(ports.map((p) => [p['port_no'], p['name'], p['hw_addr']])).toEqual([
      [1, 'eth1', '02:00:00:00:0a:01'],
      [2, 'eth2', '02:00:00:00:0a:02'],
      [3, 'eth3', '02:00:00:00:0a:03'],
    ]);
    // the engine answered the handshake ofc is documented to do
    expect(
      sw.toController.map((m) => (m.type === 'MULTIPART_REPLY' ? m.mpType : m.type)).slice(0, 4),
    ).toEqual(['HELLO', 'FEATURES_REPLY', 'PORT_DESC', 'DESC']);
    expect(sw.dp.channels[0]?.missSendLen).toBe(0xffff);
  });

  it('learning: floods the unknown, installs flows, then the engine forwards without PACKET_IN', async () => {
    const tx = () => sw.txCounts();
    const last = (port: number) => sw.sent.get(port)?.at(-1);

    // A (port 1) asks for B: broadcast, to the controller, flooded out of 2 and 3, never 1
    const arpRequest = buildArp({
      op: 'request',
      srcMac: mac(1),
      sha: mac(1),
      spa: ip(1),
      tpa: ip(2),
      padTo: 60,
    });
    sw.inject(1, arpRequest);
    expect(sw.packetIns).toBe(1);
    await eventually(() => expect(tx()).toEqual({ 1: 0, 2: 1, 3: 1 }));
    expect(last(2)).toEqual(new Uint8Array(arpRequest));
    expect(last(3)).toEqual(new Uint8Array(arpRequest));

    // B (port 2) answers A: A is known, so a flow in_port=2,B->A -> 1, and the reply out of 1
    const arpReply = buildArp({
      op: 'reply',
      srcMac: mac(2),
      sha: mac(2),
      spa: ip(2),
      tha: mac(1),
      tpa: ip(1),
      padTo: 60,
    });
    sw.inject(2, arpReply);
    expect(sw.packetIns).toBe(2);
    await eventually(() => expect(tx()).toEqual({ 1: 1, 2: 1, 3: 1 }));
    expect(last(1)).toEqual(new Uint8Array(arpReply));
    const learned = (await flows()).filter((f) => f['priority'] === 1);
    expect(learned).toEqual([
      expect.objectContaining({
        cookie: 31,
        idle_timeout: 60,
        hard_timeout: 0,
        flags: 1,
        table_id: 0,
        match: { in_port: 2, dl_src: mac(2), dl_dst: mac(1) },
        actions: ['OUTPUT:1'],
        packet_count: 0,
      }),
    ]);

    // B -> A is now the engine's alone: out of port 1 at once, no PACKET_IN
    const ba = udp(2, 1, 1);
    sw.inject(2, ba);
    expect(sw.packetIns).toBe(2);
    expect(tx()).toEqual({ 1: 2, 2: 1, 3: 1 });
    expect(last(1)).toEqual(new Uint8Array(ba));

    // A -> B goes to the controller once more (no flow that way yet): flow in_port=1,A->B -> 2
    sw.inject(1, udp(1, 2, 1));
    expect(sw.packetIns).toBe(3);
    await eventually(() => expect(tx()).toEqual({ 1: 2, 2: 2, 3: 1 }));
    await eventually(async () =>
      expect((await flows()).filter((f) => f['priority'] === 1).map((f) => f['match'])).toContainEqual({
        in_port: 1,
        dl_src: mac(1),
        dl_dst: mac(2),
      }),
    );

    // from now on both ways are forwarded by the engine directly, each to its one port
    for (let i = 0; i < 3; i++) {
      const ab = udp(1, 2, 10 + i);
      sw.inject(1, ab);
      expect(last(2)).toEqual(new Uint8Array(ab));
      const back = udp(2, 1, 10 + i);
      sw.inject(2, back);
      expect(last(1)).toEqual(new Uint8Array(back));
    }
    expect(sw.packetIns).toBe(3);
    expect(tx()).toEqual({ 1: 5, 2: 5, 3: 1 }); // nothing leaked to port 3

    // a sentinel through the controller (C on port 3 -> A): once its event is in, every
    // PACKET_IN the engine sent before it has been streamed too, so the count is final
    sw.inject(3, udp(3, 1, 99));
    expect(sw.packetIns).toBe(4);
    await events.next(
      (e) => e['event'] === 'packet_in' && (e['packet'] as Record<string, unknown>)['eth_src'] === mac(3),
      10_000,
      "the sentinel's packet_in",
    );
    expect(packetInEvents()).toHaveLength(4);
    expect(packetInEvents().map((e) => [e['in_port'], e['reason']])).toEqual([
      [1, 'NO_MATCH'],
      [2, 'NO_MATCH'],
      [1, 'NO_MATCH'],
      [3, 'NO_MATCH'],
    ]);
    expect(packetInEvents()[0]).toMatchObject({
      total_len: 60,
      packet: { eth_src: mac(1), eth_dst: 'ff:ff:ff:ff:ff:ff', arp_op: 1, arp_tpa: ip(2) },
    });
    await eventually(() => expect(tx()).toEqual({ 1: 6, 2: 5, 3: 1 }));

    // the flows' counters are the engine's true ones (every learning flow has cookie 0x1f)
    const byMatch = Object.fromEntries(
      (await flows({ cookie: 31, cookie_mask: '0xffffffffffffffff' })).map((f) => [
        JSON.stringify(f['match']),
        [f['packet_count'], f['byte_count']],
      ]),
    );
    expect(byMatch).toEqual({
      [JSON.stringify({ in_port: 2, dl_src: mac(2), dl_dst: mac(1) })]: [4, 4 * 60],
      [JSON.stringify({ in_port: 1, dl_src: mac(1), dl_dst: mac(2) })]: [3, 3 * 60],
      [JSON.stringify({ in_port: 3, dl_src: mac(3), dl_dst: mac(1) })]: [0, 0],
      [JSON.stringify({})]: [4, 4 * 60], // the table-miss entry: the four PACKET_INs
    });
  });

  it('table, aggregate, table features and port statistics carry the true counters', async () => {
    // every injected frame (all 60 bytes) was looked up in table 0 and matched one entry there
    const { packets, bytes } = sw.injected;
    expect(packets).toBe(11);
    const tables = await one(`/stats/table/${D}`);
    expect(tables).toEqual([
      { table_id: 0, active_count: 4, lookup_count: packets, matched_count: packets },
      { table_id: 1, active_count: 0, lookup_count: 0, matched_count: 0 },
      { table_id: 2, active_count: 0, lookup_count: 0, matched_count: 0 },
      { table_id: 3, active_count: 0, lookup_count: 0, matched_count: 0 },
    ]);
    expect((await one(`/stats/aggregateflow/${D}`))[0]).toEqual({
      packet_count: packets,
      byte_count: bytes,
      flow_count: 4,
    });
    // filtered: the entries at least as specific as in_port=2 (the flow B -> A alone)
    const b2a = (await post(`/stats/aggregateflow/${D}`, { match: { in_port: 2 } })).json as Stats;
    expect(b2a[D]?.[0]).toEqual({ packet_count: 4, byte_count: 4 * 60, flow_count: 1 });

    // the engine's table features say what it executes: OUTPUT alone, applied or written
    const features = await one(`/stats/tablefeatures/${D}`);
    expect(features.map((t) => t['table_id'])).toEqual([0, 1, 2, 3]);
    const props = features[0]?.['properties'] as Record<string, unknown>[];
    for (const type of ['APPLY_ACTIONS', 'WRITE_ACTIONS'])
      // every OpenFlow 1.3 action but EXPERIMENTER
      expect(
        (props.find((p) => p['type'] === type)?.['action_ids'] as { type: number }[]).map((a) => a.type),
      ).toEqual([0, 11, 12, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]);

    const ports = Object.fromEntries((await one(`/stats/port/${D}`)).map((p) => [String(p['port_no']), p]));
    for (const n of [1, 2, 3]) {
      const p = sw.dp.port(n);
      expect(ports[String(n)]).toMatchObject({
        rx_packets: p?.rxPackets,
        rx_bytes: p?.rxBytes,
        tx_packets: sw.sent.get(n)?.length,
        tx_bytes: (sw.sent.get(n)?.length ?? 0) * 60,
        rx_dropped: 0,
        tx_dropped: 0,
      });
    }
    expect(ports['1']).toMatchObject({ rx_packets: 5, tx_packets: 6 });
    expect(ports['3']).toMatchObject({ rx_packets: 1, tx_packets: 1 });
    expect((await one(`/stats/port/${D}/2`)).map((p) => p['port_no'])).toEqual([2]);
  });

  it('flow entries: add, forward, modify, delete_strict with FLOW_REMOVED, against the engine', async () => {
    const mark = events.events.length;
    const flow = { dpid: 2748, cookie: 0x77, priority: 100, flags: 1, match: { in_port: 3 } };
    await ok('/stats/flowentry/add', { ...flow, actions: [{ type: 'OUTPUT', port: 2 }] });
    const mine = () => flows({ cookie: 0x77, cookie_mask: 0xff });
    expect(await mine()).toEqual([
      expect.objectContaining({ priority: 100, flags: 1, match: { in_port: 3 }, actions: ['OUTPUT:2'] }),
    ]);
    // the engine now sends port 3's traffic out of port 2 itself
    const pis = sw.packetIns;
    const before = sw.txCounts();
    const f = udp(3, 7, 1);
    sw.inject(3, f);
    expect(sw.packetIns).toBe(pis);
    expect(sw.txCounts()).toEqual({ ...before, 2: (before[2] ?? 0) + 1 });
    expect(sw.sent.get(2)?.at(-1)).toEqual(new Uint8Array(f));

    await ok('/stats/flowentry/modify', {
      dpid: 2748,
      cookie: 0x77,
      cookie_mask: 0xff,
      match: { in_port: 3 },
      actions: [{ type: 'OUTPUT', port: 'FLOOD' }],
    });
    expect(await mine()).toEqual([
      expect.objectContaining({ actions: ['OUTPUT:FLOOD'], packet_count: 1, byte_count: 60 }),
    ]);
    sw.inject(3, udp(3, 7, 2));
    expect(sw.packetIns).toBe(pis);
    expect(sw.txCounts()).toEqual({ 1: (before[1] ?? 0) + 1, 2: (before[2] ?? 0) + 2, 3: before[3] });

    // a strict delete with the wrong priority deletes nothing; the right one removes it
    await ok('/stats/flowentry/delete_strict', { ...flow, priority: 99 });
    expect(await mine()).toHaveLength(1);
    await ok('/stats/flowentry/delete_strict', flow);
    expect(await mine()).toEqual([]);
    expect(
      await events.next(
        (e) => events.events.indexOf(e) >= mark && e['event'] === 'flow_removed' && e['cookie'] === 0x77,
        10_000,
        'FLOW_REMOVED',
      ),
    ).toMatchObject({
      dpid: 2748,
      reason: 'DELETE',
      priority: 100,
      table_id: 0,
      match: { in_port: 3 },
      packet_count: 2,
      byte_count: 120,
    });
    // port 3's traffic is the controller's again
    sw.inject(3, udp(3, 7, 3));
    expect(sw.packetIns).toBe(pis + 1);

    // add with a match of several fields and a reserved port, then delete by cookie (non-strict)
    await ok('/stats/flowentry/add', {
      dpid: 2748,
      cookie: 0x78,
      table_id: 2,
      priority: 5,
      match: { dl_type: 0x0800, nw_proto: 17, nw_dst: '10.1.0.0/16', tp_dst: 53 },
      actions: [{ type: 'OUTPUT', port: 'CONTROLLER', max_len: 128 }],
    });
    expect(await flows({ table_id: 2 })).toEqual([
      expect.objectContaining({
        cookie: 0x78,
        table_id: 2,
        match: { dl_type: 2048, nw_proto: 17, nw_dst: '10.1.0.0/255.255.0.0', tp_dst: 53 },
        actions: ['OUTPUT:CONTROLLER'],
      }),
    ]);
    await ok('/stats/flowentry/delete', {
      dpid: 2748,
      table_id: 'ALL',
      cookie: 0x78,
      cookie_mask: '0xffffffffffffffff',
    });
    expect(await flows({ table_id: 2 })).toEqual([]);
  });

  it("maps the engine's own refusals to HTTP answers, and the engine stays connected", async () => {
    const prereq = await post('/stats/flowentry/add', {
      dpid: 2748,
      match: { nw_dst: '10.0.0.1' },
      actions: [],
    });
    expect(prereq.status).toBe(400);
    expect(prereq.json).toMatchObject({
      error: 'OFPET_BAD_MATCH',
      code: 'OFPBMC_BAD_PREREQ',
      error_type: 4,
      error_code: 9,
      message: expect.any(String),
    });
    // the engine refused it itself: the ERROR came over its channel
    expect(sw.toController).toContainEqual(expect.objectContaining({ type: 'ERROR', errType: 4, code: 9 }));

    // an action that cannot apply to the entry's packets is refused at installation
    const popVlan = await post('/stats/flowentry/add', {
      dpid: 2748,
      priority: 3,
      match: { in_port: 1 },
      actions: [{ type: 'POP_VLAN' }, { type: 'OUTPUT', port: 2 }],
    });
    expect(popVlan.status).toBe(400);
    expect(popVlan.json).toMatchObject({ error: 'OFPET_BAD_ACTION', code: 'OFPBAC_MATCH_INCONSISTENT' });

    const table = await post('/stats/flowentry/add', { dpid: 2748, table_id: 4, actions: [] });
    expect(table.status).toBe(400);
    expect(table.json).toMatchObject({ error: 'OFPET_FLOW_MOD_FAILED', code: 'OFPFMFC_BAD_TABLE_ID' });

    // none of those went in, and the switch is still there
    expect((await flows()).filter((f) => f['priority'] === 3 || f['priority'] === 0)).toHaveLength(1);
    expect((await http('GET', api('/stats/switches'))).json).toEqual([2748]);
    expect(events.events.some((e) => e['event'] === 'switch_leave')).toBe(false);
  });
});

describe('ofc connecting to the engine listening (--connect)', () => {
  let ofc: OfcInstance;
  let sw: EngineSwitch;
  const { api, one } = restOf(() => ofc);

  afterAll(async () => {
    try {
      await ofc?.stop();
    } finally {
      await sw?.close();
    }
  }, HOOK_MS);

  it('connects, runs the hub through the engine, and reconnects after the engine drops it', async () => {
    sw = new EngineSwitch(DPID);
    const port = await sw.listen();
    ofc = await startOfc(['--connect', `tcp:127.0.0.1:${port}`, '--app', 'hub', '--api', '0']);
    const events = await EventStream.open(`${ofc.api.replace('http', 'ws')}/v1/events?dpid=2748`);
    try {
      await events.next((e) => e['event'] === 'switch_enter', 10_000, 'the engine to be connected');
      expect(ofc.listeners).toEqual([]);
      expect((await http('GET', api('/stats/switches'))).json).toEqual([2748]);
      expect((await one(`/stats/portdesc/${D}`)).map((p) => p['port_no'])).toEqual([1, 2, 3]);
      await eventually(async () =>
        expect(await one(`/stats/flow/${D}`)).toEqual([
          expect.objectContaining({ cookie: 0x2f, priority: 0, actions: ['OUTPUT:CONTROLLER'] }),
        ]),
      );

      // the hub: every frame to the controller and back out of every other port
      sw.inject(1, udp(1, 2));
      expect(sw.packetIns).toBe(1);
      await eventually(() => expect(sw.txCounts()).toEqual({ 1: 0, 2: 1, 3: 1 }));
      await events.next((e) => e['event'] === 'packet_in', 10_000, 'the packet_in');
      sw.inject(2, udp(2, 1));
      expect(sw.packetIns).toBe(2);
      await eventually(() => expect(sw.txCounts()).toEqual({ 1: 1, 2: 1, 3: 2 }));
      expect(await one(`/stats/flow/${D}`)).toHaveLength(1); // the hub installs nothing else

      // the engine drops the connection; ofc connects again by itself
      sw.dropConnections();
      await events.next((e) => e['event'] === 'switch_leave', 10_000, 'the engine to leave');
      await eventually(
        () => expect(events.events.filter((e) => e['event'] === 'switch_enter')).toHaveLength(2),
        10_000,
      );
      expect(sw.dp.channels).toHaveLength(1);
      await eventually(async () =>
        expect((await one(`/stats/flow/${D}`)).map((f) => f['cookie'])).toEqual([0x2f]),
      );
      sw.inject(3, udp(3, 1));
      await eventually(() => expect(sw.txCounts()).toEqual({ 1: 2, 2: 2, 3: 2 }));
    } finally {
      events.close();
    }
  });
});
