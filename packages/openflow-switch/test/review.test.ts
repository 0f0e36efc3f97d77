// Review findings (issue 8), each driven through OpenFlow bytes and frames.

import { type Action, type Bucket, type UnsentMessage, OFPFC, OFPGT } from '@rumpflow/openflow';
import { describe, expect, it } from 'vitest';
import { Controller, attach, flowStatsRequest, fm, makeSwitch, mp, udp } from './harness.js';

const ANY = 0xffffffff;
const out = (port: number): Action => ({ type: 'OUTPUT', port, maxLen: 0 });
const outputs = (n: number): Action[] => Array.from({ length: n }, () => out(1));

function rig() {
  const { dp } = makeSwitch();
  attach(dp, 1);
  return { dp, c: new Controller(dp) };
}

describe('an entry too big for any multipart reply is refused, not stored to crash the stats', () => {
  // A FLOW stats entry is 16 bytes longer than its FLOW_MOD: a FLOW_MOD of 65520 bytes (4091
  // outputs) would need a reply of 65536 bytes, which cannot be encoded.
  const apply = (actions: Action[]) =>
    ({
      ...fm('priority=5,actions=drop'),
      instructions: [{ type: 'APPLY_ACTIONS', actions }],
    }) as UnsentMessage;

  it('FLOW_MOD ADD: BAD_REQUEST/BAD_LEN; one action less fits and is reported', () => {
    const { c } = rig();
    expect(c.error(apply(outputs(4091))).names).toEqual(['BAD_REQUEST', 'BAD_LEN']);
    expect(c.multipart(flowStatsRequest(), 'FLOW').flatMap((p) => p.stats)).toEqual([]);
    c.ok(apply(outputs(4090)));
    const [s] = c.multipart(flowStatsRequest(), 'FLOW').flatMap((p) => p.stats);
    expect(s?.instructions[0]).toMatchObject({ type: 'APPLY_ACTIONS', actions: outputs(4090) });
  });

  it('FLOW_MOD MODIFY: judged with the match of each entry it rewrites', () => {
    const { c } = rig();
    c.ok(fm('priority=5,ipv6,ipv6_src=2001:db8::1,actions=drop'));
    const modify = { ...apply(outputs(4090)), command: OFPFC.MODIFY } as UnsentMessage;
    expect(c.error(modify).names).toEqual(['BAD_REQUEST', 'BAD_LEN']);
    const [s] = c.multipart(flowStatsRequest(), 'FLOW').flatMap((p) => p.stats);
    expect(s?.instructions).toEqual([]); // unchanged
  });

  it('GROUP_MOD: BAD_REQUEST/BAD_LEN when its GROUP_DESC entry cannot be sent', () => {
    const { c } = rig();
    const group = (actions: Action[]): UnsentMessage =>
      ({
        type: 'GROUP_MOD',
        command: 0,
        groupType: OFPGT.ALL,
        groupId: 1,
        buckets: [{ weight: 0, watchPort: ANY, watchGroup: ANY, actions } as Bucket],
      }) as UnsentMessage;
    expect(c.error(group([...outputs(4093), { type: 'DEC_NW_TTL' } as Action])).names).toEqual([
      'BAD_REQUEST',
      'BAD_LEN',
    ]);
    expect(c.multipart(mp('GROUP_DESC'), 'GROUP_DESC').flatMap((p) => p.groups)).toEqual([]);
    c.ok(group(outputs(4093)));
    const groups = c.multipart(mp('GROUP_DESC'), 'GROUP_DESC').flatMap((p) => p.groups);
    expect(groups[0]?.buckets[0]?.actions).toHaveLength(4093);
  });
});

describe('PACKET_IN cookie', () => {
  // 1.3.5 section 7.4.1: -1 when the packet-in cannot be tied to one flow entry, "for example,
  // if the packet-in was generated in a group bucket or from the action set".
  it('all ones from a group bucket (forwarding-only and rewriting buckets alike), the entry cookie otherwise', () => {
    const { dp, c } = rig();
    attach(dp, 2);
    const bucket = (actions: Action[]) => ({ weight: 0, watchPort: ANY, watchGroup: ANY, actions }) as Bucket;
    c.ok({
      type: 'GROUP_MOD',
      command: 0,
      groupType: OFPGT.ALL,
      groupId: 7,
      buckets: [
        bucket([{ type: 'OUTPUT', port: 0xfffffffd, maxLen: 0xffff }]),
        bucket([{ type: 'DEC_NW_TTL' }, { type: 'OUTPUT', port: 0xfffffffd, maxLen: 0xffff }] as Action[]),
      ],
    } as UnsentMessage);
    c.ok(fm('cookie=0x42,in_port=1,actions=group:7,controller'));
    dp.receiveFrame(1, udp(1, 2));
    const cookies = c.takeType('PACKET_IN').map((p) => p.cookie);
    expect(cookies).toEqual([0xffffffffffffffffn, 0xffffffffffffffffn, 0x42n]);
  });
});

describe('INVALID_TTL and the async masks of each role', () => {
  it('a SLAVE gets it through its slave mask only; a MASTER through the master mask only', () => {
    const { dp, c } = rig();
    const d = new Controller(dp);
    const ttlOnly = (master: number, slave: number) =>
      ({
        type: 'SET_ASYNC',
        packetInMask: [master, slave],
        portStatusMask: [7, 7],
        flowRemovedMask: [15, 0],
      }) as UnsentMessage;
    c.ok(fm('ip,actions=dec_ttl,output:1'));
    const expired = () => dp.receiveFrame(1, udp(1, 2).fill(1, 22, 23)); // IPv4 TTL 1
    d.ok(ttlOnly(0, 1 << 2)); // INVALID_TTL is reason 2
    expired();
    expect(d.takeType('PACKET_IN')).toEqual([]); // EQUAL reads the first mask
    d.one({ type: 'ROLE_REQUEST', role: 3, generationId: 1n }, 'ROLE_REPLY'); // SLAVE
    expired();
    expect(d.takeType('PACKET_IN').map((p) => p.reason)).toEqual([2]);
    expect(c.takeType('PACKET_IN')).toEqual([]); // default masks: no INVALID_TTL
    d.one({ type: 'ROLE_REQUEST', role: 2, generationId: 2n }, 'ROLE_REPLY'); // MASTER
    expired();
    expect(d.takeType('PACKET_IN')).toEqual([]);
  });
});

describe('limits that would make a statistics entry too big for a reply', () => {
  it('are refused when the datapath is built', () => {
    expect(() => makeSwitch({ meterLimits: { maxBands: 4093 } })).toThrow(RangeError);
    expect(() => makeSwitch({ groupLimits: { maxBuckets: 4093 } })).toThrow(RangeError);
    expect(() =>
      makeSwitch({ meterLimits: { maxBands: 255 }, groupLimits: { maxBuckets: 4092 } }),
    ).not.toThrow();
  });
});
