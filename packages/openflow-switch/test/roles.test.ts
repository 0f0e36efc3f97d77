// Roles and asynchronous-message masks across two (and three) controller channels.

import { OFPCR_ROLE, OFPFF, OFPPR, OFPR, OFPRR, type UnsentMessage } from '@rumpflow/openflow';
import { describe, expect, it } from 'vitest';
import {
  Controller,
  attach,
  fm,
  flowStatsRequest,
  makeSwitch,
  mp,
  portDesc,
  tableCounts,
  udp,
} from './harness.js';

const role = (r: number, generationId = 0n): UnsentMessage => ({
  type: 'ROLE_REQUEST',
  role: r,
  generationId,
});
const NOCHANGE = role(OFPCR_ROLE.NOCHANGE);
const U64 = 0xffffffffffffffffn;

describe('ROLE_REQUEST', () => {
  it('starts EQUAL with no generation id (all ones)', () => {
    const { dp } = makeSwitch();
    const c = new Controller(dp);
    expect(c.one(NOCHANGE, 'ROLE_REPLY')).toMatchObject({ role: OFPCR_ROLE.EQUAL, generationId: U64 });
  });

  it('a new MASTER demotes the previous master to SLAVE; EQUAL channels stay EQUAL', () => {
    const { dp } = makeSwitch();
    const a = new Controller(dp);
    const b = new Controller(dp);
    const e = new Controller(dp);
    expect(a.one(role(OFPCR_ROLE.MASTER, 1n), 'ROLE_REPLY')).toMatchObject({
      role: OFPCR_ROLE.MASTER,
      generationId: 1n,
    });
    expect(b.one(role(OFPCR_ROLE.MASTER, 2n), 'ROLE_REPLY')).toMatchObject({
      role: OFPCR_ROLE.MASTER,
      generationId: 2n,
    });
    expect(a.one(NOCHANGE, 'ROLE_REPLY')).toMatchObject({ role: OFPCR_ROLE.SLAVE, generationId: 2n });
    expect(e.one(NOCHANGE, 'ROLE_REPLY')).toMatchObject({ role: OFPCR_ROLE.EQUAL, generationId: 2n });
    // the demoted master is refused state changes; the new master is not
    expect(a.error(fm('actions=drop')).names).toEqual(['BAD_REQUEST', 'IS_SLAVE']);
    b.ok(fm('actions=drop'));
  });

  it('refuses a stale generation id for MASTER and SLAVE (signed 64-bit distance, wrapping)', () => {
    const { dp } = makeSwitch();
    const a = new Controller(dp);
    const b = new Controller(dp);
    a.one(role(OFPCR_ROLE.MASTER, 10n), 'ROLE_REPLY');
    expect(b.error(role(OFPCR_ROLE.MASTER, 9n)).names).toEqual(['ROLE_REQUEST_FAILED', 'STALE']);
    expect(b.error(role(OFPCR_ROLE.SLAVE, 3n)).names).toEqual(['ROLE_REQUEST_FAILED', 'STALE']);
    expect(a.one(NOCHANGE, 'ROLE_REPLY').role).toBe(OFPCR_ROLE.MASTER); // the refused request changed nothing
    expect(b.one(NOCHANGE, 'ROLE_REPLY').role).toBe(OFPCR_ROLE.EQUAL);
    // the same id again is not stale
    expect(b.one(role(OFPCR_ROLE.SLAVE, 10n), 'ROLE_REPLY')).toMatchObject({
      role: OFPCR_ROLE.SLAVE,
      generationId: 10n,
    });
    // 2^64 - 16 is "before" 10 (the distance is negative as a signed 64-bit number)
    expect(b.error(role(OFPCR_ROLE.SLAVE, U64 - 15n)).names).toEqual(['ROLE_REQUEST_FAILED', 'STALE']);
    // ids wrap: 2^63 + 9 is after 10, and 5 is after 2^63 + 9
    const far = (1n << 63n) + 9n;
    b.one(role(OFPCR_ROLE.SLAVE, far), 'ROLE_REPLY');
    expect(a.one(role(OFPCR_ROLE.MASTER, 5n), 'ROLE_REPLY').generationId).toBe(5n);
    expect(b.error(role(OFPCR_ROLE.MASTER, far)).names).toEqual(['ROLE_REQUEST_FAILED', 'STALE']);
    // EQUAL ignores the generation id
    expect(b.one(role(OFPCR_ROLE.EQUAL, 1n), 'ROLE_REPLY')).toMatchObject({
      role: OFPCR_ROLE.EQUAL,
      generationId: 5n,
    });
  });

  it('a SLAVE gets IS_SLAVE for everything that sends packets or changes state, and may still read', () => {
    const { dp } = makeSwitch();
    attach(dp, 1);
    const s = new Controller(dp);
    s.one(role(OFPCR_ROLE.SLAVE, 1n), 'ROLE_REPLY');
    const denied: UnsentMessage[] = [
      fm('actions=drop'),
      { type: 'PACKET_OUT', bufferId: 0xffffffff, inPort: 0xfffffffd, actions: [], data: udp() },
      { type: 'GROUP_MOD', command: 0, groupType: 0, groupId: 1, buckets: [] },
      { type: 'PORT_MOD', portNo: 1, hwAddr: '02:00:00:00:00:01', config: 1, mask: 1, advertise: 0 },
      { type: 'TABLE_MOD', tableId: 0, config: 0 },
      { type: 'METER_MOD', command: 0, flags: 1, meterId: 1, bands: [] },
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
      { type: 'SET_CONFIG', flags: 1, missSendLen: 128 },
    ];
    for (const m of denied) {
      const e = s.error(m);
      expect(e.names, m.type).toEqual(['BAD_REQUEST', 'IS_SLAVE']);
      expect(e.data).toEqual(Uint8Array.from(e.request.subarray(0, 64)));
    }
    // reads, its own configuration and role changes are fine
    expect(s.multipart(flowStatsRequest(), 'FLOW')).toHaveLength(1);
    expect(s.multipart(mp('TABLE_FEATURES', { tables: [] }), 'TABLE_FEATURES').length).toBeGreaterThan(0);
    s.ok({ type: 'SET_CONFIG', flags: 0, missSendLen: 200 });
    s.ok({ type: 'SET_ASYNC', packetInMask: [0, 0], portStatusMask: [0, 0], flowRemovedMask: [0, 0] });
    expect(s.one({ type: 'GET_CONFIG_REQUEST' }, 'GET_CONFIG_REPLY').missSendLen).toBe(200);
    expect(s.one(role(OFPCR_ROLE.EQUAL), 'ROLE_REPLY').role).toBe(OFPCR_ROLE.EQUAL);
    s.ok(fm('actions=drop'));
    expect(tableCounts(s)[0]?.[0]).toBe(1);
    expect(portDesc(s, 1)?.config).toBe(0);
  });
});

describe('asynchronous messages: roles and masks across channels', () => {
  function setup() {
    const { dp, clock } = makeSwitch();
    attach(dp, 1);
    attach(dp, 2);
    const a = new Controller(dp);
    const b = new Controller(dp);
    a.ok(fm('priority=0,actions=CONTROLLER:65535')); // table-miss: NO_MATCH
    a.ok(fm('priority=10,udp,tp_dst=2000,in_port=2,actions=CONTROLLER:65535')); // ACTION
    a.take();
    b.take();
    return { dp, clock, a, b };
  }
  const packetIns = (c: Controller) => c.takeType('PACKET_IN').map((p) => p.reason);

  it('by default MASTER and EQUAL channels get PACKET_IN (NO_MATCH and ACTION), a SLAVE none', () => {
    const { dp, a, b } = setup();
    dp.receiveFrame(1, udp(1, 2));
    dp.receiveFrame(2, udp(2, 1));
    expect(packetIns(a)).toEqual([OFPR.NO_MATCH, OFPR.ACTION]);
    expect(packetIns(b)).toEqual([OFPR.NO_MATCH, OFPR.ACTION]);
    a.one(role(OFPCR_ROLE.MASTER, 1n), 'ROLE_REPLY');
    b.one(role(OFPCR_ROLE.SLAVE, 1n), 'ROLE_REPLY');
    dp.receiveFrame(1, udp(1, 2));
    expect(packetIns(a)).toEqual([OFPR.NO_MATCH]);
    expect(packetIns(b)).toEqual([]);
  });

  it('SET_ASYNC chooses reasons per channel and per role; GET_ASYNC reads them back', () => {
    const { dp, a, b } = setup();
    const masks = {
      packetInMask: [1 << OFPR.ACTION, 1 << OFPR.NO_MATCH],
      portStatusMask: [1 << OFPPR.DELETE, 0],
      flowRemovedMask: [0, 1 << OFPRR.DELETE],
    };
    b.ok({ type: 'SET_ASYNC', ...masks });
    expect(b.one({ type: 'GET_ASYNC_REQUEST' }, 'GET_ASYNC_REPLY')).toMatchObject(masks);
    expect(a.one({ type: 'GET_ASYNC_REQUEST' }, 'GET_ASYNC_REPLY').packetInMask).toEqual([3, 0]);
    dp.receiveFrame(1, udp(1, 2)); // NO_MATCH
    dp.receiveFrame(2, udp(2, 1)); // ACTION
    expect(packetIns(a)).toEqual([OFPR.NO_MATCH, OFPR.ACTION]);
    expect(packetIns(b)).toEqual([OFPR.ACTION]);
    // as a slave, b's second masks apply
    b.one(role(OFPCR_ROLE.SLAVE, 1n), 'ROLE_REPLY');
    dp.receiveFrame(1, udp(1, 2));
    dp.receiveFrame(2, udp(2, 1));
    expect(packetIns(b)).toEqual([OFPR.NO_MATCH]);
  });

  it('PORT_STATUS: every reason to every role by default; masks select', () => {
    const { dp, a, b } = setup();
    a.one(role(OFPCR_ROLE.MASTER, 1n), 'ROLE_REPLY');
    b.one(role(OFPCR_ROLE.SLAVE, 1n), 'ROLE_REPLY');
    attach(dp, 3);
    dp.modifyPort(3, { state: 1 });
    dp.removePort(3);
    for (const c of [a, b])
      expect(c.takeType('PORT_STATUS').map((p) => [p.reason, p.desc.portNo])).toEqual([
        [0, 3],
        [2, 3],
        [1, 3],
      ]);
    b.ok({
      type: 'SET_ASYNC',
      packetInMask: [0, 0],
      portStatusMask: [0, 1 << OFPPR.DELETE],
      flowRemovedMask: [0, 0],
    });
    attach(dp, 4);
    dp.removePort(4);
    expect(b.takeType('PORT_STATUS').map((p) => p.reason)).toEqual([OFPPR.DELETE]);
    expect(a.takeType('PORT_STATUS')).toHaveLength(2);
  });

  it('FLOW_REMOVED: to MASTER/EQUAL by default, not to a SLAVE unless its mask asks', () => {
    const { dp, clock, a, b } = setup();
    a.ok(fm('priority=5,in_port=1,idle_timeout=1,actions=drop', 0, { flags: OFPFF.SEND_FLOW_REM }));
    a.ok(fm('priority=6,in_port=1,hard_timeout=2,actions=drop', 0, { flags: OFPFF.SEND_FLOW_REM }));
    b.one(role(OFPCR_ROLE.SLAVE, 1n), 'ROLE_REPLY');
    clock.advance(1000);
    dp.tick();
    expect(a.takeType('FLOW_REMOVED').map((r) => r.reason)).toEqual([OFPRR.IDLE_TIMEOUT]);
    expect(b.takeType('FLOW_REMOVED')).toEqual([]);
    b.ok({
      type: 'SET_ASYNC',
      packetInMask: [0, 0],
      portStatusMask: [0, 0],
      flowRemovedMask: [0, 1 << OFPRR.HARD_TIMEOUT],
    });
    a.ok({
      type: 'SET_ASYNC',
      packetInMask: [0, 0],
      portStatusMask: [0, 0],
      flowRemovedMask: [1 << OFPRR.DELETE, 0],
    });
    clock.advance(1000);
    dp.tick();
    expect(b.takeType('FLOW_REMOVED').map((r) => r.reason)).toEqual([OFPRR.HARD_TIMEOUT]);
    expect(a.takeType('FLOW_REMOVED')).toEqual([]);
  });

  it('channels that have not finished HELLO get no asynchronous messages', () => {
    const { dp } = setup();
    const late = new Controller(dp, false);
    late.take();
    dp.receiveFrame(1, udp(1, 2));
    attach(dp, 9);
    expect(late.take()).toEqual([]);
  });
});
