import { describe, expect, it } from 'vitest';
import type { Action, Instruction } from './actions.js';
import { OFPET, OfpError, errorCode, type ErrorTypeName } from './errors.js';
import { type Message, type MessageOf, decode, encode } from './messages.js';
import type { Match, Oxm } from './oxm.js';
import { validate } from './validate.js';
import { apply, flowMod } from '../test/fixtures.js';

function expectError<T extends ErrorTypeName>(m: Message, type: T, code: Parameters<typeof errorCode<T>>[1]): OfpError {
  const err = validate(m);
  expect(err, `expected ${type}/${String(code)}`).toBeInstanceOf(OfpError);
  expect([err?.type, err?.code]).toEqual([OFPET[type], errorCode(type, code)]);
  // the ERROR data is the start of the offending message
  expect(Buffer.from(err?.data ?? []).equals(Buffer.from(encode(m)).subarray(0, 64))).toBe(true);
  return err as OfpError;
}

describe('validate: matches', () => {
  it('accepts a well-formed match with its prerequisites', () => {
    expect(
      validate(
        flowMod([
          { field: 'IN_PORT', value: 1 },
          { field: 'ETH_TYPE', value: 0x0800 },
          { field: 'IP_PROTO', value: 6 },
          { field: 'TCP_DST', value: 80 },
          { field: 'IPV4_SRC', value: '10.0.0.0', mask: '255.0.0.0' },
          { field: 'VLAN_VID', value: 0x1000 | 5 },
          { field: 'VLAN_PCP', value: 3 },
        ]),
      ),
    ).toBeUndefined();
  });

  it('refuses a mask on an unmaskable field (BAD_MASK)', () => {
    expectError(flowMod([{ field: 'IN_PORT', value: 1, mask: 0xff }]), 'BAD_MATCH', 'BAD_MASK');
  });

  it('refuses an unmet prerequisite (BAD_PREREQ)', () => {
    expectError(flowMod([{ field: 'TCP_DST', value: 80 }]), 'BAD_MATCH', 'BAD_PREREQ');
    expectError(
      flowMod([
        { field: 'ETH_TYPE', value: 0x86dd },
        { field: 'IPV4_DST', value: '10.0.0.1' },
      ]),
      'BAD_MATCH',
      'BAD_PREREQ',
    );
    expectError(flowMod([{ field: 'VLAN_PCP', value: 1 }]), 'BAD_MATCH', 'BAD_PREREQ');
    expectError(
      flowMod([
        { field: 'VLAN_VID', value: 0 },
        { field: 'VLAN_PCP', value: 1 },
      ]),
      'BAD_MATCH',
      'BAD_PREREQ',
    );
    // IN_PHY_PORT needs IN_PORT
    expectError(
      flowMod([
        { field: 'ETH_TYPE', value: 0x0800 },
        { field: 'IP_PROTO', value: 6 },
        { field: 'IN_PHY_PORT', value: 1 },
      ]),
      'BAD_MATCH',
      'BAD_PREREQ',
    );
  });

  it('refuses a duplicate field (DUP_FIELD)', () => {
    expectError(
      flowMod([
        { field: 'IN_PORT', value: 1 },
        { field: 'IN_PORT', value: 2 },
      ]),
      'BAD_MATCH',
      'DUP_FIELD',
    );
  });

  it('refuses values wider than the field (BAD_VALUE) and value bits outside the mask (BAD_WILDCARDS)', () => {
    expectError(flowMod([{ field: 'VLAN_VID', value: 0x2000 }]), 'BAD_MATCH', 'BAD_VALUE');
    expectError(
      flowMod([
        { field: 'ETH_TYPE', value: 0x0800 },
        { field: 'IP_DSCP', value: 64 },
      ]),
      'BAD_MATCH',
      'BAD_VALUE',
    );
    expectError(flowMod([{ field: 'ETH_DST', value: '00:00:00:00:00:ff', mask: 'ff:ff:ff:ff:ff:00' }]), 'BAD_MATCH', 'BAD_WILDCARDS');
  });

  it('checks the match of flow stats requests too', () => {
    const req: Message = {
      type: 'MULTIPART_REQUEST',
      xid: 3,
      mpType: 'FLOW',
      flags: 0,
      tableId: 0xff,
      outPort: 0xffffffff,
      outGroup: 0xffffffff,
      cookie: 0n,
      cookieMask: 0n,
      match: [{ field: 'UDP_SRC', value: 53 }],
    };
    expectError(req, 'BAD_MATCH', 'BAD_PREREQ');
  });
});

describe('validate: instructions and actions', () => {
  it('refuses goto_table backwards and to tables beyond 254', () => {
    expectError(flowMod([], [{ type: 'GOTO_TABLE', tableId: 1 }], { tableId: 1 }), 'BAD_INSTRUCTION', 'BAD_TABLE_ID');
    expectError(flowMod([], [{ type: 'GOTO_TABLE', tableId: 255 }]), 'BAD_INSTRUCTION', 'BAD_TABLE_ID');
    expect(validate(flowMod([], [{ type: 'GOTO_TABLE', tableId: 2 }], { tableId: 1 }))).toBeUndefined();
  });

  it('refuses a repeated instruction type', () => {
    expectError(flowMod([], [{ type: 'CLEAR_ACTIONS' }, { type: 'CLEAR_ACTIONS' }]), 'BAD_INSTRUCTION', 'UNSUP_INST');
  });

  it('refuses a flow add into table ALL', () => {
    expectError(flowMod([], [], { tableId: 0xff }), 'FLOW_MOD_FAILED', 'BAD_TABLE_ID');
    expect(validate(flowMod([], [], { tableId: 0xff, command: 3 }))).toBeUndefined();
  });

  it('refuses bad output ports; TABLE only in PACKET_OUT', () => {
    expectError(flowMod([], apply({ type: 'OUTPUT', port: 0, maxLen: 0 })), 'BAD_ACTION', 'BAD_OUT_PORT');
    expectError(flowMod([], apply({ type: 'OUTPUT', port: 0xffffffff, maxLen: 0 })), 'BAD_ACTION', 'BAD_OUT_PORT');
    expectError(flowMod([], apply({ type: 'OUTPUT', port: 0xfffffff9, maxLen: 0 })), 'BAD_ACTION', 'BAD_OUT_PORT');
    const po: Message = {
      type: 'PACKET_OUT',
      xid: 2,
      bufferId: 0xffffffff,
      inPort: 0xfffffffd,
      actions: [{ type: 'OUTPUT', port: 0xfffffff9, maxLen: 0 }],
      data: new Uint8Array(14),
    };
    expect(validate(po)).toBeUndefined();
    expectError({ ...po, inPort: 0 }, 'BAD_REQUEST', 'BAD_PORT');
  });

  it('refuses push ethertypes the spec does not allow', () => {
    expectError(flowMod([], apply({ type: 'PUSH_VLAN', ethertype: 0x0800 })), 'BAD_ACTION', 'BAD_ARGUMENT');
    expectError(flowMod([], apply({ type: 'PUSH_MPLS', ethertype: 0x8100 })), 'BAD_ACTION', 'BAD_ARGUMENT');
    expectError(flowMod([], apply({ type: 'PUSH_PBB', ethertype: 0x8100 })), 'BAD_ACTION', 'BAD_ARGUMENT');
    expect(validate(flowMod([], apply({ type: 'PUSH_VLAN', ethertype: 0x88a8 })))).toBeUndefined();
  });

  it('refuses set-field of unsettable fields, with masks, or too wide', () => {
    expectError(flowMod([], apply({ type: 'SET_FIELD', field: { field: 'IN_PORT', value: 3 } })), 'BAD_ACTION', 'BAD_SET_TYPE');
    expectError(
      flowMod([], apply({ type: 'SET_FIELD', field: { field: 'ETH_DST', value: '00:00:00:00:00:01', mask: 'ff:ff:ff:ff:ff:ff' } })),
      'BAD_ACTION',
      'BAD_SET_ARGUMENT',
    );
    expectError(flowMod([], apply({ type: 'SET_FIELD', field: { field: 'MPLS_LABEL', value: 1 << 20 } })), 'BAD_ACTION', 'BAD_SET_ARGUMENT');
  });

  it('refuses a group action beyond OFPG_MAX', () => {
    expectError(flowMod([], [{ type: 'WRITE_ACTIONS', actions: [{ type: 'GROUP', groupId: 0xfffffffc }] }]), 'BAD_ACTION', 'BAD_OUT_GROUP');
  });
});

describe('validate: lengths and padding decode keeps for round trips', () => {
  const exp = (n: number): Action => ({ type: 'EXPERIMENTER', experimenter: 0x2320, data: new Uint8Array(n) });

  it('refuses experimenter actions whose length is not a multiple of 8 (BAD_ACTION/BAD_LEN)', () => {
    for (const n of [1, 4, 7, 9]) expectError(flowMod([], apply(exp(n))), 'BAD_ACTION', 'BAD_LEN');
    for (const n of [0, 8, 16]) expect(validate(flowMod([], apply(exp(n))))).toBeUndefined();
    const po: Message = { type: 'PACKET_OUT', xid: 2, bufferId: 0xffffffff, inPort: 0xfffffffd, actions: [exp(4)], data: new Uint8Array(0) };
    expectError(po, 'BAD_ACTION', 'BAD_LEN');
    const group: Message = {
      type: 'GROUP_MOD',
      xid: 3,
      command: 0,
      groupType: 0,
      groupId: 1,
      buckets: [{ weight: 0, watchPort: 0xffffffff, watchGroup: 0xffffffff, actions: [exp(12)] }],
    };
    expectError(group, 'BAD_ACTION', 'BAD_LEN');
    // the codec itself takes them (and gives them back byte for byte)
    const b = encode(flowMod([], apply(exp(5))));
    expect(Buffer.from(encode(decode(b))).equals(Buffer.from(b))).toBe(true);
  });

  it('refuses experimenter instructions whose length is not a multiple of 8 (BAD_INSTRUCTION/BAD_LEN)', () => {
    const ins = (n: number): Instruction => ({ type: 'EXPERIMENTER', experimenter: 0x2320, data: new Uint8Array(n) });
    expectError(flowMod([], [ins(3)]), 'BAD_INSTRUCTION', 'BAD_LEN');
    expect(validate(flowMod([], [ins(8)]))).toBeUndefined();
  });

  it('refuses experimenter meter bands whose length is not a multiple of 8 (BAD_REQUEST/BAD_LEN)', () => {
    const meterMod = (n: number): Message => ({
      type: 'METER_MOD',
      xid: 5,
      command: 0,
      flags: 1,
      meterId: 1,
      bands: [{ type: 'EXPERIMENTER', rate: 100, burstSize: 0, experimenter: 0x2320, data: new Uint8Array(n) }],
    });
    expectError(meterMod(4), 'BAD_REQUEST', 'BAD_LEN');
    expectError({ ...meterMod(2), command: 2 } as Message, 'BAD_REQUEST', 'BAD_LEN');
    expect(validate(meterMod(0))).toBeUndefined();
    expect(validate(meterMod(8))).toBeUndefined();
  });

  // FLOW_MOD, empty match, APPLY_ACTIONS [SET_FIELD eth_dst=00:11:22:33:44:55] with the
  // padding given (canonically 2 zero bytes: 4 + 10 bytes of OXM, padded to 16).
  const setField = (pad: string) => {
    const alen = 14 + pad.length / 2;
    const hex =
      '04 0e ' + (56 + 8 + alen).toString(16).padStart(4, '0') + ' 00000001' +
      ' 0000000000000000 0000000000000000 00 00 0000 0000 0001 ffffffff ffffffff ffffffff 0000 0000' +
      ' 0001000400000000' +
      ' 0004 ' + (8 + alen).toString(16).padStart(4, '0') + ' 00000000' +
      ' 0019 ' + alen.toString(16).padStart(4, '0') + ' 80000606 001122334455 ' + pad;
    return Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  };
  const check = (b: Buffer) => {
    const m = decode(b);
    expect(Buffer.from(encode(m)).equals(b), 'decode keeps what it received').toBe(true);
    const err = validate(m, b);
    if (err) expect(Buffer.from(err.data).equals(b.subarray(0, 64))).toBe(true);
    return err && [err.type, err.code];
  };

  it('accepts a set-field padded with zeros to 8 bytes', () => {
    expect(check(setField('0000'))).toBeUndefined();
  });

  it('refuses a set-field whose padding is not zero (BAD_ACTION/BAD_SET_ARGUMENT)', () => {
    expect(check(setField('0100'))).toEqual([OFPET.BAD_ACTION, errorCode('BAD_ACTION', 'BAD_SET_ARGUMENT')]);
    expect(check(setField('00ff'))).toEqual([OFPET.BAD_ACTION, errorCode('BAD_ACTION', 'BAD_SET_ARGUMENT')]);
  });

  it('refuses a set-field whose padding is not the prescribed size (BAD_ACTION/BAD_SET_LEN)', () => {
    expect(check(setField(''))).toEqual([OFPET.BAD_ACTION, errorCode('BAD_ACTION', 'BAD_SET_LEN')]);
    expect(check(setField('00'.repeat(10)))).toEqual([OFPET.BAD_ACTION, errorCode('BAD_ACTION', 'BAD_SET_LEN')]);
  });
});

describe('validate: set-field prerequisites against the flow (BAD_ACTION/MATCH_INCONSISTENT)', () => {
  const set = (field: Oxm): Action => ({ type: 'SET_FIELD', field });
  const ipv4: Match = [{ field: 'ETH_TYPE', value: 0x0800 }];
  const tcp4: Match = [...ipv4, { field: 'IP_PROTO', value: 6 }];
  const vlan: Match = [{ field: 'VLAN_VID', value: 0x1000 | 7 }];
  const inconsistent = (m: Message) => expectError(m, 'BAD_ACTION', 'MATCH_INCONSISTENT');

  it('needs the prerequisites in the match', () => {
    inconsistent(flowMod([], apply(set({ field: 'IPV4_DST', value: '10.0.0.1' }))));
    inconsistent(flowMod([{ field: 'ETH_TYPE', value: 0x86dd }], apply(set({ field: 'IPV4_DST', value: '10.0.0.1' }))));
    expect(validate(flowMod(ipv4, apply(set({ field: 'IPV4_DST', value: '10.0.0.1' }))))).toBeUndefined();
    inconsistent(flowMod(ipv4, apply(set({ field: 'TCP_DST', value: 80 }))));
    expect(validate(flowMod(tcp4, apply(set({ field: 'TCP_DST', value: 80 }))))).toBeUndefined();
    inconsistent(flowMod([], apply(set({ field: 'VLAN_PCP', value: 3 }))));
    inconsistent(flowMod([{ field: 'VLAN_VID', value: 0 }], apply(set({ field: 'VLAN_PCP', value: 3 }))));
    expect(validate(flowMod(vlan, apply(set({ field: 'VLAN_PCP', value: 3 }))))).toBeUndefined();
    expect(validate(flowMod([{ field: 'VLAN_VID', value: 0x1000, mask: 0x1000 }], apply(set({ field: 'VLAN_PCP', value: 3 }))))).toBeUndefined();
    // fields without prerequisites may always be set
    expect(validate(flowMod([], apply(set({ field: 'ETH_DST', value: '00:00:00:00:00:01' }), set({ field: 'VLAN_VID', value: 0x1001 }))))).toBeUndefined();
  });

  it('counts what earlier actions of the list establish: push_vlan, push_mpls, pop_mpls, set-field', () => {
    expect(validate(flowMod([], apply({ type: 'PUSH_VLAN', ethertype: 0x8100 }, set({ field: 'VLAN_PCP', value: 3 }))))).toBeUndefined();
    inconsistent(flowMod([], apply(set({ field: 'VLAN_PCP', value: 3 }), { type: 'PUSH_VLAN', ethertype: 0x8100 })));
    expect(validate(flowMod(ipv4, apply({ type: 'PUSH_MPLS', ethertype: 0x8847 }, set({ field: 'MPLS_LABEL', value: 5 }))))).toBeUndefined();
    inconsistent(flowMod(ipv4, apply(set({ field: 'MPLS_LABEL', value: 5 }), { type: 'PUSH_MPLS', ethertype: 0x8847 })));
    // after push_mpls the packet is MPLS, not IPv4
    inconsistent(flowMod(ipv4, apply({ type: 'PUSH_MPLS', ethertype: 0x8847 }, set({ field: 'IPV4_DST', value: '10.0.0.1' }))));
    const mpls: Match = [{ field: 'ETH_TYPE', value: 0x8847 }];
    expect(validate(flowMod(mpls, apply({ type: 'POP_MPLS', ethertype: 0x0800 }, set({ field: 'IPV4_DST', value: '10.0.0.1' }))))).toBeUndefined();
    expect(validate(flowMod([], apply(set({ field: 'ETH_TYPE', value: 0x0800 }), set({ field: 'IP_DSCP', value: 1 }))))).toBeUndefined();
    expect(validate(flowMod([], apply({ type: 'PUSH_PBB', ethertype: 0x88e7 }, set({ field: 'PBB_ISID', value: 9 }))))).toBeUndefined();
    // pop_vlan leaves the tag unknown
    inconsistent(flowMod(vlan, apply({ type: 'POP_VLAN' }, set({ field: 'VLAN_PCP', value: 3 }))));
  });

  it('runs an action set\'s pushes before its set-fields, after the apply-actions', () => {
    const write = (...actions: Action[]): Instruction => ({ type: 'WRITE_ACTIONS', actions });
    expect(validate(flowMod([], [write(set({ field: 'VLAN_PCP', value: 3 }), { type: 'PUSH_VLAN', ethertype: 0x8100 })]))).toBeUndefined();
    expect(validate(flowMod([], [write(set({ field: 'VLAN_PCP', value: 3 })), ...apply({ type: 'PUSH_VLAN', ethertype: 0x8100 })]))).toBeUndefined();
    inconsistent(flowMod([], [write(set({ field: 'TCP_SRC', value: 1 }))]));
    inconsistent(flowMod(ipv4, [write(set({ field: 'IP_ECN', value: 1 }), { type: 'PUSH_MPLS', ethertype: 0x8847 })]));
  });

  it('leaves deletes alone (their instructions are not used)', () => {
    expect(validate(flowMod([], apply(set({ field: 'IPV4_DST', value: '10.0.0.1' })), { command: 3 }))).toBeUndefined();
    inconsistent(flowMod([], apply(set({ field: 'IPV4_DST', value: '10.0.0.1' })), { command: 1 }));
  });
});

describe('validate: groups and meters', () => {
  const groupMod = (extra: Partial<MessageOf<'GROUP_MOD'>>): Message => ({
    type: 'GROUP_MOD',
    xid: 4,
    command: 0,
    groupType: 0,
    groupId: 1,
    buckets: [{ weight: 0, watchPort: 0xffffffff, watchGroup: 0xffffffff, actions: [] }],
    ...extra,
  });
  it('checks group ids, indirect bucket count, weights and fast-failover watches', () => {
    expect(validate(groupMod({}))).toBeUndefined();
    expectError(groupMod({ groupId: 0xfffffffc }), 'GROUP_MOD_FAILED', 'INVALID_GROUP');
    expect(validate(groupMod({ command: 2, groupId: 0xfffffffc }))).toBeUndefined();
    expectError(groupMod({ groupType: 2, buckets: [] }), 'GROUP_MOD_FAILED', 'BAD_BUCKET');
    expectError(groupMod({ buckets: [{ weight: 5, watchPort: 0xffffffff, watchGroup: 0xffffffff, actions: [] }] }), 'GROUP_MOD_FAILED', 'BAD_BUCKET');
    expectError(groupMod({ groupType: 3 }), 'GROUP_MOD_FAILED', 'BAD_WATCH');
  });

  const meterMod = (extra: Partial<MessageOf<'METER_MOD'>>): Message => ({
    type: 'METER_MOD',
    xid: 5,
    command: 0,
    flags: 1,
    meterId: 1,
    bands: [{ type: 'DROP', rate: 100, burstSize: 0 }],
    ...extra,
  });
  it('checks meter ids, KBPS with PKTPS, rates', () => {
    expect(validate(meterMod({}))).toBeUndefined();
    expectError(meterMod({ flags: 3 }), 'METER_MOD_FAILED', 'BAD_FLAGS');
    expectError(meterMod({ meterId: 0 }), 'METER_MOD_FAILED', 'INVALID_METER');
    expectError(meterMod({ meterId: 0xffff0001 }), 'METER_MOD_FAILED', 'INVALID_METER');
    expectError(meterMod({ bands: [{ type: 'DROP', rate: 0, burstSize: 0 }] }), 'METER_MOD_FAILED', 'BAD_RATE');
  });
});

describe('decode refuses malformed messages with typed errors', () => {
  const cases: [string, string, ErrorTypeName, string][] = [
    ['short header', '0400', 'BAD_REQUEST', 'BAD_LEN'],
    ['length field disagrees', '04020010 00000001', 'BAD_REQUEST', 'BAD_LEN'],
    ['wrong version', '01050008 00000001', 'BAD_REQUEST', 'BAD_VERSION'],
    ['unknown type', '04200008 00000001', 'BAD_REQUEST', 'BAD_TYPE'],
    ['unknown multipart', '04120010 00000001 00200000 00000000', 'BAD_REQUEST', 'BAD_MULTIPART'],
    ['features request with a body', '0405000c 00000001 00000000', 'BAD_REQUEST', 'BAD_LEN'],
    [
      'flow mod with bad command',
      '040e0038 00000001 0000000000000000 0000000000000000 00 09 0000 0000 0000 ffffffff ffffffff ffffffff 0000 0000 0001000400000000',
      'FLOW_MOD_FAILED',
      'BAD_COMMAND',
    ],
    [
      'flow mod with unknown flags',
      '040e0038 00000001 0000000000000000 0000000000000000 00 00 0000 0000 0000 ffffffff ffffffff ffffffff 0100 0000 0001000400000000',
      'FLOW_MOD_FAILED',
      'BAD_FLAGS',
    ],
    [
      'match of type STANDARD',
      '040e0038 00000001 0000000000000000 0000000000000000 00 00 0000 0000 0000 ffffffff ffffffff ffffffff 0000 0000 0000000400000000',
      'BAD_MATCH',
      'BAD_TYPE',
    ],
    [
      'unknown OXM basic field',
      '040e0040 00000001 0000000000000000 0000000000000000 00 00 0000 0000 0000 ffffffff ffffffff ffffffff 0000 0000 0001000c 8000a004 00000001 00000000',
      'BAD_MATCH',
      'BAD_FIELD',
    ],
    [
      'OXM with the wrong length',
      '040e0040 00000001 0000000000000000 0000000000000000 00 00 0000 0000 0000 ffffffff ffffffff ffffffff 0000 0000 0001000c 80000003 00000001 00000000',
      'BAD_MATCH',
      'BAD_LEN',
    ],
    [
      'unknown instruction',
      '040e0040 00000001 0000000000000000 0000000000000000 00 00 0000 0000 0000 ffffffff ffffffff ffffffff 0000 0000 0001000400000000 0009 0008 00000000',
      'BAD_INSTRUCTION',
      'UNKNOWN_INST',
    ],
    [
      'unknown action',
      '040d0020 00000001 ffffffff fffffffd 0008 000000000000 0063 0008 00000000',
      'BAD_ACTION',
      'BAD_TYPE',
    ],
    [
      'action length not covering its body',
      '040d0020 00000001 ffffffff fffffffd 0008 000000000000 0000 0008 00000000',
      'BAD_ACTION',
      'BAD_LEN',
    ],
    ['actions_len beyond the message', '040d0018 00000001 ffffffff fffffffd 0040 000000000000', 'BAD_REQUEST', 'BAD_LEN'],
    ['bad role', '04180018 00000001 00000009 00000000 0000000000000000', 'ROLE_REQUEST_FAILED', 'BAD_ROLE'],
    ['bad config flags', '0409000c 00000001 0004 0080', 'SWITCH_CONFIG_FAILED', 'BAD_FLAGS'],
  ];
  it.each(cases)('%s', (_name, h, type, code) => {
    const b = Buffer.from(h.replace(/\s+/g, ''), 'hex');
    let err: unknown;
    try {
      decode(b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OfpError);
    const e = err as OfpError;
    expect([e.type, e.code]).toEqual([OFPET[type], errorCode(type, code as never)]);
    expect(Buffer.from(e.data).equals(b.subarray(0, 64))).toBe(true);
  });

  it('builds the ERROR reply from the error', () => {
    const b = Buffer.from('04200008 00000007'.replace(/\s+/g, ''), 'hex');
    try {
      decode(b);
    } catch (e) {
      const reply = encode((e as OfpError).toErrorMessage(7));
      expect(Buffer.from(reply).toString('hex')).toBe('04010014000000070001000104200008' + '00000007');
    }
    expect.assertions(1);
  });
});
