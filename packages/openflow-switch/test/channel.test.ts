// Controller channels: negotiation, the simple requests, barriers, and every error path of
// malformed or unsupported input — driven only through OpenFlow bytes.

import {
  MessageFramer,
  OFPC,
  OFPCR_ROLE,
  OFPFC,
  OFPP,
  decode,
  encode,
  type Message,
  type UnsentMessage,
} from '@rumpflow/openflow';
import type { Channel } from '../src/index.js';
import { describe, expect, it } from 'vitest';
import { Controller, HELLO13, attach, fm, flowStatsRequest, makeSwitch, mp, udp } from './harness.js';

const hello = (version: number, bitmaps?: number[]): UnsentMessage => ({
  type: 'HELLO',
  version,
  elements: bitmaps ? [{ type: 'VERSIONBITMAP', bitmaps }] : [],
});

/** Bytes of a message with header fields overwritten. */
function patched(m: UnsentMessage, xid: number, patch: (b: Buffer) => void): Uint8Array {
  const b = Buffer.from(encode({ ...m, xid } as Message));
  patch(b);
  return b;
}

describe('HELLO and version negotiation', () => {
  it('sends its HELLO at once: version 0x04 with a version bitmap of 1.3 only', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp, false);
    expect(c.raw).toHaveLength(1);
    expect(c.inbox[0]).toEqual({
      type: 'HELLO',
      xid: 0,
      version: 4,
      elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x10] }],
    });
    expect(c.channel.negotiated).toBe(false);
  });

  const accepted: [string, UnsentMessage][] = [
    ['a bitmap with 1.0 and 1.3', hello(4, [0x12])],
    ['a bitmap of 1.3 to 1.5 from a 1.5 peer', hello(6, [0x70])],
    ['no bitmap, version 0x04', hello(4)],
    ['no bitmap, a later version (the smaller one, 1.3, is used)', hello(6)],
  ];
  it.each(accepted)('accepts %s', (_, h) => {
    const { dp } = makeSwitch();
    const c = new Controller(dp, h);
    expect(c.channel.negotiated).toBe(true);
    expect(c.one({ type: 'ECHO_REQUEST', data: new Uint8Array([1]) }, 'ECHO_REPLY').data).toEqual(
      new Uint8Array([1]),
    );
  });

  const refused: [string, UnsentMessage][] = [
    ['a bitmap without 1.3', hello(6, [0x60])],
    ['a bitmap of 1.0 only', hello(1, [0x02])],
    ['no bitmap, version 0x01', hello(1)],
  ];
  it.each(refused)('refuses %s with HELLO_FAILED/INCOMPATIBLE and closes', (_, h) => {
    const { dp } = makeSwitch();
    const c = new Controller(dp, false);
    c.take();
    c.send(h, 7);
    const [e] = c.take();
    expect(e).toMatchObject({ type: 'ERROR', xid: 7, errType: 0, code: 0 });
    expect(new TextDecoder().decode((e as { data: Uint8Array }).data)).toMatch(/OpenFlow 1\.3/);
    expect(c.closedWith).toMatch(/HELLO failed/);
    expect(c.channel.closed).toBe(true);
    expect(dp.channels).toHaveLength(0);
    c.send({ type: 'FEATURES_REQUEST' });
    expect(c.take()).toEqual([]);
  });

  it('refuses a first message that is not a HELLO', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp, false);
    c.take();
    c.send({ type: 'FEATURES_REQUEST' }, 9);
    expect(c.take()).toMatchObject([{ type: 'ERROR', xid: 9, errType: 0, code: 0 }]);
    expect(c.channel.closed).toBe(true);
  });

  it('ignores a second HELLO and unknown HELLO elements', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp, {
      type: 'HELLO',
      version: 4,
      elements: [
        { type: 'UNKNOWN', elementType: 9, data: new Uint8Array([1, 2, 3, 4]) },
        { type: 'VERSIONBITMAP', bitmaps: [0x10] },
      ],
    });
    c.ok(HELLO13);
    expect(c.channel.negotiated).toBe(true);
  });

  it('takes messages in any chunking, byte by byte included', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp, false);
    c.take();
    const bytes = Buffer.concat([
      encode({ ...HELLO13, xid: 1 } as Message),
      encode({ type: 'ECHO_REQUEST', xid: 2, data: new Uint8Array([5, 6]) }),
      encode({ type: 'FEATURES_REQUEST', xid: 3 }),
    ]);
    for (const b of bytes) c.sendRaw(Uint8Array.of(b));
    expect(c.take().map((m) => [m.type, m.xid])).toEqual([
      ['ECHO_REPLY', 2],
      ['FEATURES_REPLY', 3],
    ]);
  });
});

describe('ordering', () => {
  it('a controller feeding the channel from inside its send callback waits its turn', () => {
    const { dp } = makeSwitch();
    const seen: [string, number][] = [];
    const framer = new MessageFramer();
    const ch: Channel = dp.openChannel((bytes) => {
      for (const raw of framer.push(Uint8Array.from(bytes))) {
        const m = decode(raw);
        seen.push([m.type, m.xid]);
        // answer the first ECHO_REPLY at once with another request
        if (m.type === 'ECHO_REPLY' && m.xid === 2) ch.receive(encode({ type: 'BARRIER_REQUEST', xid: 9 }));
      }
    });
    ch.receive(
      Buffer.concat([
        encode({ ...HELLO13, xid: 1 } as Message),
        encode({ type: 'ECHO_REQUEST', xid: 2, data: new Uint8Array(0) }),
        encode({ type: 'ECHO_REQUEST', xid: 3, data: new Uint8Array(0) }),
      ]),
    );
    expect(seen).toEqual([
      ['HELLO', 0],
      ['ECHO_REPLY', 2],
      ['ECHO_REPLY', 3],
      ['BARRIER_REPLY', 9],
    ]);
  });
});

describe('simple requests', () => {
  it('ECHO_REQUEST: the same data back under the same xid', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const xid = c.send({ type: 'ECHO_REQUEST', data });
    expect(c.take()).toEqual([{ type: 'ECHO_REPLY', xid, data }]);
  });

  it('FEATURES_REPLY: datapath id, buffers, tables, true capabilities', () => {
    const { dp } = makeSwitch({ datapathId: 0xfedcba9876543210n, nTables: 12 });
    const c = new Controller(dp);
    const f = c.one({ type: 'FEATURES_REQUEST' }, 'FEATURES_REPLY');
    expect(f).toMatchObject({
      datapathId: 0xfedcba9876543210n,
      nBuffers: 256,
      nTables: 12,
      auxiliaryId: 0,
      reserved: 0,
    });
    expect(f.capabilities & (OFPC.FLOW_STATS | OFPC.TABLE_STATS | OFPC.PORT_STATS | OFPC.GROUP_STATS)).toBe(
      OFPC.FLOW_STATS | OFPC.TABLE_STATS | OFPC.PORT_STATS | OFPC.GROUP_STATS,
    );
    expect(f.capabilities & OFPC.IP_REASM).toBe(0);
  });

  it('GET/SET_CONFIG: fragment handling for the switch, miss_send_len per channel', () => {
    const { dp } = makeSwitch();
    const a = new Controller(dp);
    const b = new Controller(dp);
    expect(a.one({ type: 'GET_CONFIG_REQUEST' }, 'GET_CONFIG_REPLY')).toMatchObject({
      flags: 0,
      missSendLen: 128,
    });
    a.ok({ type: 'SET_CONFIG', flags: 1, missSendLen: 0xffff });
    expect(a.one({ type: 'GET_CONFIG_REQUEST' }, 'GET_CONFIG_REPLY')).toMatchObject({
      flags: 1,
      missSendLen: 0xffff,
    });
    expect(b.one({ type: 'GET_CONFIG_REQUEST' }, 'GET_CONFIG_REPLY')).toMatchObject({
      flags: 1,
      missSendLen: 128,
    });
    expect(a.error({ type: 'SET_CONFIG', flags: 2, missSendLen: 128 }).names).toEqual([
      'SWITCH_CONFIG_FAILED',
      'BAD_FLAGS',
    ]);
    const bad = patched({ type: 'SET_CONFIG', flags: 0, missSendLen: 128 }, 55, (x) =>
      x.writeUInt16BE(0x8000, 8),
    );
    const e = a.error(bad);
    expect(e.names).toEqual(['SWITCH_CONFIG_FAILED', 'BAD_FLAGS']);
    expect(e.data).toEqual(Uint8Array.from(bad));
  });

  it('OFPC_FRAG_DROP drops IP fragments, FRAG_NORMAL forwards them', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    attach(dp, 1);
    const out = attach(dp, 2);
    c.ok(fm('in_port=1,actions=output:2'));
    const frag = udp(1, 2);
    frag[20] = (frag[20] as number) | 0x20; // MF
    dp.receiveFrame(1, frag);
    c.ok({ type: 'SET_CONFIG', flags: 1, missSendLen: 128 });
    dp.receiveFrame(1, frag);
    dp.receiveFrame(1, udp(1, 2));
    expect(out).toHaveLength(2);
  });

  it('BARRIER: replies after everything before it is done, in order', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    const msgs: UnsentMessage[] = [
      fm('table=9,actions=drop'), // refused: no table 9
      { type: 'BARRIER_REQUEST' },
      fm('priority=5,in_port=1,actions=output:2'),
      { type: 'BARRIER_REQUEST' },
      flowStatsRequest(),
    ];
    c.sendRaw(Buffer.concat(msgs.map((m, i) => encode({ ...m, xid: 100 + i } as Message))));
    const got = c.take();
    expect(got.map((m) => [m.type, m.xid])).toEqual([
      ['ERROR', 100],
      ['BARRIER_REPLY', 101],
      ['BARRIER_REPLY', 103],
      ['MULTIPART_REPLY', 104],
    ]);
    expect((got[3] as { stats: unknown[] }).stats).toHaveLength(1);
  });

  it('QUEUE_GET_CONFIG: queue 0 on a port that exists, QUEUE_OP_FAILED/BAD_PORT otherwise', () => {
    const { dp } = makeSwitch();
    attach(dp, 1);
    attach(dp, 2);
    const c = new Controller(dp);
    expect(c.one({ type: 'QUEUE_GET_CONFIG_REQUEST', port: 1 }, 'QUEUE_GET_CONFIG_REPLY')).toMatchObject({
      port: 1,
      queues: [{ queueId: 0, port: 1, properties: [] }],
    });
    expect(
      c.one({ type: 'QUEUE_GET_CONFIG_REQUEST', port: OFPP.ANY }, 'QUEUE_GET_CONFIG_REPLY').queues,
    ).toEqual([
      { queueId: 0, port: 1, properties: [] },
      { queueId: 0, port: 2, properties: [] },
    ]);
    expect(c.error({ type: 'QUEUE_GET_CONFIG_REQUEST', port: 7 }).names).toEqual([
      'QUEUE_OP_FAILED',
      'BAD_PORT',
    ]);
    expect(c.error({ type: 'QUEUE_GET_CONFIG_REQUEST', port: OFPP.LOCAL }).names).toEqual([
      'QUEUE_OP_FAILED',
      'BAD_PORT',
    ]);
  });

  it('GET_ASYNC: the defaults per role', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    expect(c.one({ type: 'GET_ASYNC_REQUEST' }, 'GET_ASYNC_REPLY')).toMatchObject({
      packetInMask: [0b11, 0],
      portStatusMask: [0b111, 0b111],
      flowRemovedMask: [0b1111, 0],
    });
  });
});

describe('errors: the prescribed type and code, the first 64 bytes, the channel stays open', () => {
  const cases: [string, (xid: number) => Uint8Array, [string, string]][] = [
    [
      'a version other than 0x04',
      (x) => patched({ type: 'FEATURES_REQUEST' }, x, (b) => (b[0] = 5)),
      ['BAD_REQUEST', 'BAD_VERSION'],
    ],
    [
      'an unknown message type',
      (x) => patched({ type: 'FEATURES_REQUEST' }, x, (b) => (b[1] = 40)),
      ['BAD_REQUEST', 'BAD_TYPE'],
    ],
    [
      'a body too short for its type',
      (x) =>
        patched({ type: 'SET_CONFIG', flags: 0, missSendLen: 0 }, x, (b) => b.writeUInt16BE(10, 2)).subarray(
          0,
          10,
        ),
      ['BAD_REQUEST', 'BAD_LEN'],
    ],
    [
      'an unknown multipart type',
      (x) => patched(mp('DESC'), x, (b) => b.writeUInt16BE(77, 8)),
      ['BAD_REQUEST', 'BAD_MULTIPART'],
    ],
    [
      'an unknown action',
      (x) => patched(fm('actions=output:1'), x, (b) => b.writeUInt16BE(0x77, 64)),
      ['BAD_ACTION', 'BAD_TYPE'],
    ],
    [
      'an unknown instruction',
      (x) => patched(fm('actions=output:1'), x, (b) => b.writeUInt16BE(0x33, 56)),
      ['BAD_INSTRUCTION', 'UNKNOWN_INST'],
    ],
    [
      'an unknown flow-mod command',
      (x) => patched(fm('actions=drop'), x, (b) => (b[25] = 9)),
      ['FLOW_MOD_FAILED', 'BAD_COMMAND'],
    ],
    [
      'unknown flow-mod flags',
      (x) => patched(fm('actions=drop'), x, (b) => b.writeUInt16BE(0x100, 44)),
      ['FLOW_MOD_FAILED', 'BAD_FLAGS'],
    ],
    [
      'an unknown role',
      (x) => patched({ type: 'ROLE_REQUEST', role: 1, generationId: 0n }, x, (b) => b.writeUInt32BE(9, 8)),
      ['ROLE_REQUEST_FAILED', 'BAD_ROLE'],
    ],
  ];
  it.each(cases)('decode: %s', (_, make, names) => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    const req = make(4242);
    const e = c.error(req);
    expect(e.names).toEqual(names);
    expect(e.data).toEqual(Uint8Array.from(req.subarray(0, 64)));
    expect(c.channel.closed).toBe(false);
    expect(c.one({ type: 'ECHO_REQUEST', data: new Uint8Array(1) }, 'ECHO_REPLY').data).toEqual(
      new Uint8Array(1),
    );
  });

  const validated: [string, UnsentMessage, [string, string]][] = [
    [
      'a missing prerequisite',
      fm('actions=drop', OFPFC.ADD, { match: [{ field: 'TCP_DST', value: 80 }] }),
      ['BAD_MATCH', 'BAD_PREREQ'],
    ],
    [
      'a duplicate field',
      fm('actions=drop', OFPFC.ADD, {
        match: [
          { field: 'IN_PORT', value: 1 },
          { field: 'IN_PORT', value: 2 },
        ],
      }),
      ['BAD_MATCH', 'DUP_FIELD'],
    ],
    [
      'a mask on an unmaskable field',
      fm('actions=drop', OFPFC.ADD, { match: [{ field: 'IN_PORT', value: 1, mask: 1 }] }),
      ['BAD_MATCH', 'BAD_MASK'],
    ],
    [
      'value bits outside the mask',
      fm('actions=drop', OFPFC.ADD, {
        match: [{ field: 'ETH_DST', value: '01:00:00:00:00:01', mask: '01:00:00:00:00:00' }],
      }),
      ['BAD_MATCH', 'BAD_WILDCARDS'],
    ],
    [
      'goto_table backwards',
      fm('table=2,actions=drop', OFPFC.ADD, { instructions: [{ type: 'GOTO_TABLE', tableId: 1 }] }),
      ['BAD_INSTRUCTION', 'BAD_TABLE_ID'],
    ],
    [
      'output to port 0',
      fm('actions=output:1', OFPFC.ADD, {
        instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 0, maxLen: 0 }] }],
      }),
      ['BAD_ACTION', 'BAD_OUT_PORT'],
    ],
    [
      'an add into table ALL',
      fm('actions=drop', OFPFC.ADD, { tableId: 0xff }),
      ['FLOW_MOD_FAILED', 'BAD_TABLE_ID'],
    ],
    [
      'a PACKET_OUT from port 0',
      { type: 'PACKET_OUT', bufferId: 0xffffffff, inPort: 0, actions: [], data: new Uint8Array(14) },
      ['BAD_REQUEST', 'BAD_PORT'],
    ],
    [
      'PORT_MOD with unknown config bits',
      { type: 'PORT_MOD', portNo: 1, hwAddr: '02:00:00:00:00:01', config: 2, mask: 2, advertise: 0 },
      ['PORT_MOD_FAILED', 'BAD_CONFIG'],
    ],
  ];
  it.each(validated)('validate: %s', (_, m, names) => {
    const { dp } = makeSwitch();
    attach(dp, 1);
    const c = new Controller(dp);
    const e = c.error(m);
    expect(e.names).toEqual(names);
    expect(e.data).toEqual(Uint8Array.from(e.request.subarray(0, 64)));
    expect(c.one({ type: 'FEATURES_REQUEST' }, 'FEATURES_REPLY').datapathId).toBe(0x1234n);
  });

  const refused: [string, UnsentMessage, [string, string]][] = [
    [
      'EXPERIMENTER',
      { type: 'EXPERIMENTER', experimenter: 0x2320, expType: 1, data: new Uint8Array(4) },
      ['BAD_REQUEST', 'BAD_EXPERIMENTER'],
    ],
    [
      'an experimenter multipart',
      mp('EXPERIMENTER', { experimenter: 0x2320, expType: 1, data: new Uint8Array(0) }),
      ['BAD_REQUEST', 'BAD_EXPERIMENTER'],
    ],
    [
      'FEATURES_REPLY (switch-to-controller)',
      {
        type: 'FEATURES_REPLY',
        datapathId: 1n,
        nBuffers: 0,
        nTables: 1,
        auxiliaryId: 0,
        capabilities: 0,
        reserved: 0,
      },
      ['BAD_REQUEST', 'BAD_TYPE'],
    ],
    [
      'PACKET_IN (switch-to-controller)',
      {
        type: 'PACKET_IN',
        bufferId: 0xffffffff,
        totalLen: 0,
        reason: 0,
        tableId: 0,
        cookie: 0n,
        match: [],
        data: new Uint8Array(0),
      },
      ['BAD_REQUEST', 'BAD_TYPE'],
    ],
    [
      'MULTIPART_REPLY (switch-to-controller)',
      { type: 'MULTIPART_REPLY', mpType: 'TABLE', flags: 0, stats: [] },
      ['BAD_REQUEST', 'BAD_TYPE'],
    ],
    [
      'ROLE_REPLY (switch-to-controller)',
      { type: 'ROLE_REPLY', role: 1, generationId: 0n },
      ['BAD_REQUEST', 'BAD_TYPE'],
    ],
    [
      'a PACKET_OUT of less than an Ethernet header',
      {
        type: 'PACKET_OUT',
        bufferId: 0xffffffff,
        inPort: 0xfffffffd,
        actions: [{ type: 'OUTPUT', port: 1, maxLen: 0 }],
        data: new Uint8Array(13),
      },
      ['BAD_REQUEST', 'BAD_PACKET'],
    ],
    [
      'TABLE_MOD of a table that does not exist',
      { type: 'TABLE_MOD', tableId: 9, config: 0 },
      ['TABLE_MOD_FAILED', 'BAD_TABLE'],
    ],
    [
      'TABLE_MOD with deprecated config bits',
      { type: 'TABLE_MOD', tableId: 0, config: 1 },
      ['TABLE_MOD_FAILED', 'BAD_CONFIG'],
    ],
    [
      'TABLE_MOD with unknown config bits',
      { type: 'TABLE_MOD', tableId: 0xff, config: 8 },
      ['TABLE_MOD_FAILED', 'BAD_CONFIG'],
    ],
    [
      'GROUP_MOD ADD of an ALL group whose bucket watches a port',
      {
        type: 'GROUP_MOD',
        command: 0,
        groupType: 0,
        groupId: 1,
        buckets: [{ weight: 0, watchPort: 1, watchGroup: 0xffffffff, actions: [] }],
      },
      ['GROUP_MOD_FAILED', 'WATCH_UNSUPPORTED'],
    ],
    [
      'GROUP_MOD MODIFY of a group that does not exist',
      { type: 'GROUP_MOD', command: 1, groupType: 0, groupId: 1, buckets: [] },
      ['GROUP_MOD_FAILED', 'UNKNOWN_GROUP'],
    ],
    [
      'GROUP_MOD with an invalid group id',
      { type: 'GROUP_MOD', command: 0, groupType: 0, groupId: 0xfffffffc, buckets: [] },
      ['GROUP_MOD_FAILED', 'INVALID_GROUP'],
    ],
    [
      'METER_MOD ADD of the SLOWPATH virtual meter (no slow path)',
      {
        type: 'METER_MOD',
        command: 0,
        flags: 1,
        meterId: 0xfffffffd,
        bands: [{ type: 'DROP', rate: 10, burstSize: 0 }],
      },
      ['METER_MOD_FAILED', 'INVALID_METER'],
    ],
    [
      'METER_MOD MODIFY of a meter that does not exist',
      { type: 'METER_MOD', command: 1, flags: 1, meterId: 1, bands: [] },
      ['METER_MOD_FAILED', 'UNKNOWN_METER'],
    ],
    [
      'METER_MOD with meter id 0',
      { type: 'METER_MOD', command: 0, flags: 1, meterId: 0, bands: [] },
      ['METER_MOD_FAILED', 'INVALID_METER'],
    ],
    [
      'TABLE_FEATURES with a body (setting)',
      mp('TABLE_FEATURES', {
        tables: [
          {
            tableId: 0,
            name: 't',
            metadataMatch: 0n,
            metadataWrite: 0n,
            config: 0,
            maxEntries: 1,
            properties: [],
          },
        ],
      }),
      ['TABLE_FEATURES_FAILED', 'EPERM'],
    ],
    [
      'TABLE_FEATURES with REQ_MORE',
      mp('TABLE_FEATURES', { flags: 1, tables: [] }),
      ['TABLE_FEATURES_FAILED', 'EPERM'],
    ],
    ['a fixed-body multipart with REQ_MORE', mp('DESC', { flags: 1 }), ['BAD_REQUEST', 'BAD_MULTIPART']],
    [
      'FLOW stats of a table that does not exist',
      flowStatsRequest({ tableId: 9 }),
      ['BAD_REQUEST', 'BAD_TABLE_ID'],
    ],
    [
      'PORT_STATS of a port that does not exist',
      mp('PORT_STATS', { portNo: 9 }),
      ['BAD_REQUEST', 'BAD_PORT'],
    ],
    [
      'QUEUE stats of a port that does not exist',
      mp('QUEUE', { portNo: 9, queueId: 0xffffffff }),
      ['QUEUE_OP_FAILED', 'BAD_PORT'],
    ],
    [
      'QUEUE stats of a queue that does not exist',
      mp('QUEUE', { portNo: 1, queueId: 3 }),
      ['QUEUE_OP_FAILED', 'BAD_QUEUE'],
    ],
    [
      'PORT_MOD of a port that does not exist',
      { type: 'PORT_MOD', portNo: 9, hwAddr: '02:00:00:00:00:09', config: 0, mask: 0, advertise: 0 },
      ['PORT_MOD_FAILED', 'BAD_PORT'],
    ],
    [
      'PORT_MOD with another hardware address',
      { type: 'PORT_MOD', portNo: 1, hwAddr: '02:00:00:00:00:09', config: 0, mask: 0, advertise: 0 },
      ['PORT_MOD_FAILED', 'BAD_HW_ADDR'],
    ],
    [
      'PORT_MOD advertising what the port does not support',
      { type: 'PORT_MOD', portNo: 1, hwAddr: '02:00:00:00:00:01', config: 0, mask: 0, advertise: 0x20 },
      ['PORT_MOD_FAILED', 'BAD_ADVERTISE'],
    ],
  ];
  it.each(refused)('handling: %s', (_, m, names) => {
    const { dp } = makeSwitch();
    attach(dp, 1);
    const c = new Controller(dp);
    const e = c.error(m);
    expect(e.names).toEqual(names);
    expect(e.data).toEqual(Uint8Array.from(e.request.subarray(0, 64)));
    expect(c.channel.closed).toBe(false);
    expect(c.one({ type: 'BARRIER_REQUEST' }, 'BARRIER_REPLY')).toBeDefined();
  });

  it('accepts what it can honour of the unsupported kinds: deletes of nothing, TABLE_MOD config 0', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    c.ok({ type: 'GROUP_MOD', command: 2, groupType: 0, groupId: 0xfffffffc, buckets: [] });
    c.ok({ type: 'METER_MOD', command: 2, flags: 0, meterId: 0xffffffff, bands: [] });
    c.ok({ type: 'TABLE_MOD', tableId: 0xff, config: 0 });
    c.ok({ type: 'ECHO_REPLY', data: new Uint8Array(0) });
    c.ok({ type: 'ERROR', errType: 1, code: 1, data: new Uint8Array(0) });
  });

  it('a request longer than 64 bytes: the ERROR carries exactly its first 64', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    const e = c.error(
      fm('priority=1,ip,nw_src=10.0.0.0/8,nw_dst=10.1.0.0/16,tcp,tp_dst=80,actions=output:NORMAL'),
    );
    expect(e.names).toEqual(['BAD_ACTION', 'BAD_OUT_PORT']);
    expect(e.request.length).toBeGreaterThan(64);
    expect(e.data).toEqual(Uint8Array.from(e.request.subarray(0, 64)));
  });

  it('lost framing (a length below 8): BAD_REQUEST/BAD_LEN, then the channel closes', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    const good = encode({ type: 'ECHO_REQUEST', xid: 5, data: new Uint8Array(0) });
    const bad = Uint8Array.of(4, 2, 0, 4, 0, 0, 0, 6);
    c.sendRaw(Buffer.concat([good, bad]));
    const got = c.take();
    expect(got.map((m) => m.type)).toEqual(['ECHO_REPLY', 'ERROR']);
    expect(got[1]).toMatchObject({ errType: 1, code: 6, xid: 6 });
    expect(c.channel.closed).toBe(true);
    expect(c.closedWith).toMatch(/framing/);
  });

  it('close() detaches the channel; nothing is sent afterwards', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    attach(dp, 1);
    c.take();
    c.channel.close();
    expect(dp.channels).toHaveLength(0);
    attach(dp, 2);
    c.send({ type: 'FEATURES_REQUEST' });
    expect(c.take()).toEqual([]);
    expect(c.closedWith).toBeUndefined();
  });

  it('roles are per channel; a closed master leaves the others as they were', () => {
    const { dp } = makeSwitch();
    const a = new Controller(dp);
    const b = new Controller(dp);
    a.one({ type: 'ROLE_REQUEST', role: OFPCR_ROLE.MASTER, generationId: 1n }, 'ROLE_REPLY');
    a.channel.close();
    expect(
      b.one({ type: 'ROLE_REQUEST', role: OFPCR_ROLE.NOCHANGE, generationId: 0n }, 'ROLE_REPLY'),
    ).toMatchObject({ role: OFPCR_ROLE.EQUAL, generationId: 1n });
  });

  it('every message the switch sends decodes and re-encodes to the same bytes', () => {
    const { dp } = makeSwitch();
    attach(dp, 1);
    const c = new Controller(dp);
    c.send(fm('actions=CONTROLLER'));
    dp.receiveFrame(1, udp());
    c.send(mp('TABLE_FEATURES', { tables: [] }));
    for (const raw of c.raw) expect(Uint8Array.from(encode(decode(raw)))).toEqual(Uint8Array.from(raw));
  });
});
